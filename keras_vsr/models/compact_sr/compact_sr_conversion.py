"""Real-ESRGAN Compact (SRVGGNetCompact) state dicts -> `CompactSRBackbone`.

The torch module is one `body` list: conv, activation, then `num_conv`
times (conv, activation), then the conv to `channels * scale**2`. Convs sit
at the even indices; PReLU slopes, shape `(filters,)`, at the odd ones.
ReLU and LeakyReLU have no weights, so the keys cannot tell them apart:
such a state dict converts with `activation="relu"` (a LeakyReLU model
then needs `"leaky_relu"` set in the preset's config.json; the weights are
the same).
"""

import math

from keras_vsr.models.compact_sr.compact_sr_backbone import CompactSRBackbone
from keras_vsr.models.conversion import ConversionError, Converter, conv_kernel, describe_keys, pixel_shuffle_channels

ACTIVATION_WITHOUT_WEIGHTS = "relu"


class CompactSRConverter(Converter):
    name = "compact"
    backbone_cls = CompactSRBackbone
    purpose = "upscale"
    signature = ("body.0.weight", "body.0.bias")

    def foreign_keys(self, state_dict):
        """Keys outside the `body` list (Compact has none)."""
        return [key for key in state_dict if not key.startswith("body.")]

    def score(self, state_dict):
        # Other networks may also call a first conv `body.0`; only a state
        # dict of nothing but `body.N` keys is a complete match.
        present = super().score(state_dict)
        return present if not self.foreign_keys(state_dict) else present / 2

    def mismatch(self, state_dict):
        foreign = self.foreign_keys(state_dict)
        if foreign:
            return f"these keys are not in its `body` list: {describe_keys(foreign)}"
        return super().mismatch(state_dict)

    def config(self, state_dict):
        convs = sorted(
            int(key.split(".")[1])
            for key in state_dict
            if key.count(".") == 2 and key.endswith(".weight") and state_dict[key].ndim == 4
        )
        last = convs[-1]
        expected = list(range(0, last + 1, 2))
        if convs != expected or last < 2:
            missing = [f"body.{i}.weight" for i in expected if i not in convs]
            raise ConversionError(
                f"A Compact state dict has convs at body.0, body.2, ..., body.{max(last, 2)}; found them at "
                f"{convs}" + (f" (missing: {', '.join(missing)})." if missing else ".")
            )
        head = state_dict.shape("body.0.weight")
        channels, filters = head[1], head[0]
        out = state_dict.shape(f"body.{last}.weight")[0]
        scale = math.isqrt(out // channels) if out % channels == 0 else 0
        if scale < 1 or scale * scale * channels != out:
            raise ConversionError(
                f"The last conv gives {out} channels for {channels}-channel images; Compact's gives channels * scale**2."
            )
        return {
            "scale": scale,
            "num_conv": (last - 2) // 2,
            "filters": filters,
            "activation": "prelu" if "body.1.weight" in state_dict else ACTIVATION_WITHOUT_WEIGHTS,
            "channels": channels,
        }

    def assign_weights(self, backbone, state_dict, assign):
        pairs = [("head_conv", "head_act")] + [(f"body_conv_{i}", f"body_act_{i}") for i in range(backbone.num_conv)]
        for i, (conv, act) in enumerate(pairs):
            assign.conv(backbone.get_layer(conv), f"body.{2 * i}")
            if backbone.activation == "prelu":
                alpha = backbone.get_layer(act).alpha
                slopes = state_dict[f"body.{2 * i + 1}.weight"]
                if slopes.size == math.prod(alpha.shape):
                    slopes = slopes.reshape(alpha.shape)  # (filters,) -> (1, 1, filters)
                assign(alpha, f"body.{2 * i + 1}.weight", slopes)
        tail = f"body.{2 * len(pairs)}"
        scale = backbone.scale
        assign.conv(
            backbone.get_layer("tail_conv"),
            tail,
            kernel=pixel_shuffle_channels(conv_kernel(state_dict[f"{tail}.weight"]), scale),
            bias=pixel_shuffle_channels(state_dict[f"{tail}.bias"], scale),
        )


CONVERTER = CompactSRConverter()
