"""Reference fixtures for SwinIR (spandrel's `SwinIR` arch).

    /work/refenv/bin/python tools/reference/swinir.py

Writes, under tests/fixtures/reference/: one case per upsampler and scale of
a tiny random SwinIR (12 channels, window 4, one or two residual groups),
each with an odd-sized input (so the model pads to whole windows and crops
back; one size for all but the JPEG case, so that a test run on JAX
compiles the shared operations once) and spandrel's output in eval mode; and the key/shape lists of the
released full-size configurations (classical x2 / x4, lightweight x4,
real-world x4 M and L).

The reference fixes the reconstruction's `num_feat` at 64, which would make
a tiny case's state dict larger than a fixture may be; those cases swap the
reconstruction convs for 8-channel ones after construction (the forward
pass reads them as attributes, so it runs unchanged).
"""

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import random_images, randomize, save_case, save_keys  # noqa: E402
from spandrel import ModelLoader  # noqa: E402
from spandrel.architectures.SwinIR import SwinIR  # noqa: E402

TINY = dict(embed_dim=12, window_size=4, img_size=8, mlp_ratio=2.0)
NUM_FEAT = 8
CASES = [
    # name, upsampler, scale, resi_connection, depths, heads, extra kwargs, input (c, h, w)
    ("swinir_classical_x2", "pixelshuffle", 2, "1conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_classical_x3", "pixelshuffle", 3, "3conv", [2, 1], [2, 3], {}, (3, 11, 13)),
    ("swinir_classical_x4", "pixelshuffle", 4, "1conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_classical_x8", "pixelshuffle", 8, "1conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_lightweight_x2", "pixelshuffledirect", 2, "1conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_lightweight_x3", "pixelshuffledirect", 3, "1conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_lightweight_x4", "pixelshuffledirect", 4, "3conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_realworld_x2", "nearest+conv", 2, "1conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_realworld_x4", "nearest+conv", 4, "3conv", [2], [2], {}, (3, 11, 13)),
    ("swinir_realworld_x8", "nearest+conv", 8, "1conv", [2], [2], {}, (3, 11, 13)),
    # The JPEG artefact models: grey, window 7, pixel values scaled to 255.
    ("swinir_jpeg_grey", "", 1, "1conv", [2], [2], dict(window_size=7, img_size=14, img_range=255.0), (1, 9, 10)),
]
# SwinIR-M (classical and real-world) and SwinIR-S (lightweight), and the
# real-world SwinIR-L, as the SwinIR repository's main_test_swinir.py builds
# them: name, kwargs beside window 8, MLP ratio 2, RGB, img_range 1.
M = dict(depths=[6] * 6, embed_dim=180, num_heads=[6] * 6)
FULL_SIZE = [
    ("swinir_classical_x2_m", dict(M, upscale=2, img_size=48, upsampler="pixelshuffle")),
    ("swinir_classical_x4_m", dict(M, upscale=4, img_size=48, upsampler="pixelshuffle")),
    (
        "swinir_lightweight_x4_s",
        dict(depths=[6] * 4, embed_dim=60, num_heads=[6] * 4, upscale=4, img_size=64, upsampler="pixelshuffledirect"),
    ),
    ("swinir_realworld_x4_m", dict(M, upscale=4, img_size=64, upsampler="nearest+conv")),
    (
        "swinir_realworld_x4_l",
        dict(
            depths=[6] * 9, embed_dim=240, num_heads=[8] * 9, upscale=4, img_size=64, upsampler="nearest+conv",
            resi_connection="3conv",
        ),
    ),
]


def conv(cin, cout):
    return nn.Conv2d(cin, cout, 3, 1, 1)


def shrink_reconstruction(model, upsampler, scale, embed_dim, channels):
    """Replace the 64-channel reconstruction convs by `NUM_FEAT`-channel ones."""
    if upsampler not in ("pixelshuffle", "nearest+conv"):
        return
    model.conv_before_upsample[0] = conv(embed_dim, NUM_FEAT)
    model.conv_last = conv(NUM_FEAT, channels)
    if upsampler == "pixelshuffle":
        steps = [3] if scale == 3 else [2] * (scale.bit_length() - 1)
        layers = []
        for r in steps:
            layers += [conv(NUM_FEAT, NUM_FEAT * r * r), nn.PixelShuffle(r)]
        model.upsample = nn.Sequential(*layers)
    else:
        for k in range(1, scale.bit_length()):
            setattr(model, f"conv_up{k}", conv(NUM_FEAT, NUM_FEAT))
        model.conv_hr = conv(NUM_FEAT, NUM_FEAT)


def main():
    for seed, (name, upsampler, scale, resi, depths, heads, extra, (c, h, w)) in enumerate(CASES):
        kwargs = dict(TINY, depths=depths, num_heads=heads, upscale=scale, upsampler=upsampler)
        kwargs.update(resi_connection=resi, in_chans=c, **extra)
        model = SwinIR(**kwargs)
        shrink_reconstruction(model, upsampler, scale, kwargs["embed_dim"], c)
        if upsampler in ("", "pixelshuffledirect"):
            # spandrel must recognise the state dict and rebuild the same model.
            descriptor = ModelLoader().load_from_state_dict(SwinIR(**kwargs).state_dict())
            assert descriptor.architecture.id == "SwinIR" and descriptor.scale == scale
        randomize(model, seed)
        if kwargs.get("img_range", 1.0) != 1.0:
            # The input is multiplied by img_range and the output divided by
            # it: scale the first conv down and the last one up, so that the
            # features stay of order one and the transformer's share of the
            # output is not img_range times smaller than the input's.
            with torch.no_grad():
                model.conv_first.weight.mul_(1 / kwargs["img_range"])
                for param in model.conv_last.parameters():
                    param.mul_(kwargs["img_range"])
        x = random_images((1, c, h, w), seed=100 + seed)
        with torch.no_grad():
            y = model(x)
        assert tuple(y.shape) == (1, c, h * scale, w * scale)
        save_case(name, model, x, y, extra=kwargs)
        print(name, tuple(y.shape), f"output std {float(y.std()):.3f}")
    for name, kwargs in FULL_SIZE:
        model = SwinIR(window_size=8, mlp_ratio=2.0, in_chans=3, img_range=1.0, **kwargs)
        save_keys(name, model.state_dict())
        print(name, len(model.state_dict()), "keys")


if __name__ == "__main__":
    main()
