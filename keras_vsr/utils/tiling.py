"""Memory-bounded super-resolution: upscale an image tile by tile.

A fully convolutional model's memory grows with the input: an x4 SRResNet
with 48 filters holds feature maps of `48 * 16` floats per LR pixel after
upsampling, so a 4000x3000 photo needs tens of GB at once. `upscale_tiled`
runs the model on windows of at most `tile + 2 * overlap` LR pixels per side
and writes each window's centre into a preallocated output of the input's
dtype, so peak memory depends on `tile`, not on the image.

Choosing `overlap`: each output pixel depends on the LR pixels within the
model's receptive-field radius `r`. When `overlap >= r`, every written
pixel sees exactly the context it would see in whole-image inference, and
the tiled result equals it up to floating-point rounding (at most 1 grey
level after quantisation). The image border needs no overlap: windows are
clamped to the image, so the model pads there as it does on the whole image.
A model that pads its input to a multiple of `m` and groups pixels by that
grid (a pixel unshuffle, attention windows, strided convolutions) sees the
same grid in every window only when windows start at multiples of `m`:
`upscale_tiled(align=m)` does that.

Every keras_vsr SR backbone states its radius, in LR pixels, as
`receptive_radius` (derived from its configuration), and `default_overlap`
turns it into the overlap that `SuperResolver.upscale(tile_overlap=None)`
uses. For `SRResNetBackbone`,

    r = head_kernel_size // 2 + 2 * num_blocks + 1 + u + (tail_kernel_size // 2) / scale

where `u` (the sub-pixel upsampling convolutions) is 1 for x2 and x3 and
1.5 for x4, and `r >= 2` when `image_residual=True` (bicubic). For example
8 blocks with 3x3 head and tail at x4 give `r = 19.75`, so `overlap=20` is
exact. A smaller overlap leaves seams whose strength depends on the
weights; only `overlap >= r` guarantees the 1-level bound. Deep networks
(RRDBNet: `r` about 348 for 23 blocks; SwinIR, whose windowed attention
reaches `window_size - 1` pixels further in every layer) have radii far
beyond an efficient overlap; their `measured_overlap` is the overlap at
which tiled and whole-image results were measured to agree
(`tools/seam_error.py`).
"""

import math

import numpy as np

from keras_vsr.utils.images import from_float, to_float

AUTO_TILE_PIXELS = 512 * 512
"""`tile="auto"` tiles images with more LR pixels (`h * w`) than this."""

AUTO_TILE_SIZE = 256
"""The tile size, in LR pixels, that `tile="auto"` uses."""

MAX_DEFAULT_OVERLAP = 64
"""The largest overlap `default_overlap` derives from a receptive radius.

A tile of `AUTO_TILE_SIZE` (256) with overlap 64 computes `(256 + 2 * 64)**2
/ 256**2 = 2.25` times its own pixels; RRDBNet's radius of 348 would make
that 13.8 times. Models with larger radii use their `measured_overlap`."""


