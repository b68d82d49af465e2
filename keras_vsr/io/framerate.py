"""Raising the frame rate of clips, GIFs and videos with a frame interpolator.

This is keras_vsr's one frame-rate pipeline: `keras_vsr.interpolate`,
`FrameInterpolator.interpolate`, `SpatioTemporalFusion`, the CLI's
`interpolate` command and the web app all run it.

The interpolator is any object with a method `predict_middle(frames_a,
frames_b)` that maps two float32 batches `(batch, h, w, c)` in [0, 1] to
their middle frames, of the same shape (every
`keras_vsr.models.FrameInterpolator` does; a grey model given RGB frames
follows its own `colour_mode`). A time-conditioned interpolator also has
`predict_at(frames_a, frames_b, t)`, the frames at time `t` in (0, 1)
(`keras_vsr.models.IFNetInterpolator`; see `is_time_conditioned`). It is
called on up to `batch_size` pairs at a time.

Rules, the same on every path:

- Factors: a time-conditioned interpolator takes any integer factor
  `N >= 2` and makes the `N - 1` frames of a pair directly, at
  t = k / N. A midpoint-only interpolator takes 2, 4 and 8 (`FACTORS`);
  4 and 8 are recursive midpoints: the middle of a pair, then the middles
  of its two halves, and so on; every in-between frame is rounded to uint8
  before it becomes the end of a half.
- Frame count: each source frame is followed by `factor - 1` frames
  towards the next one. A clip (array or iterable) of `n` frames gives
  `(n - 1) * factor + 1` frames: nothing follows the last. A video keeps
  its duration: its last frame is held (repeated `factor - 1` times), so it
  has `n * factor` frames at `factor` times the frame rate. A GIF shares
  each frame's duration with the frames that follow it, and keeps the
  duration of a frame that gets none (the last, one before a scene cut, or
  one too short to split), which shows what holding it would show.
- Scene cuts: no frame is blended across a cut. The `factor - 1` slots
  between the last frame of a scene and the first of the next hold the
  frame before the cut. `scene_cuts` is None (no cuts), a list of the
  indices of the frames that start a new scene (as
  `keras_vsr.io.video.detect_scene_cuts` returns them), or "auto": each
  pair is tested by `keras_vsr.io.video.is_scene_cut` with
  `scene_threshold`, the rule of `detect_scene_cuts`.
- Streaming: frames are read `chunk_size` at a time, so only one chunk of
  source frames and their in-between frames are in memory, whatever the
  length of the clip.
"""

import itertools
import numbers
import warnings
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np

from keras_vsr.io.gif import iter_gif_frames, read_gif_info, write_gif_atomic
from keras_vsr.io.video import (
    check_scene_threshold,
    check_video_paths,
    exact_fps,
    is_scene_cut,
    iter_video_frames,
    probe_video,
    scene_thumbnail,
    write_video_atomic,
)
from keras_vsr.utils.checks import positive_ints
from keras_vsr.utils.frames import CountedFrames, check_frame
from keras_vsr.utils.images import from_float, to_float

FACTORS = (2, 4, 8)
# Browsers show GIF frames shorter than 2 centiseconds for 100 ms, so no
# in-between frame is made shorter than this.
MIN_GIF_FRAME_MS = 20


def is_time_conditioned(interpolator):
    """Whether `interpolator` makes frames at any time: it has a callable
    `predict_at(frames_a, frames_b, t)`."""
    return callable(getattr(interpolator, "predict_at", None))


def check_factor(factor, interpolator=None):
    """`factor` as an int, or a ValueError: any integer >= 2 for a
    time-conditioned `interpolator`, else one of `FACTORS`."""
    if isinstance(factor, bool) or not isinstance(factor, numbers.Integral) or factor < 2:
        raise ValueError(f"`factor` must be an integer >= 2. Received: factor={factor!r}")
    if factor not in FACTORS and not is_time_conditioned(interpolator):
        raise ValueError(
            f"`factor` must be one of {FACTORS}. Received: factor={factor!r} ({type(interpolator).__name__} "
            "makes midpoints only; any integer >= 2 needs a time-conditioned interpolator, one with "
            "`predict_at` such as an IFNetInterpolator)"
        )
    return int(factor)


