"""RRDBNetBackbone (ESRGAN / Real-ESRGAN): reference equivalence against
spandrel's RRDBNet (fixtures from tools/reference/rrdbnet.py) for every
scale and key layout, complete mapping of the full-size configurations,
any input size, serialisation, and training as an SRGAN generator."""

import keras
import numpy as np
import pytest

from keras_vsr.layers import PixelUnshuffle
from keras_vsr.models import RRDBNetBackbone
from keras_vsr.models.conversion import ConversionError, convert_state_dict
from tests.support import (
    BACKEND,
    check_reference_case,
    check_trains_as_srgan_generator,
    load_reference_case,
    reference_keys,
    run_backbone_test,
    run_layer_test,
    to_numpy,
)

TINY = dict(num_blocks=1, filters=8, growth=4)


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_matches_the_reference_within_1e_4(scale):
    backbone, config = check_reference_case(f"rrdbnet_x{scale}", "rrdbnet", atol=1e-4)
    assert config["scale"] == scale and config["unshuffle"] == {1: 4, 2: 2}.get(scale, 1)
    assert config["growth"] == 8 and config["num_blocks"] == 1


def esrgan_repo_layout(state_dict):
    """The x4 case under the key names of ESRGAN's own repository (and BSRGAN)."""
    renames = {"model.0.": "conv_first.", "model.1.sub.1.": "trunk_conv.", "model.3.": "upconv1.",
               "model.6.": "upconv2.", "model.8.": "HRconv.", "model.10.": "conv_last."}
    out = {}
    for key, value in state_dict.items():
        for old, new in renames.items():
            if key.startswith(old):
                key = new + key[len(old):]
        key = key.replace("model.1.sub.", "RRDB_trunk.").replace(".0.weight", ".weight").replace(".0.bias", ".bias")
        out[key] = value
    return out


def test_esrgan_repository_layout_converts_the_same():
    state_dict, inputs, outputs, _ = load_reference_case("rrdbnet_x4")
    renamed = esrgan_repo_layout(state_dict)
    assert "RRDB_trunk.0.RDB1.conv1.weight" in renamed and "trunk_conv.weight" in renamed
    _, backbone, _ = convert_state_dict(renamed)
    np.testing.assert_allclose(to_numpy(backbone(inputs[0])), outputs[0], atol=1e-4)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="key mapping is backend-independent; runs in the TensorFlow pass")
@pytest.mark.parametrize(
    "name, expected",
    [
        ("esrgan_x4_old_layout", dict(scale=4, num_blocks=23, unshuffle=1)),
        ("realesrgan_x4plus", dict(scale=4, num_blocks=23, unshuffle=1)),
        ("realesrgan_x2plus", dict(scale=2, num_blocks=23, unshuffle=2)),
        ("realesrgan_x4plus_anime_6b", dict(scale=4, num_blocks=6, unshuffle=1)),
    ],
)
def test_full_size_configurations_map_every_key(name, expected):
    # convert_state_dict raises unless every key is used and every weight set.
    _, backbone, config = convert_state_dict(reference_keys(f"rrdbnet_{name}"))
    assert config == {**expected, "filters": 64, "growth": 32, "channels": 3}
    assert isinstance(backbone, RRDBNetBackbone)


def test_mis_numbered_old_layout_is_a_clear_error():
    state_dict = dict(load_reference_case("rrdbnet_x4")[0])
    state_dict["model.7.weight"] = state_dict.pop("model.6.weight")
    state_dict["model.7.bias"] = state_dict.pop("model.6.bias")
    with pytest.raises(ConversionError, match="model.3, model.6"):
        convert_state_dict(state_dict)


def test_any_input_size(tmp_path):
    # x2 folds 2x2 pixels into channels: a 1x3 image is padded, then cropped back.
    run_backbone_test(RRDBNetBackbone, dict(scale=2, **TINY), (1, 1, 3, 3), (1, 2, 6, 3), tmp_path)


def test_pixel_unshuffle_layer_pads_by_reflection(tmp_path):
    x = np.arange(3 * 5, dtype="float32").reshape(1, 3, 5, 1)
    y = run_layer_test(PixelUnshuffle, {"scale": 2}, x, (1, 2, 3, 4), tmp_path)
    padded = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)), mode="reflect")
    np.testing.assert_array_equal(y[0, :, :, 0], padded[0, ::2, ::2, 0])
    np.testing.assert_array_equal(y[0, :, :, 3], padded[0, 1::2, 1::2, 0])


def test_rejects_bad_configs():
    with pytest.raises(ValueError, match="scale"):
        RRDBNetBackbone(scale=3, **TINY)
    with pytest.raises(ValueError, match="power of two"):
        RRDBNetBackbone(scale=4, unshuffle=3, **TINY)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the GAN steps run on every backend in test_gan; one pass here")
def test_trains_as_the_srgan_generator():
    keras.utils.set_random_seed(0)
    check_trains_as_srgan_generator(RRDBNetBackbone(scale=2, **TINY))
