"""U-Net SR presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "unet_sr_f32_frames291photos_any": {
        "description": (
            "U-Net SR (32/64/128 filters), any output size or factor (bicubic pre-upsampling + learned "
            "residual), L1, trained on CPU on video frames (Megamind, vtest, tree) and T91 + BSD200 + 27 photos."
        ),
    },
}
