"""Record every bundled preset's outputs on fixed inputs, per backend.

    KERAS_BACKEND=tensorflow python tools/record_preset_outputs.py

writes `tests/fixtures/preset_outputs.npz`, which `tests/test_preset_outputs.py`
compares against on every backend (the backends agree within 4e-7): a refactoring that changes
what a bundled preset computes fails there. Re-record only when a change of
outputs is intended, and say so in the commit.
"""

import argparse
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def fixed_inputs(seed=0):
    """Deterministic uint8 test inputs: a textured RGB image and a moving pair."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:24, 0:32].astype("float32")
    base = 0.5 + 0.25 * np.sin(xx / 3.0)[..., None] * np.cos(yy / 5.0)[..., None] * np.array([1.0, 0.6, -0.8])
    image = np.clip(base + 0.05 * rng.standard_normal((24, 32, 3)), 0, 1)
    shifted = np.roll(image, (1, 2), axis=(0, 1))
    return (image * 255).round().astype(np.uint8), (shifted * 255).round().astype(np.uint8)


def preset_outputs(name):
    """`{key: float32 array}` for one bundled preset, through its task's entry point."""
    import keras

    from keras_vsr.models import SRBackbone

    image, shifted = fixed_inputs()
    backbone = SRBackbone.from_preset(name)
    kind = type(backbone).__name__
    keras.utils.set_random_seed(0)
    if "Interpolator" in kind:
        from keras_vsr.inference.tasks import load_task

        task = load_task(name, "interpolate")
        a, b = image[None] / 255.0, shifted[None] / 255.0
        if task.channels == 1:
            a, b = a.mean(-1, keepdims=True), b.mean(-1, keepdims=True)
        return {"middle": np.asarray(task.predict_middle(a.astype("float32"), b.astype("float32")), "float32")}
    if kind == "ChromaFusionBackbone":
        from keras_vsr.inference.tasks import load_task
        from keras_vsr.models.chroma_fusion.chroma_fusion_backbone import NUM_FEATURES

        features = np.random.default_rng(0).random((1, 24, 32, NUM_FEATURES)).astype("float32")
        return {"chroma": np.asarray(load_task(name, "fuse").predict_chroma(features), "float32")}
    if kind == "Grey2RGBBackbone":
        from keras_vsr.inference.tasks import load_task

        task = load_task(name, "colorize")
        grey = (image.mean(-1, keepdims=True) / 255.0).astype("float32")[None]
        return {"rgb": np.asarray(task.predict_rgb(grey), "float32")}
    from keras_vsr.models import SuperResolver

    task = SuperResolver(backbone=backbone, compile=False)
    if getattr(backbone, "input_size", None) is not None:
        h, w = backbone.input_size
        reps = (h // image.shape[0] + 1, w // image.shape[1] + 1, 1)
        x = np.tile(image, reps)[:h, :w]
        out = task.upscale(x.astype("float32") / 255.0, tile=None)
        return {"sr": np.asarray(out, "float32")[::7, ::7]}
    # Every third pixel: 3 is prime to the x2 and x4 pixel-shuffle phases, so all of them are kept.
    return {"sr": np.asarray(task.upscale(image.astype("float32") / 255.0, tile=None), "float32")[::3, ::3]}


def main():
    import keras

    from keras_vsr.models import list_presets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or FIXTURES / "preset_outputs.npz"
    arrays = {}
    for preset in list_presets():
        for key, value in preset_outputs(preset["name"]).items():
            arrays[f"{preset['name']}/{key}"] = value
            print(preset["name"], key, value.shape, float(value.mean()))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print("wrote", out)


if __name__ == "__main__":
    main()
