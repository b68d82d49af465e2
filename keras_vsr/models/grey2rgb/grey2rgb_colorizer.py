import numpy as np
import keras

from keras_vsr.models.grey2rgb.grey2rgb_backbone import Grey2RGBBackbone
from keras_vsr.models.task import Task
from keras_vsr.utils.colour import LUMA_WEIGHTS, to_grey
from keras_vsr.utils.frames import pad_to_multiple
from keras_vsr.utils.images import from_float, to_float
from keras_vsr.utils.serialization import register


def replace_luma(rgb, grey):
    """Give float RGB `(..., 3)` the BT.601 luma `grey` `(..., 1)`, keeping its chroma.

    Full-range YCbCr: the chroma (R - Y, B - Y) of `rgb` is kept and added
    to the new luma; the result is clipped to [0, 1].
    """
    y = rgb @ LUMA_WEIGHTS
    return np.clip(rgb - y[..., None] + grey, 0.0, 1.0).astype("float32")


@register
class Grey2RGBColorizer(Task):
    """Colourisation task around a `Grey2RGBBackbone`.

    The model maps grey `(batch, h, w, 1)` in [0, 1] to RGB
    `(batch, h, w, 3)`; `colorize` is the uint8 entry point for any size.

    Args:
        backbone: a `Grey2RGBBackbone`.
        compile: bool, compile with the `Task` defaults: Adam with learning
            rate 1e-3, `MSELoss`, `PSNR` and `SSIM` on all channels.
            Default True.
    """

    backbone_cls = Grey2RGBBackbone

    def __init__(self, backbone, compile=True, **kwargs):
        inputs = keras.Input(shape=backbone.input_shape[1:], name="grey")
        outputs = backbone(inputs)
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)

    def predict_rgb(self, grey, batch_size=8, keep_luma=True):
        """Colourise float grey frames.

        Args:
            grey: float array `(batch, h, w, 1)` in [0, 1]; RGB `(..., 3)` is
                converted to grey with ITU-R BT.601 luma first. Any size.
            batch_size: int >= 1, frames per network call. Default 8.
            keep_luma: bool, keep the luma of the input and take only the
                chroma from the network (the grey frame is the measured
                brightness). Default True.

        Returns:
            float32 `(batch, h, w, 3)` in [0, 1].
        """
        grey = np.asarray(grey)
        if grey.ndim != 4:
            raise ValueError(f"`grey` must have shape (batch, h, w, 1). Received shape {grey.shape}")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size}")
        grey = to_grey(to_float(grey), "grey")
        h, w = grey.shape[1:3]
        padded = pad_to_multiple(grey, self.backbone.size_multiple)
        out = []
        for start in range(0, len(padded), int(batch_size)):
            y = self.predict_on_batch(padded[start : start + int(batch_size)])
            out.append(np.asarray(keras.ops.convert_to_numpy(y), "float32")[:, :h, :w])
        rgb = np.concatenate(out, axis=0)
        return replace_luma(rgb, grey) if keep_luma else rgb

    def colorize(self, images, batch_size=8, keep_luma=True):
        """Colourise uint8 grey images.

        Args:
            images: uint8 `(h, w)`, `(h, w, 1)`, or a batch `(n, h, w[, 1])`;
                RGB input `(..., 3)` is converted to grey (BT.601 luma).
            batch_size, keep_luma: as `predict_rgb`.

        Returns:
            uint8 RGB `(h, w, 3)`, or `(n, h, w, 3)` for a batch.
        """
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise ValueError(f"`images` must be uint8. Received dtype {images.dtype}")
        single = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (1, 3))
        if images.ndim == 2 or (images.ndim == 3 and not single):
            images = images[..., None]
        if single:
            images = images[None]
        rgb = from_float(self.predict_rgb(images, batch_size=batch_size, keep_luma=keep_luma), np.uint8)
        return rgb[0] if single else rgb
