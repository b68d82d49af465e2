"""Writes the measured facts of a trained preset into its folder."""

import json
from pathlib import Path

from keras_vsr.presets.registry import METADATA_FILE

REFERENCES = {
    "Set5 x4": "FSRCNN 30.72, ESPCN 30.90, VDSR 31.35, EDSR-baseline 32.09, SRResNet 32.05",
    "Set14 x4": "FSRCNN 27.61, ESPCN 27.73, VDSR 28.01, EDSR-baseline 28.58, SRResNet 28.49",
}


def describe_data(folders):
    """'train (t91: 91 images, bsd200: 200 images)' for a list of folders."""
    from keras_vsr.data.io import find_images

    parts = []
    for folder in map(Path, folders):
        subdirs = sorted(d for d in folder.iterdir() if d.is_dir()) if folder.is_dir() else []
        if subdirs:
            inner = ", ".join(f"{d.name}: {len(find_images(d))} images" for d in subdirs)
            parts.append(f"{folder.name} ({inner})")
        elif folder.exists():
            parts.append(f"{folder.name} ({len(find_images(folder))} images)")
        else:
            parts.append(folder.name)
    return "; ".join(parts)


def update_metadata(preset_dir, fields):
    """Merge `fields` into `<preset_dir>/metadata.json` (created if absent) and
    return the whole metadata dict."""
    meta_path = Path(preset_dir) / METADATA_FILE
    metadata = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    metadata.update(fields)
    meta_path.write_text(json.dumps(metadata, indent=2))
    return metadata


def write_model_card(preset_dir, name, backbone, metrics, training, description=None):
    """Add `scale`, `metrics`, `training` to metadata.json and write README.md.

    Args:
        preset_dir: folder written by `save_to_preset`.
        name: preset name.
        backbone: the saved backbone (for its config and parameter count).
        metrics: `{set_name: {psnr, ssim, bicubic_psnr, bicubic_ssim}}`, Y
            channel, border of `scale` pixels cropped.
        training: dict of facts about the run (data, steps, wall time, ...).
    """
    preset_dir = Path(preset_dir)
    scale = backbone.scale
    config = backbone.get_config()
    if description is None:
        description = (
            f"{type(backbone).__name__} x{scale}, {config.get('num_blocks')} blocks, "
            f"{config.get('filters')} filters, PSNR-oriented ({training.get('loss', 'l1').upper()}), "
            f"trained on {describe_data(training['data'])}."
        )
    update_metadata(
        preset_dir,
        {
            "description": description,
            "scale": scale,
            "metrics": metrics,
            "training": training,
            "parameter_count": backbone.count_params(),
        },
    )

    rows = []
    for set_name, m in metrics.items():
        rows.append(
            f"| {set_name} x{scale} | {m['psnr']:.2f} / {m['ssim']:.4f} | "
            f"{m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | "
            f"{REFERENCES.get(f'{set_name} x{scale}', '')} |"
        )
    arch = ", ".join(
        f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype")
    )
    card = f"""---
library_name: keras-hub
tags: [keras-vsr, super-resolution, image-to-image]
---
# {name}

{description}

```python
import keras_vsr
sr = keras_vsr.SuperResolver.from_preset("{name}")
big = sr.upscale(image)  # uint8 (h, w, 3) -> uint8 (h*{scale}, w*{scale}, 3)
```

## Architecture

`{type(backbone).__name__}({arch})`, {backbone.count_params():,} parameters.

## Evaluation

Y channel of ITU-R BT.601 YCbCr (MATLAB `rgb2ycbcr`), {scale}-pixel border
cropped, 8-bit output, on the standard bicubic LR images (measured by
`python tools/evaluate.py --preset {name}`).

| set | this preset PSNR / SSIM | bicubic PSNR / SSIM | published PSNR (for scale) |
|---|---|---|---|
{chr(10).join(rows)}

## Training

| fact | value |
|---|---|
{chr(10).join(f"| {k} | {v} |" for k, v in training.items())}

Training pairs: random HR crops, random flips and 90-degree rotations,
LR made on the fly with MATLAB-compatible antialiased bicubic downscaling
and 8-bit quantisation (`keras_vsr.data.PairedPatchDataset`).

## Data licences

T91 and BSDS200 are distributed for research use; the photographs are from
Debian wallpaper packages (CC-BY / CC-BY-SA / CC0 / GPL).
"""
    (preset_dir / "README.md").write_text(card)
