"""More frames per second for GIFs and videos, from any frame interpolator.

A `middle_fn(frame_a, frame_b)` maps two uint8 RGB frames to the frame
halfway between them (e.g. `keras_vsr.inference.interpolate.middle_fn` of
an interpolator preset). Factors 4 and 8 are made of recursive midpoints.
Frames are streamed: only the current pair and its in-between frames are in
memory, whatever the length of the clip. A scene cut (see
`keras_vsr.io.video.detect_scene_cuts`) is never blended across: the frame
before the cut is held instead.
"""

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

from keras_vsr.io.gif import _CountedFrames, iter_gif_frames, read_gif_info, write_gif_atomic
from keras_vsr.io.video import (
    _check_threshold,
    _exact_fps,
    check_video_paths,
    is_scene_cut,
    iter_video_frames,
    probe_video,
    scene_thumbnail,
    write_video_atomic,
)

FACTORS = (2, 4, 8)
# Browsers show GIF frames shorter than 2 centiseconds for 100 ms, so no
# in-between frame is made shorter than this.
MIN_GIF_FRAME_MS = 20


def check_factor(factor):
    if isinstance(factor, bool) or factor not in FACTORS:
        raise ValueError(f"`factor` must be one of {FACTORS}. Received: factor={factor!r}")
    return int(factor)


def in_between_frames(frame_a, frame_b, middle_fn, factor):
    """The `factor - 1` frames strictly between two frames, in time order,
    by recursive midpoints (`factor` a power of two)."""
    if factor == 1:
        return []
    middle = np.asarray(middle_fn(frame_a, frame_b))
    if middle.shape != np.shape(frame_a) or middle.dtype != np.uint8:
        raise ValueError(
            f"`middle_fn` must return a uint8 frame shaped like its inputs, {np.shape(frame_a)}. "
            f"Received shape {middle.shape} and dtype {middle.dtype}"
        )
    half = factor // 2
    return (
        in_between_frames(frame_a, middle, middle_fn, half)
        + [middle]
        + in_between_frames(middle, frame_b, middle_fn, half)
    )


def _pairs(frames, cut_threshold):
    """Yield `(frame, next_frame or None, cut)` for consecutive frames, where
    `cut` says `next_frame` starts a new scene."""
    previous = previous_thumbnail = None
    for index, frame in enumerate(frames):
        thumbnail = scene_thumbnail(frame[..., :3] if np.ndim(frame) == 3 else frame, index)
        if previous is not None:
            yield previous, frame, is_scene_cut(previous_thumbnail, thumbnail, cut_threshold)
        previous, previous_thumbnail = frame, thumbnail
    if previous is not None:
        yield previous, None, False


def interpolated_video_frames(frames, middle_fn, factor=2, cut_threshold=0.1, stats=None):
    """Yield `factor` output frames per input frame: the frame itself, then
    `factor - 1` frames towards the next one. The frame before a scene cut
    and the last frame are held (repeated) instead, so the clip keeps its
    duration at `factor` times the frame rate.

    Args:
        frames: iterable of uint8 RGB frames `(h, w, 3)` of one size.
        middle_fn: callable `(frame_a, frame_b) -> middle frame`, uint8.
        factor: 2, 4 or 8. Default 2.
        cut_threshold: float in (0, 1], see `detect_scene_cuts`. Default 0.1.
        stats: optional dict; gets `"cuts"`, the number of cuts held.
    """
    factor = check_factor(factor)
    _check_threshold(cut_threshold)
    if stats is not None:
        stats["cuts"] = 0
    for frame, following, cut in _pairs(frames, cut_threshold):
        yield frame
        if following is None or cut:
            if cut and stats is not None:
                stats["cuts"] += 1
            for _ in range(factor - 1):
                yield frame
        else:
            yield from in_between_frames(frame, following, middle_fn, factor)


