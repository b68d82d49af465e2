import numpy as np
import keras

from keras_vsr.losses import MSELoss
from keras_vsr.metrics import PSNR, SSIM
from keras_vsr.models.conv_lstm_interpolator.conv_lstm_interpolator_backbone import (
    ConvLSTMInterpolatorBackbone,
)
from keras_vsr.models.conv_lstm_interpolator.frame_utils import (
    as_float_frames,
    check_frame_batch,
    pad_to_multiple,
    to_grey,
)
from keras_vsr.models.task import Task
from keras_vsr.utils.serialization import register

COLOUR_MODES = ("luma", "per_channel")


@register
class ConvLSTMInterpolator(Task):
    """Frame interpolation task around a `ConvLSTMInterpolatorBackbone`.

    The model maps `(batch, num_frames, h, w, channels)` float frames in
    [0, 1] to the middle frame `(batch, h, w, channels)`; `h` and `w` must
    be multiples of `backbone.size_multiple` (4, or 16 with motion
    compensation). `predict_middle` takes any frame size and colour
    layout.

    Args:
        backbone: a `ConvLSTMInterpolatorBackbone`.
        compile: bool, compile with the defaults of `compile()`. Default True.

    Example:
    ```python
    task = keras_vsr.ConvLSTMInterpolator.from_preset("conv_lstm_interpolator_f16_vimeo_grey")
    middle = task.predict_middle(frame_a[None], frame_b[None])  # float [0, 1]
    frames_2x = task.interpolate(grey_video_uint8, factor=2)
    ```
    """

    backbone_cls = ConvLSTMInterpolatorBackbone

    def __init__(self, backbone, compile=True, **kwargs):
        inputs = keras.Input(shape=backbone.input_shape[1:], name="frames")
        outputs = backbone(inputs)
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)

    @property
    def channels(self):
        """Channels of the frames the network works on (1: grey)."""
        return self.backbone.channels

    @property
    def num_frames(self):
        return self.backbone.num_frames

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Compile with interpolation defaults.

        Args:
            optimizer: `"auto"` is Adam with learning rate 1e-3.
            loss: `"auto"` is `keras_vsr.losses.MSELoss()`.
            metrics: `"auto"` is `PSNR` and `SSIM` on all channels.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-3)
        if loss == "auto":
            loss = MSELoss()
        if metrics == "auto":
            metrics = [PSNR(), SSIM()]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def predict_middle(self, frames_a, frames_b, batch_size=8, colour="luma"):
        """Predict the frames halfway between `frames_a` and `frames_b`.

        Args:
            frames_a: float array `(batch, h, w, c)` in [0, 1] (uint8 is
                accepted too), the earlier frames; any `h, w >= 1` (the
                frames are mirror-padded to multiples of `size_multiple` and the result
                cropped back).
            frames_b: the later frames, same shape as `frames_a`.
            batch_size: int >= 1, frames per network call. Default 8.
            colour: str, how a grey model (`channels == 1`) treats RGB
                frames (`c == 3`): `"luma"` converts them to grey with ITU-R
                BT.601 luma (0.299 R + 0.587 G + 0.114 B) and returns grey
                frames `(batch, h, w, 1)`; `"per_channel"` interpolates R, G
                and B each as a grey frame and returns RGB. Ignored when
                `c == channels`. Default "luma".

        Returns:
            float32 array `(batch, h, w, channels_out)` in [0, 1].

        Raises:
            ValueError: for arrays that are not `(batch, h, w, c)`, shapes
                that differ, or channels other than 1 or 3.
        """
        a = check_frame_batch(frames_a, "frames_a")
        b = check_frame_batch(frames_b, "frames_b")
        if a.shape != b.shape:
            raise ValueError(
                f"`frames_a` and `frames_b` must have the same shape. Received {a.shape} and {b.shape}"
            )
        if colour not in COLOUR_MODES:
            raise ValueError(f"`colour` must be one of {COLOUR_MODES}. Received: colour={colour!r}")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size}")
        a, b = as_float_frames(a, "frames_a"), as_float_frames(b, "frames_b")
        c = a.shape[-1]
        if c not in (1, 3):
            raise ValueError(f"Frames must have 1 or 3 channels. Received shape {a.shape}")
        if self.channels == 1 and c == 3:
            if colour == "luma":
                a, b = to_grey(a), to_grey(b)
            else:
                n = a.shape[0]
                split = lambda x: np.transpose(x, (0, 3, 1, 2)).reshape(n * 3, *x.shape[1:3], 1)  # noqa: E731
                out = self._predict(split(a), split(b), batch_size)
                return np.transpose(out.reshape(n, 3, *out.shape[1:3]), (0, 2, 3, 1))
        elif self.channels == 3 and c == 1:
            a, b = np.repeat(a, 3, axis=-1), np.repeat(b, 3, axis=-1)
        return self._predict(a, b, batch_size)

    def _predict(self, a, b, batch_size):
        k = self.num_frames // 2
        # Frames beyond the pair are not known here: repeat the pair's ends.
        window = np.stack([a] * k + [b] * k, axis=1)
        n, t, h, w, c = window.shape
        padded, _ = pad_to_multiple(window.reshape(n * t, h, w, c), self.backbone.size_multiple)
        padded = padded.reshape(n, t, *padded.shape[1:])
        out = []
        for start in range(0, n, int(batch_size)):
            y = self.predict_on_batch(padded[start : start + int(batch_size)])
            out.append(np.asarray(keras.ops.convert_to_numpy(y))[:, :h, :w])
        return np.clip(np.concatenate(out, axis=0), 0.0, 1.0).astype("float32")

    def interpolate(self, frames, factor=2, batch_size=8):
        """Raise the frame rate of a clip by `factor` (2 or 4).

        See `keras_vsr.models.spatio_temporal_fusion.interpolate_frames`;
        uint8 frames in, uint8 frames out, `(n - 1) * factor + 1` of them.
        """
        from keras_vsr.models.spatio_temporal_fusion import interpolate_frames

        return np.stack(list(interpolate_frames(self, frames, factor=factor, batch_size=batch_size)))
