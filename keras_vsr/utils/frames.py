"""Checks and padding of video frames, shared by every frame pipeline.

`check_frame` validates one uint8 frame of a clip (the frame-rate and
fusion pipelines, GIF writing), `check_frame_pair` the two float batches
that a frame interpolator's `predict_middle` takes, and `pad_to_multiple`
pads batches to the sizes a network needs.
"""

import numpy as np

from keras_vsr.utils.images import to_float


def _layouts(channels, batch=False):
    """The accepted shapes in words, e.g. "(h, w), (h, w, 1) or (h, w, 3)"."""
    lead = "batch, " if batch else ""
    shapes = [f"({lead}h, w)"] if 1 in channels and not batch else []
    shapes += [f"({lead}h, w, {c})" for c in channels]
    return ", ".join(shapes[:-1]) + " or " + shapes[-1] if len(shapes) > 1 else shapes[0]


def check_frame(frame, index=0, reference=None, channels=(1, 3), what="frames"):
    """One uint8 frame of a clip as an `(h, w, c)` array, or a ValueError.

    Args:
        frame: array-like, `(h, w, c)` with `c` in `channels`, or `(h, w)`
            when 1 is in `channels`; `h, w >= 1`.
        index: int, the frame's position in the clip, named in errors.
            Default 0.
        reference: None, or the shape the frame must match: `(h, w)` (the
            size only) or `(h, w, c)` (size and channels), usually the
            first frame's. Default None.
        channels: tuple of int, the channel counts accepted. Default (1, 3).
        what: str, what the frames are called in errors, e.g.
            "GIF frames". Default "frames".

    Returns:
        The frame as a uint8 array `(h, w, c)` (an `(h, w)` frame gets a
        channel axis).
    """
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(
            f"The {what} must be uint8 arrays. Received frame {index} with dtype {frame.dtype} "
            "(convert floats in [0, 1] with `keras_vsr.utils.images.from_float(x, 'uint8')`)."
        )
    if frame.ndim == 2 and 1 in channels:
        frame = frame[:, :, None]
    if frame.ndim != 3 or frame.shape[2] not in channels or min(frame.shape[:2]) < 1:
        raise ValueError(
            f"The {what} must be arrays {_layouts(channels)}. Received frame {index} with shape {frame.shape}"
        )
    if reference is not None:
        if frame.shape[:2] != tuple(reference[:2]):
            raise ValueError(
                f"All {what} must have the size of the first, {reference[0]}x{reference[1]} (h x w). "
                f"Received frame {index} of shape {frame.shape}"
            )
        if len(reference) > 2 and frame.shape[2] != reference[2]:
            raise ValueError(
                f"All {what} must have the channels of the first, {reference[2]}. "
                f"Received frame {index} of shape {frame.shape}"
            )
    return frame


def check_frame_pair(frames_a, frames_b, channels=(1, 3)):
    """Two frame batches as float32 `(batch, h, w, c)` in [0, 1], or a ValueError.

    Args:
        frames_a, frames_b: arrays of one shape `(batch, h, w, c)`, with
            `batch, h, w >= 1` and `c` in `channels`; uint8, uint16 or
            float in [0, 1] (floats are clipped).
        channels: tuple of int, the channel counts accepted. Default (1, 3).

    Returns:
        `(frames_a, frames_b)` as float32 arrays.
    """
    shapes = {}
    for name, frames in (("frames_a", frames_a), ("frames_b", frames_b)):
        shape = np.shape(frames)
        if len(shape) == 3:
            raise ValueError(
                f"`{name}` must be a batch {_layouts(channels, batch=True)}; add a leading axis for one frame. "
                f"Received shape {shape}"
            )
        if len(shape) != 4 or min(shape[:3]) < 1 or shape[3] not in channels:
            raise ValueError(f"`{name}` must have shape {_layouts(channels, batch=True)}. Received shape {shape}")
        shapes[name] = shape
    if shapes["frames_a"] != shapes["frames_b"]:
        raise ValueError(
            f"`frames_a` and `frames_b` must have the same shape. "
            f"Received {shapes['frames_a']} and {shapes['frames_b']}"
        )
    return to_float(frames_a), to_float(frames_b)


def pad_to_multiple(images, multiple):
    """Pad `(batch, h, w, c)` at the bottom and right to multiples of `multiple`.

    Each side is mirrored (`numpy.pad` "symmetric") when it is at least as
    long as its padding, and its edge pixels are repeated otherwise. Crop
    a result back with `[:, :h, :w]`.

    Args:
        images: array `(batch, h, w, c)`, `h, w >= 1`.
        multiple: int >= 1.

    Returns:
        The padded array (`images` itself when no padding is needed).
    """
    for axis in (1, 2):
        size = images.shape[axis]
        pad = (-size) % multiple
        if pad:
            widths = [(0, 0)] * images.ndim
            widths[axis] = (0, pad)
            images = np.pad(images, widths, mode="symmetric" if pad <= size else "edge")
    return images


class CountedFrames:
    """An iterable of frames whose number is known, so that progress bars
    such as `tqdm.tqdm` (which call `len()`) can show a total."""

    def __init__(self, frames, count):
        self._frames = frames
        self._count = count

    def __iter__(self):
        return iter(self._frames)

    def __len__(self):
        return self._count
