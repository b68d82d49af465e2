import numbers

import keras

from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.ifnet.ifnet_layers import FLOW_INITS, LAYOUTS, IFNet
from keras_vsr.utils.checks import positive_ints
from keras_vsr.utils.serialization import register

FLOW_SCALES = (1.0, 0.5, 0.25)


@register
class IFNetBackbone(SRBackbone):
    """IFNet, the flow network of RIFE v4 (Huang et al., "Real-Time
    Intermediate Flow Estimation for Video Frame Interpolation", ECCV 2022):
    the frame at any time `t` in (0, 1) between two RGB frames.

    In the layout of RIFE v4.25 / v4.26 (`layout="v4.25"`) a shared feature
    head encodes each frame; five `IFBlock`s, at 1/16, 1/8, 1/4, 1/2 and
    1/1 of the frame size, each refine the two flows from the instant `t`
    to the frames, a blending mask and features, seeing the frames and
    features warped along the current flows; the output is the two warped
    frames blended by the sigmoid of the mask. The v4.6 layout
    (`layout="v4.6"`, four blocks from 1/8) has no head (see
    `keras_vsr.models.ifnet.ifnet_layers`). Frames of any size are
    zero-padded at the bottom and right to `network_multiple` and the
    result cropped back, as RIFE's inference does. Weights come from
    RIFE's `flownet.pkl` through `keras-vsr convert`.

    Inputs: `{"frames_a": (b, h, w, 3), "frames_b": (b, h, w, 3), "time":
    (b, 1)}`, frames float in [0, 1], `time` the instant (0 is `frames_a`,
    1 `frames_b`). Output: `{"middle": (b, h, w, 3)}`, the frame at `time`.

    Args:
        block_filters: sequence of even ints >= 2, the width of each block,
            coarsest first. Default (192, 128, 96, 64, 32) (RIFE v4.25/4.26).
        head_filters: int >= 1, channels of the head's convs (v4.25 layout).
            Default 16.
        head_outputs: int >= 1, channels of the head's features (v4.25
            layout). Default 16.
        flow_scale: 1.0, 0.5 or 0.25: the flow is estimated at this fraction
            of the frame size (RIFE's `--scale`; 0.5 suits 4K frames).
            Default 1.0.
        layout: "v4.25" (RIFE v4.25, v4.26) or "v4.6". Default "v4.25".
        flow_init: None (RIFE) or "lucas_kanade": the blocks refine dense
            Lucas-Kanade flow instead of starting from zero, and an
            untrained network is the mean of the two frames warped along
            it (v4.6 layout; see `IFNet`). Default None.
        dtype: dtype policy for the layers.
    """

    config_keys = ("block_filters", "head_filters", "head_outputs", "flow_scale", "layout", "flow_init")

    def __init__(self, block_filters=(192, 128, 96, 64, 32), head_filters=16, head_outputs=16, flow_scale=1.0,
                 layout="v4.25", flow_init=None, dtype=None, **kwargs):
        block_filters = _check_block_filters(block_filters)
        head_filters, head_outputs = positive_ints((("head_filters", head_filters), ("head_outputs", head_outputs)))
        if layout not in LAYOUTS:
            raise ValueError(f"`layout` must be one of {LAYOUTS}. Received: layout={layout!r}")
        if isinstance(flow_scale, bool) or flow_scale not in FLOW_SCALES:
            raise ValueError(f"`flow_scale` must be one of {FLOW_SCALES}. Received: flow_scale={flow_scale!r}")
        if flow_init not in FLOW_INITS:
            raise ValueError(f"`flow_init` must be one of {FLOW_INITS}. Received: flow_init={flow_init!r}")
        if flow_init is not None and layout != "v4.6":
            raise ValueError(f"`flow_init={flow_init!r}` needs layout='v4.6'. Received: layout={layout!r}")
        frames_a = keras.Input(shape=(None, None, 3), name="frames_a")
        frames_b = keras.Input(shape=(None, None, 3), name="frames_b")
        time = keras.Input(shape=(1,), name="time")
        ifnet = IFNet(
            block_filters, head_filters, head_outputs, float(flow_scale), layout, flow_init, dtype=dtype, name="ifnet"
        )
        middle = ifnet([frames_a, frames_b, time])
        super().__init__(
            inputs={"frames_a": frames_a, "frames_b": frames_b, "time": time},
            outputs={"middle": middle},
            dtype=dtype,
            **kwargs,
        )
        self.block_filters = list(block_filters)
        self.head_filters = head_filters
        self.head_outputs = head_outputs
        self.layout = layout
        self.flow_init = flow_init
        self.flow_scale = float(flow_scale)
        self.channels = 3
        self.scale = 1
        self.network_multiple = ifnet.size_multiple

    @property
    def size_multiple(self):
        """1: the network pads frames itself (to `network_multiple`)."""
        return 1


def _check_block_filters(block_filters):
    """`block_filters` as a tuple of even ints >= 2, or a ValueError."""
    try:
        values = tuple(block_filters)
    except TypeError:
        values = ()
    if not values or any(
        isinstance(f, bool) or not isinstance(f, numbers.Integral) or f < 2 or f % 2 for f in values
    ):
        raise ValueError(
            f"`block_filters` must be a non-empty sequence of even ints >= 2. Received: block_filters={block_filters!r}"
        )
    return tuple(int(f) for f in values)
