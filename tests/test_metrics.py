import math

import numpy as np
import pytest
from scipy.signal import convolve2d

import keras
from tests.support import BENCH, needs_data
from keras_vsr.io import load_image
from keras_vsr.metrics import PSNR, SSIM, psnr, rgb_to_y, ssim
from keras_vsr.utils.imresize import imresize


def reference_ssim_2d(a, b):
    """SSIM of two float64 2-D arrays in [0, 255], written out independently."""
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    w = np.outer(g, g) / g.sum() ** 2
    f = lambda t: convolve2d(t, w[::-1, ::-1], mode="valid")  # noqa: E731
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = f(a), f(b)
    va, vb, cov = f(a * a) - mu_a**2, f(b * b) - mu_b**2, f(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (va + vb + c2))
    return m.mean()


def y_channel_255(img):
    return img.astype(np.float64) @ np.array([65.481, 128.553, 24.966]) / 255.0 + 16.0


def noisy_pair(shape=(40, 48, 3), seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, shape).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, shape), 0, 255).astype(np.uint8)
    return a, b


def test_psnr_of_a_known_error():
    a = np.full((16, 16, 3), 100, np.uint8)
    b = a + 5
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 25), abs=1e-4)


def test_identical_images_give_inf():
    a, _ = noisy_pair()
    assert psnr(a, a) == math.inf
    assert psnr(a, a, crop_border=4, test_y_channel=True) == math.inf
    assert ssim(a, a) == pytest.approx(1.0, abs=1e-6)


def test_mismatched_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(10, 10, 3\).*\(10, 12, 3\)"):
        psnr(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 12, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\(10, 10\)"):
        ssim(np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.uint8))


def test_y_channel_is_matlab_rgb2ycbcr():
    rgb = np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]], "float32")
    y = keras.ops.convert_to_numpy(rgb_to_y(rgb))[..., 0] * 255
    np.testing.assert_allclose(y[0], [16.0, 235.0, 16 + 65.481], atol=1e-3)


def test_psnr_and_ssim_on_y_with_crop_match_an_independent_computation():
    a, b = noisy_pair()
    ya, yb = y_channel_255(a)[3:-3, 3:-3], y_channel_255(b)[3:-3, 3:-3]
    expected_psnr = 10 * math.log10(255**2 / np.mean((ya - yb) ** 2))
    assert psnr(a, b, crop_border=3, test_y_channel=True) == pytest.approx(expected_psnr, abs=1e-3)
    assert ssim(a, b, crop_border=3, test_y_channel=True) == pytest.approx(reference_ssim_2d(ya, yb), abs=1e-4)
    # Without the Y channel, SSIM is the mean over the RGB channels.
    rgb = np.mean([reference_ssim_2d(a[..., c].astype(float), b[..., c].astype(float)) for c in range(3)])
    assert ssim(a, b) == pytest.approx(rgb, abs=1e-4)


def test_keras_metrics_in_fit_agree_with_the_plain_functions():
    a, b = noisy_pair((32, 32, 3))
    x = (b[None].astype("float32") / 255.0)
    y = (a[None].astype("float32") / 255.0)
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(
        loss="mae",
        metrics=[PSNR(crop_border=2, test_y_channel=True), SSIM(crop_border=2, test_y_channel=True)],
    )
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["psnr"] == pytest.approx(psnr(a, b, 2, True), abs=1e-3)
    assert logs["ssim"] == pytest.approx(ssim(a, b, 2, True), abs=1e-4)
    config = PSNR(crop_border=2, test_y_channel=True).get_config()
    assert PSNR.from_config(config).crop_border == 2


@needs_data("sr", "bench", "Set5")
@pytest.mark.parametrize(
    "set_name,scale,ref_psnr,ref_ssim",
    [("Set5", 4, 28.43, 0.8111), ("Set5", 2, 33.67, 0.9303), ("Set14", 4, 26.09, 0.7048)],
)
def test_bicubic_baseline_matches_the_reference(set_name, scale, ref_psnr, ref_ssim):
    folder = BENCH / set_name / f"x{scale}"
    ps, ss = [], []
    for hr_path in sorted((folder / "HR").glob("*.png")):
        hr, lr = load_image(hr_path, mode="RGB"), load_image(folder / "LR" / hr_path.name, mode="RGB")
        up = imresize(lr, scale)
        ps.append(psnr(hr, up, crop_border=scale, test_y_channel=True))
        ss.append(ssim(hr, up, crop_border=scale, test_y_channel=True))
    assert np.mean(ps) == pytest.approx(ref_psnr, abs=0.02)
    assert np.mean(ss) == pytest.approx(ref_ssim, abs=0.001)
