"""Train a Depth2Space CNN (fixed input size -> fixed target size) on video frames; write a preset.

Example (the bundled preset):

    KERAS_BACKEND=tensorflow python tools/train_depth2space.py \
        --stride 4 --block-size 6 --image-residual --batch 8 --lr 1e-3 \
        --steps 4500 --deadline 03:58 \
        --run-dir runs/depth2space --preset-dir keras_vsr/presets/bundled/NAME

No 1080p frames exist in `shared/data` (the clips are at most 768x576), so
no network can be trained as 720p -> 1080p here. This tool trains at the
same frame ratio 1.5 on a smaller frame, by default 240x320 -> 360x480.
HR targets are random 360x480 crops of video frames read directly from the
clips (training frame ranges only, `TRAIN_VIDEOS`) and of images (the 27
photos and the 960x507 sample-video frames); the input is the HR crop
downscaled with MATLAB bicubic to 240x320 and quantised to 8 bits.

`--stride 5 --block-size 8` (the default) is the original design; its
5-pixel cells and 8-pixel blocks (ratio 1.6) do not line up with a 1.5
frame ratio (see `keras_vsr/models/depth2space/depth2space_backbone.py`).
`--stride 4 --block-size 6` (ratio 1.5) lines them up; its kernels are 1x1
whatever the frame size, so the weights also build the 720p -> 1080p model.

Held-out frames: `HELD_OUT` keeps the last frames of Megamind.avi and
vtest.avi aside (10 frames after the end of the training ranges); the
model card reports Y-PSNR on their centre 360x480 crops beside bicubic.
Training resumes from `--run-dir` (BackupAndRestore); `--deadline HH:MM`
(UTC) stops it at that time and the card states the steps actually made.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import keras  # noqa: E402

from train_unet_sr import CLIPS, DATA, REPO, fit_sr_task, set_threads, start_run, training_facts  # noqa: E402

TRAIN_VIDEOS = [(CLIPS / "Megamind.avi", 0, 216), (CLIPS / "vtest.avi", 0, 700)]
HELD_OUT = [(CLIPS / "Megamind.avi", 226, 270), (CLIPS / "vtest.avi", 710, 795)]
TRAIN_IMAGES = [DATA / "sr" / "train" / "photos", DATA / "video" / "train" / "sample_video"]


def parse_size(text):
    """'HxW' -> (h, w)."""
    h, w = text.lower().split("x")
    return int(h), int(w)


def held_out_frames(every=1):
    """The held-out frames (uint8 arrays), every `every`-th, from `HELD_OUT`."""
    from keras_vsr.data import read_video_frames

    frames = []
    for path, start, stop in HELD_OUT:
        if path.exists():
            clip, _ = read_video_frames(path, start, stop - start, timeout=600.0)
            frames.extend(clip[::every])
    return frames


def centre_crop(frame, size):
    h, w = frame.shape[:2]
    y, x = (h - size[0]) // 2, (w - size[1]) // 2
    return frame[y : y + size[0], x : x + size[1]]


def evaluate_frames(upscale_fn, frames, lr_size, hr_size, crop_border=2):
    """Mean Y-PSNR/SSIM of `upscale_fn` and of bicubic on centre crops of `frames`.

    HR = centre `hr_size` crop; LR = MATLAB bicubic to `lr_size`, uint8;
    bicubic = MATLAB bicubic of LR back to `hr_size`. Y channel (BT.601),
    `crop_border` pixels cut from each side.
    """
    from keras_vsr.metrics import psnr, ssim
    from keras_vsr.utils.imresize import imresize

    rows = []
    for frame in frames:
        hr = centre_crop(frame, hr_size)
        lr = imresize(hr, output_shape=lr_size)
        sr = upscale_fn(lr)
        bic = imresize(lr, output_shape=hr_size)
        rows.append(
            (
                psnr(hr, sr, crop_border, True),
                ssim(hr, sr, crop_border, True),
                psnr(hr, bic, crop_border, True),
                ssim(hr, bic, crop_border, True),
            )
        )
    mean = np.mean(rows, axis=0)
    return {"psnr": float(mean[0]), "ssim": float(mean[1]), "bicubic_psnr": float(mean[2]),
            "bicubic_ssim": float(mean[3]), "frames": len(rows)}


class HeldOutValidation(keras.callbacks.Callback):
    """Logs Y-PSNR on a subset of the held-out frames at the end of each epoch."""

    def __init__(self, task, frames, lr_size, hr_size):
        super().__init__()
        self.task, self.frames, self.lr_size, self.hr_size = task, frames, lr_size, hr_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.frames:
            result = evaluate_frames(self.task.upscale, self.frames, self.lr_size, self.hr_size)
            logs["val_heldout_psnr"] = result["psnr"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input-size", type=parse_size, default=(240, 320))
    p.add_argument("--target-size", type=parse_size, default=(360, 480))
    p.add_argument("--stride", type=int, default=5)
    p.add_argument("--block-size", type=int, default=8)
    p.add_argument("--filters", type=int, nargs=2, default=[128, 150])
    p.add_argument("--kernel", type=int, default=4, help="preferred kernel of the first valid convolution")
    p.add_argument("--image-residual", action="store_true")
    p.add_argument("--video-fraction", type=float, default=0.7)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--steps-per-epoch", type=int, default=250)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--loss", choices=["l1", "mse"], default="l1")
    p.add_argument("--deadline", default=None, help="HH:MM UTC: stop training at that time")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--preset-dir", required=True)
    p.add_argument("--name", default=None)
    p.add_argument("--note", default=None, help="a remark about the run for the model card")
    return p.parse_args(argv)


def geometry_text(backbone, note=None):
    """The model card's paragraphs on how this geometry relates to the 720p -> 1080p design."""
    (h, w), (th, tw) = backbone.input_size, backbone.target_size
    s, b = backbone.stride, backbone.block_size
    aligned = backbone.geometry["shrink"] == (0, 0)
    text = (
        "`shared/data` has no 1080p frames (its clips are at most 768x576), so no model can be trained "
        f"here as 720p -> 1080p; this one is trained at {h}x{w} -> {th}x{tw}, the same frame ratio 1.5.\n\n"
    )
    if aligned:
        text += (
            f"Geometry: a {s}-pixel cell maps to a {b}-pixel block, ratio {b / s:g}, equal to the frame "
            "ratio, so the grid of cells is the grid of output blocks (no valid-convolution shrink, 1x1 "
            "kernels) and every block is aligned with the pixels it comes from. Because no kernel depends "
            f"on the frame size, these weights also build the 720x1280 -> 1080x1920 model "
            f"(`Depth2SpaceBackbone((720, 1280), (1080, 1920), stride={s}, block_size={b}, ...)`), which "
            "`tools/benchmark.py --yardstick` times.\n\n"
            "The original design (stride 5, block 8: a 5-pixel cell to an 8-pixel block, ratio 1.6) "
            "absorbs the difference to 1.5 with valid convolutions (4x4 and 7x14 at 720p), so the position "
            "of an output block inside its receptive field drifts by 1/3 input pixel per block across the "
            "frame, which shared convolution weights cannot follow."
        )
    else:
        text += (
            f"Geometry: a {s}-pixel cell maps to a {b}-pixel block (ratio {b / s:g}) while the frame ratio "
            f"is {th / h:g}; the valid convolutions absorb the difference, so the position of an output block "
            "inside its receptive field drifts across the frame, which shared convolution weights cannot "
            "follow."
        )
    if backbone.image_residual:
        text += (
            " With `image_residual=True` the network adds a correction to the MATLAB-bicubic resize of "
            "the input (its last convolution starts at zero, i.e. at bicubic)."
        )
    if note:
        text += f"\n\n{note}"
    return text


