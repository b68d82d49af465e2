import keras
import numpy as np

from keras_vsr.io.framerate import raise_frame_rate
from keras_vsr.models.conversion import resolve_preset
from keras_vsr.models.task import Task
from keras_vsr.utils.checks import positive_int
from keras_vsr.utils.colour import to_grey
from keras_vsr.utils.frames import check_frame_pair, pad_to_multiple

COLOUR_MODES = ("per_channel", "luma")


class FrameInterpolator(Task):
    """Base of the frame interpolation tasks: the middle frame of two frames.

    `predict_middle(frames_a, frames_b)` is the one inference contract of
    every interpolator, and the one that `keras_vsr.interpolate`, the
    frame-rate pipeline (`keras_vsr.io.framerate`) and the evaluation use:
    float `(batch, h, w, c)` in [0, 1] in (uint8 accepted), the middle
    frames out in the same shape, for any `h, w >= 1` and `c` 1 (grey) or
    3 (RGB). Frames are padded to multiples of the backbone's
    `size_multiple` and the result cropped back. A grey model
    (`channels == 1`) given RGB frames follows its `colour_mode`; an RGB
    model given grey frames sees them copied to three channels and returns
    the mean of its three output channels.

    A subclass builds its functional model in `__init__` and implements
    `predict_pairs`, the network call on one batch of padded frames with
    the model's own channels.

    Args:
        backbone: the interpolator's backbone, with `channels` and
            `size_multiple`.
        inputs, outputs: the functional model's inputs and outputs.
        colour_mode: str, how a grey model interpolates RGB frames:
            `"per_channel"` runs R, G and B each as a grey frame (the
            result is in colour); `"luma"` runs the ITU-R BT.601 luma
            `0.299 R + 0.587 G + 0.114 B` once and returns it in all three
            channels (a grey picture, a third of the work). Ignored by RGB
            models. Default "per_channel".
        compile: bool, compile with the defaults of `compile()`. Default True.
    """

    def __init__(self, backbone, inputs, outputs, colour_mode="per_channel", compile=True, **kwargs):
        if colour_mode not in COLOUR_MODES:
            raise ValueError(f"`colour_mode` must be one of {COLOUR_MODES}. Received: colour_mode={colour_mode!r}")
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)
        self._colour_mode = colour_mode

    @property
    def channels(self):
        """Channels of the frames the network works on (1 grey, 3 RGB)."""
        return self.backbone.channels

    @property
    def colour_mode(self):
        """How a grey model interpolates RGB frames: "per_channel" or "luma"."""
        return self._colour_mode

    def get_config(self):
        return {**super().get_config(), "colour_mode": self.colour_mode}

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """As `Task.from_preset`; `preset` may also be a PyTorch checkpoint
        file or an `hf://` repository holding one, converted once into the
        cache (`keras_vsr.models.conversion.resolve_preset`)."""
        return super().from_preset(resolve_preset(preset), load_weights=load_weights, **kwargs)

    def predict_pairs(self, frames_a, frames_b):
        """The network's middle frames of one batch of frame pairs.

        Args:
            frames_a, frames_b: float32 NumPy arrays `(batch, h, w,
                channels)` in [0, 1], `h` and `w` multiples of
                `backbone.size_multiple`.

        Returns:
            An array `(batch, h, w, channels)`.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement `predict_pairs`.")

    def predict_middle(self, frames_a, frames_b, batch_size=4):
        """Predict the frames halfway between `frames_a` and `frames_b`.

        Args:
            frames_a: float array `(batch, h, w, c)` in [0, 1] (uint8 is
                accepted too), the earlier frames; any `h, w >= 1`, `c` 1 or 3.
            frames_b: the later frames, the shape of `frames_a`.
            batch_size: int >= 1, frames per network call. Default 4.

        Returns:
            float32 NumPy array of the input's shape, in [0, 1].

        Raises:
            ValueError: for arrays that are not `(batch, h, w, 1 or 3)`,
                shapes that differ, or a bad `batch_size`.
        """
        a, b = check_frame_pair(frames_a, frames_b)
        batch_size = positive_int(batch_size, "batch_size")
        n, h, w, c = a.shape
        if c == self.channels:
            return self._predict(a, b, batch_size)
        if c == 1:  # grey frames, RGB model
            return self._predict(np.repeat(a, 3, -1), np.repeat(b, 3, -1), batch_size).mean(-1, keepdims=True)
        if self.colour_mode == "luma":
            return np.repeat(self._predict(to_grey(a), to_grey(b), batch_size), 3, axis=-1)
        # RGB frames, grey model, per channel: each channel as a grey frame.
        split = lambda x: np.transpose(x, (0, 3, 1, 2)).reshape(n * c, h, w, 1)  # noqa: E731
        out = self._predict(split(a), split(b), batch_size)
        return np.transpose(out.reshape(n, c, h, w), (0, 2, 3, 1))

    def _predict(self, frames_a, frames_b, batch_size):
        """`predict_pairs` on padded batches of `batch_size`, cropped and clipped."""
        h, w = frames_a.shape[1:3]
        multiple = self.backbone.size_multiple
        out = []
        for start in range(0, len(frames_a), batch_size):
            a = pad_to_multiple(frames_a[start : start + batch_size], multiple)
            b = pad_to_multiple(frames_b[start : start + batch_size], multiple)
            middle = keras.ops.convert_to_numpy(self.predict_pairs(a, b))
            out.append(np.asarray(middle, "float32")[:, :h, :w])
        return np.clip(np.concatenate(out, axis=0), 0.0, 1.0)

    def interpolate(self, frames, factor=2, scene_cuts=None, scene_threshold=0.1, chunk_size=16, batch_size=4):
        """Raise the frame rate of a clip by `factor` (2, 4 or 8).

        Runs `keras_vsr.io.framerate.raise_frame_rate` with this model:
        uint8 frames in, `(n - 1) * factor + 1` uint8 frames out, shaped
        like the input frames; see that module for the rules (recursive
        midpoints, scene cuts held, frame count).

        Args:
            frames: uint8 array `(n, h, w[, c])` or an iterable of uint8
                frames, at least two, of one shape; `c` 1 or 3.
            factor, scene_cuts, scene_threshold, chunk_size, batch_size:
                as `raise_frame_rate`.

        Returns:
            uint8 array `((n - 1) * factor + 1, h, w[, c])`.
        """
        return np.stack(
            list(raise_frame_rate(frames, self, factor, scene_cuts, scene_threshold, chunk_size, batch_size))
        )
