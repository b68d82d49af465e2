import keras

from keras_vsr.models.gan.gan_discriminator import GANDiscriminator, conv_leaky_relu
from keras_vsr.utils.serialization import register


@register
class SRWGANCritic(GANDiscriminator):
    """The SRWGAN critic: plain convolution blocks and one unbounded score.

    `num_blocks` blocks of [3x3 conv stride 1, LeakyReLU(0.2), 3x3 conv
    stride 2, LeakyReLU(0.2)], doubling the channels each block (capped at
    `8 * filters`), then global average pooling and a dense score. No batch
    norm and no sigmoid: WGAN-GP's gradient penalty needs each score to
    depend on its own image only, and the Wasserstein loss takes raw scores.
    Any input size.

    Args:
        filters: int, channels of the first block. Default 64.
        num_blocks: int >= 1, default 4.
        channels: int, image channels. Default 3.
    """

    config_keys = ("filters", "num_blocks", "channels")

    def __init__(self, filters=64, num_blocks=4, channels=3, dtype=None, **kwargs):
        if filters < 1 or num_blocks < 1:
            raise ValueError(
                f"`filters` and `num_blocks` must be >= 1. Received: filters={filters}, "
                f"num_blocks={num_blocks}"
            )
        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = inputs
        for i in range(num_blocks):
            width = filters * min(2**i, 8)
            for j, stride in enumerate((1, 2)):
                x = conv_leaky_relu(x, width, stride, f"block{i}_conv{j}", f"block{i}_lrelu{j}", dtype=dtype)
        x = keras.layers.GlobalAveragePooling2D(dtype=dtype, name="avg_pool")(x)
        outputs = keras.layers.Dense(1, dtype=dtype, name="score")(x)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)
        self.filters = filters
        self.num_blocks = num_blocks
        self.channels = channels
