from keras_vsr.models.ffc_interpolator.ffc_interpolator_backbone import (
    FFCInterpolatorBackbone,
    VAESampling,
    kl_divergence,
)
from keras_vsr.models.ffc_interpolator.ffc_interpolator import FFCInterpolator
from keras_vsr.models.ffc_interpolator.ffc_interpolator_presets import backbone_presets
from keras_vsr.presets.registry import register_presets

register_presets(backbone_presets, FFCInterpolatorBackbone)
