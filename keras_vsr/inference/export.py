"""Export a preset's network for other runtimes, through Keras' `model.export`.

    export_preset("srresnet_b8f48_291photos_x4", "sr.onnx", format="onnx")
    keras-vsr export srresnet_b8f48_291photos_x4 sr.onnx --format onnx [--input-size 270x480]

The exported graph is the backbone: float32 NHWC images in [0, 1] in
(`(batch, h, w, channels)`; interpolators take their two frames as two
inputs), float32 images out, no uint8 conversion, tiling or padding.
Without `input_size`, height and width stay free where the format allows
it; `input_size=(h, w)` fixes them (LiteRT on the torch backend needs it).

`run_exported(path, format, inputs)` runs an artefact in its own runtime
(onnxruntime, ai-edge-litert, openvino, TensorFlow), for tests and
benchmarks. Formats and the Python packages they need:

| format | written | exporter needs | runtime |
|---|---|---|---|
| onnx | one `.onnx` file | `tf2onnx` (TensorFlow, JAX), `onnxscript` (torch) | `onnxruntime` |
| litert | one `.tflite` file | TensorFlow (TensorFlow, JAX backends) | `ai-edge-litert` |
| openvino | `.xml` + `.bin` | `openvino` | `openvino` |
| saved_model | a folder | TensorFlow | TensorFlow |
"""

import os
import re
import shutil
from pathlib import Path

FORMATS = ("onnx", "litert", "openvino", "saved_model")
# Keras' names of the formats.
_KERAS_FORMATS = {"onnx": "onnx", "litert": "litert", "openvino": "openvino", "saved_model": "tf_saved_model"}
_SUFFIXES = {"onnx": ".onnx", "litert": ".tflite", "openvino": ".xml", "saved_model": ""}


