"""Fast Fourier Convolution (Chi et al., "Fast Fourier Convolution", NeurIPS
2020) over stacked video frames.

Feature maps `(batch, h, w, channels)` are read as `time_steps` groups of
`channels // time_steps` channels, one group per frame (the layout of frames
concatenated on the channel axis). The global branch transforms over height,
width and time: `keras.ops.fft2` over (h, w) and a discrete Fourier transform
over the `time_steps` groups (a small matrix product, exact for any
`time_steps`), a 1x1 convolution on the stacked real and imaginary parts at
every frequency, then the inverse transforms. Every output pixel therefore
depends on every input pixel of every frame: the receptive field is global
from the first layer on.

Transforms use orthonormal scaling (`1 / sqrt(h * w * time_steps)` each
way), so the spectra of small training crops and large frames have the same
scale. Only `keras.ops` is used: the layers run on TensorFlow, PyTorch and
JAX.
"""

import math

import numpy as np
import keras
from keras import ops

from keras_vsr.utils.checks import open_fraction, positive_int
from keras_vsr.utils.serialization import register


def _check_time_steps(channels, time_steps, what):
    if channels % time_steps:
        raise ValueError(
            f"{what} channels ({channels}) must be divisible by time_steps ({time_steps})."
        )


class _StackedFramesLayer(keras.layers.Layer):
    """Base of the FFC layers: `filters` output channels, and `time_steps`
    frames stacked on the channel axis."""

    def __init__(self, filters, time_steps=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters")
        self.time_steps = positive_int(time_steps, "time_steps")

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "time_steps": self.time_steps}


