"""Datasets for the spatio-temporal fusion models.

* Windows of frame sequences (`keras_vsr.data.sources.load_sequences`:
  frame folders and video scenes), for frame interpolation. Every sequence
  is split in time into a training part (its first frames) and a
  validation part (its last frames), so both parts see every scene and no
  validation frame is ever a training frame.
* Grey/colour pairs from images, for colourisation.

Training and validation sets are separate `keras.utils.PyDataset`s with
their own batch sizes; the interpolator's and the colouriser's datasets are
independent of each other.
"""

import os

import numpy as np

from keras_vsr.data.sampling import RandomBatchDataset, area_weights, random_crop, random_flips
from keras_vsr.utils.colour import luma_uint8
from keras_vsr.io.images import find_images, load_image
from keras_vsr.utils.checks import open_fraction, positive_int, positive_ints
from keras_vsr.utils.images import to_float


def window_length(num_frames, spacing=1):
    """Frames spanned by `num_frames` inputs `2 * spacing` apart (target in the middle)."""
    return 2 * spacing * (num_frames - 1) + 1


def split_sequence(length, validation_fraction, window):
    """`(train_end, val_start)` frame indices: frames `[0, train_end)` train,
    `[val_start, length)` validate.

    The validation part is the last `max(window, round(length *
    validation_fraction))` frames; the training part the frames before it.
    Raises a ValueError when the sequence cannot hold a window in each part.
    """
    open_fraction(validation_fraction, "validation_fraction")
    n_val = max(window, int(round(length * validation_fraction)))
    if length - n_val < window:
        raise ValueError(
            f"A sequence of {length} frames cannot be split into training and validation "
            f"parts of at least {window} frames each."
        )
    return length - n_val, length - n_val


