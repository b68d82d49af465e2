"""Train a U-Net SR model (any output size) on video frames and images; write a preset.

Example (the bundled preset):

    KERAS_BACKEND=tensorflow python tools/train_unet_sr.py \
        --filters 32 64 128 --steps 12000 --deadline 03:58 \
        --run-dir runs/unet_sr --preset-dir keras_vsr/presets/bundled/NAME

Training pairs come from `keras_vsr.data.VideoFrameDataset`: random crops of
random frames read directly from the clips (only the training frame ranges;
see `TRAIN_VIDEOS`) and of the images under `--images`, downscaled with
MATLAB bicubic by a factor drawn per batch from `--scales`, quantised to 8
bits and resized back with bicubic (the network's input); the HR crop is the
target. Training resumes from `--run-dir` (`keras.callbacks.BackupAndRestore`)
when started again; `--deadline HH:MM` (UTC) stops it at that time whatever
the step count, and the model card states the steps actually made. Each
epoch logs the loss and Set5 x2 Y-PSNR to `<run-dir>/log.csv`. At the end the
preset folder gets `config.json`, `model.weights.h5`, `metadata.json` (with
the measured Set5/Set14 x2 and x4 metrics) and a `README.md` model card.
"""

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BENCH = DATA / "sr" / "bench"
CLIPS = DATA / "video" / "clips"
# Frame ranges used for training; the rest of each clip (after a 10-frame
# gap) is kept aside as held-out frames (see tools/train_depth2space.py).
TRAIN_VIDEOS = [
    (CLIPS / "Megamind.avi", 0, 216),
    (CLIPS / "vtest.avi", 0, 700),
    (CLIPS / "tree.avi", 0, None),
]
DEFAULT_SCALES = [2, 2, 2, 3, 4, 4, 1.25, 1.5, 2.5, 3.5]


def set_threads(threads):
    """Limit the backend to `threads` CPU threads (call before building models)."""
    from keras_vsr.utils.training import limit_cpu_threads

    limit_cpu_threads(threads)


def parse_deadline(text):
    """'HH:MM' (UTC, today; tomorrow if already past) -> a UTC datetime."""
    if text is None:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    hours, minutes = map(int, text.split(":"))
    deadline = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if deadline <= now:
        deadline += datetime.timedelta(days=1)
    return deadline


class DeadlineStop(keras.callbacks.Callback):
    """Stops training after the batch during which the UTC `deadline` passed."""

    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline
        self.stopped = False

    def on_train_batch_end(self, batch, logs=None):
        if self.deadline is not None and datetime.datetime.now(datetime.timezone.utc) >= self.deadline:
            self.model.stop_training = True
            self.stopped = True


