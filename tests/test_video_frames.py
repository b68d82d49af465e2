import subprocess
import warnings

import numpy as np
import pytest

from tests.support import SHARED_DATA, needs_data
from keras_vsr.data import VideoFrameDataset, read_video_frames
from keras_vsr.io.images import ImageReadError
from keras_vsr.utils.imresize import imresize

FRAMES, H, W = 30, 48, 64
CLIPS = SHARED_DATA / "video" / "clips"


def level(i):
    """Grey level of generated frame `i` (frames are flat, so a crop names its frame)."""
    return 8 * i + 4


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory):
    """A lossless (FFV1) 30-frame 64x48 video at 10 fps; frame i is flat grey `level(i)`."""
    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("video") / "flat.mkv"
    writer = imageio_ffmpeg.write_frames(str(path), (W, H), fps=10, codec="ffv1", pix_fmt_out="bgr0",
                                         macro_block_size=1, quality=None)
    writer.send(None)
    for i in range(FRAMES):
        writer.send(np.full((H, W, 3), level(i), np.uint8))
    writer.close()
    return path


def frame_index(array):
    return int(round((float(np.mean(array)) - 4) / 8))


def test_read_video_frames_seeks_to_the_requested_frame(tiny_video):
    frames, messages = read_video_frames(tiny_video, 10, 3)
    assert [frame_index(f) for f in frames] == [10, 11, 12]
    assert frames[0].shape == (H, W, 3) and frames[0].dtype == np.uint8
    assert messages == []
    first, _ = read_video_frames(tiny_video)
    assert [frame_index(f) for f in first] == [0]
    tail, _ = read_video_frames(tiny_video, 28, 5)  # fewer frames at the end
    assert [frame_index(f) for f in tail] == [28, 29]


def test_read_video_frames_bad_input(tmp_path, tiny_video, monkeypatch):
    with pytest.raises(ValueError, match="Received: start=-1"):
        read_video_frames(tiny_video, -1)
    with pytest.raises(ValueError, match="Received: count=0"):
        read_video_frames(tiny_video, 0, 0)
    with pytest.raises(ImageReadError, match="no such file"):
        read_video_frames(tmp_path / "missing.mp4")
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"RIFF" + bytes(range(256)) * 40)
    with pytest.raises(ImageReadError, match="garbage.avi"):
        read_video_frames(garbage)

    def hang(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))

    monkeypatch.setattr(subprocess, "run", hang)
    with pytest.raises(ImageReadError, match="within 0.5 s"):
        read_video_frames(tiny_video, 0, 2, fps=10, size=(W, H), timeout=0.5)


def test_pairs_are_bicubic_downscales_of_the_crops(tiny_video, image_folder):
    data = VideoFrameDataset(videos=[tiny_video], images=image_folder, hr_size=16, scales=2, batch_size=3,
                             steps_per_epoch=5, video_fraction=0.0, augment=False, seed=0)
    lr, hr = data[0]
    assert lr.shape == (3, 8, 8, 3) and hr.shape == (3, 16, 16, 3)
    assert lr.dtype == hr.dtype == np.float32
    for a, b in zip(lr, hr):
        expected = imresize(np.round(b * 255).astype(np.uint8), 0.5)
        assert np.abs(np.round(a * 255) - expected).max() <= 1


def test_degradation_damages_the_bicubic_lr_reproducibly(tiny_video, image_folder):
    from keras_vsr.data.degradations import JPEGCompression, RealESRGANDegradation, jpeg

    options = dict(videos=[tiny_video], images=image_folder, hr_size=32, scales=2, batch_size=4, augment=False,
                   video_fraction=0.0)  # the images have texture for JPEG to damage
    clean = VideoFrameDataset(**options, seed=3)
    damaged = VideoFrameDataset(**options, degradation=JPEGCompression((10, 10)), seed=3)
    assert clean.degradation_config is None
    assert damaged.degradation_config == {"class_name": "JPEGCompression", "config": {"quality_range": [10, 10]}}
    (lr_clean, hr_clean), (lr, hr) = clean[0], damaged[0]
    np.testing.assert_array_equal(hr, hr_clean)  # the same crops
    assert lr.shape == lr_clean.shape and np.abs(lr - lr_clean).max() > 0.05
    for a, b in zip(lr, lr_clean):  # the clean LR through Pillow's JPEG encoder at quality 10
        np.testing.assert_allclose(a, jpeg(b, 10), atol=1 / 255 + 1e-6)
    np.testing.assert_array_equal(VideoFrameDataset(**options, degradation=JPEGCompression((10, 10)), seed=3)[0][0], lr)

    realesrgan = VideoFrameDataset(**{**options, "scales": 4}, degradation=RealESRGANDegradation(scale=4), seed=0)
    assert realesrgan[0][0].shape == (4, 8, 8, 3)
    for scales in (2, [4, 2]):
        with pytest.raises(ValueError, match="downscales by 4"):
            VideoFrameDataset(**{**options, "scales": scales}, degradation=RealESRGANDegradation(scale=4))
    with pytest.raises(ValueError, match="must be a Degradation"):
        VideoFrameDataset(**options, degradation="jpeg")


def test_scales_lr_size_and_upsampling(image_folder):
    data = VideoFrameDataset(images=image_folder, hr_size=(20, 30), scales=[1.5], batch_size=2, steps_per_epoch=2)
    assert data[0][0].shape == (2, 13, 20, 3)  # round(20 / 1.5), round(30 / 1.5)
    fixed = VideoFrameDataset(images=image_folder, hr_size=(24, 40), lr_size=(16, 25), batch_size=2)
    assert fixed[0][0].shape == (2, 16, 25, 3)
    up = VideoFrameDataset(images=image_folder, hr_size=24, scales=[2, 3, 1.7], upsample_lr=True, batch_size=2)
    for i in range(4):
        lr, hr = up[i]
        assert lr.shape == hr.shape == (2, 24, 24, 3)
        assert lr.min() >= 0.0 and lr.max() <= 1.0