@register
class FourierUnit(_StackedFramesLayer):
    """The spectral (global) operation of FFC over height, width and time.

    input `(b, h, w, T * c)` -> 3-D FFT over (h, w, T) -> concat(real, imag)
    `(b, h, w, T, 2c)` -> 1x1 convolution to `2 * filters // T` channels ->
    ReLU -> inverse 3-D FFT (real part) -> `(b, h, w, filters)`.

    Args:
        filters: int, output channels; a multiple of `time_steps`.
        time_steps: int, frames stacked on the channel axis (input and output
            channels are both split into this many groups). Default 1 (a 2-D
            FFT over height and width only).
        use_bias: bool, bias of the frequency-domain 1x1 convolution. Default
            False (keeps the map positively homogeneous, so it behaves alike
            on crops and on whole frames).
        kernel_initializer: initializer of the 1x1 convolution. Default
            "he_normal".
        **kwargs: standard layer arguments (`name`, `dtype`, ...).
    """

    def __init__(self, filters, time_steps=1, use_bias=False, kernel_initializer="he_normal", **kwargs):
        super().__init__(filters, time_steps, **kwargs)
        _check_time_steps(self.filters, self.time_steps, "Output")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.spectral_conv = keras.layers.Dense(
            2 * (self.filters // self.time_steps),
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="spectral_conv",
        )
        t = np.arange(self.time_steps)
        angle = 2.0 * np.pi * np.outer(t, t) / self.time_steps
        scale = 1.0 / math.sqrt(self.time_steps)
        # Forward DFT over time: X_k = sum_t x_t exp(-2 pi i k t / T) / sqrt(T).
        self._dft_cos = (np.cos(angle) * scale).astype("float32")
        self._dft_sin = (np.sin(angle) * scale).astype("float32")

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("FourierUnit needs a known channel count.")
        _check_time_steps(channels, self.time_steps, "Input")
        self.spectral_conv.build((None, None, None, self.time_steps, 2 * (channels // self.time_steps)))
        self.built = True

    def _time_dft(self, re, im, inverse):
        """DFT over axis 1 (time) of (b, T, c, h, w) real/imaginary parts."""
        if self.time_steps == 1:
            return re, im
        cos = ops.cast(self._dft_cos, re.dtype)
        sin = ops.cast(self._dft_sin, re.dtype)
        if inverse:
            sin = -sin
        # (x + iy)(cos - i sin) = x cos + y sin + i (y cos - x sin)
        mix = lambda m, v: ops.einsum("kt,btchw->bkchw", m, v)  # noqa: E731
        return mix(cos, re) + mix(sin, im), mix(cos, im) - mix(sin, re)

    def call(self, inputs):
        shape = ops.shape(inputs)
        # Static sizes where known, so the output keeps a static shape.
        h = inputs.shape[1] if inputs.shape[1] is not None else shape[1]
        w = inputs.shape[2] if inputs.shape[2] is not None else shape[2]
        steps = self.time_steps
        channels = inputs.shape[-1] // steps
        x = ops.reshape(inputs, (-1, h, w, steps, channels))
        x = ops.transpose(x, (0, 3, 4, 1, 2))  # (b, T, c, h, w)
        n = ops.cast(h * w, x.dtype)
        norm = ops.sqrt(n)
        re, im = ops.fft2((x, ops.zeros_like(x)))
        re, im = self._time_dft(re / norm, im / norm, inverse=False)
        spectrum = ops.concatenate([re, im], axis=2)  # (b, T, 2c, h, w)
        spectrum = ops.transpose(spectrum, (0, 3, 4, 1, 2))  # (b, h, w, T, 2c)
        spectrum = ops.relu(self.spectral_conv(spectrum))
        spectrum = ops.transpose(spectrum, (0, 3, 4, 1, 2))  # (b, T, 2f, h, w)
        out_channels = self.filters // steps
        re, im = spectrum[:, :, :out_channels], spectrum[:, :, out_channels:]
        re, im = self._time_dft(re, im, inverse=True)
        re, _ = ops.ifft2((re * norm, im * norm))
        y = ops.transpose(re, (0, 3, 4, 1, 2))  # (b, h, w, T, f)
        return ops.reshape(y, (-1, h, w, self.filters))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config


@register
class SpectralTransform(_StackedFramesLayer):
    """The global branch of an FFC block (Chi et al. 2020, Fig. 2).

    1x1 conv to `filters // 2` -> ReLU -> `FourierUnit` -> add the conv's
    output -> 1x1 conv to `filters`.

    Args:
        filters: int, output channels; `filters // 2` must be a multiple of
            `time_steps`.
        time_steps: int, frames stacked on the channel axis. Default 1.
        **kwargs: standard layer arguments.
    """

    def __init__(self, filters, time_steps=1, **kwargs):
        super().__init__(filters, time_steps, **kwargs)
        hidden = self.filters // 2
        if hidden < self.time_steps or hidden % self.time_steps:
            raise ValueError(
                f"SpectralTransform needs filters // 2 ({hidden}) to be a positive multiple of "
                f"time_steps ({self.time_steps}). Received: filters={filters}"
            )
        self.reduce = keras.layers.Conv2D(
            hidden, 1, use_bias=False, dtype=self.dtype_policy, name="reduce"
        )
        self.fourier_unit = FourierUnit(hidden, self.time_steps, dtype=self.dtype_policy, name="fourier_unit")
        self.expand = keras.layers.Conv2D(
            self.filters, 1, use_bias=False, dtype=self.dtype_policy, name="expand"
        )

    def build(self, input_shape):
        self.reduce.build(input_shape)
        hidden_shape = (*tuple(input_shape)[:-1], self.filters // 2)
        self.fourier_unit.build(hidden_shape)
        self.expand.build(hidden_shape)
        self.built = True

    def call(self, inputs):
        x = ops.relu(self.reduce(inputs))
        return self.expand(x + self.fourier_unit(x))


@register
class FFCBlock(_StackedFramesLayer):
    """A Fast Fourier Convolution block: local and global channel parts.

    The input channels are split into a local part (the first
    `in - round(in * global_ratio)` channels) and a global part (the rest),
    and so are the `filters` output channels:

        local_out  = conv3x3(local) + conv3x3(global)
        global_out = conv3x3(local) + SpectralTransform(global)
        output     = activation(concat(local_out, global_out))

    Args:
        filters: int, output channels.
        global_ratio: float in (0, 1), share of global channels in input and
            output. Default 0.5.
        time_steps: int, frames stacked on the channel axis of the global
            part (see `FourierUnit`). Default 1.
        kernel_size: int, size of the local convolutions. Default 3.
        activation: str, activation after the sum. Default "relu".
        **kwargs: standard layer arguments.
    """

    def __init__(self, filters, global_ratio=0.5, time_steps=1, kernel_size=3, activation="relu", **kwargs):
        super().__init__(filters, time_steps, **kwargs)
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.global_ratio = open_fraction(global_ratio, "global_ratio")
        self.activation = keras.activations.get(activation)
        self._activation_name = activation
        self.out_global = int(round(self.filters * self.global_ratio))
        self.out_local = self.filters - self.out_global
        if self.out_global < 2 or self.out_local < 1:
            raise ValueError(
                f"FFCBlock(filters={filters}, global_ratio={global_ratio}) leaves "
                f"{self.out_local} local and {self.out_global} global channels; both parts need channels."
            )

        def conv(filters, name):
            return keras.layers.Conv2D(
                filters, self.kernel_size, padding="same", dtype=self.dtype_policy, name=name
            )

        self.local_to_local = conv(self.out_local, "local_to_local")
        self.global_to_local = conv(self.out_local, "global_to_local")
        self.local_to_global = conv(self.out_global, "local_to_global")
        self.global_to_global = SpectralTransform(
            self.out_global, self.time_steps, dtype=self.dtype_policy, name="global_to_global"
        )

    def _split(self, channels):
        in_global = int(round(channels * self.global_ratio))
        return channels - in_global, in_global

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("FFCBlock needs a known channel count.")
        in_local, in_global = self._split(channels)
        if in_local < 1 or in_global < 1:
            raise ValueError(
                f"FFCBlock input of {channels} channels with global_ratio={self.global_ratio} "
                "leaves one part empty."
            )
        lead = tuple(input_shape)[:-1]
        self.local_to_local.build((*lead, in_local))
        self.local_to_global.build((*lead, in_local))
        self.global_to_local.build((*lead, in_global))
        self.global_to_global.build((*lead, in_global))
        self.built = True

    def call(self, inputs):
        in_local, _ = self._split(inputs.shape[-1])
        x_local, x_global = inputs[..., :in_local], inputs[..., in_local:]
        out_local = self.local_to_local(x_local) + self.global_to_local(x_global)
        out_global = self.local_to_global(x_local) + self.global_to_global(x_global)
        return self.activation(ops.concatenate([out_local, out_global], axis=-1))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "global_ratio": self.global_ratio,
                "kernel_size": self.kernel_size,
                "activation": self._activation_name,
            }
        )
        return config
