from keras import ops

from keras_vsr.losses import PerceptualLoss, get_pixel_loss
from keras_vsr.losses.adversarial import (
    discriminator_loss,
    generator_adversarial_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
)
from keras_vsr.models.esrgan.unet_discriminator import UNetDiscriminator
from keras_vsr.models.gan.gan_super_resolver import GANSuperResolver, loss_weights, mean_loss, weighted_sum
from keras_vsr.utils.serialization import register

# Real-ESRGAN's perceptual loss takes VGG19 conv1_2, conv2_2, conv3_4,
# conv4_4 and conv5_4 before activation with weights 0.1, 0.1, 1, 1, 1; the
# VGG16 counterparts (the last convolution of each block) stand in for them.
PERCEPTUAL_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
PERCEPTUAL_LAYER_WEIGHTS = (0.1, 0.1, 1.0, 1.0, 1.0)
GAN_TYPES = ("ragan", "vanilla")


@register
class ESRGAN(GANSuperResolver):
    """ESRGAN / Real-ESRGAN training (Wang et al. 2018, 2021): an SR
    generator against a U-Net discriminator with spectral normalisation.

    Generator loss: `pixel_weight * L1(hr, sr) + perceptual_weight *
    perceptual(hr, sr) + adversarial_weight * adversarial`, where the
    adversarial term is the relativistic average GAN loss (`"ragan"`,
    ESRGAN) or the plain non-saturating BCE (`"vanilla"`, Real-ESRGAN);
    the discriminator minimises the matching discriminator loss. The
    perceptual loss is L1 on VGG16 features before activation
    (`PERCEPTUAL_LAYERS`, weights `PERCEPTUAL_LAYER_WEIGHTS`, torchvision's
    ImageNet weights). Logged: `d_loss`, `d_real`, `d_fake` (mean logits),
    `g_loss`, `g_pixel`, `g_perceptual`, `g_adversarial`. EMA of the
    generator through `compile(ema_momentum=0.999)`, as Real-ESRGAN.

    Args:
        backbone: SR backbone, the generator (any keras_vsr SR backbone).
        discriminator: `keras.Model` or None for `UNetDiscriminator()`.
        seed: int, default 0.
    """

    discriminator_cls = UNetDiscriminator
    discriminator_loss_names = ("d_loss", "d_real", "d_fake")
    generator_loss_names = ("g_loss", "g_pixel", "g_perceptual", "g_adversarial")
    generator_uses_real_scores = True

    def build_losses(
        self,
        gan_type="ragan",
        pixel_loss="l1",
        pixel_weight=1.0,
        perceptual_loss="auto",
        perceptual_weight=1.0,
        adversarial_weight=0.1,
    ):
        """ESRGAN's loss options of `compile`; the defaults are
        Real-ESRGAN's weights with ESRGAN's relativistic loss.

        Args:
            gan_type: `"ragan"` (relativistic average) or `"vanilla"`.
                Default `"ragan"`.
            pixel_loss: a name from `keras_vsr.losses.PIXEL_LOSSES` or a
                loss. Default `"l1"`.
            pixel_weight: float, default 1.0 (ESRGAN's paper: 1e-2).
            perceptual_loss: a loss on (hr, sr) or `"auto"` for the
                pre-activation VGG16 L1 loss described above.
            perceptual_weight: float, default 1.0.
            adversarial_weight: float, default 0.1 (ESRGAN's paper: 5e-3).
        """
        if gan_type not in GAN_TYPES:
            raise ValueError(f"`gan_type` must be one of {GAN_TYPES}. Received: gan_type={gan_type!r}")
        self.gan_type = gan_type
        self.pixel_weight, self.perceptual_weight, self.adversarial_weight = loss_weights(
            pixel_weight=pixel_weight, perceptual_weight=perceptual_weight, adversarial_weight=adversarial_weight
        )
        if perceptual_loss == "auto":
            perceptual_loss = PerceptualLoss(
                PERCEPTUAL_LAYERS, layer_weights=PERCEPTUAL_LAYER_WEIGHTS, criterion="l1", before_activation=True
            )
        self._gan_losses.pixel = get_pixel_loss(pixel_loss, "pixel_loss")
        self._gan_losses.perceptual = perceptual_loss

    def discriminator_terms(self, real_scores, fake_scores, hr, sr, critic_fn):
        if self.gan_type == "ragan":
            loss = relativistic_discriminator_loss(real_scores, fake_scores)
        else:
            loss = discriminator_loss(real_scores, fake_scores)
        return {"d_loss": loss, "d_real": ops.mean(real_scores), "d_fake": ops.mean(fake_scores)}

    def generator_terms(self, hr, sr, fake_scores, real_scores=None):
        pixel = mean_loss(self._gan_losses.pixel, self.pixel_weight, hr, sr)
        perceptual = mean_loss(self._gan_losses.perceptual, self.perceptual_weight, hr, sr)
        if self.gan_type == "ragan":
            adversarial = relativistic_generator_loss(real_scores, fake_scores)
        else:
            adversarial = generator_adversarial_loss(fake_scores)
        total = weighted_sum(
            (self.pixel_weight, pixel), (self.perceptual_weight, perceptual), (self.adversarial_weight, adversarial)
        )
        return {"g_loss": total, "g_pixel": pixel, "g_perceptual": perceptual, "g_adversarial": adversarial}
