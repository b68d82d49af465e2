"""SRGAN presets bundled with keras_vsr (folders in keras_vsr/presets/bundled).

Their generator is an `SRResNetBackbone`, so `SuperResolver.from_preset`
loads them for inference; `keras_vsr.SRGAN.from_preset` also loads the
discriminator for further fine-tuning.
"""

from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.presets.registry import register_presets

backbone_presets = {
    "srgan_srresnet_b8f48_291photos_x4": {
        "description": (
            "SRGAN x4: the srresnet_b8f48_291photos_x4 generator fine-tuned 600 steps against "
            "a VGG-style discriminator (L1 + multi-layer VGG16 perceptual + BCE), EMA "
            "weights; lower LPIPS than its start."
        ),
    },
}

register_presets(backbone_presets, SRResNetBackbone)
