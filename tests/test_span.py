"""SPANBackbone and its converter: the reference outputs of spandrel's SPAN
(fixtures from tools/reference/span.py) on every backend, the full-size key
lists, both checkpoint layouts, and the backbone contract."""

import numpy as np
import pytest
import keras

from keras_vsr.layers.parameter_free_attention import ParameterFreeAttention
from keras_vsr.models import SPANBackbone
from keras_vsr.models.conversion import ConversionError, convert_state_dict
from keras_vsr.models.span.span_conversion import conv3xc_prefixes
from tests.support import (
    BACKEND,
    check_reference_case,
    check_trains_as_srgan_generator,
    load_reference_case,
    reference_keys,
    run_backbone_test,
    to_numpy,
)

CASES = ["span_x1", "span_x2", "span_x3_no_norm", "span_x4"]
TINY = dict(filters=4)
BRANCH_MARKERS = (".sk.", ".conv.")


@pytest.mark.parametrize("name", CASES)
def test_matches_the_reference_outputs(name):
    _, _, _, metadata = load_reference_case(name)
    backbone, config = check_reference_case(name, "span", atol=1e-4)
    assert config["scale"] == metadata["scale"] and backbone.scale == metadata["scale"]
    assert config["filters"] == metadata["filters"]
    assert config["normalize"] == metadata["normalize"]


def outputs_of(state_dict, x):
    _, backbone, _ = convert_state_dict(state_dict)
    return to_numpy(backbone(x, training=False))


def test_deployed_layout_and_branches_give_the_same_model():
    state_dict, (x,), (expected,), _ = load_reference_case("span_x2")
    # A deployed state dict holds only the merged `eval_conv` kernels.
    deployed = {k: v for k, v in state_dict.items() if not any(m in k for m in BRANCH_MARKERS)}
    np.testing.assert_allclose(outputs_of(deployed, x), expected, atol=1e-4)
    # With the branches present, they are what counts (the reference
    # re-merges them on every call): stale `eval_conv` values are ignored.
    stale = {k: (np.zeros_like(v) if ".eval_conv." in k else v) for k, v in state_dict.items()}
    np.testing.assert_allclose(outputs_of(stale, x), expected, atol=1e-4)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="key mapping does not depend on the backend; run once")
@pytest.mark.parametrize("name, scale", [("span_x2_ch48", 2), ("span_x4_ch48", 4)])
def test_full_size_state_dicts_map_completely(name, scale):
    converter, backbone, config = convert_state_dict(reference_keys(name))
    assert converter.name == "span"
    assert config == {"scale": scale, "filters": 48, "normalize": True, "channels": 3, "output_channels": 3}
    assert isinstance(backbone, SPANBackbone)
    # The deployed SPAN x4 / x2 (48 channels): 426,288 / 410,700 parameters.
    assert backbone.count_params() == {2: 410_700, 4: 426_288}[scale]


def test_missing_or_mis_shaped_keys_are_named():
    state_dict, _, _, _ = load_reference_case("span_x4")
    missing = {k: v for k, v in state_dict.items() if k != "block_3.c2_r.conv.1.bias"}
    with pytest.raises(ConversionError, match=r"block_3\.c2_r\.conv\.1\.bias"):
        convert_state_dict(missing)
    bad = dict(state_dict, **{"conv_cat.weight": np.zeros((4, 12, 1, 1), "float32")})
    with pytest.raises(ConversionError, match=r"conv_cat\.weight"):
        convert_state_dict(bad)
    extra = dict(state_dict, **{"block_7.c1_r.sk.weight": np.zeros((4, 4, 1, 1), "float32")})
    with pytest.raises(ConversionError, match=r"block_7\.c1_r\.sk\.weight"):
        convert_state_dict(extra)
    odd = dict(state_dict, **{"upsampler.0.weight": np.zeros((7, 4, 3, 3), "float32")})
    with pytest.raises(ConversionError, match="upsampler has 7 output channels"):
        convert_state_dict(odd)


def test_conv3xc_prefixes_cover_the_reference_keys():
    state_dict, _, _, _ = load_reference_case("span_x1")
    prefixes = {k.split(".eval_conv.")[0] for k in state_dict if ".eval_conv." in k}
    assert prefixes == set(conv3xc_prefixes())


def test_backbone_any_input_size(tmp_path):
    run_backbone_test(SPANBackbone, {"scale": 3, **TINY}, (2, 7, 9, 3), (2, 21, 27, 3), tmp_path)


def test_grey_backbone_without_normalisation():
    grey = SPANBackbone(scale=2, normalize=False, channels=1, **TINY)
    assert tuple(grey.output.shape) == (None, None, None, 1)


def test_backbone_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: scale=0"):
        SPANBackbone(scale=0, **TINY)
    with pytest.raises(ValueError, match="Received: filters=0"):
        SPANBackbone(filters=0)
    with pytest.raises(ValueError, match="needs `channels=3`"):
        SPANBackbone(channels=1, **TINY)


def test_parameter_free_attention():
    rng = np.random.default_rng(0)
    features, skip = rng.normal(size=(2, 2, 5, 6, 3)).astype("float32")
    layer = ParameterFreeAttention()
    y = to_numpy(layer([features, skip]))
    np.testing.assert_allclose(y, (features + skip) * (1 / (1 + np.exp(-features)) - 0.5), atol=1e-6)
    assert layer.weights == []
    assert ParameterFreeAttention.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the GAN steps run on every backend in test_gan; one pass here")
def test_trains_as_srgan_generator():
    keras.utils.set_random_seed(0)
    check_trains_as_srgan_generator(SPANBackbone(scale=2, **TINY))


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the receptive field does not depend on the backend; run once")
def test_receptive_field_is_21_lr_pixels():
    # 1 (head) + 6 blocks x 3 convs + 1 (conv_2) + 1 (upsampler), all 3x3:
    # tiles with an overlap >= 21 (SuperResolver.upscale's default is 24)
    # see all the context whole-image inference sees.
    keras.utils.set_random_seed(0)
    backbone = SPANBackbone(scale=2, **TINY)
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.Conv2D) and layer.kernel.shape[0] == 3:
            # Mostly the right-hand tap, on normalised (x255) input: the
            # farthest pixel's influence stays far above float32 rounding.
            kernel = np.zeros(layer.kernel.shape, "float32")
            kernel[1, 1], kernel[1, 2] = 0.1 / kernel.shape[2], 0.9 / kernel.shape[2]
            layer.kernel.assign(kernel)
    image = np.random.default_rng(0).random((1, 9, 49, 3)).astype("float32")
    base = to_numpy(backbone(image))[0, 8:10, 8:10]  # the HR pixels of LR pixel (4, 4)

    def change_at(column):
        moved = image.copy()
        moved[0, 4, column] += 1.0
        return np.abs(to_numpy(backbone(moved))[0, 8:10, 8:10] - base).max()

    assert change_at(4 + 21) > 0
    assert change_at(4 + 22) == 0
