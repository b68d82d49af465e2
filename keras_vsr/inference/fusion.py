"""Spatio-temporal fusion: more frames from a grey stream, colour from RGB key frames.

A grey stream is dense in time; RGB key frames are sparse in time. A frame
interpolator (a `keras_vsr.models.FrameInterpolator`, or any object with
`predict_middle`) fills in the frames between the grey ones through the
frame-rate pipeline (`keras_vsr.io.framerate`); the key frames' chroma is
carried to every other frame along optical flow
(`keras_vsr.inference.colour_propagation`), and a `ChromaFusion` network,
when one is given, joins that with a colouriser's chroma, which fills what
propagation cannot reach. Every output frame keeps the luma of the grey
stream (interpolated frames: the interpolator's). The result is a colour
video at 1, 2, 4 or 8 times the grey frame rate.

Memory is bounded for long clips: the frames between two key frames (at
the output rate) and the two key frames are held at a time; beyond the
last key frame (or with no key frame after it) the frames are coloured in
chunks of `chunk_size` input frames, each chunk from the last coloured
frame of the one before.
"""

import itertools
import warnings

import numpy as np

from keras_vsr.inference.colour_propagation import ChromaPropagator, fused_chroma
from keras_vsr.inference.tasks import build_task
from keras_vsr.io.framerate import check_factor, raise_frame_rate
from keras_vsr.utils.colour import chroma, luma_uint8
from keras_vsr.utils.images import from_float, to_float

METHODS = ("learned", "propagation", "colorizer")


def _grey_frames(frames):
    """Yield the frames as grey `(h, w, 1)`: uint8 RGB frames become their
    BT.601 luma (rounded to uint8); others pass unchanged (apart from a
    channel axis for `(h, w)`) to the pipeline's checks."""
    for frame in frames:
        frame = np.asarray(frame)
        if frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[-1] == 3:
            frame = luma_uint8(frame)
        yield frame[:, :, None] if frame.ndim == 2 else frame


def _check_key(index, frame):
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"Key frame indices must be integers >= 0. Received: {index!r}")
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[-1] != 3:
        raise ValueError(
            f"Key frame {index} must be a uint8 RGB array (h, w, 3). Received dtype {frame.dtype}, shape {frame.shape}"
        )
    return int(index), frame


def _key_stream(key_frames):
    """`(index, frame)` pairs in increasing index order, checked as they come,
    from a dict or an iterable of pairs."""
    pairs = sorted(key_frames.items()) if isinstance(key_frames, dict) else key_frames
    last = -1
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(
                "`key_frames` must be a dict {grey-frame index: uint8 RGB (h, w, 3)} or an iterable of "
                f"(index, frame) pairs. Received an item of type {type(pair).__name__}"
            )
        index, frame = pair
        index, frame = _check_key(index, frame)
        if index <= last:
            raise ValueError(f"Key frame indices must increase. Received {index} after {last}.")
        last = index
        yield index, frame


def key_frames_every(frames, every):
    """`(index, frame)` for every `every`-th frame of an iterable of RGB
    frames (a video reader, a list of images), from frame 0: the
    `key_frames` of `SpatioTemporalFusion.fuse_stream`, read as needed."""
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"The key frame spacing must be an integer >= 1. Received: {every!r}")
    for index, frame in enumerate(frames):
        if index % every == 0:
            yield index, np.asarray(frame)[..., :3]


