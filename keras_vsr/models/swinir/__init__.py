from keras_vsr.models.swinir.swinir_backbone import SwinIRBackbone
from keras_vsr.models.swinir.swinir_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, SwinIRBackbone)
