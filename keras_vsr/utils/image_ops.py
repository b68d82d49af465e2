"""Image maths in `keras.ops` shared by layers, losses, metrics and models.

- `gaussian_taps` / `gaussian_window`: normalised Gaussian filters (NumPy
  constants), the window of SSIM and of the optical-flow sums.
- `ssim_terms` / `ssim_map`: SSIM's local statistics over an 11x11 Gaussian
  window (sigma 1.5) by default, valid region, per channel (Wang et al. 2004),
  for the SSIM metric and the SSIM and MS-SSIM losses.
- `symmetric_pad`: mirror padding (edge pixel included, MATLAB's and NumPy's
  "symmetric") from the dynamic shape, the same on every backend
  (`keras.ops.pad(mode="symmetric")` replicates the edge on torch).
"""

import numpy as np
from keras import ops


def gaussian_taps(size, sigma):
    """A normalised 1-D Gaussian of `size` taps (centred) and standard deviation `sigma`.

    Returns:
        float32 array `(size,)` summing to 1.
    """
    g = np.exp(-((np.arange(size) - (size - 1) / 2) ** 2) / (2 * sigma**2))
    return (g / g.sum()).astype("float32")


def gaussian_window(size=11, sigma=1.5):
    """The 2-D `(size, size)` window, outer product of `gaussian_taps`."""
    g = gaussian_taps(size, sigma)
    return np.outer(g, g).astype("float32")


def ssim_terms(x, y, max_val=1.0, window_size=11, sigma=1.5):
    """SSIM's luminance and contrast-structure maps of `(batch, h, w, c)` images.

    Local means, variances and covariance are Gaussian-weighted over the
    valid region (no padding), per channel, with `c1 = (0.01 max_val)^2` and
    `c2 = (0.03 max_val)^2`:

        luminance = (2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1)
        contrast_structure = (2 sigma_xy + c2) / (sigma_x^2 + sigma_y^2 + c2)

    Returns:
        `(luminance, contrast_structure)`, each
        `(batch, h - window_size + 1, w - window_size + 1, c)`.
    """
    channels = x.shape[-1]
    window = gaussian_window(window_size, sigma)
    kernel = np.tile(window[:, :, None, None], (1, 1, channels, 1))
    kernel = ops.cast(ops.convert_to_tensor(kernel), x.dtype)

    def filt(t):
        return ops.depthwise_conv(t, kernel, strides=1, padding="valid")

    c1 = (0.01 * max_val) ** 2
    c2 = (0.03 * max_val) ** 2
    mu_x, mu_y = filt(x), filt(y)
    sigma_x = filt(x * x) - mu_x**2
    sigma_y = filt(y * y) - mu_y**2
    sigma_xy = filt(x * y) - mu_x * mu_y
    luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    contrast_structure = (2 * sigma_xy + c2) / (sigma_x + sigma_y + c2)
    return luminance, contrast_structure


def ssim_map(x, y, max_val=1.0, window_size=11, sigma=1.5):
    """SSIM map over the valid region, per channel. `x`, `y`: `(batch, h, w, c)`."""
    luminance, contrast_structure = ssim_terms(x, y, max_val, window_size, sigma)
    return luminance * contrast_structure


def _mirror_indices(length, start, stop):
    """Indices `start .. stop - 1` into an axis of `length`, mirrored (edge
    included) outside `[0, length)` and periodic past `2 * length`."""
    period = 2 * length
    # Made non-negative before the modulo: tf2onnx turns a floor modulo into
    # a truncating one, which differs on negative numbers.
    i = ops.mod(ops.arange(start, stop) + period * ops.maximum(-start, 0), period)
    return ops.where(i < length, i, period - 1 - i)


def symmetric_pad(images, height, width):
    """Mirror-pad `(batch, h, w, c)` images by `height = (top, bottom)` and
    `width = (left, right)` pixels.

    The edge pixel is repeated (`[a, b, c] -> [b, a, a, b, c, c, b]` for one
    and two pixels), and sides shorter than the padding keep mirroring, so
    any size of at least one pixel works. Pads may be tensors (run-time
    sizes).
    """
    shape = ops.shape(images)
    for axis, (before, after) in ((1, height), (2, width)):
        n = shape[axis]
        images = ops.take(images, _mirror_indices(n, -before, n + after), axis=axis)
    return images
