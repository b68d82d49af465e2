from keras_vsr.losses.pixel import (
    PIXEL_LOSSES,
    CharbonnierLoss,
    L1Loss,
    MSELoss,
    PixelLoss,
    get_pixel_loss,
    per_image_mean,
)
from keras_vsr.losses.ms_ssim import MSSSIML1Loss, MSSSIMLoss, ms_ssim
from keras_vsr.losses.ssim_loss import MSESSIMLoss, SSIMLoss
from keras_vsr.losses.max_entropy import MaxEntropyLoss, soft_histogram_entropy
from keras_vsr.losses.adversarial import (
    discriminator_loss,
    generator_adversarial_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from keras_vsr.losses.perceptual import HyperpixelContentLoss, PerceptualLoss
