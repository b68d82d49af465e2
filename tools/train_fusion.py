"""Train the spatio-temporal fusion models: the ConvLSTM frame interpolator
(grey) and the Grey2RGB colouriser, and compare their losses.

Three commands:

    # every loss configuration (MSE, MSE+SSIM, MSE+max-entropy) for both
    # models, short runs, one comparison table:
    python tools/train_fusion.py compare --steps 300 --run-dir runs/fusion_compare

    # the interpolator preset (Vimeo-90K septuplets, the 40-frame sequence,
    # the clips; 64x64 grey crops):
    python tools/train_fusion.py interpolator --steps 6000 \
        --run-dir runs/conv_lstm --preset-dir keras_vsr/presets/bundled/NAME

    # the colouriser preset (T91 + BSD200 + photos):
    python tools/train_fusion.py colorizer --steps 6000 \
        --run-dir runs/grey2rgb --preset-dir keras_vsr/presets/bundled/NAME

The two models take independent datasets and batch sizes
(`--batch` / `--val-batch`). Every frame sequence is split in time into
training and validation parts (`keras_vsr.data.make_sequence_datasets`).
Training resumes from `--run-dir` (BackupAndRestore); `--max-minutes` stops
it at the end of the epoch that passes the limit, and the preset is written
with the real step count. With the TensorFlow backend the tool runs on
`--threads` CPU threads (default 1).
"""

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

LOSSES = ("mse", "mse_ssim", "mse_max_entropy")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["compare", "interpolator", "colorizer"])
    p.add_argument("--sequence-data", nargs="+", default=[str(SHARED / "video" / "train"), str(SHARED / "video" / "clips")])
    p.add_argument("--image-data", nargs="+", default=[str(SHARED / "sr" / "train")])
    p.add_argument("--max-video-frames", type=int, default=150, help="frames decoded per video")
    p.add_argument("--loss", choices=LOSSES, default="mse")
    p.add_argument("--ssim-weight", type=float, default=0.1)
    p.add_argument("--alpha", type=float, default=0.01, help="max-entropy weight")
    p.add_argument("--filters", type=int, default=16)
    p.add_argument("--lstm-filters", type=int, default=32)
    p.add_argument("--lstm-kernel", type=int, default=3)
    p.add_argument("--num-frames", type=int, default=2)
    p.add_argument(
        "--motion-compensation", action="store_true",
        help="interpolator: warp the central frames along optical flow first (pyramidal Lucas-Kanade)",
    )
    p.add_argument("--max-spacing", type=int, default=2)
    p.add_argument("--depth", type=int, default=3, help="colouriser down/up steps")
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--batch", type=int, default=8, help="training batch size")
    p.add_argument("--val-batch", type=int, default=16, help="validation batch size")
    p.add_argument("--val-steps", type=int, default=8)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--steps-per-epoch", type=int, default=200)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--preset-dir", default=None)
    p.add_argument("--name", default=None)
    return p.parse_args(argv)


def make_loss(name, args):
    from keras_vsr.losses import MaxEntropyLoss, MSELoss, MSESSIMLoss

    if name == "mse":
        return MSELoss()
    if name == "mse_ssim":
        return MSESSIMLoss(ssim_weight=args.ssim_weight)
    return MaxEntropyLoss(alpha=args.alpha)


def loss_label(name, args):
    return {"mse": "MSE", "mse_ssim": f"MSE + {args.ssim_weight} (1 - SSIM)", "mse_max_entropy": f"MSE + max-entropy (alpha {args.alpha})"}[name]


def build_interpolator(args):
    from keras_vsr.models import ConvLSTMInterpolator, ConvLSTMInterpolatorBackbone

    backbone = ConvLSTMInterpolatorBackbone(
        num_frames=args.num_frames, filters=args.filters, lstm_filters=args.lstm_filters,
        kernel_size=args.lstm_kernel, channels=1, motion_compensation=args.motion_compensation,
    )
    return ConvLSTMInterpolator(backbone)


