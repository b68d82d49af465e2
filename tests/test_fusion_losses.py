import numpy as np
import pytest

import keras
from tests.support import to_numpy
from keras_vsr.losses import MaxEntropyLoss, MSESSIMLoss, SSIMLoss, soft_histogram_entropy
from keras_vsr.metrics.image_quality import ssim_batch


def _images(seed=0, shape=(2, 16, 16, 1)):
    return np.random.default_rng(seed).random(shape).astype("float32")


def test_ssim_loss_is_one_minus_ssim():
    a, b = _images(0), _images(1)
    loss = to_numpy(SSIMLoss(reduction=None)(a, b))
    np.testing.assert_allclose(loss, 1 - to_numpy(ssim_batch(a, b)), atol=1e-5)
    assert np.allclose(to_numpy(SSIMLoss(reduction=None)(a, a)), 0.0, atol=1e-5)


def test_mse_ssim_loss_adds_weighted_terms():
    a, b = _images(0), _images(1)
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    ssim = to_numpy(ssim_batch(a, b))
    loss = to_numpy(MSESSIMLoss(ssim_weight=0.5, mse_weight=2.0, reduction=None)(a, b))
    np.testing.assert_allclose(loss, 2.0 * mse + 0.5 * (1 - ssim), atol=1e-5)
    only_mse = to_numpy(MSESSIMLoss(ssim_weight=0.0, reduction=None)(a, b))
    np.testing.assert_allclose(only_mse, mse, atol=1e-6)


def test_entropy_of_constant_and_spread_images():
    flat = np.full((1, 16, 16, 1), 0.5, "float32")
    spread = np.linspace(0, 1, 256, dtype="float32").reshape(1, 16, 16, 1)
    h_flat = float(to_numpy(soft_histogram_entropy(flat))[0])
    h_spread = float(to_numpy(soft_histogram_entropy(spread))[0])
    # a constant image still fills a few neighbouring bins (kernel width = bin width)
    assert 0.0 <= h_flat < 0.5
    assert 0.95 < h_spread <= 1.0 + 1e-6


def test_max_entropy_loss_formula_and_alpha_zero_is_mse():
    a, b = _images(0), _images(1)
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(to_numpy(MaxEntropyLoss(alpha=0.0, reduction=None)(a, b)), mse, atol=1e-6)
    h = to_numpy(soft_histogram_entropy(b, bins=16))
    loss = to_numpy(MaxEntropyLoss(alpha=0.3, bins=16, reduction=None)(a, b))
    np.testing.assert_allclose(loss, mse + 0.3 * (1 - h), atol=1e-5)


def test_max_entropy_gradient_spreads_a_flat_prediction():
    """A gradient step on the regulariser alone raises the prediction's entropy."""
    target = np.full((1, 16, 16, 1), 0.5, "float32")
    pred = keras.Variable(0.5 + 0.01 * _images(2, (1, 16, 16, 1)) - 0.005)
    loss_fn = MaxEntropyLoss(alpha=1.0)
    model = keras.Sequential([keras.layers.Input((16, 16, 1)), keras.layers.Conv2D(1, 1)])
    model.layers[0].set_weights([np.ones((1, 1, 1, 1), "float32"), np.zeros(1, "float32")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss_fn)
    x = to_numpy(pred)
    before = float(to_numpy(soft_histogram_entropy(model(x)))[0])
    model.fit(x, target, epochs=5, verbose=0)
    after = float(to_numpy(soft_histogram_entropy(model(x)))[0])
    assert after > before


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (MaxEntropyLoss, {"alpha": -1}, "alpha=-1"),
        (MaxEntropyLoss, {"bins": 1}, "bins=1"),
        (MaxEntropyLoss, {"bandwidth": 0}, "bandwidth=0"),
        (MSESSIMLoss, {"ssim_weight": -0.1}, "ssim_weight=-0.1"),
        (SSIMLoss, {"max_val": 0}, "max_val=0"),
    ],
)
def test_losses_reject_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [SSIMLoss, MSESSIMLoss, MaxEntropyLoss])
def test_losses_serialise(cls):
    loss = cls()
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is cls and clone.get_config() == loss.get_config()
