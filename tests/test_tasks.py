"""Every task family keeps the task contract (`tests.support.run_task_test`):
predict shapes, config and preset round trips, and a training step that
learns, on tiny models and data."""

import numpy as np
import pytest

from tests.support import run_task_test, tiny_srresnet


def _images(*shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


def super_resolver():
    from keras_vsr.models import SuperResolver

    x = _images(4, 8, 8, 3)
    return SuperResolver(tiny_srresnet()), x, _images(4, 32, 32, 3, seed=1), (4, 32, 32, 3)


def conv_lstm_interpolator():
    from keras_vsr.models import ConvLSTMInterpolator, ConvLSTMInterpolatorBackbone

    backbone = ConvLSTMInterpolatorBackbone(filters=4, lstm_filters=4, channels=1)
    x = _images(4, 2, 16, 16, 1)  # 16 px: the SSIM metric's window is 11
    return ConvLSTMInterpolator(backbone), x, x.mean(axis=1), (4, 16, 16, 1)


def ffc_interpolator():
    from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone

    backbone = FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2, seed=0)
    from keras_vsr.losses import L1Loss

    task = FFCInterpolator(backbone)
    task.compile(loss=L1Loss())  # the default MS-SSIM needs frames of 176 px and more
    a, b = _images(4, 16, 16, 3), _images(4, 16, 16, 3, seed=1)
    return task, {"frames_a": a, "frames_b": b}, (a + b) / 2, {"middle": (4, 16, 16, 3)}


def grey2rgb_colorizer():
    from keras_vsr.models import Grey2RGBBackbone, Grey2RGBColorizer

    rgb = _images(4, 16, 16, 3)
    return Grey2RGBColorizer(Grey2RGBBackbone(filters=4, depth=2)), rgb.mean(-1, keepdims=True), rgb, (4, 16, 16, 3)


@pytest.mark.parametrize("make", [super_resolver, conv_lstm_interpolator, ffc_interpolator, grey2rgb_colorizer])
def test_task_contract(make, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    task, x, y, shape = make()
    run_task_test(task, x, y, tmp_path, expected_output_shape=shape)
