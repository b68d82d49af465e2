"""SRResNet and Compact families: PSNR-oriented training on a folder of images.

    keras-vsr train srresnet --data-root ../shared/data --scale 4 --filters 48 --blocks 8 \\
        --no-batch-norm --image-residual --steps 18000 \\
        --run-dir runs/srresnet_x4 --preset-dir keras_vsr/presets/bundled/NAME
    keras-vsr train compact --data-root ../shared/data --num-conv 7 --filters 32 --activation relu \\
        --run-dir runs/compact_x4

`--init PRESET` starts from a preset's weights (same family and scale);
`--degrade realworld` damages the LR with `keras_vsr.data.degradations.
real_world_mix()` (JPEG, GIF palettes, noise, some clean) instead of clean
bicubic, and the card and metadata keep its config. The damage is applied
to the LR of a larger square (`--degrade-context`, 64 LR pixels) and each
patch is cut from it, so a GIF palette is chosen over a picture-sized area
as in a real file, not over the patch alone.

Training pairs: random HR crops with flips and 90-degree rotations of the
images under `--data` (default `<data root>/sr/train`), LR made on the fly
with MATLAB bicubic (`keras_vsr.data.PairedPatchDataset`). Each epoch logs
Set5 Y-PSNR (`<bench>/Set5/x<scale>`) to `<run-dir>/log.csv`; the card
states Set5 and Set14 beside bicubic and published figures.
"""

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.training import runs
from keras_vsr.training.model_card import describe_data
from keras_vsr.training.recipes.common import (
    LICENCES_SR,
    add_degrade_argument,
    add_loss_argument,
    benchmark_validation,
    degradation_dataset_options,
    describe_degradation,
    measure_benchmark,
    relative,
    sr_table,
)

FAMILIES = {
    "srresnet": "SRResNet / EDSR-style residual network at a fixed scale, on images",
    "compact": "Compact VGG-style network (Real-ESRGAN SRVGGNetCompact) at a fixed scale, on images",
}

# Published Y-PSNR of other models at the same scale, for the card.
REFERENCES = {
    "Set5 x4": "FSRCNN 30.72, ESPCN 30.90, VDSR 31.35, EDSR-baseline 32.09, SRResNet 32.05",
    "Set14 x4": "FSRCNN 27.61, ESPCN 27.73, VDSR 28.01, EDSR-baseline 28.58, SRResNet 28.49",
}


def add_arguments(parser, family):
    parser.add_argument("--data", nargs="+", default=None, help="image folders (default: <data root>/sr/train)")
    parser.add_argument(
        "--bench", default=None, help="folder of <set>/x<scale>/HR, LR (default: <data root>/sr/bench)"
    )
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--filters", type=int, default=64)
    if family == "compact":
        parser.add_argument("--num-conv", type=int, default=16, help="body convolutions (default 16)")
        parser.add_argument("--activation", choices=("prelu", "relu", "leaky_relu"), default="prelu")
    else:
        parser.add_argument("--blocks", type=int, default=16)
        parser.add_argument("--no-batch-norm", action="store_true")
        parser.add_argument("--image-residual", action="store_true")
        parser.add_argument("--kernel", type=int, default=3, help="head and tail kernel size")
    parser.add_argument("--init", default=None, help="preset whose weights training starts from (same architecture)")
    add_degrade_argument(parser)
    parser.add_argument("--patch", type=int, default=24, help="LR patch size")
    add_loss_argument(parser)
    runs.add_run_arguments(parser, steps=18000, steps_per_epoch=1000, lr=5e-4, batch=16, threads=0)


