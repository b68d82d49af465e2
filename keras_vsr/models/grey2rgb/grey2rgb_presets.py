"""Grey2RGB colouriser presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "grey2rgb_f16d3_291photos": {
        "description": (
            "Grey-to-RGB encoder-decoder (conv / transposed conv, batch norm, "
            "skip connections, sigmoid output), MSE, trained on CPU on T91 + "
            "BSD200 + 27 photos."
        ),
    },
}
