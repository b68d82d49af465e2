"""Adversarial losses and the WGAN-GP gradient penalty, on every backend.

The penalty's maths is shared `keras.ops`; only `input_gradient` differs per
backend, so each backend checks both the penalty's value and that it can be
differentiated again with respect to the critic's weights, using that
backend's own mechanism (the one its GAN train step will use)."""

import numpy as np
import pytest

import keras
from keras import ops
from tests.support import BACKEND, to_numpy
from keras_vsr.losses import (
    discriminator_loss,
    generator_adversarial_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from keras_vsr.trainers import gradient_penalty, input_gradient

SHAPE = (3, 4, 5, 3)


def batches(seed=0):
    rng = np.random.default_rng(seed)
    real = rng.random(SHAPE).astype("float32")
    fake = rng.random(SHAPE).astype("float32")
    return real, fake


def linear_critic(norm, seed=1):
    """f(x) = sum(w * x) per example, with ||w||_2 = norm, so ||grad_x f|| = norm."""
    w = np.random.default_rng(seed).normal(size=SHAPE[1:])
    w = (norm * w / np.linalg.norm(w)).astype("float32")

    def critic(x):
        return ops.sum(x * ops.convert_to_tensor(w), axis=(1, 2, 3))

    return critic


@pytest.mark.parametrize("norm", [0.25, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("gp_weight", [1.0, 16.0])
def test_penalty_of_a_linear_critic_is_known(norm, gp_weight):
    real, fake = batches()
    penalty = gradient_penalty(
        linear_critic(norm), real, fake, keras.random.SeedGenerator(0), gp_weight=gp_weight
    )
    expected = gp_weight * (norm - 1.0) ** 2
    assert float(penalty) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_input_gradient_of_a_quadratic():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    grad = input_gradient(lambda t: ops.sum(t**2, axis=(1, 2)) + 1.0, x)
    np.testing.assert_allclose(to_numpy(grad), 2 * x, rtol=1e-6)
    zero = input_gradient(lambda t: ops.zeros((2,)), x)
    np.testing.assert_array_equal(to_numpy(zero), np.zeros_like(x))


def test_penalty_rejects_mismatched_batches():
    real, fake = batches()
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(linear_critic(1.0), real, fake[:2], seed_generator=0)


def test_bce_and_wasserstein_losses():
    real = np.array([[2.0], [-1.0], [0.5]], "float32")
    fake = np.array([[-3.0], [0.0], [1.5]], "float32")
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    d_loss = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake)))
    assert float(discriminator_loss(real, fake)) == pytest.approx(d_loss, rel=1e-5)
    g_loss = -np.mean(np.log(sigmoid(fake)))
    assert float(generator_adversarial_loss(fake)) == pytest.approx(g_loss, rel=1e-5)
    # Stable where a naive log(sigmoid) would overflow.
    assert np.isfinite(float(discriminator_loss([[-200.0]], [[200.0]])))
    assert float(discriminator_loss([[-200.0]], [[200.0]])) == pytest.approx(400.0, rel=1e-5)

    assert float(wasserstein_critic_loss(real, fake)) == pytest.approx(fake.mean() - real.mean())
    assert float(wasserstein_generator_loss(fake)) == pytest.approx(-fake.mean())


# Second order: d penalty / d critic weights.

SEED = 7  # an int seed draws the same interpolates on every call


def small_critic():
    keras.utils.set_random_seed(3)
    return keras.Sequential(
        [
            keras.Input(SHAPE[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(6, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )


def penalty_value(critic, real, fake):
    penalty = gradient_penalty(critic, real, fake, seed_generator=SEED, gp_weight=10.0)
    return float(to_numpy(ops.stop_gradient(penalty)))


def weight_gradients(critic, real, fake):
    """d penalty / d trainable weights, with the backend's own autodiff."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        @tf.function
        def grads_fn(real, fake):
            with tf.GradientTape() as tape:
                penalty = gradient_penalty(critic, real, fake, seed_generator=SEED, gp_weight=10.0)
            weights = [v.value for v in critic.trainable_variables]  # the tf.Variables
            return tape.gradient(penalty, weights, unconnected_gradients="zero")

        return [g.numpy() for g in grads_fn(tf.constant(real), tf.constant(fake))]
    if BACKEND == "torch":
        import torch

        penalty = gradient_penalty(critic, real, fake, seed_generator=SEED, gp_weight=10.0)
        params = [v.value for v in critic.trainable_variables]
        grads = torch.autograd.grad(penalty, params, allow_unused=True, materialize_grads=True)
        return [g.detach().cpu().numpy() for g in grads]
    if BACKEND == "jax":
        import jax

        non_trainable = [v.value for v in critic.non_trainable_variables]

        def loss(trainable):
            def critic_fn(x):
                scores, _ = critic.stateless_call(trainable, non_trainable, x)
                return scores

            return gradient_penalty(critic_fn, real, fake, seed_generator=SEED, gp_weight=10.0)

        trainable = [v.value for v in critic.trainable_variables]
        return [np.asarray(g) for g in jax.jit(jax.grad(loss))(trainable)]
    pytest.skip(f"no second-order check for backend {BACKEND}")


def test_penalty_is_differentiable_wrt_critic_weights():
    real, fake = batches()
    critic = small_critic()
    grads = weight_gradients(critic, real, fake)
    assert len(grads) == len(critic.trainable_variables) == 4
    for grad, variable in zip(grads, critic.trainable_variables):
        assert grad.shape == tuple(variable.shape)
        assert np.all(np.isfinite(grad))
    # The hidden kernel and bias reach the penalty only through grad_x critic,
    # i.e. through second derivatives; the output bias does not change
    # grad_x critic at all.
    assert np.abs(grads[0]).max() > 1e-4 and np.abs(grads[1]).max() > 1e-4
    assert np.abs(grads[2]).max() > 1e-4
    np.testing.assert_array_equal(grads[3], 0.0)

    # Central differences on a few entries of the hidden kernel.
    kernel = critic.trainable_variables[0]
    base = to_numpy(kernel).copy()
    h = 1e-2
    for index in [(0, 0), (17, 3), (59, 5)]:
        values = []
        for step in (h, -h):
            shifted = base.copy()
            shifted[index] += step
            kernel.assign(shifted)
            values.append(penalty_value(critic, real, fake))
        kernel.assign(base)
        numeric = (values[0] - values[1]) / (2 * h)
        assert grads[0][index] == pytest.approx(numeric, rel=2e-2, abs=1e-3)
