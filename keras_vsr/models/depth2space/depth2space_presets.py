"""Depth2Space presets bundled with keras_vsr (folders in keras_vsr/presets/bundled)."""

backbone_presets = {
    "depth2space_s4b6_240x320_360x480_frames": {
        "description": (
            "Depth2Space CNN 240x320 -> 360x480 (x1.5, stride 4, block 6: cells aligned with output blocks, "
            "filters 128/150, bicubic image residual), L1, trained on CPU on video frames and photos; the same "
            "weights build the 720p -> 1080p model."
        ),
    },
}
