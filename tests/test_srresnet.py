import numpy as np
import pytest

import keras
from tests.support import run_backbone_test, to_numpy
from keras_vsr.data import PairedPatchDataset
from keras_vsr.layers import BicubicUpsample
from keras_vsr.models import SRResNetBackbone, SuperResolver

TINY = dict(num_blocks=2, filters=8, head_kernel_size=3, tail_kernel_size=3)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_backbone_any_input_size(scale, tmp_path):
    run_backbone_test(SRResNetBackbone, {"scale": scale, **TINY}, (2, 7, 9, 3), (2, 7 * scale, 9 * scale, 3), tmp_path)


def test_backbone_paper_configuration():
    backbone = SRResNetBackbone()  # 16 blocks, 64 filters, BN, 9x9 head and tail, x4
    assert backbone.scale == 4
    # The SRResNet of Ledig et al. has about 1.5M parameters.
    assert 1.4e6 < backbone.count_params() < 1.6e6
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in backbone._flatten_layers())


@pytest.mark.parametrize("scale", [1, 5, 8])
def test_backbone_rejects_unsupported_scales(scale):
    with pytest.raises(ValueError, match=f"Received: scale={scale}"):
        SRResNetBackbone(scale=scale, **TINY)


def test_image_residual_adds_bicubic_upsampling():
    backbone = SRResNetBackbone(scale=2, image_residual=True, use_batch_norm=False, **TINY)
    tail = backbone.get_layer("tail_conv")
    tail.kernel.assign(np.zeros(tail.kernel.shape, "float32"))
    tail.bias.assign(np.zeros(tail.bias.shape, "float32"))
    x = np.random.default_rng(0).random((1, 6, 5, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(backbone(x)), to_numpy(BicubicUpsample(2)(x)), atol=1e-6)


def test_super_resolver_trains_on_a_patch_dataset(image_folder):
    keras.utils.set_random_seed(0)
    task = SuperResolver(SRResNetBackbone(scale=2, **TINY))
    data = PairedPatchDataset(image_folder, scale=2, patch_size=12, batch_size=4, steps_per_epoch=3, seed=0)
    before = [w.copy() for w in task.backbone.get_weights()]
    history = task.fit(data, epochs=1, verbose=0)
    assert {"loss", "psnr", "ssim"} <= set(history.history)
    assert np.isfinite(history.history["loss"][0])
    after = task.backbone.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_upscale_handles_grey_rgba_and_16_bit(tiny_preset):
    task = SuperResolver.from_preset(str(tiny_preset))
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    out = task.upscale(rgb)
    assert out.shape == (40, 48, 3) and out.dtype == np.uint8

    grey = rgb[:, :, 0]
    out_grey = task.upscale(grey)
    assert out_grey.shape == (40, 48) and out_grey.dtype == np.uint8
    expected = task.upscale(np.repeat(grey[:, :, None], 3, axis=2)).astype(float).mean(axis=2)
    assert np.abs(out_grey.astype(float) - expected).max() <= 0.5 + 1e-6

    alpha = np.zeros((10, 12), np.uint8)
    alpha[:, 6:] = 255
    rgba = np.dstack([rgb, alpha])
    out_rgba = task.upscale(rgba)
    assert out_rgba.shape == (40, 48, 4)
    np.testing.assert_array_equal(out_rgba[..., :3], out)
    assert (out_rgba[:, :20, 3] == 0).all() and (out_rgba[:, 28:, 3] == 255).all()

    out16 = task.upscale(rgb.astype(np.uint16) * 257)
    assert out16.dtype == np.uint16
    assert np.abs(out16.astype(int) // 257 - out.astype(int)).max() <= 1

    with pytest.raises(ValueError, match=r"Received shape \(10, 12, 2\)"):
        task.upscale(np.zeros((10, 12, 2), np.uint8))


def test_task_saves_and_reloads(tmp_path, tiny_preset):
    task = SuperResolver.from_preset(str(tiny_preset))
    x = np.random.default_rng(0).random((1, 8, 8, 3)).astype("float32")
    expected = to_numpy(task(x))
    task.save(tmp_path / "task.keras")
    reloaded = keras.saving.load_model(tmp_path / "task.keras")
    assert isinstance(reloaded, SuperResolver)
    np.testing.assert_allclose(to_numpy(reloaded(x)), expected, atol=1e-5)

    task.save_to_preset(str(tmp_path / "preset"))
    assert (tmp_path / "preset" / "task.json").exists()
    again = SuperResolver.from_preset(str(tmp_path / "preset"))
    np.testing.assert_allclose(to_numpy(again(x)), expected, atol=1e-5)
