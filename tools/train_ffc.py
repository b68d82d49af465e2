"""Train the FFC VAE frame interpolator on frame triplets and write a preset.

Example (the bundled preset):

    KERAS_BACKEND=tensorflow python tools/train_ffc.py \
        --data ../shared/data/video/train --crop 64 --batch 8 --filters 16 \
        --steps 4000 --run-dir runs/ffc --preset-dir keras_vsr/presets/bundled/ffc_interpolator_vimeo

Training resumes from `--run-dir` (weights and optimizer state via
`keras.callbacks.BackupAndRestore`, kept after the end) when started again
with the same arguments; a finished run only writes the preset. Each epoch
logs the loss and the Middlebury-other PSNR to `<run-dir>/log.csv`.
`--max-minutes` stops training after that much training time (the card
then states the real step count). At the end the preset folder gets
`config.json`, `model.weights.h5`, `metadata.json` (with the measured
Middlebury PSNR/SSIM beside frame averaging), `training_log.csv` and a
`README.md` model card.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
    p.add_argument("--data", nargs="+", default=[str(here / "train")])
    p.add_argument("--bench", default=str(here / "bench" / "middlebury_others"))
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--filters", type=int, default=16)
    p.add_argument("--levels", type=int, default=2)
    p.add_argument("--latent", type=int, default=8)
    p.add_argument("--global-ratio", type=float, default=0.5)
    p.add_argument(
        "--motion-compensation", action="store_true",
        help="warp both frames to the middle along optical flow first (pyramidal Lucas-Kanade)",
    )
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--max-spacing", type=int, default=2)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--steps-per-epoch", type=int, default=250)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--alpha", type=float, default=0.84, help="MS-SSIM weight of the MS-SSIM + L1 loss")
    p.add_argument("--kl-weight", type=float, default=1e-3)
    p.add_argument("--max-minutes", type=float, default=None, help="stop after this much training time")
    p.add_argument("--validate", choices=["epoch", "end"], default="epoch")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (TensorFlow backend)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--preset-dir", required=True)
    p.add_argument("--name", default=None)
    p.add_argument("--note", default=None)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from keras_vsr.utils.training import limit_cpu_threads

    limit_cpu_threads(args.threads)
    import keras

    from keras_vsr.data.interpolation import TripletDataset
    from keras_vsr.evaluation_interpolation import evaluate_interpolation, format_interpolation_report
    from keras_vsr.losses import MSSSIML1Loss
    from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone

    keras.utils.set_random_seed(args.seed)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(vars(args), indent=2))

    backbone = FFCInterpolatorBackbone(
        channels=args.channels,
        filters=args.filters,
        num_levels=args.levels,
        latent_channels=args.latent,
        global_ratio=args.global_ratio,
        seed=args.seed,
        motion_compensation=args.motion_compensation,
    )
    task = FFCInterpolator(backbone, compile=False)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=0.01)
    task.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=MSSSIML1Loss(alpha=args.alpha),
        kl_weight=args.kl_weight,
        metrics=[],
    )
    data = TripletDataset(
        args.data,
        crop_size=args.crop,
        batch_size=args.batch,
        steps_per_epoch=args.steps_per_epoch,
        max_spacing=args.max_spacing,
        channels=args.channels,
        seed=args.seed,
    )
    print(f"{len(data.sequences)} sequences, {len(data.triplets)} triplets", flush=True)
    grey = args.channels == 1
    bench = Path(args.bench)

    class Validation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs is not None and bench.is_dir() and args.validate == "epoch":
                result = evaluate_interpolation(task.predict_middle, bench, grey=grey)
                logs["middlebury_psnr"] = result["mean"]["psnr"]
                logs["middlebury_ssim"] = result["mean"]["ssim"]

    from keras_vsr.utils.training import WallClock

    clock = WallClock(run_dir / "wall_seconds.txt", args.max_minutes and args.max_minutes * 60)

    class StepCount(keras.callbacks.Callback):
        """Logs the steps done and keeps them in the run folder."""

        def on_epoch_end(self, epoch, logs=None):
            steps = (epoch + 1) * args.steps_per_epoch
            if logs is not None:
                logs["steps"] = steps
            (run_dir / "steps_done.txt").write_text(str(steps))

    epochs = args.steps // args.steps_per_epoch
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup"), delete_checkpoint=False),
        clock,
        StepCount(),
        Validation(),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
    ]
    stop_file = run_dir / "steps_done.txt"
    done = int(stop_file.read_text()) if stop_file.exists() else 0
    if not clock.exhausted:
        task.fit(data, epochs=epochs, callbacks=callbacks, verbose=2)
    else:  # training time already used up: restore the last checkpoint only
        restore = keras.callbacks.BackupAndRestore(str(run_dir / "backup"), delete_checkpoint=False)
        restore.set_model(task)
        restore.on_train_begin()
    done = int(stop_file.read_text()) if stop_file.exists() else done

    preset_dir = Path(args.preset_dir)
    backbone.save_to_preset(str(preset_dir))
    metrics = {}
    if bench.is_dir():
        start = time.time()
        result = evaluate_interpolation(task.predict_middle, bench, grey=grey)
        seconds = time.time() - start
        print(format_interpolation_report("Middlebury-other" + (" (luma)" if grey else " (RGB)"), result))
        metrics["middlebury_others"] = {
            **{k: round(v, 4) for k, v in result["mean"].items()},
            "channel": "luma" if grey else "RGB",
            "scenes": {r["name"]: {k: round(v, 4) for k, v in r.items() if k != "name"} for r in result["rows"]},
            "eval_seconds_12_scenes": round(seconds, 1),
        }
    wall = clock.total
    if (run_dir / "log.csv").exists():
        (preset_dir / "training_log.csv").write_text((run_dir / "log.csv").read_text())
    training = {
        "data": [os.path.relpath(d) for d in args.data],
        "sequences": len(data.sequences),
        "triplets": len(data.triplets),
        "steps": done,
        "planned_steps": args.steps,
        "batch_size": args.batch,
        "crop": args.crop,
        "max_spacing": args.max_spacing,
        "augmentation": "random crops, horizontal/vertical flips, time reversal, frame spacing 1..max_spacing",
        "loss": f"{args.alpha} * (1 - MS-SSIM) + {1 - args.alpha:.2f} * L1 + {args.kl_weight} * KL",
        "optimizer": f"Adam, cosine decay from {args.lr} to {args.lr * 0.01} over {args.steps} steps",
        "model selection": "the weights after the last completed epoch",
        "wall_seconds": round(wall),
        "threads": args.threads,
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}) shared with other jobs, no GPU",
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }
    if args.note:
        training["note"] = args.note
    write_card(preset_dir, args.name or preset_dir.name, backbone, metrics, training)
    print(f"wrote preset {preset_dir}")


def write_card(preset_dir, name, backbone, metrics, training):
    """metadata.json facts and a README.md model card for an interpolator preset."""
    from keras_vsr.presets.model_card import update_metadata

    config = backbone.get_config()
    description = (
        f"FFC VAE frame interpolator ({'grey' if backbone.channels == 1 else 'RGB'}, {config['num_levels']} "
        f"levels, {config['filters']} filters"
        + (", motion-compensated: both frames warped to the middle along pyramidal Lucas-Kanade flow first"
           if config.get("motion_compensation") else "")
        + f"), trained on CPU on {', '.join(Path(d).name for d in training['data'])}."
    )
    update_metadata(
        preset_dir,
        {
            "description": description,
            "task": "frame interpolation (middle frame)",
            "metrics": metrics,
            "training": training,
            "parameter_count": backbone.count_params(),
        },
    )
    arch = ", ".join(f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype"))
    rows = ""
    m = metrics.get("middlebury_others")
    if m:
        rows = (
            "| set | this model PSNR / SSIM | frame averaging PSNR / SSIM |\n|---|---|---|\n"
            f"| Middlebury-other, 12 scenes ({m['channel']}) | {m['psnr']:.2f} / {m['ssim']:.4f} | "
            f"{m['average_psnr']:.2f} / {m['average_ssim']:.4f} |\n\n"
            "| scene | PSNR | SSIM | avg PSNR | avg SSIM |\n|---|---|---|---|---|\n"
            + "".join(
                f"| {s} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['average_psnr']:.2f} | {r['average_ssim']:.4f} |\n"
                for s, r in m["scenes"].items()
            )
        )
    facts = "\n".join(f"- {k}: {v}" for k, v in training.items())
    card = f"""---
library_name: keras-hub
tags: [keras-vsr, frame-interpolation, video]
---
# {name}

{description}

Architecture: `FFCInterpolatorBackbone({arch})`, {backbone.count_params():,} parameters.

## Evaluation

Given frame10 and frame11, predict frame10i11; PSNR and SSIM (11x11 Gaussian
window) on 8-bit RGB, mean over the 12 scenes; frame averaging is
`round((frame10 + frame11) / 2)`. Measured with
`tools/evaluate_interpolation.py --preset {name}`.

{rows}
## Training

{facts}

## Use

```python
import keras_vsr
frames = keras_vsr.interpolate(frames, factor=2, model="{name}")  # uint8 (n, h, w, 3) -> (2n - 1, h, w, 3)
```

Licence of the training data: Vimeo-90K is for non-commercial research.
"""
    (preset_dir / "README.md").write_text(card)


if __name__ == "__main__":
    main()
