"""Pieces the recipes share: the pixel loss option, video sources, benchmark
validation and measurement, data licences."""

import os

from keras_vsr.evaluation.data_root import data_path
from keras_vsr.training import runs
from keras_vsr.evaluation.report import markdown_table
from keras_vsr.training.model_card import figures

LOSSES = ("l1", "mse", "charbonnier")  # the keys of keras_vsr.losses.PIXEL_LOSSES

LICENCES_SR = (
    "T91 and BSDS200 are distributed for research use; the photographs are from Debian wallpaper packages "
    "(CC-BY / CC-BY-SA / CC0 / GPL)."
)


def add_loss_argument(parser, choices=LOSSES):
    parser.add_argument("--loss", choices=choices, default="l1", help="pixel loss (default l1)")


DEGRADATIONS = ("none", "realworld")


def add_degrade_argument(parser):
    parser.add_argument(
        "--degrade", choices=DEGRADATIONS, default="none",
        help="LR damage: none (clean bicubic) or realworld (JPEG / GIF palette / noise mixture)",
    )
    parser.add_argument(
        "--degrade-context", type=int, default=64,
        help="LR side of the square the damage is applied to, the patch cut from it, so that a GIF "
        "palette is chosen over a picture rather than a patch (default 64; at least --patch)",
    )
    parser.add_argument(
        "--gif-sizes", choices=("any", "powers_of_two"), default="any",
        help="realworld's GIF palette sizes: any count in 16-256 with equal odds (default), or the powers "
        "of two 16, 32, ..., 256 with equal odds (the sizes of GIF colour tables; more weight on few colours)",
    )


def build_degradation(name, gif_sizes="any"):
    """The training LR damage of `--degrade NAME`: None for "none",
    `keras_vsr.data.degradations.real_world_mix(gif_sizes)` for "realworld"."""
    from keras_vsr.data.degradations import real_world_mix

    return real_world_mix(gif_sizes) if name == "realworld" else None


def degradation_dataset_options(args):
    """`PairedPatchDataset`'s `degradation` and `degradation_context` from
    `--degrade`, `--gif-sizes` and `--degrade-context` (never below `--patch`)."""
    if args.degrade == "none" and args.gif_sizes != "any":
        raise ValueError(f"--gif-sizes {args.gif_sizes} shapes the realworld damage; add --degrade realworld")
    degradation = build_degradation(args.degrade, args.gif_sizes)
    context = max(args.degrade_context, args.patch) if degradation is not None else None
    return {"degradation": degradation, "degradation_context": context}


def mix_call(args):
    """How the card names the damage of `--degrade realworld`: the call
    that builds it."""
    return "real_world_mix()" if args.gif_sizes == "any" else f'real_world_mix(gif_sizes="{args.gif_sizes}")'


def describe_degradation(args, context=None):
    """The card's line on the training LR damage of the options `args`."""
    if args.degrade == "none":
        return "none (clean bicubic LR)"
    where = f"{context}x{context} LR squares (each patch cut from one)" if context else "the bicubic LR patch"
    return f"keras_vsr.data.degradations.{mix_call(args)} applied to {where} (config in metadata.json)"


def backbone_from_args(backbone_cls, args):
    """`backbone_cls` built from the parsed options named like its
    constructor arguments (`backbone_cls.config_keys`); the arguments
    without an option keep their defaults."""
    return backbone_cls(**{key: value for key, value in vars(args).items() if key in backbone_cls.config_keys})


def relative(paths):
    """Paths as the card states them: relative to the working folder."""
    return [os.path.relpath(p) for p in paths]


def gain(key, mean):
    """The model's PSNR gain over bicubic in dB, '+1.23'."""
    return f"{mean['psnr'] - mean['bicubic_psnr']:+.2f}"


def sr_table(metrics, last=("gain (dB)", gain), label=lambda key, mean: key, first="set"):
    """The card's Markdown table of SR figures beside bicubic.

    Args:
        metrics: `{key: mean figures}` (`measure_benchmark`).
        last: `(heading, cell(key, mean))` of the last column. Default the
            gain over bicubic.
        label: `cell(key, mean)` of the first column. Default the key.
        first: the first column's heading. Default "set".
    """
    rows = [
        (label(k, m), figures(m, "psnr", "ssim"), figures(m, "bicubic_psnr", "bicubic_ssim"), last[1](k, m))
        for k, m in metrics.items()
    ]
    return markdown_table((first, "this preset PSNR / SSIM", "bicubic PSNR / SSIM", last[0]), rows)


def benchmark_folder(bench, set_name, scale):
    """`<bench>/<set>/x<scale>` when it exists, else None (also when `bench` is None)."""
    if bench is None or not (bench / set_name / f"x{scale}").is_dir():
        return None
    return bench / set_name / f"x{scale}"


