"""SRGAN presets bundled with keras_vsr (folders in keras_vsr/presets/bundled).

Their generator is an `SRResNetBackbone`, so `SuperResolver.from_preset`
loads them for inference; `keras_vsr.SRGAN.from_preset` also loads the
discriminator for further fine-tuning.
"""

from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.presets.registry import register_presets

backbone_presets = {}

register_presets(backbone_presets, SRResNetBackbone)
