"""ConvLSTM interpolator presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "conv_lstm_interpolator_f16_vimeo_grey": {
        "description": (
            "Grey frame interpolator (encoder, forward + backward ConvLSTM, "
            "decoder, residual on frame averaging), MSE, trained on CPU on "
            "Vimeo-90K septuplets, a 40-frame sequence and clips."
        ),
    },
}
