"""SSIM as a loss, alone or as a regulariser beside MSE."""

import keras
from keras import ops

from keras_vsr.losses.pixel import per_image_mean
from keras_vsr.utils.image_ops import ssim_map
from keras_vsr.utils.serialization import register


def _check_weight(name, value):
    if not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
    return float(value)


@register
class SSIMLoss(keras.losses.Loss):
    """`1 - SSIM` per image (11x11 Gaussian window, sigma 1.5, valid region).

    Images are float `(batch, h, w, c)` in [0, `max_val`], at least 11
    pixels on each side; SSIM is averaged over channels and pixels.

    Args:
        max_val: float > 0, the dynamic range. Default 1.0.
        name: str, default "ssim_loss".
    """

    def __init__(self, max_val=1.0, name="ssim_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(max_val, (int, float)) or max_val <= 0:
            raise ValueError(f"`max_val` must be a number > 0. Received: max_val={max_val!r}")
        self.max_val = float(max_val)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        return 1.0 - per_image_mean(ssim_map(y_true, y_pred, max_val=self.max_val))

    def get_config(self):
        return {**super().get_config(), "max_val": self.max_val}


@register
class MSESSIMLoss(keras.losses.Loss):
    """`mse_weight * MSE + ssim_weight * (1 - SSIM)` per image.

    MSE drives fidelity pixel by pixel; the SSIM term regularises towards
    matching local means, contrasts and structure (Wang et al. 2004).

    Args:
        ssim_weight: float >= 0, weight of `1 - SSIM`. Default 0.1.
        mse_weight: float >= 0, weight of the MSE. Default 1.0.
        max_val: float > 0, dynamic range for SSIM. Default 1.0.
        name: str, default "mse_ssim".
    """

    def __init__(self, ssim_weight=0.1, mse_weight=1.0, max_val=1.0, name="mse_ssim", **kwargs):
        super().__init__(name=name, **kwargs)
        self.ssim_weight = _check_weight("ssim_weight", ssim_weight)
        self.mse_weight = _check_weight("mse_weight", mse_weight)
        self.ssim = SSIMLoss(max_val=max_val)
        self.max_val = self.ssim.max_val

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        mse = per_image_mean(ops.square(y_pred - y_true))
        return self.mse_weight * mse + self.ssim_weight * self.ssim.call(y_true, y_pred)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"ssim_weight": self.ssim_weight, "mse_weight": self.mse_weight, "max_val": self.max_val}
        )
        return config
