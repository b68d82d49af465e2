"""Network interpolation: `keras_vsr.blend_presets` and `keras-vsr upscale
--blend PRESET:ALPHA`."""

import numpy as np
import pytest
from PIL import Image

from tests.support import tiny_srresnet, to_numpy
from keras_vsr import blend_presets
from keras_vsr.cli import main
from keras_vsr.inference.blend import parse_blend
from keras_vsr.models import CompactSRBackbone


@pytest.fixture
def two_presets(tmp_path):
    folders = []
    for seed in (1, 2):
        backbone = tiny_srresnet(seed=seed)
        folders.append(tmp_path / f"p{seed}")
        backbone.save_to_preset(str(folders[-1]))
    return folders


def test_blend_weights_lie_between_the_presets(two_presets):
    first, second = (str(p) for p in two_presets)
    a, b = blend_presets(first, second, 0.0), blend_presets(first, second, 1.0)
    mid = blend_presets(first, second, 0.25)
    for wa, wb, wm in zip(a.backbone.get_weights(), b.backbone.get_weights(), mid.backbone.get_weights()):
        np.testing.assert_allclose(wm, 0.75 * wa + 0.25 * wb, atol=1e-6)
    x = np.random.default_rng(0).random((1, 6, 7, 3)).astype("float32")
    # alpha = 0 and 1 are the presets themselves.
    from keras_vsr.models import SuperResolver

    np.testing.assert_allclose(
        to_numpy(a.predict_on_batch(x)), to_numpy(SuperResolver.from_preset(first).predict_on_batch(x)), atol=1e-6
    )
    np.testing.assert_allclose(
        to_numpy(b.predict_on_batch(x)), to_numpy(SuperResolver.from_preset(second).predict_on_batch(x)), atol=1e-6
    )


def test_blend_refuses_other_architectures_and_bad_alpha(two_presets, tmp_path):
    other = tmp_path / "compact"
    CompactSRBackbone(scale=4, num_conv=1, filters=4).save_to_preset(str(other))
    with pytest.raises(ValueError, match="CompactSRBackbone.*one architecture and scale"):
        blend_presets(str(two_presets[0]), str(other), 0.5)
    for alpha in (-0.1, 1.5, "x", True):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            blend_presets(str(two_presets[0]), str(two_presets[1]), alpha)
    assert parse_blend("hf://owner/name:0.3") == ("hf://owner/name", 0.3)
    for bad in ("nocolon", ":0.5", "p:abc", "p:2"):
        with pytest.raises(ValueError):
            parse_blend(bad)


def test_cli_blend_upscales_and_bad_specs_are_one_line(two_presets, tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)).save(src)
    first, second = (str(p) for p in two_presets)
    out = tmp_path / "out.png"
    assert main(["upscale", str(src), str(out), "--preset", first, "--blend", f"{second}:0.5"]) == 0
    expected = blend_presets(first, second, 0.5).upscale(np.asarray(Image.open(src)))
    np.testing.assert_array_equal(np.asarray(Image.open(out)), expected)

    for spec in (f"{second}:1.5", "nowhere:0.5", f"{second}"):
        dst = tmp_path / "bad.png"
        assert main(["upscale", str(src), str(dst), "--preset", first, "--blend", spec]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--blend" in err
        assert not dst.exists()
