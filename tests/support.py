"""Test helpers in the spirit of keras-hub's `TestCase` (`from tests.support import ...`).

A layer, backbone, task or preset test is a few tiny configs and expected
shapes; the helpers check output shapes, serialisation round trips, saving
and loading, and a preset's metadata against the model it builds.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BENCH = SHARED_DATA / "sr" / "bench"
BACKEND = keras.backend.backend()


def needs_data(*parts):
    """Skip unless `../shared/data/<parts>` exists."""
    path = SHARED_DATA.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"needs {path} (shared data absent)")


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def run_layer_test(layer_cls, init_kwargs, input_data, expected_output_shape, tmp_path):
    """Build, call, compare with `compute_output_shape`, and round-trip the
    layer through `get_config` / `from_config` and a saved `.keras` model.

    `input_data` is an array, or a shape to fill with uniform noise."""
    layer = layer_cls(**init_kwargs)
    if isinstance(input_data, tuple):
        input_data = np.random.default_rng(0).random(input_data).astype("float32")
    x = input_data
    input_shape = x.shape
    y = to_numpy(layer(x))
    assert y.shape == tuple(expected_output_shape)
    symbolic = tuple(layer.compute_output_shape(input_shape))
    assert symbolic == tuple(expected_output_shape)

    clone = layer_cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()

    inputs = keras.Input(shape=(None, None, input_shape[-1]))
    model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
    expected = to_numpy(model(x))
    path = tmp_path / f"{layer_cls.__name__}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)  # safe_mode=True
    np.testing.assert_allclose(to_numpy(reloaded(x)), expected, atol=1e-5)
    return y


def run_backbone_test(cls, init_kwargs, input_shape, expected_output_shape, tmp_path):
    """Output shape, `cls(**get_config())` rebuild, and preset round trip."""
    backbone = cls(**init_kwargs)
    x = np.random.default_rng(0).random(input_shape).astype("float32")
    y = to_numpy(backbone(x, training=False))
    assert y.shape == tuple(expected_output_shape)

    rebuilt = cls(**{k: v for k, v in backbone.get_config().items() if k not in ("trainable",)})
    rebuilt.set_weights(backbone.get_weights())
    np.testing.assert_allclose(to_numpy(rebuilt(x, training=False)), y, atol=1e-5)

    preset = tmp_path / "preset"
    backbone.save_to_preset(str(preset))
    loaded = cls.from_preset(str(preset))
    assert type(loaded) is cls
    np.testing.assert_allclose(to_numpy(loaded(x, training=False)), y, atol=1e-5)
    return y


def tiny_srresnet(num_blocks=1, seed=1):
    """An x4 `SRResNetBackbone` small enough for fast tests: 8 filters, 3x3
    head and tail, no batch norm, bicubic image residual."""
    from keras_vsr.models import SRResNetBackbone

    keras.utils.set_random_seed(seed)
    tiny = dict(filters=8, use_batch_norm=False, head_kernel_size=3, tail_kernel_size=3, image_residual=True)
    return SRResNetBackbone(scale=4, num_blocks=num_blocks, **tiny)


def run_python(code, backend=BACKEND, env=None, timeout=600):
    """Run `code` in a fresh interpreter with `KERAS_BACKEND=backend`."""
    full_env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout
    )


def _numpy_tree(y):
    if isinstance(y, dict):
        return {k: to_numpy(v) for k, v in y.items()}
    return to_numpy(y)


def _assert_tree_close(actual, expected, atol=1e-5):
    if isinstance(expected, dict):
        assert set(actual) == set(expected)
        for key in expected:
            np.testing.assert_allclose(actual[key], expected[key], atol=atol, err_msg=key)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol)


def run_task_test(task, x, y, tmp_path, expected_output_shape=None, batch_size=2):
    """The contract of every keras_vsr task, on a tiny task and tiny data.

    - `predict` gives `expected_output_shape` (for dict outputs: a dict of
      shapes, or None to skip);
    - `get_config` / `from_config` rebuilds a task that, given the same
      weights, predicts the same;
    - `save_to_preset` + `from_preset` of the task's class give the same
      predictions;
    - one `fit` epoch on `(x, y)` runs with a finite loss and changes the
      trainable weights.

    Returns the task after training.
    """
    cls = type(task)
    before = _numpy_tree(task.predict(x, batch_size=batch_size, verbose=0))
    if expected_output_shape is not None:
        if isinstance(before, dict):
            assert {k: v.shape for k, v in before.items() if k in expected_output_shape} == {
                k: tuple(s) for k, s in expected_output_shape.items()
            }
        else:
            assert before.shape == tuple(expected_output_shape)

    rebuilt = cls.from_config(task.get_config())
    assert type(rebuilt) is cls
    rebuilt.set_weights(task.get_weights())
    _assert_tree_close(_numpy_tree(rebuilt.predict(x, batch_size=batch_size, verbose=0)), before)

    preset = tmp_path / f"{cls.__name__}_preset"
    task.save_to_preset(str(preset))
    loaded = cls.from_preset(str(preset))
    assert type(loaded) is cls and type(loaded.backbone) is type(task.backbone)
    _assert_tree_close(_numpy_tree(loaded.predict(x, batch_size=batch_size, verbose=0)), before)

    weights = [to_numpy(w).copy() for w in task.trainable_weights]
    history = task.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert any(not np.array_equal(w, to_numpy(v)) for w, v in zip(weights, task.trainable_weights))
    return task


def run_preset_test(preset, purpose=None):
    """Load `preset` (name or folder) as its task and check it against its metadata.

    The preset's `metadata.json` must agree with the model it builds: its
    `parameter_count` with the backbone's, its `scale` (where given) with the
    backbone's, and `config.json`'s class name with the loaded backbone's
    class. `purpose` (`"upscale"`, `"interpolate"`, `"colorize"`, `"fuse"`, or None for
    the one the backbone serves) picks the task through
    `keras_vsr.inference.tasks.load_task`.

    Returns the loaded task.
    """
    import json

    from keras_vsr.inference.tasks import load_task
    from keras_vsr.models import SRBackbone
    from keras_vsr.presets.registry import BUNDLED_DIR

    folder = Path(preset) if Path(preset).is_dir() else BUNDLED_DIR / preset
    config = json.loads((folder / "config.json").read_text())
    metadata = json.loads((folder / "metadata.json").read_text())
    backbone = SRBackbone.from_preset(str(preset))
    assert type(backbone).__name__ == config["class_name"], (preset, config["class_name"])
    assert backbone.count_params() == metadata["parameter_count"], preset
    if metadata.get("scale") == "any":
        assert getattr(backbone, "resize_input", False), (preset, "scale 'any' needs a pre-upsampling backbone")
    elif metadata.get("scale") is not None:
        assert float(backbone.scale) == float(metadata["scale"]), (preset, backbone.scale, metadata["scale"])
    if purpose is None:
        for candidate in ("upscale", "interpolate", "colorize", "fuse"):
            try:
                return load_task(str(preset), candidate)
            except ValueError:
                continue
        raise AssertionError(f"{preset} loads as no task")
    return load_task(str(preset), purpose)


class AverageInterpolator:
    """A stand-in interpolator: the middle frame is the mean of the two.
    `batches` records the number of pairs of each call."""

    def __init__(self):
        self.batches = []

    def predict_middle(self, frames_a, frames_b):
        assert frames_a.dtype == np.float32 and frames_a.shape == frames_b.shape
        self.batches.append(len(frames_a))
        return (frames_a + frames_b) / 2


REFERENCE = REPO / "tests" / "fixtures" / "reference"


def load_reference_case(name):
    """A case written by `tools/reference/common.py save_case`:
    `(state_dict, inputs, outputs, metadata)`, the state dict as
    `{key: float32 array}`, inputs and outputs as lists of NHWC arrays."""
    import json

    from keras_vsr.io.checkpoints import read_state_dict

    state_dict = read_state_dict(REFERENCE / f"{name}.safetensors")
    with np.load(REFERENCE / f"{name}.npz") as data:
        inputs = [data[k] for k in sorted(k for k in data.files if k.startswith("input_"))]
        outputs = [data[k] for k in sorted(k for k in data.files if k.startswith("output_"))]
        metadata = json.loads(str(data["metadata"]))
    return state_dict, inputs, outputs, metadata


def reference_keys(name):
    """The `{key: zeros of its shape}` state dict of a full-size reference
    configuration (`<name>_keys.json`, from `save_keys`)."""
    import json

    shapes = json.loads((REFERENCE / f"{name}_keys.json").read_text())
    return {key: np.zeros(shape, "float32") for key, shape in shapes.items()}


def check_reference_case(name, architecture, atol=1e-4):
    """Convert the case's state dict, check the detected architecture and
    that the Keras backbone reproduces the reference outputs within `atol`.
    Returns `(backbone, config)`."""
    from keras_vsr.models.conversion import convert_state_dict

    state_dict, inputs, outputs, _ = load_reference_case(name)
    converter, backbone, config = convert_state_dict(state_dict)
    assert converter.name == architecture, (name, converter.name)
    y = backbone(inputs[0] if len(inputs) == 1 else inputs, training=False)
    y = [to_numpy(v) for v in y] if isinstance(y, (list, tuple)) else [to_numpy(y)]
    for actual, expected in zip(y, outputs):
        np.testing.assert_allclose(actual, expected, atol=atol, err_msg=name)
    return backbone, config


def check_trains_as_srgan_generator(generator):
    """One SRGAN `fit` step with `generator` (an x2 backbone) on 8x8 -> 16x16
    pairs: finite losses and changed generator weights."""
    from keras_vsr.losses import MSELoss
    from keras_vsr.models import SRGAN, SRGANDiscriminator

    task = SRGAN(generator, SRGANDiscriminator(image_size=16, filters=4, dense_units=8), seed=0)
    task.compile(
        generator_optimizer=keras.optimizers.Adam(1e-2),
        discriminator_optimizer=keras.optimizers.Adam(1e-2),
        perceptual_loss=MSELoss(),
        jit_compile=False,
    )
    rng = np.random.default_rng(0)
    before = [to_numpy(v).copy() for v in generator.trainable_weights]
    history = task.fit(rng.random((2, 8, 8, 3), "float32"), rng.random((2, 16, 16, 3), "float32"), batch_size=2, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert any(not np.array_equal(b, to_numpy(a)) for b, a in zip(before, generator.trainable_weights))


def load_tool(name):
    """Import `tools/<name>.py` (the tools are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
