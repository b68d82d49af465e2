"""Feature-space losses: VGG perceptual loss (SRGAN) and the "hyperpixel"
content loss (SRWGAN).

Both compare the feature maps that a frozen, pretrained CNN computes for the
prediction and for the target. Images are RGB in [0, 1]; each backbone
normalises them the way its weights were trained:

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
from keras_vsr.utils.weights import vgg16_weights_path

VGG16_LAYER_NAMES = (
    "block1_conv1", "block1_conv2", "block1_pool",
    "block2_conv1", "block2_conv2", "block2_pool",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool",
)

# The layers that SRWGAN's `hyperimg_ids=[2, 7, 10, 14]` pick from
# `tf.keras.applications.ResNet50(include_top=False).layers`; Keras 3 lists
# ResNet50's layers in the same order. All four are convolutions before their
# batch normalisation.
RESNET50_HYPERPIXEL_LAYERS = (2, 7, 10, 14)
RESNET50_HYPERPIXEL_LAYER_NAMES = (
    "conv1_conv",           # 2: 7x7 stride-2 stem convolution, 64 channels, H/2
    "conv2_block1_1_conv",  # 7: first 1x1 of the first bottleneck, 64 channels, H/4
    "conv2_block1_2_conv",  # 10: its 3x3, 64 channels, H/4
    "conv2_block1_3_conv",  # 14: its 1x1 expansion, 256 channels, H/4 (residual branch)
)
VGG16_HYPERPIXEL_LAYER_NAMES = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")

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


def _vgg16_weights_file(weights):
    """None, or the path of a VGG16 weights file for `weights`."""
    if weights is None:
        return None
    if weights == "torchvision":
        return vgg16_weights_path()
    if isinstance(weights, (str, Path)) and Path(weights).expanduser().is_file():
        return Path(weights).expanduser()
    raise ValueError(
        "`weights` must be 'torchvision', the path of an existing VGG16 weights "
        f"file, or None. Received: weights={weights!r}"
    )


def _resolve_layer_names(backbone, layers):
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


def _feature_model(backbone, layer_names, name):
    """A `keras.Model` from `backbone`'s input to a dict of the named layers'
    outputs, keyed by layer name."""
    outputs = {n: backbone.get_layer(n).output for n in layer_names}
    return keras.Model(backbone.input, outputs, name=name)


def _check_layers(layers, argument):
    if isinstance(layers, (str, int)) or not layers:
        raise ValueError(f"`{argument}` must be a non-empty list. Received: {argument}={layers!r}")
    return list(layers)


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
        trainable=False,
        **kwargs,
    ):
        super().__init__(trainable=trainable, **kwargs)
        layer_names = _check_layers(layer_names, "layer_names")
        for name in layer_names:
            if name not in VGG16_LAYER_NAMES:
                raise ValueError(
                    f"Unknown VGG16 layer {name!r}. Received: layer_names={layer_names}; "
                    f"expected names from {VGG16_LAYER_NAMES}"
                )
        self.layer_names = layer_names
        self.weights_source = weights if weights is None else str(weights)
        self.normalize_input = bool(normalize_input)

        vgg = keras.applications.VGG16(
            include_top=False, weights=None, input_shape=(None, None, 3)
        )
        weights_file = _vgg16_weights_file(weights)
        if weights_file is not None:
            vgg.load_weights(weights_file)
        self.network = _feature_model(vgg, layer_names, "vgg16_features")
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
            }
        )
        return config


def _per_image_mean(x):
    return ops.mean(x, axis=tuple(range(1, len(x.shape))))


_CRITERIA = {
    "l1": lambda d: ops.abs(d),
    "mse": lambda d: ops.square(d),
}


@register
class PerceptualLoss(keras.losses.Loss):
    """VGG16 perceptual loss (Johnson et al. 2016; SRGAN's VGG content loss).

    `sum_i layer_weights[i] * criterion(phi_i(y_pred) - phi_i(y_true))`, where
    `phi_i` is the VGG16 feature map `layer_names[i]` and `criterion` is
    averaged over the map; one value per image. The target's features carry
    no gradient.

    Args:
        layer_names: list of str, default `("block5_conv3",)` (relu5_3, the
            VGG16 counterpart of SRGAN's VGG54).
        weights: str, `pathlib.Path` or None, default "torchvision": as in
            `VGGFeatureExtractor` ("torchvision", a weights file, or None
            for random initialisation).
        layer_weights: list of float or None, default None: one weight per
            layer name; None weighs every layer 1.0.
        criterion: str, default "l1": "l1" (mean absolute difference, as
            BasicSR's default) or "mse" (mean squared difference, as SRGAN).
        name: str, default "perceptual".
        **kwargs: base `keras.losses.Loss` arguments (`reduction`, `dtype`).

    Call arguments:
        y_true, y_pred: `(batch, height, width, 3)` RGB in [0, 1].
    """

    def __init__(
        self,
        layer_names=("block5_conv3",),
        weights="torchvision",
        layer_weights=None,
        criterion="l1",
        name="perceptual",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        layer_names = _check_layers(layer_names, "layer_names")
        if layer_weights is None:
            layer_weights = [1.0] * len(layer_names)
        if len(layer_weights) != len(layer_names):
            raise ValueError(
                "`layer_weights` needs one weight per layer name. Received: "
                f"layer_weights={layer_weights} for layer_names={layer_names}"
            )
        if criterion not in _CRITERIA:
            raise ValueError(
                f"`criterion` must be one of {sorted(_CRITERIA)}. Received: criterion={criterion!r}"
            )
        self.layer_names = layer_names
        self.layer_weights = [float(w) for w in layer_weights]
        self.criterion = criterion
        self.weights_source = weights if weights is None else str(weights)
        self.extractor = VGGFeatureExtractor(layer_names, weights=weights, name="vgg16")

    def call(self, y_true, y_pred):
        y_true = ops.stop_gradient(ops.cast(y_true, y_pred.dtype))
        pred_features = self.extractor(y_pred)
        true_features = self.extractor(y_true)
        criterion = _CRITERIA[self.criterion]
        total = 0.0
        for name, weight in zip(self.layer_names, self.layer_weights):
            diff = pred_features[name] - true_features[name]
            total = total + weight * _per_image_mean(criterion(diff))
        return total

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layer_names": list(self.layer_names),
                "weights": self.weights_source,
                "layer_weights": list(self.layer_weights),
                "criterion": self.criterion,
            }
        )
        return config


_HYPERPIXEL_BACKBONES = ("vgg16", "resnet50")


def _hyperpixel_network(backbone, layers, weights):
    """(feature model, layer names, preprocessing) for `HyperpixelContentLoss`."""
    if backbone == "vgg16":
        if weights in ("pretrained", "torchvision"):
            weights = "torchvision"
        vgg = keras.applications.VGG16(
            include_top=False, weights=None, input_shape=(None, None, 3)
        )
        weights_file = _vgg16_weights_file(weights)
        if weights_file is not None:
            vgg.load_weights(weights_file)
        names = _resolve_layer_names(vgg, layers)
        return _feature_model(vgg, names, "vgg16_hyperpixels"), names, torchvision_normalize
    if weights in ("pretrained", "imagenet"):
        weights = "imagenet"  # Keras downloads these on first use.
    elif weights is not None and not Path(weights).expanduser().is_file():
        raise ValueError(
            "For backbone='resnet50', `weights` must be 'pretrained', 'imagenet', the "
            f"path of an existing ResNet50 weights file, or None. Received: weights={weights!r}"
        )
    resnet = keras.applications.ResNet50(
        include_top=False,
        weights=weights if weights in (None, "imagenet") else None,
        input_shape=(None, None, 3),
    )
    if weights not in (None, "imagenet"):
        resnet.load_weights(Path(weights).expanduser())
    names = _resolve_layer_names(resnet, layers)
    return _feature_model(resnet, names, "resnet50_hyperpixels"), names, caffe_normalize


@register
class HyperpixelContentLoss(keras.losses.Loss):
    """SRWGAN's content loss on "hyperpixels" of a frozen pretrained CNN.

    Intermediate feature maps of the backbone are resized (bilinear, without
    antialiasing) to one spatial size and concatenated along channels, so
    that each pixel carries a "hyperpixel" of features from several depths;
    the loss is the mean squared difference of the prediction's and the
    target's hyperpixel maps, one value per image.

    SRWGAN (a Keras WGAN-GP super-resolution project) takes
    `tf.keras.applications.ResNet50(include_top=False).layers[i]` for
    `i in (2, 7, 10, 14)`: `conv1_conv`, `conv2_block1_1_conv`,
    `conv2_block1_2_conv`, `conv2_block1_3_conv` (see
    `RESNET50_HYPERPIXEL_LAYER_NAMES`). Its code averages the MSE of each
    map instead of concatenating them (`combine="mean"` here) and feeds
    images in [-1, 1] to ResNet50 without ImageNet preprocessing; here every
    backbone gets the preprocessing its weights expect.

    Args:
        backbone: str, default "vgg16": "vgg16" or "resnet50".
        layers: list of str or int, or None, default None: layer names, or
            indices into the Keras backbone's `layers` list (0 is the input
            layer), as SRWGAN gives them. None means
            `VGG16_HYPERPIXEL_LAYER_NAMES` (relu1_2, relu2_2, relu3_3,
            relu4_3) for VGG16 and `RESNET50_HYPERPIXEL_LAYERS` for ResNet50.
        weights: str, `pathlib.Path` or None, default "pretrained": the
            backbone's ImageNet weights ("torchvision" for VGG16, converted
            offline by `tools/convert_vgg16_lpips.py`; "imagenet" for
            ResNet50, which Keras downloads on first use), a weights file for
            the Keras backbone (`include_top=False`), or None for random
            initialisation.
        output_size: tuple of 2 int or None, default None: the common
            `(height, width)` of the hyperpixel map; None means the size of
            the first layer's feature map, which must then be known when
            tracing (pass `output_size` for inputs of run-time size in a
            TensorFlow graph).
        combine: str, default "concat": "concat" compares the concatenated
            hyperpixel maps; "mean" averages the per-layer MSEs without
            resizing (SRWGAN's code).
        name: str, default "hyperpixel_content".
        **kwargs: base `keras.losses.Loss` arguments.

    Call arguments:
        y_true, y_pred: `(batch, height, width, 3)` RGB in [0, 1].
    """

    def __init__(
        self,
        backbone="vgg16",
        layers=None,
        weights="pretrained",
        output_size=None,
        combine="concat",
        name="hyperpixel_content",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if backbone not in _HYPERPIXEL_BACKBONES:
            raise ValueError(
                f"`backbone` must be one of {_HYPERPIXEL_BACKBONES}. "
                f"Received: backbone={backbone!r}"
            )
        if combine not in ("concat", "mean"):
            raise ValueError(f"`combine` must be 'concat' or 'mean'. Received: combine={combine!r}")
        if output_size is not None:
            output_size = tuple(int(s) for s in output_size)
            if len(output_size) != 2 or min(output_size) < 1:
                raise ValueError(
                    "`output_size` must be (height, width) of positive ints. "
                    f"Received: output_size={output_size}"
                )
        if layers is None:
            layers = (
                VGG16_HYPERPIXEL_LAYER_NAMES if backbone == "vgg16" else RESNET50_HYPERPIXEL_LAYERS
            )
        self.backbone = backbone
        self.layers = _check_layers(layers, "layers")
        self.weights_source = weights if weights is None else str(weights)
        self.output_size = output_size
        self.combine = combine
        # `layer_names`: the Keras names of `layers`, in the same order.
        self.network, self.layer_names, self.preprocess = _hyperpixel_network(
            backbone, self.layers, weights
        )
        self.network.trainable = False

    def _features(self, images):
        features = self.network(self.preprocess(images), training=False)
        return [features[name] for name in self.layer_names]

    def hyperpixels(self, images):
        """The `(batch, h, w, channels)` hyperpixel map of RGB images in [0, 1]."""
        features = self._features(ops.convert_to_tensor(images))
        size = self.output_size or _spatial_size(features[0])
        return ops.concatenate([_resize(f, size) for f in features], axis=-1)

    def call(self, y_true, y_pred):
        y_true = ops.stop_gradient(ops.cast(y_true, y_pred.dtype))
        if self.combine == "concat":
            diff = self.hyperpixels(y_pred) - self.hyperpixels(y_true)
            return _per_image_mean(ops.square(diff))
        pred_features = self._features(y_pred)
        true_features = self._features(y_true)
        per_layer = [
            _per_image_mean(ops.square(p - t)) for p, t in zip(pred_features, true_features)
        ]
        return ops.mean(ops.stack(per_layer, axis=0), axis=0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": self.backbone,
                "layers": list(self.layers),
                "weights": self.weights_source,
                "output_size": self.output_size,
                "combine": self.combine,
            }
        )
        return config


def _static_size(features):
    """`(height, width)` as ints, or None if either is only known at run time."""
    size = tuple(features.shape[1:3])
    return size if all(isinstance(d, int) for d in size) else None


def _spatial_size(features):
    size = _static_size(features)
    if size is None:
        raise ValueError(
            "The first feature map's height and width are only known at run time "
            f"(shape {features.shape}), and `keras.ops.image.resize` needs a fixed "
            "size: pass `output_size=(height, width)` to HyperpixelContentLoss."
        )
    return size


def _resize(features, size):
    """Bilinear resize to `size`, skipped when the size already matches."""
    if _static_size(features) == tuple(size):
        return features
    return ops.image.resize(features, size, interpolation="bilinear")
