"""Frame checks and conversions shared by the interpolator, the colouriser
and `SpatioTemporalFusion`."""

import numpy as np

# ITU-R BT.601 luma, full range: Y = 0.299 R + 0.587 G + 0.114 B.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype="float32")


def rgb_to_luma(images):
    """BT.601 luma `(..., 1)` of `(..., 3)` float RGB (full range, no offset)."""
    images = np.asarray(images, dtype="float32")
    return (images @ LUMA_WEIGHTS)[..., None]


def to_grey(frames, what="frames"):
    """Float frames `(..., h, w, 1|3)` -> grey `(..., h, w, 1)`.

    RGB frames are converted with BT.601 luma; a 1-channel input is returned
    as it is. Any other channel count raises a ValueError.
    """
    frames = np.asarray(frames)
    if frames.shape[-1] == 1:
        return frames.astype("float32")
    if frames.shape[-1] == 3:
        return rgb_to_luma(frames)
    raise ValueError(
        f"{what} must have 1 (grey) or 3 (RGB) channels in the last axis. Received shape {frames.shape}"
    )


def as_float_frames(frames, what="frames"):
    """uint8 or float [0, 1] frames -> float32; other dtypes raise a ValueError."""
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        return frames.astype("float32") / 255.0
    if np.issubdtype(frames.dtype, np.floating):
        return np.clip(frames, 0.0, 1.0).astype("float32")
    raise ValueError(f"{what} must be uint8 or float in [0, 1]. Received dtype {frames.dtype}")


def to_uint8(frames):
    return np.round(np.clip(np.asarray(frames, "float32"), 0.0, 1.0) * 255.0).astype(np.uint8)


def pad_to_multiple(images, multiple):
    """Pad `(batch, h, w, c)` at the bottom/right (mirror) to multiples of `multiple`.

    Returns `(padded, (h, w))`; crop the result back with `[:, :h, :w]`.
    Any size of at least one pixel works, odd sizes included.
    """
    h, w = images.shape[1:3]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        images = np.pad(images, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="symmetric")
    return images, (h, w)


def check_frame_batch(frames, name="frames"):
    """A `(batch, h, w, c)` array with h, w >= 1, or a ValueError."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        raise ValueError(
            f"`{name}` must be a batch (batch, h, w, c); add a leading axis for one frame. "
            f"Received shape {frames.shape}"
        )
    if frames.ndim != 4 or min(frames.shape[1:3]) < 1:
        raise ValueError(f"`{name}` must have shape (batch, h, w, c). Received shape {frames.shape}")
    return frames
