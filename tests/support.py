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


def run_python(code, backend=BACKEND, env=None, timeout=600):
    """Run `code` in a fresh interpreter with `KERAS_BACKEND=backend`."""
    full_env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout
    )
