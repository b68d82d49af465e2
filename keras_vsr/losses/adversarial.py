"""Adversarial losses: SRGAN's binary cross-entropy GAN losses, the
relativistic average GAN losses of ESRGAN, and the Wasserstein
critic/generator losses of WGAN (SRWGAN).

Discriminators and critics output raw scores (logits), shape `(batch, ...)`;
every loss is a scalar mean over all scores. WGAN-GP's gradient penalty
differentiates the critic, so it lives with the backends' autodiff in
`keras_vsr.trainers.gradients.gradient_penalty`.
"""

from keras import ops


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


def relativistic_discriminator_loss(real_logits, fake_logits):
    """Relativistic average GAN discriminator loss (ESRGAN, Wang et al. 2018).

    `0.5 * BCE(real - mean(fake), 1) + 0.5 * BCE(fake - mean(real), 0)`
    from logits: real images should look more real than the average fake,
    fakes less real than the average real image. Means are over every score
    (per-pixel scores of a U-Net discriminator included).

    Args:
        real_logits: tensor, the discriminator's scores of real images.
        fake_logits: tensor, its scores of generated images.

    Returns:
        Scalar tensor.
    """
    real_logits, fake_logits = _logits(real_logits), _logits(fake_logits)
    real = ops.mean(ops.softplus(-(real_logits - ops.mean(fake_logits))))
    fake = ops.mean(ops.softplus(fake_logits - ops.mean(real_logits)))
    return 0.5 * (real + fake)


def relativistic_generator_loss(real_logits, fake_logits):
    """Relativistic average GAN generator loss (ESRGAN): the discriminator's
    loss with the labels swapped,
    `0.5 * BCE(real - mean(fake), 0) + 0.5 * BCE(fake - mean(real), 1)`.

    Args:
        real_logits: tensor, scores of real images (treated as constants by
            the caller).
        fake_logits: tensor, scores of generated images.

    Returns:
        Scalar tensor.
    """
    real_logits, fake_logits = _logits(real_logits), _logits(fake_logits)
    real = ops.mean(ops.softplus(real_logits - ops.mean(fake_logits)))
    fake = ops.mean(ops.softplus(-(fake_logits - ops.mean(real_logits))))
    return 0.5 * (real + fake)
