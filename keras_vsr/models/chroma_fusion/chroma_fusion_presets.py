"""Chroma fusion presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "chroma_fusion_f16d2_clips": {
        "description": (
            "Learned fusion of key-frame chroma propagated along optical flow and the colouriser's chroma "
            "(`colorize --key-frames`); above propagation alone at every key-frame spacing measured, by 0.004 "
            "to 0.40 dB RGB PSNR."
        ),
    },
}
