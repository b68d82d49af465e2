import keras

from keras_vsr.layers.parameter_free_attention import ParameterFreeAttention
from keras_vsr.layers.pixel_shuffle import PixelShuffle, check_scale
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.serialization import register

NUM_BLOCKS = 6


@register
class SPANBackbone(SRBackbone):
    """SPAN, the Swift Parameter-free Attention Network (Wan et al. 2024,
    winner of the NTIRE 2024 efficient super-resolution challenge).

    [normalise] -> 3x3 conv (head) -> six SPAB blocks -> 3x3 conv ->
    1x1 conv over the concatenation of [head output, that conv's output,
    block 1's output, block 6's first activation] -> 3x3 conv to
    `output_channels * scale**2` -> pixel shuffle. A SPAB block is three 3x3
    convs (SiLU after the first two) and a `ParameterFreeAttention` of the
    last conv's output and the block's input.

    Every 3x3 conv here is the deployed form of SPAN's re-parameterised
    `Conv3XC` (1x1 conv, 3x3 conv, 1x1 conv and a 1x1 shortcut, merged into
    one 3x3 kernel), which is what the reference computes at inference.

    Takes float images in [0, 1] of any size, `(batch, h, w, channels)`, and
    returns `(batch, h * scale, w * scale, output_channels)`. With
    `normalize=True` the input becomes `(x - rgb_mean) * img_range` before
    the head; the output is not shifted back, as in the reference.

    Args:
        scale: int >= 1. Default 4.
        filters: int, feature channels. Default 48 (SPAN x2/x4 release
            models).
        normalize: bool, subtract `rgb_mean` and multiply by `img_range` at
            the input (needs 3 channels). Default True.
        img_range: float, default 255.0.
        rgb_mean: three floats, default (0.4488, 0.4371, 0.4040) (DIV2K).
        channels: int, input image channels. Default 3.
        output_channels: int or None (same as `channels`).
        dtype: dtype policy for the layers.
    """

    config_keys = (
        "scale",
        "filters",
        "normalize",
        "img_range",
        "rgb_mean",
        "channels",
        "output_channels",
    )

    def __init__(
        self,
        scale=4,
        filters=48,
        normalize=True,
        img_range=255.0,
        rgb_mean=(0.4488, 0.4371, 0.4040),
        channels=3,
        output_channels=None,
        dtype=None,
        **kwargs,
    ):
        scale = check_scale(scale)
        if int(filters) != filters or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters}")
        output_channels = channels if output_channels is None else output_channels
        rgb_mean = [float(m) for m in rgb_mean]
        if normalize and (channels != 3 or len(rgb_mean) != 3):
            raise ValueError(
                "`normalize=True` subtracts an RGB mean and needs `channels=3` and three "
                f"`rgb_mean` values. Received: channels={channels}, rgb_mean={rgb_mean}"
            )

        def conv(units, name, kernel_size=3):
            return keras.layers.Conv2D(units, kernel_size, padding="same", dtype=dtype, name=name)

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = inputs
        if normalize:
            x = keras.layers.Rescaling(
                scale=img_range, offset=[-m * img_range for m in rgb_mean], dtype=dtype, name="normalize"
            )(x)
        head = x = conv(filters, "conv_1")(x)
        for i in range(1, NUM_BLOCKS + 1):
            block_input = x
            x = conv(filters, f"block_{i}_c1_r")(x)
            x = first = keras.layers.Activation("silu", dtype=dtype, name=f"block_{i}_act_1")(x)
            x = conv(filters, f"block_{i}_c2_r")(x)
            x = keras.layers.Activation("silu", dtype=dtype, name=f"block_{i}_act_2")(x)
            x = conv(filters, f"block_{i}_c3_r")(x)
            x = ParameterFreeAttention(dtype=dtype, name=f"block_{i}_attention")([x, block_input])
            if i == 1:
                block_1 = x
        x = conv(filters, "conv_2")(x)
        x = keras.layers.Concatenate(dtype=dtype, name="concat")([head, x, block_1, first])
        x = conv(filters, "conv_cat", kernel_size=1)(x)
        x = conv(output_channels * scale * scale, "upsampler")(x)
        outputs = PixelShuffle(scale, dtype=dtype, name="pixel_shuffle")(x)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = scale
        self.filters = int(filters)
        self.normalize = bool(normalize)
        self.img_range = float(img_range)
        self.rgb_mean = rgb_mean
        self.channels = channels
        self.output_channels = output_channels

    @property
    def receptive_radius(self):
        """LR pixels each output pixel depends on, on every side: one per 3x3
        conv, all at the input resolution (head, three per block, `conv_2`,
        upsampler; the attention and `conv_cat` are pointwise): 21."""
        return 3 * NUM_BLOCKS + 3
