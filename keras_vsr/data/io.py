"""Finding and decoding training/evaluation images."""

import os
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def find_images(*roots):
    """Sorted image files below each root (recursive). A root may be a file.

    DIV2K-style trees are covered: pass `DIV2K_train_HR`, or the DIV2K root,
    in which case only folders whose name ends in `_HR` are used.
    """
    files = []
    for root in roots:
        root = Path(root)
        if root.is_file():
            files.append(root)
            continue
        if not root.is_dir():
            raise ValueError(f"Image folder '{root}' does not exist.")
        hr_dirs = [d for d in root.iterdir() if d.is_dir() and d.name.upper().endswith("_HR")]
        for base in hr_dirs or [root]:
            for dirpath, _, names in os.walk(base):
                files.extend(
                    Path(dirpath) / n for n in names if n.lower().endswith(IMAGE_EXTENSIONS)
                )
    return sorted(set(files))


def read_image(path, mode="RGB"):
    """Decode an image file to a uint8 `(H, W, 3)` (mode "RGB") or `(H, W)` ("L") array."""
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert(mode))
