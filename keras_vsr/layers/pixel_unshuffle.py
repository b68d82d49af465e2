import keras
from keras import ops

from keras_vsr.layers.pixel_shuffle import check_scale
from keras_vsr.utils.serialization import register


def reflect_pad_to_multiple(x, multiple):
    """Pad `(batch, h, w, c)` at the bottom and right up to multiples of
    `multiple` by reflection without repeating the edge pixel (`[a, b, c]`
    -> `[a, b, c, b]`, torch's "reflect"); a side of one pixel repeats it.
    Works on run-time sizes."""
    shape = ops.shape(x)
    for axis in (1, 2):
        n = shape[axis]
        index = ops.arange(n + (-n) % multiple)
        index = ops.where(index < n, index, 2 * (n - 1) - index)
        x = ops.take(x, ops.clip(index, 0, n - 1), axis=axis)
    return x


def space_to_depth(x, block_size):
    """The inverse of `pixel_shuffle.depth_to_space` (TensorFlow order):
    pixel `(y * r + dy, x * r + dx)` of channel `c` becomes channel
    `(dy * r + dx) * C + c`. Height and width must be multiples of `r`."""
    r = int(block_size)
    shape = ops.shape(x)
    h, w, c = shape[1], shape[2], shape[3]
    x = ops.reshape(x, (-1, h // r, r, w // r, r, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, h // r, w // r, r * r * c))


@register
class PixelUnshuffle(keras.layers.Layer):
    """Space-to-depth rearrangement, the inverse of `PixelShuffle`.

    `(batch, h, w, c)` -> `(batch, ceil(h / r), ceil(w / r), c * r**2)`:
    sizes that are not multiples of `r` are first padded at the bottom and
    right by reflection (`reflect_pad_to_multiple`), as Real-ESRGAN's
    inference pads x1 / x2 inputs. Channel order is `PixelShuffle`'s
    (TensorFlow's `space_to_depth`).

    Args:
        scale: int, the downscaling factor `r`.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = check_scale(scale)

    def call(self, inputs):
        return space_to_depth(reflect_pad_to_multiple(inputs, self.scale), self.scale)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.scale
        return (
            b,
            None if h is None else -(-h // r),
            None if w is None else -(-w // r),
            None if c is None else c * r * r,
        )

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