def build_colorizer(args):
    from keras_vsr.models import Grey2RGBBackbone, Grey2RGBColorizer

    return Grey2RGBColorizer(Grey2RGBBackbone(filters=args.filters, depth=args.depth))


def interpolation_data(args):
    from keras_vsr.data import load_sequences, make_sequence_datasets

    sequences = load_sequences(args.sequence_data, grey=True, max_frames=args.max_video_frames)
    return make_sequence_datasets(
        sequences,
        validation_fraction=0.2,
        train_batch_size=args.batch,
        val_batch_size=args.val_batch,
        num_frames=args.num_frames,
        crop_size=args.crop,
        steps_per_epoch=args.steps_per_epoch,
        val_steps=args.val_steps,
        max_spacing=args.max_spacing,
        seed=args.seed,
    ), sequences


def colorization_data(args):
    from keras_vsr.data import make_colorization_datasets

    return make_colorization_datasets(
        args.image_data,
        validation_fraction=0.1,
        train_batch_size=args.batch,
        val_batch_size=args.val_batch,
        crop_size=args.crop,
        steps_per_epoch=args.steps_per_epoch,
        val_steps=args.val_steps,
        seed=args.seed,
    )


def val_scores(predict, val):
    """PSNR of the pooled MSE (dB) and mean SSIM over all validation crops of
    `predict(inputs) -> outputs` (clipped to [0, 1]). Pooling the MSE keeps
    the PSNR finite when some crops are predicted exactly (static regions)."""
    import numpy as np
    from keras.ops import convert_to_numpy

    from keras_vsr.metrics.image_quality import ssim_batch

    se, count, ss = 0.0, 0, []
    for i in range(len(val)):
        x, y = val[i]
        guess = np.clip(np.asarray(predict(x), "float32"), 0.0, 1.0)
        se += float(np.sum((guess - y) ** 2))
        count += y.size
        ss += list(convert_to_numpy(ssim_batch(y, guess)))
    return float(10 * np.log10(1.0 / (se / count))), float(np.mean(ss))


