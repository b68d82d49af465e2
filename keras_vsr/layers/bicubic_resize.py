import numpy as np
import keras
from keras import ops

from keras_vsr.layers.pixel_shuffle import check_scale, depth_to_space
from keras_vsr.utils.image_ops import symmetric_pad
from keras_vsr.utils.imresize import cubic
from keras_vsr.utils.serialization import register


def _phase_kernel(scale):
    """1-D bicubic taps for each of the `scale` output phases.

    Output pixel `scale * j + p` sits at input coordinate
    `j + (p + 0.5) / scale - 0.5`; its weights over input pixels `j-2..j+2`
    are `cubic(offset - t)`. Returns an array of shape `(scale, 5)`.
    """
    offsets = (np.arange(scale) + 0.5) / scale - 0.5
    taps = np.arange(-2, 3)
    weights = cubic(offsets[:, None] - taps[None, :])
    return weights / weights.sum(axis=1, keepdims=True)


@register
class BicubicUpsample(keras.layers.Layer):
    """Integer-factor bicubic upsampling that matches MATLAB `imresize`.

    Works on any input size on every backend: the image is padded
    symmetrically by two pixels, each of the `scale**2` output phases is a
    fixed 5x5 convolution, and a depth-to-space puts the phases in place.
    Identical to `keras_vsr.utils.imresize.imresize(x, scale)` (float input).

    Args:
        scale: int >= 1, the upsampling factor.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = check_scale(scale)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("BicubicUpsample needs a known channel dimension.")
        s = self.scale
        w1 = _phase_kernel(s)  # (s, 5)
        # kernel[ty, tx, c_in, (py * s + px) * C + c_out]
        phase2d = np.einsum("at,bu->tuab", w1, w1).reshape(5, 5, s * s)
        eye = np.eye(channels)
        kernel = np.einsum("tuk,ic->tuikc", phase2d, eye).reshape(5, 5, channels, s * s * channels)
        self._kernel = kernel.astype("float32")
        self.built = True

    def call(self, inputs):
        if self.scale == 1:
            return inputs
        x = symmetric_pad(inputs, (2, 2), (2, 2))
        kernel = ops.cast(ops.convert_to_tensor(self._kernel), x.dtype)
        x = ops.conv(x, kernel, strides=1, padding="valid")
        return depth_to_space(x, self.scale)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, c)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
