"""ESRGAN / Real-ESRGAN (RRDBNet) state dicts -> `RRDBNetBackbone`.

Three key layouts name the same network; each is mapped onto BasicSR's:

- BasicSR / Real-ESRGAN: `conv_first`, `body.{i}.rdb{j}.conv{k}`,
  `conv_body`, `conv_up{n}`, `conv_hr`, `conv_last`;
- ESRGAN's original repository (and BSRGAN): `conv_first`,
  `RRDB_trunk.{i}.RDB{j}.conv{k}`, `trunk_conv`, `upconv{n}`, `HRconv`,
  `conv_last`;
- old ESRGAN (`model.N` sequential): `model.0`,
  `model.1.sub.{i}.RDB{j}.conv{k}.0`, `model.1.sub.{num_blocks}`, then
  `model.3`, `model.6`, ... (upsampling convs), the HR conv and the last
  conv two and four places after the last of them.
"""

import math
import re

from keras_vsr.models.conversion import ConversionError, Converter, conv_kernel, describe_keys, pixel_unshuffle_channels
from keras_vsr.models.rrdbnet.rrdbnet_backbone import SCALES, RRDBNetBackbone

LAYOUTS = {
    "basicsr": ("conv_first.weight", "body.0.rdb1.conv1.weight", "conv_body.weight", "conv_last.weight"),
    "esrgan": ("conv_first.weight", "RRDB_trunk.0.RDB1.conv1.weight", "trunk_conv.weight", "conv_last.weight"),
    "old_esrgan": ("model.0.weight", "model.1.sub.0.RDB1.conv1.0.weight"),
}

_BLOCK_PATTERNS = {
    "basicsr": re.compile(r"body\.(\d+)\.rdb([123])\.conv([1-5])$"),
    "esrgan": re.compile(r"RRDB_trunk\.(\d+)\.RDB([123])\.conv([1-5])$"),
    "old_esrgan": re.compile(r"model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0$"),
}
_RENAMES = {
    "basicsr": {"conv_first": "conv_first", "conv_body": "conv_body", "conv_hr": "conv_hr", "conv_last": "conv_last"},
    "esrgan": {"conv_first": "conv_first", "trunk_conv": "conv_body", "HRconv": "conv_hr", "conv_last": "conv_last"},
}
_UP_PATTERNS = {"basicsr": re.compile(r"conv_up(\d+)$"), "esrgan": re.compile(r"upconv(\d+)$")}


def _prefixes(state_dict):
    """The module names of `state_dict`'s weights (keys less `.weight`)."""
    return sorted({key.rsplit(".", 1)[0] for key in state_dict if key.endswith(".weight")})


class _ModuleNames(dict):
    def __missing__(self, name):
        raise ConversionError(f"The ESRGAN state dict has no '{name}' convolution (or its other-layout name).")


