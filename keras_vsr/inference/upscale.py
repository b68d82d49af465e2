"""`keras_vsr.upscale()`: one call from a uint8 image to a larger one."""

import functools

DEFAULT_PRESET = "srresnet_b8f48_291photos_x4"


@functools.lru_cache(maxsize=4)
def load_super_resolver(preset=DEFAULT_PRESET):
    """`SuperResolver.from_preset(preset)`, cached per preset."""
    from keras_vsr.models import SuperResolver

    return SuperResolver.from_preset(preset, compile=False)


def upscale(image, preset=DEFAULT_PRESET):
    """Super-resolve `image` (uint8/uint16/float array, grey, RGB or RGBA).

    See `SuperResolver.upscale` for how channels and dtypes are handled.
    """
    return load_super_resolver(preset).upscale(image)
