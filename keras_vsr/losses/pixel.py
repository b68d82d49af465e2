"""Pixel losses: L1, MSE and Charbonnier (a smooth L1)."""

import keras
from keras import ops

from keras_vsr.utils.serialization import register


def _per_image_mean(x):
    return ops.mean(x, axis=tuple(range(1, len(x.shape))))


@register
class L1Loss(keras.losses.Loss):
    """Mean absolute error per image."""

    def __init__(self, name="l1", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return _per_image_mean(ops.abs(y_pred - ops.cast(y_true, y_pred.dtype)))


@register
class MSELoss(keras.losses.Loss):
    """Mean squared error per image."""

    def __init__(self, name="mse", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return _per_image_mean(ops.square(y_pred - ops.cast(y_true, y_pred.dtype)))


@register
class CharbonnierLoss(keras.losses.Loss):
    """`mean(sqrt((y_pred - y_true)^2 + epsilon^2))` per image (Lai et al. 2017).

    Args:
        epsilon: float, default 1e-3.
    """

    def __init__(self, epsilon=1e-3, name="charbonnier", **kwargs):
        super().__init__(name=name, **kwargs)
        self.epsilon = float(epsilon)

    def call(self, y_true, y_pred):
        diff = y_pred - ops.cast(y_true, y_pred.dtype)
        return _per_image_mean(ops.sqrt(ops.square(diff) + self.epsilon**2))

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
