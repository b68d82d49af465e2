"""Frame triplets `(frame_a, frame_b) -> middle` for training frame
interpolators, from folders of frames and from video files.

Sequences (frame folders, and video files split at hard cuts so no triplet
spans a cut) come from `keras_vsr.data.sources`. A triplet with spacing `s`
is frames `(i, i + s, i + 2 s)`; spacings above 1 mimic lower frame rates.
"""

import os

import numpy as np

from keras_vsr.data.sampling import RandomBatchDataset, random_crop, random_flips
from keras_vsr.data.sources import find_sequence_sources, load_frame_folder, load_video
from keras_vsr.utils.checks import positive_ints
from keras_vsr.utils.images import to_float


TIMES = (None, "middle", "any")


class TripletDataset(RandomBatchDataset):
    """Random frame triplets for training an interpolator, made on the fly.

    Each item is `({"frames_a": a, "frames_b": b}, middle)`, float32 arrays
    `(batch_size, crop_size, crop_size, channels)` in [0, 1]. A triplet is
    drawn uniformly among all `(sequence, start, spacing)` with spacing in
    `1..max_spacing`; the same random crop is cut from its three frames;
    augmentation flips it horizontally and vertically and swaps the order of
    the two outer frames (time reversal), each with probability 1/2.

    Args:
        sources: str, Path, or list of them: folders searched for frame
            folders (>= 3 images each) and video files, or video files.
        crop_size: int, side of the square crops. Default 64.
        batch_size: int, default 8.
        steps_per_epoch: int, batches per epoch. Default 500.
        max_spacing: int >= 1, largest frame spacing. Default 2.
        augment: bool, flips and time reversal. Default True.
        channels: int, 3 (RGB) or 1 (BT.601 luma). Default 3.
        max_video_frames: int, frames read from each video. Default 300.
        video_frame_step: int, keep every n-th video frame. Default 1.
        time: None (no time input), "middle" (the middle frame, with a
            `"time"` input of 0.5: the input of time-conditioned models) or
            "any": a target anywhere between the two frames, frames
            `(i, i + k, i + n)` with `n` from 2 to `2 * max_spacing` and `k`
            from 1 to `n - 1`, and `"time"` `k / n`. Default None.
        seed: int or None. Default None.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`, ...).

    Raises:
        ValueError: no source, no sequence long enough for `max_spacing`
            with frames of at least `crop_size` pixels, or bad arguments.
    """

    def __init__(
        self,
        sources,
        crop_size=64,
        batch_size=8,
        steps_per_epoch=500,
        max_spacing=2,
        augment=True,
        channels=3,
        max_video_frames=300,
        video_frame_step=1,
        time=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(batch_size, steps_per_epoch, seed, **kwargs)
        self.crop_size, self.max_spacing, video_frame_step = positive_ints(
            (("crop_size", crop_size), ("max_spacing", max_spacing), ("video_frame_step", video_frame_step))
        )
        if channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
        if time not in TIMES:
            raise ValueError(f"`time` must be one of {TIMES}. Received: time={time!r}")
        self.time = time
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        self.augment, self.channels = bool(augment), channels

        grey = channels == 1
        folders, videos = find_sequence_sources(*sources)
        sequences = [load_frame_folder(f, grey) for f in folders]
        for video in videos:
            sequences += load_video(video, grey, max_video_frames, video_frame_step)
        self.sequences = [
            s for s in sequences if len(s) >= 3 and min(s[0].shape[:2]) >= self.crop_size
        ]
        # (sequence, first frame, frames to the target, frames to the second).
        self.triplets = [
            (k, start, step, span)
            for k, seq in enumerate(self.sequences)
            for span in range(2, 2 * self.max_spacing + 1, 1 if time == "any" else 2)
            for step in (range(1, span) if time == "any" else (span // 2,))
            for start in range(len(seq) - span)
        ]
        if not self.triplets:
            raise ValueError(
                f"No sequence of at least 3 frames of {self.crop_size}x{self.crop_size} pixels or more "
                f"under {[str(s) for s in sources]} ({len(folders)} frame folders, {len(videos)} videos)."
            )

    def sample(self):
        """One augmented triplet `(a, b, target)` of uint8 crops and the
        target's time (0 at `a`, 1 at `b`)."""
        k, start, step, span = self.triplets[self.rng.integers(len(self.triplets))]
        seq = self.sequences[k]
        crops = random_crop(self.rng, seq[[start, start + span, start + step]], (self.crop_size,) * 2)
        time = step / span
        if self.augment:
            crops = random_flips(self.rng, crops)
            if self.rng.random() < 0.5:
                crops, time = crops[[1, 0, 2]], 1.0 - time
        return crops, time

    def draw_batch(self):
        return triplet_batch([self.sample() for _ in range(self.batch_size)], self.time is not None)


def triplet_batch(samples, with_time):
    """`(inputs, target)` of a training batch from `[(crops, time)]`
    (`crops` uint8 `(3, h, w, c)`: first frame, second frame, target):
    float32 `{"frames_a", "frames_b"[, "time" (batch, 1)]}` and the targets."""
    a, b, target = (to_float(np.stack([crops[i] for crops, _ in samples])) for i in range(3))
    inputs = {"frames_a": a, "frames_b": b}
    if with_time:
        inputs["time"] = np.array([[time] for _, time in samples], "float32")
    return inputs, target
