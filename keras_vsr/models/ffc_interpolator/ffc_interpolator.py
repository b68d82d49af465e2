import numpy as np
import keras
from keras import ops

from keras_vsr.losses.ms_ssim import MSSSIML1Loss
from keras_vsr.metrics import PSNR, SSIM
from keras_vsr.models.ffc_interpolator.ffc_interpolator_backbone import (
    FFCInterpolatorBackbone,
    kl_divergence,
)
from keras_vsr.models.task import Task
from keras_vsr.utils.serialization import register


def check_frame_pair(frames_a, frames_b):
    """Both frame batches as float32 `(b, h, w, c)` arrays, or one clear ValueError."""
    a, b = np.asarray(frames_a), np.asarray(frames_b)
    if a.ndim == 3:
        a = a[None]
    if b.ndim == 3:
        b = b[None]
    if a.ndim != 4 or b.ndim != 4:
        raise ValueError(
            f"Frames must be (batch, h, w, c) or (h, w, c) arrays. Received shapes {np.shape(frames_a)} "
            f"and {np.shape(frames_b)}"
        )
    if a.shape != b.shape:
        raise ValueError(f"The two frame batches differ in shape: {a.shape} and {b.shape}")
    if a.shape[-1] not in (1, 3):
        raise ValueError(f"Frames must have 1 (grey) or 3 (RGB) channels. Received shape {a.shape}")
    if a.shape[1] < 1 or a.shape[2] < 1:
        raise ValueError(f"Frames are empty. Received shape {a.shape}")
    return a.astype("float32", copy=False), b.astype("float32", copy=False)


def pad_to_multiple(x, multiple):
    """Pad `(b, h, w, c)` at the bottom and right to multiples of `multiple`
    (mirror padding; edge padding for sides too short to mirror)."""
    h, w = x.shape[1], x.shape[2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if not ph and not pw:
        return x
    mode = "symmetric" if ph <= h and pw <= w else "edge"
    return np.pad(x, ((0, 0), (0, ph), (0, pw), (0, 0)), mode=mode)


@register
class FFCInterpolator(Task):
    """Frame interpolation with an `FFCInterpolatorBackbone` (a VAE of Fast
    Fourier Convolution blocks).

    Training (`fit`) takes `({"frames_a": a, "frames_b": b}, middle)` batches
    of float frames in [0, 1] (see `keras_vsr.data.TripletDataset`). The
    loss is `compute_loss`: a reconstruction loss on the predicted middle
    frame (by default the MS-SSIM + L1 mix of Zhao et al. with alpha 0.84)
    plus `kl_weight` times the KL divergence of the latent from N(0, 1).
    No backend-specific `train_step` is needed.

    `predict_middle(frames_a, frames_b)` is the inference entry point shared
    by every keras_vsr interpolator: float `(batch, h, w, c)` in [0, 1] in,
    the middle frames out, any frame size (padded, then cropped back).

    Args:
        backbone: an `FFCInterpolatorBackbone`.
        compile: bool, compile with the defaults of `compile()`. Default True.

    Example:
    ```python
    model = keras_vsr.FFCInterpolator.from_preset("ffc_interpolator_vimeo")
    middle = model.predict_middle(frame0[None] / 255.0, frame1[None] / 255.0)
    ```
    """

    backbone_cls = FFCInterpolatorBackbone

    def __init__(self, backbone, compile=True, **kwargs):
        inputs = {
            "frames_a": keras.Input(shape=(None, None, backbone.channels), name="frames_a"),
            "frames_b": keras.Input(shape=(None, None, backbone.channels), name="frames_b"),
        }
        outputs = backbone(inputs)
        self.reconstruction_loss = None
        self.kl_weight = 0.0
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)

    @property
    def channels(self):
        """Channels of the frames the model works on (1 grey, 3 RGB)."""
        return self.backbone.channels

    def compile(self, optimizer="auto", loss="auto", metrics="auto", kl_weight=1e-3, decay_steps=20000, **kwargs):
        """Compile with the defaults of the FFC interpolator.

        Args:
            optimizer: `"auto"` is Adam with cosine decay from 1e-3 to 1e-5
                over `decay_steps` steps.
            loss: the reconstruction loss on the middle frame, a
                `keras.losses.Loss` or callable `(y_true, y_pred)`; `"auto"`
                is `MSSSIML1Loss(alpha=0.84)`.
            metrics: `"auto"` is `PSNR` and `SSIM` of the middle frame.
            kl_weight: float >= 0, weight of the KL term. Default 1e-3.
            decay_steps: int, steps of the default cosine decay. Default 20000.
        """
        if isinstance(kl_weight, bool) or not isinstance(kl_weight, (int, float)) or kl_weight < 0:
            raise ValueError(f"`kl_weight` must be a number >= 0. Received: kl_weight={kl_weight!r}")
        if optimizer == "auto":
            schedule = keras.optimizers.schedules.CosineDecay(1e-3, int(decay_steps), alpha=0.01)
            optimizer = keras.optimizers.Adam(schedule)
        if loss == "auto" or loss is None:
            loss = MSSSIML1Loss(alpha=0.84)
        if metrics == "auto":
            metrics = [PSNR(), SSIM()]
        self.reconstruction_loss = loss
        self.kl_weight = float(kl_weight)
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

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

    def predict_middle(self, frames_a, frames_b, batch_size=4):
        """Predict the frames halfway between `frames_a` and `frames_b`.

        Args:
            frames_a, frames_b: float arrays `(batch, h, w, c)` (or `(h, w,
                c)`) in [0, 1], same shape, any `h` and `w`. `c` is 1 or 3:
                a grey frame given to an RGB model is copied to three
                channels and the output is its channel mean; RGB frames
                given to a grey model are interpolated channel by channel.
            batch_size: int, frames per model call. Default 4.

        Returns:
            float32 NumPy array of the input's shape, clipped to [0, 1].

        Raises:
            ValueError: shapes differ, are not 3- or 4-D, or have a channel
                count other than 1 or 3.
        """
        a, b = check_frame_pair(frames_a, frames_b)
        squeeze = np.ndim(frames_a) == 3
        n, h, w, c = a.shape
        if c == self.channels:
            out = self._predict(a, b, batch_size)
        elif c == 1:  # grey frames, RGB model
            out = self._predict(np.repeat(a, 3, -1), np.repeat(b, 3, -1), batch_size).mean(-1, keepdims=True)
        else:  # RGB frames, grey model: each channel as a grey frame
            split = lambda x: np.transpose(x, (0, 3, 1, 2)).reshape(n * c, h, w, 1)  # noqa: E731
            out = self._predict(split(a), split(b), batch_size)
            out = np.transpose(out.reshape(n, c, h, w), (0, 2, 3, 1))
        return out[0] if squeeze else out

    def _predict(self, a, b, batch_size):
        n, h, w, _ = a.shape
        multiple = self.backbone.size_multiple
        outputs = []
        for start in range(0, n, max(1, int(batch_size))):
            pa = pad_to_multiple(a[start : start + batch_size], multiple)
            pb = pad_to_multiple(b[start : start + batch_size], multiple)
            y = self.predict_on_batch({"frames_a": pa, "frames_b": pb})["middle"]
            outputs.append(np.asarray(y, dtype="float32")[:, :h, :w])
        return np.clip(np.concatenate(outputs, axis=0), 0.0, 1.0)
