from keras_vsr.models.span.span_backbone import SPANBackbone
from keras_vsr.models.span.span_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, SPANBackbone)
