"""`precision=`: the task built under Keras' mixed policy with the float32
weights, close to float32; one ValueError for an unknown precision."""

import numpy as np
import pytest

import keras_vsr
from keras_vsr.cli import main
from keras_vsr.inference.tasks import build_task
from keras_vsr.utils import precision as precision_module
from keras_vsr.utils.precision import dtype_policy, slow_precision_warning


def test_policies():
    assert [dtype_policy(p) for p in ("float32", "bfloat16", "float16")] == [
        "float32", "mixed_bfloat16", "mixed_float16"]
    with pytest.raises(ValueError, match="`precision` must be one of"):
        dtype_policy("int8")


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_reduced_precision_task_keeps_the_weights_and_output(tiny_preset, precision):
    reference = build_task(str(tiny_preset))
    task = build_task(str(tiny_preset), precision=precision)
    assert task.backbone.dtype_policy.name == dtype_policy(precision)
    assert task.backbone.get_layer("head_conv").compute_dtype == precision
    for a, b in zip(reference.backbone.get_weights(), task.backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    image = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    out, expected = task.upscale(image), reference.upscale(image)
    assert out.dtype == np.uint8 and out.shape == expected.shape
    assert np.abs(out.astype(int) - expected).max() <= 4


def test_upscale_rejects_an_unknown_precision():
    with pytest.raises(ValueError, match="`precision` must be one of"):
        keras_vsr.upscale(np.zeros((8, 8, 3), np.uint8), precision="half")


def test_cli_rejects_an_unknown_precision(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["upscale", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--precision", "half"])
    assert exit_info.value.code == 2 and "--precision" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_slow_precision_is_named(monkeypatch):
    monkeypatch.setattr(precision_module, "_cpu_flags", lambda: frozenset({"avx512f"}))
    assert "avx512_bf16" in slow_precision_warning("bfloat16", "cpu")
    assert slow_precision_warning("bfloat16", "gpu") is None
    assert slow_precision_warning("float32", "cpu") is None
    monkeypatch.setattr(precision_module, "_cpu_flags", lambda: frozenset({"avx512_bf16"}))
    assert slow_precision_warning("bfloat16", "cpu") is None
    assert slow_precision_warning("bfloat16", "cpu", "tensorflow") is None
    assert "JAX" in slow_precision_warning("bfloat16", "cpu", "jax")
    assert slow_precision_warning("bfloat16", "gpu", "jax") is None
