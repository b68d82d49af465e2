from keras_vsr.models.srgan.srgan import SRGAN
from keras_vsr.models.srgan.srgan_discriminator import SRGANDiscriminator
from keras_vsr.models.srgan import srgan_presets  # noqa: F401, E402  (registers bundled presets)
