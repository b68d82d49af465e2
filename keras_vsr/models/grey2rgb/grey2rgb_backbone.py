import keras

from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.checks import positive_ints
from keras_vsr.utils.serialization import register


@register
class Grey2RGBBackbone(SRBackbone):
    """Colouriser: a convolutional encoder-decoder from grey to RGB.

    Input `(batch, h, w, 1)` grey in [0, 1], `h` and `w` multiples of
    `2 ** depth` (`Grey2RGBColorizer.colorize` pads any size); output
    `(batch, h, w, 3)` RGB in [0, 1] (sigmoid).

    conv-BN-ReLU at full resolution, then `depth` strided conv-BN-ReLU steps
    (channels doubled at each), then `depth` transposed-conv-BN-ReLU steps
    back up; with `skip_connections` the encoder features of equal
    resolution are concatenated before a conv-BN-ReLU at each decoder step
    (U-Net style), which keeps the edges of the grey input sharp.

    Args:
        filters: int >= 1, channels at full resolution. Default 16.
        depth: int >= 1, down/up-sampling steps. Default 3.
        skip_connections: bool. Default True.
        dtype: dtype policy for the layers. Default None.
    """

    config_keys = ("filters", "depth", "skip_connections")

    def __init__(self, filters=16, depth=3, skip_connections=True, dtype=None, **kwargs):
        f, depth = positive_ints((("filters", filters), ("depth", depth)))

        def conv_bn_relu(x, n, name, strides=1, transpose=False):
            layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
            x = layer(n, 3, strides=strides, padding="same", use_bias=False, dtype=dtype, name=f"{name}_conv")(x)
            x = keras.layers.BatchNormalization(momentum=0.9, dtype=dtype, name=f"{name}_bn")(x)
            return keras.layers.ReLU(dtype=dtype, name=f"{name}_relu")(x)

        inputs = keras.Input(shape=(None, None, 1), name="grey")
        x = conv_bn_relu(inputs, f, "stem")
        skips = [x]
        for i in range(depth):
            x = conv_bn_relu(x, f * 2 ** (i + 1), f"down_{i}", strides=2)
            skips.append(x)
        for i in reversed(range(depth)):
            x = conv_bn_relu(x, f * 2**i, f"up_{i}", strides=2, transpose=True)
            if skip_connections:
                x = keras.layers.Concatenate(dtype=dtype, name=f"skip_{i}")([x, skips[i]])
                x = conv_bn_relu(x, f * 2**i, f"fuse_{i}")
        outputs = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid", dtype=dtype, name="rgb")(x)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = 1
        self.size_multiple = 2**depth
        self.filters = f
        self.depth = depth
        self.skip_connections = bool(skip_connections)