def check_scene_cuts(scene_cuts, scene_threshold=0.1):
    """`scene_cuts` as None, "auto" or a frozenset of frame indices, or a
    ValueError; `scene_threshold` must be in (0, 1]."""
    check_scene_threshold(scene_threshold, "scene_threshold")
    if scene_cuts is None or isinstance(scene_cuts, str) and scene_cuts == "auto":
        return scene_cuts
    try:
        if isinstance(scene_cuts, str):
            raise TypeError(scene_cuts)
        return frozenset(int(index) for index in scene_cuts)
    except (TypeError, ValueError):
        raise ValueError(
            f"`scene_cuts` must be None, 'auto' or a list of frame indices. Received: {scene_cuts!r}"
        ) from None


def _check_options(interpolator, factor, scene_cuts, scene_threshold, chunk_size, batch_size):
    """The checked `(factor, scene_cuts)`; a ValueError for any bad argument."""
    if not callable(getattr(interpolator, "predict_middle", None)):
        raise ValueError(
            "The interpolator must have a `predict_middle(frames_a, frames_b)` method, e.g. a "
            f"`keras_vsr.models.FrameInterpolator`. Received: {type(interpolator).__name__}"
        )
    positive_ints((("chunk_size", chunk_size), ("batch_size", batch_size)))
    return check_factor(factor, interpolator), check_scene_cuts(scene_cuts, scene_threshold)


def _predicted(predict, frames_a, frames_b, batch_size, what="predict_middle"):
    """uint8 frames `predict(a, b)` of two uint8 stacks `(n, h, w, c)`,
    `batch_size` pairs per call."""
    out = []
    for start in range(0, len(frames_a), batch_size):
        a = to_float(frames_a[start : start + batch_size])
        b = to_float(frames_b[start : start + batch_size])
        frames = np.asarray(predict(a, b))
        if frames.shape != a.shape:
            raise ValueError(
                f"`{what}` must return frames shaped like its inputs, {a.shape}. Received shape {frames.shape}"
            )
        out.append(from_float(frames, np.uint8))
    return np.concatenate(out)


