from keras import ops

from keras_vsr.losses import HyperpixelContentLoss, MSELoss
from keras_vsr.losses.adversarial import (
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from keras_vsr.models.gan.gan_super_resolver import GANSuperResolver
from keras_vsr.models.srwgan.srwgan_critic import SRWGANCritic
from keras_vsr.utils.serialization import register


@register
class SRWGAN(GANSuperResolver):
    """SRWGAN: super-resolution with WGAN-GP and a "hyperpixel" content loss.

    Critic loss: `mean(C(sr)) - mean(C(hr)) + gp_weight * GP`, the gradient
    penalty taken at random interpolates of `hr` and `sr`
    (`keras_vsr.losses.gradient_penalty`). Generator loss:
    `adversarial_weight * -mean(C(sr)) + mse_weight * MSE(hr, sr) +
    content_weight * content(hr, sr)`, the content loss comparing stacked
    feature maps of a pretrained CNN (`HyperpixelContentLoss`). `n_critic`
    critic updates per generator update. Logged: `c_loss`, `c_wasserstein`
    (`mean(C(hr)) - mean(C(sr))`, the critic's distance estimate), `c_gp`,
    `g_loss`, `g_mse`, `g_content`, `g_adversarial`.

    The generator is any SR backbone; the SRWGAN design is convolution
    blocks with sub-pixel (pixel-shuffle) upsampling, which
    `SRResNetBackbone(use_batch_norm=False)` is.

    Args:
        backbone: SR backbone, the generator.
        discriminator: the critic, a `keras.Model` without batch norm, or
            None for `SRWGANCritic()`.
        seed: int, default 0.
    """

    num_discriminator_terms = 3

    @classmethod
    def default_discriminator(cls, backbone):
        return SRWGANCritic(channels=backbone.output_shape[-1], name="critic")

    def compile(
        self,
        generator_optimizer="auto",
        discriminator_optimizer="auto",
        n_critic=5,
        ema_momentum=None,
        gp_weight=16.0,
        content_loss="auto",
        content_weight=4.0,
        mse_weight=1.0,
        adversarial_weight=1.0,
        **kwargs,
    ):
        """Configure SRWGAN training; defaults are the original project's.

        Args:
            generator_optimizer, discriminator_optimizer, ema_momentum: see
                `GANSuperResolver.compile`.
            n_critic: int, critic updates per generator update. Default 5
                (WGAN-GP).
            gp_weight: float, gradient-penalty weight. Default 16.0.
            content_loss: a loss on (hr, sr) or `"auto"`:
                `HyperpixelContentLoss(backbone="vgg16")` with the converted
                torchvision VGG16 weights. The original stacks ResNet50
                layers 2, 7, 10, 14 (`HyperpixelContentLoss(backbone=
                "resnet50")`, ImageNet weights downloaded by Keras).
            content_weight: float, default 4.0.
            mse_weight: float, default 1.0.
            adversarial_weight: float, weight of the Wasserstein term.
                Default 1.0.
        """
        for name, value in (("gp_weight", gp_weight), ("content_weight", content_weight),
                            ("mse_weight", mse_weight), ("adversarial_weight", adversarial_weight)):
            if value < 0:
                raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
        if content_loss == "auto":
            content_loss = HyperpixelContentLoss(backbone="vgg16")
        super().compile(
            generator_optimizer,
            discriminator_optimizer,
            n_critic=n_critic,
            ema_momentum=ema_momentum,
            gp_weight=float(gp_weight),
            content_loss=content_loss,
            content_weight=float(content_weight),
            mse_weight=float(mse_weight),
            adversarial_weight=float(adversarial_weight),
            **kwargs,
        )

    def configure_losses(self, gp_weight, content_loss, content_weight, mse_weight,
                         adversarial_weight, jit_compile=None):
        self._gan_losses.content = content_loss
        self._gan_losses.mse = MSELoss()
        self.gp_weight = gp_weight
        self.content_weight = content_weight
        self.mse_weight = mse_weight
        self.adversarial_weight = adversarial_weight

    def loss_names(self):
        return ["c_loss", "c_wasserstein", "c_gp", "g_loss", "g_mse", "g_content", "g_adversarial"]

    def discriminator_terms(self, real_scores, fake_scores, hr, sr, critic_fn):
        penalty = gradient_penalty(critic_fn, hr, sr, self.seed_generator, gp_weight=1.0)
        critic = wasserstein_critic_loss(real_scores, fake_scores)
        return {
            "c_loss": critic + self.gp_weight * penalty,
            "c_wasserstein": -critic,
            "c_gp": penalty,
        }

    def generator_terms(self, hr, sr, fake_scores):
        mse = ops.mean(self._gan_losses.mse(hr, sr))
        content = ops.mean(self._gan_losses.content(hr, sr)) if self.content_weight else ops.zeros(())
        adversarial = wasserstein_generator_loss(fake_scores)
        total = (
            self.adversarial_weight * adversarial
            + self.mse_weight * mse
            + self.content_weight * content
        )
        return {"g_loss": total, "g_mse": mse, "g_content": content, "g_adversarial": adversarial}
