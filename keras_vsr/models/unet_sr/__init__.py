from keras_vsr.models.unet_sr.unet_sr_backbone import UNetSRBackbone, bicubic_resize
from keras_vsr.models.unet_sr.unet_sr_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, UNetSRBackbone)
