"""IFNet (RIFE's flow network) trained on frame triplets; by default the
variant that refines Lucas-Kanade flow (`flow_init="lucas_kanade"`).

    keras-vsr train ifnet --run-dir runs/ifnet_lk --steps 8000 --max-minutes 80 \\
        --preset-dir keras_vsr/presets/bundled/NAME

Real triplets (`keras_vsr.data.TripletDataset`, with the target's time as
an input) come from the frame folders and videos under `--data` (default
`<data root>/video/train` and the clips of `<data root>/video/clips`); only
the first `--max-video-frames` frames of each video are read, so the frames
after them stay aside for evaluation (`tools/interpolation_bench.py`).
`--synthetic-fraction` of the samples (default half) are synthetic scenes
made from the still images of `--images` (default `<data root>/sr/train`):
a moving background and moving objects in front of it, with exact frames
in between (`keras_vsr.data.SyntheticTripletDataset`), for the larger
motions and the occlusions that the real clips at hand rarely show. Each
epoch logs the Middlebury-other PSNR / SSIM (`--bench`); the card states the
figures of the trained network beside its untrained state (with zero-started
last convs: the mean of the two frames warped along the Lucas-Kanade flow)
and frame averaging.
"""

import json
from pathlib import Path

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.evaluation.report import format_report, markdown_table
from keras_vsr.training import runs
from keras_vsr.training.model_card import figures
from keras_vsr.training.recipes.common import backbone_from_args, interpolator_card, measure_interpolation, relative

FAMILIES = {"ifnet": "IFNet (RIFE v4 layout) refining Lucas-Kanade flow, time-conditioned, on frame triplets"}
CLIPS = ("tree.avi", "vtest.avi", "Megamind.avi")


def add_arguments(parser, family):
    parser.add_argument(
        "--data", nargs="+", default=None,
        help="frame folders and videos (default: <data root>/video/train and three clips of <data root>/video/clips)",
    )
    parser.add_argument(
        "--bench", default=None,
        help="Middlebury-style folder for validation (default: <data root>/video/bench/middlebury_others)",
    )
    parser.add_argument("--block-filters", type=int, nargs="+", default=[64, 48, 32], help="block widths, coarsest first")
    parser.add_argument("--layout", default="v4.6", choices=("v4.6", "v4.25"))
    parser.add_argument(
        "--flow-init", default="lucas_kanade", choices=("lucas_kanade", "none"),
        help="start the flow at Lucas-Kanade flow (default) or at zero as RIFE does",
    )
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--max-spacing", type=int, default=3, help="largest frame spacing of training triplets")
    parser.add_argument(
        "--time", default="any", choices=("any", "middle"),
        help="targets anywhere between the two frames (default) or only the middle frame",
    )
    parser.add_argument(
        "--max-video-frames", type=int, default=200, help="frames read from each video; later ones stay aside"
    )
    parser.add_argument(
        "--images", nargs="+", default=None,
        help="still images for synthetic triplets (default: <data root>/sr/train)",
    )
    parser.add_argument(
        "--synthetic-fraction", type=float, default=0.5,
        help="share of synthetic triplets with known motion and occlusions (keras_vsr.data.SyntheticTripletDataset)",
    )
    parser.add_argument("--validate", choices=["epoch", "end"], default="epoch")
    runs.add_run_arguments(parser, steps=8000, steps_per_epoch=500, lr=3e-4, batch=8)


