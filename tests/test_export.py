"""`keras_vsr.inference.export`: artefacts that run in their own runtime and
compute what Keras computes, and one clear error for bad arguments.

Exports run on the TensorFlow pass only (each takes seconds of tracing); the
matrix of every bundled family and format is `tools/export_matrix.py`.
"""

import importlib.util

import numpy as np
import pytest

from keras_vsr.cli import main
from keras_vsr.inference.export import FORMATS, check_export_args, export_preset, parse_input_size, run_exported
from keras_vsr.models import SRBackbone, list_presets
from tests.support import BACKEND

RUNTIMES = {"onnx": ("tf2onnx", "onnxruntime"), "litert": ("ai_edge_litert",), "openvino": ("openvino",),
            "saved_model": ("tensorflow",)}
NAMES = {"onnx": "m.onnx", "litert": "m.tflite", "openvino": "m.xml", "saved_model": "m"}
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="exports are checked on the TensorFlow pass")


def _images(height, width, seed=0):
    return np.random.default_rng(seed).random((1, height, width, 3)).astype("float32")


@tensorflow_only
@pytest.mark.parametrize("format", FORMATS)
def test_export_runs_in_its_runtime_as_keras_at_two_sizes(tiny_preset, tmp_path, format):
    for module in RUNTIMES[format]:
        pytest.importorskip(module)
    path = export_preset(tiny_preset, tmp_path / NAMES[format], format=format)
    backbone = SRBackbone.from_preset(tiny_preset)
    for height, width in ((12, 16), (9, 20)):
        x = _images(height, width)
        np.testing.assert_allclose(run_exported(path, format, [x]), backbone.predict_on_batch(x), atol=1e-4)


def _one_preset_per_family():
    presets = {}
    for entry in list_presets():
        presets.setdefault(entry["class"], entry["name"])
    return sorted(presets.items())


# What a format cannot hold, and the op or layer its one-line error names.
REFUSED = {
    ("ChromaFusionBackbone", "litert"): "TensorFlow ops without a LiteRT builtin form: Conv2D",
    ("FFCInterpolatorBackbone", "onnx"): "Complex",
    ("FFCInterpolatorBackbone", "litert"): "TensorFlow ops without a LiteRT builtin form",
    ("FFCInterpolatorBackbone", "openvino"): "FourierUnit",
}


@tensorflow_only
@pytest.mark.parametrize("family, preset", _one_preset_per_family())
def test_every_bundled_family_exports_to_every_format_or_says_why(family, preset, tmp_path):
    backbone = SRBackbone.from_preset(preset)
    fixed = getattr(backbone, "input_size", None)
    m = getattr(backbone, "size_multiple", 1)
    sizes = [tuple(fixed)] if fixed is not None else [(m * -(-16 // m), m * -(-24 // m)), (m * -(-20 // m), m * -(-12 // m))]
    for format in FORMATS:
        if any(importlib.util.find_spec(module) is None for module in RUNTIMES[format]):
            continue
        dst = tmp_path / format / NAMES[format]
        dst.parent.mkdir()
        if (family, format) in REFUSED:
            with pytest.raises(ValueError, match=REFUSED[family, format]):
                export_preset(preset, dst, format=format, input_size=fixed)
            assert list(dst.parent.iterdir()) == []  # nothing left behind
            continue
        path = export_preset(preset, dst, format=format, input_size=fixed)
        for i, (height, width) in enumerate(sizes):
            inputs = {}
            for k, tensor in enumerate(backbone.inputs):
                shape = [1, *tensor.shape[1:]]
                shape[-3:-1] = height, width
                inputs[tensor.name] = np.random.default_rng(i + k).random(shape).astype("float32")
            expected = backbone.predict_on_batch(inputs if len(inputs) > 1 else list(inputs.values())[0])
            got = run_exported(path, format, inputs if len(inputs) > 1 else list(inputs.values()))
            # Several outputs (the FFC VAE): the runtime's first one against Keras' of its shape.
            outputs = [np.asarray(y) for y in (expected.values() if isinstance(expected, dict) else [expected])]
            differences = [np.abs(got - y).max() for y in outputs if y.shape == got.shape]
            assert differences and min(differences) <= 1e-4, (family, format, height, width, differences)


@tensorflow_only
def test_fixed_input_size_export(tiny_preset, tmp_path):
    for module in RUNTIMES["onnx"]:
        pytest.importorskip(module)
    path = export_preset(tiny_preset, tmp_path / "fixed.onnx", format="onnx", input_size="10x14")
    x = _images(10, 14, seed=1)
    np.testing.assert_allclose(
        run_exported(path, "onnx", [x]), SRBackbone.from_preset(tiny_preset).predict_on_batch(x), atol=1e-4
    )
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        run_exported(path, "onnx", [_images(12, 14)])


@pytest.mark.parametrize(
    "dst, format, size, message",
    [
        ("m.onnx", "tflite", None, "`format` must be one of"),
        ("m.tflite", "onnx", None, "suffix"),
        ("m.onnx", "onnx", "12x0", "positive"),
        ("m.onnx", "onnx", (4,), r"\(height, width\)"),
        ("missing/m.onnx", "onnx", None, "does not exist"),
    ],
)
def test_bad_arguments_raise_one_value_error(tmp_path, dst, format, size, message):
    with pytest.raises(ValueError, match=message):
        check_export_args(tmp_path / dst, format, size)


def test_existing_destination_is_refused(tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"keep")
    with pytest.raises(ValueError, match="exists"):
        check_export_args(tmp_path / "m.onnx", "onnx")
    assert (tmp_path / "m.onnx").read_bytes() == b"keep"


def test_parse_input_size():
    assert parse_input_size("270x480") == (270, 480)
    with pytest.raises(ValueError, match="HxW"):
        parse_input_size("270*480")


def test_cli_export_bad_input_is_one_line_exit_2(tiny_preset, tmp_path, capsys):
    code = main(["export", str(tiny_preset), str(tmp_path / "m.onnx"), "--format", "onnx", "--input-size", "a"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--input-size" in err
    assert list(tmp_path.iterdir()) == []
