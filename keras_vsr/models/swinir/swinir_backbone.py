import keras

from keras_vsr.layers import PixelShuffle, SubPixelUpsample
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.swinir.swinir_layers import CropToScaled, ReflectPadToMultiple, SwinTransformerBlock
from keras_vsr.utils.serialization import register
from keras_vsr.utils.tiling import subpixel_radius

UPSAMPLERS = ("pixelshuffle", "pixelshuffledirect", "nearest+conv", "none")
RESIDUAL_CONNECTIONS = ("1conv", "3conv")
# The mean of DIV2K's RGB channels, subtracted from the input (grey and
# other channel counts subtract nothing).
RGB_MEAN = (0.4488, 0.4371, 0.4040)
# Scales each upsampler can build.
SCALES = {
    "pixelshuffle": (2, 3, 4, 8),
    "pixelshuffledirect": tuple(range(1, 9)),
    "nearest+conv": (2, 4, 8),
    "none": (1,),
}


def residual_conv(x, dim, resi_connection, dtype, name):
    """The convolution closing a residual group: one 3x3 conv (`"1conv"`), or
    3x3 to `dim // 4` -> LeakyReLU(0.2) -> 1x1 -> LeakyReLU(0.2) -> 3x3 back
    to `dim` (`"3conv"`)."""
    if resi_connection == "1conv":
        return keras.layers.Conv2D(dim, 3, padding="same", dtype=dtype, name=name)(x)
    for i, (filters, size) in enumerate(((dim // 4, 3), (dim // 4, 1), (dim, 3))):
        if i:
            x = keras.layers.LeakyReLU(0.2, dtype=dtype, name=f"{name}_act_{i}")(x)
        x = keras.layers.Conv2D(filters, size, padding="same", dtype=dtype, name=f"{name}_{i}")(x)
    return x


@register
class SwinIRBackbone(SRBackbone):
    """SwinIR, image restoration with Swin Transformers (Liang et al. 2021).

    The input is reflect-padded at the bottom and right to a multiple of
    `window_size`, has the mean subtracted and is multiplied by
    `img_range`; a 3x3 conv (`conv_first`) makes `embed_dim` features, which
    go through a LayerNorm and `len(depths)` residual Swin Transformer
    blocks (RSTB: `depths[i]` Swin Transformer layers with `num_heads[i]`
    heads, every second one on windows shifted by `window_size // 2`, then
    the `resi_connection` convolution and a skip), a LayerNorm, the
    `resi_connection` convolution and a long skip from `conv_first`. The
    reconstruction depends on `upsampler`:

    - `"pixelshuffle"` (classical SR): conv to `num_feat` -> LeakyReLU(0.01)
      -> pixel-shuffle x2 steps (or one x3) -> 3x3 conv to the image.
    - `"pixelshuffledirect"` (lightweight SR): one 3x3 conv to
      `channels * scale**2` and a pixel shuffle.
    - `"nearest+conv"` (real-world SR): conv to `num_feat` ->
      LeakyReLU(0.01), then per x2 step nearest upsampling -> 3x3 conv ->
      LeakyReLU(0.2), then conv -> LeakyReLU(0.2) -> conv to the image.
    - `"none"` (denoising, JPEG artefacts; scale 1): the normalised input
      plus a 3x3 conv of the features.

    The output is de-normalised and cropped to `scale` times the input
    size. Attention masks and relative-position indices are computed from
    the padded size on every call, so any input size works.

    Takes `(batch, h, w, channels)` float images in [0, 1] and returns
    `(batch, h * scale, w * scale, channels)`.

    Args:
        scale: int, see `SCALES` for each upsampler. Default 4.
        embed_dim: int, feature channels (divisible by every `num_heads`,
            and by 4 for `"3conv"`). Default 180.
        depths: list of int, Swin layers in each RSTB. Default `[6] * 6`.
        num_heads: list of int, heads in each RSTB. Default `[6] * 6`.
        window_size: int, attention window side. Default 8.
        mlp_ratio: float, MLP hidden channels per feature channel. Default 2.
        upsampler: one of `UPSAMPLERS`. Default `"pixelshuffle"`.
        resi_connection: `"1conv"` or `"3conv"`. Default `"1conv"`.
        img_range: float, the factor applied after the mean subtraction
            (1, or 255 for SwinIR's JPEG models). Default 1.0.
        num_feat: int, channels of the reconstruction (`"pixelshuffle"`,
            `"nearest+conv"`). Default 64.
        img_size: int, the training patch size of the original model,
            recorded for reference; it does not change what is computed
            and must exceed `window_size`. Default 64.
        channels: int, image channels. Default 3.
        dtype: dtype policy for the layers.
    """

    config_keys = (
        "scale",
        "embed_dim",
        "depths",
        "num_heads",
        "window_size",
        "mlp_ratio",
        "upsampler",
        "resi_connection",
        "img_range",
        "num_feat",
        "img_size",
        "channels",
    )

    measured_overlap = 32
    """The default tile overlap, for a receptive radius beyond
    `keras_vsr.utils.tiling.MAX_DEFAULT_OVERLAP`: `tools/seam_error.py`
    measured seams of at most 1 grey level from overlap 16 on (lightweight
    x4 with random weights); 32 leaves a margin."""

    def __init__(
        self,
        scale=4,
        embed_dim=180,
        depths=(6, 6, 6, 6, 6, 6),
        num_heads=(6, 6, 6, 6, 6, 6),
        window_size=8,
        mlp_ratio=2.0,
        upsampler="pixelshuffle",
        resi_connection="1conv",
        img_range=1.0,
        num_feat=64,
        img_size=64,
        channels=3,
        dtype=None,
        **kwargs,
    ):
        depths, num_heads = [int(d) for d in depths], [int(h) for h in num_heads]
        if upsampler not in UPSAMPLERS:
            raise ValueError(f"`upsampler` must be one of {UPSAMPLERS}. Received: upsampler={upsampler!r}")
        if scale not in SCALES[upsampler]:
            raise ValueError(
                f"`scale` must be one of {SCALES[upsampler]} for upsampler={upsampler!r}. Received: scale={scale}"
            )
        if resi_connection not in RESIDUAL_CONNECTIONS:
            raise ValueError(
                f"`resi_connection` must be one of {RESIDUAL_CONNECTIONS}. "
                f"Received: resi_connection={resi_connection!r}"
            )
        if not depths or len(depths) != len(num_heads) or min(depths) < 1:
            raise ValueError(
                "`depths` and `num_heads` must be non-empty lists of the same length, depths >= 1. "
                f"Received: depths={depths}, num_heads={num_heads}"
            )
        if any(embed_dim % heads for heads in num_heads):
            raise ValueError(
                f"`embed_dim` must be divisible by every `num_heads`. Received: embed_dim={embed_dim}, "
                f"num_heads={num_heads}"
            )
        if window_size < 2 or img_size <= window_size:
            raise ValueError(
                f"`window_size` must be >= 2 and less than `img_size`. Received: window_size={window_size}, "
                f"img_size={img_size}"
            )
        scale = int(scale)
        mean = RGB_MEAN if channels == 3 else (0.0,) * channels

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = ReflectPadToMultiple(window_size, dtype=dtype, name="pad")(inputs)
        normalised = keras.layers.Rescaling(
            img_range, offset=[-m * img_range for m in mean], dtype=dtype, name="normalise"
        )(x)
        x = first = keras.layers.Conv2D(embed_dim, 3, padding="same", dtype=dtype, name="conv_first")(normalised)
        x = keras.layers.LayerNormalization(epsilon=1e-5, dtype=dtype, name="patch_norm")(x)
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            group = x
            for j in range(depth):
                x = SwinTransformerBlock(
                    embed_dim,
                    heads,
                    window_size,
                    shift_size=window_size // 2 if j % 2 else 0,
                    mlp_ratio=mlp_ratio,
                    dtype=dtype,
                    name=f"rstb_{i}_block_{j}",
                )(x)
            x = residual_conv(x, embed_dim, resi_connection, dtype, f"rstb_{i}_conv")
            x = keras.layers.Add(dtype=dtype, name=f"rstb_{i}_skip")([x, group])
        x = keras.layers.LayerNormalization(epsilon=1e-5, dtype=dtype, name="norm")(x)
        x = residual_conv(x, embed_dim, resi_connection, dtype, "conv_after_body")
        x = keras.layers.Add(dtype=dtype, name="body_skip")([x, first])

        def conv(filters, name):
            return keras.layers.Conv2D(filters, 3, padding="same", dtype=dtype, name=name)

        def lrelu(slope, name):
            return keras.layers.LeakyReLU(slope, dtype=dtype, name=name)

        if upsampler in ("pixelshuffle", "nearest+conv"):
            x = lrelu(0.01, "conv_before_upsample_act")(conv(num_feat, "conv_before_upsample")(x))
        if upsampler == "pixelshuffle":
            x = SubPixelUpsample(scale, num_feat, activation=None, dtype=dtype, name="upsample")(x)
            x = conv(channels, "conv_last")(x)
        elif upsampler == "pixelshuffledirect":
            x = conv(channels * scale * scale, "upsample_conv")(x)
            x = PixelShuffle(scale, dtype=dtype, name="upsample_shuffle")(x)
        elif upsampler == "nearest+conv":
            for k in range(scale.bit_length() - 1):
                x = keras.layers.UpSampling2D(2, dtype=dtype, name=f"nearest_{k}")(x)
                x = lrelu(0.2, f"conv_up{k + 1}_act")(conv(num_feat, f"conv_up{k + 1}")(x))
            x = lrelu(0.2, "conv_hr_act")(conv(num_feat, "conv_hr")(x))
            x = conv(channels, "conv_last")(x)
        else:
            x = keras.layers.Add(dtype=dtype, name="image_skip")([normalised, conv(channels, "conv_last")(x)])
        x = keras.layers.Rescaling(1.0 / img_range, offset=list(mean), dtype=dtype, name="denormalise")(x)
        outputs = CropToScaled(scale, dtype=dtype, name="crop")([x, inputs])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = scale
        self.embed_dim = embed_dim
        self.depths = depths
        self.num_heads = num_heads
        self.window_size = window_size
        self.mlp_ratio = mlp_ratio
        self.upsampler = upsampler
        self.resi_connection = resi_connection
        self.img_range = img_range
        self.num_feat = num_feat
        self.img_size = img_size
        self.channels = channels

    @property
    def size_multiple(self):
        """Inputs are padded to a multiple of `window_size` and attend within
        windows on that grid; tiles start on it
        (`keras_vsr.utils.tiling.upscale_tiled`)."""
        return self.window_size

    @property
    def receptive_radius(self):
        """LR pixels each output pixel can depend on, on every side: every
        Swin layer attends within a window, `window_size - 1` pixels further
        (shifted or not); one per 3x3 conv (`conv_first`, each group's and
        the body's `resi_connection`: two for `"3conv"`); then the
        upsampler's convs at their resolutions. 262.75 for classical x4
        (36 layers, window 8). An upper bound: attention weights far from
        the centre are usually small, see `measured_overlap`."""
        steps = self.scale.bit_length() - 1
        conv = 1 if self.resi_connection == "1conv" else 2
        radius = 1 + sum(self.depths) * (self.window_size - 1) + conv * (len(self.depths) + 1)
        if self.upsampler == "pixelshuffle":
            return radius + 1 + subpixel_radius(self.scale) + 1 / self.scale
        if self.upsampler == "nearest+conv":
            return radius + 2 + 2.0**-steps
        return radius + 1
