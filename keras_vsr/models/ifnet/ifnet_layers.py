"""The layers of IFNet, the flow network of RIFE (Huang et al., ECCV 2022),
in two layouts of RIFE v4: "v4.25" (v4.25 and v4.26) and "v4.6".

`IFNet` is the whole network on two frames and a time `t`. In the v4.25
layout a shared feature head (`IFNetHead`) encodes each frame, then five
`IFBlock`s from coarse to fine each estimate, at their own resolution, an
update of the two flows (instant `t` -> first frame, `t` -> second frame),
a blending mask and features for the next block; every block sees both
frames and their features warped along the current flows. The v4.6 layout
has no head and four blocks, whose mask outputs are summed; its blocks see
the warped frames, the time and the mask so far. In both, warping is
`backward_warp` (bilinear with edges clamped, which is
`grid_sample(mode="bilinear", padding_mode="border", align_corners=True)`).
The result is the two warped frames blended by the sigmoid of the last mask.
With `flow_init="lucas_kanade"` (v4.6 layout) the flows start at dense
Lucas-Kanade flow instead of zero and every block refines them, from
zero-started last convolutions: a network to train here on top of optical
flow rather than one to load RIFE's weights into.

Blocks resample bilinearly by powers of two (half-pixel centres, no
antialiasing, edges repeated: PyTorch's `F.interpolate(mode="bilinear",
align_corners=False)` with an integer factor), written here with slices so
that any frame size traces on every backend.
"""

import keras
from keras import ops

from keras_vsr.layers.optical_flow import LucasKanadeFlow, backward_warp
from keras_vsr.layers.pixel_shuffle import depth_to_space
from keras_vsr.utils.serialization import register

LAYOUTS = ("v4.25", "v4.6")
# Where the flows start: at zero, estimated by the first block (RIFE), or at
# pyramidal Lucas-Kanade flow that every block refines.
FLOW_INITS = (None, "lucas_kanade")
# Channels an IFBlock outputs: 4 flow (dx, dy towards each frame), 1 mask,
# then features for the next block: 8 in the v4.25 layout; in the v4.6
# layout one channel that nothing reads.
FLOW_CHANNELS, MASK_CHANNELS = 4, 1
BLOCK_OUTPUTS = {"v4.25": 13, "v4.6": 6}
RESIDUAL_CONVS = 8
LEAKY_SLOPE = 0.2


def downsample(x, factor):
    """Bilinear downsampling of `(b, h, w, c)` by the int `factor` (1 or a
    power of two dividing `h` and `w`): each output pixel is the mean of
    the two middle input pixels of its block, along each axis."""
    if factor == 1:
        return x
    x = ops.convert_to_tensor(x)
    lo, hi = factor // 2 - 1, factor // 2
    x = 0.5 * (x[:, lo::factor] + x[:, hi::factor])
    return 0.5 * (x[:, :, lo::factor] + x[:, :, hi::factor])


def _upsample_axis(x, factor, axis):
    """Bilinear upsampling along `axis` (1 or 2) by the int `factor`."""
    size = ops.shape(x)
    first = x[:, :1] if axis == 1 else x[:, :, :1]
    last = x[:, -1:] if axis == 1 else x[:, :, -1:]
    body_prev = x[:, :-1] if axis == 1 else x[:, :, :-1]
    body_next = x[:, 1:] if axis == 1 else x[:, :, 1:]
    previous = ops.concatenate([first, body_prev], axis=axis)  # x[i - 1], edge repeated
    following = ops.concatenate([body_next, last], axis=axis)  # x[i + 1], edge repeated
    parts = []
    for r in range(factor):
        offset = (r + 0.5) / factor - 0.5  # source position minus i
        neighbour = previous if offset < 0 else following
        parts.append((1.0 - abs(offset)) * x + abs(offset) * neighbour)
    x = ops.stack(parts, axis=axis + 1)
    shape = [size[0], size[1], size[2], size[3]]
    shape[axis] = shape[axis] * factor
    return ops.reshape(x, shape)


def upsample(x, factor):
    """Bilinear upsampling of `(b, h, w, c)` by the int `factor` >= 1."""
    if factor == 1:
        return x
    x = ops.convert_to_tensor(x)
    return _upsample_axis(_upsample_axis(x, factor, 1), factor, 2)


