from keras_vsr.models.srgan.srgan import SRGAN
from keras_vsr.models.srgan.srgan_discriminator import SRGANDiscriminator
from keras_vsr.models.srgan.srgan_presets import backbone_presets
from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, SRResNetBackbone)
