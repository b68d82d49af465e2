"""Layout changes from PyTorch weights to Keras weights (NumPy arrays)."""

import numpy as np


def conv_kernel(weight):
    """torch `Conv2d` weight `(out, in, kh, kw)` -> Keras `Conv2D` kernel
    `(kh, kw, in, out)`."""
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"A Conv2d weight has 4 dimensions. Received shape {weight.shape}")
    return np.transpose(weight, (2, 3, 1, 0))


def depthwise_kernel(weight, in_channels):
    """torch depthwise `Conv2d` weight `(in * m, 1, kh, kw)` (groups = in)
    -> Keras `DepthwiseConv2D` kernel `(kh, kw, in, m)`."""
    weight = np.asarray(weight)
    if weight.ndim != 4 or weight.shape[1] != 1 or weight.shape[0] % in_channels:
        raise ValueError(f"A depthwise Conv2d weight of {in_channels} channels is (in * m, 1, kh, kw). Received {weight.shape}")
    out, _, kh, kw = weight.shape
    return np.transpose(weight.reshape(in_channels, out // in_channels, kh, kw), (2, 3, 0, 1))


def transposed_conv_kernel(weight):
    """torch `ConvTranspose2d` weight `(in, out, kh, kw)` -> Keras
    `Conv2DTranspose` kernel `(kh, kw, out, in)` (no spatial flip: both
    frameworks define the transposed convolution the same way)."""
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"A ConvTranspose2d weight has 4 dimensions. Received shape {weight.shape}")
    return np.transpose(weight, (2, 3, 1, 0))


def dense_kernel(weight):
    """torch `Linear` weight `(out, in)` -> Keras `Dense` kernel `(in, out)`."""
    weight = np.asarray(weight)
    if weight.ndim != 2:
        raise ValueError(f"A Linear weight has 2 dimensions. Received shape {weight.shape}")
    return weight.T


def pixel_shuffle_channels(weight, scale):
    """Reorder the output channels of the conv before a pixel shuffle.

    torch's `pixel_shuffle` reads channel `c * r * r + i * r + j` for
    sub-pixel `(i, j)` of output channel `c`; keras_vsr's `PixelShuffle`
    (`depth_to_space`, TensorFlow order) reads channel `(i * r + j) * C + c`.

    Args:
        weight: a Keras kernel (last axis = output channels, e.g. HWIO) or
            a bias (1-D), in torch's channel order.
        scale: int, the pixel-shuffle factor `r`.

    Returns:
        The same array with its last axis in `PixelShuffle` order.
    """
    weight = np.asarray(weight)
    r2 = int(scale) ** 2
    channels = weight.shape[-1]
    if channels % r2:
        raise ValueError(f"{channels} output channels are not divisible by scale**2 = {r2}.")
    lead = weight.shape[:-1]
    grouped = weight.reshape(lead + (channels // r2, r2))
    return np.swapaxes(grouped, -1, -2).reshape(lead + (channels,))


def pixel_unshuffle_channels(kernel, scale):
    """Reorder the input channels of the Keras kernel (HWIO) of the conv
    after a pixel unshuffle: torch's `pixel_unshuffle` writes sub-pixel
    `(i, j)` of channel `c` to channel `c * r * r + i * r + j`, keras_vsr's
    `PixelUnshuffle` (`space_to_depth`) to `(i * r + j) * C + c`."""
    kernel = np.asarray(kernel)
    return np.moveaxis(pixel_shuffle_channels(np.moveaxis(kernel, -2, -1), scale), -1, -2)
