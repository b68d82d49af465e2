"""Datasets for the spatio-temporal fusion models.

* Frame sequences from folders of frames (e.g. Vimeo-90K septuplets
  `im1..7.png`, a numbered frame folder) and from video files (decoded with
  `keras_vsr.io.video.iter_video_frames`, split at scene cuts), for frame
  interpolation. Every sequence is split in time into a training part (its
  first frames) and a validation part (its last frames), so both parts see
  every scene and no validation frame is ever a training frame.
* Grey/colour pairs from images, for colourisation.

Training and validation sets are separate `keras.utils.PyDataset`s with
their own batch sizes; the interpolator's and the colouriser's datasets are
independent of each other.
"""

import os
from pathlib import Path

import numpy as np
import keras

from keras_vsr.data.io import IMAGE_EXTENSIONS, find_images, read_image

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".gif")
_LUMA = np.array([0.299, 0.587, 0.114], dtype="float32")


def luma_uint8(rgb):
    """BT.601 luma (full range) of uint8 RGB `(..., 3)` as uint8 `(..., 1)`."""
    y = np.asarray(rgb, "float32") @ _LUMA
    return np.round(y).clip(0, 255).astype(np.uint8)[..., None]


def find_frame_folders(*roots, min_frames=3):
    """Folders below `roots` (recursive) holding at least `min_frames` images.

    Returns a sorted list of `Path`s. A root that is itself such a folder is
    included.
    """
    folders = []
    for root in map(Path, roots):
        if not root.is_dir():
            raise ValueError(f"Frame folder root '{root}' does not exist.")
        for dirpath, _, names in os.walk(root):
            if sum(n.lower().endswith(IMAGE_EXTENSIONS) for n in names) >= min_frames:
                folders.append(Path(dirpath))
    return sorted(folders)


def find_videos(*roots):
    """Video files below `roots` (recursive), sorted; a root may be a file."""
    files = []
    for root in map(Path, roots):
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files += [p for p in root.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS]
        else:
            raise ValueError(f"Video path '{root}' does not exist.")
    return sorted(files)


def _prepare(frame, grey):
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[:, :, None]
    if grey:
        return frame if frame.shape[-1] == 1 else luma_uint8(frame[..., :3])
    return np.repeat(frame, 3, axis=-1) if frame.shape[-1] == 1 else frame[..., :3]


def load_frame_folder(folder, grey=True, max_frames=None):
    """The frames of a folder (sorted by file name) as uint8 `(n, h, w, 1|3)`."""
    files = find_images(folder)
    if max_frames:
        files = files[:max_frames]
    frames = [_prepare(read_image(f), grey) for f in files]
    sizes = {f.shape for f in frames}
    if len(sizes) > 1:
        raise ValueError(f"Frames in '{folder}' differ in size: {sorted(sizes)}")
    return np.stack(frames)


def load_video(path, grey=True, max_frames=200, frame_step=1, split_scenes=True):
    """Decode a video into uint8 sequences `(n, h, w, 1|3)`, one per shot.

    Args:
        path: video file.
        grey: bool, convert to BT.601 luma. Default True.
        max_frames: int or None, decoded frames kept (after `frame_step`).
            Default 200.
        frame_step: int >= 1, keep every `frame_step`-th frame. Default 1.
        split_scenes: bool, split at hard cuts
            (`keras_vsr.io.video.detect_scene_cuts`), so no training window
            spans two shots. Default True.

    Returns:
        A list of arrays (shots of one frame are dropped).
    """
    from keras_vsr.io.video import detect_scene_cuts, iter_video_frames

    if int(frame_step) != frame_step or frame_step < 1:
        raise ValueError(f"`frame_step` must be a positive integer. Received: frame_step={frame_step}")
    frames = []
    for i, frame in enumerate(iter_video_frames(path)):
        if i % frame_step:
            continue
        frames.append(frame)
        if max_frames and len(frames) >= max_frames:
            break
    cuts = detect_scene_cuts(frames) if split_scenes else []
    frames = np.stack([_prepare(f, grey) for f in frames])
    bounds = [0] + list(cuts) + [len(frames)]
    return [frames[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b - a >= 2]


def load_sequences(roots, grey=True, max_frames=200, frame_step=1):
    """Every frame folder and video below `roots` as a list of uint8 sequences."""
    if isinstance(roots, (str, os.PathLike)):
        roots = [roots]
    sequences = []
    folders, videos = [], []
    for root in map(Path, roots):
        if root.is_file():
            videos.append(root)
        else:
            folders += find_frame_folders(root)
            videos += find_videos(root)
    for folder in folders:
        sequences.append(load_frame_folder(folder, grey=grey, max_frames=max_frames))
    for video in videos:
        sequences += load_video(video, grey=grey, max_frames=max_frames, frame_step=frame_step)
    if not sequences:
        raise ValueError(f"No frame folder or video found under {[str(r) for r in roots]}.")
    return sequences


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
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"`validation_fraction` must be in (0, 1). Received: validation_fraction={validation_fraction}"
        )
    n_val = max(window, int(round(length * validation_fraction)))
    if length - n_val < window:
        raise ValueError(
            f"A sequence of {length} frames cannot be split into training and validation "
            f"parts of at least {window} frames each."
        )
    return length - n_val, length - n_val


