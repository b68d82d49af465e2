"""FourierUnit, SpectralTransform and FFCBlock: shapes, serialisation, the
maths of the spectral branch against NumPy's FFT, and a global receptive field."""

import keras
import numpy as np
import pytest

from tests.support import run_layer_test, to_numpy
from keras_vsr.layers import FFCBlock, FourierUnit, SpectralTransform


def _numpy_fourier_unit(x, kernel, time_steps, filters):
    b, h, w, channels = x.shape
    x5 = x.reshape(b, h, w, time_steps, channels // time_steps).astype("float64")
    spectrum = np.fft.fftn(x5, axes=(1, 2, 3), norm="ortho")
    stacked = np.concatenate([spectrum.real, spectrum.imag], axis=-1)
    stacked = np.maximum(stacked @ kernel.astype("float64"), 0.0)
    half = filters // time_steps
    complex_out = stacked[..., :half] + 1j * stacked[..., half:]
    out = np.fft.ifftn(complex_out, axes=(1, 2, 3), norm="ortho").real
    return out.reshape(b, h, w, filters)


@pytest.mark.parametrize("time_steps", [1, 2, 3])
def test_fourier_unit_matches_numpy_3d_fft(time_steps):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 10, 2 * time_steps)).astype("float32")
    layer = FourierUnit(4 * time_steps, time_steps=time_steps)
    y = to_numpy(layer(x))
    kernel = to_numpy(layer.spectral_conv.kernel)
    expected = _numpy_fourier_unit(x, kernel, time_steps, 4 * time_steps)
    np.testing.assert_allclose(y, expected, atol=1e-4)


def test_fourier_unit_layer(tmp_path):
    run_layer_test(FourierUnit, {"filters": 4, "time_steps": 2}, (2, 8, 6, 6), (2, 8, 6, 4), tmp_path)


def test_spectral_transform_layer(tmp_path):
    run_layer_test(SpectralTransform, {"filters": 8, "time_steps": 2}, (1, 8, 8, 5), (1, 8, 8, 8), tmp_path)


def test_ffc_block_layer(tmp_path):
    run_layer_test(
        FFCBlock, {"filters": 8, "time_steps": 2, "global_ratio": 0.5}, (2, 12, 10, 6), (2, 12, 10, 8), tmp_path
    )


def test_ffc_block_receptive_field_is_global():
    """A change in one corner reaches the opposite corner, far beyond the 3x3 convs."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 32, 32, 16)).astype("float32")
    changed = x.copy()
    changed[:, :2, :2, :] += rng.standard_normal((1, 2, 2, 16)).astype("float32")
    keras.utils.set_random_seed(0)
    block = FFCBlock(16, time_steps=2, activation="linear")
    diff = np.abs(to_numpy(block(changed)) - to_numpy(block(x)))
    assert diff[:, 16:, 16:].max() > 1e-3  # far half: only the spectral path reaches it
    assert diff[:, -1, -1].max() > 1e-5

    # Without the global branch (a plain conv) the far side does not change.
    conv = keras.layers.Conv2D(8, 3, padding="same")
    assert np.abs(to_numpy(conv(changed)) - to_numpy(conv(x)))[:, 16:, 16:].max() == 0


def test_fourier_unit_mixes_frames():
    """Time is transformed too: changing frame 0 changes the output channels of frame 1."""
    rng = np.random.default_rng(2)
    x = rng.random((1, 8, 8, 4)).astype("float32")
    changed = x.copy()
    changed[..., :2] += rng.random((1, 8, 8, 2)).astype("float32")
    layer = FourierUnit(8, time_steps=2)
    diff = np.abs(to_numpy(layer(changed)) - to_numpy(layer(x)))
    assert diff[..., 4:].max() > 1e-4


def test_bad_arguments():
    with pytest.raises(ValueError, match="filters"):
        FourierUnit(0)
    with pytest.raises(ValueError, match="divisible"):
        FourierUnit(5, time_steps=2)
    with pytest.raises(ValueError, match="divisible"):
        FourierUnit(4, time_steps=2)(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="global_ratio"):
        FFCBlock(8, global_ratio=1.0)
    with pytest.raises(ValueError, match="time_steps"):
        SpectralTransform(6, time_steps=2)