def read_key_frames(source, every):
    """Every `every`-th frame of an RGB video or folder of images, read as needed.

    Args:
        source: str or `pathlib.Path`, a video file or a folder of images
            (one per frame, in name order).
        every: int >= 1, the key frame spacing.

    Returns:
        `(key_frames, read)`: an iterator of `(index, frame)` pairs (the
        `key_frames` of `SpatioTemporalFusion.fuse_stream`) and a one-item
        list holding the number of frames of `source` read so far.

    Raises:
        ValueError: for a `source` that is neither a video nor a folder of
            images, or a bad `every`.
    """
    from pathlib import Path

    from keras_vsr.io import find_images, iter_video_frames, load_image
    from keras_vsr.io.video import VIDEO_EXTENSIONS

    source = Path(source)
    if source.is_dir():
        files = find_images(source)
        if not files:
            raise ValueError(f"no images in the key frame folder {source}")
        frames = (load_image(f, mode="RGB") for f in files)
    elif source.is_file() and source.suffix.lower() in VIDEO_EXTENSIONS:
        frames = iter_video_frames(source)
    else:
        raise ValueError(f"{source} is neither a folder of images nor a video")
    read = [0]

    def counted():
        for frame in frames:
            read[0] += 1
            yield frame

    return key_frames_every(counted(), every), read


def colorize_video_from_keys(fusion, src, dst, key_source, every, progress=None, crf=18):
    """Colour the grey video `src` into the MP4 `dst` from every `every`-th
    frame of the RGB `key_source` (the same clip in colour: a video or a
    folder of images), at `src`'s frame rate and with its audio. A colour
    `src` is read as grey (BT.601 luma).

    Frames are streamed (`SpatioTemporalFusion.fuse_stream`) and written
    atomically (`keras_vsr.io.video.write_video_atomic`). When `key_source`
    has too few frames for the last key frame `src` needs, a warning says
    so and the frames after its last key frame are coloured from that one.

    Args:
        fusion: a `SpatioTemporalFusion` (its interpolator is not used).
        src, dst: str or `pathlib.Path`, the grey video and the new `.mp4`.
        key_source: str or `pathlib.Path`, see `read_key_frames`.
        every: int >= 1, the key frame spacing.
        progress: optional callable wrapping the iterable of output frames,
            e.g. `tqdm.tqdm`. Default None.
        crf: int in [0, 51], x264's constant rate factor. Default 18.

    Returns:
        The number of frames written.

    Raises:
        ValueError: for bad paths or key frames (another size, ...).
        ImageReadError: for an unreadable video or image.
    """
    from keras_vsr.io import iter_video_frames, probe_video
    from keras_vsr.io.video import check_video_paths, exact_fps, write_video_atomic

    src, dst = check_video_paths(src, dst, crf)
    info = probe_video(src)
    keys, read = read_key_frames(key_source, every)
    count = [0]

    def grey():
        for frame in iter_video_frames(src):
            count[0] += 1
            yield luma_uint8(frame)  # a colour video is read as grey

    frames = fusion.fuse_stream(grey(), key_frames=keys, factor=1)
    write_video_atomic(progress(frames) if progress else frames, dst, exact_fps(info.fps), src, info, crf)
    last_needed = (count[0] - 1) // every * every
    if read[0] <= last_needed:
        warnings.warn(
            f"{key_source} has {read[0]} frames, fewer than the {last_needed + 1} that key frames every {every} "
            f"of {count[0]} frames need: the frames after the last key frame were coloured from it alone"
        )
    return count[0]


