"""CompactSR presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "compact_c7f32_291photos_x4": {
        "description": (
            "The light x4 preset: Real-ESRGAN's compact VGG-style network with 7 convolutions of 32 filters and "
            "LeakyReLU (79,504 parameters), L1, trained on CPU on T91 + BSD200 + 27 photos; Set5 30.74 dB. For "
            "speed (video, bfloat16)."
        ),
    },
}
