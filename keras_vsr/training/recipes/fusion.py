"""The spatio-temporal fusion models: the ConvLSTM frame interpolator (grey)
and the Grey2RGB colouriser.

    keras-vsr train conv-lstm --data-root ../shared/data --steps 6000 \\
        --run-dir runs/conv_lstm --preset-dir keras_vsr/presets/bundled/NAME
    keras-vsr train grey2rgb --data-root ../shared/data --steps 6000 \\
        --run-dir runs/grey2rgb --preset-dir keras_vsr/presets/bundled/NAME
    keras-vsr train conv-lstm --data-root ../shared/data --compare-losses --steps 300 \\
        --run-dir runs/fusion_compare

The interpolator trains on grey crops of the frame folders and videos under
`--data` (default `<data root>/video/train` and `<data root>/video/clips`),
every sequence split in time into training and validation parts
(`keras_vsr.data.make_sequence_datasets`); the colouriser on crops of the
images under `--data` (default `<data root>/sr/train`), every tenth image
kept for validation. `--compare-losses` trains the model once per loss
(MSE, MSE + SSIM, MSE + max-entropy) in `<run-dir>/<loss>` and prints one
table beside the trivial answer (frame averaging; grey copied to three
channels). The cards measure the interpolator on Middlebury-other (grey,
and RGB per channel) beside frame averaging, and the colouriser on the
colour images of Set14 beside grey copied to three channels.
"""

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.evaluation.report import format_report, markdown_table
from keras_vsr.training import runs
from keras_vsr.training.model_card import describe_data, figures
from keras_vsr.training.recipes.common import (
    LICENCES_SR,
    add_motion_arguments,
    measure_interpolation,
    relative,
    rounded,
)

FAMILIES = {
    "conv-lstm": "ConvLSTM grey frame interpolator, on frame sequences",
    "grey2rgb": "Grey2RGB colouriser, on colour images",
}
LOSSES = ("mse", "mse_ssim", "mse_max_entropy")
# The cosine decay of both models ends at 5% of the learning rate.
DECAY_ALPHA = 0.05


def add_arguments(parser, family):
    if family == "conv-lstm":
        parser.add_argument(
            "--data", "--sequence-data", nargs="+", default=None,
            help="frame folders and videos (default: <data root>/video/train and <data root>/video/clips)",
        )
        parser.add_argument(
            "--bench", default=None,
            help="Middlebury-style folder for the card (default: <data root>/video/bench/middlebury_others)",
        )
        parser.add_argument("--max-video-frames", type=int, default=150, help="frames decoded per video")
        parser.add_argument("--lstm-filters", type=int, default=32)
        parser.add_argument("--lstm-kernel", type=int, default=3)
        parser.add_argument("--num-frames", type=int, default=2)
        add_motion_arguments(parser)
    else:
        parser.add_argument(
            "--data", "--image-data", nargs="+", default=None, help="image folders (default: <data root>/sr/train)"
        )
        parser.add_argument(
            "--bench", default=None, help="colour images for the card (default: <data root>/sr/bench/Set14/x4/HR)"
        )
        parser.add_argument("--depth", type=int, default=3, help="down/up steps")
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--loss", choices=LOSSES, default="mse")
    parser.add_argument("--ssim-weight", type=float, default=0.1)
    parser.add_argument("--alpha", type=float, default=0.01, help="max-entropy weight")
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--val-batch", type=int, default=16, help="validation batch size")
    parser.add_argument("--val-steps", type=int, default=8)
    parser.add_argument(
        "--compare-losses", action="store_true", help="train once per loss and print one comparison table"
    )
    runs.add_run_arguments(parser, steps=4000, steps_per_epoch=200, lr=1e-3, batch=8)


def make_loss(name, args):
    from keras_vsr.losses import MaxEntropyLoss, MSELoss, MSESSIMLoss

    if name == "mse":
        return MSELoss()
    if name == "mse_ssim":
        return MSESSIMLoss(ssim_weight=args.ssim_weight)
    return MaxEntropyLoss(alpha=args.alpha)


