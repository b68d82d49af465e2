"""Reference fixtures for RIFE's IFNet (the `ccvfi` package's IFNet, RIFE v4.25 / v4.26).

    /work/refenv/bin/python tools/reference/rife.py

Writes, under tests/fixtures/reference/:

- `rife_v425`: ccvfi's `IFNet` with its five `IFBlock`s narrowed (ccvfi's
  own `IFBlock` class, widths 8, 6, 4, 4, 2; the head is ccvfi's, 16
  channels), random weights, and a 37x45 frame pair run as RIFE's inference
  runs it: zero-padded at the bottom and right to a multiple of 64, the
  output cropped back; outputs at t = 0.5 and t = 0.25, and at t = 0.5
  with RIFE's `--scale 0.5` (every block at half the resolution: scale
  list 32 ... 2, padding to 128).
- `rife_v46`: the v4.6 layout (four blocks, no head, last transposed conv
  to 4 * 6 channels, masks summed), built from ccvfi's `IFBlock` and
  `warp` with the v4.6 forward below, widths 8, 6, 4, 4; a 29x35 pair
  padded to 32; t = 0.5 and 0.25.
- `rife_v425_full_keys.json`, `rife_v46_full_keys.json`: the key/shape
  lists of the full-size networks.
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ccvfi.arch.arch_utils.warplayer import warp  # noqa: E402
from ccvfi.arch.ifnet_arch import IFBlock, IFNet  # noqa: E402
from common import randomize, save_case, save_keys  # noqa: E402

TIMES = (0.5, 0.25)
V425_IN = (7 + 32, 8 + 4 + 8 + 32)  # first block, later blocks
V425_SMALL = (8, 6, 4, 4, 2)
V46_FULL = (192, 128, 96, 64)
V46_SMALL = (8, 6, 4, 4)


class IFNetV46(nn.Module):
    """RIFE v4.6's flow network: four blocks from 1/8, no feature head, the
    blocks' masks summed."""

    def __init__(self, widths):
        super().__init__()
        for i, c in enumerate(widths):
            block = IFBlock(7 if i == 0 else 8 + 4, c=c)
            block.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 4 * 6, 4, 2, 1), nn.PixelShuffle(2))
            setattr(self, f"block{i}", block)
        self.count = len(widths)

    def forward(self, x, timestep):
        img0, img1 = x[:, :3], x[:, 3:]
        timestep = (img0[:, :1] * 0 + 1) * timestep
        warped0, warped1 = img0, img1
        flow = mask = None
        for i in range(self.count):
            block, scale = getattr(self, f"block{i}"), 2 ** (self.count - 1 - i)
            if flow is None:
                flow, mask, _ = block(torch.cat((img0, img1, timestep), 1), None, scale=scale)
            else:
                fd, md, _ = block(torch.cat((warped0, warped1, timestep, mask), 1), flow, scale=scale)
                flow, mask = flow + fd, mask + md
            warped0, warped1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        mask = torch.sigmoid(mask)
        return warped0 * mask + warped1 * (1 - mask)


def small_v425(seed):
    model = IFNet()
    for i, c in enumerate(V425_SMALL):
        setattr(model, f"block{i}", IFBlock(V425_IN[0] if i == 0 else V425_IN[1], c=c))
    return randomize(model, seed)


def frame_pair(h, w, seed):
    """Two smooth frames (bilinear upsampling of coarse noise), the second
    the first moved by a few pixels plus a little noise."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand((1, 3, h // 4 + 3, w // 4 + 3), generator=generator)
    big = F.interpolate(coarse, scale_factor=4, mode="bilinear", align_corners=False)
    a = big[:, :, 2 : 2 + h, 3 : 3 + w]
    b = big[:, :, 5 : 5 + h, 1 : 1 + w] * 0.9 + 0.1 * torch.rand((1, 3, h, w), generator=generator)
    return a.contiguous(), b.contiguous()


def run_padded(model, a, b, t, multiple, **kwargs):
    """RIFE's inference: zero-pad to `multiple` at the bottom and right, run, crop back."""
    h, w = a.shape[2:]
    padding = (0, (-w) % multiple, 0, (-h) % multiple)
    x = torch.cat((F.pad(a, padding), F.pad(b, padding)), 1)
    with torch.no_grad():
        return model(x, t, **kwargs)[:, :, :h, :w]


def main():
    torch.set_grad_enabled(False)
    model = small_v425(seed=13)
    a, b = frame_pair(37, 45, seed=1)
    outputs = [run_padded(model, a, b, t, 64) for t in TIMES]
    outputs.append(run_padded(model, a, b, 0.5, 128, scale_list=[32, 16, 8, 4, 2]))
    metadata = {"layout": "v4.25", "times": TIMES + (0.5,), "flow_scales": (1.0, 1.0, 0.5)}
    save_case("rife_v425", model, [a, b], outputs, metadata)

    model = randomize(IFNetV46(V46_SMALL), seed=14)
    a, b = frame_pair(29, 35, seed=2)
    outputs = [run_padded(model, a, b, t, 32) for t in TIMES]
    save_case("rife_v46", model, [a, b], outputs, {"layout": "v4.6", "times": TIMES, "flow_scales": (1.0, 1.0)})

    save_keys("rife_v425_full", IFNet().state_dict())
    save_keys("rife_v46_full", IFNetV46(V46_FULL).state_dict())


if __name__ == "__main__":
    main()
