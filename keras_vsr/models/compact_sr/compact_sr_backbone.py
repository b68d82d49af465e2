import keras

from keras_vsr.layers import PixelShuffleNearestResidual
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.serialization import register

ACTIVATIONS = ("prelu", "relu", "leaky_relu")


def _activation(name, dtype, layer_name):
    if name == "prelu":
        return keras.layers.PReLU(shared_axes=[1, 2], dtype=dtype, name=layer_name)
    if name == "relu":
        return keras.layers.ReLU(dtype=dtype, name=layer_name)
    return keras.layers.LeakyReLU(negative_slope=0.1, dtype=dtype, name=layer_name)


@register
class CompactSRBackbone(SRBackbone):
    """A plain VGG-style super-resolution network (Real-ESRGAN's
    SRVGGNetCompact, Wang et al. 2021).

    conv (head) -> activation -> `num_conv` x (3x3 conv -> activation) ->
    3x3 conv to `channels * scale**2` -> pixel shuffle, plus the input
    upsampled with nearest neighbours. All convolutions work at the input
    resolution, which makes it one of the fastest networks per output pixel.

    Takes float images in [0, 1] of any size, `(batch, h, w, channels)`,
    returns `(batch, h * scale, w * scale, channels)`.

    Args:
        scale: int, 1 to 8. Default 4.
        num_conv: int, convolutions in the body. Default 16
            (realesr-animevideov3; realesr-general-x4v3 has 32).
        filters: int, feature channels. Default 64.
        activation: `"prelu"` (one slope per channel, the default),
            `"relu"` or `"leaky_relu"` (slope 0.1).
        channels: int, image channels. Default 3.
        dtype: dtype policy for the layers.
    """

    config_keys = ("scale", "num_conv", "filters", "activation", "channels")

    def __init__(
        self,
        scale=4,
        num_conv=16,
        filters=64,
        activation="prelu",
        channels=3,
        dtype=None,
        **kwargs,
    ):
        if int(scale) != scale or not 1 <= scale <= 8:
            raise ValueError(f"`scale` must be an integer from 1 to 8. Received: scale={scale}")
        if num_conv < 0:
            raise ValueError(f"`num_conv` must be >= 0. Received: num_conv={num_conv}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"`activation` must be one of {ACTIVATIONS}. Received: activation={activation!r}")
        scale = int(scale)

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = keras.layers.Conv2D(filters, 3, padding="same", dtype=dtype, name="head_conv")(inputs)
        x = _activation(activation, dtype, "head_act")(x)
        for i in range(num_conv):
            x = keras.layers.Conv2D(filters, 3, padding="same", dtype=dtype, name=f"body_conv_{i}")(x)
            x = _activation(activation, dtype, f"body_act_{i}")(x)
        x = keras.layers.Conv2D(channels * scale * scale, 3, padding="same", dtype=dtype, name="tail_conv")(x)
        # The shuffle and the nearest-neighbour image residual in one step at
        # the input resolution (the costliest part of the small networks is
        # what runs at the output size).
        outputs = PixelShuffleNearestResidual(scale, dtype=dtype, name="pixel_shuffle")([x, inputs])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = scale
        self.num_conv = num_conv
        self.filters = filters
        self.activation = activation
        self.channels = channels

    @property
    def receptive_radius(self):
        """LR pixels each output pixel depends on, on every side: one per 3x3
        conv (head, body, tail), all at the input resolution."""
        return self.num_conv + 2
