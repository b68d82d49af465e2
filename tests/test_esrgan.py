"""ESRGAN training pieces: relativistic losses on known logits, the
spectral-norm convolution against an SVD, the U-Net discriminator, VGG16
features before activation, and the ESRGAN task's fit, save and resume on
whichever backend KERAS_BACKEND selects."""

import numpy as np
import pytest
import keras

from tests.support import run_layer_test, to_numpy
from keras_vsr.layers import SpectralConv2D, VGGFeatureExtractor
from keras_vsr.losses import MSELoss, relativistic_discriminator_loss, relativistic_generator_loss
from keras_vsr.models import ESRGAN, SRResNetBackbone, SuperResolver, UNetDiscriminator
from keras_vsr.utils.weights import VGG16_WEIGHTS_FILE, default_weights_dir


def softplus(x):
    return np.log1p(np.exp(x))


def test_relativistic_losses_on_known_logits():
    real = np.array([[2.0, 0.0], [1.0, 3.0]], "float32")  # mean 1.5
    fake = np.array([[-1.0, 0.5], [0.5, -2.0]], "float32")  # mean -0.5
    d = 0.5 * (softplus(-(real + 0.5)).mean() + softplus(fake - 1.5).mean())
    g = 0.5 * (softplus(real + 0.5).mean() + softplus(-(fake - 1.5)).mean())
    np.testing.assert_allclose(float(to_numpy(relativistic_discriminator_loss(real, fake))), d, rtol=1e-6)
    np.testing.assert_allclose(float(to_numpy(relativistic_generator_loss(real, fake))), g, rtol=1e-6)
    # Swapping the roles of real and fake swaps the two losses.
    np.testing.assert_allclose(
        float(to_numpy(relativistic_discriminator_loss(fake, real))), g, rtol=1e-6
    )


def test_relativistic_loss_is_log2_when_nothing_is_told_apart():
    scores = np.full((3, 4, 4, 1), 0.7, "float32")
    for loss in (relativistic_discriminator_loss, relativistic_generator_loss):
        np.testing.assert_allclose(float(to_numpy(loss(scores, scores))), np.log(2.0), rtol=1e-6)


def test_spectral_norm_power_iteration_converges_to_the_largest_singular_value():
    keras.utils.set_random_seed(0)
    layer = SpectralConv2D(6, 3, power_iterations=1)
    x = np.random.default_rng(0).random((1, 9, 9, 4)).astype("float32")
    layer(x)
    kernel = to_numpy(layer.kernel)
    largest = np.linalg.svd(kernel.reshape(-1, 6), compute_uv=False)[0]
    for _ in range(60):  # one power step per training call
        layer(x, training=True)
    np.testing.assert_allclose(float(to_numpy(layer.sigma())), largest, rtol=1e-4)
    np.testing.assert_array_equal(to_numpy(layer.kernel), kernel)  # the trained kernel is never overwritten

    # The output is the plain convolution with the kernel divided by sigma.
    conv = keras.layers.Conv2D(6, 3, padding="same")
    conv(x)
    conv.set_weights([kernel / largest, to_numpy(layer.bias)])
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(conv(x)), atol=1e-4)
    normalised = np.linalg.svd((kernel / float(to_numpy(layer.sigma()))).reshape(-1, 6), compute_uv=False)[0]
    np.testing.assert_allclose(normalised, 1.0, rtol=1e-4)


def test_spectral_conv_serialises_and_updates_u_only_in_training(tmp_path):
    run_layer_test(
        SpectralConv2D,
        {"filters": 4, "kernel_size": 4, "strides": 2, "use_bias": False},
        (2, 8, 6, 3),
        (2, 4, 3, 4),
        tmp_path,
    )
    layer = SpectralConv2D(4, 3)
    x = np.ones((1, 5, 5, 2), "float32")
    layer(x)
    u = to_numpy(layer.u).copy()
    layer(x, training=False)
    np.testing.assert_array_equal(to_numpy(layer.u), u)
    layer(x, training=True)
    assert not np.array_equal(to_numpy(layer.u), u)
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralConv2D(4, 3, power_iterations=0)


def test_unet_discriminator_scores_every_pixel_and_round_trips():
    disc = UNetDiscriminator(filters=4)
    x = np.random.default_rng(0).random((2, 16, 24, 3)).astype("float32")
    scores = to_numpy(disc(x))
    assert scores.shape == (2, 16, 24, 1)
    spectral = [layer for layer in disc.layers if isinstance(layer, SpectralConv2D)]
    assert len(spectral) == 8
    again = UNetDiscriminator.from_config(disc.get_config())
    again.set_weights(disc.get_weights())
    np.testing.assert_allclose(to_numpy(again(x)), scores, atol=1e-6)


