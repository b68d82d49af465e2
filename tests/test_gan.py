"""GAN tasks (SRGAN, SRWGAN): alternating updates, n_critic, EMA, resume,
presets. Runs on whichever backend KERAS_BACKEND selects."""

import numpy as np
import pytest
import keras

from tests.support import to_numpy
from keras_vsr.losses import MSELoss
from keras_vsr.models import (
    ESRGAN,
    SRGAN,
    SRWGAN,
    GANOptimizer,
    SRGANDiscriminator,
    SRResNetBackbone,
    SRWGANCritic,
    SuperResolver,
    UNetDiscriminator,
)


def tiny_generator():
    return SRResNetBackbone(
        scale=2, num_blocks=1, filters=8, use_batch_norm=False, head_kernel_size=3, tail_kernel_size=3
    )


def make_srgan(use_batch_norm=True, seed=0):
    keras.utils.set_random_seed(seed)
    disc = SRGANDiscriminator(image_size=16, filters=4, dense_units=8, use_batch_norm=use_batch_norm)
    return SRGAN(tiny_generator(), disc, seed=seed)


def make_srwgan(seed=0):
    keras.utils.set_random_seed(seed)
    return SRWGAN(tiny_generator(), SRWGANCritic(filters=4, num_blocks=2), seed=seed)


def compile_srgan(task, **kwargs):
    kwargs.setdefault("generator_optimizer", keras.optimizers.Adam(1e-2))
    kwargs.setdefault("discriminator_optimizer", keras.optimizers.Adam(1e-2))
    task.compile(perceptual_loss=MSELoss(), pixel_weight=1.0, perceptual_weight=0.5, **kwargs)


def compile_srwgan(task, **kwargs):
    kwargs.setdefault("generator_optimizer", keras.optimizers.Adam(1e-2))
    kwargs.setdefault("discriminator_optimizer", keras.optimizers.Adam(1e-2))
    kwargs.setdefault("n_critic", 2)
    task.compile(content_loss=MSELoss(), **kwargs)


def pairs(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 3)).astype("float32"), rng.random((n, 16, 16, 3)).astype("float32")


def weights(model):
    return [to_numpy(v).copy() for v in model.weights]