def test_frames_come_from_the_allowed_range_and_the_pool_is_bounded(tiny_video):
    data = VideoFrameDataset(videos=[(tiny_video, 5, 12)], hr_size=16, batch_size=8, steps_per_epoch=50,
                             pool_size=6, frames_per_read=3, refresh_every=1, seed=0)
    seen = set()
    for i in range(20):
        _, hr = data[i]
        seen.update(frame_index(crop * 255) for crop in hr)
        assert len(data.pool) <= 6
    assert seen <= set(range(5, 12))
    assert len(seen) >= 4  # the pool is refreshed
    assert data.frames_read > 6


def test_unreadable_sources(tmp_path, tiny_video):
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"\x00" * 1000)
    with pytest.warns(UserWarning, match="Skipping video.*garbage.avi"):
        data = VideoFrameDataset(videos=[garbage, tiny_video], hr_size=16, batch_size=2)
    assert [c.path for c in data.clips] == [tiny_video]
    with pytest.raises(ImageReadError, match="garbage.avi"):
        VideoFrameDataset(videos=[garbage, tiny_video], hr_size=16, skip_unreadable=False)
    with pytest.raises(ValueError, match="No readable video or image"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            VideoFrameDataset(videos=[garbage], hr_size=16)
    with pytest.raises(ValueError, match="empty frame range"):
        VideoFrameDataset(videos=[(tiny_video, 40, 50)], hr_size=16)
    with pytest.warns(UserWarning, match="smaller than hr_size"), pytest.raises(ValueError, match="No readable"):
        VideoFrameDataset(videos=[tiny_video], hr_size=100)


@pytest.fixture(scope="module")
def damaged_video(tmp_path_factory):
    """An MPEG-4 AVI of 30 noise frames with bytes overwritten in its middle third."""
    import imageio_ffmpeg

    folder = tmp_path_factory.mktemp("damaged")
    path = folder / "clean.avi"
    writer = imageio_ffmpeg.write_frames(str(path), (W, H), fps=10, codec="mpeg4", macro_block_size=1,
                                         quality=None, output_params=["-q:v", "2"])
    writer.send(None)
    rng = np.random.default_rng(0)
    for _ in range(FRAMES):
        writer.send(rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
    writer.close()
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    for k in range(len(data) // 3, 2 * len(data) // 3, 97):
        data[k : k + 8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
    damaged = folder / "damaged.avi"
    damaged.write_bytes(bytes(data))
    return damaged


def test_damaged_video_gives_the_decodable_frames_with_a_warning(damaged_video):
    frames, messages = read_video_frames(damaged_video, 0, FRAMES)
    assert 0 < len(frames) <= FRAMES
    assert messages  # ffmpeg's decoder errors, returned
    with pytest.warns(UserWarning, match="damaged.avi"):
        data = VideoFrameDataset(videos=[damaged_video], hr_size=16, batch_size=2, pool_size=FRAMES,
                                 frames_per_read=FRAMES, seed=0)
    lr, hr = data[0]
    assert hr.shape == (2, 16, 16, 3) and np.isfinite(lr).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(scales=0), "Received: scales"),
        (dict(batch_size=0), "Received: batch_size=0"),
        (dict(video_fraction=2.0), "Received: video_fraction=2.0"),
        (dict(hr_size=(16, 0)), "Received: hr_size"),
    ],
)
def test_bad_arguments(image_folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        VideoFrameDataset(images=image_folder, **{"hr_size": 16, **kwargs})


@needs_data("video", "clips", "vtest.avi")
def test_real_clips_frames_and_crops():
    frames, _ = read_video_frames(CLIPS / "vtest.avi", 700, 2)
    assert len(frames) == 2 and frames[0].shape == (576, 768, 3)
    data = VideoFrameDataset(videos=[(CLIPS / "vtest.avi", 0, 700), CLIPS / "tree.avi"], hr_size=(90, 120),
                             lr_size=(60, 80), batch_size=2, pool_size=4, seed=0)
    lr, hr = data[0]
    assert lr.shape == (2, 60, 80, 3) and hr.shape == (2, 90, 120, 3)


@needs_data("video", "clips", "Megamind_bugy.avi")
def test_damaged_clip_gives_its_frames_and_ffmpeg_warnings_never_a_hang():
    # The damage is visual: ffmpeg decodes all 270 frames and prints only
    # warnings ("Discarding excessive bitstream"), which are returned; each
    # read is bounded by `timeout`.
    frames, messages = read_video_frames(CLIPS / "Megamind_bugy.avi", 0, 300, timeout=300.0)
    assert len(frames) == 270 and frames[0].shape == (528, 720, 3)
    assert any("bitstream" in m for m in messages)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = VideoFrameDataset(videos=[CLIPS / "Megamind_bugy.avi"], hr_size=32, batch_size=2, pool_size=8,
                                 frames_per_read=8, timeout=300.0, seed=0)
        lr, hr = data[0]
    assert hr.shape == (2, 32, 32, 3) and np.isfinite(lr).all()
    # Any warning (when a read covers a damaged frame) names the file.
    assert all("Megamind_bugy.avi" in str(w.message) for w in caught if issubclass(w.category, UserWarning))
