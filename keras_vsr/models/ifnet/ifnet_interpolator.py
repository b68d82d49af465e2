import keras
import numpy as np

from keras_vsr.models.frame_interpolator import FrameInterpolator
from keras_vsr.models.ifnet.ifnet_backbone import IFNetBackbone
from keras_vsr.utils.checks import open_fraction
from keras_vsr.utils.serialization import register

MIDPOINT = 0.5


@register
class IFNetInterpolator(FrameInterpolator):
    """Frame interpolation with RIFE's IFNet (`IFNetBackbone`): the frame at
    any time `t` in (0, 1) between two frames, in one pass.

    `predict_middle(frames_a, frames_b)` (t = 0.5) and
    `predict_at(frames_a, frames_b, t)` take float `(batch, h, w, c)` frames
    in [0, 1] (uint8 accepted) of any size, `c` 1 or 3 (grey frames run as
    RGB and come back as the mean of the channels). The frame-rate pipeline
    (`keras_vsr.io.framerate`) sees `predict_at` and makes the frames of
    any integer factor directly at t = k / factor.

    Args:
        backbone: an `IFNetBackbone`.
        colour_mode: as `FrameInterpolator` (unused: IFNet is an RGB model).
        compile: bool, compile with the defaults of `compile()`. Default True.

    Example:
    ```python
    task = keras_vsr.load_task("flownet.pkl", "interpolate")  # RIFE v4.25 / v4.26 / v4.6 weights
    third = task.predict_at(frame_a[None] / 255.0, frame_b[None] / 255.0, t=1 / 3)
    ```
    """

    backbone_cls = IFNetBackbone

    def __init__(self, backbone, colour_mode="per_channel", compile=True, **kwargs):
        inputs = {
            "frames_a": keras.Input(shape=(None, None, 3), name="frames_a"),
            "frames_b": keras.Input(shape=(None, None, 3), name="frames_b"),
            "time": keras.Input(shape=(1,), name="time"),
        }
        outputs = backbone(inputs)["middle"]
        super().__init__(backbone, inputs, outputs, colour_mode=colour_mode, compile=compile, **kwargs)
        self._time = MIDPOINT

    def predict_pairs(self, frames_a, frames_b):
        """The network's frames at the current time (0.5 unless called
        through `predict_at`) of one batch of pairs (see
        `FrameInterpolator.predict_pairs`)."""
        time = np.full((len(frames_a), 1), self._time, "float32")
        return self.predict_on_batch({"frames_a": frames_a, "frames_b": frames_b, "time": time})

    def predict_at(self, frames_a, frames_b, t, batch_size=4):
        """Predict the frames at time `t` between `frames_a` (t = 0) and
        `frames_b` (t = 1).

        Args:
            frames_a, frames_b, batch_size: as `predict_middle`.
            t: float in (0, 1).

        Returns:
            float32 NumPy array of the input's shape, in [0, 1].

        Raises:
            ValueError: for `t` outside (0, 1) and everything
                `predict_middle` refuses.
        """
        t = open_fraction(t, "t")
        self._time = t
        try:
            return self.predict_middle(frames_a, frames_b, batch_size=batch_size)
        finally:
            self._time = MIDPOINT
