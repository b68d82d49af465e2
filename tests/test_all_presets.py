"""Every bundled preset loads on the running backend as the task it serves,
and its metadata (parameter count, scale, class) is true of the model."""

import numpy as np
import pytest

from keras_vsr.models import SuperResolver
from keras_vsr.models import list_presets
from tests.support import run_preset_test

PRESETS = list_presets()


def test_presets_are_bundled():
    assert len(PRESETS) >= 10


@pytest.mark.parametrize("entry", PRESETS, ids=[p["name"] for p in PRESETS])
def test_bundled_preset_loads_and_matches_its_metadata(entry):
    task = run_preset_test(entry["name"])
    assert type(task.backbone).__name__ == entry["class"]
    assert task.backbone.count_params() == entry["params"]
    frame = np.full((16, 16, 3), 128, np.uint8)
    if isinstance(task, SuperResolver):
        if getattr(task.backbone, "input_size", None) is not None:
            return  # fixed-geometry model: covered by test_preset_outputs
        out = task.upscale(frame)
        factor = entry["scale"] if entry["scale"] != "any" else task.backbone.default_scale
        assert out.shape == (16 * factor, 16 * factor, 3)
    elif hasattr(task, "predict_middle"):
        x = np.full((1, 16, 16, task.channels), 0.5, "float32")
        assert task.predict_middle(x, x).shape == x.shape
    elif hasattr(task, "predict_chroma"):
        from keras_vsr.models.chroma_fusion.chroma_fusion_backbone import NUM_FEATURES

        assert task.predict_chroma(np.full((1, 15, 17, NUM_FEATURES), 0.5, "float32")).shape == (1, 15, 17, 3)
    else:
        assert task.colorize(frame[..., 0]).shape == (16, 16, 3)
