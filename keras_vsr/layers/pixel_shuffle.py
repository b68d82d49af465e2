import keras
from keras import ops

from keras_vsr.utils.serialization import register


def depth_to_space(x, block_size):
    """Rearrange channels into spatial blocks (NHWC, TensorFlow ordering).

    Channel index `(dy * block_size + dx) * C + c` of the input becomes pixel
    `(y * block_size + dy, x * block_size + dx)` of output channel `c`, the
    same ordering as `tf.nn.depth_to_space`.

    Args:
        x: tensor of shape `(batch, height, width, channels)`, `channels`
            divisible by `block_size ** 2`.
        block_size: int, the upscaling factor.

    Returns:
        Tensor of shape `(batch, height * r, width * r, channels / r**2)`.
    """
    r = int(block_size)
    shape = ops.shape(x)
    h, w, c = shape[1], shape[2], shape[3]
    out_c = c // (r * r)
    x = ops.reshape(x, (-1, h, w, r, r, out_c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, h * r, w * r, out_c))


def check_scale(scale):
    """Return `scale` as an int, or raise a ValueError unless it is >= 1."""
    if int(scale) != scale or scale < 1:
        raise ValueError(f"`scale` must be a positive integer. Received: scale={scale}")
    return int(scale)


@register
class PixelShuffle(keras.layers.Layer):
    """Depth-to-space rearrangement (sub-pixel convolution, Shi et al. 2016).

    Args:
        scale: int, the upscaling factor `r`. Input channels must be divisible
            by `r ** 2`.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = check_scale(scale)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is not None and channels % (self.scale**2):
            raise ValueError(
                f"PixelShuffle(scale={self.scale}) needs input channels divisible "
                f"by {self.scale**2}. Received input_shape={tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs):
        return depth_to_space(inputs, self.scale)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.scale
        return (
            b,
            None if h is None else h * r,
            None if w is None else w * r,
            None if c is None else c // (r * r),
        )

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@register
class PixelShuffleNearestResidual(PixelShuffle):
    """`pixel_shuffle(features) + nearest_upsample(image)`, both by `scale`.

    Called on `[features, image]`: `features` `(batch, h, w, c * r**2)`,
    `image` `(batch, h, w, c)`. Every sub-pixel of an output pixel gets the
    same image value, so the sum is computed at the input resolution, where
    `image` repeated `r**2` times along the channels lines up with the
    shuffle's channel order, and one rearrangement follows:
    `depth_to_space(features + tile(image, r**2))`. The result is the same
    as the two full-size operations and their sum, element by element,
    without the upsampled image and the sum at the output size.
    """

    def build(self, input_shape):
        super().build(input_shape[0])

    def call(self, inputs):
        features, image = inputs
        return depth_to_space(features + ops.tile(image, (1, 1, 1, self.scale**2)), self.scale)

    def compute_output_shape(self, input_shape):
        return super().compute_output_shape(input_shape[0])


@register
class SubPixelUpsample(keras.layers.Layer):
    """Conv (filters * r^2) -> pixel shuffle -> optional activation.

    The upsampling step of SRResNet and ESPCN. A factor of 4 (or 8) is done as
    repeated x2 steps, as in SRGAN; 2 and 3 are one step.

    Args:
        scale: int, one of 2, 3, 4, 8.
        filters: int, channels of the output feature map.
        kernel_size: int, default 3.
        activation: `"prelu"`, a Keras activation name, or `None`.
            Default `"prelu"`.
    """

    def __init__(self, scale, filters, kernel_size=3, activation="prelu", **kwargs):
        super().__init__(**kwargs)
        steps = {2: [2], 3: [3], 4: [2, 2], 8: [2, 2, 2]}
        if scale not in steps:
            raise ValueError(
                f"`scale` must be one of {sorted(steps)}. Received: scale={scale}"
            )
        self.scale = scale
        self.filters = filters
        self.kernel_size = kernel_size
        self.activation = activation
        self.convs, self.shuffles, self.acts = [], [], []
        for i, r in enumerate(steps[scale]):
            self.convs.append(
                keras.layers.Conv2D(
                    filters * r * r,
                    kernel_size,
                    padding="same",
                    dtype=self.dtype_policy,
                    name=f"conv_{i}",
                )
            )
            self.shuffles.append(PixelShuffle(r, dtype=self.dtype_policy, name=f"shuffle_{i}"))
            if activation == "prelu":
                act = keras.layers.PReLU(
                    shared_axes=[1, 2], dtype=self.dtype_policy, name=f"prelu_{i}"
                )
            elif activation is None:
                act = None
            else:
                act = keras.layers.Activation(
                    activation, dtype=self.dtype_policy, name=f"act_{i}"
                )
            self.acts.append(act)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for conv, shuffle, act in zip(self.convs, self.shuffles, self.acts):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            shape = shuffle.compute_output_shape(shape)
            if act is not None:
                act.build(shape)
        self.built = True

    def call(self, inputs):
        x = inputs
        for conv, shuffle, act in zip(self.convs, self.shuffles, self.acts):
            x = shuffle(conv(x))
            if act is not None:
                x = act(x)
        return x

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "scale": self.scale,
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "activation": self.activation,
            }
        )
        return config
