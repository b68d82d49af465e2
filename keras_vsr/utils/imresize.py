"""MATLAB-compatible bicubic `imresize` in NumPy.

This is the resize that made the LR images of Set5/Set14/DIV2K: Keys cubic
kernel (a = -0.5), antialiasing when downscaling (the kernel is stretched by
1/scale), symmetric border handling, output size `ceil(in * scale)`. It is the
reference for the evaluation protocol and for on-the-fly training pairs.
"""

import functools
import math

import numpy as np


def cubic(x):
    """Keys cubic convolution kernel with a = -0.5, as MATLAB uses."""
    x = np.abs(x)
    x2, x3 = x * x, x * x * x
    return (1.5 * x3 - 2.5 * x2 + 1.0) * (x <= 1) + (
        -0.5 * x3 + 2.5 * x2 - 4.0 * x + 2.0
    ) * ((x > 1) & (x <= 2))


def resize_matrix(in_length, out_length, scale=None, antialias=True):
    """Dense `(out_length, in_length)` matrix of MATLAB bicubic weights.

    Args:
        in_length: int, input size along the axis.
        out_length: int, output size along the axis.
        scale: float or None; defaults to `out_length / in_length`.
        antialias: bool, stretch the kernel when downscaling. Default True.
    """
    if scale is None:
        scale = out_length / in_length
    kernel_width = 4.0
    if scale < 1 and antialias:
        kernel = lambda t: scale * cubic(scale * t)  # noqa: E731
        kernel_width = kernel_width / scale
    else:
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    weights = kernel(u[:, None] - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length)[::-1]])
    indices = mirror[np.mod(indices - 1, 2 * in_length).astype(np.int64)]
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    rows = np.repeat(np.arange(out_length), taps)
    np.add.at(matrix, (rows, indices.ravel()), weights.ravel())
    return matrix


def imresize(image, scale=None, output_shape=None, antialias=True):
    """Resize an `(H, W)` or `(H, W, C)` image like MATLAB `imresize(..., 'bicubic')`.

    Args:
        image: array. uint8 input gives a rounded, clipped uint8 output;
            uint16 likewise; floating input gives float64 output, unclipped.
        scale: float, the factor for both axes. Output size is
            `ceil(H * scale), ceil(W * scale)`.
        output_shape: `(out_h, out_w)`, instead of `scale`.
        antialias: bool, default True.
    """
    image = np.asarray(image)
    if (scale is None) == (output_shape is None):
        raise ValueError("Pass exactly one of `scale` and `output_shape`.")
    h, w = image.shape[:2]
    if output_shape is None:
        output_shape = (int(math.ceil(h * scale)), int(math.ceil(w * scale)))
        scale_h = scale_w = scale
    else:
        scale_h, scale_w = output_shape[0] / h, output_shape[1] / w
    out_h, out_w = int(output_shape[0]), int(output_shape[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(f"Output shape must be positive. Received: {(out_h, out_w)}")
    mh = resize_matrix(h, out_h, scale_h, antialias)
    mw = resize_matrix(w, out_w, scale_w, antialias)
    x = image.astype(np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    # Resize the longer-shrinking axis first, as MATLAB orders its passes.
    out = np.einsum("oh,hwc->owc", mh, x)
    out = np.einsum("pw,owc->opc", mw, out)
    if squeeze:
        out = out[:, :, 0]
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        out = np.clip(np.round(out), info.min, info.max).astype(image.dtype)
    return out


@functools.lru_cache(maxsize=32)
def _float32_matrix(in_length, out_length):
    matrix = resize_matrix(in_length, out_length).astype("float32")
    matrix.flags.writeable = False
    return matrix


def resize_batch(images, size):
    """MATLAB-bicubic resize of a float batch `(batch, h, w, c)` to `size = (h2, w2)`.

    The numbers of `imresize(image, output_shape=size)` for each image
    (antialiased when shrinking), computed in float32 with dense resize
    matrices, which are cached per size: the training pairs' LR images.

    Returns:
        float32 array `(batch, h2, w2, c)`, not clipped.
    """
    mh = _float32_matrix(images.shape[1], int(size[0]))
    mw = _float32_matrix(images.shape[2], int(size[1]))
    out = np.einsum("oh,bhwc->bowc", mh, images, optimize=True)
    return np.einsum("pw,bowc->bopc", mw, out, optimize=True)


def resize_taps(in_length, out_length, antialias=True):
    """The non-zero entries of `resize_matrix` row by row.

    Returns `(indices, weights)`, each `(out_length, taps)`: output pixel `o`
    is `sum_t weights[o, t] * input[indices[o, t]]` (rows with fewer taps are
    padded with index 0 and weight 0). A handful of taps per pixel instead
    of a dense matrix, for resizing large frames.
    """
    matrix = resize_matrix(in_length, out_length, antialias=antialias)
    taps = max(1, int((matrix != 0).sum(axis=1).max()))
    indices = np.zeros((out_length, taps), "int32")
    weights = np.zeros((out_length, taps), "float32")
    for o in range(out_length):
        nz = np.nonzero(matrix[o])[0]
        indices[o, : len(nz)] = nz
        weights[o, : len(nz)] = matrix[o, nz]
    return indices, weights


def bicubic_resize(image, size):
    """MATLAB-bicubic resize of a float image `(h, w, c)` to `size = (h2, w2)`.

    The numbers of `imresize(image, output_shape=size)` (antialiased when
    shrinking), computed in float32 from the few non-zero taps per output
    pixel (`resize_taps`) instead of dense matrices, so 720p -> 1080p takes
    tens of milliseconds.

    Args:
        image: float array `(h, w, c)`.
        size: pair of ints `(h2, w2)`.

    Returns:
        float32 array `(h2, w2, c)`, not clipped.
    """
    image = np.asarray(image, dtype="float32")
    out_h, out_w = int(size[0]), int(size[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(f"`size` must be positive. Received: size={tuple(size)}")
    x = image
    if out_h != x.shape[0]:
        idx, wts = resize_taps(x.shape[0], out_h)
        x = sum(wts[:, t, None, None] * x[idx[:, t]] for t in range(idx.shape[1]))
    if out_w != x.shape[1]:
        idx, wts = resize_taps(x.shape[1], out_w)
        x = sum(wts[None, :, t, None] * x[:, idx[:, t]] for t in range(idx.shape[1]))
    return np.asarray(x, dtype="float32")
