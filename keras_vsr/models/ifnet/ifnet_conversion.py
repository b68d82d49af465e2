"""RIFE v4 checkpoints (`flownet.pkl`: the IFNet state dict, with or without
DataParallel's `module.` prefix) to `IFNetBackbone`.

Two layouts are read, told apart by keys and shapes:

- "v4.25" (RIFE v4.25, v4.26; the `ccvfi` package's IFNet): a feature head
  (`encode.cnn0` ... `encode.cnn3`), five blocks whose last transposed conv
  has 4 * 13 output channels (flow, mask, 8 features);
- "v4.6": no head, four blocks whose last transposed conv has 4 * 6.

Block widths and the head's channels are read from the shapes. Any other
RIFE checkpoint (other block counts, heads, older v2 / v3 layouts) is
refused with a `ConversionError` that says what was found.
"""

import numpy as np

from keras_vsr.models.conversion import ConversionError, Converter, pixel_shuffle_channels, transposed_conv_kernel
from keras_vsr.models.ifnet.ifnet_backbone import IFNetBackbone
from keras_vsr.models.ifnet.ifnet_layers import BLOCK_OUTPUTS, RESIDUAL_CONVS

# layout -> (blocks, head present)
LAYOUT_SHAPES = {"v4.25": (5, True), "v4.6": (4, False)}
SUPPORTED = "RIFE v4.25 / v4.26 (5 blocks, feature head) and v4.6 (4 blocks, no head)"


def shuffled_transposed_conv(state_dict, prefix, scale=2):
    """The Keras kernel and bias of the torch `ConvTranspose2d` `prefix`
    followed by `pixel_shuffle(scale)`, output channels in `PixelShuffle`
    order."""
    kernel = transposed_conv_kernel(state_dict[f"{prefix}.weight"])  # (kh, kw, out, in)
    kernel = np.moveaxis(pixel_shuffle_channels(np.moveaxis(kernel, 2, -1), scale), -1, 2)
    return kernel, pixel_shuffle_channels(state_dict[f"{prefix}.bias"], scale)


class IFNetConverter(Converter):
    name = "rife"
    backbone_cls = IFNetBackbone
    purpose = "interpolate"
    signature = ("block0.conv0.0.0.weight", "block0.convblock.0.beta", "block0.lastconv.0.weight")

    def score(self, state_dict):
        """1.0 for any RIFE flow network (its first block's first conv), so
        that `config` names the layout when it is not supported."""
        return 1.0 if "block0.conv0.0.0.weight" in state_dict else super().score(state_dict)

    def config(self, state_dict):
        blocks = state_dict.count("block")
        has_head = "encode.cnn0.weight" in state_dict
        last = [state_dict.get(f"block{i}.lastconv.0.weight") for i in range(blocks)]
        outputs = {a.shape[1] // 4 if a is not None and a.ndim == 4 else None for a in last}
        layout = next(
            (
                name
                for name, (count, head) in LAYOUT_SHAPES.items()
                if (count, head) == (blocks, has_head)
                and outputs == {BLOCK_OUTPUTS[name]}
                and f"block0.convblock.{RESIDUAL_CONVS - 1}.beta" in state_dict
            ),
            None,
        )
        if layout is None:
            raise ConversionError(
                f"This RIFE checkpoint has a layout that does not convert: {blocks} blocks, "
                f"{'a' if has_head else 'no'} feature head, last-conv outputs {sorted(map(str, outputs))}. "
                f"Supported: {SUPPORTED}."
            )
        config = {
            "block_filters": [int(state_dict.shape(f"block{i}.conv0.1.0.weight")[0]) for i in range(blocks)],
            "layout": layout,
        }
        if has_head:
            config["head_filters"] = int(state_dict.shape("encode.cnn0.weight")[0])
            config["head_outputs"] = int(state_dict.shape("encode.cnn3.weight")[1])
        return config

    def assign_weights(self, backbone, state_dict, assign):
        ifnet = backbone.get_layer("ifnet")
        if ifnet.head is not None:
            head = ifnet.head
            for name in ("cnn0", "cnn1", "cnn2"):
                assign.conv(getattr(head, name), f"encode.{name}")
            assign(head.cnn3.kernel, "encode.cnn3.weight", transposed_conv_kernel(state_dict["encode.cnn3.weight"]))
            assign(head.cnn3.bias, "encode.cnn3.bias")
        for i, block in enumerate(ifnet.blocks):
            prefix = f"block{i}"
            assign.conv(block.conv0_0, f"{prefix}.conv0.0.0")
            assign.conv(block.conv0_1, f"{prefix}.conv0.1.0")
            for j, residual in enumerate(block.convblock):
                assign.conv(residual.conv, f"{prefix}.convblock.{j}.conv")
                beta = f"{prefix}.convblock.{j}.beta"
                assign(residual.beta, beta, state_dict[beta].reshape(-1))
            kernel, bias = shuffled_transposed_conv(state_dict, f"{prefix}.lastconv.0")
            assign(block.lastconv.kernel, f"{prefix}.lastconv.0.weight", kernel)
            assign(block.lastconv.bias, f"{prefix}.lastconv.0.bias", bias)


CONVERTER = IFNetConverter()
