"""Frozen feature maps of pretrained ImageNet CNNs, for the feature-space
losses (`keras_vsr.losses.perceptual`) and LPIPS (`keras_vsr.metrics.lpips`).

Images are RGB in [0, 1]; each backbone normalises them the way its weights
were trained:

- VGG16 uses torchvision's ImageNet weights (converted offline by
  `tools/convert_vgg16_lpips.py`), so inputs are normalised as torchvision
  does: `(x - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)`, in RGB.
  Keras' `keras.applications.vgg16.preprocess_input` (caffe: BGR, 0..255,
  mean subtraction) belongs to Keras' own VGG16 weights and is not used.
- ResNet50 uses Keras' ImageNet weights, trained with the caffe convention:
  RGB -> BGR, scaled to 0..255, minus (103.939, 116.779, 123.68).

Keras' VGG16 convolutions have their ReLU built in: the output of
`block5_conv3` is SRGAN's phi_{5,3} after activation (relu5_3).
"""

from pathlib import Path

import numpy as np
import keras
from keras import ops

from keras_vsr.utils.serialization import register
from keras_vsr.utils.weights import VGG16_WEIGHTS_FILE, converted_weights_path

VGG16_LAYER_NAMES = (
    "block1_conv1", "block1_conv2", "block1_pool",
    "block2_conv1", "block2_conv2", "block2_pool",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool",
)

_TORCHVISION_MEAN = np.array([0.485, 0.456, 0.406], dtype="float32")
_TORCHVISION_STD = np.array([0.229, 0.224, 0.225], dtype="float32")
_CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68], dtype="float32")


def torchvision_normalize(images):
    """`(images - mean) / std` with torchvision's ImageNet RGB statistics.

    Args:
        images: tensor `(..., 3)`, RGB in [0, 1].
    """
    mean = ops.cast(_TORCHVISION_MEAN, images.dtype)
    std = ops.cast(_TORCHVISION_STD, images.dtype)
    return (images - mean) / std


def caffe_normalize(images):
    """Keras' caffe-style ImageNet preprocessing (ResNet50, Keras' VGG16).

    Args:
        images: tensor `(..., 3)`, RGB in [0, 1].

    Returns:
        BGR in 0..255 minus the ImageNet BGR mean.
    """
    bgr = ops.flip(images, axis=-1) * 255.0
    return bgr - ops.cast(_CAFFE_BGR_MEAN, images.dtype)


def layer_list(layers, argument):
    """`layers` as a non-empty list, or a ValueError naming `argument`."""
    if isinstance(layers, (str, int)) or not layers:
        raise ValueError(f"`{argument}` must be a non-empty list. Received: {argument}={layers!r}")
    return list(layers)


def vgg16(weights):
    """`keras.applications.VGG16(include_top=False)` for any input size.

    Args:
        weights: "torchvision" (the converted file, see
            `keras_vsr.utils.weights`), the path of a weights file, or None
            for random initialisation.

    Raises:
        ValueError: for any other `weights`.
        FileNotFoundError: when the converted torchvision weights are missing.
    """
    if weights == "torchvision":
        weights_file = converted_weights_path(VGG16_WEIGHTS_FILE)
    elif weights is None or (isinstance(weights, (str, Path)) and Path(weights).expanduser().is_file()):
        weights_file = None if weights is None else Path(weights).expanduser()
    else:
        raise ValueError(
            "`weights` must be 'torchvision', the path of an existing VGG16 weights "
            f"file, or None. Received: weights={weights!r}"
        )
    network = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    if weights_file is not None:
        network.load_weights(weights_file)
    return network


def resolve_layer_names(backbone, layers):
    """Names of `layers` (names, or indices into `backbone.layers`) in `backbone`."""
    names = [layer.name for layer in backbone.layers]
    resolved = []
    for layer in layers:
        if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
            if not 0 < layer < len(names):
                raise ValueError(
                    f"Layer index {layer} is out of range for {backbone.name}, which "
                    f"has {len(names)} layers (0 is the input)."
                )
            resolved.append(names[layer])
        elif isinstance(layer, str) and layer in names[1:]:
            resolved.append(layer)
        else:
            raise ValueError(
                f"{backbone.name} has no layer {layer!r}. Expected a layer name from "
                f"{names[1:]} or an index in [1, {len(names) - 1}]."
            )
    return resolved


