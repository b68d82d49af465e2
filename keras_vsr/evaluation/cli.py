"""`keras-vsr evaluate KIND`: a preset's figures beside its baseline.

    keras-vsr evaluate sr [--preset NAME] [--scale S] [--data DIR ...] [--lr DIR] [--lpips] [--degrade SPEC ...]
        [--compare PRESET ...] [--self-ensemble]
    keras-vsr evaluate interpolation [--preset NAME] [--data DIR] [--grey] [--json FILE]
    keras-vsr evaluate colorization [--preset NAME] [--data DIR]
    keras-vsr evaluate fusion [--preset NAME] [--key-every K ...] [--factors 1 2] [--data DIR]

Data folders default to the standard sets below the data root (`--data-root`
or `KERAS_VSR_DATA`; see `keras_vsr.evaluation.data_root`). A missing folder,
an empty set or a preset of another kind raise one ValueError, which the
command line prints as one line (exit status 2).
"""

import json
from pathlib import Path

from keras_vsr.evaluation.data_root import add_data_root_argument, data_path, existing_folder

SR_SETS = ("Set5", "Set14")
ENSEMBLE_LABEL = "(x8 self-ensemble)"


def _load(args, purpose, default=None, option="preset"):
    """`(name, task)` of `--preset` (or the `option` named, or `default`) made
    to `purpose`; a ValueError naming the preset when it does not load as one."""
    from keras_vsr.inference.tasks import load_task

    preset = getattr(args, option) or default
    try:
        return preset, load_task(preset, purpose)
    except (ValueError, FileNotFoundError) as e:
        raise ValueError(f"cannot load preset '{preset}': {e}") from e


def _sr_upscaler(preset, scale=None, self_ensemble=False):
    """`(upscale function, scale)` of an SR preset at `scale` (default its
    own), averaged over flips and rotations with `self_ensemble`."""
    from keras_vsr.inference.tasks import load_task

    try:
        task = load_task(preset, "upscale")
    except (ValueError, FileNotFoundError) as e:
        raise ValueError(f"cannot load preset '{preset}': {e}") from e
    scale = scale or task.scale
    if scale == 1:
        raise ValueError(f"preset '{preset}' makes any output size; pass --scale (e.g. --scale 4)")
    options = {"self_ensemble": True} if self_ensemble else {}
    if scale != task.scale:
        options["scale"] = scale
    return (lambda lr: task.upscale(lr, **options)), scale


def compare_sr(presets, folders, scale, damages, lr_dir=None, lpips=False, self_ensemble=False):
    """Markdown table of mean figures: per set and LR damage, bicubic and
    then each preset (rows), all measured on the same LR images; with
    `self_ensemble`, each preset's row is followed by its x8 self-ensemble's."""
    from keras_vsr.evaluation.report import markdown_table
    from keras_vsr.evaluation.sr import evaluate_sr

    figures = ("psnr", "ssim", "lpips") if lpips else ("psnr", "ssim")
    rows = []
    methods = [(p, e) for p in presets for e in ((False, True) if self_ensemble else (False,))]
    for folder in folders:
        for damage in damages:
            spec = damage.spec if damage else "clean"
            for i, (preset, ensembled) in enumerate(methods):
                upscale, _ = _sr_upscaler(preset, scale, ensembled)
                mean = evaluate_sr(upscale, folder, scale, lr_dir=lr_dir, lpips=lpips, degrade=damage)["mean"]
                if i == 0:
                    rows.append((Path(folder).parent.name, spec, "bicubic",
                                 *(f"{mean['bicubic_' + f]:.4f}" for f in figures)))
                name = f"{preset} {ENSEMBLE_LABEL}" if ensembled else preset
                rows.append((Path(folder).parent.name, spec, name, *(f"{mean[f]:.4f}" for f in figures)))
    return markdown_table(("set", "LR", "method", *(f.upper() for f in figures)), rows)


def run_sr(args):
    """Y-PSNR / SSIM (and LPIPS) of an SR preset on each `--data` folder, beside
    bicubic; with `--degrade`, one table per spec on LR images so damaged.
    With `--compare P ...`, one table of means: bicubic, the clean default
    preset (with `--degrade`), `--preset` and each P, on every set and LR."""
    from keras_vsr.data.degradations import parse_degradation
    from keras_vsr.evaluation.report import format_report
    from keras_vsr.evaluation.sr import evaluate_sr
    from keras_vsr.inference import DEFAULT_PRESET

    damages = [parse_degradation(spec) for spec in args.degrade] if args.degrade else [None]
    folders = [existing_folder(d, "data") for d in args.data or ()]
    bench = None if folders else data_path(args, "data", "sr/bench")
    preset = args.preset or DEFAULT_PRESET
    upscale, scale = _sr_upscaler(preset, args.scale, args.self_ensemble and not args.compare)
    folders = folders or [existing_folder(bench / name / f"x{scale}", "data") for name in SR_SETS]
    if args.compare:
        presets = [preset, *args.compare]
        if args.degrade and DEFAULT_PRESET not in presets:
            presets.insert(0, DEFAULT_PRESET)
        print(compare_sr(list(dict.fromkeys(presets)), folders, scale, [None, *damages] if args.degrade else damages,
                         lr_dir=args.lr, lpips=args.lpips, self_ensemble=args.self_ensemble))
        return
    for folder in folders:
        for damage in damages:
            result = evaluate_sr(upscale, folder, scale, lr_dir=args.lr, lpips=args.lpips, degrade=damage)
            inputs = f", LR damaged by {damage.spec}" if damage else ""
            inputs += f", {ENSEMBLE_LABEL}" if args.self_ensemble else ""
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


