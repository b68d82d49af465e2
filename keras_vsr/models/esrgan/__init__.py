from keras_vsr.models.esrgan.esrgan import ESRGAN
from keras_vsr.models.esrgan.esrgan_presets import backbone_presets
from keras_vsr.models.esrgan.unet_discriminator import UNetDiscriminator
from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, SRResNetBackbone)
