"""ConvLSTM interpolator presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "conv_lstm_interpolator_f16_vimeo_grey": {
        "description": (
            "Grey frame interpolator (encoder, forward + backward ConvLSTM, "
            "decoder, residual on frame averaging), MSE, trained on CPU on "
            "Vimeo-90K septuplets, a 40-frame sequence and clips."
        ),
    },
    "conv_lstm_interpolator_f16_vimeo_grey_mc": {
        "description": (
            "Motion-compensated grey frame interpolator: both frames warped to the middle along "
            "pyramidal Lucas-Kanade optical flow, then the ConvLSTM network predicts a blend mask "
            "and a residual; MSE, trained on CPU on Vimeo-90K septuplets, a 40-frame sequence and clips."
        ),
    },
}
