"""Training pairs sampled directly from video files (and image folders).

Instead of extracting every frame of every clip to disk first,
`VideoFrameDataset` keeps a bounded pool of decoded frames in memory and
refreshes part of it every few batches by asking ffmpeg for a short run of
consecutive frames starting at a random position (input seeking, so a read
costs a few frames of decoding, not the whole clip). HR crops are cut from
pool frames (and from images), and each is paired with its LR made by
MATLAB-compatible bicubic downscaling (`keras_vsr.utils.imresize`), the
protocol of the SR benchmarks.
"""

import numbers
import subprocess
import warnings
from pathlib import Path

import numpy as np

from keras_vsr.data.degradations import check_dataset_degradation, degrade_batch
from keras_vsr.data.sampling import RandomBatchDataset, area_weights, random_crop, random_flips
from keras_vsr.io.images import ImageReadError, find_images, load_image
from keras_vsr.io.video import probe_video
from keras_vsr.utils.checks import positive_int, positive_ints, size_pair
from keras_vsr.utils.images import quantize, to_float
from keras_vsr.utils.imresize import resize_batch

# ffmpeg messages kept per clip for warnings.
_KEPT_MESSAGES = 3


def read_video_frames(path, start=0, count=1, fps=None, size=None, timeout=30.0):
    """Decode `count` consecutive frames of a video from frame `start`.

    ffmpeg seeks to `start / fps` seconds (input seeking: it decodes from the
    nearest key frame, not from the beginning) and stops after `count`
    frames; the call is bounded by `timeout` seconds, so a damaged stream
    cannot hang it. Positions are as exact as ffmpeg's seeking (frame-exact
    for ordinary files).

    Args:
        path: str or `pathlib.Path`, the video file.
        start: int >= 0, the first frame. Default 0.
        count: int >= 1, frames to decode. Default 1.
        fps: float or None, frames per second (probed when None).
        size: `(width, height)` or None (probed when None).
        timeout: float > 0, seconds for the whole read. Default 30.0.

    Returns:
        `(frames, messages)`: a list of up to `count` uint8 arrays `(h, w, 3)`
        (fewer at the end of the video), and the lines ffmpeg printed at
        warning level or above.

    Raises:
        ImageReadError: for a missing, empty or unreadable file, or when
            ffmpeg does not finish within `timeout`.
        ValueError: for a negative `start` or a `count` below 1.
    """
    import imageio_ffmpeg

    if isinstance(start, bool) or not isinstance(start, numbers.Integral) or start < 0:
        raise ValueError(f"`start` must be an int >= 0. Received: start={start!r}")
    count = positive_int(count, "count")
    if fps is None or size is None:
        info = probe_video(path)
        fps, size = fps or info.fps, size or info.size
    width, height = size
    seek = [] if start == 0 or not fps else ["-ss", f"{start / fps:.6f}"]
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "warning", *seek, "-i", str(path), "-map", "0:v:0", "-an",
        "-frames:v", str(int(count)), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise ImageReadError(
            f"{path}: ffmpeg did not deliver {count} frames from frame {start} within {timeout:g} s "
            "(damaged stream?); it was stopped"
        ) from e
    messages = [line.strip() for line in result.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    frame_bytes = width * height * 3
    n = len(result.stdout) // frame_bytes
    if result.returncode and n == 0:
        raise ImageReadError(f"{path}: not a readable video ({messages[-1] if messages else 'ffmpeg failed'})")
    frames = [
        np.frombuffer(result.stdout, np.uint8, frame_bytes, i * frame_bytes).reshape(height, width, 3).copy()
        for i in range(n)
    ]
    return frames, messages


class _Clip:
    """A video source: path, usable frame range, fps, size."""

    def __init__(self, spec):
        if isinstance(spec, (str, Path)):
            path, start, stop = spec, 0, None
        else:
            try:
                path, start, stop = spec
            except (TypeError, ValueError):
                raise ValueError(f"A video is a path or a tuple (path, start, stop). Received: {spec!r}")
        self.path = Path(path)
        info = probe_video(self.path)  # ImageReadError for unreadable files
        if not info.fps or not info.frame_count:
            raise ImageReadError(f"{self.path}: ffmpeg reports no frame rate or duration; cannot seek in it")
        self.fps, self.size = info.fps, info.size
        self.start = int(start)
        self.stop = info.frame_count if stop is None else min(int(stop), info.frame_count)
        if not 0 <= self.start < self.stop:
            raise ValueError(
                f"{self.path}: empty frame range [{start}, {stop}) (the video has about {info.frame_count} frames)"
            )
        self.warned = False

    @property
    def shape(self):
        return self.size[1], self.size[0]


class VideoFrameDataset(RandomBatchDataset):
    """Random crops of random video frames and images, paired with their bicubic LR.

    Each item is a batch `(lr, hr)` of float32 arrays in [0, 1]: `hr` is
    `(batch, *hr_size, 3)`; `lr` is `(batch, *lr_size, 3)`, downscaled from
    `hr` with MATLAB bicubic (antialiased) and quantised to 8 bits like an LR
    image file, or, with `upsample_lr=True`, that LR resized back to
    `hr_size` with bicubic and clipped to [0, 1] (the input of
    pre-upsampling models such as `UNetSRBackbone`, as `SuperResolver.
    upscale` prepares it). The LR size is `lr_size` when given, otherwise
    `round(hr_size / scale)` with `scale` drawn per batch from `scales`.

    Frames come from a pool of at most `pool_size` decoded frames. It is
    filled at the start and, every `refresh_every` batches, its oldest
    `frames_per_read` frames are replaced by a run of consecutive frames read
    from a random position of a random clip (`read_video_frames`: ffmpeg seeks
    there and decodes only those frames, with a timeout). Memory is bounded
    by the pool, whatever the length of the clips.

    A clip that cannot be opened is skipped with a warning (or raises with
    `skip_unreadable=False`); ffmpeg's warnings while decoding a clip (e.g.
    a damaged stream) are passed on once per clip as a Python warning; a read
    that times out is skipped with a warning. Clips and images smaller than
    `hr_size` are skipped.

    Args:
        videos: list of video paths, or `(path, start, stop)` tuples to use
            only frames `start <= i < stop` (e.g. to keep the rest of a clip
            aside for evaluation). Default `()`.
        images: list of image folders (searched recursively) or files.
            Default `()`.
        hr_size: int or pair `(height, width)`, HR crop size. Default 48.
        scales: number or list of numbers > 0, downscaling factors; one is
            drawn per batch (repeat a value to weight it). Ignored when
            `lr_size` is given. Default 2.
        lr_size: pair `(height, width)` or None, a fixed LR size. Default None.
        upsample_lr: bool, resize the LR back to `hr_size`. Default False.
        batch_size: int, default 16.
        steps_per_epoch: int, batches per epoch. Default 1000.
        video_fraction: float in [0, 1] or None, probability that a crop
            comes from a video frame; None: 0.5 when there are both videos
            and images, else whichever exists. Default None.
        pool_size: int, decoded frames kept in memory. Default 32.
        frames_per_read: int, consecutive frames per read. Default 4.
        refresh_every: int, batches between pool refreshes. Default 4.
        augment: bool, random horizontal/vertical flips (and transposes for
            square crops). Default True.
        skip_unreadable: bool, skip (with a warning) clips and images that
            cannot be read instead of raising. Default True.
        timeout: float, seconds allowed for one read. Default 30.0.
        degradation: optional `keras_vsr.data.degradations.Degradation`
            that damages the LR (drawn from the dataset's random generator),
            as in `PairedPatchDataset`; one that downscales itself
            (`RealESRGANDegradation`) needs one integer `scales` equal to its
            own and no `lr_size`. Default None: clean bicubic LR.
        seed: int or None.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`, ...).
    """

    def __init__(
        self,
        videos=(),
        images=(),
        hr_size=48,
        scales=2,
        lr_size=None,
        upsample_lr=False,
        batch_size=16,
        steps_per_epoch=1000,
        video_fraction=None,
        pool_size=32,
        frames_per_read=4,
        refresh_every=4,
        augment=True,
        skip_unreadable=True,
        timeout=30.0,
        degradation=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(batch_size, steps_per_epoch, seed, **kwargs)
        self.hr_size = size_pair(hr_size, "hr_size")
        self.lr_size = None if lr_size is None else size_pair(lr_size, "lr_size")
        scales = [scales] if isinstance(scales, numbers.Real) else list(scales)
        if not scales or any(isinstance(s, bool) or not isinstance(s, numbers.Real) or s <= 0 for s in scales):
            raise ValueError(f"`scales` must be a number > 0 or a list of them. Received: scales={scales!r}")
        self.scales = [float(s) for s in scales]
        self.upsample_lr = bool(upsample_lr)
        self.pool_size, self.frames_per_read, self.refresh_every = positive_ints(
            (("pool_size", pool_size), ("frames_per_read", frames_per_read), ("refresh_every", refresh_every))
        )
        self.augment, self.timeout = augment, timeout
        fixed_scale = self.scales[0] if self.lr_size is None and len(set(self.scales)) == 1 else None
        self.degradation = degradation
        self.degradation_config = check_dataset_degradation(degradation, fixed_scale)

        if isinstance(videos, (str, Path)):
            videos = [videos]
        self.clips = []
        for spec in videos:
            try:
                clip = _Clip(spec)
            except ImageReadError as e:
                if not skip_unreadable:
                    raise
                warnings.warn(f"Skipping video: {e}", stacklevel=2)
                continue
            if clip.shape[0] < self.hr_size[0] or clip.shape[1] < self.hr_size[1]:
                warnings.warn(f"Skipping video {clip.path}: frames {clip.shape} are smaller than hr_size {self.hr_size}")
                continue
            self.clips.append(clip)

        if isinstance(images, (str, Path)):
            images = [images]
        self.images = []
        for path in find_images(*images) if images else []:
            try:
                image = load_image(path, mode="RGB")
            except (OSError, ValueError) as e:
                if not skip_unreadable:
                    raise
                warnings.warn(f"Skipping image {path}: {e}", stacklevel=2)
                continue
            if image.shape[0] >= self.hr_size[0] and image.shape[1] >= self.hr_size[1]:
                self.images.append(image)
        if not self.clips and not self.images:
            raise ValueError(
                f"No readable video or image of at least {self.hr_size[0]}x{self.hr_size[1]} pixels in "
                f"videos={list(videos)!r}, images={list(images)!r}"
            )
        if self.images:
            self.image_weights = area_weights(self.images)
        if video_fraction is None:
            video_fraction = 0.5 if (self.clips and self.images) else float(bool(self.clips))
        if not 0.0 <= video_fraction <= 1.0:
            raise ValueError(f"`video_fraction` must be in [0, 1]. Received: video_fraction={video_fraction!r}")
        self.video_fraction = video_fraction if self.clips else 0.0
        if not self.images:
            self.video_fraction = 1.0
        self.pool = []
        self.frames_read = 0
        if self.clips:
            while len(self.pool) < self.pool_size:
                if not self._read_run() and not self.pool:
                    raise ValueError(f"No frame could be decoded from {[str(c.path) for c in self.clips]}")
                if not self.clips:
                    break

    def _read_run(self):
        """Replace the oldest pool frames by a run read from a random clip; False if nothing was read."""
        clip = self.clips[self.rng.integers(len(self.clips))]
        count = min(self.frames_per_read, clip.stop - clip.start)
        start = int(self.rng.integers(clip.start, clip.stop - count + 1))
        try:
            frames, messages = read_video_frames(clip.path, start, count, clip.fps, clip.size, self.timeout)
        except ImageReadError as e:
            warnings.warn(f"Skipping a read: {e}")
            return False
        if messages and not clip.warned:
            clip.warned = True
            warnings.warn(
                f"ffmpeg printed warnings while decoding {clip.path} (the stream may be damaged): "
                + " | ".join(messages[:_KEPT_MESSAGES])
            )
        if not frames:
            # The estimated frame count was too high: shrink the range.
            clip.stop = max(clip.start + 1, start)
            return False
        self.pool.extend(frames)
        self.frames_read += len(frames)
        del self.pool[: max(0, len(self.pool) - self.pool_size)]
        return True

    def sample_hr(self):
        """One uint8 HR crop `(*hr_size, 3)` from a pool frame or an image."""
        if self.pool and self.rng.random() < self.video_fraction:
            source = self.pool[self.rng.integers(len(self.pool))]
        else:
            source = self.images[self.rng.choice(len(self.images), p=self.image_weights)]
        crop = random_crop(self.rng, source, self.hr_size)
        return random_flips(self.rng, crop, transpose=True) if self.augment else crop

    def lr_size_for(self, scale):
        """LR size for one `scale`: `round(hr / scale)` per axis (at least 1)."""
        return tuple(max(1, int(round(n / scale))) for n in self.hr_size)

    def make_pair(self, hr_uint8, lr_size):
        """`(lr, hr)` float32 batches from a uint8 HR batch."""
        hr = to_float(hr_uint8)
        if self.degradation is None:
            lr = quantize(resize_batch(hr, lr_size))
        else:
            lr = degrade_batch(self.degradation, hr, lambda batch: quantize(resize_batch(batch, lr_size)), self.rng)
        if self.upsample_lr:
            lr = np.clip(resize_batch(lr, self.hr_size), 0.0, 1.0).astype("float32")
        return lr, hr

    def __getitem__(self, index):
        if self.clips and index and index % self.refresh_every == 0:
            self._read_run()
        return super().__getitem__(index)

    def draw_batch(self):
        lr_size = self.lr_size or self.lr_size_for(self.scales[self.rng.integers(len(self.scales))])
        hr = np.stack([self.sample_hr() for _ in range(self.batch_size)])
        return self.make_pair(hr, lr_size)

