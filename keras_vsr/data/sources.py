"""Frame sequences for the interpolation datasets, from folders of frames and
from video files.

A *sequence* is the uint8 frames `(n, h, w, 1|3)` of one shot: a folder that
directly holds at least three images (sorted by file name: Vimeo-90K
septuplets `im1..im7.png`, a numbered frame folder), or one scene of a video
file, decoded by `keras_vsr.io.video.iter_video_frames` and split at the hard
cuts `keras_vsr.io.video.detect_scene_cuts` finds, so no training window
spans two shots. Grey sequences hold BT.601 luma (`luma_uint8`).
"""

import os
from pathlib import Path

import numpy as np

from keras_vsr.io.images import IMAGE_EXTENSIONS, load_image
from keras_vsr.io.video import VIDEO_EXTENSIONS
from keras_vsr.utils.colour import luma_uint8

# Clips read as frame sequences: videos, and animated GIFs.
CLIP_EXTENSIONS = VIDEO_EXTENSIONS + (".gif",)


def frame_layout(frame, grey):
    """A uint8 frame `(h, w)` or `(h, w, 1|3|4)` as `(h, w, 1)` luma (`grey`)
    or `(h, w, 3)` RGB; grey frames are repeated to RGB, alpha is dropped."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[:, :, None]
    if grey:
        return frame if frame.shape[-1] == 1 else luma_uint8(frame[..., :3])
    return np.repeat(frame, 3, axis=-1) if frame.shape[-1] == 1 else frame[..., :3]


def find_sequence_sources(*roots, min_frames=3):
    """`(frame_folders, video_files)` below `roots`, each list sorted.

    A frame folder directly holds at least `min_frames` images; videos are
    found by extension (`CLIP_EXTENSIONS`). A root that is a file is taken
    as a video.

    Raises:
        ValueError: for a root that does not exist.
    """
    folders, videos = set(), set()
    for root in map(Path, roots):
        if root.is_file():
            videos.add(root)
            continue
        if not root.is_dir():
            raise ValueError(f"Sequence source '{root}' does not exist.")
        for dirpath, _, names in os.walk(root):
            if sum(n.lower().endswith(IMAGE_EXTENSIONS) for n in names) >= min_frames:
                folders.add(Path(dirpath))
            videos.update(Path(dirpath) / n for n in names if n.lower().endswith(CLIP_EXTENSIONS))
    return sorted(folders), sorted(videos)


def load_frame_folder(folder, grey=True, max_frames=None):
    """The images directly in `folder`, sorted by file name, as uint8 `(n, h, w, 1|3)`.

    Raises:
        ValueError: when the frames differ in size.
    """
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if max_frames:
        files = files[:max_frames]
    frames = [frame_layout(load_image(f, mode="RGB"), grey) for f in files]
    sizes = {f.shape for f in frames}
    if len(sizes) > 1:
        raise ValueError(f"Frames in '{folder}' differ in size: {sorted(sizes)}")
    return np.stack(frames)


def load_video(path, grey=True, max_frames=200, frame_step=1, split_scenes=True, scene_cut_threshold=0.1):
    """Decode a video into uint8 sequences `(n, h, w, 1|3)`, one per shot.

    Args:
        path: video file.
        grey: bool, convert to BT.601 luma. Default True.
        max_frames: int or None, decoded frames kept (after `frame_step`).
            Default 200.
        frame_step: int >= 1, keep every `frame_step`-th frame. Default 1.
        split_scenes: bool, split at hard cuts. Default True.
        scene_cut_threshold: float, see `detect_scene_cuts`. Default 0.1.

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
    cuts = detect_scene_cuts(frames, scene_cut_threshold) if split_scenes else []
    frames = np.stack([frame_layout(f, grey) for f in frames])
    bounds = [0] + list(cuts) + [len(frames)]
    return [frames[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b - a >= 2]


def load_sequences(roots, grey=True, max_frames=200, frame_step=1):
    """Every frame folder and video below `roots` (`find_sequence_sources`) as
    a list of uint8 sequences; `max_frames` applies to each folder and video."""
    if isinstance(roots, (str, os.PathLike)):
        roots = [roots]
    folders, videos = find_sequence_sources(*roots)
    sequences = [load_frame_folder(folder, grey=grey, max_frames=max_frames) for folder in folders]
    for video in videos:
        sequences += load_video(video, grey=grey, max_frames=max_frames, frame_step=frame_step)
    if not sequences:
        raise ValueError(f"No frame folder or video found under {[str(r) for r in roots]}.")
    return sequences
