"""Record the ESRGAN / Real-ESRGAN (RRDBNet) reference fixtures.

Run with the reference environment: /work/refenv/bin/python tools/reference/rrdbnet.py

- Small random configurations of spandrel's ESRGAN `RRDBNet` (8 filters,
  one block, dense growth 8), one per scale: x1 and x2 with Real-ESRGAN's
  pixel-unshuffle input (saved with BasicSR's key names, as Real-ESRGAN
  ships them), x4 and x8 (old `model.N` key names, as spandrel's module
  has them); odd input sizes.
- Key / shape lists of the full-size configurations: ESRGAN x4 (old
  layout), Real-ESRGAN x4plus, x2plus and anime 6B (BasicSR layout).

The BasicSR names are checked by loading them back with spandrel, which
must detect the same network and give the same output.
"""

import contextlib
import re

import torch
from spandrel import ModelLoader
from spandrel.architectures.ESRGAN import ESRGAN

from common import random_images, randomize, save_case, save_keys

import spandrel.architectures.__arch_helpers.block as block  # noqa: E402


@contextlib.contextmanager
def dense_growth(growth):
    """spandrel's RRDBNet fixes the dense growth at 32; build small ones
    with `growth` instead."""
    original = block.RRDB
    block.RRDB = lambda *args, **kwargs: original(*args, **{**kwargs, "gc": growth})
    try:
        yield
    finally:
        block.RRDB = original


def basicsr_keys(state_dict, num_blocks):
    """The old `model.N` names renamed to BasicSR's RRDBNet names."""
    tail = sorted({int(k.split(".")[1]) for k in state_dict if re.match(r"model\.\d+\.weight$", k)} - {0})
    ups, hr, last = tail[:-2], tail[-2], tail[-1]
    names = {"model.0": "conv_first", f"model.1.sub.{num_blocks}": "conv_body", f"model.{hr}": "conv_hr"}
    names[f"model.{last}"] = "conv_last"
    names.update({f"model.{index}": f"conv_up{n + 1}" for n, index in enumerate(ups)})
    renamed = {}
    for key, value in state_dict.items():
        prefix, kind = key.rsplit(".", 1)
        match = re.fullmatch(r"model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0", prefix)
        if match:
            name = "body.{}.rdb{}.conv{}".format(*match.groups())
        else:
            name = names[prefix]
        renamed[f"{name}.{kind}"] = value
    return renamed


def network(scale, num_blocks, filters, channels=3):
    """spandrel's RRDBNet for a keras-vsr scale (x1/x2: pixel unshuffle by 4/2)."""
    shuffle = {1: 4, 2: 2}.get(scale)
    factor = shuffle or 1
    return ESRGAN(
        in_nc=channels * factor * factor,
        out_nc=channels,
        num_filters=filters,
        num_blocks=num_blocks,
        scale=scale * factor,
        shuffle_factor=shuffle,
    )


class Renamed(torch.nn.Module):
    """`module` whose `state_dict()` has BasicSR's key names."""

    def __init__(self, module, num_blocks):
        super().__init__()
        self.module = module
        self.num_blocks = num_blocks

    def state_dict(self, *args, **kwargs):
        return basicsr_keys(self.module.state_dict(), self.num_blocks)


def check_basicsr_names(module, state_dict, x):
    loaded = ModelLoader().load_from_state_dict(state_dict).model.eval()
    assert torch.equal(loaded(x), module(x)), "spandrel reads the BasicSR names differently"


def small_cases():
    for scale, (h, w), seed in ((1, (11, 13), 1), (2, (11, 13), 2), (4, (11, 13), 4), (8, (7, 9), 8)):
        x = random_images((1, 3, h, w), seed)
        layout = "basicsr" if scale < 4 else "old_esrgan"
        with dense_growth(8):
            module = randomize(network(scale, num_blocks=1, filters=8), seed)
            y = module(x)
            if layout == "basicsr":
                check_basicsr_names(module, basicsr_keys(module.state_dict(), 1), x)
                module = Renamed(module, 1)
        assert y.shape[-2:] == (h * scale, w * scale), y.shape
        extra = {"scale": scale, "num_blocks": 1, "filters": 8, "growth": 8, "layout": layout}
        save_case(f"rrdbnet_x{scale}", module, x, y, extra)


def full_size_keys():
    esrgan = network(4, num_blocks=23, filters=64)
    ModelLoader().load_from_state_dict(basicsr_keys(esrgan.state_dict(), 23))  # spandrel detects the names
    save_keys("rrdbnet_esrgan_x4_old_layout", esrgan.state_dict())
    save_keys("rrdbnet_realesrgan_x4plus", basicsr_keys(esrgan.state_dict(), 23))
    x2plus = network(2, num_blocks=23, filters=64)
    save_keys("rrdbnet_realesrgan_x2plus", basicsr_keys(x2plus.state_dict(), 23))
    anime = network(4, num_blocks=6, filters=64)
    save_keys("rrdbnet_realesrgan_x4plus_anime_6b", basicsr_keys(anime.state_dict(), 6))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    small_cases()
    full_size_keys()