def parse_input_size(text):
    """`"HxW"` -> `(h, w)` (positive ints); a ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", str(text))
    if not match or 0 in (int(match[1]), int(match[2])):
        raise ValueError(f"--input-size must be HxW with positive integers, e.g. 270x480. Received: {text!r}")
    return int(match[1]), int(match[2])


def check_export_args(dst, format, input_size=None):
    """Check the arguments of `export_preset`; returns `(dst Path,
    input_size or None)`. One ValueError says what is wrong."""
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
    if input_size is not None:
        if isinstance(input_size, str):
            input_size = parse_input_size(input_size)
        try:
            height, width = (int(v) for v in input_size)
        except (TypeError, ValueError):
            raise ValueError(f"`input_size` must be (height, width). Received: {input_size!r}") from None
        if height < 1 or width < 1:
            raise ValueError(f"`input_size` must be positive. Received: {input_size!r}")
        input_size = (height, width)
    dst = Path(dst)
    suffix = _SUFFIXES[format]
    if suffix and dst.suffix.lower() != suffix:
        raise ValueError(f"a {format} export is one {suffix} file; name DST with that suffix. Received: {dst}")
    if os.path.exists(dst):
        raise ValueError(f"{dst} exists; choose a new path")
    if not dst.parent.is_dir():
        raise ValueError(f"the folder of {dst} does not exist")
    return dst, input_size


def _input_signature(backbone, input_size):
    import keras

    specs = {}
    for tensor in backbone.inputs:
        shape = list(tensor.shape)
        shape[0] = None
        if input_size is not None:
            shape[-3:-1] = input_size
        specs[tensor.name] = keras.InputSpec(shape=tuple(shape), dtype="float32")
    # One input is passed as a tensor; several (interpolators) by name.
    return list(specs.values()) if len(specs) == 1 else [specs]


def _layer_classes(backbone):
    return sorted({type(layer).__name__ for layer in backbone._flatten_layers(include_self=False)})


def export_preset(preset, dst, format="onnx", input_size=None):
    """Write `preset`'s backbone to `dst` in `format`.

    Args:
        preset: str, preset name, folder or `hf://owner/name`.
        dst: path of the artefact: a `.onnx` (onnx), `.tflite` (litert) or
            `.xml` (openvino, with a `.bin` beside it) file, or a new
            folder (saved_model). It must not exist.
        format: one of `FORMATS`. Default "onnx".
        input_size: `(h, w)` or "HxW" to fix the image size, or None for
            free height and width. Default None.

    Returns:
        The path written.

    Raises:
        ValueError: bad arguments, or a network the format cannot hold (the
            message names the format, the backend, the family and the
            exporter's reason, which names the op).
    """
    from keras_vsr.models import SRBackbone

    dst, input_size = check_export_args(dst, format, input_size)
    backbone = SRBackbone.from_preset(preset)
    try:
        return _export(backbone, preset, dst, format, _input_signature(backbone, input_size))
    except BaseException:
        _remove(dst)
        raise


def _remove(dst):
    """Delete what a failed export left at `dst` (and OpenVINO's `.bin`)."""
    if dst.is_dir():
        shutil.rmtree(dst, ignore_errors=True)
    for path in (dst, dst.with_suffix(".bin") if dst.suffix == ".xml" else None):
        if path is not None and path.is_file():
            path.unlink()


def _export(backbone, preset, dst, format, signature):
    """`backbone.export`, its failures as one ValueError."""
    import keras

    try:
        backbone.export(str(dst), format=_KERAS_FORMATS[format], verbose=False, input_signature=signature)
    except ImportError as e:
        raise ValueError(f"exporting to {format} on the {keras.config.backend()} backend needs a package: {e}") from e
    except Exception as e:  # noqa: BLE001  (each exporter raises its own kinds)
        reason = _reason(e)
        raise ValueError(
            f"{type(backbone).__name__} ({preset}) does not export to {format} on the "
            f"{keras.config.backend()} backend: {type(e).__name__}: {reason} "
            f"(layers: {', '.join(_layer_classes(backbone))})"
        ) from e
    if not dst.exists():
        raise ValueError(f"the {format} exporter wrote nothing at {dst}")
    if format == "onnx":
        _check_onnx(dst, backbone, preset)
    if format == "litert":
        _check_litert(dst, backbone, preset)
    return dst


def _check_litert(path, backbone, preset):
    """TensorFlow's converter keeps the ops that LiteRT has no builtin for as
    "Select TensorFlow ops" (custom `Flex*` ops), which ai-edge-litert's
    interpreter cannot run; the model's operator table names them."""
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # no runtime to check against
        return
    model = schema.Model.GetRootAsModel(Path(path).read_bytes(), 0)
    custom = [model.OperatorCodes(i).CustomCode() for i in range(model.OperatorCodesLength())]
    flex = sorted({code.decode()[len("Flex"):] for code in custom if code and code.startswith(b"Flex")})
    if flex:
        raise ValueError(
            f"{type(backbone).__name__} ({preset}) does not export to litert: TensorFlow ops without a LiteRT "
            f"builtin form: {', '.join(flex)} (layers: {', '.join(_layer_classes(backbone))})"
        )


def _check_onnx(path, backbone, preset):
    """tf2onnx writes ops it cannot convert as they are, into a model no
    runtime loads; ONNX's checker names them."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
    except onnx.checker.ValidationError as e:
        ops = sorted({node.op_type for node in onnx.load(str(path)).graph.node if node.domain not in ("", "ai.onnx")})
        raise ValueError(
            f"{type(backbone).__name__} ({preset}) does not export to onnx: ops without an ONNX form: "
            f"{', '.join(ops) or _reason(e)}"
        ) from e


def _reason(error):
    """The first two lines of an exporter's message, without terminal
    colours: Keras' wrapper line ("... when calling Conv2D.call()") names the
    layer, the next line the cause."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    return " ".join(lines[:2]) if lines else type(error).__name__


def run_exported(path, format, inputs):
    """Run the artefact at `path` in `format`'s runtime on `inputs` (a list
    of float32 arrays, one per model input in the model's order, or a dict
    by input name); returns the output array."""
    import numpy as np

    named = dict(inputs) if isinstance(inputs, dict) else None
    inputs = [np.ascontiguousarray(x, dtype=np.float32) for x in (named.values() if named else inputs)]
    if format == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        if named and set(names) == set(named):
            return session.run(None, {name: np.asarray(named[name], np.float32) for name in names})[0]
        return session.run(None, dict(zip(names, inputs)))[0]
    if format == "litert":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path))
        details = interpreter.get_input_details()
        for detail, x in zip(details, inputs):
            if tuple(detail["shape"]) != x.shape:
                interpreter.resize_tensor_input(detail["index"], x.shape)
        interpreter.allocate_tensors()
        for detail, x in zip(interpreter.get_input_details(), inputs):
            interpreter.set_tensor(detail["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    if format == "openvino":
        import openvino

        # OpenVINO computes in bfloat16 on CPUs that have it unless told otherwise.
        compiled = openvino.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        return np.asarray(compiled(inputs)[compiled.output(0)])
    if format == "saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))  # held: its variables live as long as it does
        result = loaded.serve(named) if named else loaded.serve(*inputs)
        if isinstance(result, dict):  # several outputs: the first, as the other runtimes return
            result = next(iter(result.values()))
        return np.asarray(result)
    raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
