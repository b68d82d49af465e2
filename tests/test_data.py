import numpy as np
import pytest
from PIL import Image

from keras_vsr.data import PairedPatchDataset
from keras_vsr.io import find_images, load_image
from keras_vsr.utils.imresize import imresize


def test_batches_are_matlab_bicubic_pairs(image_folder):
    data = PairedPatchDataset(image_folder, scale=4, patch_size=8, batch_size=5, steps_per_epoch=2, seed=0)
    assert len(data) == 2
    lr, hr = data[0]
    assert lr.shape == (5, 8, 8, 3) and hr.shape == (5, 32, 32, 3)
    assert lr.dtype == np.float32 and 0 <= lr.min() and lr.max() <= 1
    for i in range(5):
        expected = imresize(np.round(hr[i] * 255).astype(np.uint8), 0.25)
        np.testing.assert_array_equal(np.round(lr[i] * 255).astype(np.uint8), expected)


def test_crops_come_from_the_images_with_flips_and_rotations(tmp_path):
    # One image with a unique colour per pixel position: every crop must be a
    # rotated/flipped window of it, and over many draws all 8 symmetries occur.
    h = w = 16
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 0] = np.arange(h)[:, None] * 16
    image[..., 1] = np.arange(w)[None, :] * 16
    Image.fromarray(image).save(tmp_path / "grid.png")
    data = PairedPatchDataset(tmp_path, scale=2, patch_size=4, batch_size=1, seed=1)
    seen = set()
    for _ in range(200):
        crop = np.round(data.sample_hr() * 255).astype(np.uint8)
        d_rows = int(crop[1, 0, 0]) - int(crop[0, 0, 0]), int(crop[1, 0, 1]) - int(crop[0, 0, 1])
        d_cols = int(crop[0, 1, 0]) - int(crop[0, 0, 0]), int(crop[0, 1, 1]) - int(crop[0, 0, 1])
        seen.add((d_rows, d_cols))
    assert len(seen) == 8


def test_div2k_layout_and_small_images_skipped(tmp_path):
    (tmp_path / "DIV2K_train_HR").mkdir()
    (tmp_path / "DIV2K_train_LR_bicubic" / "X4").mkdir(parents=True)
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "DIV2K_train_HR" / "0001.png")
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "DIV2K_train_LR_bicubic" / "X4" / "0001x4.png")
    assert [p.name for p in find_images(tmp_path)] == ["0001.png"]
    with pytest.raises(ValueError, match="No image of at least 96x96"):
        PairedPatchDataset(tmp_path, scale=4, patch_size=24)
    with pytest.raises(ValueError, match="does not exist"):
        find_images(tmp_path / "missing")


def test_load_image_converts_to_the_requested_mode(tmp_path):
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(grey).save(tmp_path / "grey.png")
    assert load_image(tmp_path / "grey.png").shape == (3, 4)
    rgb = load_image(tmp_path / "grey.png", mode="RGB")
    assert rgb.shape == (3, 4, 3) and all(np.array_equal(rgb[..., c], grey) for c in range(3))
    np.testing.assert_array_equal(load_image(tmp_path / "grey.png", mode="L"), grey)
    with pytest.raises(ValueError, match="Received: mode='CMYK'"):
        load_image(tmp_path / "grey.png", mode="CMYK")
