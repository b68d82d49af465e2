"""SRWGAN presets bundled with keras_vsr (folders in keras_vsr/presets/bundled).

Their generator is an `SRResNetBackbone`, so `SuperResolver.from_preset`
loads them for inference; `keras_vsr.SRWGAN.from_preset` also loads the
discriminator for further fine-tuning.
"""

from keras_vsr.models.srresnet import SRResNetBackbone
from keras_vsr.presets.registry import register_presets

backbone_presets = {
    "srwgan_srresnet_b8f48_291photos_x4": {
        "description": (
            "SRWGAN x4: the srresnet_b8f48_291photos_x4 generator fine-tuned 1,050 steps with "
            "WGAN-GP (gp 16, 2 critic steps) + MSE + VGG16 hyperpixel content loss, EMA "
            "weights; lower LPIPS than its start."
        ),
    },
}

register_presets(backbone_presets, SRResNetBackbone)
