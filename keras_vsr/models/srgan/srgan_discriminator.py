import keras

from keras_vsr.models.gan.gan_discriminator import GANDiscriminator, conv_leaky_relu
from keras_vsr.utils.serialization import register


@register
class SRGANDiscriminator(GANDiscriminator):
    """The SRGAN discriminator (Ledig et al. 2017, Fig. 4): a VGG-style stack.

    Eight 3x3 convolutions k3n64s1, k3n64s2, k3n128s1, k3n128s2, k3n256s1,
    k3n256s2, k3n512s1, k3n512s2 (channels scaled by `filters / 64`), each
    followed by batch norm (except the first) and LeakyReLU(0.2); then a
    dense layer of `dense_units`, LeakyReLU(0.2) and one logit (no sigmoid:
    the BCE losses take logits).

    The paper flattens the last feature map of a 96x96 input
    (`pooling="flatten"`, fixed `image_size`); `pooling="avg"` averages it
    instead, so the discriminator takes any input size.

    Args:
        image_size: int or None, side of the square HR input. Required for
            `pooling="flatten"`. Default 96.
        filters: int, channels of the first block (the paper's 64); later
            blocks use 2x, 4x and 8x. Default 64.
        dense_units: int, default 1024.
        pooling: `"flatten"` or `"avg"`. Default `"flatten"`.
        use_batch_norm: bool, default True.
        channels: int, image channels. Default 3.
    """

    config_keys = ("image_size", "filters", "dense_units", "pooling", "use_batch_norm", "channels")

    def __init__(
        self,
        image_size=96,
        filters=64,
        dense_units=1024,
        pooling="flatten",
        use_batch_norm=True,
        channels=3,
        dtype=None,
        **kwargs,
    ):
        if pooling not in ("flatten", "avg"):
            raise ValueError(f"`pooling` must be 'flatten' or 'avg'. Received: pooling={pooling!r}")
        if pooling == "flatten" and (image_size is None or image_size % 16):
            raise ValueError(
                "`pooling='flatten'` needs a fixed `image_size` divisible by 16 (four "
                f"stride-2 convolutions). Received: image_size={image_size}"
            )
        if filters < 1 or dense_units < 1:
            raise ValueError(
                f"`filters` and `dense_units` must be >= 1. Received: filters={filters}, "
                f"dense_units={dense_units}"
            )
        size = image_size if pooling == "flatten" else None
        inputs = keras.Input(shape=(size, size, channels), name="images")
        x = inputs
        for i, (mult, stride) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]):
            norm_name = f"bn_{i}" if use_batch_norm and i else None
            x = conv_leaky_relu(x, filters * mult, stride, f"conv_{i}", f"lrelu_{i}", norm_name, dtype)
        if pooling == "flatten":
            x = keras.layers.Flatten(dtype=dtype, name="flatten")(x)
        else:
            x = keras.layers.GlobalAveragePooling2D(dtype=dtype, name="avg_pool")(x)
        x = keras.layers.Dense(dense_units, dtype=dtype, name="dense")(x)
        x = keras.layers.LeakyReLU(0.2, dtype=dtype, name="dense_lrelu")(x)
        outputs = keras.layers.Dense(1, dtype=dtype, name="logits")(x)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)
        self.image_size = image_size
        self.filters = filters
        self.dense_units = dense_units
        self.pooling = pooling
        self.use_batch_norm = use_batch_norm
        self.channels = channels
