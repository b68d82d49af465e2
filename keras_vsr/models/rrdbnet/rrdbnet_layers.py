import keras
from keras import ops

from keras_vsr.utils.serialization import register


@register
class ResidualDenseBlock(keras.layers.Layer):
    """ESRGAN's residual dense block: five 3x3 convolutions, each fed the
    concatenation of the input and every earlier output, LeakyReLU (0.2)
    after the first four; the fifth (back to the input's channels) is scaled
    by `res_scale` and added to the input.

    Args:
        filters: int, input and output channels.
        growth: int, channels of each of the first four convolutions.
        res_scale: float, residual scaling. Default 0.2.
    """

    def __init__(self, filters, growth, res_scale=0.2, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.growth = growth
        self.res_scale = res_scale
        self.convs = [
            keras.layers.Conv2D(
                growth if i < 4 else filters, 3, padding="same", dtype=self.dtype_policy, name=f"conv{i + 1}"
            )
            for i in range(5)
        ]

    def build(self, input_shape):
        for i, conv in enumerate(self.convs):
            conv.build(tuple(input_shape[:-1]) + (self.filters + i * self.growth,))
        self.built = True

    def call(self, inputs):
        features = [inputs]
        for conv in self.convs[:4]:
            features.append(ops.leaky_relu(conv(ops.concatenate(features, axis=-1)), 0.2))
        return self.convs[4](ops.concatenate(features, axis=-1)) * self.res_scale + inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "growth": self.growth, "res_scale": self.res_scale}


@register
class RRDB(keras.layers.Layer):
    """Residual-in-residual dense block (Wang et al. 2018): three
    `ResidualDenseBlock`s (`rdb1`..`rdb3`) in a row, scaled by `res_scale`
    and added to the input.

    Args:
        filters: int, input and output channels.
        growth: int, the dense blocks' growth channels.
        res_scale: float, residual scaling (also inside the dense blocks).
            Default 0.2.
    """

    def __init__(self, filters, growth, res_scale=0.2, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.growth = growth
        self.res_scale = res_scale
        self.blocks = [
            ResidualDenseBlock(filters, growth, res_scale, dtype=self.dtype_policy, name=f"rdb{i + 1}")
            for i in range(3)
        ]

    def build(self, input_shape):
        for block in self.blocks:
            block.build(input_shape)
        self.built = True

    def call(self, inputs):
        x = inputs
        for block in self.blocks:
            x = block(x)
        return x * self.res_scale + inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "growth": self.growth, "res_scale": self.res_scale}


@register
class CropToScaledInput(keras.layers.Layer):
    """`[outputs, inputs]` -> `outputs[:, :h * scale, :w * scale]` for
    inputs of size `h x w`: drops what padding the input added.

    Args:
        scale: int, the model's factor from `inputs` to `outputs`.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        outputs, images = inputs
        shape = ops.shape(images)
        return outputs[:, : shape[1] * self.scale, : shape[2] * self.scale]

    def compute_output_shape(self, input_shape):
        (b, _, _, c), (_, h, w, _) = input_shape
        return (b, None if h is None else h * self.scale, None if w is None else w * self.scale, c)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
