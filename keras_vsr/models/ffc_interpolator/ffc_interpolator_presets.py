"""FFC interpolator presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "ffc_interpolator_vimeo": {
        "description": (
            "FFC VAE frame interpolator (RGB, 2 levels), MS-SSIM + L1 + KL, trained on CPU "
            "on 16 Vimeo-90K septuplets and a 40-frame sample video."
        ),
    },
}
