"""FFC VAE interpolator: backbone, sampling, KL term, loss, training, predict_middle."""

import math

import keras
import numpy as np
import pytest

from tests.support import to_numpy
from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone
from keras_vsr.models.ffc_interpolator import VAESampling, kl_divergence

TINY = {"filters": 8, "num_levels": 1, "latent_channels": 2, "seed": 0}


def _frames(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random(shape).astype("float32"), rng.random(shape).astype("float32")


def test_backbone_shapes_config_and_preset_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    backbone = FFCInterpolatorBackbone(**TINY)
    a, b = _frames((2, 16, 12, 3))
    out = backbone({"frames_a": a, "frames_b": b}, training=False)
    assert to_numpy(out["middle"]).shape == (2, 16, 12, 3)
    assert to_numpy(out["mean"]).shape == (2, 8, 6, 2) == to_numpy(out["log_var"]).shape
    # The output layer starts at zero: an untrained model is frame averaging.
    np.testing.assert_allclose(to_numpy(out["middle"]), (a + b) / 2, atol=1e-6)

    config = {k: v for k, v in backbone.get_config().items() if k != "trainable"}
    rebuilt = FFCInterpolatorBackbone(**config)
    assert rebuilt.get_config() == backbone.get_config()
    backbone.save_to_preset(str(tmp_path / "preset"))
    task = FFCInterpolator.from_preset(str(tmp_path / "preset"))
    assert task.channels == 3
    loaded = task.backbone({"frames_a": a, "frames_b": b}, training=False)
    np.testing.assert_allclose(to_numpy(loaded["middle"]), to_numpy(out["middle"]), atol=1e-6)


def test_sampling_is_random_in_training_and_the_mean_at_inference():
    mean = np.full((2, 4, 4, 3), 0.5, "float32")
    log_var = np.zeros((2, 4, 4, 3), "float32")
    layer = VAESampling(seed=1)
    np.testing.assert_array_equal(to_numpy(layer([mean, log_var], training=False)), mean)
    first = to_numpy(layer([mean, log_var], training=True))
    second = to_numpy(layer([mean, log_var], training=True))
    assert not np.allclose(first, second)
    samples = to_numpy(layer([np.zeros((64, 16, 16, 2), "float32"), np.full((64, 16, 16, 2), math.log(4.0), "float32")], training=True))
    assert abs(samples.mean()) < 0.05 and abs(samples.std() - 2.0) < 0.05


def test_kl_divergence_of_known_gaussians():
    shape = (2, 3, 3, 4)
    np.testing.assert_allclose(to_numpy(kl_divergence(np.zeros(shape), np.zeros(shape))), 0.0, atol=1e-7)
    # KL(N(1, 1) || N(0, 1)) = 1/2 per element.
    np.testing.assert_allclose(to_numpy(kl_divergence(np.ones(shape, "float32"), np.zeros(shape, "float32"))), 0.5, rtol=1e-6)
    # KL(N(0, 2) || N(0, 1)) = (2 - 1 - ln 2) / 2.
    value = to_numpy(kl_divergence(np.zeros(shape, "float32"), np.full(shape, math.log(2.0), "float32")))
    np.testing.assert_allclose(value, (1 - math.log(2.0)) / 2, rtol=1e-5)
    # Per image: the batch axis is kept.
    mixed = np.stack([np.zeros(shape[1:]), np.ones(shape[1:])]).astype("float32")
    np.testing.assert_allclose(to_numpy(kl_divergence(mixed, np.zeros(shape, "float32"))), [0.0, 0.5], atol=1e-6)


def test_compute_loss_is_reconstruction_plus_weighted_kl():
    from keras_vsr.losses import L1Loss

    keras.utils.set_random_seed(0)
    task = FFCInterpolator(FFCInterpolatorBackbone(**TINY), compile=False)
    task.compile(loss=L1Loss(), kl_weight=0.5)
    a, b = _frames((2, 8, 8, 3))
    truth = np.zeros((2, 8, 8, 3), "float32")
    y_pred = {
        "middle": np.full((2, 8, 8, 3), 0.25, "float32"),
        "mean": np.ones((2, 4, 4, 2), "float32"),
        "log_var": np.zeros((2, 4, 4, 2), "float32"),
    }
    loss = to_numpy(task.compute_loss({"frames_a": a, "frames_b": b}, truth, y_pred))
    np.testing.assert_allclose(loss, 0.25 + 0.5 * 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="kl_weight"):
        task.compile(kl_weight=-1)


def test_fit_lowers_the_loss_and_predict_middle_handles_any_size():
    keras.utils.set_random_seed(0)
    task = FFCInterpolator(FFCInterpolatorBackbone(**TINY), compile=False)
    task.compile(optimizer=keras.optimizers.Adam(3e-3), kl_weight=1e-3)
    # A horizontal shift: the middle frame is not the average.
    rng = np.random.default_rng(0)
    base = np.kron(rng.random((4, 6, 8, 3)), np.ones((1, 4, 4, 1))).astype("float32")
    a, m, b = base[:, :, 0:16], base[:, :, 4:20], base[:, :, 8:24]
    history = task.fit({"frames_a": a, "frames_b": b}, m, batch_size=4, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert "psnr" in history.history

    odd_a, odd_b = _frames((3, 13, 11, 3))
    out = task.predict_middle(odd_a, odd_b, batch_size=2)
    assert out.shape == (3, 13, 11, 3) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_allclose(out, task.predict_middle(odd_a, odd_b), atol=1e-5)  # deterministic
    assert task.predict_middle(odd_a[..., :1], odd_b[..., :1]).shape == (3, 13, 11, 1)
    tiny = task.predict_middle(odd_a[:1, :1, :1], odd_b[:1, :1, :1])
    assert tiny.shape == (1, 1, 1, 3)


def test_grey_model_interpolates_rgb_channel_by_channel():
    keras.utils.set_random_seed(0)
    task = FFCInterpolator(FFCInterpolatorBackbone(channels=1, **TINY))
    a, b = _frames((2, 10, 9, 3))
    out = task.predict_middle(a, b)
    assert out.shape == (2, 10, 9, 3)
    np.testing.assert_allclose(out[..., 1:2], task.predict_middle(a[..., 1:2], b[..., 1:2]), atol=1e-6)


def test_bad_input_and_arguments():
    task = FFCInterpolator(FFCInterpolatorBackbone(**TINY))
    a, b = _frames((1, 8, 8, 3))
    with pytest.raises(ValueError, match="same shape"):
        task.predict_middle(a, b[:, :4])
    with pytest.raises(ValueError, match=r"\(batch, h, w, 1\) or \(batch, h, w, 3\)"):
        task.predict_middle(np.zeros((1, 8, 8, 2)), np.zeros((1, 8, 8, 2)))
    with pytest.raises(ValueError, match="must have shape"):
        task.predict_middle(np.zeros((8, 8)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="add a leading axis"):
        task.predict_middle(a[0], b[0])
    with pytest.raises(ValueError, match="batch_size"):
        task.predict_middle(a, b, batch_size=0)
    with pytest.raises(ValueError, match="filters"):
        FFCInterpolatorBackbone(filters=12)
    with pytest.raises(ValueError, match="channels"):
        FFCInterpolatorBackbone(channels=2)
    with pytest.raises(ValueError, match="num_levels"):
        FFCInterpolatorBackbone(num_levels=0)
