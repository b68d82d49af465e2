"""Every bundled preset computes what it computed when the fixture was recorded.

The fixture (`tests/fixtures/preset_outputs.npz`) holds each preset's outputs
on fixed inputs through its task's entry point (`upscale`, `predict_middle`,
`predict_rgb`), recorded on TensorFlow by `tools/record_preset_outputs.py`;
the three backends agreed within 4e-7 then, so one fixture serves all.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from keras_vsr.models import list_presets

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "preset_outputs.npz"


def _recorder():
    spec = importlib.util.spec_from_file_location("record_preset_outputs", ROOT / "tools" / "record_preset_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fixture_covers_every_bundled_preset():
    recorded = {key.split("/")[0] for key in np.load(FIXTURE).files}
    assert recorded == {p["name"] for p in list_presets()}


@pytest.mark.parametrize("name", sorted(p["name"] for p in list_presets()))
def test_bundled_preset_outputs_unchanged(name):
    expected = np.load(FIXTURE)
    outputs = _recorder().preset_outputs(name)
    assert outputs, name
    for key, value in outputs.items():
        reference = expected[f"{name}/{key}"]
        assert value.shape == reference.shape, (name, key)
        np.testing.assert_allclose(value, reference, atol=1e-5, rtol=0, err_msg=f"{name}/{key}")
