"""How strong the GIF damage of training is beside the evaluation's `gif:COLOURS`.

Cuts random 64x64 squares from the bicubic x4 LR of the training images (the
`--degrade-context` of the real-world recipes), damages each with
`GIFPalette` under both `sizes` draws, and prints the mean RMS error (on
[0, 1] levels) and the share of squares damaged at least as much as a dithered
palette of COLOURS colours damages the same square:

    python tools/gif_damage_strength.py --data-root ../shared/data [--colours 64] [--squares 200]
"""

import argparse
import os

import numpy as np

from keras_vsr.data.degradations import GIFPalette
from keras_vsr.io.images import find_images, load_image
from keras_vsr.utils.imresize import imresize


def lr_squares(folder, count, side, scale, rng):
    """`count` random `side`-pixel squares of the bicubic 1/`scale` LR of the
    images below `folder` that hold one."""
    hr_side = side * scale
    try:
        files = find_images(folder)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    images = [image for image in (load_image(f, mode="RGB") for f in files) if min(image.shape[:2]) >= hr_side]
    if not images:
        raise SystemExit(f"no image under {folder} holds a {hr_side}x{hr_side} square")
    squares = []
    for _ in range(count):
        hr = images[rng.integers(len(images))]
        y = rng.integers(hr.shape[0] // scale - side + 1) * scale
        x = rng.integers(hr.shape[1] // scale - side + 1) * scale
        squares.append(imresize(hr[y : y + hr_side, x : x + hr_side], 1 / scale))
    return squares


def rms_errors(degradation, squares):
    """Each square's RMS error after `degradation` (seeded by its index)."""
    return np.array(
        [np.sqrt(np.mean((degradation(s, np.random.default_rng(i)) - s / 255.0) ** 2)) for i, s in enumerate(squares)]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--colours", type=int, default=64, help="the evaluation's dithered palette size")
    parser.add_argument("--squares", type=int, default=200)
    parser.add_argument("--side", type=int, default=64, help="LR square side (the training context)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    squares = lr_squares(os.path.join(args.data_root, "sr", "train"), args.squares, args.side, 4,
                         np.random.default_rng(args.seed))
    reference = rms_errors(GIFPalette((args.colours, args.colours), 1.0), squares)
    print(f"{len(squares)} LR squares of {args.side}x{args.side}; dithered {args.colours} colours: "
          f"mean RMS {reference.mean():.4f}")
    print("| GIFPalette((16, 256), 0.5, sizes=...) | mean RMS | share at least as damaged |")
    print("|---|---|---|")
    for sizes in GIFPalette.SIZES:
        errors = rms_errors(GIFPalette((16, 256), 0.5, sizes=sizes), squares)
        print(f"| {sizes} | {errors.mean():.4f} | {np.mean(errors >= reference - 1e-9):.2f} |")


if __name__ == "__main__":
    main()
