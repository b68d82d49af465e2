"""`keras_vsr.upscale()`: one call from a uint8 image to a larger one."""

from keras_vsr.inference.tasks import load_task

DEFAULT_PRESET = "srresnet_b8f48_291photos_x4"
# The default for GIF input: the network fine-tuned on JPEG, GIF-palette and
# noise damage, which measures better than `DEFAULT_PRESET` on 64-colour
# dithered GIF frames (its model card; README "Real-world input").
DEFAULT_GIF_PRESET = "srresnet_b8f48_realworld_x4"


def load_super_resolver(preset=DEFAULT_PRESET, precision="float32"):
    """The `SuperResolver` of `preset` built under `precision`'s dtype
    policy ("float32", "bfloat16" or "float16"; see
    `keras_vsr.utils.precision`), cached per preset and precision
    (`keras_vsr.inference.tasks.load_task(preset, "upscale", precision)`).

    Raises:
        ValueError: unknown preset, a preset that does not upscale, or a bad
            `precision`.
    """
    return load_task(preset, "upscale", precision)


def upscale(image, preset=DEFAULT_PRESET, tile="auto", tile_overlap=None, precision="float32", self_ensemble=False):
    """Super-resolve `image` (uint8/uint16/float array, grey, RGB or RGBA).

    See `SuperResolver.upscale` for how channels, dtypes and tiling are
    handled.

    Args:
        image: array `(h, w)`, `(h, w, 1)`, `(h, w, 3)` or `(h, w, 4)`.
        preset: str, preset name, local folder or `hf://owner/name`.
            Default `DEFAULT_PRESET`.
        tile: `None` (whole image), int (tile size in LR pixels) or
            `"auto"` (tile large images only). Default `"auto"`.
        tile_overlap: int >= 0, LR pixels of context around each tile, or
            None for the model's default (its receptive radius, at most 64;
            see `keras_vsr.utils.tiling.default_overlap`). Default None.
        precision: `"float32"`, `"bfloat16"` or `"float16"`: the model
            computes in that type (Keras' mixed policies; weights stay
            float32). Reduced precision is faster only on hardware with
            native support (see the README's precision table). Default
            `"float32"`.
        self_ensemble: bool, average over the eight flips and rotations of
            the input (eight times the time). Default False.
    """
    return load_super_resolver(preset, precision).upscale(
        image, tile=tile, tile_overlap=tile_overlap, self_ensemble=self_ensemble
    )
