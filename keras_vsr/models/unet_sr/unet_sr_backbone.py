"""U-Net SR: an encoder-decoder refining a bicubic-resized image of any size.

Pre-upsampling design: the low-resolution image is first resized with
MATLAB bicubic to the requested output size (any size, any aspect, any
factor, e.g. 720p -> 1080p, x1.5, x2, 1366x768, 4K), then the U-Net
predicts the missing detail at that size and adds it to the resized image:

    x = bicubic_resize(lr, size)          # outside the network, NumPy
    y = x + unet(x)                       # UNetSRBackbone, any input size

`UNetSRBackbone` is the network from `x` to `y`; `SuperResolver.upscale(
image, size=(h, w))` or `upscale(image, scale=1.5)` does the resize first.
One trained model serves every factor it was trained on (the bundled
preset: factors drawn between 1.25 and 4). The price is that the network
runs at the output resolution.
"""

import numpy as np
import keras
from keras import ops

from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.checks import positive_int
from keras_vsr.utils.image_ops import symmetric_pad
from keras_vsr.utils.imresize import bicubic_resize  # noqa: F401 (re-exported)
from keras_vsr.utils.serialization import register


@register
class PadToMultiple(keras.layers.Layer):
    """Pad height and width at the bottom/right up to a multiple of `multiple`.

    Symmetric (mirror, edge included) padding, computed from the dynamic
    shape, so any input size works on every backend; `CropLike` cuts the
    result back.

    Args:
        multiple: int >= 1.
    """

    def __init__(self, multiple, **kwargs):
        super().__init__(**kwargs)
        self.multiple = positive_int(multiple, "multiple")

    def call(self, inputs):
        if self.multiple == 1:
            return inputs
        m = self.multiple
        shape = ops.shape(inputs)
        return symmetric_pad(inputs, (0, (-shape[1]) % m), (0, (-shape[2]) % m))

    def compute_output_shape(self, input_shape):
        m = self.multiple

        def up(n):
            return None if n is None else -(-n // m) * m

        return (input_shape[0], up(input_shape[1]), up(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@register
class CropLike(keras.layers.Layer):
    """Crop `inputs[0]` to the height and width of `inputs[1]` (top-left kept)."""

    def call(self, inputs):
        x, reference = inputs
        shape = ops.shape(reference)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shape):
        x, reference = input_shape
        return (x[0], reference[1], reference[2], x[3])


@register
class UNetSRBackbone(SRBackbone):
    """U-Net that adds detail to an image already bicubic-resized to the output size.

    Encoder: at each level, `convs_per_level` 3x3 convolutions + ReLU, then
    a stride-2 3x3 convolution to the next level (`filters[l + 1]`).
    Decoder: a 2x2 stride-2 `Conv2DTranspose` up, concatenation with the
    encoder features of the same resolution (skip connection), then
    `convs_per_level` 3x3 convolutions. A 3x3 convolution maps to `channels`
    and the input is added (global residual): the output is the input plus
    the predicted detail. That last convolution starts at zero, so an
    untrained model is exactly the bicubic resize (a random residual at
    initialisation makes ReLU networks collapse to zero output early in
    training). Inputs of any size work: they are padded
    (symmetric) to a multiple of `2 ** (len(filters) - 1)` and cropped back.

    The input is the low-resolution image resized with bicubic to the
    target size (`SuperResolver.upscale(image, size=...)` / `scale=...` does
    this), so `scale` is 1 and `resize_input` is True.

    Args:
        filters: tuple of ints, feature channels per pyramid level, from
            full resolution down; `len(filters) - 1` downsamplings.
            Default `(32, 64, 128)`.
        convs_per_level: int >= 1, 3x3 convolutions per level and per
            direction. Default 2.
        default_scale: number > 0, the factor `SuperResolver.upscale` uses
            when given neither `size` nor `scale`. Default 2.
        channels: int, image channels. Default 3.
        dtype: dtype policy for the layers.
    """

    resize_input = True
    config_keys = ("filters", "convs_per_level", "default_scale", "channels")

    def __init__(self, filters=(32, 64, 128), convs_per_level=2, default_scale=2, channels=3, dtype=None, **kwargs):
        if isinstance(filters, (int, np.integer)) or not filters:
            raise ValueError(f"`filters` must be a non-empty tuple of ints. Received: filters={filters!r}")
        filters = tuple(filters)
        if any(isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f < 1 for f in filters):
            raise ValueError(f"`filters` must hold positive ints. Received: filters={filters!r}")
        filters = tuple(int(f) for f in filters)
        convs_per_level = positive_int(convs_per_level, "convs_per_level")
        if isinstance(default_scale, bool) or not isinstance(default_scale, (int, float, np.integer, np.floating)) or not default_scale > 0:
            raise ValueError(f"`default_scale` must be a number > 0. Received: default_scale={default_scale!r}")
        depth = len(filters) - 1

        def conv(f, name, activation="relu", **kw):
            return keras.layers.Conv2D(f, 3, padding="same", activation=activation, dtype=dtype, name=name, **kw)

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = PadToMultiple(2**depth, dtype=dtype, name="pad")(inputs)
        padded = x
        skips = []
        for level, f in enumerate(filters):
            if level > 0:
                x = conv(f, f"down_{level}", strides=2)(x)
            for i in range(convs_per_level):
                x = conv(f, f"enc_{level}_conv_{i}")(x)
            skips.append(x)
        for level in range(depth - 1, -1, -1):
            f = filters[level]
            x = keras.layers.Conv2DTranspose(f, 2, strides=2, dtype=dtype, name=f"up_{level}")(x)
            x = keras.layers.Concatenate(dtype=dtype, name=f"skip_{level}")([x, skips[level]])
            for i in range(convs_per_level):
                x = conv(f, f"dec_{level}_conv_{i}")(x)
        x = conv(channels, "tail_conv", activation=None, kernel_initializer="zeros")(x)
        x = keras.layers.Add(dtype=dtype, name="image_residual")([x, padded])
        outputs = CropLike(dtype=dtype, name="crop")([x, inputs])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.filters = filters
        self.convs_per_level = convs_per_level
        self.default_scale = default_scale
        self.channels = channels
        self.scale = 1

    @property
    def size_multiple(self):
        """Inputs are padded to a multiple of `2**(len(filters) - 1)`, the
        grid of the strided convolutions; tiles start on it
        (`keras_vsr.utils.tiling.upscale_tiled`)."""
        return 2 ** (len(self.filters) - 1)

    @property
    def receptive_radius(self):
        """Input pixels each output pixel depends on, on every side (the
        input is the bicubic-resized image): `convs_per_level` 3x3 convs on
        each level, `2**level` pixels each, down (encoder, every level) and
        up (decoder, every level but the deepest); 3 pixels of the finer
        level per strided down-conv and transposed up-conv pair; the tail
        conv. 30 for the default `(32, 64, 128)` with 2 convs."""
        depth = len(self.filters) - 1
        convs = self.convs_per_level * (2 ** (depth + 1) - 1 + 2**depth - 1)
        return convs + 3 * (2**depth - 1) + 1
