"""U-Net SR: any output size (bicubic pre-upsampling and a learned residual),
trained on video frames and images.

    keras-vsr train unet-sr --data-root ../shared/data --filters 32 64 128 --steps 12000 \\
        --deadline 03:58 --run-dir runs/unet_sr --preset-dir keras_vsr/presets/bundled/NAME

Training pairs come from `keras_vsr.data.VideoFrameDataset`: random crops of
random frames read directly from the clips in `--clips` (only the training
frame ranges, `TRAIN_VIDEOS`) and of the images under `--data`, downscaled
with MATLAB bicubic by a factor drawn per batch from `--scales`, quantised
to 8 bits and resized back with bicubic (the network's input); the HR crop
is the target. Each epoch logs Set5 x2 Y-PSNR; the card states Set5 and
Set14 at x2 and x4 beside bicubic.
"""

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.training import runs
from keras_vsr.training.recipes.common import (
    LICENCES_SR,
    add_loss_argument,
    add_video_arguments,
    benchmark_validation,
    describe_videos,
    measure_benchmark,
    relative,
    sr_table,
    training_videos,
    video_frame_dataset,
)

FAMILIES = {"unet-sr": "U-Net SR, any output size, on video frames and images"}

# Frame ranges used for training; the rest of each clip (after a 10-frame
# gap) is kept aside as held-out frames (see the depth2space recipe).
TRAIN_VIDEOS = [("Megamind.avi", 0, 216), ("vtest.avi", 0, 700), ("tree.avi", 0, None)]
DEFAULT_SCALES = [2, 2, 2, 3, 4, 4, 1.25, 1.5, 2.5, 3.5]


def add_arguments(parser, family):
    parser.add_argument(
        "--data", "--images", nargs="*", default=None, help="image folders (default: <data root>/sr/train)"
    )
    add_video_arguments(parser, fraction=0.3)
    parser.add_argument(
        "--bench", default=None, help="folder of <set>/x<scale>/HR, LR (default: <data root>/sr/bench)"
    )
    parser.add_argument("--filters", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--convs", type=int, default=2, help="convolutions per level and direction")
    parser.add_argument("--scales", type=float, nargs="+", default=DEFAULT_SCALES)
    parser.add_argument("--patch", type=int, default=48, help="HR patch size (the network input is this size)")
    add_loss_argument(parser)
    runs.add_run_arguments(parser, steps=12000, steps_per_epoch=500, lr=1e-3, batch=16)


def run(args):
    from keras_vsr.losses import get_pixel_loss
    from keras_vsr.models import SuperResolver, UNetSRBackbone

    images = data_paths(args, "data", "sr/train")
    videos = training_videos(args, TRAIN_VIDEOS)
    bench = data_path(args, "bench", "sr/bench", required=False)
    run = runs.Run(args)
    backbone = UNetSRBackbone(filters=tuple(args.filters), convs_per_level=args.convs)
    task = SuperResolver(backbone)
    optimizer, optimizer_text = runs.cosine_adam(args)
    task.compile(optimizer=optimizer, loss=get_pixel_loss(args.loss), metrics=[])
    dataset = video_frame_dataset(args, videos, images, hr_size=args.patch, scales=args.scales, upsample_lr=True)

    def upscale(lr, scale):
        return task.upscale(lr, scale=scale, tile=None)

    validation = benchmark_validation(lambda lr: upscale(lr, 2), bench, "Set5", 2, "val_set5_x2_psnr")
    run.fit(task, dataset, callbacks=validation)
    run.save(backbone)

    metrics = measure_benchmark(upscale, bench, ("Set5", "Set14"), (2, 4), label="{set} x{scale}")
    if videos:
        video_text = f"video frames read directly from clips: {describe_videos(videos)}; "
        video_text += f"{args.video_fraction:.0%} of crops from video"
    else:
        video_text = "no video"
    pairs = (
        f"random {args.patch}x{args.patch} HR crops (flips, transposes); LR by MATLAB bicubic at a factor drawn per "
        f"batch from {args.scales}, 8-bit quantised, resized back with bicubic as the input"
    )
    run.write_card(
        backbone,
        {"data": f"images: {', '.join(relative(images))}; {video_text}", "pairs": pairs, "loss": args.loss},
        optimizer_text,
        description=(
            f"U-Net SR ({', '.join(map(str, args.filters))} filters, {args.convs} convs per level), any output "
            f"size: bicubic pre-upsampling + learned residual, {args.loss.upper()}, trained on video frames and "
            "images."
        ),
        tags=("super-resolution", "image-to-image", "any-scale"),
        usage=(
            "import keras_vsr\n"
            f'sr = keras_vsr.SuperResolver.from_preset("{run.name}")\n'
            "big = sr.upscale(frame, size=(1080, 1920))  # any output size\n"
            "big = sr.upscale(image, scale=1.5)          # or any factor"
        ),
        architecture_notes=(
            "The image is resized with MATLAB bicubic to the requested size, then the U-Net adds the detail it "
            "predicts at that size (pre-upsampling design)."
        ),
        evaluation=(
            "Y channel of ITU-R BT.601 YCbCr (MATLAB `rgb2ycbcr`), border of `scale` pixels cropped, 8-bit "
            "output, on the standard bicubic LR images (`SuperResolver.upscale(lr, scale=s)`; "
            f"`keras-vsr evaluate sr --preset {run.name} --scale s`).\n\n{sr_table(metrics)}"
        ),
        licences=LICENCES_SR + " The clips are from Debian's opencv-doc package.",
        metrics=metrics,
        metadata={"scale": "any"},
    )