class FrameSequenceDataset(keras.utils.PyDataset):
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
        super().__init__(**kwargs)
        if int(num_frames) != num_frames or num_frames < 2 or num_frames % 2:
            raise ValueError(f"`num_frames` must be an even integer >= 2. Received: num_frames={num_frames}")
        for arg, value in (
            ("crop_size", crop_size),
            ("batch_size", batch_size),
            ("steps_per_epoch", steps_per_epoch),
            ("max_spacing", max_spacing),
        ):
            if int(value) != value or value < 1:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value}")
        self.num_frames = int(num_frames)
        self.crop_size = int(crop_size)
        self.batch_size = int(batch_size)
        self.steps_per_epoch = int(steps_per_epoch)
        self.max_spacing = int(max_spacing)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
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
        self.fixed = None
        if fixed:
            self.fixed = [self._draw() for _ in range(self.steps_per_epoch)]

    def __len__(self):
        return self.steps_per_epoch

    def _sample(self):
        seq = self.sequences[self.rng.choice(len(self.sequences), p=self.weights)]
        n, h, w = seq.shape[:3]
        spacing_max = max(1, min(self.max_spacing, (n - 1) // (2 * (self.num_frames - 1))))
        spacing = int(self.rng.integers(1, spacing_max + 1))
        start = int(self.rng.integers(0, n - window_length(self.num_frames, spacing) + 1))
        y = int(self.rng.integers(0, h - self.crop_size + 1))
        x = int(self.rng.integers(0, w - self.crop_size + 1))
        idx = [start + 2 * spacing * j for j in range(self.num_frames)]
        mid = start + spacing * (self.num_frames - 1)
        crop = seq[:, y : y + self.crop_size, x : x + self.crop_size]
        frames, target = crop[idx], crop[mid]
        if self.augment:
            if self.rng.random() < 0.5:
                frames, target = frames[:, :, ::-1], target[:, ::-1]
            if self.rng.random() < 0.5:
                frames, target = frames[:, ::-1], target[::-1]
            if self.rng.random() < 0.5:
                frames = frames[::-1]
        return frames, target

    def _draw(self):
        pairs = [self._sample() for _ in range(self.batch_size)]
        inputs = np.stack([p[0] for p in pairs]).astype("float32") / 255.0
        target = np.stack([p[1] for p in pairs]).astype("float32") / 255.0
        return inputs, target

    def __getitem__(self, index):
        if self.fixed is not None:
            return self.fixed[index]
        return self._draw()


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


class ColorizationDataset(keras.utils.PyDataset):
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
        super().__init__(**kwargs)
        for arg, value in (("crop_size", crop_size), ("batch_size", batch_size), ("steps_per_epoch", steps_per_epoch)):
            if int(value) != value or value < 1:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value}")
        self.crop_size = int(crop_size)
        self.batch_size = int(batch_size)
        self.steps_per_epoch = int(steps_per_epoch)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        loaded = [_prepare(read_image(im), grey=False) if isinstance(im, (str, os.PathLike)) else np.asarray(im) for im in images]
        self.images = [im for im in loaded if min(im.shape[:2]) >= self.crop_size]
        if not self.images:
            raise ValueError(f"No image of at least {crop_size}x{crop_size} pixels.")
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], "float64")
        self.weights = areas / areas.sum()
        self.fixed = [self._draw() for _ in range(self.steps_per_epoch)] if fixed else None

    def __len__(self):
        return self.steps_per_epoch

    def _draw(self):
        crops = []
        for _ in range(self.batch_size):
            im = self.images[self.rng.choice(len(self.images), p=self.weights)]
            y = int(self.rng.integers(0, im.shape[0] - self.crop_size + 1))
            x = int(self.rng.integers(0, im.shape[1] - self.crop_size + 1))
            crop = im[y : y + self.crop_size, x : x + self.crop_size]
            if self.augment and self.rng.random() < 0.5:
                crop = crop[:, ::-1]
            crops.append(crop)
        rgb = np.stack(crops)
        return luma_uint8(rgb).astype("float32") / 255.0, rgb.astype("float32") / 255.0

    def __getitem__(self, index):
        if self.fixed is not None:
            return self.fixed[index]
        return self._draw()


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
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"`validation_fraction` must be in (0, 1). Received: validation_fraction={validation_fraction}"
        )
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
