"""SwinIR checkpoints (the official SwinIR repository, spandrel's `SwinIR`
arch) to `SwinIRBackbone`.

Detected from keys and shapes:

- `channels`, `embed_dim`: `conv_first.weight` (`(embed_dim, channels, 3, 3)`).
- `upsampler`: `conv_before_upsample.0` with `conv_up1` is `"nearest+conv"`,
  without it `"pixelshuffle"`; `upsample.0` alone is
  `"pixelshuffledirect"`; none of them is `"none"` (scale 1).
- `scale`: `"pixelshuffle"`: 2 to the number of `upsample.N` convs (each
  `4 * num_feat` channels), or 3 for one conv of `9 * num_feat`;
  `"pixelshuffledirect"`: `sqrt(upsample.0 channels / channels)`;
  `"nearest+conv"`: 2 to the number of `conv_upN` convs.
- `num_feat`: `conv_before_upsample.0.weight` (64 when there is none).
- `depths`: the number of `layers.I.residual_group.blocks.J` per layer.
- `num_heads`: not in any weight's shape except the relative position
  bias table of each layer's first block, `((2w - 1)**2, heads)`.
- `window_size`: `w` from the same table's rows.
- `mlp_ratio`: `mlp.fc1` hidden channels / `embed_dim`.
- `resi_connection`: `conv_after_body.weight` is `"1conv"`,
  `conv_after_body.0.weight` (three convs) `"3conv"`.
- `img_size`: the training patch size, `sqrt(windows) * w` from the
  `attn_mask` buffer of a shifted block (64 when no block is shifted).
- `img_range`: not stored; 255 for window 7 (SwinIR's JPEG artefact
  models, the only ones with that window), else 1, as spandrel decides.

The buffers `relative_position_index` and `attn_mask` are recomputed by the
Keras model and not read.
"""

import math

from keras_vsr.models.conversion import ConversionError, Converter, conv_kernel, pixel_shuffle_channels
from keras_vsr.models.swinir.swinir_backbone import SwinIRBackbone

BLOCK = "layers.{i}.residual_group.blocks.{j}"
RESIDUAL_CONV_INDICES = (0, 2, 4)  # the convs of "3conv" inside its nn.Sequential


def detect_upsampler(state_dict):
    if "conv_before_upsample.0.weight" in state_dict:
        return "nearest+conv" if "conv_up1.weight" in state_dict else "pixelshuffle"
    return "pixelshuffledirect" if "upsample.0.weight" in state_dict else "none"


def pixelshuffle_steps(state_dict):
    """`[(torch index, factor), ...]` of the convs of SwinIR's `Upsample`
    (conv + `nn.PixelShuffle` pairs, so convs at indices 0, 2, 4, ...)."""
    num_feat = state_dict.shape("conv_before_upsample.0.weight")[0]
    steps = []
    while f"upsample.{2 * len(steps)}.weight" in state_dict:
        index = 2 * len(steps)
        ratio = state_dict.shape(f"upsample.{index}.weight")[0] // num_feat
        factor = math.isqrt(ratio)
        if factor * factor * num_feat != state_dict.shape(f"upsample.{index}.weight")[0] or factor not in (2, 3):
            raise ConversionError(
                f"SwinIR's 'upsample.{index}.weight' has {state_dict.shape(f'upsample.{index}.weight')[0]} "
                f"output channels, not 4 or 9 times num_feat={num_feat}."
            )
        steps.append((index, factor))
    return steps


def window_size_of(table_rows):
    """`w` from a relative position bias table of `(2w - 1)**2` rows."""
    side = math.isqrt(table_rows)
    if side * side != table_rows or side % 2 == 0:
        raise ConversionError(f"A SwinIR relative position bias table has {table_rows} rows, not (2w - 1)**2.")
    return (side + 1) // 2


