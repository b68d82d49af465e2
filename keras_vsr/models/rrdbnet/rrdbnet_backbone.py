import math

import keras

from keras_vsr.layers import PixelUnshuffle
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.rrdbnet.rrdbnet_layers import RRDB, CropToScaledInput
from keras_vsr.utils.serialization import register

SCALES = (1, 2, 4, 8)


def default_unshuffle(scale):
    """Real-ESRGAN's input pixel-unshuffle factor: 4 for x1, 2 for x2, else 1
    (the body then always upsamples at least x4)."""
    return {1: 4, 2: 2}.get(scale, 1)


@register
class RRDBNetBackbone(SRBackbone):
    """RRDBNet, the generator of ESRGAN (Wang et al. 2018) and Real-ESRGAN.

    [pixel unshuffle ->] conv (head) -> `num_blocks` residual-in-residual
    dense blocks -> conv, plus the head's features -> (nearest x2 upsample
    -> conv -> LeakyReLU) per factor 2 -> conv -> LeakyReLU -> conv (tail).
    Real-ESRGAN's x1 and x2 models first fold the image into channels with
    a pixel unshuffle (by 4 and 2), so their body still upsamples x4; inputs
    whose size is not a multiple of that factor are padded by reflection
    and the output cropped back, so any size works.

    Takes float images in [0, 1] `(batch, h, w, channels)` and returns
    `(batch, h * scale, w * scale, channels)`.

    Args:
        scale: int, 1, 2, 4 or 8. Default 4.
        num_blocks: int, RRDB blocks. Default 23 (ESRGAN, Real-ESRGAN
            x4plus; the anime model has 6).
        filters: int, feature channels. Default 64.
        growth: int, channels added by each dense convolution. Default 32.
        unshuffle: int or None, the input pixel-unshuffle factor (1 for
            none); None picks Real-ESRGAN's (`default_unshuffle(scale)`).
            `scale * unshuffle` must be a power of two.
        channels: int, image channels. Default 3.
        dtype: dtype policy for the layers.
    """

    config_keys = ("scale", "num_blocks", "filters", "growth", "unshuffle", "channels")

    measured_overlap = 32
    """The default tile overlap, for a receptive radius beyond
    `keras_vsr.utils.tiling.MAX_DEFAULT_OVERLAP`: `tools/seam_error.py`
    measured seams of at most 1 grey level from overlap 8 on (x4plus with
    random weights); 32 leaves a margin."""

    def __init__(
        self,
        scale=4,
        num_blocks=23,
        filters=64,
        growth=32,
        unshuffle=None,
        channels=3,
        dtype=None,
        **kwargs,
    ):
        if scale not in SCALES:
            raise ValueError(f"`scale` must be one of {SCALES}. Received: scale={scale}")
        if num_blocks < 0:
            raise ValueError(f"`num_blocks` must be >= 0. Received: num_blocks={num_blocks}")
        unshuffle = default_unshuffle(scale) if unshuffle is None else int(unshuffle)
        upsamples = math.log2(scale * unshuffle) if unshuffle >= 1 else -1
        if upsamples < 0 or upsamples != int(upsamples):
            raise ValueError(
                f"`scale * unshuffle` must be a power of two >= 1. Received: scale={scale}, unshuffle={unshuffle}"
            )

        def conv(n, name):
            return keras.layers.Conv2D(n, 3, padding="same", dtype=dtype, name=name)

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = inputs
        if unshuffle > 1:
            x = PixelUnshuffle(unshuffle, dtype=dtype, name="pixel_unshuffle")(x)
        x = head = conv(filters, "conv_first")(x)
        for i in range(num_blocks):
            x = RRDB(filters, growth, dtype=dtype, name=f"rrdb_{i}")(x)
        x = conv(filters, "conv_body")(x)
        x = keras.layers.Add(dtype=dtype, name="body_skip")([x, head])
        for i in range(1, int(upsamples) + 1):
            x = keras.layers.UpSampling2D(2, interpolation="nearest", dtype=dtype, name=f"upsample_{i}")(x)
            x = conv(filters, f"conv_up{i}")(x)
            x = keras.layers.LeakyReLU(0.2, dtype=dtype, name=f"up_act_{i}")(x)
        x = conv(filters, "conv_hr")(x)
        x = keras.layers.LeakyReLU(0.2, dtype=dtype, name="hr_act")(x)
        outputs = conv(channels, "conv_last")(x)
        if unshuffle > 1:
            outputs = CropToScaledInput(scale, dtype=dtype, name="crop")([outputs, inputs])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = scale
        self.num_blocks = num_blocks
        self.filters = filters
        self.growth = growth
        self.unshuffle = unshuffle
        self.channels = channels

    @property
    def size_multiple(self):
        """Inputs are padded to a multiple of `unshuffle` and folded on that
        grid; tiles start on it (`keras_vsr.utils.tiling.upscale_tiled`)."""
        return self.unshuffle

    @property
    def receptive_radius(self):
        """LR pixels each output pixel depends on, on every side: at the
        body's resolution (`unshuffle` LR pixels per pixel), the head, five
        3x3 convs per dense block (three per RRDB), the body conv, one conv
        per x2 upsampling (half as far at each finer resolution), `conv_hr`
        and `conv_last`; plus `unshuffle - 1` for the folding. About 348 for
        23 blocks at x4."""
        steps = round(math.log2(self.scale * self.unshuffle))
        body = 15 * self.num_blocks + 3 + 2.0**-steps
        return self.unshuffle * body + self.unshuffle - 1
