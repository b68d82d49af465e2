import keras
from keras import ops

from keras_vsr.utils.serialization import register


@register
class ParameterFreeAttention(keras.layers.Layer):
    """The parameter-free attention of SPAN's blocks (Wan et al. 2024).

    Given a block's last features `f` and its input `x` (same shape), returns
    `(f + x) * (sigmoid(f) - 0.5)`: the features themselves, through a
    symmetric sigmoid, weight the residual sum. The layer has no weights.

    Call it on a list `[features, inputs]`.
    """

    def call(self, inputs):
        features, skip = inputs
        return ops.multiply(ops.add(features, skip), ops.subtract(ops.sigmoid(features), 0.5))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
