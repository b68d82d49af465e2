"""Feature-space losses: VGG perceptual loss (SRGAN) and the "hyperpixel"
content loss (SRWGAN).

Both compare the feature maps that a frozen, pretrained CNN computes for the
prediction and for the target; `keras_vsr.layers.vgg_features` builds the
networks and normalises the images as each backbone's weights expect.
"""

from pathlib import Path

import keras
from keras import ops

from keras_vsr.layers.vgg_features import (
    VGGFeatureExtractor,
    caffe_normalize,
    feature_model,
    layer_list,
    resolve_layer_names,
    torchvision_normalize,
    vgg16,
)
from keras_vsr.losses.pixel import per_image_mean
from keras_vsr.utils.serialization import register

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
        before_activation: bool, default False: compare convolution
            outputs before their ReLU (ESRGAN, Real-ESRGAN).
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
        before_activation=False,
        name="perceptual",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        layer_names = layer_list(layer_names, "layer_names")
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
        self.before_activation = bool(before_activation)
        self.extractor = VGGFeatureExtractor(
            layer_names, weights=weights, before_activation=self.before_activation, name="vgg16"
        )

    def call(self, y_true, y_pred):
        y_true = ops.stop_gradient(ops.cast(y_true, y_pred.dtype))
        pred_features = self.extractor(y_pred)
        true_features = self.extractor(y_true)
        criterion = _CRITERIA[self.criterion]
        total = 0.0
        for name, weight in zip(self.layer_names, self.layer_weights):
            diff = pred_features[name] - true_features[name]
            total = total + weight * per_image_mean(criterion(diff))
        return total

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layer_names": list(self.layer_names),
                "weights": self.weights_source,
                "layer_weights": list(self.layer_weights),
                "criterion": self.criterion,
                "before_activation": self.before_activation,
            }
        )
        return config


_HYPERPIXEL_BACKBONES = ("vgg16", "resnet50")


def _hyperpixel_network(backbone, layers, weights):
    """(feature model, layer names, preprocessing) for `HyperpixelContentLoss`."""
    if backbone == "vgg16":
        vgg = vgg16("torchvision" if weights == "pretrained" else weights)
        names = resolve_layer_names(vgg, layers)
        return feature_model(vgg, names, "vgg16_hyperpixels"), names, torchvision_normalize
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
    names = resolve_layer_names(resnet, layers)
    return feature_model(resnet, names, "resnet50_hyperpixels"), names, caffe_normalize


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
        self.layers = layer_list(layers, "layers")
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
            return per_image_mean(ops.square(diff))
        pred_features = self._features(y_pred)
        true_features = self._features(y_true)
        per_layer = [
            per_image_mean(ops.square(p - t)) for p, t in zip(pred_features, true_features)
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
