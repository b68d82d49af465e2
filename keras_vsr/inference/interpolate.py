"""`keras_vsr.interpolate()`: raise the frame rate of a clip, uint8 in and out.

The model is a preset name or folder, or any object with
`predict_middle(frames_a, frames_b)` (a `keras_vsr.models.FrameInterpolator`
or your own); the frames go through the one frame-rate pipeline,
`keras_vsr.io.framerate.raise_frame_rate`, which streams them a chunk of
pairs at a time, so a long clip (even a generator of frames) never needs
all its frames in memory.
"""

import os

import numpy as np

from keras_vsr.inference.tasks import DEFAULT_INTERPOLATOR_PRESET, load_task
from keras_vsr.io.framerate import raise_frame_rate


def load_interpolator(preset=DEFAULT_INTERPOLATOR_PRESET, precision="float32"):
    """The interpolator task of a preset (name, local folder or `hf://` handle), cached.

    `keras_vsr.inference.tasks.load_task(preset, "interpolate", precision)`: the
    preset's backbone class picks the task class (`FFCInterpolatorBackbone`
    -> `FFCInterpolator`, `ConvLSTMInterpolatorBackbone` ->
    `ConvLSTMInterpolator`).

    Raises:
        ValueError: unknown preset, or a preset that is not an interpolator
            (the message names the built-in presets that are).
    """
    return load_task(preset, "interpolate", precision)


def _resolve_model(model, precision):
    if model is None:
        return load_interpolator(DEFAULT_INTERPOLATOR_PRESET, precision)
    if isinstance(model, (str, os.PathLike)):
        return load_interpolator(os.fspath(model), precision)
    return model


def iter_interpolated(frames, factor=2, model=None, scene_cuts=None, chunk_size=16, batch_size=4,
                      scene_threshold=0.1, precision="float32"):
    """The frames of the interpolated clip, one at a time (see `interpolate`).

    `frames` may be any iterable of uint8 frames, e.g. a video decoder; only
    `chunk_size + 1` input frames are held at once.
    """
    return raise_frame_rate(frames, _resolve_model(model, precision), factor, scene_cuts, scene_threshold, chunk_size, batch_size)


def interpolate(frames, factor=2, model=None, scene_cuts=None, chunk_size=16, batch_size=4, scene_threshold=0.1,
                precision="float32"):
    """Raise the frame rate of a clip by `factor`.

    Between every two consecutive frames, `factor - 1` new frames are put
    by recursive midpoints: the model's middle frame for `factor=2`; for 4,
    also the middles of (first, middle) and (middle, second); for 8, one
    level more. `n` frames give `(n - 1) * factor + 1` frames; the input
    frames are kept unchanged. No frame is blended across a scene cut: the
    `factor - 1` frames between the last frame of a scene and the first of
    the next repeat the frame before the cut. These are the rules of
    `keras_vsr.io.framerate`, which GIF and video writing follow too (a
    video also holds its last frame, to keep its duration).

    Args:
        frames: uint8 array `(n, h, w)`, `(n, h, w, 1)` or `(n, h, w, 3)`, or
            an iterable of uint8 frames `(h, w[, c])` (e.g. a video reader),
            at least two, all of one shape. Grey frames given to an RGB
            model, or RGB frames given to a grey model, are handled by the
            model's `predict_middle` (a `FrameInterpolator` copies grey to
            RGB, and runs a grey model on RGB as its `colour_mode` says,
            by default channel by channel).
        factor: int, 2, 4 or 8. Default 2.
        model: an object with `predict_middle` (e.g. `FFCInterpolator`,
            `ConvLSTMInterpolator`), a preset name or folder, or None for
            `DEFAULT_INTERPOLATOR_PRESET`. Default None.
        scene_cuts: None (no cuts), a list of the indices of frames that
            start a new shot (as `keras_vsr.io.video.detect_scene_cuts`
            returns them), or "auto" (detected pair by pair with
            `scene_threshold`). Default None.
        chunk_size: int, frame pairs converted to float and interpolated at
            a time. Default 16.
        batch_size: int, pairs per model call. Default 4.
        scene_threshold: float in (0, 1], the mean grey change that counts
            as a cut for `scene_cuts="auto"`. Default 0.1.
        precision: `"float32"`, `"bfloat16"` or `"float16"`, the dtype
            policy a preset `model` is built under (weights stay float32);
            ignored for a model object. Default `"float32"`.

    Returns:
        uint8 array `(m, h, w, c)` with `m = (n - 1) * factor + 1` (grey
        `(n, h, w)` input gives `(m, h, w)`).

    Raises:
        ValueError: fewer than two frames, frames of different sizes or
            channel counts, non-uint8 frames, `factor` not 2, 4 or 8, or a
            bad `model`, `scene_cuts` or size.
    """
    return np.stack(
        list(iter_interpolated(frames, factor, model, scene_cuts, chunk_size, batch_size, scene_threshold, precision))
    )