class SpatioTemporalFusion:
    """Joins a frame interpolator, a colouriser and colour propagation from
    RGB key frames into colour video at a higher frame rate.

    `fuse(grey_frames, key_frames)` raises the grey stream's frame rate
    (factor 2, 4 or 8 by the rules of `keras_vsr.io.framerate`, or 1 to keep
    it) and colours every frame: a frame at a key frame's time is the key
    frame; the others take their chroma by `method`:

    * `"learned"` (the default when `fusion` is given): the `ChromaFusion`
      network's chroma from the propagated chroma of both sides, their
      confidences and the colouriser's chroma;
    * `"propagation"` (the default otherwise): the key frames' chroma warped
      along optical flow and blended by temporal distance and confidence
      (`ChromaPropagator`);
    * `"colorizer"`: the colouriser's chroma alone (also what every method
      gives when no key frame is given, with a warning).

    The luma of every frame is the grey stream's. Key frames are assumed to
    be frames of the same shot as the grey stream, at the same size and
    exposure; a scene cut between key frames makes propagation wrong after
    the cut (the confidence drops there, and `"learned"` leans on the
    colouriser).

    Args:
        interpolator: an object with `predict_middle` (e.g. a
            `ConvLSTMInterpolator`); it is given grey frames. None for a
            fusion that keeps the frame rate (`factor=1` only).
        colorizer: a `Grey2RGBColorizer` (anything with `predict_rgb`).
        fusion: a `ChromaFusion` task, or None. Default None.
        method: one of `METHODS`, or None for the default above.
        propagator: a `ChromaPropagator`, or None for `ChromaPropagator()`.

    Example:
    ```python
    fusion = keras_vsr.SpatioTemporalFusion.from_preset(
        "conv_lstm_interpolator_f16_vimeo_grey_mc", "grey2rgb_f16d3_291photos")
    colour_2x = fusion.fuse(grey_frames, key_frames={0: rgb_first, 8: rgb_ninth}, factor=2)
    ```
    """

    def __init__(self, interpolator, colorizer, fusion=None, method=None, propagator=None):
        if interpolator is not None and not callable(getattr(interpolator, "predict_middle", None)):
            raise ValueError(f"`interpolator` must have `predict_middle`. Received: {type(interpolator).__name__}")
        if not hasattr(colorizer, "predict_rgb"):
            raise ValueError(f"`colorizer` must have `predict_rgb`. Received: {type(colorizer).__name__}")
        if fusion is not None and not hasattr(fusion, "predict_chroma"):
            raise ValueError(f"`fusion` must be a ChromaFusion task or None. Received: {type(fusion).__name__}")
        method = method or ("learned" if fusion is not None else "propagation")
        if method not in METHODS:
            raise ValueError(f"`method` must be one of {METHODS}. Received: method={method!r}")
        if method == "learned" and fusion is None:
            raise ValueError('method="learned" needs a `fusion` task (a ChromaFusion preset).')
        self.interpolator = interpolator
        self.colorizer = colorizer
        self.fusion = fusion
        self.method = method
        self.propagator = propagator or ChromaPropagator()

    @classmethod
    def from_preset(cls, interpolator_preset, colorizer_preset, fusion_preset=None, method=None, load_weights=True):
        """Build from an interpolator, a colouriser and (optionally) a chroma
        fusion preset (names, local folders or `hf://` handles)."""
        fusion = None if fusion_preset is None else build_task(fusion_preset, "fuse", load_weights=load_weights)
        return cls(
            build_task(interpolator_preset, "interpolate", load_weights=load_weights),
            build_task(colorizer_preset, "colorize", load_weights=load_weights),
            fusion=fusion,
            method=method,
        )

    def _colour_run(self, grey, before, after):
        """Chroma `(n, h, w, 3)` of float grey frames between two float RGB key frames (either may be None)."""
        needs_colorizer = self.method != "propagation" or (before is None and after is None)
        colour = chroma(self.colorizer.predict_rgb(grey, keep_luma=True)) if needs_colorizer else None
        if self.method == "colorizer" or (before is None and after is None):
            return colour
        propagated = self.propagator.propagate(grey, before, after)
        return fused_chroma(propagated, grey, colour, self.fusion if self.method == "learned" else None)

    def fuse_stream(self, grey_frames, key_frames=None, factor=2, batch_size=8, chunk_size=32):
        """Generator form of `fuse`: yields uint8 `(h, w, 3)` frames one by one.

        `key_frames` may also be an iterable of `(index, frame)` pairs in
        increasing index order (e.g. read from a video as they are needed),
        so that only the key frames in reach are held."""
        if key_frames is not None and not isinstance(key_frames, dict) and not hasattr(key_frames, "__iter__"):
            raise ValueError(
                "`key_frames` must be None, a dict {grey-frame index: uint8 RGB (h, w, 3)} or an iterable of "
                f"(index, frame) pairs. Received: {type(key_frames).__name__}"
            )
        if factor != 1:
            check_factor(factor)
            if self.interpolator is None:
                raise ValueError(f"factor={factor} needs an interpolator; this fusion has none (factor 1 only).")
        if int(chunk_size) != chunk_size or chunk_size < 1:
            raise ValueError(f"`chunk_size` must be a positive integer. Received: chunk_size={chunk_size}")
        keys = _key_stream(key_frames or {})
        grey = _grey_frames(grey_frames)
        if factor != 1:
            grey = raise_frame_rate(grey, self.interpolator, factor, batch_size=batch_size, chunk_size=chunk_size)
        next_key = next(keys, None)
        if next_key is None:
            warnings.warn("No key frame given: the colours are the colouriser's alone.", stacklevel=2)
        pending, previous, t = [], None, 0  # previous: the float RGB frame the next run starts from
        size = None
        for frame in grey:
            if size is None:
                size = frame.shape[:2]
                if next_key is not None:
                    self._check_size(next_key, size)
            if next_key is not None and t == next_key[0] * factor:
                key = next_key[1]
                yield from self._emit(pending, previous, to_float(key))
                yield key.copy()
                pending, previous = [], to_float(key)
                next_key = next(keys, None)
                if next_key is not None:
                    self._check_size(next_key, size)
            else:
                pending.append(frame)
                if (next_key is None) and len(pending) >= chunk_size * factor:
                    out = list(self._emit(pending, previous, None))
                    yield from out
                    previous = None if previous is None else to_float(out[-1])
                    pending = []
            t += 1
        if t == 0:
            raise ValueError("No grey frame given.")
        yield from self._emit(pending, previous, None)
        if next_key is not None:
            last = (t - 1) // factor
            raise ValueError(f"Key frame index {next_key[0]} is beyond the last grey frame ({last}).")

    def _check_size(self, key, size):
        if key[1].shape[:2] != tuple(size):
            raise ValueError(
                f"Key frame {key[0]} is {key[1].shape[0]}x{key[1].shape[1]} (h x w) but the grey frames are "
                f"{size[0]}x{size[1]}; resize the key frames to the grey frames' size."
            )

    def _emit(self, pending, before, after):
        """Colour the grey uint8 frames `pending` (between `before` and `after`) and yield them as uint8 RGB."""
        if not pending:
            return
        grey = to_float(np.stack(pending))
        colour = self._colour_run(grey, before, after)
        for g, c in zip(grey, colour):
            yield from_float(np.clip(g + c, 0.0, 1.0), np.uint8)

    def fuse(self, grey_frames, key_frames=None, factor=2, batch_size=8, chunk_size=32):
        """Colour frames at `factor` times the frame rate of `grey_frames`.

        Args:
            grey_frames: uint8 array `(n, h, w)` / `(n, h, w, 1)` or an
                iterable of uint8 `(h, w)` / `(h, w, 1)` frames, all of one
                size (any size, odd included); n >= 2 unless `factor=1`.
                RGB frames `(h, w, 3)` are accepted and converted to grey
                with ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B).
            key_frames: None, a dict `{index: uint8 (h, w, 3)}` of RGB
                frames at grey-frame indices, the same size as the grey
                frames, or an iterable of `(index, frame)` pairs in
                increasing index order. Default None (the colouriser alone,
                with a warning).
            factor: int, 1 (colour only), 2, 4 or 8. Default 2.
            batch_size: int >= 1, frame pairs per interpolator call. Default 8.
            chunk_size: int >= 1, input frames coloured at once beyond the
                last key frame. Default 32.

        Returns:
            uint8 array `((n - 1) * factor + 1, h, w, 3)`.

        Raises:
            ValueError: fewer than two frames, frames of different sizes,
                non-uint8 frames, a `factor` other than 1, 2, 4 or 8, key
                frames that are not uint8 RGB of the grey frames' size, whose
                indices do not increase or lie outside the clip.
        """
        return np.stack(
            list(
                self.fuse_stream(
                    grey_frames, key_frames=key_frames, factor=factor, batch_size=batch_size, chunk_size=chunk_size
                )
            )
        )

    __call__ = fuse
