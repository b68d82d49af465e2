from keras_vsr.losses.pixel import CharbonnierLoss, L1Loss, MSELoss
from keras_vsr.losses.ms_ssim import MSSSIML1Loss, MSSSIMLoss, ms_ssim
from keras_vsr.losses.ssim_loss import MSESSIMLoss, SSIMLoss
from keras_vsr.losses.max_entropy import MaxEntropyLoss, soft_histogram_entropy
from keras_vsr.losses.adversarial import (
    discriminator_loss,
    generator_adversarial_loss,
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from keras_vsr.losses.perceptual import HyperpixelContentLoss, PerceptualLoss, VGGFeatureExtractor
