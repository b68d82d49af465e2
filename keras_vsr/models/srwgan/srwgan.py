from keras import ops

from keras_vsr.losses import HyperpixelContentLoss, MSELoss
from keras_vsr.losses.adversarial import wasserstein_critic_loss, wasserstein_generator_loss
from keras_vsr.models.gan.gan_super_resolver import (
    GANSuperResolver,
    loss_weights,
    mean_loss,
    per_image_loss,
    weighted_sum,
)
from keras_vsr.models.srwgan.srwgan_critic import SRWGANCritic
from keras_vsr.trainers.gradients import gradient_penalty
from keras_vsr.utils.serialization import register


@register
class SRWGAN(GANSuperResolver):
    """SRWGAN: super-resolution with WGAN-GP and a "hyperpixel" content loss.

    Critic loss: `mean(C(sr)) - mean(C(hr)) + gp_weight * GP`, the gradient
    penalty taken at random interpolates of `hr` and `sr`
    (`keras_vsr.trainers.gradient_penalty`). Generator loss:
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

    discriminator_cls = SRWGANCritic
    discriminator_name = "critic"
    default_n_critic = 5
    discriminator_loss_names = ("c_loss", "c_wasserstein", "c_gp")
    generator_loss_names = ("g_loss", "g_mse", "g_content", "g_adversarial")

    def build_losses(
        self, gp_weight=16.0, content_loss="auto", content_weight=4.0, mse_weight=1.0, adversarial_weight=1.0
    ):
        """SRWGAN's loss options of `compile`; the defaults are the original
        project's (`compile`'s other arguments: see
        `GANSuperResolver.compile`; `n_critic` defaults to 5, WGAN-GP).

        Args:
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
        self.gp_weight, self.content_weight, self.mse_weight, self.adversarial_weight = loss_weights(
            gp_weight=gp_weight,
            content_weight=content_weight,
            mse_weight=mse_weight,
            adversarial_weight=adversarial_weight,
        )
        if content_loss == "auto":
            content_loss = HyperpixelContentLoss(backbone="vgg16")
        self._gan_losses.content = content_loss
        self._gan_losses.mse = MSELoss()

    def discriminator_terms(self, real_scores, fake_scores, hr, sr, critic_fn):
        penalty = gradient_penalty(critic_fn, hr, sr, self.seed_generator, gp_weight=1.0)
        critic = wasserstein_critic_loss(real_scores, fake_scores)
        return {
            "c_loss": critic + self.gp_weight * penalty,
            "c_wasserstein": -critic,
            "c_gp": penalty,
        }

    def generator_terms(self, hr, sr, fake_scores, real_scores=None):
        mse = ops.mean(per_image_loss(self._gan_losses.mse, hr, sr))
        content = mean_loss(self._gan_losses.content, self.content_weight, hr, sr)
        adversarial = wasserstein_generator_loss(fake_scores)
        total = weighted_sum(
            (self.adversarial_weight, adversarial), (self.mse_weight, mse), (self.content_weight, content)
        )
        return {"g_loss": total, "g_mse": mse, "g_content": content, "g_adversarial": adversarial}
