"""`keras_vsr.interpolate()`: raise the frame rate of a clip, uint8 in and out.

Any interpolator works that has `predict_middle(frames_a, frames_b)` (float
`(batch, h, w, c)` in [0, 1] -> the middle frames) and a `channels`
attribute: `FFCInterpolator`, `ConvLSTMInterpolator`, or your own object.
Frames are converted to float a chunk of pairs at a time, so a long clip
(even a generator of frames) never needs all its frames as float.
"""

import numbers
import os

import numpy as np

# The motion-compensated ConvLSTM interpolator: Middlebury-other RGB 33.63 dB
# (R, G and B each run as a grey frame) against 28.01 dB for frame averaging;
# see its model card.
DEFAULT_INTERPOLATOR_PRESET = "conv_lstm_interpolator_f16_vimeo_grey_mc"
FACTORS = (2, 4)


def load_interpolator(preset=DEFAULT_INTERPOLATOR_PRESET):
    """The interpolator task of a preset (name, local folder or `hf://` handle), cached.

    `keras_vsr.inference.tasks.load_task(preset, "interpolate")`: the
    preset's backbone class picks the task class (`FFCInterpolatorBackbone`
    -> `FFCInterpolator`, `ConvLSTMInterpolatorBackbone` ->
    `ConvLSTMInterpolator`).

    Raises:
        ValueError: unknown preset, or a preset that is not an interpolator
            (the message names the built-in presets that are).
    """
    from keras_vsr.inference.tasks import load_task

    return load_task(preset, "interpolate")


def _resolve_model(model):
    if model is None:
        return load_interpolator(DEFAULT_INTERPOLATOR_PRESET)
    if isinstance(model, (str, os.PathLike)):
        return load_interpolator(os.fspath(model))
    if not callable(getattr(model, "predict_middle", None)):
        raise ValueError(
            "`model` must be None, a preset name or folder, or an object with a "
            f"`predict_middle(frames_a, frames_b)` method. Received: {type(model).__name__}"
        )
    return model


def _check_frame(frame, index, reference):
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(
            f"Frames must be uint8 arrays. Received frame {index} with dtype {frame.dtype} "
            "(convert with e.g. `np.clip(x * 255, 0, 255).round().astype('uint8')`)."
        )
    if frame.ndim == 2:
        frame = frame[..., None]
    if frame.ndim != 3 or frame.shape[-1] not in (1, 3) or min(frame.shape[:2]) < 1:
        raise ValueError(
            f"Frames must be (h, w), (h, w, 1) or (h, w, 3) uint8 arrays. Received frame {index} "
            f"with shape {frame.shape}"
        )
    if reference is not None and frame.shape != reference:
        raise ValueError(
            f"All frames must have the same size and channels. Frame {index} has shape "
            f"{frame.shape}, frame 0 has {reference}."
        )
    return frame


def _to_uint8(x):
    return np.round(np.clip(np.asarray(x, dtype="float32"), 0.0, 1.0) * 255.0).astype(np.uint8)


def colour_kwargs(model, frames):
    """Arguments making a grey model (`channels == 1`) interpolate RGB
    `frames` channel by channel rather than as luma."""
    import inspect

    if getattr(model, "channels", 3) == 1 and np.shape(frames)[-1] == 3:
        if "colour" in inspect.signature(model.predict_middle).parameters:
            return {"colour": "per_channel"}
    return {}


def _middles(model, pairs, batch_size):
    """uint8 middle frames of a list of uint8 `(a, b)` pairs."""
    a = np.stack([p[0] for p in pairs]).astype("float32") / 255.0
    b = np.stack([p[1] for p in pairs]).astype("float32") / 255.0
    out = []
    for start in range(0, len(pairs), batch_size):
        y = model.predict_middle(a[start : start + batch_size], b[start : start + batch_size], **colour_kwargs(model, a))
        y = np.asarray(y)
        if y.shape != a[start : start + batch_size].shape:
            raise ValueError(
                f"The model's predict_middle returned shape {y.shape} for frames of shape "
                f"{a[start : start + batch_size].shape}."
            )
        out.append(_to_uint8(y))
    return list(np.concatenate(out))


def _in_between(model, pairs, factor, batch_size):
    """For each pair, the `factor - 1` frames between its two frames, in order."""
    mids = _middles(model, pairs, batch_size)
    if factor == 2:
        return [[m] for m in mids]
    quarter_pairs = []
    for (a, b), m in zip(pairs, mids):
        quarter_pairs += [(a, m), (m, b)]
    quarters = _middles(model, quarter_pairs, batch_size)
    return [[quarters[2 * i], mids[i], quarters[2 * i + 1]] for i in range(len(pairs))]


