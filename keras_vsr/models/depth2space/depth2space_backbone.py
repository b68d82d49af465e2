"""Depth2Space CNN: a fixed input resolution to a fixed target resolution.

The original "720p to 1080p" design:

    720x1280x3 --conv 5x5 stride 5 (128)--> 144x256x128
               --conv 4x4 valid (150)-----> 141x253x150
               --conv 7x14 valid (192)----> 135x240x192   (192 = 3 * 8 * 8)
               --depth-to-space 8---------> 1080x1920x3

The strided convolution cuts the frame into `stride x stride` cells, the two
"valid" convolutions shrink the cell grid to the grid of `block_size x
block_size` output blocks, and depth-to-space unfolds each block's channels
into pixels. `Depth2SpaceBackbone` derives the kernel sizes of the two valid
convolutions from `(input_size, target_size)`.

A note on the geometry: one stride cell is 5 input pixels and one output
block is 8 output pixels, a ratio of 1.6, while 720p -> 1080p is 1.5. The
difference is taken up by the valid convolutions, which lose 9 (rows) and 16
(columns) cells of border. Output block `i` is computed from cells `i ..
i + 9` (input rows `5i .. 5i + 49`), but the pixels it should show sit at
input rows `5.33i .. 5.33(i + 1)`: their position inside the receptive field
drifts by a third of a pixel per block, from the top of the field (first
block) to 45 pixels lower (last block). Convolutions apply the same weights
everywhere and valid padding gives them no cue of absolute position, so the
network cannot be pixel-aligned over the whole frame; it learns a compromise.
Whenever `stride / block_size` differs from `input / target` this holds; only
configurations with `in / stride == out / block_size` (no shrink) are
aligned. `image_residual=True` adds a MATLAB-bicubic resize of the input to
the target size at the output, so the network only predicts a correction
(and can fall back to bicubic where it cannot align). For inputs of any
size, use `UNetSRBackbone`.
"""

import keras
from keras import ops

from keras_vsr.layers.pixel_shuffle import PixelShuffle
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.utils.checks import positive_int, size_pair
from keras_vsr.utils.imresize import resize_taps
from keras_vsr.utils.serialization import register


def depth2space_geometry(input_size, target_size, stride=5, block_size=8, kernel_size=4):
    """Kernel sizes of the two valid convolutions for `input_size -> target_size`.

    Per axis: `cells = input / stride` (must be an integer), `blocks =
    target / block_size` (must be an integer), `shrink = cells - blocks`
    (must be >= 0). A valid convolution with kernel `k` removes `k - 1`
    cells, so the first valid convolution takes `min(kernel_size, shrink +
    1)` and the second takes the rest: `shrink - (k1 - 1) + 1`.

    Args:
        input_size: pair of ints `(height, width)` of the input frames.
        target_size: pair of ints `(height, width)` of the output frames.
        stride: int, stride (and kernel size) of the first convolution.
            Default 5.
        block_size: int, depth-to-space block size. Default 8.
        kernel_size: int or pair, preferred kernel of the first valid
            convolution. Default 4.

    Returns:
        dict with `cells`, `blocks`, `shrink`, `first_kernel`, `second_kernel`
        (pairs `(height, width)`).

    Raises:
        ValueError: explaining the arithmetic when the pair cannot be reached.
    """
    input_size = size_pair(input_size, "input_size")
    target_size = size_pair(target_size, "target_size")
    stride = positive_int(stride, "stride")
    block_size = positive_int(block_size, "block_size")
    preferred = size_pair(kernel_size, "kernel_size")
    cells, blocks, shrink, first, second = [], [], [], [], []
    for axis, n_in, n_out, k in zip(("height", "width"), input_size, target_size, preferred):
        if n_in % stride:
            raise ValueError(
                f"Input {axis} {n_in} is not a multiple of stride {stride}: the strided "
                f"convolution would leave {n_in % stride} pixels unused. Received: "
                f"input_size={input_size}, stride={stride}"
            )
        if n_out % block_size:
            raise ValueError(
                f"Target {axis} {n_out} is not a multiple of block_size {block_size}: "
                f"depth-to-space makes {block_size}x{block_size} blocks. Received: "
                f"target_size={target_size}, block_size={block_size}"
            )
        c, b = n_in // stride, n_out // block_size
        if c < b:
            raise ValueError(
                f"Cannot reach target {axis} {n_out} from input {axis} {n_in}: the input "
                f"gives {n_in} / {stride} = {c} cells, the target needs {n_out} / {block_size} "
                f"= {b} blocks, and valid convolutions can only shrink ({c} < {b}). Use a "
                f"larger block_size or a smaller stride (need input / stride >= target / "
                f"block_size), or UNetSRBackbone for free output sizes. Received: "
                f"input_size={input_size}, target_size={target_size}"
            )
        s = c - b
        k1 = min(k, s + 1)
        cells.append(c)
        blocks.append(b)
        shrink.append(s)
        first.append(k1)
        second.append(s - (k1 - 1) + 1)
    return {
        "cells": tuple(cells),
        "blocks": tuple(blocks),
        "shrink": tuple(shrink),
        "first_kernel": tuple(first),
        "second_kernel": tuple(second),
    }


