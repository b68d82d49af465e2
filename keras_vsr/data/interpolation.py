"""Frame triplets `(frame_a, frame_b) -> middle` for training frame
interpolators, from folders of frames and from video files.

A *sequence* is an ordered list of frames of one shot: a folder holding at
least three images (sorted by file name: Vimeo-90K septuplets `im1..im7.png`,
`sample_video/000..039.png`), or one scene of a video file (split at the hard
cuts found by `keras_vsr.io.video.detect_scene_cuts`, so no triplet spans a
cut). A triplet with spacing `s` is frames `(i, i + s, i + 2 s)`; spacings
above 1 mimic lower frame rates.
"""

import os
from pathlib import Path

import numpy as np
import keras

from keras_vsr.data.io import IMAGE_EXTENSIONS

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg")


def _convert(frame, channels):
    from PIL import Image

    frame = np.asarray(frame)
    if channels == 1:
        if frame.ndim == 3:
            frame = np.asarray(Image.fromarray(frame[..., :3] if frame.shape[-1] >= 3 else frame[..., 0]).convert("L"))
        return frame[..., None]
    if frame.ndim == 2:
        return np.repeat(frame[..., None], 3, -1)
    return frame[..., :3]


def find_sequence_sources(*roots):
    """`(frame_folders, video_files)` below `roots` (folders or files).

    A frame folder is a folder that directly holds at least three images.
    """
    folders, videos = [], []
    for root in roots:
        root = Path(root)
        if root.is_file():
            if root.suffix.lower() in VIDEO_EXTENSIONS:
                videos.append(root)
            continue
        if not root.is_dir():
            raise ValueError(f"Sequence source '{root}' does not exist.")
        for dirpath, _, names in os.walk(root):
            images = [n for n in names if n.lower().endswith(IMAGE_EXTENSIONS)]
            if len(images) >= 3:
                folders.append(Path(dirpath))
            videos.extend(Path(dirpath) / n for n in names if n.lower().endswith(VIDEO_EXTENSIONS))
    return sorted(set(folders)), sorted(set(videos))


def load_frame_folder(folder, channels=3):
    """The images of `folder`, sorted by name, as uint8 `(h, w, channels)` arrays."""
    from PIL import Image

    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    frames = []
    for path in paths:
        with Image.open(path) as img:
            frames.append(_convert(np.asarray(img.convert("RGB")), channels))
    return frames


def load_video_scenes(path, channels=3, max_frames=300, frame_step=1, scene_cut_threshold=0.1):
    """Up to `max_frames` frames of a video (every `frame_step`-th), split into
    scenes at hard cuts. Returns a list of frame lists."""
    from keras_vsr.io.video import detect_scene_cuts, iter_video_frames

    frames = []
    for index, frame in enumerate(iter_video_frames(path)):
        if index % frame_step == 0:
            frames.append(_convert(frame, channels))
        if max_frames and len(frames) >= max_frames:
            break
    cuts = detect_scene_cuts([f if f.shape[-1] == 3 else f[..., 0] for f in frames], scene_cut_threshold)
    bounds = [0, *cuts, len(frames)]
    return [frames[s:e] for s, e in zip(bounds[:-1], bounds[1:]) if e > s]


class TripletDataset(keras.utils.PyDataset):
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
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("crop_size", crop_size),
            ("batch_size", batch_size),
            ("steps_per_epoch", steps_per_epoch),
            ("max_spacing", max_spacing),
            ("video_frame_step", video_frame_step),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
        if channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        self.crop_size, self.batch_size = int(crop_size), int(batch_size)
        self.steps_per_epoch, self.max_spacing = int(steps_per_epoch), int(max_spacing)
        self.augment, self.channels = bool(augment), channels
        self.rng = np.random.default_rng(seed)

        folders, videos = find_sequence_sources(*sources)
        sequences = [load_frame_folder(f, channels) for f in folders]
        for video in videos:
            sequences.extend(load_video_scenes(video, channels, max_video_frames, video_frame_step))
        self.sequences = [
            s for s in sequences if len(s) >= 3 and min(s[0].shape[:2]) >= self.crop_size
        ]
        self.triplets = [
            (k, start, spacing)
            for k, seq in enumerate(self.sequences)
            for spacing in range(1, self.max_spacing + 1)
            for start in range(len(seq) - 2 * spacing)
        ]
        if not self.triplets:
            raise ValueError(
                f"No sequence of at least 3 frames of {self.crop_size}x{self.crop_size} pixels or more "
                f"under {[str(s) for s in sources]} ({len(folders)} frame folders, {len(videos)} videos)."
            )
        self.num_folders, self.num_videos = len(folders), len(videos)

    def __len__(self):
        return self.steps_per_epoch

    def sample(self):
        """One augmented triplet `(a, b, middle)` of uint8 crops."""
        k, start, spacing = self.triplets[self.rng.integers(len(self.triplets))]
        seq = self.sequences[k]
        frames = [seq[start], seq[start + 2 * spacing], seq[start + spacing]]
        h, w = frames[0].shape[:2]
        y = self.rng.integers(0, h - self.crop_size + 1)
        x = self.rng.integers(0, w - self.crop_size + 1)
        crops = [f[y : y + self.crop_size, x : x + self.crop_size] for f in frames]
        if self.augment:
            if self.rng.random() < 0.5:
                crops = [c[:, ::-1] for c in crops]
            if self.rng.random() < 0.5:
                crops = [c[::-1] for c in crops]
            if self.rng.random() < 0.5:
                crops = [crops[1], crops[0], crops[2]]
        return crops

    def __getitem__(self, index):
        batch = [self.sample() for _ in range(self.batch_size)]
        a, b, m = (np.stack([t[i] for t in batch]).astype("float32") / 255.0 for i in range(3))
        return {"frames_a": a, "frames_b": b}, m
