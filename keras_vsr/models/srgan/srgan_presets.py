"""SRGAN presets bundled with keras_vsr: `SRResNetBackbone` generators with their discriminators."""

backbone_presets = {
    "srgan_srresnet_b8f48_291photos_x4": {
        "description": (
            "SRGAN x4: the srresnet_b8f48_291photos_x4 generator fine-tuned 600 steps against "
            "a VGG-style discriminator (L1 + multi-layer VGG16 perceptual + BCE), EMA "
            "weights; lower LPIPS than its start."
        ),
    },
}
