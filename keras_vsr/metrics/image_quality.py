"""PSNR and SSIM as in the SR evaluation protocol (BasicSR `calculate_psnr`,
`calculate_ssim`): optional Y channel of ITU-R BT.601 YCbCr (MATLAB
`rgb2ycbcr`), `crop_border` pixels removed from every side, SSIM with an 11x11
Gaussian window (sigma 1.5) over the valid region.

One implementation in `keras.ops` serves both the Keras metrics used in
`fit` (float images in [0, 1]) and the plain functions on uint8 arrays.
"""

import math

import numpy as np
import keras
from keras import ops

from keras_vsr.utils.image_ops import ssim_map
from keras_vsr.utils.serialization import register

# MATLAB rgb2ycbcr, for RGB in [0, 1] -> Y in [16, 235] / 255.
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966], dtype="float32") / 255.0


def rgb_to_y(images):
    """Y of BT.601 YCbCr for `(..., 3)` RGB in [0, 1]; returns `(..., 1)` in [16/255, 235/255]."""
    images = ops.convert_to_tensor(images)
    y = ops.sum(images * ops.cast(_Y_WEIGHTS, images.dtype), axis=-1, keepdims=True)
    return y + 16.0 / 255.0


def _prepare(y_true, y_pred, crop_border, test_y_channel):
    if test_y_channel and y_true.shape[-1] == 3:
        y_true, y_pred = rgb_to_y(y_true), rgb_to_y(y_pred)
    if crop_border:
        c = int(crop_border)
        y_true = y_true[:, c:-c, c:-c, :]
        y_pred = y_pred[:, c:-c, c:-c, :]
    return y_true, y_pred


def psnr_batch(y_true, y_pred, max_val=1.0, crop_border=0, test_y_channel=False):
    """Per-image PSNR in dB of `(B, H, W, C)` batches; `inf` where images match."""
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    y_true, y_pred = _prepare(y_true, y_pred, crop_border, test_y_channel)
    mse = ops.mean(ops.square(y_true - y_pred), axis=(1, 2, 3))
    return 10.0 * ops.log10(max_val**2 / mse)


def ssim_batch(y_true, y_pred, max_val=1.0, crop_border=0, test_y_channel=False):
    """Per-image SSIM (mean over channels and valid pixels) of `(B, H, W, C)` batches."""
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    y_true, y_pred = _prepare(y_true, y_pred, crop_border, test_y_channel)
    return ops.mean(ssim_map(y_true, y_pred, max_val=max_val), axis=(1, 2, 3))


def _as_batch(img1, img2):
    a, b = np.asarray(img1), np.asarray(img2)
    if a.shape != b.shape:
        raise ValueError(
            f"Images must have the same shape. Received: {a.shape} and {b.shape}"
        )
    if a.ndim == 2:
        a, b = a[:, :, None], b[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"Expected (H, W) or (H, W, C) images. Received shape {a.shape}")
    return a[None].astype("float32") / 255.0, b[None].astype("float32") / 255.0


def psnr(img1, img2, crop_border=0, test_y_channel=False):
    """PSNR in dB between two 8-bit images `(H, W)` or `(H, W, C)`.

    Args:
        img1, img2: arrays with values in [0, 255], same shape.
        crop_border: int, pixels cut from each border before measuring.
        test_y_channel: bool, measure on the BT.601 Y channel (RGB input).

    Returns:
        float; `inf` for identical images.
    """
    a, b = _as_batch(img1, img2)
    if np.array_equal(a, b):
        return math.inf
    value = psnr_batch(a, b, 1.0, crop_border, test_y_channel)
    return float(ops.convert_to_numpy(value)[0])


def ssim(img1, img2, crop_border=0, test_y_channel=False):
    """SSIM between two 8-bit images, arguments as `psnr`."""
    a, b = _as_batch(img1, img2)
    value = ssim_batch(a, b, 1.0, crop_border, test_y_channel)
    return float(ops.convert_to_numpy(value)[0])


class _ImageQualityMetric(keras.metrics.Mean):
    _fn = None

    def __init__(self, max_val=1.0, crop_border=0, test_y_channel=False, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.max_val = max_val
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.clip(y_pred, 0.0, self.max_val)
        values = type(self)._fn(
            y_true, y_pred, self.max_val, self.crop_border, self.test_y_channel
        )
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "max_val": self.max_val,
            "crop_border": self.crop_border,
            "test_y_channel": self.test_y_channel,
        }


@register
class PSNR(_ImageQualityMetric):
    """Mean PSNR (dB) of float images in [0, max_val], for `compile(metrics=...)`.

    Predictions are clipped to [0, max_val] first. Args as `psnr`, plus
    `max_val` (default 1.0).
    """

    _fn = staticmethod(psnr_batch)

    def __init__(self, max_val=1.0, crop_border=0, test_y_channel=False, name="psnr", dtype=None):
        super().__init__(max_val, crop_border, test_y_channel, name=name, dtype=dtype)


@register
class SSIM(_ImageQualityMetric):
    """Mean SSIM of float images in [0, max_val], for `compile(metrics=...)`."""

    _fn = staticmethod(ssim_batch)

    def __init__(self, max_val=1.0, crop_border=0, test_y_channel=False, name="ssim", dtype=None):
        super().__init__(max_val, crop_border, test_y_channel, name=name, dtype=dtype)
