"""Dense optical flow and warping with `keras.ops`, for motion-compensated
frame interpolation.

`backward_warp(images, flow)` samples `images` at `x + flow(x)` (bilinear,
edges clamped). `LucasKanadeFlow` estimates the flow between two frames with
the coarse-to-fine (pyramidal) Lucas-Kanade method, written densely: at every
pixel it solves the 2x2 least-squares system of the brightness-constancy
equation over a Gaussian window,

    [sum Ix^2   sum IxIy] [du]     [sum Ix It]
    [sum IxIy   sum Iy^2] [dv] = - [sum Iy It]

where `Ix, Iy` are the spatial gradients and `It` the difference between the
second frame, warped by the current flow, and the first. `damping` is added
to the diagonal (Tikhonov regularisation), so flat regions, where the system
is singular, keep the flow carried up from the coarser level instead of
taking a noisy update. Each pyramid level halves the frame size; a motion of
`d` pixels is `d / 2**(levels - 1)` pixels at the coarsest level, where the
linearisation holds, and finer levels refine it.

`MidpointAlignment` warps two frames to the instant halfway between them
with the two flows (first -> second and second -> first), the motion
compensation that `ConvLSTMInterpolatorBackbone(motion_compensation=True)`
feeds its network.

The layers have no weights and are not differentiated through (their
outputs are `stop_gradient`ed). Frames must have heights and widths that are
multiples of `2 ** (levels - 1)`; the interpolators pad to that.
"""

import numpy as np
import keras
from keras import ops

from keras_vsr.utils.checks import positive_ints
from keras_vsr.utils.image_ops import gaussian_taps
from keras_vsr.utils.serialization import register


def backward_warp(images, flow):
    """Sample `images` at `x + flow(x)` with bilinear interpolation.

    Args:
        images: `(batch, h, w, c)` float tensor.
        flow: `(batch, h, w, 2)` float tensor, `(dx, dy)` in pixels
            (x along the width axis).

    Returns:
        `(batch, h, w, c)`: `out[n, y, x] = images[n, y + dy, x + dx]`;
        positions outside the frame take the nearest edge value.
    """
    shape = ops.shape(images)
    n, h, w, c = shape[0], shape[1], shape[2], shape[3]
    dtype = images.dtype
    gx = ops.cast(ops.arange(w), dtype)[None, None, :]
    gy = ops.cast(ops.arange(h), dtype)[None, :, None]
    x = ops.clip(gx + flow[..., 0], 0.0, ops.cast(w - 1, dtype))
    y = ops.clip(gy + flow[..., 1], 0.0, ops.cast(h - 1, dtype))
    x0, y0 = ops.floor(x), ops.floor(y)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    x0, y0 = ops.cast(x0, "int32"), ops.cast(y0, "int32")
    x1 = ops.minimum(x0 + 1, w - 1)
    y1 = ops.minimum(y0 + 1, h - 1)
    flat = ops.reshape(images, (-1, c))
    base = (ops.arange(n, dtype="int32") * (h * w))[:, None, None]

    def gather(yy, xx):
        return ops.take(flat, ops.reshape(base + yy * w + xx, (-1,)), axis=0)

    def pick(yy, xx):
        return ops.reshape(gather(yy, xx), shape)

    top = pick(y0, x0) * (1.0 - fx) + pick(y0, x1) * fx
    bottom = pick(y1, x0) * (1.0 - fx) + pick(y1, x1) * fx
    return top * (1.0 - fy) + bottom * fy


