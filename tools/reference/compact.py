"""Record the Real-ESRGAN Compact (SRVGGNetCompact) reference fixtures.

Run with the reference environment: /work/refenv/bin/python tools/reference/compact.py

- Small random configurations of spandrel's `SRVGGNetCompact` (8 filters,
  two body convs) for every scale 1..8 with PReLU, and one each with ReLU
  and LeakyReLU; odd input sizes.
- Key / shape lists of realesr-general-x4v3 (32 convs) and
  realesr-animevideov3 (16 convs), both 64 filters, PReLU, x4.
"""

import torch
from spandrel.architectures.Compact import Compact

from common import random_images, randomize, save_case, save_keys

CASES = [(scale, "prelu") for scale in range(1, 9)] + [(4, "relu"), (2, "leakyrelu")]


def small_cases():
    for scale, act in CASES:
        seed = 10 * scale + len(act)
        module = randomize(Compact(num_feat=8, num_conv=2, upscale=scale, act_type=act), seed)
        x = random_images((1, 3, 11 if scale < 6 else 7, 13 if scale < 6 else 9), seed)
        y = module(x)
        extra = {"scale": scale, "num_conv": 2, "filters": 8, "activation": act}
        save_case(f"compact_x{scale}" + ("" if act == "prelu" else f"_{act}"), module, x, y, extra)


def full_size_keys():
    save_keys("compact_realesr_general_x4v3", Compact(num_feat=64, num_conv=32, upscale=4).state_dict())
    save_keys("compact_realesr_animevideov3", Compact(num_feat=64, num_conv=16, upscale=4).state_dict())


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    small_cases()
    full_size_keys()
