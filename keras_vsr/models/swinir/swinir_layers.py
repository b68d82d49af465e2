"""The layers of SwinIR (Liang et al. 2021): shifted-window attention blocks
and the padding to whole windows.

Feature maps stay `(batch, height, width, channels)` throughout; a block
cuts them into `window_size x window_size` windows itself, so the same
weights run on any size that is a multiple of the window.
"""

import keras
import numpy as np
from keras import ops

from keras_vsr.utils.serialization import register

# Added to the attention logits of token pairs that a cyclic shift brought
# into one window from different regions of the image.
MASK_VALUE = -100.0


def relative_position_index(window_size):
    """Index into a `((2w-1)^2, heads)` bias table for every token pair.

    Tokens are numbered row-major inside a `w x w` window; pair `(i, j)`
    gets the row of its offset `(dy, dx) = position(i) - position(j)`,
    `(dy + w - 1) * (2w - 1) + (dx + w - 1)`.

    Returns:
        int32 array of shape `(w * w, w * w)`.
    """
    rows, cols = np.meshgrid(np.arange(window_size), np.arange(window_size), indexing="ij")
    rows, cols = rows.reshape(-1), cols.reshape(-1)
    dy = rows[:, None] - rows[None, :] + window_size - 1
    dx = cols[:, None] - cols[None, :] + window_size - 1
    return (dy * (2 * window_size - 1) + dx).astype("int32")


def window_partition(x, window_size):
    """`(b, h, w, c)` -> `(b * windows, window_size**2, c)`, windows row-major."""
    shape = ops.shape(x)
    h, w, c = shape[1], shape[2], shape[3]
    x = ops.reshape(x, (-1, h // window_size, window_size, w // window_size, window_size, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, window_size * window_size, c))


def window_merge(windows, window_size, height, width):
    """The inverse of `window_partition` for maps of `height x width`."""
    c = ops.shape(windows)[-1]
    x = ops.reshape(
        windows, (-1, height // window_size, width // window_size, window_size, window_size, c)
    )
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, height, width, c))


def shifted_window_mask(height, width, window_size, shift_size):
    """The attention mask of shifted windows on a `height x width` map.

    After rolling the map up and left by `shift_size`, the last window row
    and column hold pixels from up to three regions of the original map
    (bands `[0, size - window)`, `[size - window, size - shift)`,
    `[size - shift, size)` along each axis). Pairs of tokens from different
    regions get `MASK_VALUE`, all others 0. The sizes may be tensors.

    Returns:
        float tensor `(windows, window_size**2, window_size**2)`.
    """

    def bands(size):
        position = ops.arange(size)
        return ops.cast(position >= size - window_size, "int32") + ops.cast(
            position >= size - shift_size, "int32"
        )

    regions = bands(height)[:, None] * 3 + bands(width)[None, :]
    regions = window_partition(regions[None, :, :, None], window_size)[..., 0]
    different = ops.not_equal(regions[:, None, :], regions[:, :, None])
    return ops.where(different, MASK_VALUE, 0.0)


@register
class WindowAttention(keras.layers.Layer):
    """Multi-head self-attention inside windows, with a learned bias per
    relative position and head (Swin Transformer, Liu et al. 2021).

    Args:
        dim: int, token channels.
        num_heads: int, heads; `dim` must be divisible by it.
        window_size: int, the window side `w`; inputs are `(n, w * w, dim)`.
    """

    def __init__(self, dim, num_heads, window_size, **kwargs):
        super().__init__(**kwargs)
        if dim % num_heads:
            raise ValueError(
                f"`dim` must be divisible by `num_heads`. Received: dim={dim}, num_heads={num_heads}"
            )
        self.dim = dim
        self.num_heads = num_heads
        self.window_size = window_size
        self.qkv = keras.layers.Dense(3 * dim, dtype=self.dtype_policy, name="qkv")
        self.proj = keras.layers.Dense(dim, dtype=self.dtype_policy, name="proj")
        self.position_index = relative_position_index(window_size).reshape(-1)

    def build(self, input_shape):
        self.relative_position_bias_table = self.add_weight(
            shape=((2 * self.window_size - 1) ** 2, self.num_heads),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="relative_position_bias_table",
        )
        self.qkv.build(input_shape)
        self.proj.build(input_shape)
        self.built = True

    def call(self, inputs, attention_mask=None):
        """`inputs`: `(windows * batch, w * w, dim)`; `attention_mask`: None or
        `(windows, w * w, w * w)` added to the logits of each window."""
        tokens = self.window_size * self.window_size
        head_dim = self.dim // self.num_heads
        qkv = ops.reshape(self.qkv(inputs), (-1, tokens, 3, self.num_heads, head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))
        q, k, v = qkv[0], qkv[1], qkv[2]
        logits = ops.matmul(q * head_dim**-0.5, ops.swapaxes(k, -1, -2))
        bias = ops.take(self.relative_position_bias_table, self.position_index, axis=0)
        bias = ops.transpose(ops.reshape(bias, (tokens, tokens, self.num_heads)), (2, 0, 1))
        logits = logits + ops.cast(bias, logits.dtype)[None]
        if attention_mask is not None:
            windows = ops.shape(attention_mask)[0]
            logits = ops.reshape(logits, (-1, windows, self.num_heads, tokens, tokens))
            logits = logits + ops.cast(attention_mask, logits.dtype)[None, :, None]
            logits = ops.reshape(logits, (-1, self.num_heads, tokens, tokens))
        attention = ops.softmax(logits, axis=-1)
        x = ops.transpose(ops.matmul(attention, v), (0, 2, 1, 3))
        return self.proj(ops.reshape(x, (-1, tokens, self.dim)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "num_heads": self.num_heads, "window_size": self.window_size})
        return config


@register
class SwinTransformerBlock(keras.layers.Layer):
    """LayerNorm -> (shifted) window attention -> residual, LayerNorm ->
    MLP (GELU) -> residual, on `(batch, h, w, dim)` maps whose sides are
    multiples of `window_size`.

    With `shift_size > 0` the map is rolled up and left by `shift_size`
    before the windows are cut and rolled back after, and the attention
    between pixels that the roll brought together is masked
    (`shifted_window_mask`, computed from the map's size on every call).

    Args:
        dim: int, channels.
        num_heads: int, attention heads.
        window_size: int, window side.
        shift_size: int, 0 or less than `window_size`.
        mlp_ratio: float, hidden channels of the MLP are `int(dim * mlp_ratio)`.
        epsilon: float, of the LayerNorms. Default 1e-5.
    """

    def __init__(self, dim, num_heads, window_size, shift_size=0, mlp_ratio=4.0, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= shift_size < window_size:
            raise ValueError(
                f"`shift_size` must be in [0, window_size). Received: shift_size={shift_size}, "
                f"window_size={window_size}"
            )
        self.dim = dim
        self.num_heads = num_heads
        self.window_size = window_size
        self.shift_size = shift_size
        self.mlp_ratio = mlp_ratio
        self.epsilon = epsilon
        policy = self.dtype_policy
        self.norm1 = keras.layers.LayerNormalization(epsilon=epsilon, dtype=policy, name="norm1")
        self.attn = WindowAttention(dim, num_heads, window_size, dtype=policy, name="attn")
        self.norm2 = keras.layers.LayerNormalization(epsilon=epsilon, dtype=policy, name="norm2")
        self.fc1 = keras.layers.Dense(int(dim * mlp_ratio), dtype=policy, name="fc1")
        self.fc2 = keras.layers.Dense(dim, dtype=policy, name="fc2")

    def build(self, input_shape):
        tokens = (None, self.window_size * self.window_size, self.dim)
        self.norm1.build(input_shape)
        self.attn.build(tokens)
        self.norm2.build(input_shape)
        self.fc1.build(input_shape)
        self.fc2.build(tuple(input_shape[:-1]) + (int(self.dim * self.mlp_ratio),))
        self.built = True

    def call(self, inputs):
        shape = ops.shape(inputs)
        height, width = shape[1], shape[2]
        shift, size = self.shift_size, self.window_size
        x = self.norm1(inputs)
        mask = None
        if shift:
            x = ops.roll(x, shift=(-shift, -shift), axis=(1, 2))
            mask = shifted_window_mask(height, width, size, shift)
        x = window_merge(self.attn(window_partition(x, size), attention_mask=mask), size, height, width)
        if shift:
            x = ops.roll(x, shift=(shift, shift), axis=(1, 2))
        x = inputs + x
        return x + self.fc2(ops.gelu(self.fc1(self.norm2(x)), approximate=False))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "num_heads": self.num_heads,
                "window_size": self.window_size,
                "shift_size": self.shift_size,
                "mlp_ratio": self.mlp_ratio,
                "epsilon": self.epsilon,
            }
        )
        return config


