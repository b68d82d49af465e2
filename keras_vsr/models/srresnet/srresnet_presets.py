"""SRResNet presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "srresnet_b8f48_291photos_x4": {
        "description": (
            "SRResNet x4 without batch norm (8 blocks, 48 filters, bicubic "
            "image residual), L1, trained on CPU on T91 + BSD200 + 27 photos."
        ),
    },
    "srresnet_b8f48_realworld_x4": {
        "description": (
            "The srresnet_b8f48_291photos_x4 network fine-tuned 20,251 steps on LR damaged by JPEG, GIF palettes "
            "and noise (real_world_mix); for JPEG and GIF input: better than the clean preset and bicubic there."
        ),
    },
}
