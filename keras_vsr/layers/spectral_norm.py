"""Convolution with spectral normalisation (Miyato et al. 2018), as
PyTorch's `torch.nn.utils.spectral_norm` computes it."""

import keras
from keras import ops

from keras_vsr.utils.serialization import register


def _normalize(x, eps=1e-12):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), eps)


@register
class SpectralConv2D(keras.layers.Layer):
    """A 2-D convolution whose kernel is divided by its spectral norm.

    The kernel, seen as a matrix of `(kh * kw * in_channels, filters)`, is
    divided by `sigma`, its largest singular value, estimated by power
    iteration with a persistent vector `u` (one entry per filter): each
    training call runs `power_iterations` steps `v = W u / |W u|`,
    `u = W^T v / |W^T v|` (no gradient through `u`, `v`), stores `u`, and
    uses `sigma = v^T W u`. Inference uses the stored `u` without updating
    it. The trained `kernel` variable itself is never overwritten, so
    gradients flow through `W / sigma` as in PyTorch.

    Args:
        filters: int, output channels.
        kernel_size: int, square kernel side.
        strides: int, default 1.
        padding: `"same"` or `"valid"`, default `"same"`. For stride 2 and
            kernel 4, `"same"` pads (1, 2) where PyTorch pads (1, 1); the
            output size is the same for even inputs.
        use_bias: bool, default True.
        power_iterations: int >= 1, default 1.
        epsilon: float, the smallest norm divided by. Default 1e-12.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="same",
        use_bias=True,
        power_iterations=1,
        epsilon=1e-12,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if power_iterations < 1:
            raise ValueError(f"`power_iterations` must be >= 1. Received: power_iterations={power_iterations}")
        if padding not in ("same", "valid"):
            raise ValueError(f"`padding` must be 'same' or 'valid'. Received: padding={padding!r}")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.strides = int(strides)
        self.padding = padding
        self.use_bias = bool(use_bias)
        self.power_iterations = int(power_iterations)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel", shape=(k, k, in_channels, self.filters), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") if self.use_bias else None
        self.u = self.add_weight(
            name="u", shape=(self.filters,), initializer=keras.initializers.RandomNormal(stddev=1.0), trainable=False
        )

    def power_iteration(self, matrix, u):
        """`(u, v)` after `power_iterations` steps from `u`, without gradient."""
        for _ in range(self.power_iterations):
            v = _normalize(ops.matmul(matrix, u), self.epsilon)
            u = _normalize(ops.matmul(ops.transpose(matrix), v), self.epsilon)
        return ops.stop_gradient(u), ops.stop_gradient(v)

    def sigma(self, training=False):
        """The spectral norm estimate the next call divides by (updating `u`
        when `training`)."""
        kernel = ops.cast(self.kernel, "float32")
        matrix = ops.reshape(kernel, (-1, self.filters))
        u = ops.cast(self.u, "float32")
        if training:
            u, v = self.power_iteration(matrix, u)
            self.u.assign(ops.cast(u, self.u.dtype))
        else:
            v = ops.stop_gradient(_normalize(ops.matmul(matrix, u), self.epsilon))
        return ops.sum(v * ops.matmul(matrix, u))

    def call(self, inputs, training=False):
        kernel = self.kernel / ops.cast(self.sigma(training), self.kernel.dtype)
        outputs = ops.conv(inputs, ops.cast(kernel, inputs.dtype), strides=self.strides, padding=self.padding)
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, outputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape

        def side(n):
            if n is None:
                return None
            if self.padding == "same":
                return -(-n // self.strides)
            return (n - self.kernel_size) // self.strides + 1

        return (b, side(h), side(w), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "power_iterations": self.power_iterations,
            "epsilon": self.epsilon,
        }
