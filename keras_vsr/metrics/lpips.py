"""LPIPS, the learned perceptual image patch similarity (Zhang et al. 2018),
VGG variant, v0.1 linear heads, in `keras.ops`.

For RGB images in [0, 1]:

1. scale to [-1, 1], then LPIPS' ScalingLayer: `(x - shift) / scale` with
   shift (-0.030, -0.088, -0.188), scale (0.458, 0.448, 0.450);
2. torchvision's ImageNet VGG16 up to relu1_2, relu2_2, relu3_3, relu4_3,
   relu5_3 (Keras' `block1_conv2`, `block2_conv2`, `block3_conv3`,
   `block4_conv3`, `block5_conv3`, whose ReLU is fused);
3. divide each feature vector by its L2 norm over channels (plus 1e-10);
4. square the difference of the two images' normalised features, weigh the
   channels with the stage's non-negative 1x1 linear head, sum them;
5. average over space and sum over the five stages.

Lower is more similar; identical images give 0. The weights are converted
offline by `tools/convert_vgg16_lpips.py` (see `keras_vsr.utils.weights`).
"""

import functools

import numpy as np
import keras
from keras import ops

from keras_vsr.layers.vgg_features import VGGFeatureExtractor
from keras_vsr.utils.serialization import register
from keras_vsr.utils.weights import (
    LPIPS_HEADS_FILE,
    VGG16_WEIGHTS_FILE,
    converted_weights_path,
    default_weights_dir,
)

LPIPS_LAYER_NAMES = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
LPIPS_CHANNELS = (64, 128, 256, 512, 512)
LPIPS_SHIFT = np.array([-0.030, -0.088, -0.188], dtype="float32")
LPIPS_SCALE = np.array([0.458, 0.448, 0.450], dtype="float32")


def _unit_normalize(features, eps=1e-10):
    norm = ops.sqrt(ops.sum(ops.square(features), axis=-1, keepdims=True))
    return features / (norm + eps)


@register
class LPIPSDistance(keras.layers.Layer):
    """LPIPS (VGG, v0.1) distance between two batches of RGB images in [0, 1].

    The layer is frozen: the VGG16 weights and the linear heads are loaded
    from the converted files and are not trainable.

    Args:
        weights_dir: str, `pathlib.Path` or None, default None: the folder
            holding the converted files; None means
            `keras_vsr.utils.weights.default_weights_dir()`.
        trainable: bool, default False: whether the VGG16 weights train
            (the linear heads never do).
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        images_0, images_1: `(batch, height, width, 3)` RGB tensors in
            [0, 1]. Height and width should be at least 16 so that relu5_3
            (1/16 of the input size) is not empty.

    Returns:
        `(batch,)` tensor of distances.

    Raises:
        FileNotFoundError: if the converted weights are missing.
    """

    def __init__(self, weights_dir=None, trainable=False, **kwargs):
        super().__init__(trainable=trainable, **kwargs)
        self.weights_dir = None if weights_dir is None else str(weights_dir)
        self.vgg = VGGFeatureExtractor(
            LPIPS_LAYER_NAMES,
            weights=converted_weights_path(VGG16_WEIGHTS_FILE, self.weights_dir),
            normalize_input=False,
            name="vgg16",
        )
        with np.load(converted_weights_path(LPIPS_HEADS_FILE, self.weights_dir)) as heads:
            for name, channels in zip(LPIPS_LAYER_NAMES, LPIPS_CHANNELS):
                if heads[name].shape != (channels,):
                    raise ValueError(
                        f"LPIPS head {name} should have shape ({channels},). "
                        f"Received: {heads[name].shape}"
                    )
            head_values = [heads[name] for name in LPIPS_LAYER_NAMES]
        self.heads = [
            self.add_weight(
                shape=(channels,),
                initializer=keras.initializers.Constant(values),
                trainable=False,
                name=f"head_{name}",
            )
            for name, channels, values in zip(LPIPS_LAYER_NAMES, LPIPS_CHANNELS, head_values)
        ]

    def _features(self, images):
        x = ops.cast(images, self.compute_dtype) * 2.0 - 1.0
        x = (x - ops.cast(LPIPS_SHIFT, x.dtype)) / ops.cast(LPIPS_SCALE, x.dtype)
        return self.vgg(x)

    def call(self, images_0, images_1):
        features_0 = self._features(images_0)
        features_1 = self._features(images_1)
        total = 0.0
        for name, head in zip(LPIPS_LAYER_NAMES, self.heads):
            diff = ops.square(_unit_normalize(features_0[name]) - _unit_normalize(features_1[name]))
            weighted = ops.sum(diff * ops.cast(head, diff.dtype), axis=-1)
            total = total + ops.mean(weighted, axis=(1, 2))
        return total

    def compute_output_shape(self, images_0_shape, images_1_shape=None):
        return (images_0_shape[0],)

    def get_config(self):
        return {**super().get_config(), "weights_dir": self.weights_dir}


@functools.lru_cache(maxsize=2)
def _shared_distance(weights_dir):
    return LPIPSDistance(weights_dir=weights_dir)


def lpips(img1, img2, weights_dir=None):
    """LPIPS (VGG, v0.1) between two 8-bit RGB images.

    Args:
        img1, img2: `(height, width, 3)` arrays with values in [0, 255],
            same shape, height and width at least 16.
        weights_dir: str, `pathlib.Path` or None, default None: folder of the
            converted weights (None: the default cache folder).

    Returns:
        float; 0 for identical images.

    Raises:
        ValueError: if the shapes differ or are not `(height, width, 3)`.
        FileNotFoundError: if the converted weights are missing.
    """
    a, b = np.asarray(img1), np.asarray(img2)
    if a.shape != b.shape:
        raise ValueError(f"Images must have the same shape. Received: {a.shape} and {b.shape}")
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(f"Expected (height, width, 3) RGB images. Received shape {a.shape}")
    a = a[None].astype("float32") / 255.0
    b = b[None].astype("float32") / 255.0
    distance = _shared_distance(str(weights_dir or default_weights_dir()))
    return float(ops.convert_to_numpy(distance(a, b))[0])


@register
class LPIPS(keras.metrics.Mean):
    """Mean LPIPS (VGG, v0.1) of float RGB images in [0, 1], for
    `compile(metrics=...)`. Lower is better.

    Predictions are clipped to [0, 1] first.

    Args:
        weights_dir: str, `pathlib.Path` or None, default None: folder of the
            converted weights (None: the default cache folder).
        name: str, default "lpips".
        dtype: dtype of the metric's state, default None (float32).
    """

    def __init__(self, weights_dir=None, name="lpips", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.weights_dir = None if weights_dir is None else str(weights_dir)
        self.distance = LPIPSDistance(weights_dir=self.weights_dir)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.clip(y_pred, 0.0, 1.0)
        values = self.distance(y_true, y_pred)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "weights_dir": self.weights_dir}