def feature_model(backbone, layer_names, name):
    """A `keras.Model` from `backbone`'s input to a dict of the named layers'
    outputs, keyed by layer name."""
    outputs = {n: backbone.get_layer(n).output for n in layer_names}
    return keras.Model(backbone.input, outputs, name=name)


def pre_activation_model(network, layer_names, name):
    """Like `feature_model` for a sequential CNN whose convolutions have
    their activation built in (Keras' VGG16), but the named convolutions'
    outputs are taken before that activation (ESRGAN's perceptual
    features). The convolutions get `network`'s weights."""
    inputs = keras.Input(shape=network.input_shape[1:])
    x, outputs = inputs, {}
    deepest = max(VGG16_LAYER_NAMES.index(n) for n in layer_names)
    for layer in network.layers[1:]:
        if isinstance(layer, keras.layers.Conv2D):
            conv = keras.layers.Conv2D.from_config({**layer.get_config(), "activation": None})
            x = conv(x)
            conv.set_weights(layer.get_weights())
            if layer.name in layer_names:
                outputs[layer.name] = x
            x = keras.layers.ReLU(name=f"{layer.name}_relu")(x)
        else:
            x = layer(x)
            if layer.name in layer_names:
                outputs[layer.name] = x
        if layer.name == VGG16_LAYER_NAMES[deepest]:
            break
    return keras.Model(inputs, outputs, name=name)


@register
class VGGFeatureExtractor(keras.layers.Layer):
    """VGG16 feature maps of RGB images in [0, 1], as in BasicSR.

    Builds `keras.applications.VGG16(include_top=False)` up to the deepest
    requested layer. The layer is frozen (`trainable=False`) by default.

    Args:
        layer_names: list of str, default `("block5_conv3",)`: VGG16 layers
            to return, from `VGG16_LAYER_NAMES`. Convolution outputs are after
            their ReLU (Keras fuses it).
        weights: str, `pathlib.Path` or None, default "torchvision":
            "torchvision" loads torchvision's ImageNet weights converted by
            `tools/convert_vgg16_lpips.py` (see `keras_vsr.utils.weights`);
            a path loads that weights file (for
            `keras.applications.VGG16(include_top=False)`); None keeps the
            random initialisation.
        normalize_input: bool, default True: normalise the input with
            torchvision's ImageNet mean and std first. Turn off to feed
            already-normalised inputs.
        before_activation: bool, default False: return convolution outputs
            before their ReLU (ESRGAN's perceptual features, e.g. conv5_3
            rather than relu5_3); pooling layers are returned as they are.
        trainable: bool, default False: whether the VGG16 weights train.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `(batch, height, width, 3)` RGB tensor in [0, 1].

    Returns:
        dict mapping each of `layer_names` to its `(batch, h, w, channels)`
        feature map.

    Example:

    ```python
    extractor = VGGFeatureExtractor(["block2_conv2", "block5_conv3"])
    features = extractor(images)  # {"block2_conv2": ..., "block5_conv3": ...}
    ```
    """

    def __init__(
        self,
        layer_names=("block5_conv3",),
        weights="torchvision",
        normalize_input=True,
        before_activation=False,
        trainable=False,
        **kwargs,
    ):
        super().__init__(trainable=trainable, **kwargs)
        layer_names = layer_list(layer_names, "layer_names")
        for name in layer_names:
            if name not in VGG16_LAYER_NAMES:
                raise ValueError(
                    f"Unknown VGG16 layer {name!r}. Received: layer_names={layer_names}; "
                    f"expected names from {VGG16_LAYER_NAMES}"
                )
        self.layer_names = layer_names
        self.weights_source = weights if weights is None else str(weights)
        self.normalize_input = bool(normalize_input)
        self.before_activation = bool(before_activation)
        build = pre_activation_model if self.before_activation else feature_model
        self.network = build(vgg16(weights), layer_names, "vgg16_features")
        # Layers tracked after `__init__(trainable=...)` keep their own flag.
        self.network.trainable = self.trainable

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.normalize_input:
            x = torchvision_normalize(x)
        return self.network(x)

    def compute_output_shape(self, input_shape):
        return self.network.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layer_names": list(self.layer_names),
                "weights": self.weights_source,
                "normalize_input": self.normalize_input,
                "before_activation": self.before_activation,
            }
        )
        return config
