"""`keras_vsr.layers.torch_kernels`: on torch, Conv2D and PReLU run through
PyTorch's kernels with Keras' results; elsewhere nothing changes."""

import numpy as np
import keras
import pytest

from keras_vsr.layers.torch_kernels import use_torch_kernels
from tests.support import BACKEND, tiny_srresnet


def _model():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="same")(inputs)
    x = keras.layers.PReLU(shared_axes=[1, 2], alpha_initializer="random_uniform", name="prelu")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", dilation_rate=2, name="dilated")(x)
    x = keras.layers.Conv2D(6, 2, padding="valid", use_bias=False, name="valid_even")(x)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", name="strided_same")(x)
    x = keras.layers.Conv2D(6, 4, padding="same", name="even_same")(x)
    return keras.Model(inputs, x)


FAST = ("same", "prelu", "dilated", "valid_even")
KERAS = ("strided_same", "even_same")


def test_same_outputs_and_only_supported_layers_switched():
    model = _model()
    x = np.random.default_rng(0).normal(size=(2, 13, 11, 3)).astype("float32")
    expected = np.asarray(model.predict_on_batch(x))
    use_torch_kernels(model)
    switched = {name for name in FAST + KERAS if "call" in vars(model.get_layer(name))}
    assert switched == (set(FAST) if BACKEND == "torch" else set())
    np.testing.assert_allclose(np.asarray(model.predict_on_batch(x)), expected, atol=1e-5)


@pytest.mark.skipif(BACKEND != "torch", reason="the torch kernels exist on torch only")
def test_backbones_switch_at_construction_and_still_train():
    import torch

    backbone = tiny_srresnet(num_blocks=1, seed=1)
    assert "call" in vars(backbone.get_layer("head_conv"))
    x = torch.rand(1, 6, 5, 3)
    backbone(x).sum().backward()
    assert all(v.value.grad is not None for v in backbone.trainable_variables)
