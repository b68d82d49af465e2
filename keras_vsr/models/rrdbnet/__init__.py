from keras_vsr.models.rrdbnet.rrdbnet_backbone import RRDBNetBackbone
from keras_vsr.models.rrdbnet.rrdbnet_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, RRDBNetBackbone)
