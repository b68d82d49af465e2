"""Conversions between user image arrays and the models' float [0, 1] RGB."""

import numpy as np

from keras_vsr.utils.imresize import imresize


def to_float(image):
    """uint8/uint16/float image -> float32 in [0, 1], same shape."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image.astype("float32") / 255.0
    if image.dtype == np.uint16:
        return image.astype("float32") / 65535.0
    if np.issubdtype(image.dtype, np.floating):
        return np.clip(image, 0.0, 1.0).astype("float32")
    raise ValueError(f"Unsupported image dtype {image.dtype}; use uint8, uint16 or float in [0, 1].")


def from_float(image, dtype):
    """float image in [0, 1] -> `dtype` (rounded and clipped for integers)."""
    image = np.clip(np.asarray(image, dtype="float32"), 0.0, 1.0)
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return np.round(image * 255.0).astype(np.uint8)
    if dtype == np.uint16:
        return np.round(image * 65535.0).astype(np.uint16)
    return image.astype(dtype)


def quantize(image):
    """Float image -> the nearest 8-bit levels, as float32 in [0, 1] (what
    writing an 8-bit image file and reading it back gives)."""
    return to_float(from_float(image, np.uint8))


def split_alpha(image):
    """Split an image into `(rgb, alpha, layout)`.

    `layout` is "grey" for `(h, w)`, "grey1" for `(h, w, 1)`, "rgb" or "rgba".
    Grey images come back as 3 equal channels; alpha is None unless RGBA.
    """
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2), None, "grey"
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"Expected an image of shape (h, w), (h, w, 1), (h, w, 3) or (h, w, 4). "
            f"Received shape {image.shape}"
        )
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2), None, "grey1"
    if image.shape[2] == 4:
        return image[:, :, :3], image[:, :, 3], "rgba"
    return image, None, "rgb"


def merge_alpha(rgb, alpha, layout, scale):
    """Inverse of `split_alpha` after upscaling `rgb` by `scale`."""
    if layout in ("grey", "grey1"):
        grey = np.empty(rgb.shape[:2], rgb.dtype)
        for start in range(0, rgb.shape[0], 256):  # row blocks keep memory small
            block = rgb[start : start + 256]
            mean = block.astype("float32").mean(axis=2)
            grey[start : start + 256] = np.round(mean) if rgb.dtype.kind in "ui" else mean
        return grey if layout == "grey" else grey[:, :, None]
    if layout == "rgba":
        out = np.empty(rgb.shape[:2] + (4,), rgb.dtype)
        out[:, :, :3] = rgb
        out[:, :, 3] = resize_alpha(alpha, rgb.shape[:2])
        return out
    return rgb


def resize_alpha(alpha, size):
    """Bicubic resize of an alpha plane to `size` = `(h, w)`, same dtype.

    MATLAB-style `imresize` for small planes; PIL's bicubic for large ones,
    whose dense resize matrices would otherwise take gigabytes.
    """
    if alpha.size * 16 <= 4096 * 4096 or alpha.dtype != np.uint8:
        return imresize(alpha, output_shape=size)
    from PIL import Image

    return np.asarray(Image.fromarray(alpha).resize((size[1], size[0]), Image.BICUBIC))
