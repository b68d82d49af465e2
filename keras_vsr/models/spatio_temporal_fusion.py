"""Spatio-temporal fusion: more frames from a grey stream, colour from RGB.

A grey stream is dense in time; RGB frames are sparse in time. A frame
interpolator (`ConvLSTMInterpolator`, or any task with `predict_middle` and
`channels`) fills in the frames between the grey ones; a colouriser
(`Grey2RGBColorizer`) turns every grey frame into RGB; optional RGB key
frames correct the colouriser's chroma where the true colours are known.
The result is a colour video at 2x or 4x the grey frame rate.

Frames are processed in chunks, so clips longer than memory holds can be
streamed from an iterator (e.g. `keras_vsr.io.video.iter_video_frames`).
"""

import itertools

import numpy as np

from keras_vsr.models.conv_lstm_interpolator.frame_utils import LUMA_WEIGHTS, to_grey, to_uint8

FACTORS = (2, 4)


def _check_int(name, value, low=1):
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"`{name}` must be an integer >= {low}. Received: {name}={value!r}")
    return int(value)


class _FrameChecker:
    """Checks a stream of uint8 frames one by one (dtype, layout, equal sizes)."""

    def __init__(self, what="frames"):
        self.what = what
        self.size = None
        self.count = 0
        self.first_ndim = None

    def __call__(self, frame):
        frame = np.asarray(frame)
        i = self.count
        self.count += 1
        if frame.dtype != np.uint8:
            raise ValueError(f"{self.what} must be uint8 arrays. Received dtype {frame.dtype} at frame {i}")
        if self.first_ndim is None:
            self.first_ndim = frame.ndim
        if frame.ndim == 2:
            frame = frame[:, :, None]
        if frame.ndim != 3 or frame.shape[-1] not in (1, 3) or min(frame.shape[:2]) < 1:
            raise ValueError(
                f"Each of the {self.what} must be (h, w), (h, w, 1) or (h, w, 3). "
                f"Received shape {frame.shape} at frame {i}"
            )
        if self.size is None:
            self.size = frame.shape[:2]
        elif frame.shape[:2] != self.size:
            raise ValueError(
                f"All {self.what} must have the same size. Frame 0 is "
                f"{self.size[0]}x{self.size[1]} (h x w), frame {i} is {frame.shape[0]}x{frame.shape[1]}"
            )
        return frame


def _pairs_in_chunks(frames, chunk_size, check):
    """Yield lists of up to `chunk_size` consecutive checked frames, each
    chunk starting with the last frame of the previous one; raise for fewer
    than two frames."""
    what = check.what
    it = iter(frames)
    chunk = [check(f) for f in itertools.islice(it, chunk_size + 1)]
    if len(chunk) < 2:
        raise ValueError(f"Interpolation needs at least two {what}. Received {len(chunk)}")
    while len(chunk) >= 2:
        yield chunk
        chunk = [chunk[-1]] + [check(f) for f in itertools.islice(it, chunk_size)]