def _separable(images, taps):
    """Filter `(batch, h, w, c)` with `taps` along y then x.

    Normalised convolution: outside the frame counts as missing, and each
    output is divided by the weight that fell inside, so the edges are not
    darkened and frames smaller than the filter work too.
    """
    c = images.shape[-1]
    ky = np.tile(taps.reshape(-1, 1, 1, 1), (1, 1, c + 1, 1))
    kx = np.tile(taps.reshape(1, -1, 1, 1), (1, 1, c + 1, 1))
    x = ops.concatenate([images, ops.ones_like(images[..., :1])], axis=-1)
    x = ops.depthwise_conv(x, ops.convert_to_tensor(ky), padding="same")
    x = ops.depthwise_conv(x, ops.convert_to_tensor(kx), padding="same")
    return x[..., :c] / x[..., c:]


def _gradients(images):
    """Central differences `(d/dx, d/dy)` of `(batch, h, w, 1)`.

    The derivative across the first and last row or column is 0 (what a
    mirrored edge gives), so any size works, down to one pixel.
    """
    pad = ((0, 0), (1, 1), (1, 1), (0, 0))
    x = ops.pad(images, pad)
    inside = ops.pad(ops.ones_like(images), pad)  # 1 on the frame, 0 around it
    dx = 0.5 * (x[:, 1:-1, 2:] - x[:, 1:-1, :-2]) * (inside[:, 1:-1, 2:] * inside[:, 1:-1, :-2])
    dy = 0.5 * (x[:, 2:, 1:-1] - x[:, :-2, 1:-1]) * (inside[:, 2:, 1:-1] * inside[:, :-2, 1:-1])
    return dx, dy


def _upsample_flow(flow):
    """Double a flow field's size (nearest, smoothed) and its vectors."""
    flow = ops.repeat(ops.repeat(flow, 2, axis=1), 2, axis=2)
    return 2.0 * _separable(flow, np.array([0.25, 0.5, 0.25], "float32"))