def loss_label(name, args):
    return {
        "mse": "MSE",
        "mse_ssim": f"MSE + {args.ssim_weight} (1 - SSIM)",
        "mse_max_entropy": f"MSE + max-entropy (alpha {args.alpha})",
    }[name]


def build_task(args):
    from keras_vsr.models import (
        ConvLSTMInterpolator,
        ConvLSTMInterpolatorBackbone,
        Grey2RGBBackbone,
        Grey2RGBColorizer,
    )

    if args.family == "conv-lstm":
        backbone = ConvLSTMInterpolatorBackbone(
            num_frames=args.num_frames,
            filters=args.filters,
            lstm_filters=args.lstm_filters,
            kernel_size=args.lstm_kernel,
            channels=1,
            motion_compensation=args.motion_compensation,
        )
        return ConvLSTMInterpolator(backbone)
    return Grey2RGBColorizer(Grey2RGBBackbone(filters=args.filters, depth=args.depth))


def load_data(args):
    """`(train, val, folders, description)`: the family's training and
    validation sets, their folders and the card's sentence on them."""
    from keras_vsr.data import load_sequences, make_colorization_datasets, make_sequence_datasets

    split = {
        "train_batch_size": args.batch,
        "val_batch_size": args.val_batch,
        "crop_size": args.crop,
        "steps_per_epoch": args.steps_per_epoch,
        "val_steps": args.val_steps,
        "seed": args.seed,
    }
    if args.family == "conv-lstm":
        folders = data_paths(args, "data", "video/train", "video/clips")
        sequences = load_sequences([str(p) for p in folders], grey=True, max_frames=args.max_video_frames)
        train, val = make_sequence_datasets(
            sequences, validation_fraction=0.2, num_frames=args.num_frames, max_spacing=args.max_spacing, **split
        )
        description = (
            f"{len(sequences)} grey sequences ({sum(len(s) for s in sequences)} frames) from "
            f"{', '.join(relative(folders))} (videos: first {args.max_video_frames} frames, split at scene cuts); "
            "each sequence's last 20% (at least 3 frames) held out for validation"
        )
        return train, val, folders, description
    folders = data_paths(args, "data", "sr/train")
    train, val = make_colorization_datasets([str(p) for p in folders], validation_fraction=0.1, **split)
    description = (
        f"{len(train.images)} training / {len(val.images)} validation images from {', '.join(relative(folders))}"
    )
    return train, val, folders, description


def compile_task(task, loss, args):
    """Compile with Adam, cosine decay from `--lr` to 5% of it over `--steps`."""
    optimizer, _ = runs.cosine_adam(args, alpha=DECAY_ALPHA)
    task.compile(optimizer=optimizer, loss=loss)


def run(args):
    run = runs.Run(args)
    train_data, val_data, folders, description = load_data(args)
    if args.compare_losses:
        compare_losses(args, run.dir, train_data, val_data)
        return
    task = build_task(args)
    print(f"{type(task.backbone).__name__}: {task.backbone.count_params():,} parameters", flush=True)
    compile_task(task, make_loss(args.loss, args), args)
    run.fit(task, train_data, validation_data=val_data)
    run.save(task.backbone)
    write_card(args, run, task, folders, description)


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


