"""FFC interpolator presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "ffc_interpolator_vimeo": {
        "description": (
            "FFC VAE frame interpolator (RGB, 16 filters, 3 levels), MS-SSIM + L1 + KL, trained "
            "on CPU on 16 Vimeo-90K septuplets, a 40-frame sample video and two clips (tree, vtest); "
            "on Middlebury-other it measures at the level of frame averaging (see its model card)."
        ),
    },
    "ffc_interpolator_vimeo_mc": {
        "description": (
            "Motion-compensated FFC VAE frame interpolator (RGB, 16 filters, 3 levels): both frames "
            "warped to the middle along pyramidal Lucas-Kanade optical flow first; MS-SSIM + L1 + KL, "
            "trained on CPU on 16 Vimeo-90K septuplets, a 40-frame sample video and two clips."
        ),
    },
}
