from keras_vsr.models.esrgan.esrgan import ESRGAN
from keras_vsr.models.esrgan.unet_discriminator import UNetDiscriminator
