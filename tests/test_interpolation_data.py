"""TripletDataset: frame folders, video files split at scene cuts, augmentation."""

import numpy as np
import pytest
from PIL import Image

from tests.support import needs_data, SHARED_DATA
from keras_vsr.data.interpolation import TripletDataset
from keras_vsr.data.sources import find_sequence_sources, load_video


def _ramp_folder(root, name, n=5, size=(24, 32), step=20):
    folder = root / name
    folder.mkdir(parents=True)
    for i in range(n):
        # Frame i holds the value i * step everywhere, plus a left-right gradient.
        frame = np.full((*size, 3), i * step, np.uint8)
        frame[:, :, 1] = np.linspace(0, 255, size[1]).astype(np.uint8)[None]
        Image.fromarray(frame).save(folder / f"im{i + 1}.png")
    return folder


def test_triplets_from_frame_folders(tmp_path):
    _ramp_folder(tmp_path, "seq_a/clip1", n=5)
    _ramp_folder(tmp_path, "seq_b", n=3)
    (tmp_path / "too_short").mkdir()
    ds = TripletDataset(tmp_path, crop_size=16, batch_size=6, steps_per_epoch=3, max_spacing=2, augment=False, seed=0)
    assert len(ds) == 3 and len(ds.sequences) == 2
    # spacing 1: 3 + 1 triplets; spacing 2: 1 triplet (only in the 5-frame folder)
    assert len(ds.triplets) == 5
    x, middle = ds[0]
    assert x["frames_a"].shape == x["frames_b"].shape == middle.shape == (6, 16, 16, 3)
    assert middle.dtype == np.float32 and middle.max() <= 1.0
    # Without augmentation the middle frame is exactly between the outer ones.
    np.testing.assert_allclose(middle[..., 0], (x["frames_a"][..., 0] + x["frames_b"][..., 0]) / 2, atol=1e-6)
    assert np.all(x["frames_b"][..., 0] > x["frames_a"][..., 0])
    spacings = {round(float((b - a)[0, 0, 0, 0] * 255 / 40)) for a, b in [(x["frames_a"][i:i+1], x["frames_b"][i:i+1]) for i in range(6)]}
    assert spacings <= {1, 2}


def test_any_time_targets_lie_where_their_time_says(tmp_path):
    _ramp_folder(tmp_path, "seq", n=7, step=30)
    ds = TripletDataset(tmp_path, crop_size=16, batch_size=64, steps_per_epoch=1, max_spacing=2, time="any", seed=2)
    # spans 2..4, every frame in between: 5 * 1 + 4 * 2 + 3 * 3 starts
    assert len(ds.triplets) == 5 + 8 + 9
    x, target = ds[0]
    time = x["time"][:, 0]
    assert x["time"].shape == (64, 1) and x["time"].dtype == np.float32
    assert {round(float(t), 4) for t in time} - {0.5} and (0 < time).all() and (time < 1).all()
    # Frame values grow linearly in time, so the target is the time-weighted blend.
    a, b = x["frames_a"][..., 0], x["frames_b"][..., 0]
    np.testing.assert_allclose(target[..., 0], a + time[:, None, None] * (b - a), atol=1e-6)

    middle = TripletDataset(tmp_path, crop_size=16, batch_size=8, steps_per_epoch=1, max_spacing=2, time="middle")
    assert len(middle.triplets) == 5 + 3 and (middle[0][0]["time"] == 0.5).all()
    with pytest.raises(ValueError, match="`time` must be one of"):
        TripletDataset(tmp_path, crop_size=16, time="end")


def test_augmentation_flips_and_reverses(tmp_path):
    _ramp_folder(tmp_path, "seq", n=3)
    ds = TripletDataset(tmp_path, crop_size=24, batch_size=64, steps_per_epoch=1, max_spacing=1, seed=1)
    x, middle = ds[0]
    reversed_order = x["frames_a"][:, 0, 0, 0] > x["frames_b"][:, 0, 0, 0]
    assert 0 < reversed_order.sum() < 64  # time reversal, sometimes
    gradient = x["frames_a"][:, 0, -1, 1] - x["frames_a"][:, 0, 0, 1]
    assert (gradient < 0).any() and (gradient > 0).any()  # horizontal flips, sometimes
    np.testing.assert_allclose(middle[..., 0], (x["frames_a"][..., 0] + x["frames_b"][..., 0]) / 2, atol=1e-6)


def test_video_files_are_split_at_scene_cuts(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    path = tmp_path / "clip.avi"
    writer = imageio_ffmpeg.write_frames(str(path), (32, 32), fps=10, codec="mjpeg", quality=10, macro_block_size=1)
    writer.send(None)
    for i in range(8):
        value = 30 + 5 * i if i < 4 else 220 - 5 * i  # a hard cut before frame 4
        writer.send(np.full((32, 32, 3), value, np.uint8).tobytes())
    writer.close()
    scenes = load_video(path, grey=False)
    assert [len(s) for s in scenes] == [4, 4]
    ds = TripletDataset([path], crop_size=16, batch_size=2, max_spacing=1, seed=0)
    assert len(ds.triplets) == 4  # 2 per scene, none across the cut
    folders, videos = find_sequence_sources(tmp_path)
    assert videos == [path] and folders == []


def test_bad_arguments(tmp_path):
    _ramp_folder(tmp_path, "seq", n=3, size=(20, 20))
    with pytest.raises(ValueError, match="No sequence"):
        TripletDataset(tmp_path, crop_size=32)
    with pytest.raises(ValueError, match="No sequence"):
        TripletDataset(tmp_path / "seq", crop_size=64)
    with pytest.raises(ValueError, match="does not exist"):
        TripletDataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="crop_size"):
        TripletDataset(tmp_path, crop_size=0)
    with pytest.raises(ValueError, match="channels"):
        TripletDataset(tmp_path, channels=2)


@needs_data("video", "train", "vimeo_septuplet")
def test_shared_training_frames():
    root = SHARED_DATA / "video" / "train" / "vimeo_septuplet" / "sequences"
    first = sorted(p for p in root.iterdir() if p.is_dir())[0]
    ds = TripletDataset(first, crop_size=64, batch_size=2, channels=1, seed=0)
    assert len(ds.sequences) >= 1 and all(len(s) == 7 for s in ds.sequences)
    x, middle = ds[0]
    assert middle.shape == (2, 64, 64, 1)
