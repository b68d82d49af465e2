"""`keras_vsr.upscale()`: one call from a uint8 image to a larger one."""

import functools

DEFAULT_PRESET = "srresnet_b8f48_291photos_x4"


@functools.lru_cache(maxsize=4)
def load_super_resolver(preset=DEFAULT_PRESET):
    """`SuperResolver.from_preset(preset)`, cached per preset."""
    from keras_vsr.models import SuperResolver

    return SuperResolver.from_preset(preset, compile=False)


def upscale(image, preset=DEFAULT_PRESET, tile="auto", tile_overlap=24):
    """Super-resolve `image` (uint8/uint16/float array, grey, RGB or RGBA).

    See `SuperResolver.upscale` for how channels, dtypes and tiling are
    handled.

    Args:
        image: array `(h, w)`, `(h, w, 1)`, `(h, w, 3)` or `(h, w, 4)`.
        preset: str, preset name, local folder or `hf://owner/name`.
            Default `DEFAULT_PRESET`.
        tile: `None` (whole image), int (tile size in LR pixels) or
            `"auto"` (tile large images only). Default `"auto"`.
        tile_overlap: int >= 0, LR pixels of context around each tile.
            Default 24.
    """
    return load_super_resolver(preset).upscale(image, tile=tile, tile_overlap=tile_overlap)