def run_fusion(args):
    """RGB PSNR / SSIM of frames coloured from key frames every K frames, every baseline beside the others."""
    from keras_vsr.evaluation.fusion import evaluate_fusion, evaluation_sequences, format_fusion_report
    from keras_vsr.inference.colour_propagation import ChromaPropagator
    from keras_vsr.inference.tasks import DEFAULT_COLORIZER_PRESET, DEFAULT_INTERPOLATOR_PRESET

    for k in args.key_every:
        if k < 2:
            raise ValueError(f"--key-every: spacings must be >= 2. Received {k}")
    folder = existing_folder(data_path(args, "data", "video/clips"), "data")
    sequences = evaluation_sequences(folder, args.start, args.frames, args.max_side, args.exclude)
    colorizer = _load(args, "colorize", DEFAULT_COLORIZER_PRESET, option="colorizer")[1]
    interpolator = _load(args, "interpolate", DEFAULT_INTERPOLATOR_PRESET, option="interpolator")[1]
    fusion = _load(args, "fuse")[1] if args.preset else None
    results = evaluate_fusion(
        sequences, colorizer, interpolator, fusion, key_every=args.key_every, factors=args.factors,
        propagator=ChromaPropagator(mode=args.flow), progress=lambda line: print(line, flush=True),
    )
    names = ", ".join(f"{name} {len(frames)}x{frames.shape[1]}x{frames.shape[2]}" for name, frames in sequences)
    print(
        f"\nColour from key frames every K grey frames, frames {args.start} to {args.start + args.frames - 1} of "
        f"{names} in {folder}; RGB PSNR / SSIM of the frames that are not key frames, mean over the clips "
        f"(fusion: {args.preset or 'none'}, flow: {args.flow})"
    )
    print(format_fusion_report(results, markdown=args.markdown))
    if args.json:
        Path(args.json).write_text(json.dumps({f"factor {f} K {k}": r for (f, k), r in results.items()}, indent=2))


def add_evaluate_parser(subparsers):
    """Add `evaluate` with one sub-command per kind to an argparse `subparsers`.

    Each kind's parser sets `run` (a callable taking the parsed arguments).
    Returns the `evaluate` parser.
    """
    parser = subparsers.add_parser(
        "evaluate",
        help="figures of a preset beside its baseline (sr, interpolation, colorization, fusion)",
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
    sr.add_argument(
        "--compare", nargs="+", default=None, metavar="PRESET",
        help="one table of means for bicubic, --preset and these presets (with --degrade also the clean default "
        "preset, on clean LR and on every SPEC)",
    )
    sr.add_argument(
        "--self-ensemble", action="store_true",
        help="average each preset's outputs over the eight flips and rotations of the LR image (8x the time); "
        "with --compare, each preset gets a second row so measured",
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

    fu = kinds.add_parser(
        "fusion", help="RGB PSNR/SSIM of frames coloured from key frames every K, beside every trivial answer"
    )
    fu.add_argument("--preset", default=None, help="ChromaFusion preset for the learned column (default: none)")
    fu.add_argument("--colorizer", default=None, help="colouriser preset (default: the default colouriser)")
    fu.add_argument("--interpolator", default=None, help="interpolator preset for factor 2 (default: the default one)")
    fu.add_argument("--data", default=None, help="folder of video clips (default: <data root>/video/clips)")
    fu.add_argument("--key-every", type=int, nargs="+", default=[4, 8, 16], help="key frame spacings K")
    fu.add_argument("--factors", type=int, nargs="+", choices=(1, 2), default=[1, 2], help="frame-rate factors")
    fu.add_argument("--start", type=int, default=150, help="first frame of each clip measured (default 150)")
    fu.add_argument("--frames", type=int, default=33, help="frames of each clip measured (default 33)")
    fu.add_argument(
        "--exclude", nargs="+", default=(),
        help="clips left out, by file name without extension (e.g. Megamind_bugy, the damaged copy in "
        "../shared/data/video/clips)",
    )
    fu.add_argument("--max-side", type=int, default=256, help="frames shrunk to this longer side (default 256)")
    fu.add_argument("--flow", choices=("chained", "direct"), default="chained", help="flow over several frames")
    fu.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    fu.add_argument("--json", default=None, help="also write the result to this JSON file")
    fu.set_defaults(run=run_fusion)

    for kind in (sr, it, co, fu):
        add_data_root_argument(kind)
    return parser