class RRDBNetConverter(Converter):
    name = "rrdbnet"
    backbone_cls = RRDBNetBackbone
    purpose = "upscale"
    signature = LAYOUTS["basicsr"]

    def layout(self, state_dict):
        """The key layout whose signature fits best (`LAYOUTS`' names)."""
        return max(LAYOUTS, key=lambda name: sum(k in state_dict for k in LAYOUTS[name]) / len(LAYOUTS[name]))

    def score(self, state_dict):
        signature = LAYOUTS[self.layout(state_dict)]
        return sum(k in state_dict for k in signature) / len(signature)

    def mismatch(self, state_dict):
        missing = [k for k in LAYOUTS[self.layout(state_dict)] if k not in state_dict]
        return f"it lacks {describe_keys(missing)}"

    def modules(self, state_dict):
        """`{BasicSR module name: this state dict's module name}` of every
        convolution, e.g. `{"body.0.rdb1.conv1": "model.1.sub.0.RDB1.conv1.0"}`."""
        layout = self.layout(state_dict)
        found = {}
        prefixes = _prefixes(state_dict)
        for prefix in prefixes:
            match = _BLOCK_PATTERNS[layout].match(prefix)
            if match:
                found["body.{}.rdb{}.conv{}".format(*match.groups())] = prefix
        if layout == "old_esrgan":
            found.update(self._old_tail(prefixes))
            return found
        for prefix in prefixes:
            match = _UP_PATTERNS[layout].match(prefix)
            if match:
                found[f"conv_up{match.group(1)}"] = prefix
            elif prefix in _RENAMES[layout]:
                found[_RENAMES[layout][prefix]] = prefix
        return found

    def _old_tail(self, prefixes):
        """The head, trunk, upsampling, HR and last convs of the `model.N` layout."""
        found = {"conv_first": "model.0"}
        trunk = [p for p in prefixes if re.fullmatch(r"model\.1\.sub\.\d+", p)]
        if len(trunk) != 1:
            raise ConversionError(
                f"An old-layout ESRGAN state dict has one trunk conv 'model.1.sub.N'; found {trunk or 'none'}."
            )
        found["conv_body"] = trunk[0]
        tail = sorted(int(p.split(".")[1]) for p in prefixes if re.fullmatch(r"model\.\d+", p) and p != "model.0")
        ups = tail[:-2]
        expected = [3 * (n + 1) for n in range(len(ups))]
        last_up = ups[-1] if ups else 0
        if len(tail) < 2 or ups != expected or tail[-2:] != [last_up + 2, last_up + 4]:
            raise ConversionError(
                f"The convs after the trunk of an old-layout ESRGAN state dict are model.3, model.6, ... then "
                f"the HR and last convs two and four places on; found model.{tail}."
            )
        found.update({f"conv_up{n + 1}": f"model.{index}" for n, index in enumerate(ups)})
        found["conv_hr"] = f"model.{last_up + 2}"
        found["conv_last"] = f"model.{last_up + 4}"
        return found

    def config(self, state_dict):
        modules = self.modules(state_dict)
        for needed in ("conv_first", "conv_body", "conv_hr", "conv_last", "body.0.rdb1.conv1"):
            if needed not in modules:
                raise ConversionError(f"The ESRGAN state dict has no '{needed}' convolution (or its old-layout name).")
        first = state_dict.shape(f"{modules['conv_first']}.weight")
        channels = state_dict.shape(f"{modules['conv_last']}.weight")[0]
        ratio = first[1] / channels
        unshuffle = math.isqrt(int(ratio)) if ratio == int(ratio) else 0
        if unshuffle < 1 or unshuffle * unshuffle != ratio:
            raise ConversionError(
                f"The first conv takes {first[1]} channels and the last gives {channels}; an RRDBNet takes "
                "channels * r**2 (pixel unshuffle by r)."
            )
        upsamples = sum(name.startswith("conv_up") for name in modules)
        if sorted(n for n in modules if n.startswith("conv_up")) != [f"conv_up{i + 1}" for i in range(upsamples)]:
            raise ConversionError(f"The upsampling convs are not numbered 1..{upsamples}.")
        if (2**upsamples) % unshuffle or (2**upsamples) // unshuffle not in SCALES:
            raise ConversionError(
                f"{upsamples} x2 upsamplings after a pixel unshuffle by {unshuffle} is not a supported scale {SCALES}."
            )
        num_blocks = 0
        while f"body.{num_blocks}.rdb1.conv1" in modules:
            num_blocks += 1
        return {
            "scale": (2**upsamples) // unshuffle,
            "num_blocks": num_blocks,
            "filters": first[0],
            "growth": state_dict.shape(f"{modules['body.0.rdb1.conv1']}.weight")[0],
            "unshuffle": unshuffle,
            "channels": channels,
        }

    def assign_weights(self, backbone, state_dict, assign):
        modules = _ModuleNames(self.modules(state_dict))
        first = modules["conv_first"]
        kernel = conv_kernel(state_dict[f"{first}.weight"])
        if backbone.unshuffle > 1:
            kernel = pixel_unshuffle_channels(kernel, backbone.unshuffle)
        assign.conv(backbone.get_layer("conv_first"), first, kernel)
        for i in range(backbone.num_blocks):
            rrdb = backbone.get_layer(f"rrdb_{i}")
            for j, block in enumerate(rrdb.blocks):
                for k, conv in enumerate(block.convs):
                    assign.conv(conv, modules[f"body.{i}.rdb{j + 1}.conv{k + 1}"])
        names = ["conv_body", "conv_hr", "conv_last"] + [n for n in modules if n.startswith("conv_up")]
        for name in names:
            assign.conv(backbone.get_layer(name), modules[name])


CONVERTER = RRDBNetConverter()