def baseline_predict(model_kind):
    """The trivial answer: frame averaging (interpolator) or grey copied to
    3 channels (colouriser)."""
    import numpy as np

    if model_kind == "interpolator":
        return lambda x: 0.5 * (x[:, x.shape[1] // 2 - 1] + x[:, x.shape[1] // 2])
    return lambda x: np.repeat(x, 3, axis=-1)


def train(task, train_data, val_data, loss, args, run_dir, steps):
    import keras

    from keras_vsr.utils.training import WallClock

    schedule = keras.optimizers.schedules.CosineDecay(args.lr, steps, alpha=0.05)
    task.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss)
    epochs = max(1, steps // args.steps_per_epoch)
    run_dir.mkdir(parents=True, exist_ok=True)
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        WallClock(run_dir / "wall_seconds.txt", args.max_minutes and args.max_minutes * 60),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
    ]
    task.fit(train_data, validation_data=val_data, epochs=epochs, callbacks=callbacks, verbose=2)
    return read_log(run_dir)


def read_log(run_dir):
    import csv

    with open(run_dir / "log.csv") as f:
        rows = list(csv.DictReader(f))
    wall = float((run_dir / "wall_seconds.txt").read_text())
    return rows, wall


def middlebury_grey(task, folder=SHARED / "video" / "bench" / "middlebury_others"):
    """Grey PSNR / SSIM (BT.601 luma, 8-bit) on Middlebury-other of the model
    and of frame averaging, by `keras_vsr.evaluation_interpolation`
    (the protocol of `tools/evaluate_interpolation.py --grey`)."""
    from keras_vsr.evaluation_interpolation import evaluate_interpolation

    result = evaluate_interpolation(task.predict_middle, folder, grey=True)
    per_scene = {
        r["name"]: {"psnr": r["psnr"], "ssim": r["ssim"], "avg_psnr": r["average_psnr"], "avg_ssim": r["average_ssim"]}
        for r in result["rows"]
    }
    m = result["mean"]
    mean = {"psnr": m["psnr"], "ssim": m["ssim"], "avg_psnr": m["average_psnr"], "avg_ssim": m["average_ssim"]}
    how = "`keras_vsr.evaluation_interpolation.evaluate_interpolation(task.predict_middle, ..., grey=True)`"
    return {"per_scene": per_scene, "mean": mean}, how


def middlebury_rgb_per_channel(task, folder=SHARED / "video" / "bench" / "middlebury_others"):
    """RGB PSNR / SSIM on Middlebury-other with R, G and B each interpolated as grey."""
    from keras_vsr.evaluation_interpolation import evaluate_interpolation

    return evaluate_interpolation(
        lambda a, b: task.predict_middle(a, b, colour="per_channel"), folder, grey=False
    )["mean"]


def run_compare(args):
    import numpy as np
    import keras

    root = Path(args.run_dir)
    (seq_train, seq_val), _ = interpolation_data(args)
    col_train, col_val = colorization_data(args)
    table = []
    for kind, data in (("interpolator", (seq_train, seq_val)), ("colorizer", (col_train, col_val))):
        base = val_scores(baseline_predict(kind), data[1])
        label = "baseline: " + ("frame averaging" if kind == "interpolator" else "grey copied to 3 channels")
        table.append((kind, label, base[0], base[1], 0.0, None))
        for name in LOSSES:
            keras.utils.set_random_seed(args.seed)
            data[0].rng = np.random.default_rng(args.seed)
            task = build_interpolator(args) if kind == "interpolator" else build_colorizer(args)
            rows, wall = train(task, data[0], data[1], make_loss(name, args), args, root / f"{kind}_{name}", args.steps)
            from keras.ops import convert_to_numpy

            p, ssim_value = val_scores(lambda x: convert_to_numpy(task.predict_on_batch(x)), data[1])
            entropy = _mean_entropy(task, data[1])
            table.append((kind, loss_label(name, args), p, ssim_value, wall, entropy))
    header = (
        f"Loss comparison: {args.steps} training steps per run, batch {args.batch}, {args.crop}x{args.crop} crops, "
        f"validation {args.val_steps} x {args.val_batch} fixed crops (PSNR of the pooled MSE and mean SSIM, "
        "all channels, float in [0, 1]); output entropy: mean normalised soft-histogram entropy of the "
        "predictions (`keras_vsr.losses.soft_histogram_entropy`)."
    )
    lines = [header, "", "| model | loss | val PSNR (dB) | val SSIM | output entropy | train seconds |", "|---|---|---|---|---|---|"]
    for kind, label, p, s, wall, ent in table:
        ent_s = "" if ent is None else f"{ent:.3f}"
        wall_s = "" if not wall else f"{wall:.0f}"
        lines.append(f"| {kind} | {label} | {p:.2f} | {s:.4f} | {ent_s} | {wall_s} |")
    text = "\n".join(lines)
    print(text)
    (root / "comparison.md").write_text(text + "\n")


def _mean_entropy(task, val):
    """Mean normalised soft-histogram entropy of the predictions (the
    quantity the max-entropy term raises)."""
    import numpy as np
    from keras.ops import convert_to_numpy

    from keras_vsr.losses import soft_histogram_entropy

    values = []
    for i in range(len(val)):
        x, _ = val[i]
        y = np.clip(convert_to_numpy(task.predict_on_batch(x)), 0, 1)
        values += list(convert_to_numpy(soft_histogram_entropy(y)))
    return float(np.mean(values))


def write_card(preset_dir, name, task, kind, args, rows, wall, metrics, description, data_desc, eval_text):
    import keras

    from keras_vsr.presets.model_card import update_metadata

    backbone = task.backbone
    preset_dir = Path(preset_dir)
    steps = int(len(rows) * args.steps_per_epoch)
    training = {
        "data": data_desc,
        "steps": steps,
        "batch_size": args.batch,
        "crop": f"{args.crop}x{args.crop}",
        "loss": loss_label(args.loss, args),
        "optimizer": f"Adam, cosine decay from {args.lr} (alpha 0.05) over {args.steps} planned steps",
        "model selection": "the weights after the last step",
        "wall_seconds": round(wall),
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}) shared with other jobs, {args.threads} thread, no GPU",
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "final validation": {k: round(float(v), 4) for k, v in rows[-1].items() if k.startswith("val_")},
    }
    if kind == "interpolator":
        training["frame spacing"] = f"1 to {args.max_spacing} (inputs 2 to {2 * args.max_spacing} frames apart)"
    update_metadata(
        preset_dir,
        {
            "description": description,
            "scale": 1,
            "metrics": metrics,
            "training": training,
            "parameter_count": backbone.count_params(),
        },
    )
    config = backbone.get_config()
    arch = ", ".join(f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype"))
    usage = (
        f'task = keras_vsr.ConvLSTMInterpolator.from_preset("{name}")\n'
        "middle = task.predict_middle(a[None] / 255.0, b[None] / 255.0)  # float (1, h, w, 1)\n"
        "frames_2x = task.interpolate(grey_frames_uint8, factor=2)"
        if kind == "interpolator"
        else f'task = keras_vsr.Grey2RGBColorizer.from_preset("{name}")\n'
        "rgb = task.colorize(grey_uint8)  # (h, w) -> (h, w, 3)"
    )
    card = f"""---
library_name: keras-hub
tags: [keras-vsr, {"frame-interpolation" if kind == "interpolator" else "colorization"}]
---
# {name}

{description}

```python
import keras_vsr
{usage}
```

## Architecture

`{type(backbone).__name__}({arch})`, {backbone.count_params():,} parameters.

## Evaluation

{eval_text}

## Training

| fact | value |
|---|---|
{chr(10).join(f"| {k} | {v} |" for k, v in training.items())}

## Data licences

{"Vimeo-90K septuplets and the sample sequence are for non-commercial research use; the clips are from Debian opencv-doc." if kind == "interpolator" else "T91 and BSDS200 are distributed for research use; the photographs are from Debian wallpaper packages (CC-BY / CC-BY-SA / CC0 / GPL)."}
"""
    (preset_dir / "README.md").write_text(card)
    shutil.copy(Path(args.run_dir) / "log.csv", preset_dir / "training_log.csv")


def run_preset(args):
    import keras

    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(vars(args), indent=2))
    keras.utils.set_random_seed(args.seed)
    if args.command == "interpolator":
        (train_data, val_data), sequences = interpolation_data(args)
        task = build_interpolator(args)
        data_desc = (
            f"{len(sequences)} grey sequences ({sum(len(s) for s in sequences)} frames) from "
            + ", ".join(os.path.relpath(d, REPO) for d in args.sequence_data)
            + f" (videos: first {args.max_video_frames} frames, split at scene cuts); "
            "each sequence's last 20% (at least 3 frames) held out for validation"
        )
    else:
        train_data, val_data = colorization_data(args)
        task = build_colorizer(args)
        data_desc = (
            f"{len(train_data.images)} training / {len(val_data.images)} validation images from "
            + ", ".join(os.path.relpath(d, REPO) for d in args.image_data)
        )
    print(f"{type(task.backbone).__name__}: {task.backbone.count_params():,} parameters", flush=True)
    rows, wall = train(task, train_data, val_data, make_loss(args.loss, args), args, run_dir, args.steps)
    if args.preset_dir:
        finish_preset(args, task, rows, wall, data_desc)


