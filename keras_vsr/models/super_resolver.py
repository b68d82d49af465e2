import numpy as np
import keras

from keras_vsr.inference.tiling import resolve_tile, upscale_tiled
from keras_vsr.losses import L1Loss
from keras_vsr.metrics import PSNR, SSIM
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.task import Task
from keras_vsr.utils.images import from_float, split_alpha, to_float, merge_alpha
from keras_vsr.utils.serialization import register


@register
class SuperResolver(Task):
    """Single-image super-resolution task around any keras_vsr SR backbone.

    The model maps float images in [0, 1], `(batch, h, w, 3)`, to
    `(batch, h * scale, w * scale, 3)`. `upscale()` is the uint8-in,
    uint8-out entry point for applications.

    Args:
        backbone: a `keras_vsr.models.SRBackbone` (e.g. `SRResNetBackbone`).
        compile: bool, compile with the defaults of `compile()`. Default True.

    Example:
    ```python
    sr = keras_vsr.SuperResolver.from_preset("srresnet_x4")
    big = sr.upscale(image)  # uint8 (h, w, 3) -> uint8 (4h, 4w, 3)
    ```
    """

    backbone_cls = SRBackbone

    def __init__(self, backbone, compile=True, **kwargs):
        inputs = keras.Input(shape=backbone.input_shape[1:], name="images")
        outputs = backbone(inputs)
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)

    @property
    def scale(self):
        return self.backbone.scale

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Compile with SR defaults.

        Args:
            optimizer: `"auto"` is Adam with learning rate 2e-4.
            loss: `"auto"` is `keras_vsr.losses.L1Loss()`.
            metrics: `"auto"` is Y-channel `PSNR` and `SSIM` with a border
                of `scale` pixels cropped, the evaluation protocol.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(2e-4)
        if loss == "auto":
            loss = L1Loss()
        if metrics == "auto":
            s = self.backbone.scale
            metrics = [PSNR(crop_border=s, test_y_channel=True), SSIM(crop_border=s, test_y_channel=True)]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def upscale(self, image, tile="auto", tile_overlap=24, progress=None):
        """Super-resolve one image.

        Large images are upscaled tile by tile (`keras_vsr.inference.tiling.
        upscale_tiled`), so memory is bounded by the tile size rather than
        the image size; the result equals whole-image inference within one
        grey level when `tile_overlap` covers the model's receptive field.

        Args:
            image: array `(h, w)` (grey), `(h, w, 1)`, `(h, w, 3)` (RGB) or
                `(h, w, 4)` (RGBA); uint8, uint16, or float in [0, 1].
                Grey images are upscaled as RGB with equal channels and
                returned grey (the mean of the output channels). The alpha
                channel of RGBA is upscaled with bicubic interpolation and
                re-attached.
            tile: `None`, int or `"auto"`. `None` runs the model on the whole
                image; an int tiles with that many LR pixels per side;
                `"auto"` tiles with `tiling.AUTO_TILE_SIZE` (256) only when
                `h * w` exceeds `tiling.AUTO_TILE_PIXELS` (512 * 512).
                Tiling applies to the RGB channels. Default `"auto"`.
            tile_overlap: int >= 0, LR pixels of context around each tile;
                see `keras_vsr.inference.tiling` for choosing it from the
                receptive field. Default 24 (covers the bundled 8-block x4 preset).
            progress: optional callable wrapping the list of tiles (e.g.
                `tqdm.tqdm`) to report progress when tiling. Default None.

        Returns:
            Array of the same dtype and channel layout, `scale` times larger.
        """
        array = np.asarray(image)
        rgb, alpha, layout = split_alpha(array)
        tile = resolve_tile(tile, tile_overlap, rgb.shape[0], rgb.shape[1])
        if tile is None:
            x = to_float(rgb)
            y = np.asarray(self.predict_on_batch(x[None]))[0]
            out = from_float(y, array.dtype)
        else:
            out = upscale_tiled(
                self.predict_on_batch, rgb, self.scale, tile=tile, overlap=tile_overlap, progress=progress
            )
        return merge_alpha(out, alpha, layout, self.scale)
