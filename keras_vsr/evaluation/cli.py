"""`keras-vsr evaluate KIND`: a preset's figures beside its baseline.

    keras-vsr evaluate sr [--preset NAME] [--scale S] [--data DIR ...] [--lr DIR] [--lpips] [--degrade SPEC ...]
    keras-vsr evaluate interpolation [--preset NAME] [--data DIR] [--grey] [--json FILE]
    keras-vsr evaluate colorization [--preset NAME] [--data DIR]

Data folders default to the standard sets below the data root (`--data-root`
or `KERAS_VSR_DATA`; see `keras_vsr.evaluation.data_root`). A missing folder,
an empty set or a preset of another kind raise one ValueError, which the
command line prints as one line (exit status 2).
"""

import json
from pathlib import Path

from keras_vsr.evaluation.data_root import add_data_root_argument, data_path, existing_folder

SR_SETS = ("Set5", "Set14")


def _load(args, purpose, default=None):
    """`(name, task)` of `--preset` (or `default`) made to `purpose`; a
    ValueError naming the preset when it does not load as one."""
    from keras_vsr.inference.tasks import load_task

    preset = args.preset or default
    try:
        return preset, load_task(preset, purpose)
    except (ValueError, FileNotFoundError) as e:
        raise ValueError(f"cannot load preset '{preset}': {e}") from e


def run_sr(args):
    """Y-PSNR / SSIM (and LPIPS) of an SR preset on each `--data` folder, beside
    bicubic; with `--degrade`, one table per spec on LR images so damaged."""
    from keras_vsr.data.degradations import parse_degradation
    from keras_vsr.evaluation.report import format_report
    from keras_vsr.evaluation.sr import evaluate_sr
    from keras_vsr.inference import DEFAULT_PRESET

    damages = [parse_degradation(spec) for spec in args.degrade] if args.degrade else [None]
    folders = [existing_folder(d, "data") for d in args.data or ()]
    bench = None if folders else data_path(args, "data", "sr/bench")
    preset, task = _load(args, "upscale", DEFAULT_PRESET)
    scale = args.scale or task.scale
    if scale == 1:
        raise ValueError(f"preset '{preset}' makes any output size; pass --scale (e.g. --scale 4)")
    upscale = task.upscale if scale == task.scale else (lambda lr: task.upscale(lr, scale=scale))
    for folder in folders or [existing_folder(bench / name / f"x{scale}", "data") for name in SR_SETS]:
        for damage in damages:
            result = evaluate_sr(upscale, folder, scale, lr_dir=args.lr, lpips=args.lpips, degrade=damage)
            inputs = f", LR damaged by {damage.spec}" if damage else ""
            print(format_report(f"{preset} x{scale} on {folder} (Y channel, crop {scale}{inputs})", result))
            print()


def run_interpolation(args):
    """PSNR / SSIM of an interpolator preset on Middlebury-style triplets, beside frame averaging."""
    from keras_vsr.evaluation.interpolation import evaluate_interpolation
    from keras_vsr.evaluation.report import format_report

    folder = existing_folder(data_path(args, "data", "video/bench/middlebury_others"), "data")
    predict = _load(args, "interpolate")[1].predict_middle if args.preset else None
    result = evaluate_interpolation(predict, folder, grey=args.grey)
    title = f"{folder.name}, {args.preset or 'frame averaging only'} ({'luma' if args.grey else 'RGB'})"
    print(format_report(title, result, item="scene"))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


def run_colorization(args):
    """RGB PSNR / SSIM of a colouriser preset on colour images, beside grey copied to 3 channels."""
    from keras_vsr.evaluation.colorization import evaluate_colorization
    from keras_vsr.evaluation.report import format_report
    from keras_vsr.inference.tasks import DEFAULT_COLORIZER_PRESET

    folder = existing_folder(data_path(args, "data", "sr/bench/Set14/x4/HR"), "data")
    preset, task = _load(args, "colorize", DEFAULT_COLORIZER_PRESET)
    result = evaluate_colorization(task, folder)
    print(format_report(f"{preset} on {folder}: PSNR / SSIM (RGB, 8-bit, no crop)", result))
    if result["skipped"]:
        print(f"left out (grey originals): {', '.join(result['skipped'])}")


def add_evaluate_parser(subparsers):
    """Add `evaluate` with one sub-command per kind to an argparse `subparsers`.

    Each kind's parser sets `run` (a callable taking the parsed arguments).
    Returns the `evaluate` parser.
    """
    parser = subparsers.add_parser(
        "evaluate",
        help="figures of a preset beside its baseline (sr, interpolation, colorization)",
        description="Measure a preset on a benchmark set, beside the baseline measured the same way.",
    )
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")

    sr = kinds.add_parser("sr", help="Y-PSNR/SSIM (and LPIPS) on HR/LR pairs, beside bicubic")
    sr.add_argument("--preset", default=None, help="SR preset name or folder (default: the default SR preset)")
    sr.add_argument(
        "--data", nargs="+", default=None,
        help="folders holding HR/ and LR/ (default: Set5 and Set14 below <data root>/sr/bench at the preset's scale)",
    )
    sr.add_argument(
        "--scale", type=int, default=None,
        help="the factor measured (default: the preset's; any-size models such as U-Net SR need it)",
    )
    sr.add_argument("--lr", default=None, help="LR folder when --data is a folder of HR images only")
    sr.add_argument("--lpips", action="store_true", help="also LPIPS (VGG) on RGB; needs the converted VGG16 weights")
    sr.add_argument(
        "--degrade", nargs="+", default=None, metavar="SPEC",
        help="measure on LR images damaged (fixed seed) by each SPEC: jpeg:Q, gif:COLOURS, "
        "gif:COLOURS:nodither or realesrgan:SEED; one table per SPEC",
    )
    sr.set_defaults(run=run_sr)

    it = kinds.add_parser("interpolation", help="PSNR/SSIM of the middle frame, beside frame averaging")
    it.add_argument("--preset", default=None, help="interpolator preset name or folder (default: frame averaging only)")
    it.add_argument(
        "--data", default=None,
        help="folder of input/<scene>/frame10, frame11 and gt/<scene>/frame10i11 "
        "(default: <data root>/video/bench/middlebury_others)",
    )
    it.add_argument("--grey", action="store_true", help="grey model: luma frames in, measured on luma")
    it.add_argument("--json", default=None, help="also write the result to this JSON file")
    it.set_defaults(run=run_interpolation)

    co = kinds.add_parser("colorization", help="RGB PSNR/SSIM of grey images colourised, beside grey copied to RGB")
    co.add_argument("--preset", default=None, help="colouriser preset name or folder (default: the default colouriser)")
    co.add_argument("--data", default=None, help="folder of colour images (default: <data root>/sr/bench/Set14/x4/HR)")
    co.set_defaults(run=run_colorization)

    for kind in (sr, it, co):
        add_data_root_argument(kind)
    return parser
