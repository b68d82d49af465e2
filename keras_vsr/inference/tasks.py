"""Loading any preset as the task that uses it, and the per-frame callable
of a colouriser for the GIF/video pipelines (`keras_vsr.io`)."""

import functools
import warnings

import numpy as np

from keras_vsr.utils.precision import compute_device, dtype_policy, slow_precision_warning

DEFAULT_COLORIZER_PRESET = "grey2rgb_f16d3_291photos"
# The motion-compensated ConvLSTM interpolator: Middlebury-other RGB 33.63 dB
# (R, G and B each run as a grey frame) against 28.01 dB for frame averaging;
# see its model card.
DEFAULT_INTERPOLATOR_PRESET = "conv_lstm_interpolator_f16_vimeo_grey_mc"
# The learned chroma fusion of `colorize --key-frames`: above propagation
# alone at every key-frame spacing of `keras-vsr evaluate fusion`; see its
# model card.
DEFAULT_FUSION_PRESET = "chroma_fusion_f16d2_clips"

PURPOSES = ("upscale", "interpolate", "colorize", "fuse")


def _task_classes():
    """Backbone class name -> `(purpose, task class)`; any other backbone
    is a `SuperResolver`'s."""
    from keras_vsr import models

    return {
        "ConvLSTMInterpolatorBackbone": ("interpolate", models.ConvLSTMInterpolator),
        "FFCInterpolatorBackbone": ("interpolate", models.FFCInterpolator),
        "IFNetBackbone": ("interpolate", models.IFNetInterpolator),
        "Grey2RGBBackbone": ("colorize", models.Grey2RGBColorizer),
        "ChromaFusionBackbone": ("fuse", models.ChromaFusion),
    }


def build_task(preset, purpose="upscale", load_weights=True, precision="float32"):
    """Build `preset` (name, folder, `hf://owner/name`, or a PyTorch
    checkpoint converted through `conversion.resolve_preset`) as the task for
    `purpose`: `"upscale"` (a `SuperResolver`), `"interpolate"` (a
    `FrameInterpolator`) or `"colorize"` (a `Grey2RGBColorizer`), its
    class picked by the preset's backbone class (`FFCInterpolatorBackbone`
    -> `FFCInterpolator`, ...). `precision` ("float32", "bfloat16" or
    "float16") builds it under that dtype policy
    (`keras_vsr.utils.precision.dtype_policy`), with the same weights.

    Raises:
        ValueError: for a bad `purpose` or `precision`, or a preset of another kind (the
            message lists the built-in presets that fit).
    """
    import keras

    from keras_vsr.models import SRBackbone, SuperResolver
    from keras_vsr.models import list_presets
    from keras_vsr.models.conversion import resolve_preset

    if purpose not in PURPOSES:
        raise ValueError(f"`purpose` must be one of {PURPOSES}. Received: purpose={purpose!r}")
    policy = dtype_policy(precision)  # checked before anything loads
    slow = slow_precision_warning(precision, compute_device(), keras.config.backend())
    if slow:
        warnings.warn(slow, stacklevel=2)
    backbone = SRBackbone.from_preset(resolve_preset(preset), load_weights=load_weights, dtype=policy)
    kind, task_cls = _task_classes().get(type(backbone).__name__, ("upscale", SuperResolver))
    if kind != purpose:
        fitting = [
            p["name"]
            for p in list_presets()
            if _task_classes().get(p["class"], ("upscale",))[0] == purpose
        ]
        raise ValueError(
            f"preset '{preset}' is a {type(backbone).__name__}, made to {kind}, not to {purpose}. "
            f"Built-in presets that {purpose}: {', '.join(fitting) or '(none installed)'}"
        )
    return task_cls(backbone=backbone, compile=False)


@functools.lru_cache(maxsize=4)
def load_task(preset, purpose="upscale", precision="float32"):
    """`build_task(preset, purpose, precision=precision)` with its weights,
    cached per preset, purpose and precision."""
    return build_task(preset, purpose, precision=precision)


def colorize_fn(colorizer):
    """`frame -> RGB frame` on uint8 frames (grey, RGB or RGBA; colour is
    converted to grey first, alpha is kept) from a `Grey2RGBColorizer`."""

    def colorize(frame):
        frame = np.asarray(frame)
        alpha = frame[..., 3:] if frame.ndim == 3 and frame.shape[-1] == 4 else None
        rgb = colorizer.colorize(frame[..., :3] if alpha is not None else frame)
        return np.concatenate([rgb, alpha], axis=-1) if alpha is not None else rgb

    return colorize
