import numpy as np
import pytest

from tests.support import run_layer_test, to_numpy
import keras

from keras_vsr.layers import BicubicUpsample, PixelShuffle, PixelShuffleNearestResidual, ResidualBlock, SubPixelUpsample
from keras_vsr.utils.image_ops import symmetric_pad
from keras_vsr.utils.imresize import imresize


def numpy_depth_to_space(x, r):
    b, h, w, c = x.shape
    out = np.zeros((b, h * r, w * r, c // (r * r)), x.dtype)
    for dy in range(r):
        for dx in range(r):
            ch = (dy * r + dx) * (c // (r * r))
            out[:, dy::r, dx::r, :] = x[:, :, :, ch : ch + c // (r * r)]
    return out


@pytest.mark.parametrize("scale", [2, 3])
def test_pixel_shuffle_matches_depth_to_space(scale, tmp_path):
    x = np.random.default_rng(0).random((2, 5, 7, 3 * scale * scale)).astype("float32")
    y = run_layer_test(PixelShuffle, {"scale": scale}, x, (2, 5 * scale, 7 * scale, 3), tmp_path)
    np.testing.assert_array_equal(y, numpy_depth_to_space(x, scale))


def test_pixel_shuffle_rejects_indivisible_channels():
    with pytest.raises(ValueError, match="divisible by 4"):
        PixelShuffle(2)(np.zeros((1, 4, 4, 6), "float32"))


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_pixel_shuffle_nearest_residual_equals_shuffle_plus_nearest_upsample(scale, tmp_path):
    rng = np.random.default_rng(1)
    features = rng.random((2, 5, 7, 3 * scale * scale)).astype("float32")
    image = rng.random((2, 5, 7, 3)).astype("float32")
    layer = PixelShuffleNearestResidual(scale)
    y = to_numpy(layer([features, image]))
    nearest = image.repeat(scale, axis=1).repeat(scale, axis=2)
    np.testing.assert_array_equal(y, numpy_depth_to_space(features, scale) + nearest)
    assert tuple(layer.compute_output_shape([features.shape, image.shape])) == y.shape

    f_in, i_in = keras.Input((None, None, 3 * scale * scale)), keras.Input((None, None, 3))
    model = keras.Model([f_in, i_in], PixelShuffleNearestResidual(scale)([f_in, i_in]))
    path = tmp_path / "shuffle.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)  # safe_mode=True
    np.testing.assert_array_equal(to_numpy(reloaded([features, image])), y)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_subpixel_upsample_shapes(scale, tmp_path):
    run_layer_test(SubPixelUpsample, {"scale": scale, "filters": 8}, (1, 6, 5, 8), (1, 6 * scale, 5 * scale, 8), tmp_path)


def test_subpixel_upsample_rejects_scale():
    with pytest.raises(ValueError, match="Received: scale=5"):
        SubPixelUpsample(5, 8)


@pytest.mark.parametrize("use_batch_norm", [True, False])
def test_residual_block(use_batch_norm, tmp_path):
    run_layer_test(ResidualBlock, {"filters": 8, "use_batch_norm": use_batch_norm}, (2, 6, 7, 8), (2, 6, 7, 8), tmp_path)


def test_residual_block_is_identity_when_branch_is_zero():
    block = ResidualBlock(4, use_batch_norm=False)
    x = np.random.default_rng(0).random((1, 5, 5, 4)).astype("float32")
    block(x)
    block.conv2.kernel.assign(np.zeros(block.conv2.kernel.shape, "float32"))
    block.conv2.bias.assign(np.zeros(block.conv2.bias.shape, "float32"))
    np.testing.assert_allclose(to_numpy(block(x)), x, atol=1e-7)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_upsample_matches_matlab_imresize(scale, tmp_path):
    x = np.random.default_rng(scale).random((2, 9, 13, 3)).astype("float32")
    y = run_layer_test(BicubicUpsample, {"scale": scale}, x, (2, 9 * scale, 13 * scale, 3), tmp_path)
    for i in range(2):
        # Borders included: the symmetric padding must match MATLAB's.
        np.testing.assert_allclose(y[i], imresize(x[i].astype("float64"), scale), atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1), (1, 3), (2, 2)])
def test_bicubic_upsample_on_tiny_images(shape):
    # Sides shorter than the 2-pixel padding follow MATLAB's mirror rule too.
    x = np.random.default_rng(0).random((1, *shape, 3)).astype("float32")
    y = to_numpy(BicubicUpsample(4)(x))[0]
    np.testing.assert_allclose(y, imresize(x[0].astype("float64"), 4), atol=1e-5)


@pytest.mark.parametrize("height, width", [((2, 2), (2, 2)), ((0, 3), (0, 1)), ((5, 1), (1, 4))])
def test_symmetric_pad_matches_numpy(height, width):
    # The last case pads a 3x2 image by more than its sides: mirroring repeats.
    x = np.random.default_rng(0).random((2, 3, 2, 1)).astype("float32")
    expected = np.pad(x, ((0, 0), height, width, (0, 0)), mode="symmetric")
    np.testing.assert_array_equal(to_numpy(symmetric_pad(x, height, width)), expected)
