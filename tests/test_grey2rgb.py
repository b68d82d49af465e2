import numpy as np
import pytest

import keras
from tests.support import run_backbone_test
from keras_vsr.data import ColorizationDataset
from keras_vsr.models import Grey2RGBBackbone, Grey2RGBColorizer
from keras_vsr.models.grey2rgb.grey2rgb_colorizer import replace_luma

TINY = dict(filters=4, depth=2)
LUMA = np.array([0.299, 0.587, 0.114], "float32")


def test_backbone_round_trip(tmp_path):
    y = run_backbone_test(Grey2RGBBackbone, TINY, (2, 8, 12, 1), (2, 8, 12, 3), tmp_path)
    assert y.min() >= 0 and y.max() <= 1  # sigmoid


def test_backbone_has_batch_norm_and_transposed_convolutions():
    backbone = Grey2RGBBackbone(**TINY)
    kinds = {type(layer) for layer in backbone._flatten_layers()}
    assert keras.layers.BatchNormalization in kinds and keras.layers.Conv2DTranspose in kinds
    plain = Grey2RGBBackbone(skip_connections=False, **TINY)
    assert plain.count_params() < backbone.count_params()


@pytest.mark.parametrize("kwargs, message", [({"filters": 0}, "filters=0"), ({"depth": 0}, "depth=0")])
def test_backbone_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Grey2RGBBackbone(**{**TINY, **kwargs})


def test_replace_luma_keeps_chroma():
    rgb = np.random.default_rng(0).random((4, 5, 3)).astype("float32") * 0.5 + 0.25
    grey = np.full((4, 5, 1), 0.5, "float32")
    out = replace_luma(rgb, grey)
    np.testing.assert_allclose(out @ LUMA, 0.5, atol=1e-5)
    np.testing.assert_allclose(out - (out @ LUMA)[..., None], rgb - (rgb @ LUMA)[..., None], atol=1e-5)


def _task():
    keras.utils.set_random_seed(0)
    return Grey2RGBColorizer(Grey2RGBBackbone(**TINY))


def test_task_trains_on_colorization_pairs(image_folder):
    task = _task()
    data = ColorizationDataset(sorted(image_folder.iterdir()), crop_size=16, batch_size=4, steps_per_epoch=2, seed=0)
    before = [w.copy() for w in task.backbone.get_weights()]
    history = task.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, task.backbone.get_weights()))


def test_colorize_any_size_and_layout():
    task = _task()
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (7, 9), dtype=np.uint8)  # odd size
    out = task.colorize(grey)
    assert out.shape == (7, 9, 3) and out.dtype == np.uint8
    # keep_luma: the output's luma is the input (up to 8-bit rounding and clipping)
    y = out.astype("float32") @ LUMA
    inside = (grey > 30) & (grey < 225)
    assert np.abs(y - grey)[inside].max() <= 1.5
    np.testing.assert_array_equal(task.colorize(grey[:, :, None]), out)
    rgb = np.repeat(grey[:, :, None], 3, axis=-1)
    np.testing.assert_array_equal(task.colorize(rgb), out)  # RGB -> luma first
    batch = task.colorize(np.stack([grey, grey]))
    assert batch.shape == (2, 7, 9, 3)
    np.testing.assert_array_equal(batch[1], out)
    raw = task.colorize(grey, keep_luma=False)
    assert raw.shape == (7, 9, 3)
    with pytest.raises(ValueError, match="uint8"):
        task.colorize(grey.astype("float32"))


def test_task_preset_round_trip(tmp_path):
    task = _task()
    task.backbone.save_to_preset(str(tmp_path / "p"))
    loaded = Grey2RGBColorizer.from_preset(str(tmp_path / "p"))
    grey = np.random.default_rng(1).integers(0, 256, (10, 12), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.colorize(grey), task.colorize(grey))