@register
class LucasKanadeFlow(keras.layers.Layer):
    """Dense pyramidal Lucas-Kanade optical flow (see the module docstring).

    Called on `[first, second]`, two `(batch, h, w, c)` float tensors (c = 1
    or 3; colour is reduced to its channel mean), `h` and `w` multiples of
    `2 ** (levels - 1)`. Returns `(batch, h, w, 2)`, the flow `(dx, dy)` with
    `first(x) ~ second(x + flow(x))`.

    Args:
        levels: int >= 1, pyramid levels. Default 5 (motions up to about 30
            pixels).
        iterations: int >= 1, warp-and-solve updates per level. Default 3.
        window_sigma: float > 0, standard deviation in pixels of the Gaussian
            window the least-squares sums run over. Default 2.0.
        damping: float >= 0, added to the diagonal of the 2x2 system, in
            units of squared intensity gradient (intensities in [0, 1]).
            Default 1e-4.
    """

    def __init__(self, levels=5, iterations=3, window_sigma=2.0, damping=1e-4, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.levels, self.iterations = positive_ints((("levels", levels), ("iterations", iterations)))
        if not window_sigma > 0:
            raise ValueError(f"`window_sigma` must be > 0. Received: window_sigma={window_sigma}")
        if not damping >= 0:
            raise ValueError(f"`damping` must be >= 0. Received: damping={damping}")
        self.window_sigma = float(window_sigma)
        self.damping = float(damping)
        radius = max(1, int(np.ceil(3.0 * self.window_sigma)))
        self._window = gaussian_taps(2 * radius + 1, self.window_sigma)
        self._blur = np.array([1, 4, 6, 4, 1], "float32") / 16.0

    @property
    def size_multiple(self):
        return 2 ** (self.levels - 1)

    def build(self, input_shape):
        # No weights to create (and `call` needs sizes that are multiples of
        # `size_multiple`, which Keras' placeholder shapes need not be).
        self.built = True

    def _refine(self, first, second, flow):
        for _ in range(self.iterations):
            warped = backward_warp(second, flow)
            dx, dy = _gradients(0.5 * (first + warped))
            dt = warped - first
            sums = _separable(
                ops.concatenate([dx * dx, dx * dy, dy * dy, dx * dt, dy * dt], axis=-1), self._window
            )
            sxx = sums[..., 0:1] + self.damping
            sxy = sums[..., 1:2]
            syy = sums[..., 2:3] + self.damping
            sxt, syt = sums[..., 3:4], sums[..., 4:5]
            det = ops.maximum(sxx * syy - sxy * sxy, 1e-12)
            du = -(syy * sxt - sxy * syt) / det
            dv = -(sxx * syt - sxy * sxt) / det
            flow = flow + ops.clip(ops.concatenate([du, dv], axis=-1), -1.0, 1.0)
        return flow

    def call(self, inputs):
        first, second = inputs
        if first.shape[-1] != 1:
            first = ops.mean(first, axis=-1, keepdims=True)
            second = ops.mean(second, axis=-1, keepdims=True)
        first = ops.stop_gradient(ops.cast(first, "float32"))
        second = ops.stop_gradient(ops.cast(second, "float32"))
        pyramid = [(first, second)]
        for _ in range(self.levels - 1):
            a, b = pyramid[-1]
            pyramid.append(
                (_separable(a, self._blur)[:, ::2, ::2], _separable(b, self._blur)[:, ::2, ::2])
            )
        a, b = pyramid[-1]
        flow = ops.zeros_like(ops.concatenate([a, b], axis=-1))
        for level in range(self.levels - 1, -1, -1):
            a, b = pyramid[level]
            if level < self.levels - 1:
                flow = _upsample_flow(flow)
            flow = self._refine(a, b, flow)
        return ops.stop_gradient(flow)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (2,)

    def get_config(self):
        config = super().get_config()
        config.pop("trainable", None)
        config.update(
            {
                "levels": self.levels,
                "iterations": self.iterations,
                "window_sigma": self.window_sigma,
                "damping": self.damping,
            }
        )
        return config


@register
class MidpointAlignment(keras.layers.Layer):
    """Warp two frames to the instant halfway between them.

    Called on `[first, second]` (`(batch, h, w, c)`, sizes as for
    `LucasKanadeFlow`); returns `[first_at_middle, second_at_middle]`, each
    `(batch, h, w, c)`. With `F` the flow first -> second and `B` the flow
    second -> first, `first_at_middle(x) = first(x + B(x) / 2)` and
    `second_at_middle(x) = second(x + F(x) / 2)`: each frame moves half its
    way along the motion measured at `x` (linear motion, the flow at the
    middle instant approximated by the flow at the same pixel of the
    endpoint frames). Both flows come from one `LucasKanadeFlow` call on the
    doubled batch.

    Args:
        levels, iterations, window_sigma, damping: passed to
            `LucasKanadeFlow`.
    """

    def __init__(self, levels=5, iterations=3, window_sigma=2.0, damping=1e-4, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.flow = LucasKanadeFlow(levels, iterations, window_sigma, damping, name="flow")

    @property
    def size_multiple(self):
        return self.flow.size_multiple

    def build(self, input_shape):
        self.flow.build(input_shape)
        self.built = True

    def call(self, inputs):
        first, second = inputs
        both = ops.concatenate([first, second], axis=0)
        flows = self.flow([both, ops.concatenate([second, first], axis=0)])
        n = ops.shape(first)[0]
        forward, backward = flows[:n], flows[n:]
        first_mid = backward_warp(first, 0.5 * ops.cast(backward, first.dtype))
        second_mid = backward_warp(second, 0.5 * ops.cast(forward, second.dtype))
        return [ops.stop_gradient(first_mid), ops.stop_gradient(second_mid)]

    def compute_output_shape(self, input_shape):
        return [tuple(input_shape[0]), tuple(input_shape[1])]

    def get_config(self):
        config = super().get_config()
        config.pop("trainable", None)
        f = self.flow
        config.update(
            {
                "levels": f.levels,
                "iterations": f.iterations,
                "window_sigma": f.window_sigma,
                "damping": f.damping,
            }
        )
        return config
