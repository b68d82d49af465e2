import keras

from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.checks import positive_ints
from keras_vsr.utils.serialization import register

# The channels of the fusion input, in order (see `fusion_features`).
FEATURE_CHANNELS = (
    ("grey", 1),
    ("blend", 3),
    ("before_chroma", 3),
    ("before_confidence", 1),
    ("before_weight", 1),
    ("after_chroma", 3),
    ("after_confidence", 1),
    ("after_weight", 1),
    ("colorizer_chroma", 3),
)
NUM_FEATURES = sum(n for _, n in FEATURE_CHANNELS)


@register
class ChromaFusionBackbone(SRBackbone):
    """Predicts the chroma of a grey frame from chroma propagated from key
    frames and a colouriser's guess.

    Input `(batch, h, w, 17)`, the channels of `FEATURE_CHANNELS`
    (`ChromaFusion` assembles them), `h` and `w` multiples of `2 ** depth`;
    output `(batch, h, w, 3)`, the chroma `(R - Y, G - Y, B - Y)`: the
    confidence-weighted blend of the propagated chroma (input channels 1-3)
    plus a correction. The correction comes from a small U-Net (conv-ReLU at
    full resolution, `depth` strided conv-ReLU steps, nearest upsampling
    with skip concatenation back up); its last convolution starts at zero,
    so an untrained network returns the blend.

    Args:
        filters: int >= 1, channels at full resolution (doubled at each
            step down). Default 24.
        depth: int >= 1, down/up steps. Default 2.
        dtype: dtype policy for the layers. Default None.
    """

    config_keys = ("filters", "depth")

    def __init__(self, filters=24, depth=2, dtype=None, **kwargs):
        f, depth = positive_ints((("filters", filters), ("depth", depth)))

        def conv(x, n, name, strides=1):
            return keras.layers.Conv2D(
                n, 3, strides=strides, padding="same", activation="relu", dtype=dtype, name=name
            )(x)

        inputs = keras.Input(shape=(None, None, NUM_FEATURES), name="features")
        x = conv(inputs, f, "stem")
        skips = [x]
        for i in range(depth):
            x = conv(x, f * 2 ** (i + 1), f"down_{i}", strides=2)
            skips.append(x)
        for i in reversed(range(depth)):
            x = keras.layers.UpSampling2D(2, dtype=dtype, name=f"upsample_{i}")(x)
            x = keras.layers.Concatenate(dtype=dtype, name=f"skip_{i}")([x, skips[i]])
            x = conv(x, f * 2**i, f"up_{i}")
        correction = keras.layers.Conv2D(
            3, 3, padding="same", kernel_initializer="zeros", dtype=dtype, name="correction"
        )(x)
        outputs = keras.layers.Add(dtype=dtype, name="chroma")([inputs[..., 1:4], correction])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = 1
        self.size_multiple = 2**depth
        self.filters = f
        self.depth = depth
