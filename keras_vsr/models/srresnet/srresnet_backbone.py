import keras

from keras_vsr.layers import BicubicUpsample, ResidualBlock, SubPixelUpsample
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.serialization import register
from keras_vsr.utils.tiling import subpixel_radius


@register
class SRResNetBackbone(SRBackbone):
    """SRResNet, the generator of SRGAN (Ledig et al. 2017).

    conv (head) -> PReLU -> `num_blocks` residual blocks -> conv [-> BN] ->
    global skip -> pixel-shuffle upsampling (x2 steps) -> conv (tail).
    Takes float images in [0, 1] of any size, shape `(batch, h, w, 3)`, and
    returns `(batch, h * scale, w * scale, 3)`.

    The paper configuration is the default (16 blocks, 64 filters, batch
    norm, 9x9 head and tail). `use_batch_norm=False` gives the EDSR-style
    block, and `image_residual=True` adds the bicubic upsampling of the input
    to the output, so the network learns only the missing detail.

    Args:
        scale: int, 2, 3 or 4. Default 4.
        num_blocks: int, residual blocks. Default 16.
        filters: int, feature channels. Default 64.
        use_batch_norm: bool, batch norm in the blocks and after the body.
            Default True.
        head_kernel_size: int, default 9.
        tail_kernel_size: int, default 9.
        res_scale: float, residual scaling inside the blocks. Default 1.0.
        image_residual: bool, add `BicubicUpsample(scale)(inputs)` to the
            output. Default False.
        channels: int, image channels. Default 3.
        dtype: dtype policy for the layers.
    """

    config_keys = (
        "scale",
        "num_blocks",
        "filters",
        "use_batch_norm",
        "head_kernel_size",
        "tail_kernel_size",
        "res_scale",
        "image_residual",
        "channels",
    )

    def __init__(
        self,
        scale=4,
        num_blocks=16,
        filters=64,
        use_batch_norm=True,
        head_kernel_size=9,
        tail_kernel_size=9,
        res_scale=1.0,
        image_residual=False,
        channels=3,
        dtype=None,
        **kwargs,
    ):
        if scale not in (2, 3, 4):
            raise ValueError(f"`scale` must be 2, 3 or 4. Received: scale={scale}")
        if num_blocks < 1:
            raise ValueError(f"`num_blocks` must be >= 1. Received: num_blocks={num_blocks}")

        inputs = keras.Input(shape=(None, None, channels), name="images")
        x = keras.layers.Conv2D(
            filters, head_kernel_size, padding="same", dtype=dtype, name="head_conv"
        )(inputs)
        x = head = keras.layers.PReLU(shared_axes=[1, 2], dtype=dtype, name="head_prelu")(x)
        for i in range(num_blocks):
            x = ResidualBlock(
                filters,
                use_batch_norm=use_batch_norm,
                res_scale=res_scale,
                dtype=dtype,
                name=f"block_{i}",
            )(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", dtype=dtype, name="body_conv")(x)
        if use_batch_norm:
            x = keras.layers.BatchNormalization(
                momentum=0.9, epsilon=1e-5, dtype=dtype, name="body_bn"
            )(x)
        x = keras.layers.Add(dtype=dtype, name="global_skip")([x, head])
        x = SubPixelUpsample(scale, filters, dtype=dtype, name="upsample")(x)
        outputs = keras.layers.Conv2D(
            channels, tail_kernel_size, padding="same", dtype=dtype, name="tail_conv"
        )(x)
        if image_residual:
            upsampled = BicubicUpsample(scale, dtype=dtype, name="bicubic")(inputs)
            outputs = keras.layers.Add(dtype=dtype, name="image_residual")([outputs, upsampled])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = scale
        self.num_blocks = num_blocks
        self.filters = filters
        self.use_batch_norm = use_batch_norm
        self.head_kernel_size = head_kernel_size
        self.tail_kernel_size = tail_kernel_size
        self.res_scale = res_scale
        self.image_residual = image_residual
        self.channels = channels

    @property
    def receptive_radius(self):
        """LR pixels each output pixel depends on, on every side: the head,
        two 3x3 convs per block, the body conv, the upsampling convs and the
        tail (in HR pixels, divided by `scale`); at least the bicubic
        image residual's 2 (`keras_vsr.utils.tiling`)."""
        radius = (
            self.head_kernel_size // 2
            + 2 * self.num_blocks
            + 1
            + subpixel_radius(self.scale)
            + (self.tail_kernel_size // 2) / self.scale
        )
        return max(radius, 2) if self.image_residual else radius
