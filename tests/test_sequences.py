import numpy as np
import pytest

from tests.support import SHARED_DATA, needs_data
from keras_vsr.data import FrameSequenceDataset, load_sequences, make_colorization_datasets, make_sequence_datasets
from keras_vsr.data.sequences import split_sequence, window_length
from keras_vsr.data.sources import find_sequence_sources
from keras_vsr.utils.colour import luma_uint8


def _tagged_sequences(lengths=(7, 10), size=(20, 24)):
    """uint8 grey sequences whose every pixel of frame t equals 10 * seq + t,
    so a crop tells which frames it came from."""
    out = []
    for s, n in enumerate(lengths):
        frames = np.zeros((n, *size, 1), np.uint8)
        for t in range(n):
            frames[t] = 10 * s + t
        out.append(frames)
    return out


def _frame_ids(batch):
    """Frame index of each (uniform) crop, `round(value * 255) % 10`."""
    return np.round(batch[..., 0, 0, 0] * 255).astype(int) % 10


def test_window_and_split():
    assert window_length(2) == 3 and window_length(4) == 7 and window_length(2, spacing=2) == 5
    assert split_sequence(7, 0.2, 3) == (4, 4)
    assert split_sequence(40, 0.2, 3) == (32, 32)
    with pytest.raises(ValueError, match="cannot be split"):
        split_sequence(5, 0.2, 3)
    with pytest.raises(ValueError, match="validation_fraction=1.5"):
        split_sequence(10, 1.5, 3)


def test_every_sequence_is_split_in_time_and_parts_do_not_mix():
    seqs = _tagged_sequences()
    train, val = make_sequence_datasets(
        seqs, 0.2, train_batch_size=5, val_batch_size=3, crop_size=8, steps_per_epoch=30, val_steps=20, seed=0
    )
    # both sequences appear in both parts
    assert len(train.sequences) == len(val.sequences) == 2
    assert [len(s) for s in train.sequences] == [4, 7] and [len(s) for s in val.sequences] == [3, 3]
    x, y = train[0]
    assert x.shape == (5, 2, 8, 8, 1) and y.shape == (5, 8, 8, 1)  # independent batch sizes
    assert val[0][0].shape == (3, 2, 8, 8, 1)
    for data, first_val in ((train, False), (val, True)):
        for i in range(len(data)):
            x, y = data[i]
            ids = np.round(x[:, :, 0, 0, 0] * 255).astype(int)
            seq = ids // 10
            frame = ids % 10
            lengths = np.array([7, 10])[seq[:, 0]]
            train_end = np.array([4, 7])[seq[:, 0]]
            if first_val:
                assert (frame.min(axis=1) >= train_end).all()
            else:
                assert (frame.max(axis=1) < train_end).all()
            assert (frame.max(axis=1) < lengths).all()
            # target is the middle frame of the pair
            mid = np.round(y[:, 0, 0, 0] * 255).astype(int) % 10
            np.testing.assert_array_equal(2 * mid, frame.sum(axis=1))


def test_validation_is_fixed_and_training_is_augmented():
    seqs = _tagged_sequences()
    train, val = make_sequence_datasets(seqs, 0.2, crop_size=8, steps_per_epoch=20, val_steps=2, seed=0)
    np.testing.assert_array_equal(val[0][0], val[0][0])
    reversed_order = 0
    for i in range(len(train)):
        ids = np.round(train[i][0][:, :, 0, 0, 0] * 255).astype(int) % 10
        reversed_order += int((ids[:, 0] > ids[:, 1]).sum())
    assert reversed_order > 0  # time reversal happens


def test_wider_spacing_and_four_frames():
    seqs = _tagged_sequences((30,))
    data = FrameSequenceDataset(seqs, num_frames=4, crop_size=8, batch_size=16, max_spacing=3, augment=False, seed=0)
    x, y = data[0]
    assert x.shape == (16, 4, 8, 8, 1)
    ids = np.round(x[:, :, 0, 0, 0] * 255).astype(int)
    steps = np.diff(ids, axis=1)
    assert set(np.unique(steps)) <= {2, 4, 6} and len(np.unique(steps)) > 1
    mid = np.round(y[:, 0, 0, 0] * 255).astype(int)
    np.testing.assert_array_equal(2 * mid, ids[:, 1] + ids[:, 2])


def test_dataset_errors():
    with pytest.raises(ValueError, match="num_frames=3"):
        FrameSequenceDataset(_tagged_sequences(), num_frames=3)
    with pytest.raises(ValueError, match="No sequence has 3 frames of at least 64x64"):
        FrameSequenceDataset(_tagged_sequences(), crop_size=64)
    with pytest.raises(ValueError, match="long enough"):
        make_sequence_datasets(_tagged_sequences((4,)), crop_size=8)


def test_frame_folders_and_colour_pairs(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for clip in ("a", "b"):
        d = tmp_path / "seqs" / clip
        d.mkdir(parents=True)
        for t in range(5):
            Image.fromarray(rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)).save(d / f"im{t}.png")
    folders, videos = find_sequence_sources(tmp_path / "seqs")
    assert [p.name for p in folders] == ["a", "b"] and videos == []
    seqs = load_sequences(tmp_path / "seqs")
    assert [s.shape for s in seqs] == [(5, 16, 20, 1)] * 2
    rgb = np.asarray(Image.open(tmp_path / "seqs" / "a" / "im0.png"))
    np.testing.assert_array_equal(seqs[0][0], luma_uint8(rgb))

    images = tmp_path / "images"
    images.mkdir()
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(images / f"{i}.png")
    train, val = make_colorization_datasets(images, 0.25, train_batch_size=3, val_batch_size=2, crop_size=16)
    assert len(train.images) == 3 and len(val.images) == 1
    g, c = train[0]
    assert g.shape == (3, 16, 16, 1) and c.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(g, luma_uint8(np.round(c * 255)) / 255.0, atol=1e-6)
    assert val[0][0].shape == (2, 16, 16, 1)


@needs_data("video", "clips", "Megamind.avi")
def test_video_is_split_at_scene_cuts():
    seqs = load_sequences(SHARED_DATA / "video" / "clips" / "Megamind.avi", max_frames=120)
    assert len(seqs) >= 2  # the clip has cuts
    assert sum(len(s) for s in seqs) <= 120 and seqs[0].shape[1:] == (528, 720, 1)
