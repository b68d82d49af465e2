import keras
from keras import ops

from keras_vsr.layers.fourier_unit import FFCBlock
from keras_vsr.layers.optical_flow import MidpointAlignment
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.serialization import register


@register
class VAESampling(keras.layers.Layer):
    """Reparameterised sample of a diagonal Gaussian, `z = mean + exp(log_var / 2) * eps`.

    When `training` is true a fresh `eps ~ N(0, 1)` is drawn from the layer's
    `keras.random.SeedGenerator`; otherwise the mean is returned, so inference
    is deterministic. `log_var` is clipped to [-10, 10] for stability.

    Args:
        seed: int or None, seed of the generator. Default None.
        **kwargs: standard layer arguments.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        if not training:
            return mean
        eps = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * ops.clip(log_var, -10.0, 10.0)) * eps

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, 1)) per latent element, averaged per image.

        KL = -1/2 * mean(1 + log_var - mean^2 - exp(log_var))

    Returns a `(batch,)` tensor. `log_var` is clipped to [-10, 10] as in
    `VAESampling`.
    """
    mean = ops.convert_to_tensor(mean)
    log_var = ops.clip(ops.cast(log_var, mean.dtype), -10.0, 10.0)
    terms = 1.0 + log_var - ops.square(mean) - ops.exp(log_var)
    return -0.5 * ops.mean(terms, axis=tuple(range(1, len(mean.shape))))