@pytest.mark.skipif(not (default_weights_dir() / VGG16_WEIGHTS_FILE).is_file(), reason="converted VGG16 weights")
def test_vgg_features_before_activation_are_the_relu_inputs():
    x = np.random.default_rng(0).random((1, 32, 32, 3)).astype("float32")
    layers = ["block1_conv2", "block3_conv3", "block5_conv3"]
    after = VGGFeatureExtractor(layers)(x)
    before = VGGFeatureExtractor(layers, before_activation=True)(x)
    for name in layers:
        b = to_numpy(before[name])
        assert b.min() < 0
        np.testing.assert_allclose(np.maximum(b, 0), to_numpy(after[name]), atol=1e-4)


def tiny_esrgan(seed=0):
    keras.utils.set_random_seed(seed)
    generator = SRResNetBackbone(
        scale=2, num_blocks=1, filters=8, use_batch_norm=False, head_kernel_size=3, tail_kernel_size=3
    )
    return ESRGAN(generator, UNetDiscriminator(filters=4), seed=seed)


def compile_esrgan(task, **kwargs):
    task.compile(
        generator_optimizer=keras.optimizers.Adam(1e-2),
        discriminator_optimizer=keras.optimizers.Adam(1e-2),
        perceptual_loss=MSELoss(),
        **kwargs,
    )


def pairs(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 3)).astype("float32"), rng.random((n, 16, 16, 3)).astype("float32")


def weights(model):
    return [to_numpy(v).copy() for v in model.weights]


@pytest.mark.parametrize("gan_type", ["ragan", "vanilla"])
def test_one_fit_step_changes_both_networks(gan_type):
    task = tiny_esrgan()
    compile_esrgan(task, gan_type=gan_type)
    g0, d0 = weights(task.backbone), weights(task.discriminator)
    lr, hr = pairs()
    history = task.fit(lr, hr, batch_size=4, epochs=1, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(g0, weights(task.backbone)))
    assert any(not np.array_equal(a, b) for a, b in zip(d0, weights(task.discriminator)))
    assert set(history.history) == set(task.loss_names())
    assert all(np.isfinite(v[-1]) for v in history.history.values())


def test_generator_adversarial_term_is_the_relativistic_loss():
    task = tiny_esrgan()
    compile_esrgan(task)
    lr, hr = pairs()
    sr = task.backbone(lr)
    real, fake = task.discriminator(hr), task.discriminator(sr)
    terms = task.generator_terms(hr, sr, fake, real)
    np.testing.assert_allclose(
        float(to_numpy(terms["g_adversarial"])), float(to_numpy(relativistic_generator_loss(real, fake))), rtol=1e-6
    )


def test_save_reload_and_resume(tmp_path):
    lr, hr = pairs()
    task = tiny_esrgan()
    compile_esrgan(task)
    task.fit(lr, hr, batch_size=4, epochs=1, verbose=0)
    task.save_to_preset(tmp_path / "esrgan")
    loaded = ESRGAN.from_preset(str(tmp_path / "esrgan"))
    assert type(loaded.discriminator) is UNetDiscriminator
    np.testing.assert_allclose(to_numpy(loaded.predict_on_batch(lr)), to_numpy(task.predict_on_batch(lr)), atol=1e-5)
    np.testing.assert_allclose(
        to_numpy(loaded.discriminator(hr)), to_numpy(task.discriminator(hr)), atol=1e-5
    )
    sr = SuperResolver.from_preset(str(tmp_path / "esrgan"))
    np.testing.assert_allclose(to_numpy(sr.predict_on_batch(lr)), to_numpy(task.predict_on_batch(lr)), atol=1e-5)

    # Resumed from a checkpoint, training continues from both networks'
    # weights and both optimizers' states.
    from keras_vsr.training.callbacks import TrainingCheckpoint

    first = tiny_esrgan()
    compile_esrgan(first)
    first.fit(lr, hr, batch_size=2, epochs=1, shuffle=False, verbose=0,
              callbacks=[TrainingCheckpoint(tmp_path / "backup")])
    saved = weights(first.backbone), weights(first.discriminator)
    resumed = tiny_esrgan(seed=5)  # other initial weights: all that matches comes from the checkpoint

    class Check(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = [weights(self.model.backbone), weights(self.model.discriminator)]
            self.steps = int(self.model.generator_optimizer.iterations), int(
                self.model.discriminator_optimizer.iterations
            )

    check = Check()
    compile_esrgan(resumed)
    resumed.fit(lr, hr, batch_size=2, epochs=2, shuffle=False, verbose=0,
                callbacks=[TrainingCheckpoint(tmp_path / "backup"), check])
    assert check.steps == (2, 2)
    for got, want in zip(check.start, saved):
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    assert int(resumed.generator_optimizer.iterations) == 4


def test_bad_gan_type_is_one_error():
    with pytest.raises(ValueError, match="gan_type"):
        tiny_esrgan().compile(gan_type="wgan", perceptual_loss=MSELoss())
