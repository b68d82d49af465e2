"""Tiny generated data sets for the training and evaluation tests: SR
benchmark pairs, frame folders and a Middlebury-style interpolation set."""

import numpy as np
from PIL import Image

from keras_vsr.utils.imresize import imresize


def texture(rng, h, w):
    """A uint8 `(h, w, 3)` image: 4-pixel blocks of colour plus noise."""
    base = rng.random((h // 4 + 1, w // 4 + 1, 3))
    return (np.kron(base, np.ones((4, 4, 1)))[:h, :w] * 200 + rng.random((h, w, 3)) * 55).astype(np.uint8)


def sr_bench(root, scale, size=32, set_name="Set5"):
    """`root/<set>/x<scale>/HR` and `LR` (MATLAB bicubic) with two images; returns `root`."""
    rng = np.random.default_rng(scale)
    for i in range(2):
        hr = texture(rng, size, size)
        for part, image in (("HR", hr), ("LR", imresize(hr, 1.0 / scale))):
            folder = root / set_name / f"x{scale}" / part
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"img{i}.png")
    return root


def frame_folder(folder, count, size=(32, 32), seed=0):
    """A folder of `count` frames of a texture moving one pixel per frame; returns it."""
    rng = np.random.default_rng(seed)
    moving = texture(rng, size[0] + count, size[1] + count)
    folder.mkdir(parents=True)
    for t in range(count):
        Image.fromarray(moving[t : t + size[0], t : t + size[1]]).save(folder / f"{t:03d}.png")
    return folder


def middlebury(root, scenes=2):
    """`root/input/<scene>/frame10, frame11` and `root/gt/<scene>/frame10i11`
    (a texture moving two pixels between the inputs); returns `root`."""
    for s in range(scenes):
        frames = texture(np.random.default_rng(s), 22, 26)
        crops = (("input", "frame10", (0, 0)), ("input", "frame11", (2, 2)), ("gt", "frame10i11", (1, 1)))
        for part, name, (y, x) in crops:
            (root / part / f"s{s}").mkdir(parents=True, exist_ok=True)
            Image.fromarray(frames[y : y + 20, x : x + 24]).save(root / part / f"s{s}" / f"{name}.png")
    return root
