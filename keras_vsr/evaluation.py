"""The SR evaluation protocol: Y-channel PSNR/SSIM with a `scale`-pixel border
cropped, on HR/LR pairs, with the bicubic baseline measured the same way."""

from pathlib import Path

import numpy as np

from keras_vsr.data.io import find_images, read_image
from keras_vsr.metrics import psnr, ssim
from keras_vsr.utils.imresize import imresize


def find_pairs(hr_dir, lr_dir=None):
    """`[(name, hr_path, lr_path or None)]` matched by file name.

    `hr_dir` may be a folder holding `HR/` and `LR/` (the layout of
    `shared/data/sr/bench/<set>/x<scale>`).
    """
    hr_dir = Path(hr_dir)
    if lr_dir is None and (hr_dir / "HR").is_dir():
        hr_dir, lr_dir = hr_dir / "HR", hr_dir / "LR"
    pairs = []
    for hr in find_images(hr_dir):
        lr = None
        if lr_dir is not None:
            candidates = [p for p in Path(lr_dir).glob(hr.stem + "*") if p.is_file()]
            if not candidates:
                raise ValueError(f"No LR image for {hr.name} in {lr_dir}")
            lr = candidates[0]
        pairs.append((hr.stem, hr, lr))
    if not pairs:
        raise ValueError(f"No images found in {hr_dir}")
    return pairs


def evaluate_sr(upscale_fn, hr_dir, scale, lr_dir=None, progress=None, lpips=False):
    """Measure `upscale_fn` (uint8 LR -> uint8 SR) on HR/LR pairs.

    Missing LR images are made from HR with MATLAB bicubic downscaling (HR
    cropped to a multiple of `scale` first). Returns a dict with per-image
    rows `{name, psnr, ssim, bicubic_psnr, bicubic_ssim}` and their means.
    With `lpips=True` the rows also hold `lpips` and `bicubic_lpips`: LPIPS
    (VGG, v0.1; lower is closer) on RGB with the same `scale`-pixel border
    cropped, which needs the converted VGG16/LPIPS weights.
    """
    if lpips:
        from keras_vsr.metrics.lpips import lpips as lpips_distance
    rows = []
    pairs = find_pairs(hr_dir, lr_dir)
    for name, hr_path, lr_path in progress(pairs) if progress else pairs:
        hr = read_image(hr_path)
        if lr_path is None:
            h, w = (hr.shape[0] // scale) * scale, (hr.shape[1] // scale) * scale
            hr = hr[:h, :w]
            lr = imresize(hr, 1.0 / scale)
        else:
            lr = read_image(lr_path)
        if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
            raise ValueError(
                f"{name}: LR {lr.shape[:2]} x{scale} does not give HR {hr.shape[:2]}"
            )
        sr = upscale_fn(lr)
        bic = imresize(lr, scale)
        rows.append(
            {
                "name": name,
                "psnr": psnr(hr, sr, scale, True),
                "ssim": ssim(hr, sr, scale, True),
                "bicubic_psnr": psnr(hr, bic, scale, True),
                "bicubic_ssim": ssim(hr, bic, scale, True),
            }
        )
        if lpips:
            crop = (slice(scale, -scale), slice(scale, -scale))
            rows[-1]["lpips"] = lpips_distance(hr[crop], sr[crop])
            rows[-1]["bicubic_lpips"] = lpips_distance(hr[crop], bic[crop])
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "name"}
    return {"rows": rows, "mean": mean}


def format_report(title, result):
    with_lpips = "lpips" in result["mean"]
    header = f"{'image':<14}{'PSNR':>8}{'SSIM':>8}{'bic PSNR':>10}{'bic SSIM':>10}"
    lines = [title, header + (f"{'LPIPS':>8}{'bic LPIPS':>11}" if with_lpips else "")]
    for r in result["rows"] + [{"name": "mean", **result["mean"]}]:
        line = (
            f"{r['name']:<14}{r['psnr']:>8.2f}{r['ssim']:>8.4f}"
            f"{r['bicubic_psnr']:>10.2f}{r['bicubic_ssim']:>10.4f}"
        )
        if with_lpips:
            line += f"{r['lpips']:>8.4f}{r['bicubic_lpips']:>11.4f}"
        lines.append(line)
    return "\n".join(lines)
