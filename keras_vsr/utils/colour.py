"""Colour conversions on NumPy float images, shared by every package.

Full-range ITU-R BT.601 luma, `Y = 0.299 R + 0.587 G + 0.114 B`, is the grey
value of an RGB frame for the interpolators, the colouriser and the fusion
pipeline. (The evaluation protocol's Y channel, with its 16-235 offset, is
`keras_vsr.metrics.image_quality.rgb_to_y`.)
"""

import numpy as np

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype="float32")


def rgb_to_luma(images):
    """BT.601 luma `(..., 1)` of `(..., 3)` float RGB (full range, no offset)."""
    images = np.asarray(images, dtype="float32")
    return (images @ LUMA_WEIGHTS)[..., None]


def luma_uint8(rgb):
    """BT.601 luma of uint8 RGB `(..., 3)`, rounded to uint8 `(..., 1)`."""
    return np.round(rgb_to_luma(rgb)).clip(0, 255).astype(np.uint8)


def to_grey(frames, what="frames"):
    """Float frames `(..., 1|3)` -> grey `(..., 1)`.

    RGB is converted with BT.601 luma; one channel is returned as it is. Any
    other channel count raises a ValueError naming `what`.
    """
    frames = np.asarray(frames)
    if frames.shape[-1] == 1:
        return frames.astype("float32")
    if frames.shape[-1] == 3:
        return rgb_to_luma(frames)
    raise ValueError(
        f"{what} must have 1 (grey) or 3 (RGB) channels in the last axis. Received shape {frames.shape}"
    )


def chroma(rgb):
    """`(R - Y, G - Y, B - Y)` of float RGB, BT.601 luma `Y`."""
    rgb = np.asarray(rgb, dtype="float32")
    return rgb - rgb_to_luma(rgb)