def _pad1(x):
    return ops.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))


@register
class IFNetHead(keras.layers.Layer):
    """The feature head of IFNet: stride-2 3x3 conv, two 3x3 convs (`filters`
    channels, leaky ReLU 0.2 after each), a stride-2 4x4 transposed conv
    back to the frame size. `(b, h, w, 3)` -> `(b, h, w, outputs)`, `h` and
    `w` even.

    Args:
        filters: int, channels of the three convs. Default 16.
        outputs: int, channels of the features. Default 16.
    """

    def __init__(self, filters=16, outputs=16, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.outputs = outputs

        def conv(name, strides=1):
            padding = "valid" if strides == 2 else "same"
            return keras.layers.Conv2D(filters, 3, strides, padding, dtype=self.dtype_policy, name=name)

        self.cnn0 = conv("cnn0", strides=2)
        self.cnn1 = conv("cnn1")
        self.cnn2 = conv("cnn2")
        self.cnn3 = keras.layers.Conv2DTranspose(outputs, 4, 2, "same", dtype=self.dtype_policy, name="cnn3")

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.cnn0.build(shape)
        inner = shape[:-1] + (self.filters,)
        for layer in (self.cnn1, self.cnn2, self.cnn3):
            layer.build(inner)

    def call(self, x):
        x = ops.leaky_relu(self.cnn0(_pad1(x)), LEAKY_SLOPE)
        x = ops.leaky_relu(self.cnn1(x), LEAKY_SLOPE)
        x = ops.leaky_relu(self.cnn2(x), LEAKY_SLOPE)
        return self.cnn3(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.outputs,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "outputs": self.outputs}


@register
class ScaledResidualConv(keras.layers.Layer):
    """`leaky_relu(conv3x3(x) * beta + x, 0.2)` with a learned per-channel
    `beta` (initialised to ones)."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = keras.layers.Conv2D(filters, 3, padding="same", dtype=self.dtype_policy, name="conv")

    def build(self, input_shape):
        self.conv.build(tuple(input_shape))
        self.beta = self.add_weight(name="beta", shape=(self.filters,), initializer="ones")

    def call(self, x):
        return ops.leaky_relu(self.conv(x) * self.beta + x, LEAKY_SLOPE)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@register
class IFBlock(keras.layers.Layer):
    """One coarse-to-fine step of IFNet at 1 / `scale` of the frame size.

    Called on `inputs` `(b, h, w, c)` (frames, features, time, ...) and the
    current `flow` `(b, h, w, 4)` or None, with an int `scale` (a power of
    two): both are downsampled by `scale` (the flow's vectors too) and
    concatenated; two stride-2 convs (`filters // 2`, `filters`), eight
    `ScaledResidualConv`s, a stride-2 4x4 transposed conv to `4 * outputs`
    channels and a pixel shuffle by 2 bring it back to 1 / `scale`, from
    which it is upsampled by `scale`. Returns `(b, h, w, outputs)`: the
    flow update (in pixels of the frame), the mask logit, then features.

    Args:
        filters: int, even, the width of the block.
        outputs: int > 5, the channels it returns. Default 13 (v4.25).
        zero_init: bool, start the last (transposed) conv at zero, so that
            an untrained block changes nothing. Default False.
    """

    def __init__(self, filters, outputs=BLOCK_OUTPUTS["v4.25"], zero_init=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.outputs = outputs
        self.zero_init = bool(zero_init)

        def conv(f, name):
            return keras.layers.Conv2D(f, 3, 2, "valid", dtype=self.dtype_policy, name=name)

        self.conv0_0 = conv(filters // 2, "conv0_0")
        self.conv0_1 = conv(filters, "conv0_1")
        self.convblock = [
            ScaledResidualConv(filters, dtype=self.dtype_policy, name=f"convblock_{i}") for i in range(RESIDUAL_CONVS)
        ]
        self.lastconv = keras.layers.Conv2DTranspose(
            4 * outputs, 4, 2, "same", dtype=self.dtype_policy, name="lastconv",
            kernel_initializer="zeros" if self.zero_init else "glorot_uniform",
        )

    def build(self, input_shape, flow_shape=None):
        channels = input_shape[-1] + (FLOW_CHANNELS if flow_shape is not None else 0)
        self.conv0_0.build((None, None, None, channels))
        self.conv0_1.build((None, None, None, self.filters // 2))
        inner = (None, None, None, self.filters)
        for layer in self.convblock:
            layer.build(inner)
        self.lastconv.build(inner)

    def call(self, inputs, flow=None, scale=1):
        x = downsample(inputs, scale)
        if flow is not None:
            x = ops.concatenate([x, downsample(flow, scale) * (1.0 / scale)], axis=-1)
        x = ops.leaky_relu(self.conv0_0(_pad1(x)), LEAKY_SLOPE)
        x = ops.leaky_relu(self.conv0_1(_pad1(x)), LEAKY_SLOPE)
        for layer in self.convblock:
            x = layer(x)
        x = upsample(depth_to_space(self.lastconv(x), 2), scale)
        return ops.concatenate([x[..., :FLOW_CHANNELS] * float(scale), x[..., FLOW_CHANNELS:]], axis=-1)

    def compute_output_shape(self, input_shape, flow_shape=None):
        return tuple(input_shape[:-1]) + (self.outputs,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "outputs": self.outputs, "zero_init": self.zero_init}


def pad_bottom_right(x, multiple):
    """Zero-pad `(b, h, w, c)` at the bottom and right to multiples of `multiple`."""
    shape = ops.shape(x)
    pad_h = (-shape[1]) % multiple
    pad_w = (-shape[2]) % multiple
    return ops.pad(x, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)))


@register
class IFNet(keras.layers.Layer):
    """RIFE's IFNet: the frame at time `t` between two frames (see the module).

    Called on `[frames_a, frames_b, time]`: two `(b, h, w, 3)` float frames
    in [0, 1] of any size (zero-padded at the bottom and right to
    `size_multiple`, the result cropped back, as RIFE's inference does) and
    `time` `(b, 1)`, `t` in (0, 1) (0 is `frames_a`). Returns `(b, h, w, 3)`.

    Args:
        block_filters: sequence of even ints, the width of each `IFBlock`,
            coarsest first. Default (192, 128, 96, 64, 32).
        head_filters: int, channels of the `IFNetHead` convs (v4.25 layout).
            Default 16.
        head_outputs: int, channels of the head's features (v4.25 layout).
            Default 16.
        flow_scale: 1.0, 0.5 or 0.25, the resolution the flow is estimated
            at relative to the frames (RIFE's `--scale`; 0.5 for 4K frames).
            Default 1.0.
        layout: "v4.25" (v4.25, v4.26) or "v4.6". Default "v4.25".
        flow_init: None (RIFE: the first block estimates the flows from the
            frames) or "lucas_kanade": the flows start at dense pyramidal
            Lucas-Kanade flow (`LucasKanadeFlow`, no weights) under linear
            motion, `t * flow(b -> a)` and `(1 - t) * flow(a -> b)`, the mask
            at 0, and every block refines them (v4.6 layout only). The
            blocks' last convs then start at zero, so an untrained network
            returns the mean of the two frames warped along that flow.
            Default None.
    """

    def __init__(self, block_filters=(192, 128, 96, 64, 32), head_filters=16, head_outputs=16, flow_scale=1.0,
                 layout="v4.25", flow_init=None, **kwargs):
        super().__init__(**kwargs)
        self.block_filters = tuple(block_filters)
        self.head_filters = head_filters
        self.head_outputs = head_outputs
        self.flow_scale = flow_scale
        self.layout = layout
        self.flow_init = flow_init
        self.head = None
        if layout == "v4.25":
            self.head = IFNetHead(head_filters, head_outputs, dtype=self.dtype_policy, name="encode")
        self.initial_flow = None
        if flow_init == "lucas_kanade":
            self.initial_flow = LucasKanadeFlow(name="initial_flow")
        self.blocks = [
            IFBlock(f, BLOCK_OUTPUTS[layout], zero_init=flow_init is not None, dtype=self.dtype_policy, name=f"block{i}")
            for i, f in enumerate(self.block_filters)
        ]

    @property
    def scales(self):
        """Each block's downsampling factor, coarsest first (16, 8, 4, 2, 1
        for five blocks at `flow_scale` 1)."""
        count = len(self.block_filters)
        return [int(round(2 ** (count - 1 - i) / self.flow_scale)) for i in range(count)]

    @property
    def size_multiple(self):
        """Frames are padded to multiples of this (4 times the coarsest
        scale, and the Lucas-Kanade pyramid's multiple)."""
        multiple = 4 * self.scales[0]
        if self.initial_flow is not None:
            multiple = max(multiple, self.initial_flow.size_multiple)
        return multiple

    def build(self, input_shape):
        features = 0
        if self.head is not None:
            self.head.build(tuple(input_shape[0]))
            features = 2 * self.head_outputs
        first = 2 * 3 + features + 1  # frames, their features, time
        if self.layout == "v4.6":
            later = first + MASK_CHANNELS  # + the mask so far
        else:
            later = first + BLOCK_OUTPUTS[self.layout] - FLOW_CHANNELS  # + the last mask and block features
        if self.initial_flow is not None:
            self.initial_flow.build(None)
        for i, block in enumerate(self.blocks):
            seeded = i > 0 or self.initial_flow is not None
            block.build((None, None, None, later if seeded else first), (None, None, None, 4) if seeded else None)

    def _lucas_kanade(self, a, b, t):
        """Flows (instant `t` -> `a`, `t` -> `b`) under linear motion along
        Lucas-Kanade flow, as `MidpointAlignment` at `t = 0.5`."""
        flows = self.initial_flow([ops.concatenate([a, b], axis=0), ops.concatenate([b, a], axis=0)])
        n = ops.shape(a)[0]
        forward, backward = ops.cast(flows[:n], a.dtype), ops.cast(flows[n:], a.dtype)
        return ops.concatenate([t * backward, (1.0 - t) * forward], axis=-1)

    def call(self, inputs):
        frames_a, frames_b, time = inputs
        shape = ops.shape(frames_a)
        a = pad_bottom_right(frames_a, self.size_multiple)
        b = pad_bottom_right(frames_b, self.size_multiple)
        t = ops.ones_like(a[..., :1]) * ops.reshape(ops.cast(time, a.dtype), (-1, 1, 1, 1))
        features = None
        if self.head is not None:
            features = self.head(a), self.head(b)
        warped_a, warped_b = a, b
        flow = mask = out = None
        if self.initial_flow is not None:
            flow = self._lucas_kanade(a, b, t)
            mask = ops.zeros_like(t)
            warped_a = backward_warp(a, flow[..., :2])
            warped_b = backward_warp(b, flow[..., 2:])
        for block, scale in zip(self.blocks, self.scales):
            if flow is None:
                out = block(ops.concatenate([a, b, *(features or ()), t], axis=-1), scale=scale)
                flow, mask = out[..., :FLOW_CHANNELS], out[..., FLOW_CHANNELS : FLOW_CHANNELS + MASK_CHANNELS]
            else:
                if features is None:  # v4.6
                    stacked = [warped_a, warped_b, t, mask]
                else:  # v4.25: the frames' features warped too, the last mask and block features
                    warped_features = [backward_warp(f, flow[..., i : i + 2]) for f, i in zip(features, (0, 2))]
                    stacked = [warped_a, warped_b, *warped_features, t, out[..., FLOW_CHANNELS:]]
                out = block(ops.concatenate(stacked, axis=-1), flow, scale=scale)
                flow = flow + out[..., :FLOW_CHANNELS]
                update = out[..., FLOW_CHANNELS : FLOW_CHANNELS + MASK_CHANNELS]
                mask = mask + update if features is None else update
            warped_a = backward_warp(a, flow[..., :2])
            warped_b = backward_warp(b, flow[..., 2:])
        mask = ops.sigmoid(mask)
        middle = warped_a * mask + warped_b * (1.0 - mask)
        return middle[:, : shape[1], : shape[2]]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {
            **super().get_config(),
            "block_filters": list(self.block_filters),
            "head_filters": self.head_filters,
            "head_outputs": self.head_outputs,
            "flow_scale": self.flow_scale,
            "layout": self.layout,
            "flow_init": self.flow_init,
        }