def run(args):
    import keras

    from keras_vsr.data import TripletDataset
    from keras_vsr.data.synthetic_motion import SyntheticTripletDataset
    from keras_vsr.evaluation.interpolation import evaluate_interpolation
    from keras_vsr.models import IFNetBackbone, IFNetInterpolator
    from keras_vsr.training.callbacks import SetValidation

    if args.flow_init == "none":
        args.flow_init = None
    data = data_paths(args, "data", "video/train", *(f"video/clips/{name}" for name in CLIPS))
    bench = data_path(args, "bench", "video/bench/middlebury_others", required=False)
    run = runs.Run(args)
    backbone = backbone_from_args(IFNetBackbone, args)
    task = IFNetInterpolator(backbone, compile=False)
    untrained_file = run.dir / "untrained.json"
    if bench is not None and not untrained_file.exists():
        untrained = measure_interpolation(task.predict_middle, bench, False, "untrained network")[0]
        untrained_file.write_text(json.dumps(untrained))
    optimizer, optimizer_text = runs.cosine_adam(args)
    task.compile(optimizer=optimizer, loss=keras.losses.MeanAbsoluteError(), metrics=[])
    dataset = TripletDataset(
        [str(p) for p in data],
        crop_size=args.crop,
        max_spacing=args.max_spacing,
        max_video_frames=args.max_video_frames,
        time=args.time,
        **runs.dataset_options(args),
    )
    real = dataset
    print(f"{len(real.sequences)} sequences, {len(real.triplets)} triplets", flush=True)
    images = None
    if args.synthetic_fraction > 0:
        images = data_paths(args, "images", "sr/train")
        dataset = SyntheticTripletDataset(
            [str(p) for p in images],
            crop_size=args.crop,
            time=args.time,
            real=real,
            real_fraction=1.0 - args.synthetic_fraction,
            **{**runs.dataset_options(args), "seed": args.seed + 1},
        )
        print(f"synthetic triplets from {len(dataset.images)} images, {args.synthetic_fraction:.0%} of samples")
    callbacks = []
    if bench is not None and args.validate == "epoch":
        logged = {"middlebury_psnr": "psnr", "middlebury_ssim": "ssim"}
        callbacks.append(SetValidation(lambda: evaluate_interpolation(task.predict_middle, bench), logged))
    run.fit(task, dataset, callbacks=callbacks)
    run.save(backbone)

    metrics, evaluation = {}, ""
    if bench is not None:
        label = "Middlebury-other (RGB)"
        metrics["middlebury_others"], result = measure_interpolation(task.predict_middle, bench, False, label)
        untrained = json.loads(untrained_file.read_text()) if untrained_file.exists() else None
        m = result["mean"]
        rows = [(label, figures(m, "psnr", "ssim"), figures(m, "average_psnr", "average_ssim"))]
        if untrained:
            metrics["untrained_middlebury_others"] = {k: untrained[k] for k in ("psnr", "ssim")}
            rows[0] += (figures(untrained, "psnr", "ssim"),)
        summary = markdown_table(
            ("set", "this model PSNR / SSIM", "frame averaging PSNR / SSIM")
            + (("untrained (Lucas-Kanade warp, mean) PSNR / SSIM",) if untrained else ()),
            rows,
        )
        evaluation = (
            "Given frame10 and frame11, predict frame10i11; PSNR and SSIM (11x11 Gaussian window) on 8-bit RGB, "
            f"mean over the {len(result['rows'])} scenes of {Path(bench).name}; frame averaging is "
            f"`round((frame10 + frame11) / 2)`. Measured with `keras-vsr evaluate interpolation --preset {run.name}`."
            f"\n\n{summary}\n\n" + format_report("", result, item="scene", markdown=True)
        )
    config = backbone.get_config()
    seeded = config.get("flow_init") == "lucas_kanade"
    run.write_card(
        backbone,
        {
            "data": relative(data),
            "sequences": len(real.sequences),
            "triplets": len(real.triplets),
            "synthetic triplets": (
                f"{args.synthetic_fraction:.0%} of samples: scenes with known motion and occlusions made from "
                f"{len(dataset.images)} still images of {', '.join(relative(images))} "
                "(`keras_vsr.data.SyntheticTripletDataset`)" if images else "none"
            ),
            "video frames read": f"the first {args.max_video_frames} of each video (later frames kept aside)",
            "crop": args.crop,
            "max_spacing": args.max_spacing,
            "targets": "any frame between the two inputs, with its time" if args.time == "any" else "middle frames",
            "augmentation": "random crops, horizontal/vertical flips, time reversal",
            "loss": "L1",
        },
        optimizer_text,
        description=(
            f"IFNet ({config['layout']} layout, blocks {config['block_filters']}"
            + (", refining pyramidal Lucas-Kanade flow" if seeded else "")
            + f"), time-conditioned, trained on {', '.join(Path(d).name for d in data)}."
        ),
        evaluation=evaluation,
        **interpolator_card(run.name),
        metrics=metrics,
        metadata={"task": "frame interpolation (any time between two frames)"},
    )