def subpixel_radius(scale, kernel_size=3):
    """The receptive radius, in LR pixels, of sub-pixel upsampling by
    `scale` (`keras_vsr.layers.SubPixelUpsample`): a `kernel_size`
    convolution before every pixel shuffle, x2 steps for 4 and 8, one step
    for 2 and 3; each convolution reaches `kernel_size // 2` pixels at its
    own resolution."""
    steps = {2: [2], 3: [3], 4: [2, 2], 8: [2, 2, 2]}[scale]
    return sum((kernel_size // 2) / 2**i for i in range(len(steps)))


def default_overlap(backbone):
    """The tile overlap, in LR pixels, that `backbone` is tiled with by default.

    `ceil(backbone.receptive_radius)` when it is at most
    `MAX_DEFAULT_OVERLAP` (tiles then equal whole-image inference within one
    grey level). Otherwise `backbone.measured_overlap` (the overlap measured
    to keep seams within one grey level, see `tools/seam_error.py`) where the
    backbone has one, else `MAX_DEFAULT_OVERLAP`; a backbone without a
    `receptive_radius` also gets `MAX_DEFAULT_OVERLAP`.

    Args:
        backbone: a model with `receptive_radius` (number, LR pixels) and
            optionally `measured_overlap` (int).

    Returns:
        int >= 0.
    """
    radius = getattr(backbone, "receptive_radius", None)
    if radius is not None and math.ceil(radius) <= MAX_DEFAULT_OVERLAP:
        return int(math.ceil(radius))
    measured = getattr(backbone, "measured_overlap", None)
    return MAX_DEFAULT_OVERLAP if measured is None else int(measured)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_tile(tile):
    if not _is_int(tile) or tile < 1:
        raise ValueError(f"`tile` must be a positive int. Received: tile={tile!r}")


def _check_overlap(overlap, name="overlap"):
    if not _is_int(overlap) or overlap < 0:
        raise ValueError(f"`{name}` must be an int >= 0. Received: {name}={overlap!r}")


def resolve_tile(tile, tile_overlap, height, width):
    """Validate tiling arguments and pick the tile size for one image.

    Args:
        tile: `None` (never tile), a positive int (always tile with that
            many LR pixels per side) or `"auto"` (tile with `AUTO_TILE_SIZE`
            when `height * width > AUTO_TILE_PIXELS`, otherwise do not tile).
        tile_overlap: int >= 0, the overlap the caller will tile with,
            checked here so that a bad value fails on every image, not only
            on those large enough to be tiled.
        height: int, LR image height.
        width: int, LR image width.

    Returns:
        The tile size (int), or `None` for whole-image inference.
    """
    _check_overlap(tile_overlap, name="tile_overlap")
    if tile is None:
        return None
    if isinstance(tile, str):
        if tile != "auto":
            raise ValueError(f'`tile` must be None, "auto" or a positive int. Received: tile={tile!r}')
        return AUTO_TILE_SIZE if height * width > AUTO_TILE_PIXELS else None
    _check_tile(tile)
    return int(tile)


def _windows(size, tile, overlap, align=1):
    """Tiles along one axis of length `size`.

    Yields `(start, stop, window_start, window_stop)`: the tile `[start,
    stop)` is computed from the input window `[window_start, window_stop)`,
    which has at least `overlap` pixels of context on each side except where
    it meets the image border, and starts at a multiple of `align`. Windows
    have the same length, `min(tile + 2 * overlap + align - 1, size)`: a
    window that would cross the border is shifted inwards (gaining context)
    instead of shrunk, so the model sees few distinct input shapes (one
    compilation on JAX and TensorFlow); with `align > 1` the window that
    ends at the border starts at the multiple of `align` below and is up to
    `align - 1` pixels longer.
    """
    window = min(tile + 2 * overlap + align - 1, size)
    for start in range(0, size, tile):
        stop = min(start + tile, size)
        window_start = min(max(start - overlap, 0), size - window)
        at_border = window_start == size - window
        window_start -= window_start % align
        yield start, stop, window_start, size if at_border else window_start + window


def upscale_tiled(predict_fn, image, scale, tile=256, overlap=16, progress=None, align=1):
    """Super-resolve `image` tile by tile, with memory bounded by `tile`.

    The image is cut into `tile` x `tile` LR tiles (smaller at the right and
    bottom edges when its size is not a multiple of `tile`; one tile when it
    is smaller than `tile`). Each tile is predicted from a window with
    `overlap` LR pixels of real context on each side, clamped at the image
    border, and only the tile's own region of the prediction is written,
    converted to the input dtype, into the preallocated output. No
    full-size float array is created for integer inputs. See the module
    docstring for how to choose `overlap`.

    Args:
        predict_fn: callable mapping a float32 array `(1, h, w, 3)` in
            [0, 1] to `(1, h * scale, w * scale, 3)` (array or tensor), e.g.
            `SuperResolver.predict_on_batch`.
        image: array `(h, w, 3)`, RGB; uint8, uint16, or float in [0, 1].
        scale: int, the model's upscaling factor.
        tile: int, tile side in LR pixels. Default 256.
        overlap: int >= 0, LR pixels of context on each side of a tile.
            Default 16.
        progress: optional callable wrapping the list of tiles, e.g.
            `tqdm.tqdm`, to report progress. Default `None`.
        align: int >= 1, windows start at multiples of `align` LR pixels
            (the model's `size_multiple`), so a model that works on a grid
            of that size sees the same grid as on the whole image. Default 1.

    Returns:
        Array `(h * scale, w * scale, 3)` of `image`'s dtype.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an RGB image of shape (h, w, 3). Received shape {image.shape}")
    if not _is_int(scale) or scale < 1:
        raise ValueError(f"`scale` must be a positive int. Received: scale={scale!r}")
    _check_tile(tile)
    _check_overlap(overlap)
    if not _is_int(align) or align < 1:
        raise ValueError(f"`align` must be a positive int. Received: align={align!r}")

    height, width, _ = image.shape
    output = np.empty((height * scale, width * scale, 3), dtype=image.dtype)
    tiles = [
        (rows, cols)
        for rows in _windows(height, tile, overlap, align)
        for cols in _windows(width, tile, overlap, align)
    ]
    for (y0, y1, wy0, wy1), (x0, x1, wx0, wx1) in progress(tiles) if progress else tiles:
        window = to_float(image[wy0:wy1, wx0:wx1])
        prediction = np.asarray(predict_fn(window[None]))
        expected = (1, (wy1 - wy0) * scale, (wx1 - wx0) * scale, 3)
        if prediction.shape != expected:
            raise ValueError(
                f"`predict_fn` must map (1, h, w, 3) to (1, h * scale, w * scale, 3) with "
                f"scale={scale}: expected {expected} for input {window[None].shape}. "
                f"Received shape {prediction.shape}"
            )
        inner = prediction[0, (y0 - wy0) * scale : (y1 - wy0) * scale, (x0 - wx0) * scale : (x1 - wx0) * scale]
        output[y0 * scale : y1 * scale, x0 * scale : x1 * scale] = from_float(inner, image.dtype)
    return output
