import keras
from keras import ops

from keras_vsr.losses.ms_ssim import MSSSIML1Loss
from keras_vsr.models.ffc_interpolator.ffc_interpolator_backbone import (
    FFCInterpolatorBackbone,
    kl_divergence,
)
from keras_vsr.models.frame_interpolator import FrameInterpolator
from keras_vsr.utils.serialization import register


@register
class FFCInterpolator(FrameInterpolator):
    """Frame interpolation with an `FFCInterpolatorBackbone` (a VAE of Fast
    Fourier Convolution blocks).

    Training (`fit`) takes `({"frames_a": a, "frames_b": b}, middle)` batches
    of float frames in [0, 1] (see `keras_vsr.data.TripletDataset`). The
    loss is `compute_loss`: a reconstruction loss on the predicted middle
    frame (by default the MS-SSIM + L1 mix of Zhao et al. with alpha 0.84)
    plus `kl_weight` times the KL divergence of the latent from N(0, 1).
    No backend-specific `train_step` is needed.

    `predict_middle(frames_a, frames_b)` is the inference entry point shared
    by every keras_vsr interpolator (see `FrameInterpolator`): float
    `(batch, h, w, c)` in [0, 1] in, the middle frames out, any frame size
    (padded, then cropped back).

    Args:
        backbone: an `FFCInterpolatorBackbone`.
        colour_mode: `"per_channel"` (default) or `"luma"`, what a grey
            backbone does with RGB frames (see `FrameInterpolator`).
        compile: bool, compile with the defaults of `compile()`. Default True.

    Example:
    ```python
    model = keras_vsr.FFCInterpolator.from_preset("ffc_interpolator_vimeo")
    middle = model.predict_middle(frame0[None] / 255.0, frame1[None] / 255.0)
    ```
    """

    backbone_cls = FFCInterpolatorBackbone

    def __init__(self, backbone, colour_mode="per_channel", compile=True, **kwargs):
        inputs = {
            "frames_a": keras.Input(shape=(None, None, backbone.channels), name="frames_a"),
            "frames_b": keras.Input(shape=(None, None, backbone.channels), name="frames_b"),
        }
        outputs = backbone(inputs)
        self.reconstruction_loss = None
        self.kl_weight = 0.0
        super().__init__(backbone, inputs, outputs, colour_mode=colour_mode, compile=compile, **kwargs)

    def compile(self, optimizer="auto", loss="auto", metrics="auto", kl_weight=1e-3, decay_steps=20000, **kwargs):
        """Compile with the defaults of the FFC interpolator.

        Args:
            optimizer: `"auto"` is Adam with cosine decay from 1e-3 to 1e-5
                over `decay_steps` steps.
            loss: the reconstruction loss on the middle frame, a
                `keras.losses.Loss` or callable `(y_true, y_pred)`; `"auto"`
                is `MSSSIML1Loss(alpha=0.84)`.
            metrics: `"auto"` is `PSNR` and `SSIM` of the middle frame
                (`default_metrics()`).
            kl_weight: float >= 0, weight of the KL term. Default 1e-3.
            decay_steps: int, steps of the default cosine decay. Default 20000.
        """
        if isinstance(kl_weight, bool) or not isinstance(kl_weight, (int, float)) or kl_weight < 0:
            raise ValueError(f"`kl_weight` must be a number >= 0. Received: kl_weight={kl_weight!r}")
        if optimizer == "auto":
            optimizer = self.default_optimizer(decay_steps)
        self.reconstruction_loss = self.default_loss() if loss == "auto" or loss is None else loss
        self.kl_weight = float(kl_weight)
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def default_optimizer(self, decay_steps=20000):
        """The optimizer of `compile(optimizer="auto")`: Adam with cosine
        decay from 1e-3 to 1e-5 over `decay_steps` steps."""
        schedule = keras.optimizers.schedules.CosineDecay(1e-3, int(decay_steps), alpha=0.01)
        return keras.optimizers.Adam(schedule)

    def default_loss(self):
        """The reconstruction loss of `compile(loss="auto")`: `MSSSIML1Loss(alpha=0.84)`."""
        return MSSSIML1Loss(alpha=0.84)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Reconstruction loss of the middle frame + `kl_weight` * KL."""
        middle = y_pred["middle"]
        total = ops.mean(self.reconstruction_loss(y, middle))
        if self.kl_weight:
            total = total + self.kl_weight * ops.mean(kl_divergence(y_pred["mean"], y_pred["log_var"]))
        for extra in self.losses:
            total = total + ops.cast(extra, total.dtype)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, dict):
            y_pred = y_pred["middle"]
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def predict_pairs(self, frames_a, frames_b):
        """The network's middle frames of one padded batch of pairs (see
        `FrameInterpolator.predict_pairs`)."""
        return self.predict_on_batch({"frames_a": frames_a, "frames_b": frames_b})["middle"]
