import numpy as np
import keras

from keras_vsr.models.chroma_fusion.chroma_fusion_backbone import ChromaFusionBackbone
from keras_vsr.models.task import Task
from keras_vsr.utils.checks import positive_int
from keras_vsr.utils.frames import pad_to_multiple
from keras_vsr.utils.serialization import register


def fusion_features(grey, blend, chroma, confidence, weight, colorizer_chroma):
    """The input of a `ChromaFusionBackbone`, float32 `(n, h, w, 17)`.

    Args:
        grey: `(n, h, w, 1)` luma in [0, 1].
        blend: `(n, h, w, 3)`, the propagated chroma blended by weight and
            confidence.
        chroma: `(2, n, h, w, 3)`, the chroma warped from the key frame
            before and after (zeros for a missing side).
        confidence: `(2, n, h, w, 1)` in [0, 1] (zeros for a missing side).
        weight: `(2, n)`, the temporal weight of each side.
        colorizer_chroma: `(n, h, w, 3)`, a colouriser's chroma.
    """
    n, h, w = np.shape(grey)[:3]
    weight = np.broadcast_to(np.asarray(weight, "float32")[:, :, None, None, None], (2, n, h, w, 1))
    sides = [np.concatenate([chroma[i], confidence[i] * weight[i], weight[i]], axis=-1) for i in (0, 1)]
    return np.concatenate([grey, blend, *sides, colorizer_chroma], axis=-1).astype("float32")


@register
class ChromaFusion(Task):
    """Chroma fusion task around a `ChromaFusionBackbone`: the chroma of
    grey frames from chroma propagated from key frames and a colouriser's.

    Args:
        backbone: a `ChromaFusionBackbone`.
        compile: bool, compile with the `Task` defaults. Default True.
    """

    backbone_cls = ChromaFusionBackbone

    def __init__(self, backbone, compile=True, **kwargs):
        inputs = keras.Input(shape=backbone.input_shape[1:], name="features")
        outputs = backbone(inputs)
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)

    def default_metrics(self):
        return []

    def predict_chroma(self, features, batch_size=8):
        """Chroma `(n, h, w, 3)` float32 of `fusion_features` output, any size."""
        features = np.asarray(features, "float32")
        if features.ndim != 4 or features.shape[-1] != self.backbone.input_shape[-1]:
            raise ValueError(
                f"`features` must have shape (n, h, w, {self.backbone.input_shape[-1]}). Received {features.shape}"
            )
        batch_size = positive_int(batch_size, "batch_size")
        h, w = features.shape[1:3]
        padded = pad_to_multiple(features, self.backbone.size_multiple)
        out = [
            np.asarray(keras.ops.convert_to_numpy(self.predict_on_batch(padded[s : s + batch_size])), "float32")
            for s in range(0, len(padded), batch_size)
        ]
        return np.concatenate(out, axis=0)[:, :h, :w]
