"""Spatio-temporal fusion: more frames from a grey stream, colour from RGB.

A grey stream is dense in time; RGB frames are sparse in time. A frame
interpolator (a `keras_vsr.models.FrameInterpolator`, or any object with
`predict_middle`) fills in the frames between the grey ones through the
frame-rate pipeline (`keras_vsr.io.framerate`); a colouriser
(`Grey2RGBColorizer`) turns every grey frame into RGB; optional RGB key
frames correct the colouriser's chroma where the true colours are known.
The result is a colour video at 2, 4 or 8 times the grey frame rate.

Frames are processed in chunks, so clips longer than memory holds can be
streamed from an iterator (e.g. `keras_vsr.io.video.iter_video_frames`).
"""

import itertools

import numpy as np

from keras_vsr.inference.tasks import build_task
from keras_vsr.io.framerate import raise_frame_rate
from keras_vsr.utils.colour import chroma, luma_uint8, rgb_to_luma
from keras_vsr.utils.images import from_float, to_float


def _grey_frames(frames):
    """Yield the frames as grey `(h, w, 1)`: uint8 RGB frames become their
    BT.601 luma (rounded to uint8); others pass unchanged (apart from a
    channel axis for `(h, w)`) to the pipeline's checks."""
    for frame in frames:
        frame = np.asarray(frame)
        if frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[-1] == 3:
            frame = luma_uint8(frame)
        yield frame[:, :, None] if frame.ndim == 2 else frame


class SpatioTemporalFusion:
    """Joins a frame interpolator and a colouriser into colour video at a
    higher frame rate.

    `fuse(grey_frames, key_frames)` interpolates the grey stream (2x, 4x or
    8x, by the rules of `keras_vsr.io.framerate`), colourises every frame,
    and, where RGB key frames are given, corrects the colouriser's chroma
    towards the key frames' colours:
    for a key frame `K` with luma `Y_K`, the correction is
    `D_K = chroma(K) - chroma(colorizer(Y_K))` (per pixel; `chroma(x) =
    x - luma(x)`); an output frame at time `t` between key frames `K_a` at
    `t_a` and `K_b` at `t_b` gets `((t_b - t) D_a + (t - t_a) D_b) /
    (t_b - t_a)` added to its chroma, and before the first or after the last
    key frame the nearest one's correction. An output frame at a key
    frame's own time is the key frame itself. This assumes a mostly static
    framing between key frames, where it recovers the true colours.

    Args:
        interpolator: an object with `predict_middle` (e.g. a
            `ConvLSTMInterpolator`); it is given grey frames.
        colorizer: a `Grey2RGBColorizer` (anything with `predict_rgb`).

    Example:
    ```python
    fusion = keras_vsr.SpatioTemporalFusion.from_preset(
        "conv_lstm_interpolator_f16_vimeo_grey", "grey2rgb_f16d3_291photos")
    colour_2x = fusion.fuse(grey_frames, key_frames={0: rgb_first}, factor=2)
    ```
    """

    def __init__(self, interpolator, colorizer):
        if not callable(getattr(interpolator, "predict_middle", None)):
            raise ValueError(f"`interpolator` must have `predict_middle`. Received: {type(interpolator).__name__}")
        if not hasattr(colorizer, "predict_rgb"):
            raise ValueError(f"`colorizer` must have `predict_rgb`. Received: {type(colorizer).__name__}")
        self.interpolator = interpolator
        self.colorizer = colorizer

    @classmethod
    def from_preset(cls, interpolator_preset, colorizer_preset, load_weights=True):
        """Build from an interpolator preset and a colouriser preset (names,
        local folders or `hf://` handles)."""
        return cls(
            build_task(interpolator_preset, "interpolate", load_weights=load_weights),
            build_task(colorizer_preset, "colorize", load_weights=load_weights),
        )

    def fuse_stream(self, grey_frames, key_frames=None, factor=2, batch_size=8, chunk_size=32, keep_luma=True):
        """Generator form of `fuse`: yields uint8 `(h, w, 3)` frames one by
        one, holding about `chunk_size` input frames in memory."""
        key_frames = self._check_key_frames(key_frames)
        frames = raise_frame_rate(
            _grey_frames(grey_frames), self.interpolator, factor, batch_size=batch_size, chunk_size=chunk_size
        )
        size = {}
        corrections = {}
        key_times = sorted(key_frames)

        def correction(k):
            if k not in corrections:
                key = to_float(key_frames[k])
                coloured = self.colorizer.predict_rgb(rgb_to_luma(key)[None], batch_size=1, keep_luma=False)[0]
                corrections[k] = chroma(key) - chroma(coloured)
                for old in [t for t in corrections if t < k and t not in neighbours]:
                    del corrections[old]
            return corrections[k]

        neighbours = set()
        t_out = 0
        while True:
            batch = list(itertools.islice(frames, chunk_size * factor))
            if not batch:
                break
            grey = to_float(np.stack(batch))
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
                    frame = np.clip(rgb_to_luma(frame) + chroma(frame) + d, 0.0, 1.0)
                yield from_float(frame, np.uint8)
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
            factor: int, 2, 4 or 8. Default 2.
            batch_size: int >= 1, frames per network call. Default 8.
            chunk_size: int >= 1, input frames processed at once (memory
                bound for long clips). Default 32.
            keep_luma: bool, keep the grey frames' luma and take only the
                chroma from the colouriser. Default True.

        Returns:
            uint8 array `((n - 1) * factor + 1, h, w, 3)`.

        Raises:
            ValueError: fewer than two frames, frames of different sizes,
                non-uint8 frames, a `factor` other than 2, 4 or 8, key frames
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