def changed(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


@pytest.mark.parametrize("make, compile_fn", [(make_srgan, compile_srgan), (make_srwgan, compile_srwgan)])
def test_one_fit_step_updates_generator_and_discriminator_and_logs_every_term(make, compile_fn):
    task = make()
    compile_fn(task)
    g0, d0 = weights(task.backbone), weights(task.discriminator)
    lr, hr = pairs()
    history = task.fit(lr, hr, batch_size=4, epochs=1, verbose=0)
    assert changed(g0, weights(task.backbone))
    assert changed(d0, weights(task.discriminator))
    assert set(history.history) == set(task.loss_names())
    assert all(np.isfinite(v[-1]) for v in history.history.values())


@pytest.mark.parametrize("use_batch_norm", [False, True])
def test_generator_step_leaves_the_discriminator_untouched(use_batch_norm):
    # With a zero discriminator learning rate, the only way the
    # discriminator's weights (or batch-norm statistics) could differ from
    # those after its own updates is through the generator step.
    lr, hr = pairs()
    task = make_srgan(use_batch_norm)
    compile_srgan(task, discriminator_optimizer=keras.optimizers.SGD(0.0))
    d0 = weights(task.discriminator)
    task.fit(lr, hr, batch_size=4, epochs=1, verbose=0)
    after = weights(task.discriminator)

    if use_batch_norm:
        # Expected: the statistics after the discriminator step alone, i.e.
        # D(hr) then D(G(lr)) in training mode from the initial state.
        reference = make_srgan(use_batch_norm)  # same seed: the same initial weights
        sr = reference.backbone(lr, training=True)
        reference.discriminator(hr, training=True)
        reference.discriminator(sr, training=True)
        expected = weights(reference.discriminator)
    else:
        expected = d0
    for a, b in zip(after, expected):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert changed(d0, after) == use_batch_norm


@pytest.mark.parametrize("n_critic", [1, 3])
def test_n_critic_discriminator_updates_per_generator_update(n_critic):
    task = make_srwgan()
    compile_srwgan(task, n_critic=n_critic)
    lr, hr = pairs(6)
    task.fit(lr, hr, batch_size=2, epochs=1, verbose=0)  # 3 steps
    assert int(task.generator_optimizer.iterations) == 3
    assert int(task.discriminator_optimizer.iterations) == 3 * n_critic
    assert int(task.optimizer.iterations) == 3


def test_ema_generator_is_used_after_fit():
    lr, hr = pairs(4)
    plain = make_srgan(False)
    compile_srgan(plain, generator_optimizer=keras.optimizers.SGD(0.05))
    raw = []
    for _ in range(2):
        plain.fit(lr, hr, batch_size=4, epochs=1, verbose=0)
        raw.append(weights(plain.backbone))

    ema = make_srgan(False)
    compile_srgan(ema, generator_optimizer=keras.optimizers.SGD(0.05), ema_momentum=0.75)
    ema.fit(lr, hr, batch_size=4, epochs=2, verbose=0)
    # Average after step 1 is w1; after step 2, 0.75 * w1 + 0.25 * w2.
    for got, w1, w2 in zip(weights(ema.backbone), *raw):
        np.testing.assert_allclose(got, 0.75 * w1 + 0.25 * w2, atol=1e-5)


def test_save_and_reload_mid_training_gives_the_same_outputs(tmp_path):
    task = make_srgan()
    compile_srgan(task)
    lr, hr = pairs()
    task.fit(lr, hr, batch_size=4, epochs=1, verbose=0)
    task.save_to_preset(tmp_path / "gan")
    loaded = SRGAN.from_preset(str(tmp_path / "gan"))
    assert type(loaded.discriminator) is SRGANDiscriminator
    np.testing.assert_allclose(to_numpy(loaded.predict_on_batch(lr)), to_numpy(task.predict_on_batch(lr)), atol=1e-5)
    np.testing.assert_allclose(
        to_numpy(loaded.discriminator(hr, training=False)), to_numpy(task.discriminator(hr, training=False)), atol=1e-5
    )
    # The generator alone loads as a plain SR task too.
    sr = SuperResolver.from_preset(str(tmp_path / "gan"))
    np.testing.assert_allclose(to_numpy(sr.predict_on_batch(lr)), to_numpy(task.predict_on_batch(lr)), atol=1e-5)
    with pytest.raises(ValueError, match="SRGAN task, not SRWGAN"):
        SRWGAN.from_preset(str(tmp_path / "gan"))


def test_from_a_plain_generator_preset_adds_a_fresh_default_discriminator(tiny_preset):
    gan = SRWGAN.from_preset(str(tiny_preset))
    assert isinstance(gan.discriminator, SRWGANCritic)
    generator = SuperResolver.from_preset(str(tiny_preset))
    x = np.random.default_rng(0).random((1, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(gan.predict_on_batch(x)), to_numpy(generator.predict_on_batch(x)), atol=1e-6)


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("killed")


def test_backup_and_restore_resumes_both_optimizers(tmp_path):
    lr, hr = pairs(4)

    def run(callbacks, epochs=2):
        task = make_srwgan()
        compile_srwgan(task)
        task.fit(lr, hr, batch_size=2, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)
        return task

    straight = run([])

    backup = str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        run([keras.callbacks.BackupAndRestore(backup), Interrupt()])

    class Check(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            # Restored from the end of epoch 0: 2 generator steps, 4 critic steps.
            self.start = (
                int(self.model.generator_optimizer.iterations),
                int(self.model.discriminator_optimizer.iterations),
            )

    check = Check()
    resumed = run([keras.callbacks.BackupAndRestore(backup), check])
    assert check.start == (2, 4)
    assert int(resumed.discriminator_optimizer.iterations) == 8
    for a, b in zip(weights(resumed), weights(straight)):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_compile_defaults_n_critic_per_class():
    srwgan, srgan = make_srwgan(), make_srgan()
    srwgan.compile(content_loss=MSELoss())
    srgan.compile(perceptual_loss=MSELoss())
    assert (srwgan.n_critic, srgan.n_critic) == (5, 1)


def test_bad_arguments_raise_clear_errors():
    task = make_srwgan()
    with pytest.raises(ValueError, match="n_critic"):
        task.compile(content_loss=MSELoss(), n_critic=0)
    with pytest.raises(ValueError, match="ema_momentum"):
        task.compile(content_loss=MSELoss(), ema_momentum=1.5)
    with pytest.raises(ValueError, match="gp_weight"):
        task.compile(content_loss=MSELoss(), gp_weight=-1)
    with pytest.raises(ValueError, match="compile"):
        make_srgan().fit(*pairs(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="image_size"):
        SRGANDiscriminator(image_size=30)
    with pytest.raises(ValueError, match="two distinct"):
        opt = keras.optimizers.Adam()
        GANOptimizer(opt, opt)


def test_discriminators_serialise(tmp_path):
    for model, x in (
        (SRGANDiscriminator(image_size=16, filters=4, dense_units=8), np.zeros((2, 16, 16, 3), "float32")),
        (SRGANDiscriminator(image_size=None, filters=4, dense_units=8, pooling="avg"), np.zeros((2, 24, 20, 3), "float32")),
        (SRWGANCritic(filters=4, num_blocks=2), np.zeros((2, 20, 12, 3), "float32")),
    ):
        assert to_numpy(model(x)).shape == (2, 1)
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        reloaded = keras.saving.load_model(path)
        np.testing.assert_allclose(to_numpy(reloaded(x)), to_numpy(model(x)), atol=1e-6)


@pytest.mark.parametrize(
    "cls, name, critic",
    [
        (SRGAN, "srgan_srresnet_b8f48_291photos_x4", SRGANDiscriminator),
        (SRWGAN, "srwgan_srresnet_b8f48_291photos_x4", SRWGANCritic),
        (ESRGAN, "esrgan_b8f48_realworld_x4", UNetDiscriminator),
    ],
)
def test_bundled_gan_presets_load_with_their_discriminators(cls, name, critic):
    from keras_vsr.models import list_presets

    if name not in {p["name"] for p in list_presets()}:
        pytest.skip(f"{name} is not installed")
    gan = cls.from_preset(name)
    assert type(gan.discriminator) is critic
    image = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    big = gan.upscale(image)
    assert big.shape == (48, 40, 3) and big.dtype == np.uint8
    np.testing.assert_array_equal(big, SuperResolver.from_preset(name).upscale(image))