def raise_video_frame_rate(
    src, dst, middle_fn, factor=2, cut_threshold=0.1, progress=None, crf=18, timeout=60.0
):
    """Write `src` at `factor` times its frame rate into the MP4 `dst`.

    Same length, same audio (see `upscale_video`); frames are streamed, and
    scene cuts are held rather than blended.

    Args:
        src, dst: paths; `dst` must be a new `.mp4`.
        middle_fn: callable mapping two uint8 RGB frames to their middle.
        factor: 2, 4 or 8. Default 2.
        cut_threshold: float in (0, 1]. Default 0.1.
        progress: optional callable wrapping the iterable of source frames,
            e.g. `tqdm.tqdm`. Default None.
        crf: int in [0, 51], x264 quality. Default 18.
        timeout: seconds to wait for each decoded frame. Default 60.0.

    Returns:
        `(info, cuts)`: the `VideoInfo` of `src` and the number of cuts held.
    """
    factor = check_factor(factor)
    _check_threshold(cut_threshold)
    src, dst = check_video_paths(src, dst, crf)
    info = probe_video(src)
    frames = iter_video_frames(src, timeout)
    if info.frame_count:
        frames = _CountedFrames(frames, info.frame_count)
    stats = {}
    out = interpolated_video_frames(progress(frames) if progress else frames, middle_fn, factor, cut_threshold, stats)
    write_video_atomic(out, dst, _exact_fps(info.fps) * Fraction(factor), src, info, crf)
    return info, stats["cuts"]


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


def raise_gif_frame_rate(
    src, dst, middle_fn, factor=2, cut_threshold=0.1, progress=None, colors=256, optimize=True, max_pixels=None
):
    """Write the animated GIF `src` with `factor` times as many frames.

    Each frame's duration is shared between it and the `factor - 1` new
    frames towards the next frame (whole centiseconds, adding up to the
    original), so the animation keeps its speed and total length; loop
    count and transparency are kept (the in-between frames take the
    nearer frame's alpha). The last frame, frames before a scene cut, and
    frames too short to split into parts of at least 20 ms (browsers slow
    shorter GIF frames down) are kept as they are. Frames are streamed.

    Args:
        src, dst: paths of the GIF to read and the GIF to write.
        middle_fn: callable mapping two uint8 RGB frames to their middle.
        factor: 2, 4 or 8. Default 2.
        cut_threshold: float in (0, 1]. Default 0.1.
        progress: optional callable wrapping the iterable of source frames.
        colors, optimize: see `write_gif_atomic`.
        max_pixels: largest canvas accepted; None for the reader's default.

    Returns:
        `(info, added)`: the `GifInfo` of `src` and the number of new frames.
    """
    factor = check_factor(factor)
    _check_threshold(cut_threshold)
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError(f"`dst` must differ from `src`; refusing to overwrite the input {src}")
    limit = {} if max_pixels is None else {"max_pixels": max_pixels}
    info = read_gif_info(src, **limit)
    frames = _CountedFrames(iter_gif_frames(src, **limit), info.frame_count)
    if progress:
        frames = progress(frames)
    durations, counters = [], {"added": 0, "too_short": 0}

    def output():
        for index, (frame, following, cut) in enumerate(_pairs(frames, cut_threshold)):
            parts = None if following is None or cut else _split_duration(info.durations[index], factor)
            if following is not None and not cut and parts is None:
                counters["too_short"] += 1
            if parts is None:
                durations.append(info.durations[index])
                yield frame if info.has_transparency else frame[..., :3]
                continue
            middles = in_between_frames(frame[..., :3], following[..., :3], middle_fn, factor)
            durations.extend(parts)
            counters["added"] += len(middles)
            yield frame if info.has_transparency else frame[..., :3]
            for k, middle in enumerate(middles, start=1):
                if info.has_transparency:
                    alpha = _blend_alpha(frame[..., 3:], following[..., 3:], k / factor)
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