@register
class FixedBicubicResize(keras.layers.Layer):
    """MATLAB-bicubic resize between two fixed sizes (a constant gather + weighted sum).

    Separable: along each axis, output pixel `o` is `sum_t weights[o, t] *
    input[indices[o, t]]`, with the taps of `keras_vsr.utils.imresize.
    resize_taps` (antialiased when shrinking). The same numbers as
    `imresize(x, output_shape=target_size)` on float input.

    Args:
        target_size: pair of ints `(height, width)` of the output.
        antialias: bool, stretch the kernel when downscaling. Default True.
    """

    def __init__(self, target_size, antialias=True, **kwargs):
        super().__init__(**kwargs)
        self.target_size = size_pair(target_size, "target_size")
        self.antialias = bool(antialias)

    def build(self, input_shape):
        h, w = input_shape[1], input_shape[2]
        if h is None or w is None:
            raise ValueError(
                f"FixedBicubicResize needs a known input height and width. Received input_shape={tuple(input_shape)}"
            )
        self._rows = resize_taps(h, self.target_size[0], self.antialias)
        self._cols = resize_taps(w, self.target_size[1], self.antialias)
        self.built = True

    @staticmethod
    def _resize_axis(x, taps, axis):
        indices, weights = taps
        out = None
        for t in range(indices.shape[1]):
            gathered = ops.take(x, ops.convert_to_tensor(indices[:, t]), axis=axis)
            shape = [1, 1, 1, 1]
            shape[axis] = weights.shape[0]
            term = gathered * ops.cast(ops.reshape(ops.convert_to_tensor(weights[:, t]), shape), x.dtype)
            out = term if out is None else out + term
        return out

    def call(self, inputs):
        x = self._resize_axis(inputs, self._rows, 1)
        return self._resize_axis(x, self._cols, 2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.target_size, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "target_size": self.target_size, "antialias": self.antialias}


@register
class Depth2SpaceBackbone(SRBackbone):
    """Strided-conv encoder and depth-to-space from a fixed size to a fixed size.

    conv `stride x stride` with stride `stride` (`filters[0]`) -> ReLU ->
    conv `first_kernel` valid (`filters[1]`) -> ReLU -> conv `second_kernel`
    valid (`channels * block_size**2`) -> depth-to-space `block_size`
    [+ bicubic resize of the input]. The two valid kernels are derived from
    `input_size` and `target_size` by `depth2space_geometry`; see the module
    docstring for the geometry and its alignment limit.

    The defaults are the original 720x1280 -> 1080x1920 model (kernels 4x4
    and 7x14, about 3.1M parameters). Inputs must have exactly
    `input_size`; `SuperResolver.upscale` says so and points to
    `UNetSRBackbone` for other sizes.

    Args:
        input_size: pair of ints `(height, width)`. Default `(720, 1280)`.
        target_size: pair of ints `(height, width)`. Default `(1080, 1920)`.
        stride: int, stride and kernel size of the first convolution.
            Default 5.
        block_size: int, depth-to-space block size. Default 8.
        filters: pair of ints, filters of the strided and of the first valid
            convolution (the last one has `channels * block_size**2`).
            Default `(128, 150)`.
        kernel_size: int or pair, preferred kernel of the first valid
            convolution (smaller when the total shrink is smaller). Default 4.
        image_residual: bool, add the MATLAB-bicubic resize of the input to
            the output. Default False (the original design).
        channels: int, image channels. Default 3.
        dtype: dtype policy for the layers.
    """

    config_keys = (
        "input_size",
        "target_size",
        "stride",
        "block_size",
        "filters",
        "kernel_size",
        "image_residual",
        "channels",
    )

    def __init__(
        self,
        input_size=(720, 1280),
        target_size=(1080, 1920),
        stride=5,
        block_size=8,
        filters=(128, 150),
        kernel_size=4,
        image_residual=False,
        channels=3,
        dtype=None,
        **kwargs,
    ):
        geometry = depth2space_geometry(input_size, target_size, stride, block_size, kernel_size)
        input_size = size_pair(input_size, "input_size")
        target_size = size_pair(target_size, "target_size")
        filters = size_pair(filters, "filters")
        kernel_size = size_pair(kernel_size, "kernel_size")
        channels = positive_int(channels, "channels")

        inputs = keras.Input(shape=(*input_size, channels), name="images")
        x = keras.layers.Conv2D(
            filters[0], stride, strides=stride, padding="valid", activation="relu", dtype=dtype, name="stride_conv"
        )(inputs)
        x = keras.layers.Conv2D(
            filters[1], geometry["first_kernel"], padding="valid", activation="relu", dtype=dtype, name="valid_conv_1"
        )(x)
        x = keras.layers.Conv2D(
            channels * block_size * block_size, geometry["second_kernel"], padding="valid", dtype=dtype,
            # With the image residual, a zero last layer starts the model at exactly bicubic.
            kernel_initializer="zeros" if image_residual else "glorot_uniform",
            name="valid_conv_2",
        )(x)
        outputs = PixelShuffle(block_size, dtype=dtype, name="depth_to_space")(x)
        if image_residual:
            resized = FixedBicubicResize(target_size, dtype=dtype, name="bicubic")(inputs)
            outputs = keras.layers.Add(dtype=dtype, name="image_residual")([outputs, resized])
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        self.input_size = input_size
        self.target_size = target_size
        self.stride = stride
        self.block_size = block_size
        self.filters = filters
        self.kernel_size = kernel_size
        self.image_residual = image_residual
        self.channels = channels
        self.geometry = geometry
        ratio = target_size[0] / input_size[0]
        self.scale = int(ratio) if ratio == int(ratio) and target_size[1] == ratio * input_size[1] else ratio

    @property
    def receptive_radius(self):
        """Input pixels each output block depends on, on every side, at
        most: its field spans `stride * (first_kernel + second_kernel - 1)`
        input pixels (the larger axis), and where the block sits in it
        drifts over the frame (module docstring), so the whole span counts.
        Informative only: fixed-geometry models are never tiled."""
        first, second = self.geometry["first_kernel"], self.geometry["second_kernel"]
        return max(self.stride * (a + b - 1) for a, b in zip(first, second))
