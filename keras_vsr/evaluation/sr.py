"""The SR evaluation protocol: Y-channel PSNR / SSIM with a `scale`-pixel
border cropped, beside MATLAB bicubic measured the same way.

`evaluate_sr` measures on HR/LR image pairs (the standard benchmark sets);
`evaluate_frames` on centre crops of video frames at a fixed input and
output size (models such as Depth2Space that take one frame size).
"""

from pathlib import Path

from keras_vsr.io.images import find_images, load_image
from keras_vsr.evaluation.report import summarise
from keras_vsr.metrics import psnr, ssim
from keras_vsr.utils.imresize import imresize


def find_pairs(hr_dir, lr_dir=None):
    """`[(name, hr_path, lr_path or None)]` matched by file name.

    `hr_dir` may be a folder holding `HR/` and `LR/` (the layout of
    `<data root>/sr/bench/<set>/x<scale>`).

    Raises:
        ValueError: a folder does not exist, holds no images, or an HR image
            has no LR image; or `hr_dir` holds several benchmark folders
            (`<set>` with `x2/HR`, `x4/HR`, ...), whose images are not all
            HR.
    """
    hr_dir = Path(hr_dir)
    if lr_dir is None and (hr_dir / "HR").is_dir():
        hr_dir, lr_dir = hr_dir / "HR", hr_dir / "LR"
    elif lr_dir is None:
        nested = sorted(p.parent for p in hr_dir.rglob("HR") if p.is_dir() and (p.parent / "LR").is_dir())
        if nested:
            names = ", ".join(str(p.relative_to(hr_dir)) for p in nested)
            raise ValueError(
                f"{hr_dir} holds benchmark folders with HR/ and LR/ ({names}); pass one of them, "
                f"e.g. {nested[-1]}"
            )
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


def _measure(name, hr, sr, bicubic, border, lpips=False):
    """One row: Y-PSNR / SSIM of `sr` and of `bicubic` against `hr`, and
    optionally LPIPS on RGB with the same border cropped."""
    row = {
        "name": name,
        "psnr": psnr(hr, sr, border, True),
        "ssim": ssim(hr, sr, border, True),
        "bicubic_psnr": psnr(hr, bicubic, border, True),
        "bicubic_ssim": ssim(hr, bicubic, border, True),
    }
    if lpips:
        from keras_vsr.metrics.lpips import lpips as lpips_distance

        crop = (slice(border, -border), slice(border, -border)) if border else (slice(None), slice(None))
        row["lpips"] = lpips_distance(hr[crop], sr[crop])
        row["bicubic_lpips"] = lpips_distance(hr[crop], bicubic[crop])
    return row


def evaluate_sr(upscale_fn, hr_dir, scale, lr_dir=None, progress=None, lpips=False, degrade=None):
    """Measure `upscale_fn` (uint8 LR -> uint8 SR) on HR/LR pairs.

    Missing LR images are made from HR with MATLAB bicubic downscaling (HR
    cropped to a multiple of `scale` first). With `degrade`, each LR image
    is damaged before both the model and bicubic upscale it.

    Args:
        upscale_fn: callable, uint8 `(h, w, 3)` -> uint8 `(h * scale, w * scale, 3)`.
        hr_dir: folder of HR images, or one holding `HR/` and `LR/`.
        scale: int, the factor between LR and HR; also the border cropped.
        lr_dir: optional folder of LR images matched by name. Default None.
        progress: optional callable wrapping an iterable (e.g. `tqdm`).
        lpips: bool, also LPIPS (VGG, v0.1; lower is closer) on RGB, which
            needs the converted VGG16/LPIPS weights. Default False.
        degrade: optional callable `(lr, index) -> lr` on uint8 images,
            such as `keras_vsr.data.degradations.parse_degradation("jpeg:40")`
            (`index` is the image's place in the set). Default None.

    Returns:
        dict with `rows` (per image: `name`, `psnr`, `ssim`, `bicubic_psnr`,
        `bicubic_ssim`, and `lpips`, `bicubic_lpips` with `lpips=True`) and
        `mean` (each figure's mean over the images).
    """
    rows = []
    pairs = find_pairs(hr_dir, lr_dir)
    for index, (name, hr_path, lr_path) in enumerate(progress(pairs) if progress else pairs):
        hr = load_image(hr_path, mode="RGB")
        if lr_path is None:
            h, w = (hr.shape[0] // scale) * scale, (hr.shape[1] // scale) * scale
            hr = hr[:h, :w]
            lr = imresize(hr, 1.0 / scale)
        else:
            lr = load_image(lr_path, mode="RGB")
        if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
            raise ValueError(f"{name}: LR {lr.shape[:2]} x{scale} does not give HR {hr.shape[:2]}")
        if degrade is not None:
            lr = degrade(lr, index)
        rows.append(_measure(name, hr, upscale_fn(lr), imresize(lr, scale), scale, lpips))
    return summarise(rows)


def centre_crop(frame, size):
    """The centre `size = (h, w)` crop of a frame."""
    h, w = frame.shape[:2]
    y, x = (h - size[0]) // 2, (w - size[1]) // 2
    return frame[y : y + size[0], x : x + size[1]]


def evaluate_frames(upscale_fn, frames, lr_size, hr_size, crop_border=2):
    """Measure `upscale_fn` and bicubic on centre crops of video frames.

    HR is the centre `hr_size` crop of each frame; LR its MATLAB-bicubic
    resize to `lr_size` (uint8); bicubic the MATLAB-bicubic resize of LR back
    to `hr_size`. Y channel (BT.601), `crop_border` pixels cut from each side.

    Args:
        upscale_fn: callable, uint8 `lr_size` frame -> uint8 `hr_size` frame.
        frames: sequence of uint8 `(h, w, 3)` frames at least `hr_size`.
        lr_size, hr_size: `(h, w)` tuples.
        crop_border: int. Default 2.

    Returns:
        dict with `rows` (per frame, named by index) and `mean`, as `evaluate_sr`.
    """
    rows = []
    for i, frame in enumerate(frames):
        hr = centre_crop(frame, hr_size)
        lr = imresize(hr, output_shape=lr_size)
        rows.append(_measure(str(i), hr, upscale_fn(lr), imresize(lr, output_shape=hr_size), crop_border))
    return summarise(rows)