def baseline(family):
    """The trivial answer: frame averaging (interpolator) or grey copied to
    3 channels (colouriser), as `(label, predict)`."""
    import numpy as np

    if family == "conv-lstm":
        return "frame averaging", lambda x: 0.5 * (x[:, x.shape[1] // 2 - 1] + x[:, x.shape[1] // 2])
    return "grey copied to 3 channels", lambda x: np.repeat(x, 3, axis=-1)


def mean_entropy(task, val):
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


def compare_losses(args, root, train_data, val_data):
    """Train the family's model once per loss in `<root>/<loss>`; print and
    write `<root>/comparison.md`, one row per loss below the baseline's."""
    import keras
    import numpy as np
    from keras.ops import convert_to_numpy


    label, predict = baseline(args.family)
    psnr, ssim = val_scores(predict, val_data)
    rows = [(f"baseline: {label}", f"{psnr:.2f}", f"{ssim:.4f}", "", "")]
    for name in LOSSES:
        keras.utils.set_random_seed(args.seed)
        train_data.rng = np.random.default_rng(args.seed)
        task = build_task(args)
        run_dir = root / name
        run_dir.mkdir(exist_ok=True)
        compile_task(task, make_loss(name, args), args)
        _, _, wall = runs.fit_in_run(task, train_data, args, run_dir, validation_data=val_data)
        psnr, ssim = val_scores(lambda x: convert_to_numpy(task.predict_on_batch(x)), val_data)
        entropy = mean_entropy(task, val_data)
        rows.append((loss_label(name, args), f"{psnr:.2f}", f"{ssim:.4f}", f"{entropy:.3f}", f"{wall:.0f}"))
    text = (
        f"Loss comparison, {args.family}: {args.steps} training steps per run, batch {args.batch}, "
        f"{args.crop}x{args.crop} crops, validation {args.val_steps} x {args.val_batch} fixed crops (PSNR of the "
        "pooled MSE and mean SSIM, all channels, float in [0, 1]); output entropy: mean normalised soft-histogram "
        "entropy of the predictions (`keras_vsr.losses.soft_histogram_entropy`).\n\n"
        + markdown_table(("loss", "val PSNR (dB)", "val SSIM", "output entropy", "train seconds"), rows)
    )
    print(text)
    (root / "comparison.md").write_text(text + "\n")


def last_validation(run_dir):
    """The `val_*` figures of the last epoch in `<run-dir>/log.csv` (rounded)."""
    import csv

    with open(run_dir / "log.csv") as f:
        rows = list(csv.DictReader(f))
    return {k: round(float(v), 4) for k, v in rows[-1].items() if k.startswith("val_")} if rows else {}


def interpolator_card(task, args, bench, name, trained_on):
    """`(metrics, description, evaluation)` of the interpolator's card: Middlebury-other
    on luma and on RGB (each channel interpolated as a grey frame), beside frame averaging."""

    grey, grey_result = measure_interpolation(task.predict_middle, bench, True, "Middlebury-other (grey)")
    rgb, _ = measure_interpolation(task.predict_middle, bench, False, "Middlebury-other (RGB, per channel)")
    metrics = {"Middlebury-other (grey)": grey, "Middlebury-other (RGB, per channel)": rgb}
    if args.motion_compensation:
        design = (
            "motion-compensated: both frames warped to the middle along pyramidal Lucas-Kanade optical flow, then a "
            "shared conv encoder, forward + backward ConvLSTM at 1/4 resolution and a transposed-conv decoder with "
            "skips predict a blend mask and a residual"
        )
    else:
        design = (
            "shared conv encoder, forward + backward ConvLSTM at 1/4 resolution, transposed-conv decoder with skips, "
            "residual on frame averaging"
        )
    description = (
        f"Grey frame interpolator, {design}; {loss_label(args.loss, args)}; trained on {trained_on}. "
        f"Middlebury-other grey PSNR {grey['psnr']:.2f} dB (frame averaging {grey['average_psnr']:.2f} dB)."
    )
    evaluation = (
        'Middlebury "other" (given frame10 and frame11, predict frame10i11), grey: every frame converted to '
        "BT.601 luma (0.299 R + 0.587 G + 0.114 B, full range, 8 bits) and PSNR / SSIM measured on that grey "
        "image, for this model and for frame averaging measured the same way (`keras-vsr evaluate interpolation "
        f"--preset {name} --grey`). (The RGB frame-averaging figure of the data README, 28.01 dB, is on RGB and "
        "not comparable.)\n\n"
        + format_report("", grey_result, item="scene", markdown=True)
        + "\n\nOn RGB, interpolating R, G and B each as a grey frame (`colour_mode=\"per_channel\"`, the "
        f"default), Middlebury-other gives {figures(rgb, 'psnr', 'ssim')} beside frame averaging "
        f"{figures(rgb, 'average_psnr', 'average_ssim')} (`keras-vsr evaluate interpolation --preset {name}`)."
    )
    return metrics, description, evaluation


def colorizer_card(task, args, bench, name, trained_on):
    """`(metrics, description, evaluation)` of the colouriser's card: the colour
    images of `bench`, beside grey copied to three channels."""
    from keras_vsr.evaluation.colorization import evaluate_colorization

    result = evaluate_colorization(task, bench)
    print(format_report(f"colourisation, {bench}", result), flush=True)
    m = result["mean"]
    label = bench.parts[-3] if bench.name == "HR" and len(bench.parts) > 2 else bench.name  # <set>/x4/HR
    metrics = {label: rounded(m)}
    description = (
        "Grey-to-RGB colouriser: encoder-decoder of convolutions and transposed convolutions with batch norm, skip "
        f"connections and sigmoid output; {loss_label(args.loss, args)}; trained on {trained_on}. "
        f"{label} RGB PSNR {m['psnr']:.2f} dB (grey copied to 3 channels {m['grey_psnr']:.2f} dB)."
    )
    evaluation = (
        f"The colour images of {bench} (Set14 HR by default): each converted to grey (BT.601 luma, 8 bits), "
        "colourised, and compared with the original colour image: PSNR / SSIM on RGB, no border crop, beside the "
        "baseline of the grey image copied to 3 channels. `keep_luma=True` (the default of `colorize`) keeps the "
        "input's luma and takes only the chroma from the network (PSNR, SSIM); `keep_luma=False` is the raw "
        f"network output (raw PSNR, raw SSIM). Measured by `keras-vsr evaluate colorization --preset {name}`.\n\n"
        + format_report("", result, markdown=True)
        + (f"\n\nLeft out (grey originals): {', '.join(result['skipped'])}." if result["skipped"] else "")
    )
    return metrics, description, evaluation


def write_card(args, run, task, folders, data_description):
    """Measure on `--bench` (when there is one) and write the family's model card."""
    interpolator = args.family == "conv-lstm"
    default_bench = "video/bench/middlebury_others" if interpolator else "sr/bench/Set14/x4/HR"
    bench = data_path(args, "bench", default_bench, required=False)
    metrics, description, evaluation = {}, f"{type(task.backbone).__name__}, not measured.", ""
    if bench is not None:
        card = interpolator_card if interpolator else colorizer_card
        metrics, description, evaluation = card(task, args, bench, run.name, describe_data(folders))
    facts = {
        "data": data_description,
        "crop": f"{args.crop}x{args.crop}",
        "loss": loss_label(args.loss, args),
        "final validation": last_validation(run.dir),
    }
    if interpolator:
        facts["frame spacing"] = f"1 to {args.max_spacing} (inputs 2 to {2 * args.max_spacing} frames apart)"
        usage = (
            "import keras_vsr\n"
            f'task = keras_vsr.ConvLSTMInterpolator.from_preset("{run.name}")\n'
            "middle = task.predict_middle(a[None] / 255.0, b[None] / 255.0)  # float (1, h, w, c)\n"
            "frames_2x = task.interpolate(frames_uint8, factor=2)"
        )
        licences = (
            "Vimeo-90K septuplets and the sample sequence are for non-commercial research use; the clips are from "
            "Debian opencv-doc."
        )
    else:
        usage = (
            "import keras_vsr\n"
            f'task = keras_vsr.Grey2RGBColorizer.from_preset("{run.name}")\n'
            "rgb = task.colorize(grey_uint8)  # (h, w) -> (h, w, 3)"
        )
        licences = LICENCES_SR
    run.write_card(
        task.backbone,
        facts,
        f"Adam, cosine decay from {args.lr} (alpha {DECAY_ALPHA}) over {args.steps} planned steps",
        description=description,
        tags=("frame-interpolation",) if interpolator else ("colorization",),
        usage=usage,
        evaluation=evaluation,
        licences=licences,
        metrics=metrics,
        metadata={"scale": 1},
    )
