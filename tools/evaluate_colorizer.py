"""Evaluate a grey-to-RGB colouriser on Set14 against the original colour.

Each HR image is converted to grey (ITU-R BT.601 luma, 8 bits), colourised,
and compared with the original: PSNR and SSIM on RGB (8-bit, no border
crop), beside the baseline "grey copied to 3 channels". Images whose
original is itself grey (R = G = B everywhere; `bridge` in Set14) are left
out, as the baseline would be exact there.

    python tools/evaluate_colorizer.py --preset grey2rgb_f16d3_291photos
    python tools/evaluate_colorizer.py --preset path/to/preset_folder --raw
"""

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SET14 = REPO.parent / "shared" / "data" / "sr" / "bench" / "Set14" / "x4" / "HR"


def evaluate_colorizer(task, folder=SET14, keep_luma_modes=(True, False)):
    """PSNR / SSIM (RGB, uint8) of `task.colorize` and of the grey baseline.

    Args:
        task: a `Grey2RGBColorizer` (anything with `colorize(uint8, keep_luma=)`).
        folder: folder of colour images. Default Set14 x4 HR.
        keep_luma_modes: the `keep_luma` settings measured; the first one
            gives the keys `psnr`/`ssim`, the second `raw_psnr`/`raw_ssim`.

    Returns:
        `{"per_image": {name: {...}}, "mean": {...}, "skipped": [names]}`
        with keys psnr, ssim, raw_psnr, raw_ssim, grey_psnr, grey_ssim.
    """
    from keras_vsr.data.io import find_images, read_image
    from keras_vsr.data.sequences import luma_uint8
    from keras_vsr.metrics import psnr, ssim

    files = find_images(folder)
    if not files:
        raise ValueError(f"No images in '{folder}'.")
    per_image, skipped = {}, []
    for path in files:
        rgb = read_image(path)
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
            skipped.append(path.stem)
            continue
        grey = luma_uint8(rgb)
        row = {}
        baseline = np.repeat(grey, 3, axis=-1)
        row["grey_psnr"], row["grey_ssim"] = psnr(rgb, baseline), ssim(rgb, baseline)
        for mode, prefix in zip(keep_luma_modes, ("", "raw_")):
            out = task.colorize(grey[..., 0], keep_luma=mode)
            row[prefix + "psnr"], row[prefix + "ssim"] = psnr(rgb, out), ssim(rgb, out)
        per_image[path.stem] = row
    keys = next(iter(per_image.values())).keys()
    mean = {k: float(np.mean([r[k] for r in per_image.values()])) for k in keys}
    return {"per_image": per_image, "mean": mean, "skipped": skipped}


def format_table(result):
    lines = [
        "| image | colourised, keep_luma=True | raw network output | grey copied to 3 channels |",
        "|---|---|---|---|",
    ]
    rows = list(result["per_image"].items()) + [("**mean**", result["mean"])]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['psnr']:.2f} / {r['ssim']:.4f} | {r.get('raw_psnr', float('nan')):.2f} / "
            f"{r.get('raw_ssim', float('nan')):.4f} | {r['grey_psnr']:.2f} / {r['grey_ssim']:.4f} |"
        )
    if result["skipped"]:
        lines.append("")
        lines.append(f"Left out (grey originals): {', '.join(result['skipped'])}.")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", required=True, help="preset name or folder")
    p.add_argument("--folder", default=str(SET14))
    args = p.parse_args(argv)
    from keras_vsr.models import Grey2RGBColorizer

    task = Grey2RGBColorizer.from_preset(args.preset)
    result = evaluate_colorizer(task, args.folder)
    print(f"{args.preset} on {args.folder}: PSNR / SSIM (RGB, 8-bit, no crop)")
    print(format_table(result))


if __name__ == "__main__":
    main()
