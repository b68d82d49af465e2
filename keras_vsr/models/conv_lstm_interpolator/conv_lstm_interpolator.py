import numpy as np
import keras

from keras_vsr.models.conv_lstm_interpolator.conv_lstm_interpolator_backbone import (
    ConvLSTMInterpolatorBackbone,
)
from keras_vsr.models.frame_interpolator import FrameInterpolator
from keras_vsr.utils.serialization import register


@register
class ConvLSTMInterpolator(FrameInterpolator):
    """Frame interpolation task around a `ConvLSTMInterpolatorBackbone`.

    The model maps `(batch, num_frames, h, w, channels)` float frames in
    [0, 1] to the middle frame `(batch, h, w, channels)`; `h` and `w` must
    be multiples of `backbone.size_multiple` (4, or 16 with motion
    compensation). `predict_middle` takes any frame size and colour
    layout (see `FrameInterpolator`).

    Args:
        backbone: a `ConvLSTMInterpolatorBackbone`.
        colour_mode: str, how a grey model interpolates RGB frames,
            `"per_channel"` or `"luma"` (see `FrameInterpolator`).
            Default "per_channel".
        compile: bool, compile with the `Task` defaults: Adam with learning
            rate 1e-3, `MSELoss`, `PSNR` and `SSIM` on all channels.
            Default True.

    Example:
    ```python
    task = keras_vsr.ConvLSTMInterpolator.from_preset("conv_lstm_interpolator_f16_vimeo_grey")
    middle = task.predict_middle(frame_a[None], frame_b[None])  # float [0, 1]
    frames_2x = task.interpolate(video_uint8, factor=2)
    ```
    """

    backbone_cls = ConvLSTMInterpolatorBackbone

    def __init__(self, backbone, colour_mode="per_channel", compile=True, **kwargs):
        inputs = keras.Input(shape=backbone.input_shape[1:], name="frames")
        outputs = backbone(inputs)
        super().__init__(backbone, inputs, outputs, colour_mode=colour_mode, compile=compile, **kwargs)

    @property
    def num_frames(self):
        return self.backbone.num_frames

    def predict_pairs(self, frames_a, frames_b):
        """The network's middle frames of one padded batch of pairs (see
        `FrameInterpolator.predict_pairs`). The frames before and after the
        pair are not known here: the window repeats the pair's ends."""
        k = self.num_frames // 2
        return self.predict_on_batch(np.stack([frames_a] * k + [frames_b] * k, axis=1))
