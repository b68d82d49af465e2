import numpy as np
import pytest

from tests.support import BENCH, needs_data
from keras_vsr.io import load_image
from keras_vsr.utils.imresize import imresize, resize_batch, resize_matrix


def test_weights_rows_sum_to_one_and_constant_is_kept():
    for n_in, n_out in [(10, 40), (40, 10), (17, 5), (7, 21)]:
        m = resize_matrix(n_in, n_out)
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)
    flat = np.full((12, 16, 3), 77, np.uint8)
    assert (imresize(flat, 0.25) == 77).all() and (imresize(flat, 3) == 77).all()


def test_output_size_and_dtype():
    x = np.zeros((10, 15), np.uint8)
    assert imresize(x, 0.5).shape == (5, 8)  # ceil, as MATLAB
    assert imresize(x, output_shape=(7, 3)).shape == (7, 3)
    assert imresize(x.astype("float32"), 2).dtype == np.float64
    with pytest.raises(ValueError, match="exactly one"):
        imresize(x)


def test_batch_resize_is_imresize_per_image():
    batch = np.random.default_rng(0).random((3, 24, 20, 3)).astype("float32")
    for size in [(6, 5), (36, 30), (24, 7)]:
        out = resize_batch(batch, size)
        assert out.shape == (3, *size, 3) and out.dtype == np.float32
        for image, resized in zip(batch, out):
            np.testing.assert_allclose(resized, imresize(image.astype("float64"), output_shape=size), atol=1e-5)


def test_upscale_interpolates_samples():
    # Integer upscaling of a linear ramp is exact away from the borders.
    ramp = np.tile(np.arange(20, dtype=np.float64), (6, 1))
    up = imresize(ramp, 2)
    expected = (np.arange(40) + 0.5) / 2 - 0.5
    np.testing.assert_allclose(up[3, 4:-4], expected[4:-4], atol=1e-9)


@needs_data("sr", "bench", "Set5")
@pytest.mark.parametrize("scale", [2, 4])
def test_reproduces_the_published_lr_images(scale):
    # Set5's LR images were made by MATLAB imresize; away from the border
    # (where the original, uncropped HR differed) ours agree to 1 level.
    folder = BENCH / "Set5" / f"x{scale}"
    for hr_path in sorted((folder / "HR").glob("*.png")):
        hr, lr = load_image(hr_path, mode="RGB"), load_image(folder / "LR" / hr_path.name, mode="RGB")
        diff = np.abs(imresize(hr, 1 / scale).astype(int) - lr)[4:-4, 4:-4]
        assert diff.max() <= 2, hr_path.name
        assert (diff <= 1).mean() > 0.999, hr_path.name
        assert diff.mean() < 0.2, hr_path.name
