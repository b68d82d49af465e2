import keras
from keras import ops

from keras_vsr.layers.conv_lstm import ConvLSTM
from keras_vsr.layers.optical_flow import MidpointAlignment
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.serialization import register

@register
class FramesToChannels(keras.layers.Layer):
    """`(batch, time, h, w, c)` -> `(batch, h, w, time * c)` (frame-major channels)."""

    def call(self, inputs):
        t, c = inputs.shape[1], inputs.shape[-1]
        x = ops.transpose(inputs, (0, 2, 3, 1, 4))
        shape = ops.shape(x)
        return ops.reshape(x, (-1, shape[1], shape[2], t * c))

    def compute_output_shape(self, input_shape):
        b, t, h, w, c = input_shape
        return (b, h, w, t * c)


@register
class CentralFrameMean(keras.layers.Layer):
    """Mean of the two central frames of `(batch, time, h, w, c)`, `time` even."""

    def call(self, inputs):
        t = inputs.shape[1]
        return 0.5 * (inputs[:, t // 2 - 1] + inputs[:, t // 2])

    def compute_output_shape(self, input_shape):
        b, t, h, w, c = input_shape
        return (b, h, w, c)


@register
class CentralPairAlignment(MidpointAlignment):
    """`(batch, time, h, w, c)` -> the same frames with the two central ones
    warped to the instant halfway between them (`MidpointAlignment`)."""

    def call(self, inputs):
        t = inputs.shape[1]
        first, second = super().call([inputs[:, t // 2 - 1], inputs[:, t // 2]])
        return ops.concatenate(
            [inputs[:, : t // 2 - 1], first[:, None], second[:, None], inputs[:, t // 2 + 1 :]], axis=1
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register
class CentralPairBlend(keras.layers.Layer):
    """Blend the two central frames with a learned mask, plus a residual.

    Called on `[frames, head]`: `frames` `(batch, time, h, w, c)`, `head`
    `(batch, h, w, c + 1)` = residual and mask logit. Returns
    `sigmoid(m) * first + (1 - sigmoid(m)) * second + residual`; with `head`
    at zero this is the mean of the two frames.
    """

    def call(self, inputs):
        frames, head = inputs
        t = frames.shape[1]
        c = frames.shape[-1]
        mask = ops.sigmoid(head[..., c:])
        return mask * frames[:, t // 2 - 1] + (1.0 - mask) * frames[:, t // 2] + head[..., :c]

    def compute_output_shape(self, input_shape):
        b, t, h, w, c = input_shape[0]
        return (b, h, w, c)


@register
class ConvLSTMInterpolatorBackbone(SRBackbone):
    """Frame interpolator: a convolutional LSTM over the frames, both ways.

    Input `(batch, num_frames, h, w, channels)`, float in [0, 1], `h` and `w`
    multiples of 4 (`ConvLSTMInterpolator.predict_middle` pads any size).
    Output `(batch, h, w, channels)`: the frame halfway between the two
    central input frames.

    Each frame is encoded by shared convolutions (full, 1/2 and 1/4
    resolution); a forward and a backward ConvLSTM run over the 1/4
    resolution features of the sequence and learn how the frames move; a
    decoder of transposed convolutions brings their final states back to
    full resolution, joined at each scale with the encoder features of all
    frames (skip connections), and predicts a residual that is added to the
    mean of the two central frames. With the residual at zero the model is
    frame averaging, the baseline it learns to improve on.

    With `motion_compensation=True` the two central frames are first warped
    to the middle instant along dense optical flow (`MidpointAlignment`:
    pyramidal Lucas-Kanade, no weights), so the network sees aligned frames;
    the output is then a learned per-pixel blend of the two warped frames
    (where one of them is occluded, the mask leans on the other) plus the
    residual. The last convolution starts at zero, so an untrained model is
    the mean of the warped frames. Frame sizes must then be multiples of
    `2 ** (flow_levels - 1)` (`size_multiple`; `predict_middle` pads).

    The recurrence is `keras_vsr.layers.ConvLSTM` rather than
    `keras.layers.ConvLSTM2D` because the latter needs a fixed frame size
    when it is built, and the interpolator takes any size.

    Args:
        num_frames: int, even, >= 2: input frames; the middle frame lies
            between frames `num_frames // 2 - 1` and `num_frames // 2`.
            Default 2.
        filters: int >= 1, encoder channels at full resolution (doubled at
            1/2 and 1/4). Default 16.
        lstm_filters: int >= 1, hidden channels of each ConvLSTM. Default 32.
        kernel_size: int, odd, ConvLSTM gate kernel. Default 3.
        channels: int, 1 (grey) or 3 (RGB). Default 1.
        motion_compensation: bool, warp the central frames along optical
            flow first (see above). Default False.
        flow_levels: int >= 1, pyramid levels of the flow estimate (motions
            up to about `2 ** flow_levels` pixels). Default 5.
        flow_iterations: int >= 1, flow updates per pyramid level. Default 3.
        dtype: dtype policy for the layers. Default None.
    """

    config_keys = (
        "num_frames",
        "filters",
        "lstm_filters",
        "kernel_size",
        "channels",
        "motion_compensation",
        "flow_levels",
        "flow_iterations",
    )

    def __init__(
        self,
        num_frames=2,
        filters=16,
        lstm_filters=32,
        kernel_size=3,
        channels=1,
        motion_compensation=False,
        flow_levels=5,
        flow_iterations=3,
        dtype=None,
        **kwargs,
    ):
        if int(num_frames) != num_frames or num_frames < 2 or num_frames % 2:
            raise ValueError(f"`num_frames` must be an even integer >= 2. Received: num_frames={num_frames}")
        for arg, value in (("filters", filters), ("lstm_filters", lstm_filters)):
            if int(value) != value or value < 1:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value}")
        if channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels}")
        f = int(filters)
        inputs = keras.Input(shape=(num_frames, None, None, channels), name="frames")
        frames = inputs
        if motion_compensation:
            align = CentralPairAlignment(flow_levels, flow_iterations, dtype=dtype, name="align")
            frames = align(inputs)

        def per_frame(layer, name):
            return keras.layers.TimeDistributed(layer, dtype=dtype, name=name)

        def conv(n, name, strides=1):
            return keras.layers.Conv2D(
                n, 3, strides=strides, padding="same", activation="relu", dtype=dtype, name=name
            )

        s0 = per_frame(conv(f, "conv"), "enc_full")(frames)
        s1 = per_frame(conv(2 * f, "conv", strides=2), "enc_half")(s0)
        x = per_frame(conv(4 * f, "conv", strides=2), "enc_quarter")(s1)
        forward = ConvLSTM(lstm_filters, kernel_size, dtype=dtype, name="lstm_forward")(x)
        backward = ConvLSTM(
            lstm_filters, kernel_size, go_backwards=True, dtype=dtype, name="lstm_backward"
        )(x)
        y = keras.layers.Concatenate(dtype=dtype, name="lstm_states")([forward, backward])
        y = keras.layers.Conv2DTranspose(
            2 * f, 4, strides=2, padding="same", activation="relu", dtype=dtype, name="up_half"
        )(y)
        y = keras.layers.Concatenate(dtype=dtype, name="skip_half")(
            [y, FramesToChannels(dtype=dtype, name="merge_half")(s1)]
        )
        y = conv(2 * f, "dec_half")(y)
        y = keras.layers.Conv2DTranspose(
            f, 4, strides=2, padding="same", activation="relu", dtype=dtype, name="up_full"
        )(y)
        y = keras.layers.Concatenate(dtype=dtype, name="skip_full")(
            [y, FramesToChannels(dtype=dtype, name="merge_full")(s0)]
        )
        y = conv(f, "dec_full")(y)
        if motion_compensation:
            head = keras.layers.Conv2D(
                channels + 1, 3, padding="same", kernel_initializer="zeros", dtype=dtype, name="residual"
            )(y)
            outputs = CentralPairBlend(dtype=dtype, name="middle_frame")([frames, head])
        else:
            residual = keras.layers.Conv2D(channels, 3, padding="same", dtype=dtype, name="residual")(y)
            mean = CentralFrameMean(dtype=dtype, name="frame_mean")(inputs)
            outputs = keras.layers.Add(dtype=dtype, name="middle_frame")([mean, residual])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.scale = 1
        self.motion_compensation = bool(motion_compensation)
        self.flow_levels = int(flow_levels)
        self.flow_iterations = int(flow_iterations)
        self.size_multiple = max(4, align.size_multiple) if motion_compensation else 4
        self.num_frames = int(num_frames)
        self.filters = f
        self.lstm_filters = int(lstm_filters)
        self.kernel_size = int(kernel_size)
        self.channels = int(channels)
