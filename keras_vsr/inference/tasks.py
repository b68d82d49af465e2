"""Loading any preset as the task that uses it, and per-frame callables for
the GIF/video pipelines (`keras_vsr.io`)."""

import functools

import numpy as np

from keras_vsr.inference.interpolate import DEFAULT_INTERPOLATOR_PRESET, colour_kwargs  # noqa: F401
from keras_vsr.utils.images import from_float, to_float

DEFAULT_COLORIZER_PRESET = "grey2rgb_f16d3_291photos"

PURPOSES = ("upscale", "interpolate", "colorize")


def _task_classes():
    from keras_vsr import models

    return {
        "ConvLSTMInterpolatorBackbone": ("interpolate", models.ConvLSTMInterpolator),
        "FFCInterpolatorBackbone": ("interpolate", models.FFCInterpolator),
        "Grey2RGBBackbone": ("colorize", models.Grey2RGBColorizer),
    }


@functools.lru_cache(maxsize=4)
def load_task(preset, purpose="upscale"):
    """Load `preset` (name, folder or `hf://owner/name`) as the task for
    `purpose`: `"upscale"` (a `SuperResolver`), `"interpolate"` (a frame
    interpolator with `predict_middle`) or `"colorize"` (a
    `Grey2RGBColorizer`). Cached per preset.

    Raises:
        ValueError: for a bad `purpose`, or a preset of another kind (the
            message lists the built-in presets that fit).
    """
    from keras_vsr.models import SRBackbone, SuperResolver
    from keras_vsr.presets import list_presets

    if purpose not in PURPOSES:
        raise ValueError(f"`purpose` must be one of {PURPOSES}. Received: purpose={purpose!r}")
    backbone = SRBackbone.from_preset(preset)
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


def middle_fn(interpolator):
    """`(frame_a, frame_b) -> middle frame` on uint8 frames, from a task with
    `predict_middle`. A grey model interpolates RGB frames channel by channel."""

    def middle(frame_a, frame_b):
        a, b = to_float(np.asarray(frame_a))[None], to_float(np.asarray(frame_b))[None]
        out = np.asarray(interpolator.predict_middle(a, b, **colour_kwargs(interpolator, a)))[0]
        return from_float(out.reshape(np.shape(frame_a)), np.uint8)

    return middle


def colorize_fn(colorizer):
    """`frame -> RGB frame` on uint8 frames (grey, RGB or RGBA; colour is
    converted to grey first, alpha is kept) from a `Grey2RGBColorizer`."""

    def colorize(frame):
        frame = np.asarray(frame)
        alpha = frame[..., 3:] if frame.ndim == 3 and frame.shape[-1] == 4 else None
        rgb = colorizer.colorize(frame[..., :3] if alpha is not None else frame)
        return np.concatenate([rgb, alpha], axis=-1) if alpha is not None else rgb

    return colorize