@register
class FFCInterpolatorBackbone(SRBackbone):
    """A variational autoencoder of Fast Fourier Convolution blocks that
    predicts the frame between two frames.

    Encoder: the two frames stacked on the channel axis -> 3x3 conv ->
    `FFCBlock` -> `num_levels` x (stride-2 conv, `FFCBlock`), doubling the
    filters per level -> 1x1 convs to the latent mean and log-variance
    (`latent_channels` at 1 / 2**num_levels of the frame size) ->
    `VAESampling` (a sample in training, the mean at inference).

    Decoder: from the latent, at each level from the coarsest to the finest,
    the two frames downsampled to that level (average pooling) are
    concatenated to the features before an `FFCBlock`; upsampling
    and a 3x3 conv between levels (nearest-neighbour upsampling, which
    also traces with unknown frame sizes); a 3x3 conv to `channels` whose output is
    added to the average of the two frames (it starts as frame averaging).

    With `motion_compensation=True` the two frames are first warped to the
    middle instant along dense optical flow (`MidpointAlignment`: pyramidal
    Lucas-Kanade, no weights) and everything above works on the warped
    frames: the output starts as their mean. Frame sides must then also be
    multiples of `2 ** (flow_levels - 1)`.

    The FFC blocks read their global channels as two time steps, so their
    spectral branch transforms over height, width and time (see
    `keras_vsr.layers.FourierUnit`).

    Inputs: `{"frames_a": (b, h, w, channels), "frames_b": (b, h, w,
    channels)}`, float in [0, 1]; `h` and `w` multiples of `2**num_levels`
    (`FFCInterpolator.predict_middle` pads any size). Outputs: `{"middle":
    (b, h, w, channels), "mean": ..., "log_var": (b, h / 2**L, w / 2**L,
    latent_channels)}`.

    Args:
        channels: int, 1 (grey) or 3 (RGB). Default 3.
        filters: int, filters of the first level; a multiple of 8. Default 16.
        num_levels: int >= 1, downsampling levels. Default 2.
        latent_channels: int, channels of the latent. Default 8.
        global_ratio: float in (0, 1), share of spectral channels in the FFC
            blocks. Default 0.5.
        seed: int or None, seed of the latent sampling. Default None.
        motion_compensation: bool, warp the frames along optical flow first
            (see above). Default False.
        flow_levels: int >= 1, pyramid levels of the flow estimate. Default 5.
        flow_iterations: int >= 1, flow updates per pyramid level. Default 3.
        dtype: dtype policy for the layers.
    """

    config_keys = (
        "channels",
        "filters",
        "num_levels",
        "latent_channels",
        "global_ratio",
        "seed",
        "motion_compensation",
        "flow_levels",
        "flow_iterations",
    )

    def __init__(
        self,
        channels=3,
        filters=16,
        num_levels=2,
        latent_channels=8,
        global_ratio=0.5,
        seed=None,
        motion_compensation=False,
        flow_levels=5,
        flow_iterations=3,
        dtype=None,
        **kwargs,
    ):
        if channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 8 or filters % 8:
            raise ValueError(f"`filters` must be a positive multiple of 8. Received: filters={filters!r}")
        if isinstance(num_levels, bool) or not isinstance(num_levels, int) or not 1 <= num_levels <= 5:
            raise ValueError(f"`num_levels` must be an int in [1, 5]. Received: num_levels={num_levels!r}")
        if isinstance(latent_channels, bool) or not isinstance(latent_channels, int) or latent_channels < 1:
            raise ValueError(
                f"`latent_channels` must be a positive int. Received: latent_channels={latent_channels!r}"
            )
        time_steps = 2

        def conv(f, k, name, strides=1, activation="relu", **kw):
            return keras.layers.Conv2D(
                f, k, strides=strides, padding="same", activation=activation, dtype=dtype, name=name, **kw
            )

        def ffc(f, name):
            return FFCBlock(f, global_ratio=global_ratio, time_steps=time_steps, dtype=dtype, name=name)

        frames_a = keras.Input(shape=(None, None, channels), name="frames_a")
        frames_b = keras.Input(shape=(None, None, channels), name="frames_b")
        inputs = {"frames_a": frames_a, "frames_b": frames_b}
        if motion_compensation:
            align = MidpointAlignment(flow_levels, flow_iterations, dtype=dtype, name="align")
            frames_a, frames_b = align([frames_a, frames_b])
        stacked = keras.layers.Concatenate(dtype=dtype, name="stack_frames")([frames_a, frames_b])

        # Encoder.
        x = conv(filters, 3, "enc_stem")(stacked)
        x = ffc(filters, "enc_ffc_0")(x)
        for level in range(1, num_levels + 1):
            f = filters * 2**level
            x = conv(f, 3, f"enc_down_{level}", strides=2)(x)
            x = ffc(f, f"enc_ffc_{level}")(x)
        mean = conv(latent_channels, 1, "latent_mean", activation=None)(x)
        log_var = conv(latent_channels, 1, "latent_log_var", activation=None, kernel_initializer="zeros")(x)
        z = VAESampling(seed=seed, dtype=dtype, name="sampling")([mean, log_var])

        # Decoder, fed the frames at every level.
        y = conv(filters * 2**num_levels, 3, "dec_in")(z)
        for level in range(num_levels, -1, -1):
            f = filters * 2**level
            if level < num_levels:
                y = keras.layers.UpSampling2D(2, interpolation="nearest", dtype=dtype, name=f"dec_up_{level}")(y)
                y = conv(f, 3, f"dec_conv_{level}")(y)
            frames = stacked
            if level:
                frames = keras.layers.AveragePooling2D(
                    2**level, dtype=dtype, name=f"dec_frames_{level}"
                )(stacked)
            y = keras.layers.Concatenate(dtype=dtype, name=f"dec_concat_{level}")([y, frames])
            y = ffc(f, f"dec_ffc_{level}")(y)
        residual = conv(channels, 3, "dec_out", activation=None, kernel_initializer="zeros")(y)
        average = keras.layers.Average(dtype=dtype, name="frame_average")([frames_a, frames_b])
        middle = keras.layers.Add(dtype=dtype, name="middle")([average, residual])

        super().__init__(
            inputs=inputs,
            outputs={"middle": middle, "mean": mean, "log_var": log_var},
            dtype=dtype,
            **kwargs,
        )
        self.channels = channels
        self.filters = filters
        self.num_levels = num_levels
        self.latent_channels = latent_channels
        self.global_ratio = global_ratio
        self.seed = seed
        self.motion_compensation = bool(motion_compensation)
        self.flow_levels = int(flow_levels)
        self.flow_iterations = int(flow_iterations)

    @property
    def size_multiple(self):
        """Frame sides must be multiples of this (`2 ** num_levels`, and
        `2 ** (flow_levels - 1)` with motion compensation)."""
        if self.motion_compensation:
            return max(2**self.num_levels, 2 ** (self.flow_levels - 1))
        return 2**self.num_levels
