from keras import ops

from keras_vsr.losses import PerceptualLoss, get_pixel_loss
from keras_vsr.losses.adversarial import discriminator_loss, generator_adversarial_loss
from keras_vsr.models.gan.gan_super_resolver import GANSuperResolver, loss_weights, mean_loss, weighted_sum
from keras_vsr.models.srgan.srgan_discriminator import SRGANDiscriminator
from keras_vsr.utils.serialization import register

# SRGAN-VGG54 rescales VGG feature maps by 1/12.75 before the MSE.
PAPER_PERCEPTUAL_WEIGHT = 1.0 / 12.75**2


@register
class SRGAN(GANSuperResolver):
    """SRGAN (Ledig et al. 2017): an SR generator trained against a
    VGG-style discriminator with pixel, perceptual and adversarial losses.

    Generator loss: `pixel_weight * pixel(hr, sr) + perceptual_weight *
    perceptual(hr, sr) + adversarial_weight * BCE(D(sr), 1)`;
    discriminator loss: `BCE(D(hr), 1) + BCE(D(sr), 0)`, both from logits.
    Logged: `d_loss`, `d_real` and `d_fake` (mean logits), `g_loss`,
    `g_pixel`, `g_perceptual`, `g_adversarial`.

    Args:
        backbone: SR backbone, the generator (the paper's is
            `SRResNetBackbone`).
        discriminator: `keras.Model` or None for `SRGANDiscriminator()`.
        seed: int, default 0.

    Example:
    ```python
    gan = keras_vsr.SRGAN.from_preset("srresnet_b8f48_291photos_x4")
    gan.compile()  # paper losses; needs the converted VGG16 weights
    gan.fit(keras_vsr.data.PairedPatchDataset(...), epochs=1)
    big = gan.upscale(image)
    ```
    """

    discriminator_cls = SRGANDiscriminator
    discriminator_loss_names = ("d_loss", "d_real", "d_fake")
    generator_loss_names = ("g_loss", "g_pixel", "g_perceptual", "g_adversarial")

    def build_losses(
        self,
        pixel_loss="mse",
        pixel_weight=0.0,
        perceptual_loss="auto",
        perceptual_weight=PAPER_PERCEPTUAL_WEIGHT,
        adversarial_weight=1e-3,
    ):
        """SRGAN's loss options of `compile`; the defaults are the paper's
        SRGAN-VGG54 (`compile`'s other arguments: see
        `GANSuperResolver.compile`, one discriminator update per step).

        Args:
            pixel_loss: a name from `keras_vsr.losses.PIXEL_LOSSES` (`"mse"`,
                `"l1"`, `"charbonnier"`) or a loss. Default `"mse"`.
            pixel_weight: float, default 0.0 (the paper's SRGAN-VGG54 has no
                pixel term; BasicSR's recipe uses L1 with 1e-2).
            perceptual_loss: a loss on (hr, sr) or `"auto"`:
                `PerceptualLoss(("block5_conv3",), criterion="mse")`, VGG16
                with the converted torchvision ImageNet weights (the paper
                uses VGG19 conv5_4; VGG19 weights cannot be had offline).
            perceptual_weight: float, default `1 / 12.75**2`, the paper's
                feature rescaling.
            adversarial_weight: float, default 1e-3.
        """
        self.pixel_weight, self.perceptual_weight, self.adversarial_weight = loss_weights(
            pixel_weight=pixel_weight, perceptual_weight=perceptual_weight, adversarial_weight=adversarial_weight
        )
        if perceptual_loss == "auto":
            perceptual_loss = PerceptualLoss(("block5_conv3",), criterion="mse")
        self._gan_losses.pixel = get_pixel_loss(pixel_loss, "pixel_loss")
        self._gan_losses.perceptual = perceptual_loss

    def discriminator_terms(self, real_scores, fake_scores, hr, sr, critic_fn):
        return {
            "d_loss": discriminator_loss(real_scores, fake_scores),
            "d_real": ops.mean(real_scores),
            "d_fake": ops.mean(fake_scores),
        }

    def generator_terms(self, hr, sr, fake_scores, real_scores=None):
        pixel = mean_loss(self._gan_losses.pixel, self.pixel_weight, hr, sr)
        perceptual = mean_loss(self._gan_losses.perceptual, self.perceptual_weight, hr, sr)
        adversarial = generator_adversarial_loss(fake_scores)
        total = weighted_sum(
            (self.pixel_weight, pixel), (self.perceptual_weight, perceptual), (self.adversarial_weight, adversarial)
        )
        return {"g_loss": total, "g_pixel": pixel, "g_perceptual": perceptual, "g_adversarial": adversarial}
