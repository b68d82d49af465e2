from keras_vsr.models.srwgan.srwgan import SRWGAN
from keras_vsr.models.srwgan.srwgan_critic import SRWGANCritic
from keras_vsr.models.srwgan.srwgan_presets import backbone_presets
from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, SRResNetBackbone)
