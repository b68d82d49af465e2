"""SPAN checkpoints (spandrel's `SPAN` arch, the official SPAN repository)
to `SPANBackbone`.

Detected from keys and shapes: `channels` and `filters` from the head
(`conv_1`), `scale` and `output_channels` from the upsampler's output
channels (`output_channels * scale**2`, output channels preferably equal to
the input's, else 3, 4 or 1, as spandrel reads them), and `normalize=False`
when the state dict holds the `no_norm` buffer. `img_range` and `rgb_mean`
are not in a state dict; the defaults (255, DIV2K mean) are those of SPAN's
code and of spandrel.

Each `Conv3XC` is a training-time block (`sk`: 1x1 shortcut; `conv`:
1x1 -> 3x3 -> 1x1) that the reference merges into one 3x3 kernel on every
inference call and writes into `eval_conv`. When the branches are present
they are merged here the same way (and `eval_conv`, derived from them, is not
read); a deployed state dict with only `eval_conv` is taken as it is.
"""

import math

import numpy as np

from keras_vsr.models.conversion import ConversionError, Converter, conv_kernel, pixel_shuffle_channels
from keras_vsr.models.span.span_backbone import NUM_BLOCKS, SPANBackbone

BRANCHES = ("sk", "conv.0", "conv.1", "conv.2")


def conv3xc_prefixes():
    """The torch prefixes of SPAN's `Conv3XC` blocks, in model order."""
    blocks = [f"block_{i}.c{j}_r" for i in range(1, NUM_BLOCKS + 1) for j in (1, 2, 3)]
    return ["conv_1", *blocks, "conv_2"]


def merge_conv3xc(state_dict, prefix):
    """The 3x3 kernel (OIHW) and bias one `Conv3XC` computes at inference.

    The 1x1 -> 3x3 -> 1x1 chain has no padding between its convs, so it is
    one 3x3 conv with kernel `w3 . w2 . w1` and bias
    `w3 (sum_hw(w2) b1 + b2) + b3`; the 1x1 shortcut adds to the centre tap.
    """
    def read(key):
        return state_dict[f"{prefix}.{key}"].astype("float64")

    w1, w2, w3 = read("conv.0.weight")[:, :, 0, 0], read("conv.1.weight"), read("conv.2.weight")[:, :, 0, 0]
    b1, b2, b3 = read("conv.0.bias"), read("conv.1.bias"), read("conv.2.bias")
    kernel = np.einsum("om,mnhw,ni->oihw", w3, w2, w1, optimize=True)
    kernel[:, :, 1, 1] += read("sk.weight")[:, :, 0, 0]
    bias = w3 @ (w2.sum(axis=(2, 3)) @ b1 + b2) + b3 + read("sk.bias")
    return kernel.astype("float32"), bias.astype("float32")


def scale_and_output_channels(upsampler_channels, channels):
    """`(scale, output_channels)` with `output_channels * scale**2 ==
    upsampler_channels`, trying `channels`, 3, 4 and 1 output channels."""
    for out in (channels, 3, 4, 1):
        if upsampler_channels % out == 0:
            scale = math.isqrt(upsampler_channels // out)
            if scale * scale * out == upsampler_channels:
                return scale, out
    raise ConversionError(
        f"SPAN's upsampler has {upsampler_channels} output channels, which is not "
        "output_channels * scale**2 for 1, 3 or 4 output channels."
    )


class SPANConverter(Converter):
    name = "span"
    backbone_cls = SPANBackbone
    purpose = "upscale"
    signature = (
        "conv_1.eval_conv.weight",
        "block_1.c1_r.eval_conv.weight",
        "block_6.c3_r.eval_conv.weight",
        "conv_2.eval_conv.weight",
        "conv_cat.weight",
        "upsampler.0.weight",
    )

    def config(self, state_dict):
        filters, channels = state_dict.shape("conv_1.eval_conv.weight")[:2]
        scale, output_channels = scale_and_output_channels(state_dict.shape("upsampler.0.weight")[0], channels)
        return {
            "scale": scale,
            "filters": filters,
            "normalize": "no_norm" not in state_dict,
            "channels": channels,
            "output_channels": output_channels,
        }

    def assign_weights(self, backbone, state_dict, assign):
        assign.skip("no_norm")
        for prefix in conv3xc_prefixes():
            layer = backbone.get_layer(prefix.replace(".", "_"))
            if f"{prefix}.sk.weight" in state_dict:
                kernel, bias = merge_conv3xc(state_dict, prefix)
                assign(layer.kernel, [f"{prefix}.{b}.weight" for b in BRANCHES], conv_kernel(kernel))
                assign(layer.bias, [f"{prefix}.{b}.bias" for b in BRANCHES], bias)
                assign.skip(f"{prefix}.eval_conv.weight", f"{prefix}.eval_conv.bias")
            else:
                assign(layer.kernel, f"{prefix}.eval_conv.weight", conv_kernel(state_dict[f"{prefix}.eval_conv.weight"]))
                assign(layer.bias, f"{prefix}.eval_conv.bias")
        layer = backbone.get_layer("conv_cat")
        assign(layer.kernel, "conv_cat.weight", conv_kernel(state_dict["conv_cat.weight"]))
        assign(layer.bias, "conv_cat.bias")
        layer = backbone.get_layer("upsampler")
        kernel = conv_kernel(state_dict["upsampler.0.weight"])
        assign(layer.kernel, "upsampler.0.weight", pixel_shuffle_channels(kernel, backbone.scale))
        assign(layer.bias, "upsampler.0.bias", pixel_shuffle_channels(state_dict["upsampler.0.bias"], backbone.scale))


CONVERTER = SPANConverter()