def _check_options(factor, scene_cuts, chunk_size, batch_size):
    if isinstance(factor, bool) or factor not in FACTORS:
        raise ValueError(f"`factor` must be 2 or 4. Received: factor={factor!r}")
    for name, value in (("chunk_size", chunk_size), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    if scene_cuts is None or isinstance(scene_cuts, str) and scene_cuts == "auto":
        return scene_cuts
    try:
        cuts = {int(c) for c in scene_cuts}
    except (TypeError, ValueError):
        raise ValueError(
            f"`scene_cuts` must be None, 'auto' or a list of frame indices. Received: {scene_cuts!r}"
        ) from None
    return cuts


def iter_interpolated(frames, factor=2, model=None, scene_cuts=None, chunk_size=16, batch_size=4):
    """Yield the frames of the interpolated clip one at a time (see `interpolate`).

    `frames` may be any iterable of uint8 frames, e.g. a video decoder; only
    `chunk_size + 1` input frames are held at once.
    """
    cuts = _check_options(factor, scene_cuts, chunk_size, batch_size)
    model = _resolve_model(model)
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        raise ValueError("Interpolation needs at least two frames. Received none.") from None
    previous = _check_frame(first, 0, None)
    reference = previous.shape
    index, emitted_first = 0, False
    while True:
        chunk = []  # (index of the second frame, a, b)
        for frame in iterator:
            index += 1
            frame = _check_frame(frame, index, reference)
            chunk.append((index, previous, frame))
            previous = frame
            if len(chunk) >= chunk_size:
                break
        if not chunk:
            if not emitted_first:
                raise ValueError("Interpolation needs at least two frames. Received 1.")
            return
        if not emitted_first:
            yield chunk[0][1]
            emitted_first = True
        if cuts == "auto":
            from keras_vsr.io.video import detect_scene_cuts

            at_cut = [bool(detect_scene_cuts([a[..., 0] if a.shape[-1] == 1 else a, b[..., 0] if b.shape[-1] == 1 else b])) for _, a, b in chunk]
        else:
            at_cut = [bool(cuts) and i in cuts for i, _, _ in chunk]
        smooth = [(a, b) for (_, a, b), cut in zip(chunk, at_cut) if not cut]
        results = iter(_in_between(model, smooth, factor, batch_size)) if smooth else iter(())
        for (_, a, b), cut in zip(chunk, at_cut):
            if cut:  # never across a cut: hold the nearer frame
                middle = [a if (k + 1) / factor <= 0.5 else b for k in range(factor - 1)]
            else:
                middle = next(results)
            yield from middle
            yield b


def interpolate(frames, factor=2, model=None, scene_cuts=None, chunk_size=16, batch_size=4):
    """Raise the frame rate of a clip by `factor`.

    Between every two consecutive frames, `factor - 1` new frames are put:
    the model's middle frame for `factor=2`; for `factor=4` the middle frame,
    then the middles of (first, middle) and (middle, second) (recursive
    midpoints). `n` frames give `(n - 1) * factor + 1` frames; the input
    frames are kept unchanged.

    Args:
        frames: uint8 array `(n, h, w)`, `(n, h, w, 1)` or `(n, h, w, 3)`, or
            an iterable of uint8 frames `(h, w[, c])` (e.g. a video reader),
            at least two, all of one shape. Grey frames given to an RGB
            model, or RGB frames given to a grey model, are handled by the
            model's `predict_middle` (`FFCInterpolator` copies grey to RGB,
            and interpolates RGB channel by channel with a grey model).
        factor: int, 2 or 4. Default 2.
        model: an object with `predict_middle` (e.g. `FFCInterpolator`,
            `ConvLSTMInterpolator`), a preset name or folder, or None for
            `DEFAULT_INTERPOLATOR_PRESET`. Default None.
        scene_cuts: None (no cuts), a list of frame indices that start a new
            shot (as `keras_vsr.io.video.detect_scene_cuts` returns), or
            "auto" (detect them pair by pair). Nothing is interpolated
            across a cut: the new frames there repeat the nearer input frame
            (the earlier one up to the midpoint). Default None.
        chunk_size: int, frame pairs converted to float and interpolated at
            a time. Default 16.
        batch_size: int, pairs per model call. Default 4.

    Returns:
        uint8 array `(m, h, w, c)` with `m = (n - 1) * factor + 1` (grey
        `(n, h, w)` input gives `(m, h, w)`).

    Raises:
        ValueError: fewer than two frames, frames of different sizes or
            channel counts, non-uint8 frames, `factor` not 2 or 4, or a bad
            `model` / `scene_cuts`.
    """
    squeeze = isinstance(frames, np.ndarray) and frames.ndim == 3
    if isinstance(frames, np.ndarray) and frames.ndim not in (3, 4):
        raise ValueError(
            f"`frames` must be an (n, h, w) or (n, h, w, c) array or an iterable of frames. "
            f"Received an array of shape {frames.shape}"
        )
    out = np.stack(list(iter_interpolated(frames, factor, model, scene_cuts, chunk_size, batch_size)))
    return out[..., 0] if squeeze else out