def finish_preset(args, task, rows, wall, data_desc):
    preset_dir = Path(args.preset_dir)
    name = args.name or preset_dir.name
    task.backbone.save_to_preset(str(preset_dir))
    if args.command == "interpolator":
        result, how = middlebury_grey(task)
        m = result["mean"]
        rgb = middlebury_rgb_per_channel(task)
        metrics = {
            "Middlebury-other (grey)": {k: round(v, 4) for k, v in m.items()},
            "Middlebury-other (RGB, per channel)": {k: round(v, 4) for k, v in rgb.items()},
        }
        rows_md = "\n".join(
            f"| {s} | {r['psnr']:.2f} / {r['ssim']:.4f} | {r['avg_psnr']:.2f} / {r['avg_ssim']:.4f} |"
            for s, r in result.get("per_scene", {}).items()
        )
        eval_text = f"""Middlebury "other" (12 scenes; given frame10 and frame11, predict
frame10i11), grey: every frame converted to BT.601 luma (0.299 R + 0.587 G
+ 0.114 B, full range, 8 bits) and PSNR / SSIM measured on that grey image,
for this model and for frame averaging measured the same way. (The RGB
frame-averaging figure of the data README, 28.01 dB, is on RGB and not
comparable.) Measured by {how}.

| scene | this preset PSNR / SSIM | frame averaging PSNR / SSIM |
|---|---|---|
{rows_md}
| **mean** | **{m['psnr']:.2f} / {m['ssim']:.4f}** | **{m['avg_psnr']:.2f} / {m['avg_ssim']:.4f}** |

On RGB, interpolating R, G and B each as a grey frame
(`predict_middle(a, b, colour="per_channel")`), Middlebury-other gives
{rgb['psnr']:.2f} dB / {rgb['ssim']:.4f} beside frame averaging {rgb['average_psnr']:.2f} / {rgb['average_ssim']:.4f}
(measured with `evaluate_interpolation(lambda a, b: task.predict_middle(a, b, colour="per_channel"), ..., grey=False)`,
the protocol of `tools/evaluate_interpolation.py`).
"""
        if args.motion_compensation:
            head = (
                "motion-compensated: both frames warped to the middle along pyramidal Lucas-Kanade optical flow, "
                "then a shared conv encoder, forward + backward ConvLSTM at 1/4 resolution and a transposed-conv "
                "decoder with skips predict a blend mask and a residual"
            )
        else:
            head = (
                "shared conv encoder, forward + backward ConvLSTM at 1/4 resolution, "
                "transposed-conv decoder with skips, residual on frame averaging"
            )
        description = (
            f"Grey frame interpolator, {head}; {loss_label(args.loss, args)}; "
            f"trained on CPU on Vimeo-90K septuplets, a 40-frame sequence and clips. Middlebury-other grey PSNR "
            f"{m['psnr']:.2f} dB (frame averaging {m['avg_psnr']:.2f} dB)."
        )
    else:
        from evaluate_colorizer import evaluate_colorizer, format_table

        result = evaluate_colorizer(task)
        metrics = {"Set14": {k: round(v, 4) for k, v in result["mean"].items()}}
        m = result["mean"]
        eval_text = (
            "Set14 (the HR images of `sr/bench/Set14/x4/HR`; the 12 colour ones are measured): each image converted to grey (BT.601 luma, "
            "8 bits), colourised, and compared with the original colour image: PSNR / SSIM on RGB, no border "
            "crop, beside the baseline of the grey image copied to 3 channels. `keep_luma=True` (the default of "
            "`colorize`) keeps the input's luma and takes only the chroma from the network; `keep_luma=False` "
            "is the raw network output. Measured by `python tools/evaluate_colorizer.py --preset "
            f"{name}`.\n\n" + format_table(result)
        )
        description = (
            f"Grey-to-RGB colouriser: encoder-decoder of convolutions and transposed convolutions with batch "
            f"norm, skip connections and sigmoid output; {loss_label(args.loss, args)}; trained on CPU on T91 + "
            f"BSD200 + 27 photos. Set14 RGB PSNR {m['psnr']:.2f} dB (grey copied to 3 channels "
            f"{m['grey_psnr']:.2f} dB)."
        )
    write_card(preset_dir, name, task, args.command, args, rows, wall, metrics, description, data_desc, eval_text)
    print(eval_text)
    print(f"wrote preset {preset_dir}")


def main(argv=None):
    args = parse_args(argv)
    from keras_vsr.utils.training import limit_cpu_threads

    limit_cpu_threads(args.threads)
    sys.path.insert(0, str(REPO / "tools"))
    if args.command == "compare":
        run_compare(args)
    else:
        run_preset(args)


if __name__ == "__main__":
    main()