class SwinIRConverter(Converter):
    name = "swinir"
    backbone_cls = SwinIRBackbone
    purpose = "upscale"
    signature = (
        "conv_first.weight",
        "patch_embed.norm.weight",
        "layers.0.residual_group.blocks.0.norm1.weight",
        "layers.0.residual_group.blocks.0.attn.relative_position_bias_table",
        "layers.0.residual_group.blocks.0.attn.qkv.weight",
        "layers.0.residual_group.blocks.0.mlp.fc1.weight",
        "norm.weight",
    )

    def config(self, state_dict):
        embed_dim, channels = state_dict.shape("conv_first.weight")[:2]
        upsampler = detect_upsampler(state_dict)
        num_feat = 64
        if upsampler in ("pixelshuffle", "nearest+conv"):
            num_feat = state_dict.shape("conv_before_upsample.0.weight")[0]
        if upsampler == "pixelshuffle":
            scale = math.prod(factor for _, factor in pixelshuffle_steps(state_dict))
        elif upsampler == "pixelshuffledirect":
            scale = math.isqrt(state_dict.shape("upsample.0.weight")[0] // channels)
        elif upsampler == "nearest+conv":
            scale = 2 ** sum(f"conv_up{k}.weight" in state_dict for k in (1, 2, 3))
        else:
            scale = 1
        depths = [
            state_dict.count(f"layers.{i}.residual_group.blocks.") for i in range(state_dict.count("layers."))
        ]
        tables = [
            state_dict.shape(BLOCK.format(i=i, j=0) + ".attn.relative_position_bias_table")
            for i in range(len(depths))
        ]
        window_size = window_size_of(tables[0][0])
        img_size = 64
        for i, depth in enumerate(depths):
            if depth > 1 and BLOCK.format(i=i, j=1) + ".attn_mask" in state_dict:
                windows = state_dict.shape(BLOCK.format(i=i, j=1) + ".attn_mask")[0]
                img_size = math.isqrt(windows) * window_size
                break
        hidden = state_dict.shape(BLOCK.format(i=0, j=0) + ".mlp.fc1.weight")[0]
        return {
            "scale": scale,
            "embed_dim": embed_dim,
            "depths": depths,
            "num_heads": [rows_heads[1] for rows_heads in tables],
            "window_size": window_size,
            "mlp_ratio": hidden / embed_dim,
            "upsampler": upsampler,
            "resi_connection": "1conv" if "conv_after_body.weight" in state_dict else "3conv",
            "img_range": 255.0 if window_size == 7 else 1.0,
            "num_feat": num_feat,
            "img_size": img_size,
            "channels": channels,
        }

    def assign_weights(self, backbone, state_dict, assign):
        def norm(layer_name, prefix):
            layer = backbone.get_layer(layer_name)
            assign(layer.gamma, f"{prefix}.weight")
            assign(layer.beta, f"{prefix}.bias")

        def residual_conv(layer_name, prefix):
            if backbone.resi_connection == "1conv":
                assign.conv(backbone.get_layer(layer_name), prefix)
            else:
                for k, index in enumerate(RESIDUAL_CONV_INDICES):
                    assign.conv(backbone.get_layer(f"{layer_name}_{k}"), f"{prefix}.{index}")

        assign.conv(backbone.get_layer("conv_first"), "conv_first")
        norm("patch_norm", "patch_embed.norm")
        for i, depth in enumerate(backbone.depths):
            for j in range(depth):
                block = backbone.get_layer(f"rstb_{i}_block_{j}")
                prefix = BLOCK.format(i=i, j=j)
                assign(block.norm1.gamma, f"{prefix}.norm1.weight")
                assign(block.norm1.beta, f"{prefix}.norm1.bias")
                assign(block.attn.relative_position_bias_table, f"{prefix}.attn.relative_position_bias_table")
                assign.dense(block.attn.qkv, f"{prefix}.attn.qkv")
                assign.dense(block.attn.proj, f"{prefix}.attn.proj")
                assign(block.norm2.gamma, f"{prefix}.norm2.weight")
                assign(block.norm2.beta, f"{prefix}.norm2.bias")
                assign.dense(block.fc1, f"{prefix}.mlp.fc1")
                assign.dense(block.fc2, f"{prefix}.mlp.fc2")
                assign.skip(f"{prefix}.attn.relative_position_index", f"{prefix}.attn_mask")
            residual_conv(f"rstb_{i}_conv", f"layers.{i}.conv")
        norm("norm", "norm")
        residual_conv("conv_after_body", "conv_after_body")

        upsampler = backbone.upsampler
        if upsampler in ("pixelshuffle", "nearest+conv"):
            assign.conv(backbone.get_layer("conv_before_upsample"), "conv_before_upsample.0")
        if upsampler == "pixelshuffle":
            convs = backbone.get_layer("upsample").convs
            for conv, (index, factor) in zip(convs, pixelshuffle_steps(state_dict)):
                self.assign_shuffled_conv(assign, conv, f"upsample.{index}", factor, state_dict)
        elif upsampler == "pixelshuffledirect":
            conv = backbone.get_layer("upsample_conv")
            self.assign_shuffled_conv(assign, conv, "upsample.0", backbone.scale, state_dict)
        elif upsampler == "nearest+conv":
            for k in range(1, backbone.scale.bit_length()):
                assign.conv(backbone.get_layer(f"conv_up{k}"), f"conv_up{k}")
            assign.conv(backbone.get_layer("conv_hr"), "conv_hr")
        if upsampler != "pixelshuffledirect":
            assign.conv(backbone.get_layer("conv_last"), "conv_last")

    @staticmethod
    def assign_shuffled_conv(assign, conv, prefix, factor, state_dict):
        """A conv followed by a pixel shuffle of `factor`: its output
        channels reordered from torch's to `PixelShuffle`'s order."""
        kernel = pixel_shuffle_channels(conv_kernel(state_dict[f"{prefix}.weight"]), factor)
        assign(conv.kernel, f"{prefix}.weight", kernel)
        assign(conv.bias, f"{prefix}.bias", pixel_shuffle_channels(state_dict[f"{prefix}.bias"], factor))


CONVERTER = SwinIRConverter()