def benchmark_validation(upscale_fn, bench, set_name, scale, log_name):
    """`[SetValidation]` logging `log_name` (Y-PSNR on `<bench>/<set>/x<scale>`)
    each epoch, or `[]` when that folder is absent."""
    from keras_vsr.evaluation.sr import evaluate_sr
    from keras_vsr.training.callbacks import SetValidation

    folder = benchmark_folder(bench, set_name, scale)
    if folder is None:
        return []
    return [SetValidation(lambda: evaluate_sr(upscale_fn, folder, scale), {log_name: "psnr"})]


def measure_benchmark(upscale, bench, sets, scales, label="{set}", lpips=False):
    """Measure on each `<bench>/<set>/x<scale>` that exists, printing each report.

    Args:
        upscale: callable `(lr_uint8, scale) -> sr_uint8`.
        bench: Path of the benchmark root, or None (nothing measured).
        sets, scales: the set names and integer factors.
        label: the metrics key, formatted with `set` and `scale`.
        lpips: bool, also LPIPS.

    Returns:
        `{label: {figure: mean, rounded to 4 decimals}}`.
    """
    from keras_vsr.evaluation.report import format_report
    from keras_vsr.evaluation.sr import evaluate_sr

    metrics = {}
    for set_name in sets:
        for scale in scales:
            folder = benchmark_folder(bench, set_name, scale)
            if folder is not None:
                result = evaluate_sr(lambda lr: upscale(lr, scale), folder, scale, lpips=lpips)
                key = label.format(set=set_name, scale=scale)
                print(format_report(f"{set_name} x{scale}", result), flush=True)
                metrics[key] = {k: round(v, 4) for k, v in result["mean"].items()}
    return metrics



def add_motion_arguments(parser):
    """`--motion-compensation` and `--max-spacing` for the frame interpolators."""
    parser.add_argument(
        "--motion-compensation", action="store_true",
        help="warp the frames to the middle along optical flow first (pyramidal Lucas-Kanade)",
    )
    parser.add_argument("--max-spacing", type=int, default=2, help="largest spacing of training frames (default 2)")


def add_video_arguments(parser, fraction):
    """`--clips`, `--no-videos` and `--video-fraction` for recipes that crop
    training frames straight from video clips."""
    parser.add_argument("--clips", default=None, help="folder of the video clips (default: <data root>/video/clips)")
    parser.add_argument("--no-videos", action="store_true", help="train on images only")
    parser.add_argument(
        "--video-fraction", type=float, default=fraction, help=f"share of crops taken from video (default {fraction})"
    )


def training_videos(args, ranges):
    """`[(path, start, stop)]` of the clips in `ranges` (`[(file name, start,
    stop)]`) found in `--clips`; `[]` with `--no-videos`."""
    if args.no_videos:
        return []
    clips = data_path(args, "clips", "video/clips")
    return [(str(clips / file), start, stop) for file, start, stop in ranges if (clips / file).exists()]


def video_frame_dataset(args, videos, images, **sizes):
    """A `VideoFrameDataset` of crops from `videos` (`training_videos`) and
    the `images` folders; `sizes` are its size arguments (`hr_size`, ...)."""
    from keras_vsr.data import VideoFrameDataset

    return VideoFrameDataset(
        videos=videos,
        images=[str(p) for p in images],
        video_fraction=args.video_fraction if videos else 0.0,
        **sizes,
        **runs.dataset_options(args),
    )


def describe_videos(videos):
    """'Megamind.avi frames [0, 216), tree.avi frames [0, end)'."""
    return ", ".join(f"{os.path.basename(p)} frames [{a}, {'end' if b is None else b})" for p, a, b in videos)


def rounded(figures):
    """`{figure: value rounded to 4 decimals}` of a result's mean or row (`name` left out)."""
    return {k: round(v, 4) for k, v in figures.items() if k != "name"}


def measure_interpolation(predict_middle, bench, grey, title):
    """Measure on a Middlebury-style folder (`evaluate_interpolation`),
    printing the report.

    Returns:
        `(metrics, result)`: `metrics` holds the rounded means, the
        `channel` and the per-scene figures under `scenes`; `result` is the
        evaluation's result.
    """
    from keras_vsr.evaluation.interpolation import evaluate_interpolation
    from keras_vsr.evaluation.report import format_report

    result = evaluate_interpolation(predict_middle, bench, grey=grey)
    print(format_report(title, result, item="scene"), flush=True)
    metrics = {
        **rounded(result["mean"]),
        "channel": "luma" if grey else "RGB",
        "scenes": {r["name"]: rounded(r) for r in result["rows"]},
    }
    return metrics, result


def interpolator_card(run_name):
    """The model-card sections every frame-interpolator recipe shares: tags,
    usage and the licences of the frame data."""
    return {
        "tags": ("frame-interpolation", "video"),
        "usage": (
            "import keras_vsr\n"
            f'frames = keras_vsr.interpolate(frames, factor=2, model="{run_name}")  # uint8 (n, h, w, 3), 2x the frame rate'
        ),
        "licences": "Vimeo-90K is for non-commercial research; the clips are from Debian's opencv-doc package.",
    }
