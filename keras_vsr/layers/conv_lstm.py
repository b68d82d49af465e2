"""Convolutional LSTM (Shi et al. 2015, "Convolutional LSTM Network").

`ConvLSTMCell` is one time step; `ConvLSTM` runs it over the time axis of a
`(batch, time, height, width, channels)` sequence. Both are written with
`keras.ops` and accept any frame size. `keras.layers.ConvLSTM2D` computes
the same recurrence (its kernel is split into an input part with bias and a
recurrent part without, gates in the same order i, f, g, o), but it needs
the frame size fixed when it is built; these layers take any size.
"""

import numpy as np
import keras
from keras import ops

from keras_vsr.utils.serialization import register


@register
class ConvLSTMCell(keras.layers.Layer):
    """One step of a convolutional LSTM.

    With `[x, h]` the concatenation of the input and the previous hidden
    state along channels, and `*` a 2D convolution with "same" padding:

        i = sigmoid(W_i * [x, h] + b_i)      input gate
        f = sigmoid(W_f * [x, h] + b_f)      forget gate
        g = tanh(W_g * [x, h] + b_g)         candidate
        o = sigmoid(W_o * [x, h] + b_o)      output gate
        c' = f . c + i . g
        h' = o . tanh(c')

    The four convolutions are one `Conv2D` with `4 * filters` outputs.

    Call as `h_new, [h_new, c_new] = cell(x, [h, c])`; `states=None` starts
    from zeros (`get_initial_state`).

    Args:
        filters: int >= 1, channels of the hidden and cell states.
        kernel_size: int >= 1 (odd), side of the gate convolution. Default 3.
        unit_forget_bias: bool, initialise the forget-gate bias to 1
            (Jozefowicz et al. 2015). Default True.
    """

    def __init__(self, filters, kernel_size=3, unit_forget_bias=True, **kwargs):
        super().__init__(**kwargs)
        if int(filters) != filters or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters}")
        if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f"`kernel_size` must be a positive odd integer. Received: kernel_size={kernel_size}"
            )
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.gates = keras.layers.Conv2D(
            4 * self.filters,
            self.kernel_size,
            padding="same",
            dtype=self.dtype_policy,
            name="gates",
        )

    def build(self, inputs_shape, states_shape=None):
        channels = inputs_shape[-1]
        if channels is None:
            raise ValueError(
                f"ConvLSTMCell needs a known number of input channels. Received input_shape={inputs_shape}"
            )
        self.gates.build(tuple(inputs_shape[:-1]) + (channels + self.filters,))
        if self.unit_forget_bias:
            bias = np.zeros((4 * self.filters,), "float32")
            bias[self.filters : 2 * self.filters] = 1.0
            self.gates.bias.assign(bias)
        self.built = True

    def get_initial_state(self, inputs):
        """Zero `[h, c]` of shape `(batch, height, width, filters)` for `inputs`."""
        zeros = ops.zeros_like(inputs[..., :1])
        zeros = ops.repeat(zeros, self.filters, axis=-1)
        return [zeros, zeros]

    def call(self, inputs, states=None):
        if states is None:
            states = self.get_initial_state(inputs)
        h, c = states
        z = self.gates(ops.concatenate([inputs, ops.cast(h, inputs.dtype)], axis=-1))
        i, f, g, o = ops.split(z, 4, axis=-1)
        c_new = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        h_new = ops.sigmoid(o) * ops.tanh(c_new)
        return h_new, [h_new, c_new]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        out = tuple(inputs_shape[:-1]) + (self.filters,)
        return out, [out, out]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "unit_forget_bias": self.unit_forget_bias,
            }
        )
        return config


@register
class ConvLSTM(keras.layers.Layer):
    """A `ConvLSTMCell` run over the time axis of a frame sequence.

    Input `(batch, time, height, width, channels)` with a known (static)
    number of time steps; height and width may be anything. The loop is
    unrolled over time, which suits the short windows of frame
    interpolation.

    Args:
        filters: int >= 1, hidden channels.
        kernel_size: int, odd, gate convolution size. Default 3.
        return_sequences: bool, return every step's hidden state
            `(batch, time, height, width, filters)` instead of only the
            last `(batch, height, width, filters)`. Default False.
        go_backwards: bool, process the sequence from the last frame to the
            first; with `return_sequences=True` the outputs are put back in
            input order. Default False.
        unit_forget_bias: bool, see `ConvLSTMCell`. Default True.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        return_sequences=False,
        go_backwards=False,
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.cell = ConvLSTMCell(
            filters,
            kernel_size,
            unit_forget_bias=unit_forget_bias,
            dtype=self.dtype_policy,
            name="cell",
        )
        self.filters = self.cell.filters
        self.kernel_size = self.cell.kernel_size
        self.unit_forget_bias = self.cell.unit_forget_bias
        self.return_sequences = bool(return_sequences)
        self.go_backwards = bool(go_backwards)

    def _check(self, input_shape):
        if len(input_shape) != 5:
            raise ValueError(
                "ConvLSTM expects (batch, time, height, width, channels) input. "
                f"Received input_shape={tuple(input_shape)}"
            )
        if input_shape[1] is None:
            raise ValueError(
                "ConvLSTM needs a known number of time steps (the loop is unrolled). "
                f"Received input_shape={tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check(input_shape)
        b, _, h, w, c = input_shape
        self.cell.build((b, h, w, c))
        self.built = True

    def call(self, inputs):
        steps = list(range(inputs.shape[1]))
        if self.go_backwards:
            steps = steps[::-1]
        states = self.cell.get_initial_state(inputs[:, 0])
        outputs = {}
        h = None
        for t in steps:
            h, states = self.cell(inputs[:, t], states)
            outputs[t] = h
        if not self.return_sequences:
            return h
        return ops.stack([outputs[t] for t in sorted(outputs)], axis=1)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        b, t, h, w, _ = input_shape
        if self.return_sequences:
            return (b, t, h, w, self.filters)
        return (b, h, w, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "return_sequences": self.return_sequences,
                "go_backwards": self.go_backwards,
                "unit_forget_bias": self.unit_forget_bias,
            }
        )
        return config
