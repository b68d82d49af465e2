import keras

from keras_vsr.layers import SpectralConv2D
from keras_vsr.models.gan.gan_discriminator import GANDiscriminator
from keras_vsr.utils.serialization import register


@register
class UNetDiscriminator(GANDiscriminator):
    """Real-ESRGAN's U-Net discriminator with spectral normalisation (Wang
    et al. 2021): one realness score per pixel.

    conv (no norm) -> three stride-2 4x4 spectral-norm convolutions (2x, 4x,
    8x `filters`) -> three steps of bilinear x2 upsampling, a spectral-norm
    3x3 convolution and a skip connection from the encoder (4x, 2x, 1x
    `filters`) -> two spectral-norm 3x3 convolutions -> a 3x3 convolution to
    one channel. LeakyReLU(0.2) after every convolution but the last.
    Inputs need sides divisible by 8; the output is `(batch, h, w, 1)` raw
    scores (logits).

    Args:
        filters: int, channels of the first convolution (Real-ESRGAN's 64).
            Default 64.
        skip_connection: bool, add the encoder features in the decoder.
            Default True.
        channels: int, image channels. Default 3.
    """

    config_keys = ("filters", "skip_connection", "channels")

    def __init__(self, filters=64, skip_connection=True, channels=3, dtype=None, **kwargs):
        if filters < 1:
            raise ValueError(f"`filters` must be >= 1. Received: filters={filters}")

        def act(x, name):
            return keras.layers.LeakyReLU(0.2, dtype=dtype, name=name)(x)

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x0 = act(keras.layers.Conv2D(filters, 3, padding="same", dtype=dtype, name="conv0")(inputs), "act0")
        encoder = [x0]
        for i, mult in enumerate((2, 4, 8), start=1):
            conv = SpectralConv2D(filters * mult, 4, strides=2, use_bias=False, dtype=dtype, name=f"conv{i}")
            encoder.append(act(conv(encoder[-1]), f"act{i}"))
        x = encoder[-1]
        for i, (mult, skip) in enumerate(zip((4, 2, 1), encoder[2::-1]), start=4):
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", dtype=dtype, name=f"up{i}")(x)
            conv = SpectralConv2D(filters * mult, 3, use_bias=False, dtype=dtype, name=f"conv{i}")
            x = act(conv(x), f"act{i}")
            if skip_connection:
                x = keras.layers.Add(dtype=dtype, name=f"skip{i}")([x, skip])
        for i in (7, 8):
            conv = SpectralConv2D(filters, 3, use_bias=False, dtype=dtype, name=f"conv{i}")
            x = act(conv(x), f"act{i}")
        outputs = keras.layers.Conv2D(1, 3, padding="same", dtype=dtype, name="conv9")(x)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)
        self.filters = filters
        self.skip_connection = skip_connection
        self.channels = channels