def write_card(preset_dir, name, backbone, metrics, training, description):
    """metadata.json and README.md for a Depth2Space preset."""
    from keras_vsr.presets.model_card import update_metadata

    preset_dir = Path(preset_dir)
    update_metadata(
        preset_dir,
        {
            "description": description,
            "scale": backbone.scale,
            "input_size": list(backbone.input_size),
            "target_size": list(backbone.target_size),
            "metrics": metrics,
            "training": training,
            "parameter_count": backbone.count_params(),
        },
    )
    config = backbone.get_config()
    arch = ", ".join(f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype"))
    (h, w), (th, tw) = backbone.input_size, backbone.target_size
    rows = "\n".join(
        f"| {k} ({m['frames']} frames) | {m['psnr']:.2f} / {m['ssim']:.4f} | "
        f"{m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | {m['psnr'] - m['bicubic_psnr']:+.2f} |"
        for k, m in metrics.items()
    )
    facts = "\n".join(f"| {k} | {v} |" for k, v in training.items())
    g = backbone.geometry
    geometry_notes = geometry_text(backbone)
    card = f"""---
library_name: keras-hub
tags: [keras-vsr, super-resolution, video]
---
# {name}

{description}

```python
import keras_vsr
sr = keras_vsr.SuperResolver.from_preset("{name}")
big = sr.upscale(frame)  # uint8 ({h}, {w}, 3) -> uint8 ({th}, {tw}, 3); other sizes raise a ValueError
```

## Architecture

`Depth2SpaceBackbone({arch})`, {backbone.count_params():,} parameters.
{h}x{w} -> conv {backbone.stride}x{backbone.stride} stride {backbone.stride} -> {g['cells'][0]}x{g['cells'][1]}
cells -> conv {g['first_kernel'][0]}x{g['first_kernel'][1]} valid -> conv {g['second_kernel'][0]}x{g['second_kernel'][1]}
valid -> {g['blocks'][0]}x{g['blocks'][1]} blocks -> depth-to-space {backbone.block_size} -> {th}x{tw}.

{geometry_notes}

## Evaluation

Held-out frames, never used for training: {"; ".join(f"{p.name} frames [{a}, {b})" for p, a, b in HELD_OUT)}
(training used frames before {", ".join(f"{p.name} {b}" for p, _, b in TRAIN_VIDEOS)}). HR is the
centre {th}x{tw} crop, LR its MATLAB-bicubic downscale to {h}x{w} (uint8).
Y channel (BT.601), 2-pixel border cropped.

| frames | this preset PSNR / SSIM | bicubic PSNR / SSIM | gain (dB) |
|---|---|---|---|
{rows}

## Training

| fact | value |
|---|---|
{facts}

## Data licences

Clips from Debian's opencv-doc package; photographs from Debian wallpaper
packages (CC-BY / CC-BY-SA / CC0 / GPL); the sample-video frames come from a
public frame-interpolation repository.
"""
    (preset_dir / "README.md").write_text(card)


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    from keras_vsr.data import VideoFrameDataset, read_video_frames
    from keras_vsr.losses import L1Loss, MSELoss
    from keras_vsr.models import Depth2SpaceBackbone, SuperResolver

    run_dir = start_run(args)

    backbone = Depth2SpaceBackbone(
        input_size=args.input_size,
        target_size=args.target_size,
        stride=args.stride,
        block_size=args.block_size,
        filters=tuple(args.filters),
        kernel_size=args.kernel,
        image_residual=args.image_residual,
    )
    task = SuperResolver(backbone)
    loss = {"l1": L1Loss, "mse": MSELoss}[args.loss]()

    videos = [(str(p), a, b) for p, a, b in TRAIN_VIDEOS if p.exists()]
    images = [str(p) for p in TRAIN_IMAGES if p.exists()]
    data = VideoFrameDataset(
        videos=videos,
        images=images,
        hr_size=args.target_size,
        lr_size=args.input_size,
        batch_size=args.batch,
        steps_per_epoch=args.steps_per_epoch,
        video_fraction=args.video_fraction,
        seed=args.seed,
    )
    frames = held_out_frames()
    validation = HeldOutValidation(task, frames[::32], args.input_size, args.target_size)
    steps_done, stopped, wall = fit_sr_task(task, data, loss, validation, args, run_dir)

    preset_dir = Path(args.preset_dir)
    backbone.save_to_preset(str(preset_dir))
    metrics = {}
    for path, a, b in HELD_OUT:
        clip_frames, _ = read_video_frames(path, a, b - a, timeout=600.0)
        result = evaluate_frames(task.upscale, clip_frames, args.input_size, args.target_size)
        metrics[f"{path.name} [{a}, {b})"] = {k: round(v, 4) for k, v in result.items()}
        print(path.name, metrics[f"{path.name} [{a}, {b})"])
    training = {
        "data": (
            "video frames read directly from "
            + ", ".join(f"{Path(p).name} frames [{a}, {b})" for p, a, b in videos)
            + f" ({args.video_fraction:.0%} of crops); images: "
            + ", ".join(os.path.relpath(p, REPO) for p in images)
        ),
        "pairs": (
            f"random {args.target_size[0]}x{args.target_size[1]} HR crops (flips); LR = MATLAB bicubic to "
            f"{args.input_size[0]}x{args.input_size[1]}, 8-bit quantised"
        ),
        **training_facts(args, steps_done, stopped, wall),
    }
    if args.note:
        training["note"] = args.note
    name = args.name or preset_dir.name
    (h, w), (th, tw) = args.input_size, args.target_size
    description = (
        f"Depth2Space CNN {h}x{w} -> {th}x{tw} (x{th / h:g}; stride {args.stride}, block {args.block_size}, "
        f"filters {args.filters[0]}/{args.filters[1]}"
        + (", bicubic image residual" if args.image_residual else "")
        + "), L1, trained on CPU on video frames and photos."
    )
    write_card(preset_dir, name, backbone, metrics, training, description)
    print(f"wrote preset {preset_dir}")


if __name__ == "__main__":
    main()