def build_backbone(args):
    """The backbone the options describe, with the weights of `--init`."""
    from keras_vsr.models import CompactSRBackbone, SRBackbone, SRResNetBackbone

    if args.family == "compact":
        backbone = CompactSRBackbone(
            scale=args.scale, num_conv=args.num_conv, filters=args.filters, activation=args.activation
        )
    else:
        backbone = SRResNetBackbone(
            scale=args.scale,
            num_blocks=args.blocks,
            filters=args.filters,
            use_batch_norm=not args.no_batch_norm,
            head_kernel_size=args.kernel,
            tail_kernel_size=args.kernel,
            image_residual=args.image_residual,
        )
    if args.init:
        start = SRBackbone.from_preset(args.init)
        expected = {key: getattr(backbone, key) for key in backbone.config_keys}
        found = {key: getattr(start, key, None) for key in backbone.config_keys}
        if type(start) is not type(backbone) or found != expected:
            raise ValueError(
                f"--init {args.init} is a {type(start).__name__} {found}, "
                f"not the {type(backbone).__name__} {expected} the options describe"
            )
        backbone.set_weights(start.get_weights())
    return backbone


def describe_backbone(args):
    if args.family == "compact":
        return f"CompactSRBackbone x{args.scale}, {args.num_conv} convolutions, {args.filters} filters, {args.activation}"
    return f"SRResNetBackbone x{args.scale}, {args.blocks} blocks, {args.filters} filters"


def run(args):
    from keras_vsr.data import PairedPatchDataset
    from keras_vsr.losses import get_pixel_loss
    from keras_vsr.models import SuperResolver

    data = data_paths(args, "data", "sr/train")
    bench = data_path(args, "bench", "sr/bench", required=False)
    run = runs.Run(args)
    backbone = build_backbone(args)
    task = SuperResolver(backbone)
    optimizer, optimizer_text = runs.cosine_adam(args)
    task.compile(optimizer=optimizer, loss=get_pixel_loss(args.loss))
    damage = degradation_dataset_options(args)
    dataset = PairedPatchDataset(data, scale=args.scale, patch_size=args.patch, **damage, **runs.dataset_options(args))
    run.fit(task, dataset, callbacks=benchmark_validation(task.upscale, bench, "Set5", args.scale, "val_set5_psnr"))
    run.save(backbone)

    metrics = measure_benchmark(lambda lr, scale: task.upscale(lr), bench, ("Set5", "Set14"), (args.scale,))
    table = sr_table(
        metrics,
        last=("published PSNR (for scale)", lambda key, m: REFERENCES.get(f"{key} x{args.scale}", "")),
        label=lambda key, m: f"{key} x{args.scale}",
    )
    run.write_card(
        backbone,
        {
            "data": relative(data),
            "lr_patch": args.patch,
            "hr_patch": args.patch * args.scale,
            "loss": args.loss,
            "initial weights": args.init or "random",
            "degradation": describe_degradation(args, damage["degradation_context"]),
        },
        optimizer_text,
        description=(
            f"{describe_backbone(args)}, PSNR-oriented ({args.loss.upper()}), trained on {describe_data(data)}"
            + (" with real-world LR damage (JPEG, GIF palettes, noise)." if args.degrade == "realworld" else ".")
        ),
        tags=("super-resolution", "image-to-image"),
        usage=(
            "import keras_vsr\n"
            f'sr = keras_vsr.SuperResolver.from_preset("{run.name}")\n'
            f"big = sr.upscale(image)  # uint8 (h, w, 3) -> uint8 (h*{args.scale}, w*{args.scale}, 3)"
        ),
        evaluation=(
            f"Y channel of ITU-R BT.601 YCbCr (MATLAB `rgb2ycbcr`), {args.scale}-pixel border cropped, 8-bit "
            "output, on the standard bicubic LR images (measured by "
            f"`keras-vsr evaluate sr --preset {run.name}`).\n\n{table}"
        ),
        training_notes=(
            "Training pairs: random HR crops, random flips and 90-degree rotations, LR made on the fly with "
            "MATLAB-compatible antialiased bicubic downscaling and 8-bit quantisation "
            "(`keras_vsr.data.PairedPatchDataset`)."
        ),
        licences=LICENCES_SR,
        metrics=metrics,
        metadata={
            "scale": args.scale,
            "degradation": dataset.degradation_config,
            "degradation_context": damage["degradation_context"],
        },
    )