def in_between_frames(interpolator, frames_a, frames_b, factor, batch_size=4):
    """The `factor - 1` frames strictly between each of several frame pairs.

    A time-conditioned interpolator makes them at t = k / factor, one `k`
    at a time over all the pairs. Otherwise they are recursive midpoints,
    one level at a time over all the pairs (batched model calls): the
    middles, then the middles of the halves, and so on.

    Args:
        interpolator: an object with `predict_middle` (see the module).
        frames_a, frames_b: sequences of uint8 frames `(h, w, c)` of one
            shape, the first and second frame of each pair.
        factor: 2, 4 or 8; any integer >= 2 for a time-conditioned
            interpolator.
        batch_size: int, pairs per model call. Default 4.

    Returns:
        A list with, for each pair, the list of its `factor - 1` uint8
        in-between frames in time order.
    """
    if not len(frames_a):
        return []
    count = len(frames_a)
    if is_time_conditioned(interpolator):
        a, b = np.stack(frames_a), np.stack(frames_b)
        at = [
            _predicted(lambda x, y: interpolator.predict_at(x, y, k / factor), a, b, batch_size, "predict_at")
            for k in range(1, factor)
        ]
        return [[frames[i] for frames in at] for i in range(count)]
    positions = {0: np.stack(frames_a), factor: np.stack(frames_b)}
    step = factor
    while step > 1:
        starts = range(0, factor, step)
        middles = _predicted(
            interpolator.predict_middle,
            np.concatenate([positions[k] for k in starts]),
            np.concatenate([positions[k + step] for k in starts]),
            batch_size,
        )
        for j, k in enumerate(starts):
            positions[k + step // 2] = middles[j * count : (j + 1) * count]
        step //= 2
    return [[positions[k][i] for k in range(1, factor)] for i in range(count)]


class _Step(NamedTuple):
    """A source frame and what follows it before the next source frame."""

    frame: np.ndarray  # uint8 (h, w, c)
    following: object  # the next source frame, or None after the last
    in_between: object  # list of `factor - 1` frames, or None if none were made
    cut: bool  # `following` starts a new scene


def _checked_frames(frames, channels, thumbnails):
    """Yield `(frame, thumbnail or None)` for the checked uint8 `frames`."""
    reference = None
    for index, frame in enumerate(frames):
        frame = check_frame(frame, index, reference, channels)
        reference = reference or frame.shape
        thumbnail = None
        if thumbnails:
            thumbnail = scene_thumbnail(frame[..., 0] if frame.shape[2] == 1 else frame[..., :3], index)
        yield frame, thumbnail


def _steps(frames, interpolator, factor, scene_cuts, scene_threshold, chunk_size, batch_size,
           channels=(1, 3), skip=None):
    """Yield a `_Step` for each frame of `frames`, `chunk_size` pairs at a time.

    The model sees the first three channels (an alpha channel is left to
    the caller). `skip(index)` true means frame `index` gets no in-between
    frames (the model is not run for its pair)."""
    source = _checked_frames(frames, channels, scene_cuts == "auto")
    chunk = list(itertools.islice(source, chunk_size + 1))
    start = 0  # index of chunk[0]
    while chunk:
        pairs = range(len(chunk) - 1)
        if scene_cuts == "auto":
            cuts = [is_scene_cut(chunk[i][1], chunk[i + 1][1], scene_threshold) for i in pairs]
        else:
            cuts = [scene_cuts is not None and start + i + 1 in scene_cuts for i in pairs]
        wanted = [i for i in pairs if not cuts[i] and not (skip and skip(start + i))]
        made = in_between_frames(
            interpolator,
            [chunk[i][0][..., :3] for i in wanted],
            [chunk[i + 1][0][..., :3] for i in wanted],
            factor,
            batch_size,
        )
        made = dict(zip(wanted, made))
        for i in pairs:
            yield _Step(chunk[i][0], chunk[i + 1][0], made.pop(i, None), cuts[i])
        more = list(itertools.islice(source, chunk_size))
        if not more:
            yield _Step(chunk[-1][0], None, None, False)
            return
        start += len(chunk) - 1
        chunk = chunk[-1:] + more


def _step_frames(step, factor, hold_last):
    """The frames of one step: the source frame, then its in-between
    frames, or the source frame held at a cut (and at the end if
    `hold_last`)."""
    yield step.frame
    if step.in_between is not None:
        yield from step.in_between
    elif hold_last or step.following is not None:
        yield from itertools.repeat(step.frame, factor - 1)


def raise_frame_rate(frames, interpolator, factor=2, scene_cuts=None, scene_threshold=0.1, chunk_size=16,
                     batch_size=4):
    """Yield the frames of a clip at `factor` times its frame rate.

    See the module for the rules: `(n - 1) * factor + 1` frames, the source
    frames unchanged at every `factor`-th place, the frames at t = k /
    factor (time-conditioned interpolators) or recursive midpoints between
    them, the frame before a scene cut held.

    Args:
        frames: uint8 array `(n, h, w)`, `(n, h, w, 1)` or `(n, h, w, 3)`,
            or an iterable of uint8 frames `(h, w[, c])` (e.g. a video
            reader), at least two, all of the first one's shape.
        interpolator: an object with `predict_middle` (see the module).
        factor: 2, 4 or 8; any integer >= 2 for a time-conditioned
            interpolator. Default 2.
        scene_cuts: None, a list of the indices of frames that start a new
            scene, or "auto". Default None.
        scene_threshold: float in (0, 1], the scene-cut threshold for
            "auto" (see `keras_vsr.io.video.detect_scene_cuts`).
            Default 0.1.
        chunk_size: int, frame pairs read and interpolated at a time.
            Default 16.
        batch_size: int, pairs per `predict_middle` call. Default 4.

    Returns:
        An iterator of uint8 frames shaped like the input frames (`(h, w)`
        frames give `(h, w)` frames).

    Raises:
        ValueError: at once for bad arguments; while iterating for fewer
            than two frames, frames that are not uint8 `(h, w[, 1|3])`,
            frames unlike the first, or middle frames of the wrong shape.
    """
    factor, scene_cuts = _check_options(interpolator, factor, scene_cuts, scene_threshold, chunk_size, batch_size)
    if isinstance(frames, np.ndarray) and frames.ndim not in (3, 4):
        raise ValueError(
            f"`frames` must be an (n, h, w) or (n, h, w, c) array or an iterable of frames. "
            f"Received an array of shape {frames.shape}"
        )

    def generate():
        iterator = iter(frames)
        first = next(iterator, None)
        if first is None:
            raise ValueError("Interpolation needs at least two frames. Received none.")
        squeeze = np.ndim(first) == 2
        steps = _steps(itertools.chain([first], iterator), interpolator, factor, scene_cuts, scene_threshold,
                       chunk_size, batch_size)
        for index, step in enumerate(steps):
            if index == 0 and step.following is None:
                raise ValueError("Interpolation needs at least two frames. Received 1.")
            for frame in _step_frames(step, factor, hold_last=False):
                yield frame[:, :, 0] if squeeze else frame

    return generate()


def raise_video_frame_rate(src, dst, interpolator, factor=2, scene_cuts="auto", scene_threshold=0.1,
                           progress=None, crf=18, timeout=60.0, chunk_size=16, batch_size=4):
    """Write the video `src` at `factor` times its frame rate into the MP4 `dst`.

    Same duration and audio (see `keras_vsr.io.video.write_video_atomic`):
    `n * factor` frames, the last one held (see the module for the rules).
    Frames are streamed.

    Args:
        src, dst: paths; `dst` must be a new `.mp4`.
        interpolator: an object with `predict_middle` (see the module).
        factor: 2, 4 or 8; any integer >= 2 for a time-conditioned
            interpolator. Default 2.
        scene_cuts: "auto", None or a list of frame indices. Default "auto".
        scene_threshold: float in (0, 1]. Default 0.1.
        progress: optional callable wrapping the iterable of source frames,
            e.g. `tqdm.tqdm`. Default None.
        crf: int in [0, 51], x264 quality. Default 18.
        timeout: seconds to wait for each decoded frame. Default 60.0.
        chunk_size, batch_size: as `raise_frame_rate`.

    Returns:
        `(info, cuts)`: the `VideoInfo` of `src` and the number of scene
        cuts held.
    """
    factor, scene_cuts = _check_options(interpolator, factor, scene_cuts, scene_threshold, chunk_size, batch_size)
    src, dst = check_video_paths(src, dst, crf)
    info = probe_video(src)
    frames = iter_video_frames(src, timeout)
    if info.frame_count:
        frames = CountedFrames(frames, info.frame_count)
    steps = _steps(progress(frames) if progress else frames, interpolator, factor, scene_cuts, scene_threshold,
                   chunk_size, batch_size)
    counters = {"cuts": 0}

    def output():
        for step in steps:
            counters["cuts"] += step.cut
            yield from _step_frames(step, factor, hold_last=True)

    write_video_atomic(output(), dst, exact_fps(info.fps) * Fraction(factor), src, info, crf)
    return info, counters["cuts"]


def _split_duration(duration_ms, factor):
    """`duration_ms` in `factor` parts of whole centiseconds (as GIFs store
    them) that add up to its rounded value, or None when a part would be
    shorter than `MIN_GIF_FRAME_MS`."""
    centiseconds = int(round(duration_ms / 10))
    base, extra = divmod(centiseconds, factor)
    if base * 10 < MIN_GIF_FRAME_MS:
        return None
    return [10 * (base + (i < extra)) for i in range(factor)]


def _blend_alpha(alpha_a, alpha_b, position):
    """Alpha of an in-between frame at `position` in (0, 1): the nearer
    frame's; at the midpoint a pixel is opaque only where both are."""
    if position < 0.5:
        return alpha_a
    if position > 0.5:
        return alpha_b
    return np.minimum(alpha_a, alpha_b)


def raise_gif_frame_rate(src, dst, interpolator, factor=2, scene_cuts="auto", scene_threshold=0.1, progress=None,
                         colors=256, optimize=True, max_pixels=None, chunk_size=16, batch_size=4):
    """Write the animated GIF `src` with `factor` times as many frames.

    Each frame's duration is shared between it and the `factor - 1` new
    frames towards the next frame (whole centiseconds, adding up to the
    original), so the animation keeps its speed and total length; loop
    count and transparency are kept (the in-between frames take the
    nearer frame's alpha). The last frame, frames before a scene cut, and
    frames too short to split into parts of at least 20 ms (browsers slow
    shorter GIF frames down) keep their duration and get no new frames.
    Frames are streamed.

    Args:
        src, dst: paths of the GIF to read and the GIF to write.
        interpolator: an object with `predict_middle` (see the module).
        factor: 2, 4 or 8; any integer >= 2 for a time-conditioned
            interpolator. Default 2.
        scene_cuts: "auto", None or a list of frame indices. Default "auto".
        scene_threshold: float in (0, 1]. Default 0.1.
        progress: optional callable wrapping the iterable of source frames.
        colors, optimize: see `write_gif_atomic`.
        max_pixels: largest canvas accepted; None for the reader's default.
        chunk_size, batch_size: as `raise_frame_rate`.

    Returns:
        `(info, added)`: the `GifInfo` of `src` and the number of new frames.
    """
    factor, scene_cuts = _check_options(interpolator, factor, scene_cuts, scene_threshold, chunk_size, batch_size)
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError(f"`dst` must differ from `src`; refusing to overwrite the input {src}")
    limit = {} if max_pixels is None else {"max_pixels": max_pixels}
    info = read_gif_info(src, **limit)
    frames = CountedFrames(iter_gif_frames(src, **limit), info.frame_count)
    steps = _steps(
        progress(frames) if progress else frames, interpolator, factor, scene_cuts, scene_threshold,
        chunk_size, batch_size, channels=(4,),
        skip=lambda index: _split_duration(info.durations[index], factor) is None,
    )
    durations, counters = [], {"added": 0, "too_short": 0}

    def output():
        for index, step in enumerate(steps):
            frame = step.frame if info.has_transparency else step.frame[..., :3]
            if step.in_between is None:
                counters["too_short"] += step.following is not None and not step.cut
                durations.append(info.durations[index])
                yield frame
                continue
            durations.extend(_split_duration(info.durations[index], factor))
            counters["added"] += len(step.in_between)
            yield frame
            for k, middle in enumerate(step.in_between, start=1):
                if info.has_transparency:
                    alpha = _blend_alpha(step.frame[..., 3:], step.following[..., 3:], k / factor)
                    middle = np.concatenate([middle, alpha], axis=-1)
                yield middle

    write_gif_atomic(output(), dst, durations=_Lazy(durations), loop=info.loop, colors=colors, optimize=optimize)
    if counters["too_short"]:
        warnings.warn(
            f"{src}: {counters['too_short']} frame(s) shorter than {MIN_GIF_FRAME_MS * factor} ms "
            f"were kept without in-between frames (GIF frames under {MIN_GIF_FRAME_MS} ms play slowly).",
            UserWarning,
            stacklevel=2,
        )
    return info, counters["added"]


class _Lazy:
    """Iterates over a list that grows while it is read (each duration is
    appended just before its frame is yielded)."""

    def __init__(self, items):
        self.items = items

    def __iter__(self):
        index = 0
        while index < len(self.items):
            yield self.items[index]
            index += 1
