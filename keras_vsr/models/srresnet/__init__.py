from keras_vsr.models.srresnet.srresnet_backbone import SRResNetBackbone
from keras_vsr.models.srresnet.srresnet_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, SRResNetBackbone)
