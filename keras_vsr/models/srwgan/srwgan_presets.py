"""SRWGAN presets bundled with keras_vsr: `SRResNetBackbone` generators with their discriminators."""

backbone_presets = {
    "srwgan_srresnet_b8f48_291photos_x4": {
        "description": (
            "SRWGAN x4: the srresnet_b8f48_291photos_x4 generator fine-tuned 1,050 steps with "
            "WGAN-GP (gp 16, 2 critic steps) + MSE + VGG16 hyperpixel content loss, EMA "
            "weights; lower LPIPS than its start."
        ),
    },
}
