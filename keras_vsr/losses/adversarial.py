"""Adversarial losses: SRGAN's binary cross-entropy GAN losses, and the
Wasserstein critic/generator losses with WGAN-GP's gradient penalty (SRWGAN).

Discriminators and critics output raw scores (logits), shape `(batch, ...)`;
every loss is a scalar mean over all scores. Only the input gradient inside
`gradient_penalty` is backend-specific, and it lives in
`keras_vsr.trainers.gradients.input_gradient`.
"""

import keras
from keras import ops

from keras_vsr.trainers.gradients import input_gradient


def _logits(x):
    return ops.cast(ops.convert_to_tensor(x), "float32")


def discriminator_loss(real_logits, fake_logits):
    """SRGAN discriminator loss: BCE of real scores against 1 plus BCE of
    fake scores against 0, from logits.

    `mean(softplus(-real_logits)) + mean(softplus(fake_logits))`, which is
    `-mean(log D(real)) - mean(log(1 - D(fake)))` with `D = sigmoid`, computed
    without overflow.

    Args:
        real_logits: tensor, the discriminator's scores of real images.
        fake_logits: tensor, its scores of generated images.

    Returns:
        Scalar tensor.
    """
    real_logits, fake_logits = _logits(real_logits), _logits(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_adversarial_loss(fake_logits):
    """SRGAN generator adversarial loss: BCE of fake scores against 1, from
    logits (the non-saturating `-mean(log D(G(z)))`).

    Args:
        fake_logits: tensor, the discriminator's scores of generated images.

    Returns:
        Scalar tensor.
    """
    return ops.mean(ops.softplus(-_logits(fake_logits)))


def wasserstein_critic_loss(real_scores, fake_scores):
    """WGAN critic loss, `mean(fake_scores) - mean(real_scores)`.

    Minimising it widens the critic's estimate of the Wasserstein distance.
    Add `gradient_penalty` to keep the critic 1-Lipschitz (WGAN-GP).

    Args:
        real_scores: tensor, the critic's scores of real images.
        fake_scores: tensor, its scores of generated images.

    Returns:
        Scalar tensor.
    """
    return ops.mean(_logits(fake_scores)) - ops.mean(_logits(real_scores))


def wasserstein_generator_loss(fake_scores):
    """WGAN generator loss, `-mean(fake_scores)`.

    Args:
        fake_scores: tensor, the critic's scores of generated images.

    Returns:
        Scalar tensor.
    """
    return -ops.mean(_logits(fake_scores))


def gradient_penalty(critic_fn, real, fake, seed_generator=None, gp_weight=1.0):
    """WGAN-GP gradient penalty (Gulrajani et al. 2017).

    `gp_weight * mean((||grad_x critic_fn(x_hat)||_2 - 1)^2)` at random
    interpolates `x_hat = real + eps * (fake - real)`, with one
    `eps ~ U[0, 1)` per example and the norm taken over all non-batch axes.
    The result is differentiable with respect to the weights `critic_fn`
    uses (see `input_gradient` for each backend's mechanism).

    Args:
        critic_fn: callable mapping a `(batch, ...)` tensor to per-example
            scores, e.g. a critic model. Each score must depend on its own
            example only (no batch normalisation in the critic).
        real: tensor `(batch, ...)`, real examples.
        fake: tensor of the same shape, generated examples.
        seed_generator: `keras.random.SeedGenerator`, int or None, default
            None: seed of the interpolation weights, passed as
            `keras.random.uniform(..., seed=seed_generator)`. Under JAX's
            `jit`, pass a `SeedGenerator` used inside a stateless scope, or
            an int.
        gp_weight: float, default 1.0: the penalty's weight (lambda; the
            WGAN-GP paper uses 10, SRWGAN 16).

    Returns:
        Scalar tensor.

    Raises:
        ValueError: if `real` and `fake` have different shapes.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(
            "`real` and `fake` must have the same shape. "
            f"Received: real.shape={real.shape}, fake.shape={fake.shape}"
        )
    eps_shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
    eps = keras.random.uniform(eps_shape, dtype=real.dtype, seed=seed_generator)
    interpolates = real + eps * (fake - real)
    grads = input_gradient(critic_fn, interpolates)
    squared_norms = ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape))))
    # The 1e-12 keeps the derivative of sqrt finite where a gradient is zero.
    norms = ops.sqrt(squared_norms + 1e-12)
    return gp_weight * ops.mean(ops.square(norms - 1.0))
