"""FFC VAE frame interpolator, trained on frame triplets.

    keras-vsr train ffc --data ../shared/data/video/train ../shared/data/video/clips/tree.avi \\
        ../shared/data/video/clips/vtest.avi --bench ../shared/data/video/bench/middlebury_others \\
        --levels 3 --steps 6000 --max-minutes 50 --run-dir runs/ffc --preset-dir keras_vsr/presets/bundled/NAME

Triplets (`keras_vsr.data.TripletDataset`) come from the frame folders and
videos under `--data` (default `<data root>/video/train`). Each epoch logs
the Middlebury-other PSNR / SSIM (`--bench`, default
`<data root>/video/bench/middlebury_others`; `--validate end` skips it); the
card states them per scene beside frame averaging.
"""

from pathlib import Path

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.evaluation.report import format_report
from keras_vsr.training import runs
from keras_vsr.evaluation.report import markdown_table
from keras_vsr.training.model_card import figures
from keras_vsr.training.recipes.common import (
    add_motion_arguments,
    backbone_from_args,
    interpolator_card,
    measure_interpolation,
    relative,
)

FAMILIES = {"ffc": "FFC VAE frame interpolator (Fast Fourier Convolutions), on frame triplets"}


def add_arguments(parser, family):
    parser.add_argument(
        "--data", nargs="+", default=None, help="frame folders and videos (default: <data root>/video/train)"
    )
    parser.add_argument(
        "--bench", default=None,
        help="Middlebury-style folder for validation (default: <data root>/video/bench/middlebury_others)",
    )
    parser.add_argument("--channels", type=int, default=3, choices=(1, 3))
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--levels", dest="num_levels", type=int, default=2)
    parser.add_argument("--latent", dest="latent_channels", type=int, default=8)
    parser.add_argument("--global-ratio", type=float, default=0.5)
    add_motion_arguments(parser)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--alpha", type=float, default=0.84, help="MS-SSIM weight of the MS-SSIM + L1 loss")
    parser.add_argument("--kl-weight", type=float, default=1e-3)
    parser.add_argument("--validate", choices=["epoch", "end"], default="epoch")
    runs.add_run_arguments(parser, steps=4000, steps_per_epoch=250, lr=1e-3, batch=8)


def run(args):
    from keras_vsr.data import TripletDataset
    from keras_vsr.evaluation.interpolation import evaluate_interpolation
    from keras_vsr.losses import MSSSIML1Loss
    from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone
    from keras_vsr.training.callbacks import SetValidation

    data = data_paths(args, "data", "video/train")
    bench = data_path(args, "bench", "video/bench/middlebury_others", required=False)
    grey = args.channels == 1
    run = runs.Run(args)
    backbone = backbone_from_args(FFCInterpolatorBackbone, args)
    task = FFCInterpolator(backbone, compile=False)
    optimizer, optimizer_text = runs.cosine_adam(args)
    task.compile(optimizer=optimizer, loss=MSSSIML1Loss(alpha=args.alpha), kl_weight=args.kl_weight, metrics=[])
    dataset = TripletDataset(
        [str(p) for p in data],
        crop_size=args.crop,
        max_spacing=args.max_spacing,
        channels=args.channels,
        **runs.dataset_options(args),
    )
    print(f"{len(dataset.sequences)} sequences, {len(dataset.triplets)} triplets", flush=True)
    validation = []
    if bench is not None and args.validate == "epoch":
        figures_logged = {"middlebury_psnr": "psnr", "middlebury_ssim": "ssim"}
        validation.append(
            SetValidation(lambda: evaluate_interpolation(task.predict_middle, bench, grey=grey), figures_logged)
        )
    run.fit(task, dataset, callbacks=validation)
    run.save(backbone)

    channel = "luma" if grey else "RGB"
    metrics, evaluation = {}, ""
    if bench is not None:
        label = f"Middlebury-other ({channel})"
        metrics["middlebury_others"], result = measure_interpolation(task.predict_middle, bench, grey, label)
        m = result["mean"]
        summary = markdown_table(
            ("set", "this model PSNR / SSIM", "frame averaging PSNR / SSIM"),
            [(label, figures(m, "psnr", "ssim"), figures(m, "average_psnr", "average_ssim"))],
        )
        evaluation = (
            f"Given frame10 and frame11, predict frame10i11; PSNR and SSIM (11x11 Gaussian window) on 8-bit "
            f"{channel}, mean over the {len(result['rows'])} scenes of {Path(bench).name}; frame averaging is "
            "`round((frame10 + frame11) / 2)`. Measured with "
            f"`keras-vsr evaluate interpolation --preset {run.name}{' --grey' if grey else ''}`.\n\n{summary}\n\n"
            + format_report("", result, item="scene", markdown=True)
        )
    config = backbone.get_config()
    motion = ", motion-compensated: both frames warped to the middle along pyramidal Lucas-Kanade flow first"
    run.write_card(
        backbone,
        {
            "data": relative(data),
            "sequences": len(dataset.sequences),
            "triplets": len(dataset.triplets),
            "crop": args.crop,
            "max_spacing": args.max_spacing,
            "augmentation": "random crops, horizontal/vertical flips, time reversal, frame spacing 1..max_spacing",
            "loss": f"{args.alpha} * (1 - MS-SSIM) + {1 - args.alpha:.2f} * L1 + {args.kl_weight} * KL",
        },
        optimizer_text,
        description=(
            f"FFC VAE frame interpolator ({'grey' if grey else 'RGB'}, {config['num_levels']} levels, "
            f"{config['filters']} filters{motion if config.get('motion_compensation') else ''}), trained on "
            f"{', '.join(Path(d).name for d in data)}."
        ),
        evaluation=evaluation,
        **interpolator_card(run.name),
        metrics=metrics,
        metadata={"task": "frame interpolation (middle frame)"},
    )
