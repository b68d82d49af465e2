"""Which bundled family exports to which format: a Markdown table for the README.

    KERAS_BACKEND=tensorflow python tools/export_matrix.py [--formats onnx litert openvino saved_model]

For one bundled preset per backbone class, each format is exported with
`keras_vsr.inference.export.export_preset` (free height and width; the
fixed-geometry Depth2Space at its own size), run in its runtime
(`run_exported`) at two input sizes and compared with Keras. A cell is the
largest absolute difference, or the exporter's error.
"""

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np

from keras_vsr.inference.export import FORMATS, export_preset, run_exported
from keras_vsr.models import SRBackbone, list_presets

NAMES = {"onnx": "m.onnx", "litert": "m.tflite", "openvino": "m.xml", "saved_model": "m"}


def check(preset, format, folder):
    backbone = SRBackbone.from_preset(preset)
    fixed = getattr(backbone, "input_size", None)
    m = getattr(backbone, "size_multiple", 1)  # networks that need multiples of it get them
    sizes = [tuple(fixed)] if fixed is not None else [(-(-16 // m) * m, -(-24 // m) * m), (-(-20 // m) * m, -(-12 // m) * m)]
    try:
        path = export_preset(preset, Path(folder) / NAMES[format], format=format, input_size=fixed)
    except ValueError as e:
        return f"no: {e}"
    worst = 0.0
    for height, width in sizes:
        inputs = {}
        for i, tensor in enumerate(backbone.inputs):
            shape = [1, *tensor.shape[1:]]
            shape[-3:-1] = height, width
            inputs[tensor.name] = np.random.default_rng(i).random(shape).astype("float32")
        values = list(inputs.values())
        expected = backbone.predict_on_batch(inputs if len(inputs) > 1 else values[0])
        inputs = inputs if len(inputs) > 1 else values
        try:
            got = run_exported(path, format, inputs)
            # A model with several outputs (the FFC VAE): the runtime's first
            # output against Keras' output of the same shape.
            outputs = expected.values() if isinstance(expected, dict) else [expected]
            worst = max(worst, min(
                float(np.abs(got - np.asarray(y, "float32")).max()) for y in outputs if np.shape(y) == got.shape
            ))
        except Exception as e:  # noqa: BLE001
            return f"runs with an error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
    return f"yes ({worst:.0e})"


def main():
    import keras

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--classes", nargs="+", default=None, help="only these backbone classes")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    presets = {}
    for entry in list_presets():
        presets.setdefault(entry["class"], entry["name"])
    print(f"backend: {keras.config.backend()}\n")
    print("| family (preset) | " + " | ".join(args.formats) + " |")
    print("|---|" + "---|" * len(args.formats))
    for cls, preset in sorted(presets.items()):
        if args.classes and cls not in args.classes:
            continue
        cells = []
        for format in args.formats:
            with tempfile.TemporaryDirectory() as folder:
                cells.append(check(preset, format, folder))
        print(f"| {cls} ({preset}) | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
