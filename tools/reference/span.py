"""Reference fixtures for SPAN (spandrel's `SPAN` arch).

    /work/refenv/bin/python tools/reference/span.py

Writes, under tests/fixtures/reference/: one case per scale (1, 2, 3, 4) of
a tiny random SPAN (4 feature channels; scale 3 without the input
normalisation, which adds spandrel's `no_norm` key), each with its
training-time state dict (`sk` / `conv` branches and `eval_conv`), an odd-sized
input and spandrel's output in eval mode; and the key/shape lists of the
full-size SPAN x2 and x4 (48 channels) as spandrel builds them.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import random_images, randomize, save_case, save_keys  # noqa: E402
from spandrel import ModelLoader  # noqa: E402
from spandrel.architectures.SPAN import SPAN  # noqa: E402

CASES = [
    # name, scale, feature channels, input normalisation, input (h, w)
    ("span_x1", 1, 4, True, (11, 13)),
    ("span_x2", 2, 4, True, (9, 14)),
    ("span_x3_no_norm", 3, 4, False, (7, 10)),
    ("span_x4", 4, 4, True, (11, 7)),
]
FULL_SIZE = [("span_x2_ch48", 2), ("span_x4_ch48", 4)]


def build(scale, filters, normalize, seed):
    model = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=filters, upscale=scale, norm=normalize)
    randomize(model, seed)
    if normalize:
        # The input is multiplied by 255: scale the head down so that the
        # features stay of order one, as in a trained model.
        with torch.no_grad():
            for param in model.conv_1.parameters():
                param.mul_(1 / 255)
    model.eval()
    # spandrel must recognise the state dict and rebuild the same model.
    descriptor = ModelLoader().load_from_state_dict(model.state_dict())
    assert descriptor.architecture.id == "SPAN" and descriptor.scale == scale
    return descriptor.model.eval()


def main():
    for seed, (name, scale, filters, normalize, (h, w)) in enumerate(CASES):
        model = build(scale, filters, normalize, seed)
        x = random_images((1, 3, h, w), seed=100 + seed)
        with torch.no_grad():
            y = model(x)  # eval mode: also writes the merged kernels into eval_conv
        save_case(name, model, x, y, extra={"scale": scale, "filters": filters, "normalize": normalize})
        print(name, tuple(y.shape), f"output std {float(y.std()):.3f}")
    for name, scale in FULL_SIZE:
        model = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=48, upscale=scale)
        save_keys(name, model.state_dict())
        print(name, len(model.state_dict()), "keys")


if __name__ == "__main__":
    main()