class Set5Validation(keras.callbacks.Callback):
    """Logs Set5 x2 Y-PSNR (upscale with scale=2) at the end of each epoch."""

    def __init__(self, task, folder, scale=2):
        super().__init__()
        self.task, self.folder, self.scale = task, folder, scale

    def on_epoch_end(self, epoch, logs=None):
        from keras_vsr.evaluation import evaluate_sr

        if logs is not None and self.folder.is_dir():
            result = evaluate_sr(lambda lr: self.task.upscale(lr, scale=self.scale, tile=None), self.folder, self.scale)
            logs["val_set5_x2_psnr"] = result["mean"]["psnr"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", nargs="*", default=[str(DATA / "sr" / "train")])
    p.add_argument("--no-videos", action="store_true", help="train on images only")
    p.add_argument("--video-fraction", type=float, default=0.3)
    p.add_argument("--filters", type=int, nargs="+", default=[32, 64, 128])
    p.add_argument("--convs", type=int, default=2, help="convolutions per level and direction")
    p.add_argument("--scales", type=float, nargs="+", default=DEFAULT_SCALES)
    p.add_argument("--patch", type=int, default=48, help="HR patch size (the network input is this size)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=12000)
    p.add_argument("--steps-per-epoch", type=int, default=500)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--loss", choices=["l1", "mse", "charbonnier"], default="l1")
    p.add_argument("--deadline", default=None, help="HH:MM UTC: stop training at that time")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--preset-dir", required=True)
    p.add_argument("--name", default=None, help="preset name for the model card")
    return p.parse_args(argv)


def evaluate_any_scale(task, scales=(2, 4), sets=("Set5", "Set14")):
    """`{"Set5 x2": {psnr, ssim, bicubic_psnr, bicubic_ssim}, ...}` with `upscale(scale=s)`."""
    from keras_vsr.evaluation import evaluate_sr, format_report

    metrics = {}
    for set_name in sets:
        for s in scales:
            folder = BENCH / set_name / f"x{s}"
            if folder.is_dir():
                result = evaluate_sr(lambda lr: task.upscale(lr, scale=s, tile=None), folder, s)
                print(format_report(f"{set_name} x{s}", result))
                metrics[f"{set_name} x{s}"] = {k: round(v, 4) for k, v in result["mean"].items()}
    return metrics


def write_card(preset_dir, name, backbone, metrics, training, description):
    """metadata.json (description, scale "any", metrics, training, parameter_count) and README.md."""
    from keras_vsr.presets.model_card import update_metadata

    preset_dir = Path(preset_dir)
    update_metadata(
        preset_dir,
        {
            "description": description,
            "scale": "any",
            "metrics": metrics,
            "training": training,
            "parameter_count": backbone.count_params(),
        },
    )
    config = backbone.get_config()
    arch = ", ".join(f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype"))
    rows = "\n".join(
        f"| {k} | {m['psnr']:.2f} / {m['ssim']:.4f} | {m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | "
        f"{m['psnr'] - m['bicubic_psnr']:+.2f} |"
        for k, m in metrics.items()
    )
    facts = "\n".join(f"| {k} | {v} |" for k, v in training.items())
    card = f"""---
library_name: keras-hub
tags: [keras-vsr, super-resolution, image-to-image, any-scale]
---
# {name}

{description}

```python
import keras_vsr
sr = keras_vsr.SuperResolver.from_preset("{name}")
big = sr.upscale(frame, size=(1080, 1920))  # any output size
big = sr.upscale(image, scale=1.5)          # or any factor
```

The image is resized with MATLAB bicubic to the requested size, then the
U-Net adds the detail it predicts at that size (pre-upsampling design).

## Architecture

`UNetSRBackbone({arch})`, {backbone.count_params():,} parameters.

## Evaluation

Y channel of ITU-R BT.601 YCbCr (MATLAB `rgb2ycbcr`), border of `scale`
pixels cropped, 8-bit output, on the standard bicubic LR images of
`shared/data/sr/bench` (`SuperResolver.upscale(lr, scale=s)`).

| set | this preset PSNR / SSIM | bicubic PSNR / SSIM | gain (dB) |
|---|---|---|---|
{rows}

## Training

| fact | value |
|---|---|
{facts}

## Data licences

T91 and BSDS200 are distributed for research use; the photographs are from
Debian wallpaper packages (CC-BY / CC-BY-SA / CC0 / GPL); the clips are from
Debian's opencv-doc package.
"""
    (preset_dir / "README.md").write_text(card)


def start_run(args):
    """Seed everything, create `--run-dir` and keep the arguments in it."""
    keras.utils.set_random_seed(args.seed)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(vars(args), indent=2))
    return run_dir


def fit_sr_task(task, data, loss, validation, args, run_dir):
    """Compile (Adam, cosine decay over `--steps`) and fit `task`, resumable
    from `run_dir`, until `--steps` or `--deadline`.

    Returns `(steps_done, stopped_by_deadline, wall_seconds)`.
    """
    import time

    from keras_vsr.utils.training import WallClock

    schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=0.01)
    task.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=[])
    deadline = DeadlineStop(parse_deadline(args.deadline))
    clock = WallClock(run_dir / "wall_seconds.txt")
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        clock,
        deadline,
        validation,
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
    ]
    epochs = -(-args.steps // args.steps_per_epoch)
    start = time.time()
    task.fit(data, epochs=epochs, callbacks=callbacks, verbose=2)
    steps_done = int(keras.ops.convert_to_numpy(task.optimizer.iterations))
    print(f"trained {steps_done} steps; stopped by deadline: {deadline.stopped}; session {time.time() - start:.0f} s")
    return steps_done, deadline.stopped, clock.total


def training_facts(args, steps_done, stopped, wall):
    """The model-card facts every SR recipe states (steps, loss, optimizer, hardware, ...)."""
    return {
        "steps": f"{steps_done} of {args.steps} planned" + (" (stopped at the deadline)" if stopped else ""),
        "batch_size": args.batch,
        "loss": args.loss,
        "optimizer": f"Adam, cosine decay from {args.lr} to {args.lr * 0.01} over {args.steps} steps",
        "model selection": "the weights after the last step",
        "wall_seconds": round(wall),
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}, shared with other jobs), "
        f"{args.threads} TensorFlow thread(s), no GPU",
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    from keras_vsr.data import VideoFrameDataset
    from keras_vsr.losses import CharbonnierLoss, L1Loss, MSELoss
    from keras_vsr.models import SuperResolver, UNetSRBackbone

    run_dir = start_run(args)

    backbone = UNetSRBackbone(filters=tuple(args.filters), convs_per_level=args.convs)
    task = SuperResolver(backbone)
    loss = {"l1": L1Loss, "mse": MSELoss, "charbonnier": CharbonnierLoss}[args.loss]()

    videos = [] if args.no_videos else [(str(p), a, b) for p, a, b in TRAIN_VIDEOS if p.exists()]
    data = VideoFrameDataset(
        videos=videos,
        images=args.images,
        hr_size=args.patch,
        scales=args.scales,
        upsample_lr=True,
        batch_size=args.batch,
        steps_per_epoch=args.steps_per_epoch,
        video_fraction=args.video_fraction if videos else 0.0,
        seed=args.seed,
    )
    steps_done, stopped, wall = fit_sr_task(
        task, data, loss, Set5Validation(task, BENCH / "Set5" / "x2"), args, run_dir
    )

    preset_dir = Path(args.preset_dir)
    backbone.save_to_preset(str(preset_dir))
    metrics = evaluate_any_scale(task)
    training = {
        "data": (
            f"images: {', '.join(os.path.relpath(d, REPO) for d in args.images)}; "
            + (
                "video frames read directly from clips: "
                + ", ".join(f"{Path(p).name} frames [{a}, {b if b is not None else 'end'})" for p, a, b in videos)
                + f"; {args.video_fraction:.0%} of crops from video"
                if videos
                else "no video"
            )
        ),
        "pairs": (
            f"random {args.patch}x{args.patch} HR crops (flips, transposes); LR by MATLAB bicubic at a factor "
            f"drawn per batch from {args.scales}, 8-bit quantised, resized back with bicubic as the input"
        ),
        **training_facts(args, steps_done, stopped, wall),
    }
    name = args.name or preset_dir.name
    description = (
        f"U-Net SR ({', '.join(map(str, args.filters))} filters, {args.convs} convs per level), any output "
        "size: bicubic pre-upsampling + learned residual, L1, trained on CPU on video frames and images."
    )
    write_card(preset_dir, name, backbone, metrics, training, description)
    print(f"wrote preset {preset_dir}")


if __name__ == "__main__":
    main()
