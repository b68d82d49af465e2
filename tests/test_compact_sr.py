"""CompactSRBackbone (Real-ESRGAN's SRVGGNetCompact): reference equivalence
against spandrel's module (fixtures from tools/reference/compact.py) for
every scale and activation, complete mapping of realesr-general-x4v3 and
realesr-animevideov3, any input size, and training as an SRGAN generator."""

import keras
import numpy as np
import pytest

from keras_vsr.models import CompactSRBackbone
from keras_vsr.models.conversion import convert_state_dict
from tests.support import (
    BACKEND,
    check_reference_case,
    check_trains_as_srgan_generator,
    load_reference_case,
    reference_keys,
    run_backbone_test,
    to_numpy,
)


@pytest.mark.parametrize("scale", range(1, 9))
def test_matches_the_reference_within_1e_4(scale):
    _, config = check_reference_case(f"compact_x{scale}", "compact", atol=1e-4)
    assert config == {"scale": scale, "num_conv": 2, "filters": 8, "activation": "prelu", "channels": 3}


def test_relu_matches_the_reference():
    _, config = check_reference_case("compact_x4_relu", "compact", atol=1e-4)
    assert config["activation"] == "relu"


def test_leaky_relu_converts_as_relu_and_matches_once_set():
    # ReLU and LeakyReLU have no weights: the keys cannot tell them apart.
    state_dict, inputs, outputs, _ = load_reference_case("compact_x2_leakyrelu")
    _, backbone, config = convert_state_dict(state_dict)
    assert config["activation"] == "relu"
    leaky = CompactSRBackbone(**{**config, "activation": "leaky_relu"})
    leaky.set_weights(backbone.get_weights())
    np.testing.assert_allclose(to_numpy(leaky(inputs[0])), outputs[0], atol=1e-4)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="key mapping is backend-independent; runs in the TensorFlow pass")
@pytest.mark.parametrize("name, num_conv", [("realesr_general_x4v3", 32), ("realesr_animevideov3", 16)])
def test_full_size_configurations_map_every_key(name, num_conv):
    _, backbone, config = convert_state_dict(reference_keys(f"compact_{name}"))
    assert config == {"scale": 4, "num_conv": num_conv, "filters": 64, "activation": "prelu", "channels": 3}


@pytest.mark.parametrize("scale, size, activation", [(1, (5, 7), "relu"), (4, (1, 3), "prelu"), (3, (2, 2), "leaky_relu")])
def test_any_input_size(scale, size, activation, tmp_path):
    h, w = size
    init = dict(scale=scale, num_conv=1, filters=4, activation=activation)
    run_backbone_test(CompactSRBackbone, init, (1, h, w, 3), (1, h * scale, w * scale, 3), tmp_path)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the GAN steps run on every backend in test_gan; one pass here")
def test_trains_as_the_srgan_generator():
    keras.utils.set_random_seed(0)
    check_trains_as_srgan_generator(CompactSRBackbone(scale=2, num_conv=1, filters=4))