@register
class ReflectPadToMultiple(keras.layers.Layer):
    """Reflect-pad `(batch, h, w, c)` at the bottom and right so that both
    sides become multiples of `multiple` (each padding must be shorter than
    its side, as for `numpy.pad(mode="reflect")`).

    Args:
        multiple: int >= 1.
    """

    def __init__(self, multiple, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, inputs):
        shape = ops.shape(inputs)
        x = ops.take(inputs, self.reflected_indices(shape[1]), axis=1)
        return ops.take(x, self.reflected_indices(shape[2]), axis=2)

    def reflected_indices(self, size):
        """`0 .. size - 1` followed by the reflected `size - 2, size - 3, ...`
        up to the next multiple (gathering these indices is a reflect pad,
        with no special case for a padding of zero)."""
        pad = (-size) % self.multiple
        return ops.concatenate([ops.arange(size), size - 2 - ops.arange(pad)], axis=0)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        m = self.multiple
        return (b, None if h is None else -(-h // m) * m, None if w is None else -(-w // m) * m, c)

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@register
class CropToScaled(keras.layers.Layer):
    """Crop `images` to `scale` times the height and width of `reference`:
    called on `[images, reference]`, returns the top-left
    `(h * scale, w * scale)` of `images`.

    Args:
        scale: int >= 1.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = int(scale)

    def call(self, inputs):
        images, reference = inputs
        shape = ops.shape(reference)
        return images[:, : shape[1] * self.scale, : shape[2] * self.scale, :]

    def compute_output_shape(self, input_shape):
        images, reference = input_shape
        s = self.scale
        h, w = reference[1], reference[2]
        return (images[0], None if h is None else h * s, None if w is None else w * s, images[3])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