def interpolate_frames(interpolator, frames, factor=2, batch_size=8, chunk_size=32, colour="luma", keep_dims=True):
    """Raise the frame rate of a clip, streaming it in chunks.

    Between every two consecutive frames `factor - 1` new frames are put:
    for `factor=2` the middle frame, for `factor=4` also the middles of the
    two halves (interpolated recursively). `n` frames give
    `(n - 1) * factor + 1`.

    Args:
        interpolator: a task with `predict_middle(frames_a, frames_b)` and
            `channels` (e.g. `ConvLSTMInterpolator`).
        frames: uint8 array `(n, h, w[, c])` or an iterable of uint8 frames
            `(h, w)`, `(h, w, 1)` or `(h, w, 3)`, all of the same size; any
            size, odd sizes included (the interpolator pads and crops back).
        factor: int, 2 or 4. Default 2.
        batch_size: int >= 1, frame pairs per network call. Default 8.
        chunk_size: int >= 1, frame pairs held in memory at once. Default 32.
        colour: str, for a grey interpolator given RGB frames: `"luma"`
            converts every frame to grey with ITU-R BT.601 luma (the output
            is grey); `"per_channel"` interpolates R, G and B separately
            (the output is RGB). Default "luma".
        keep_dims: bool, return grey frames as `(h, w)` when the input
            frames were `(h, w)`. Default True.

    Yields:
        uint8 frames, the input frames with the new ones between them.

    Raises:
        ValueError: fewer than two frames, frames of different sizes, frames
            that are not uint8 `(h, w[, 1|3])`, a `factor` other than 2 or 4.
    """
    if factor not in FACTORS:
        raise ValueError(f"`factor` must be 2 or 4. Received: factor={factor!r}")
    batch_size = _check_int("batch_size", batch_size)
    chunk_size = _check_int("chunk_size", chunk_size)
    if isinstance(frames, np.ndarray) and frames.ndim not in (3, 4):
        raise ValueError(f"`frames` must be an array (n, h, w[, c]). Received shape {frames.shape}")
    check = _FrameChecker("frames")
    last = None
    for chunk in _pairs_in_chunks(frames, chunk_size, check):
        squeeze = keep_dims and check.first_ndim == 2
        x = np.stack(chunk).astype("float32") / 255.0
        if interpolator.channels == 1 and x.shape[-1] == 3 and colour == "luma":
            x = to_grey(x)
        levels = {0: x[:-1], factor: x[1:]}
        # Midpoints: position factor/2, then (for 4x) 1 and 3.
        steps = [(0, factor, factor // 2)]
        if factor == 4:
            steps += [(0, 2, 1), (2, 4, 3)]
        for lo, hi, mid in steps:
            levels[mid] = _predict(interpolator, levels[lo], levels[hi], batch_size, colour)
        # A chunk's last frame opens the next chunk; it is emitted there,
        # or after the loop for the final chunk.
        for i in range(len(chunk) - 1):
            for k in range(factor):
                yield _out(levels[k][i], squeeze)
        last = levels[factor][-1]
    yield _out(last, squeeze)


def _predict(interpolator, a, b, batch_size, colour):
    kwargs = {"batch_size": batch_size}
    if interpolator.channels == 1 and a.shape[-1] == 3:
        kwargs["colour"] = colour
    out = np.asarray(interpolator.predict_middle(a, b, **kwargs), "float32")
    if out.shape[-1] != a.shape[-1] and a.shape[-1] == 1 and out.shape[-1] == 3:
        out = to_grey(out)
    return out


def _out(frame, squeeze):
    frame = to_uint8(frame)
    return frame[:, :, 0] if squeeze and frame.shape[-1] == 1 else frame


def _chroma(rgb):
    """R - Y, G - Y, B - Y of float RGB (BT.601 luma)."""
    return rgb - (rgb @ LUMA_WEIGHTS)[..., None]


class SpatioTemporalFusion:
    """Joins a frame interpolator and a colouriser into colour video at a
    higher frame rate.

    `fuse(grey_frames, key_frames)` interpolates the grey stream (2x or
    4x), colourises every frame, and, where RGB key frames are given,
    corrects the colouriser's chroma towards the key frames' colours:
    for a key frame `K` with luma `Y_K`, the correction is
    `D_K = chroma(K) - chroma(colorizer(Y_K))` (per pixel; `chroma(x) =
    x - luma(x)`); an output frame at time `t` between key frames `K_a` at
    `t_a` and `K_b` at `t_b` gets `((t_b - t) D_a + (t - t_a) D_b) /
    (t_b - t_a)` added to its chroma, and before the first or after the last
    key frame the nearest one's correction. An output frame at a key
    frame's own time is the key frame itself. This assumes a mostly static
    framing between key frames, where it recovers the true colours.

    Args:
        interpolator: a task with `predict_middle` and `channels` (e.g.
            `ConvLSTMInterpolator`).
        colorizer: a `Grey2RGBColorizer` (anything with `predict_rgb`).

    Example:
    ```python
    fusion = keras_vsr.SpatioTemporalFusion.from_preset(
        "conv_lstm_interpolator_f16_vimeo_grey", "grey2rgb_f16d3_291photos")
    colour_2x = fusion.fuse(grey_frames, key_frames={0: rgb_first}, factor=2)
    ```
    """

    def __init__(self, interpolator, colorizer):
        if not hasattr(interpolator, "predict_middle") or not hasattr(interpolator, "channels"):
            raise ValueError(
                "`interpolator` must have `predict_middle` and `channels`. "
                f"Received: {type(interpolator).__name__}"
            )
        if not hasattr(colorizer, "predict_rgb"):
            raise ValueError(f"`colorizer` must have `predict_rgb`. Received: {type(colorizer).__name__}")
        self.interpolator = interpolator
        self.colorizer = colorizer

    @classmethod
    def from_preset(cls, interpolator_preset, colorizer_preset, load_weights=True):
        """Build from an interpolator preset and a colouriser preset (names,
        local folders or `hf://` handles)."""
        from keras_vsr.models.conv_lstm_interpolator import ConvLSTMInterpolator
        from keras_vsr.models.grey2rgb import Grey2RGBColorizer

        return cls(
            ConvLSTMInterpolator.from_preset(interpolator_preset, load_weights=load_weights),
            Grey2RGBColorizer.from_preset(colorizer_preset, load_weights=load_weights),
        )

    def fuse_stream(self, grey_frames, key_frames=None, factor=2, batch_size=8, chunk_size=32, keep_luma=True):
        """Generator form of `fuse`: yields uint8 `(h, w, 3)` frames one by
        one, holding about `chunk_size` input frames in memory."""
        key_frames = self._check_key_frames(key_frames)
        frames = interpolate_frames(
            self.interpolator,
            grey_frames,
            factor=factor,
            batch_size=batch_size,
            chunk_size=chunk_size,
            colour="luma",
            keep_dims=False,
        )
        size = {}
        corrections = {}
        key_times = sorted(key_frames)

        def correction(k):
            if k not in corrections:
                key = key_frames[k].astype("float32") / 255.0
                grey = key @ LUMA_WEIGHTS
                coloured = self.colorizer.predict_rgb(grey[None, :, :, None], batch_size=1, keep_luma=False)[0]
                corrections[k] = _chroma(key) - _chroma(coloured)
                for old in [t for t in corrections if t < k and t not in neighbours]:
                    del corrections[old]
            return corrections[k]

        neighbours = set()
        t_out = 0
        while True:
            batch = list(itertools.islice(frames, chunk_size * factor))
            if not batch:
                break
            grey = np.stack(batch)[..., :1].astype("float32") / 255.0
            if not size:
                size["hw"] = grey.shape[1:3]
                for k, key in key_frames.items():
                    if key.shape[:2] != size["hw"]:
                        raise ValueError(
                            f"Key frame {k} is {key.shape[0]}x{key.shape[1]} (h x w) but the grey "
                            f"frames are {size['hw'][0]}x{size['hw'][1]}; resize the key frames to the "
                            "grey frames' size."
                        )
            rgb = self.colorizer.predict_rgb(grey, batch_size=batch_size, keep_luma=keep_luma)
            for j in range(len(rgb)):
                t = (t_out + j) / factor  # time in input-frame units
                frame = rgb[j]
                if key_times:
                    if t in key_frames:
                        yield key_frames[int(t)].copy()
                        continue
                    before = [k for k in key_times if k < t]
                    after = [k for k in key_times if k > t]
                    neighbours.clear()
                    neighbours.update(before[-1:] + after[:1])
                    if before and after:
                        ka, kb = before[-1], after[0]
                        d = ((kb - t) * correction(ka) + (t - ka) * correction(kb)) / (kb - ka)
                    else:
                        d = correction(before[-1] if before else after[0])
                    luma = (frame @ LUMA_WEIGHTS)[..., None]
                    frame = np.clip(luma + _chroma(frame) + d, 0.0, 1.0)
                yield to_uint8(frame)
            t_out += len(rgb)
        for k in key_times:
            if k * factor >= t_out:
                raise ValueError(
                    f"Key frame index {k} is beyond the last grey frame ({t_out // factor})."
                )

    def fuse(self, grey_frames, key_frames=None, factor=2, batch_size=8, chunk_size=32, keep_luma=True):
        """Colour frames at `factor` times the frame rate of `grey_frames`.

        Args:
            grey_frames: uint8 array `(n, h, w)` / `(n, h, w, 1)` or an
                iterable of uint8 `(h, w)` / `(h, w, 1)` frames, n >= 2, all
                of one size (any size, odd included). RGB frames `(h, w, 3)`
                are accepted and converted to grey with ITU-R BT.601 luma
                (0.299 R + 0.587 G + 0.114 B).
            key_frames: None, or a dict `{index: uint8 (h, w, 3)}` of RGB
                frames at grey-frame indices, the same size as the grey
                frames. Default None.
            factor: int, 2 or 4. Default 2.
            batch_size: int >= 1, frames per network call. Default 8.
            chunk_size: int >= 1, input frames processed at once (memory
                bound for long clips). Default 32.
            keep_luma: bool, keep the grey frames' luma and take only the
                chroma from the colouriser. Default True.

        Returns:
            uint8 array `((n - 1) * factor + 1, h, w, 3)`.

        Raises:
            ValueError: fewer than two frames, frames of different sizes,
                non-uint8 frames, a `factor` other than 2 or 4, key frames
                that are not uint8 RGB of the grey frames' size or whose
                index is outside the clip.
        """
        return np.stack(
            list(
                self.fuse_stream(
                    grey_frames,
                    key_frames=key_frames,
                    factor=factor,
                    batch_size=batch_size,
                    chunk_size=chunk_size,
                    keep_luma=keep_luma,
                )
            )
        )

    __call__ = fuse

    @staticmethod
    def _check_key_frames(key_frames):
        if key_frames is None:
            return {}
        if not isinstance(key_frames, dict):
            raise ValueError(
                "`key_frames` must be None or a dict {grey-frame index: uint8 RGB (h, w, 3)}. "
                f"Received: {type(key_frames).__name__}"
            )
        checked = {}
        for k, frame in key_frames.items():
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
                raise ValueError(f"Key frame indices must be integers >= 0. Received: {k!r}")
            frame = np.asarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[-1] != 3:
                raise ValueError(
                    f"Key frame {k} must be a uint8 RGB array (h, w, 3). "
                    f"Received dtype {frame.dtype}, shape {frame.shape}"
                )
            checked[int(k)] = frame
        return checked
