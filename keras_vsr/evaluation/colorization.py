"""The colourisation evaluation protocol: each colour image is converted to
grey (BT.601 luma, 8 bits), colourised, and compared with the original: PSNR
and SSIM on RGB (8-bit, no border crop), beside the baseline "grey copied to
3 channels" measured the same way.

Images whose original is itself grey (R = G = B everywhere, e.g. `bridge` in
Set14) are left out, as the baseline would be exact there.
"""

import numpy as np

from keras_vsr.io.images import find_images, load_image
from keras_vsr.evaluation.report import summarise
from keras_vsr.metrics import psnr, ssim
from keras_vsr.utils.colour import luma_uint8


def _is_grey(rgb):
    return np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])


def evaluate_colorization(task, folder, progress=None):
    """PSNR / SSIM (RGB, uint8) of `task.colorize` and of the grey baseline.

    Args:
        task: a colouriser: `colorize(grey_uint8 (h, w), keep_luma=bool)`
            returning uint8 `(h, w, 3)` (e.g. `Grey2RGBColorizer`).
        folder: folder of colour images (e.g. `<data root>/sr/bench/Set14/x4/HR`).
        progress: optional callable wrapping an iterable (e.g. `tqdm`).

    Returns:
        dict with `rows` (per image: `name`; `psnr`, `ssim` with
        `keep_luma=True`, the input's luma kept; `raw_psnr`, `raw_ssim` with
        `keep_luma=False`, the network's own output; `grey_psnr`,
        `grey_ssim` of the baseline), `mean` and `skipped` (names of grey
        originals left out).

    Raises:
        ValueError: the folder holds no colour image.
    """
    rows, skipped = [], []
    files = find_images(folder)
    for path in progress(files) if progress else files:
        rgb = load_image(path, mode="RGB")
        if _is_grey(rgb):
            skipped.append(path.stem)
            continue
        grey = luma_uint8(rgb)
        row = {"name": path.stem}
        for prefix, keep_luma in (("", True), ("raw_", False)):
            out = task.colorize(grey[..., 0], keep_luma=keep_luma)
            row[prefix + "psnr"], row[prefix + "ssim"] = psnr(rgb, out), ssim(rgb, out)
        baseline = np.repeat(grey, 3, axis=-1)
        row["grey_psnr"], row["grey_ssim"] = psnr(rgb, baseline), ssim(rgb, baseline)
        rows.append(row)
    if not rows:
        raise ValueError(f"No colour images in '{folder}'.")
    return summarise(rows, skipped=skipped)
