from keras_vsr.models.ifnet.ifnet_backbone import IFNetBackbone
from keras_vsr.models.ifnet.ifnet_interpolator import IFNetInterpolator
from keras_vsr.models.ifnet.ifnet_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, IFNetBackbone)