class FrameSequenceDataset(RandomBatchDataset):
    """Random windows of frame sequences for frame interpolation.

    Each item is a batch `(inputs, target)` of float32 arrays in [0, 1]:
    `inputs` `(batch, num_frames, crop, crop, c)` and the target, the frame
    halfway between the two central inputs, `(batch, crop, crop, c)`.
    Inputs are `2 * spacing` frames apart (spacing drawn from 1 to
    `max_spacing`, mimicking lower frame rates).

    Args:
        sequences: list of uint8 arrays `(n, h, w, c)` (the frames one
            dataset may use; see `make_sequence_datasets` for the split).
        num_frames: int, even >= 2. Default 2.
        crop_size: int, side of the square crops. Default 64.
        batch_size: int >= 1. Default 8.
        steps_per_epoch: int >= 1, batches per epoch. Default 100.
        max_spacing: int >= 1, largest frame spacing. Default 1.
        augment: bool, random flips (horizontal, vertical) and time
            reversal. Default True.
        fixed: bool, draw `steps_per_epoch` batches once (seeded) and serve
            the same ones every epoch, for validation. Default False.
        seed: int or None.
    """

    def __init__(
        self,
        sequences,
        num_frames=2,
        crop_size=64,
        batch_size=8,
        steps_per_epoch=100,
        max_spacing=1,
        augment=True,
        fixed=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(batch_size, steps_per_epoch, seed, **kwargs)
        if positive_int(num_frames, "num_frames") % 2:
            raise ValueError(f"`num_frames` must be an even integer >= 2. Received: num_frames={num_frames}")
        self.num_frames = int(num_frames)
        self.crop_size, self.max_spacing = positive_ints((("crop_size", crop_size), ("max_spacing", max_spacing)))
        self.augment = augment
        window = window_length(self.num_frames)
        self.sequences = [
            s for s in sequences if len(s) >= window and min(s.shape[1:3]) >= self.crop_size
        ]
        if not self.sequences:
            raise ValueError(
                f"No sequence has {window} frames of at least {crop_size}x{crop_size} pixels."
            )
        self.channels = self.sequences[0].shape[-1]
        self.weights = np.array([len(s) for s in self.sequences], "float64")
        self.weights /= self.weights.sum()
        if fixed:
            self.fix_batches()

    def _sample(self):
        seq = self.sequences[self.rng.choice(len(self.sequences), p=self.weights)]
        n = len(seq)
        spacing_max = max(1, min(self.max_spacing, (n - 1) // (2 * (self.num_frames - 1))))
        spacing = int(self.rng.integers(1, spacing_max + 1))
        start = int(self.rng.integers(0, n - window_length(self.num_frames, spacing) + 1))
        # The inputs, then the target halfway between the two central ones.
        idx = [start + 2 * spacing * j for j in range(self.num_frames)]
        clip = random_crop(self.rng, seq[idx + [start + spacing * (self.num_frames - 1)]], (self.crop_size,) * 2)
        if self.augment:
            clip = random_flips(self.rng, clip)
        frames, target = clip[:-1], clip[-1]
        if self.augment and self.rng.random() < 0.5:
            frames = frames[::-1]
        return frames, target

    def draw_batch(self):
        pairs = [self._sample() for _ in range(self.batch_size)]
        return to_float(np.stack([p[0] for p in pairs])), to_float(np.stack([p[1] for p in pairs]))


def make_sequence_datasets(
    sequences,
    validation_fraction=0.2,
    train_batch_size=8,
    val_batch_size=8,
    num_frames=2,
    crop_size=64,
    steps_per_epoch=100,
    val_steps=10,
    max_spacing=1,
    seed=0,
):
    """Split every sequence in time and build training and validation sets.

    Each sequence gives its first frames to training and its last frames to
    validation (`split_sequence`); sequences too short for a window in each
    part are skipped. The validation set is fixed (same batches every
    epoch, no augmentation, spacing 1).

    Args:
        sequences: list of uint8 arrays `(n, h, w, c)` (`load_sequences`).
        validation_fraction: float in (0, 1). Default 0.2.
        train_batch_size: int, default 8.
        val_batch_size: int, default 8 (independent of the training one).
        num_frames, crop_size, max_spacing: see `FrameSequenceDataset`.
        steps_per_epoch: training batches per epoch. Default 100.
        val_steps: validation batches. Default 10.
        seed: int. Default 0.

    Returns:
        `(train, val)` `FrameSequenceDataset`s.
    """
    window = window_length(num_frames)
    train_parts, val_parts = [], []
    for seq in sequences:
        try:
            train_end, val_start = split_sequence(len(seq), validation_fraction, window)
        except ValueError:
            continue
        train_parts.append(seq[:train_end])
        val_parts.append(seq[val_start:])
    if not train_parts:
        raise ValueError(
            f"No sequence is long enough to split into two parts of {window} frames "
            f"(lengths: {sorted({len(s) for s in sequences})})."
        )
    train = FrameSequenceDataset(
        train_parts, num_frames, crop_size, train_batch_size, steps_per_epoch, max_spacing, True, False, seed
    )
    val = FrameSequenceDataset(val_parts, num_frames, crop_size, val_batch_size, val_steps, 1, False, True, seed + 1)
    return train, val


class ColorizationDataset(RandomBatchDataset):
    """Random crops of colour images as (grey, colour) pairs.

    Each item is `(grey, rgb)`: float32 `(batch, crop, crop, 1)` (BT.601
    luma, rounded to 8 bits as a grey camera would give) and
    `(batch, crop, crop, 3)`, both in [0, 1].

    Args:
        images: list of uint8 RGB arrays or image file paths.
        crop_size: int. Default 64.
        batch_size: int >= 1. Default 16.
        steps_per_epoch: int >= 1. Default 100.
        augment: bool, random horizontal flips. Default True.
        fixed: bool, fixed seeded batches (validation). Default False.
        seed: int or None.
    """

    def __init__(
        self, images, crop_size=64, batch_size=16, steps_per_epoch=100, augment=True, fixed=False, seed=None, **kwargs
    ):
        super().__init__(batch_size, steps_per_epoch, seed, **kwargs)
        self.crop_size = positive_int(crop_size, "crop_size")
        self.augment = augment
        loaded = [load_image(im, mode="RGB") if isinstance(im, (str, os.PathLike)) else np.asarray(im) for im in images]
        self.images = [im for im in loaded if min(im.shape[:2]) >= self.crop_size]
        if not self.images:
            raise ValueError(f"No image of at least {crop_size}x{crop_size} pixels.")
        self.weights = area_weights(self.images)
        if fixed:
            self.fix_batches()

    def draw_batch(self):
        crops = []
        for _ in range(self.batch_size):
            im = self.images[self.rng.choice(len(self.images), p=self.weights)]
            crop = random_crop(self.rng, im, (self.crop_size,) * 2)
            if self.augment:
                crop = random_flips(self.rng, crop, vertical=False)
            crops.append(crop)
        rgb = np.stack(crops)
        return to_float(luma_uint8(rgb)), to_float(rgb)


def make_colorization_datasets(
    roots,
    validation_fraction=0.1,
    train_batch_size=16,
    val_batch_size=16,
    crop_size=64,
    steps_per_epoch=100,
    val_steps=10,
    seed=0,
):
    """Colourisation training and validation sets from image folders.

    Every `round(1 / validation_fraction)`-th image (sorted by path) goes to
    validation, the rest to training.

    Returns:
        `(train, val)` `ColorizationDataset`s.
    """
    open_fraction(validation_fraction, "validation_fraction")
    if isinstance(roots, (str, os.PathLike)):
        roots = [roots]
    files = find_images(*roots)
    if len(files) < 2:
        raise ValueError(f"Need at least two images under {[str(r) for r in roots]}. Found {len(files)}")
    every = max(2, int(round(1 / validation_fraction)))
    val_files = files[::every]
    train_files = [f for i, f in enumerate(files) if i % every]
    train = ColorizationDataset(train_files, crop_size, train_batch_size, steps_per_epoch, True, False, seed)
    val = ColorizationDataset(val_files, crop_size, val_batch_size, val_steps, False, True, seed + 1)
    return train, val
