"""MS-SSIM against TensorFlow's reference, and the MS-SSIM + L1 loss."""

import keras
import numpy as np
import pytest

from tests.support import to_numpy
from keras_vsr.losses import MSSSIML1Loss, MSSSIMLoss, ms_ssim


def _pair(shape, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    base = rng.random((shape[0], shape[1] // 8 + 1, shape[2] // 8 + 1, shape[3]))
    clean = np.kron(base, np.ones((1, 8, 8, 1)))[:, : shape[1], : shape[2]]
    clean = (clean * 0.8 + 0.1).astype("float32")
    noisy = np.clip(clean + noise * rng.standard_normal(shape), 0, 1).astype("float32")
    return clean, noisy


def test_ms_ssim_matches_tensorflow_reference():
    tf = pytest.importorskip("tensorflow")
    clean, noisy = _pair((2, 192, 176, 3))
    expected = tf.image.ssim_multiscale(clean, noisy, max_val=1.0).numpy()
    np.testing.assert_allclose(to_numpy(ms_ssim(clean, noisy)), expected, rtol=1e-4, atol=1e-5)
    three = tf.image.ssim_multiscale(clean, noisy, 1.0, power_factors=(0.2, 0.3, 0.5)).numpy()
    np.testing.assert_allclose(to_numpy(ms_ssim(clean, noisy, power_factors=(0.2, 0.3, 0.5))), three, rtol=1e-4)


def test_ms_ssim_identity_ordering_and_small_crops():
    clean, noisy = _pair((2, 48, 40, 3), noise=0.05)
    _, noisier = _pair((2, 48, 40, 3), noise=0.2)
    np.testing.assert_allclose(to_numpy(ms_ssim(clean, clean)), 1.0, atol=1e-5)
    a, b = to_numpy(ms_ssim(clean, noisy)), to_numpy(ms_ssim(clean, noisier))
    assert np.all(np.isfinite(a)) and np.all(b < a) and np.all(a < 1)


def test_ms_ssim_l1_loss_value_gradient_and_config():
    clean, noisy = _pair((2, 64, 64, 3))
    loss = MSSSIML1Loss(alpha=0.84)
    expected = 0.84 * (1 - to_numpy(ms_ssim(clean, noisy))) + 0.16 * np.abs(clean - noisy).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(to_numpy(loss(clean, noisy)), expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(MSSSIMLoss()(clean, clean)), 0.0, atol=1e-5)
    clone = MSSSIML1Loss.from_config(loss.get_config())
    assert clone.alpha == 0.84 and clone.power_factors == loss.power_factors

    # It trains: a tiny model fitted with the loss gets closer to the target.
    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    x, y = _pair((4, 32, 32, 3), seed=3)
    history = model.fit(y, x, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(history.history["loss"]).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="alpha"):
        MSSSIML1Loss(alpha=1.5)
    with pytest.raises(ValueError, match="power_factors"):
        MSSSIMLoss(power_factors=())
    with pytest.raises(ValueError, match="batch, h, w, c"):
        ms_ssim(np.zeros((8, 8, 3), "float32"), np.zeros((8, 8, 3), "float32"))
