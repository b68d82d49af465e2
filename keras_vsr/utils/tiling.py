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
For `SRResNetBackbone`, in LR pixels,

    r = head_kernel_size // 2 + 2 * num_blocks + 1 + u + (tail_kernel_size // 2) / scale

where `u` (the sub-pixel upsampling convolutions) is 1 for x2 and x3 and
1.5 for x4, and `r >= 2` when `image_residual=True` (bicubic). For example
8 blocks with 3x3 head and tail at x4 give `r = 19.75`, so `overlap=20` is
exact; `overlap=16` (the default here) is exact up to 6 such blocks, and
`SuperResolver.upscale` defaults to 24, which covers the bundled x4 preset. A smaller
overlap leaves seams whose strength depends on the weights; only
`overlap >= r` guarantees the 1-level bound.
"""

import numpy as np

from keras_vsr.utils.images import from_float, to_float

AUTO_TILE_PIXELS = 512 * 512
"""`tile="auto"` tiles images with more LR pixels (`h * w`) than this."""

AUTO_TILE_SIZE = 256
"""The tile size, in LR pixels, that `tile="auto"` uses."""


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


def _windows(size, tile, overlap):
    """Tiles along one axis of length `size`.

    Yields `(start, stop, window_start, window_stop)`: the tile `[start,
    stop)` is computed from the input window `[window_start, window_stop)`,
    which has at least `overlap` pixels of context on each side except where
    it meets the image border. All windows have the same length,
    `min(tile + 2 * overlap, size)`: a window that would cross the border is
    shifted inwards (gaining context) instead of shrunk, so the model sees
    few distinct input shapes (one compilation on JAX and TensorFlow).
    """
    window = min(tile + 2 * overlap, size)
    for start in range(0, size, tile):
        stop = min(start + tile, size)
        window_start = min(max(start - overlap, 0), size - window)
        yield start, stop, window_start, window_start + window


def upscale_tiled(predict_fn, image, scale, tile=256, overlap=16, progress=None):
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

    height, width, _ = image.shape
    output = np.empty((height * scale, width * scale, 3), dtype=image.dtype)
    tiles = [
        (rows, cols)
        for rows in _windows(height, tile, overlap)
        for cols in _windows(width, tile, overlap)
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
