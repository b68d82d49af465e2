"""Pixel losses: L1, MSE and Charbonnier (a smooth L1), one value per image."""

import keras
from keras import ops

from keras_vsr.utils.serialization import register


def per_image_mean(x):
    """Mean over every axis but the first: `(batch, ...)` -> `(batch,)`."""
    return ops.mean(x, axis=tuple(range(1, len(x.shape))))


class PixelLoss(keras.losses.Loss):
    """Base of the pixel losses: the per-image mean of `penalty(y_pred - y_true)`."""

    def penalty(self, diff):
        raise NotImplementedError

    def call(self, y_true, y_pred):
        return per_image_mean(self.penalty(y_pred - ops.cast(y_true, y_pred.dtype)))


@register
class L1Loss(PixelLoss):
    """Mean absolute error per image."""

    def __init__(self, name="l1", **kwargs):
        super().__init__(name=name, **kwargs)

    def penalty(self, diff):
        return ops.abs(diff)


@register
class MSELoss(PixelLoss):
    """Mean squared error per image."""

    def __init__(self, name="mse", **kwargs):
        super().__init__(name=name, **kwargs)

    def penalty(self, diff):
        return ops.square(diff)


@register
class CharbonnierLoss(PixelLoss):
    """`mean(sqrt((y_pred - y_true)^2 + epsilon^2))` per image (Lai et al. 2017).

    Args:
        epsilon: float, default 1e-3.
    """

    def __init__(self, epsilon=1e-3, name="charbonnier", **kwargs):
        super().__init__(name=name, **kwargs)
        self.epsilon = float(epsilon)

    def penalty(self, diff):
        return ops.sqrt(ops.square(diff) + self.epsilon**2)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


PIXEL_LOSSES = {"l1": L1Loss, "mse": MSELoss, "charbonnier": CharbonnierLoss}


def get_pixel_loss(loss, argument="loss"):
    """A new pixel loss by name (a key of `PIXEL_LOSSES`), or `loss` itself
    when it is a loss object or a callable.

    Raises:
        ValueError: for any other value, naming `argument`.
    """
    if isinstance(loss, str) and loss in PIXEL_LOSSES:
        return PIXEL_LOSSES[loss]()
    if callable(loss):
        return loss
    raise ValueError(
        f"`{argument}` must be one of {sorted(PIXEL_LOSSES)} or a loss. Received: {argument}={loss!r}"
    )
