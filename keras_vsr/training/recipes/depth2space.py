"""Depth2Space CNN: a fixed input size to a fixed target size, trained on video frames.

    keras-vsr train depth2space --data-root ../shared/data --stride 4 --block-size 6 \\
        --image-residual --batch 8 --lr 1e-3 --steps 4500 --deadline 03:58 \\
        --run-dir runs/depth2space --preset-dir keras_vsr/presets/bundled/NAME

The data has no 1080p frames (the clips are at most 768x576), so no network
is trained as 720p -> 1080p here: this recipe trains at the same frame ratio
1.5 on a smaller frame, by default 240x320 -> 360x480. HR targets are random
`--target-size` crops of video frames read directly from the clips (training
frame ranges only, `TRAIN_VIDEOS`) and of the images under `--data`; the
input is the HR crop downscaled with MATLAB bicubic to `--input-size` and
quantised to 8 bits.

`--stride 5 --block-size 8` (the default) is the original design; its
5-pixel cells and 8-pixel blocks (ratio 1.6) do not line up with a 1.5
frame ratio (see `keras_vsr/models/depth2space/depth2space_backbone.py`).
`--stride 4 --block-size 6` (ratio 1.5) lines them up; its kernels are 1x1
whatever the frame size, so the weights also build the 720p -> 1080p model.

Held-out frames (`HELD_OUT`: the last frames of Megamind.avi and vtest.avi,
10 frames after the end of the training ranges) give the card's Y-PSNR on
their centre crops beside bicubic, and a per-epoch validation figure.
"""

from keras_vsr.evaluation.data_root import data_path, data_paths
from keras_vsr.training import runs
from keras_vsr.training.recipes.common import (
    add_loss_argument,
    add_video_arguments,
    backbone_from_args,
    describe_videos,
    relative,
    rounded,
    sr_table,
    training_videos,
    video_frame_dataset,
)

FAMILIES = {"depth2space": "Depth2Space CNN, one input size to one target size, on video frames"}

TRAIN_VIDEOS = [("Megamind.avi", 0, 216), ("vtest.avi", 0, 700)]
HELD_OUT = [("Megamind.avi", 226, 270), ("vtest.avi", 710, 795)]
TRAIN_IMAGES = ("sr/train/photos", "video/train/sample_video")


def parse_size(text):
    """'HxW' -> (h, w)."""
    h, w = text.lower().split("x")
    return int(h), int(w)


def add_arguments(parser, family):
    parser.add_argument(
        "--data", nargs="*", default=None,
        help="image folders (default: <data root>/sr/train/photos and <data root>/video/train/sample_video)",
    )
    add_video_arguments(parser, fraction=0.7)
    parser.add_argument("--input-size", type=parse_size, default=(240, 320), help="HxW (default 240x320)")
    parser.add_argument("--target-size", type=parse_size, default=(360, 480), help="HxW (default 360x480)")
    parser.add_argument("--stride", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=8)
    parser.add_argument("--filters", type=int, nargs=2, default=[128, 150])
    parser.add_argument("--kernel", dest="kernel_size", type=int, default=4, help="preferred kernel of the first valid convolution")
    parser.add_argument("--image-residual", action="store_true")
    add_loss_argument(parser, choices=("l1", "mse"))
    runs.add_run_arguments(parser, steps=6000, steps_per_epoch=250, lr=5e-4, batch=4)


def held_out_ranges(clips):
    """`[(file, start, frames), ...]`: the uint8 frames of each `HELD_OUT`
    range found in the `clips` folder, from frame `start` of `file` on."""
    from keras_vsr.data import read_video_frames

    return [
        (file, start, read_video_frames(clips / file, start, stop - start, timeout=600.0)[0])
        for file, start, stop in HELD_OUT
        if (clips / file).exists()
    ]


def held_out_clips(clips):
    """`{"Megamind.avi [226, 270)": frames, ...}`: `held_out_ranges`
    labelled for the model card."""
    return {f"{file} [{start}, {start + len(frames)})": frames for file, start, frames in held_out_ranges(clips)}


def held_out_frames(clips, every=1):
    """The held-out frames (uint8 arrays) of `HELD_OUT` found in the `clips`
    folder, every `every`-th."""
    return [frame for frames in held_out_clips(clips).values() for frame in frames[::every]]


def geometry_text(backbone):
    """The model card's paragraphs on how this geometry relates to the 720p -> 1080p design."""
    (h, w), (th, tw) = backbone.input_size, backbone.target_size
    s, b = backbone.stride, backbone.block_size
    g = backbone.geometry
    text = (
        f"{h}x{w} -> conv {s}x{s} stride {s} -> {g['cells'][0]}x{g['cells'][1]} cells -> conv "
        f"{g['first_kernel'][0]}x{g['first_kernel'][1]} valid -> conv {g['second_kernel'][0]}x{g['second_kernel'][1]} "
        f"valid -> {g['blocks'][0]}x{g['blocks'][1]} blocks -> depth-to-space {b} -> {th}x{tw}.\n\n"
        "The data has no 1080p frames (the clips are at most 768x576), so no model can be trained here as "
        f"720p -> 1080p; this one is trained at {h}x{w} -> {th}x{tw}, the same frame ratio 1.5.\n\n"
    )
    if g["shrink"] == (0, 0):
        text += (
            f"Geometry: a {s}-pixel cell maps to a {b}-pixel block, ratio {b / s:g}, equal to the frame "
            "ratio, so the grid of cells is the grid of output blocks (no valid-convolution shrink, 1x1 "
            "kernels) and every block is aligned with the pixels it comes from. Because no kernel depends "
            f"on the frame size, these weights also build the 720x1280 -> 1080x1920 model "
            f"(`Depth2SpaceBackbone((720, 1280), (1080, 1920), stride={s}, block_size={b}, ...)`), which "
            "`tools/benchmark.py --yardstick` times.\n\n"
            "The original design (stride 5, block 8: a 5-pixel cell to an 8-pixel block, ratio 1.6) "
            "absorbs the difference to 1.5 with valid convolutions (4x4 and 7x14 at 720p), so the position "
            "of an output block inside its receptive field drifts by 1/3 input pixel per block across the "
            "frame, which shared convolution weights cannot follow."
        )
    else:
        text += (
            f"Geometry: a {s}-pixel cell maps to a {b}-pixel block (ratio {b / s:g}) while the frame ratio "
            f"is {th / h:g}; the valid convolutions absorb the difference, so the position of an output block "
            "inside its receptive field drifts across the frame, which shared convolution weights cannot "
            "follow."
        )
    if backbone.image_residual:
        text += (
            " With `image_residual=True` the network adds a correction to the MATLAB-bicubic resize of "
            "the input (its last convolution starts at zero, i.e. at bicubic)."
        )
    return text


def run(args):
    from keras_vsr.evaluation.sr import evaluate_frames
    from keras_vsr.losses import get_pixel_loss
    from keras_vsr.models import Depth2SpaceBackbone, SuperResolver
    from keras_vsr.training.callbacks import SetValidation

    images = data_paths(args, "data", *TRAIN_IMAGES)
    videos = training_videos(args, TRAIN_VIDEOS)
    held_out = {} if args.no_videos else held_out_clips(data_path(args, "clips", "video/clips"))
    run = runs.Run(args)
    backbone = backbone_from_args(Depth2SpaceBackbone, args)
    task = SuperResolver(backbone)
    optimizer, optimizer_text = runs.cosine_adam(args)
    task.compile(optimizer=optimizer, loss=get_pixel_loss(args.loss), metrics=[])
    dataset = video_frame_dataset(args, videos, images, hr_size=args.target_size, lr_size=args.input_size)

    def measure(frames):
        return evaluate_frames(task.upscale, frames, args.input_size, args.target_size)

    subset = [frame for frames in held_out.values() for frame in frames][::32]
    validation = [SetValidation(lambda: measure(subset), {"val_heldout_psnr": "psnr"})] if subset else []
    run.fit(task, dataset, callbacks=validation)
    run.save(backbone)

    metrics = {}
    for key, frames in held_out.items():
        result = measure(frames)
        metrics[key] = {**rounded(result["mean"]), "frames": len(result["rows"])}
        print(key, metrics[key], flush=True)
    (h, w), (th, tw) = args.input_size, args.target_size
    video_text = f"video frames read directly from {describe_videos(videos)} ({args.video_fraction:.0%} of crops)"
    facts = {
        "data": f"{video_text if videos else 'no video'}; images: {', '.join(relative(images))}",
        "pairs": f"random {th}x{tw} HR crops (flips); LR = MATLAB bicubic to {h}x{w}, 8-bit quantised",
        "loss": args.loss,
    }
    table = sr_table(metrics, label=lambda key, m: f"{key} ({m['frames']} frames)", first="frames")
    run.write_card(
        backbone,
        facts,
        optimizer_text,
        description=(
            f"Depth2Space CNN {h}x{w} -> {th}x{tw} (x{th / h:g}; stride {args.stride}, block {args.block_size}, "
            f"filters {args.filters[0]}/{args.filters[1]}"
            + (", bicubic image residual" if args.image_residual else "")
            + f"), {args.loss.upper()}, trained on video frames and photos."
        ),
        tags=("super-resolution", "video"),
        usage=(
            "import keras_vsr\n"
            f'sr = keras_vsr.SuperResolver.from_preset("{run.name}")\n'
            f"big = sr.upscale(frame)  # uint8 ({h}, {w}, 3) -> uint8 ({th}, {tw}, 3); other sizes raise a ValueError"
        ),
        architecture_notes=geometry_text(backbone),
        evaluation=(
            "Held-out frames, never used for training: "
            + "; ".join(f"{file} frames [{a}, {b})" for file, a, b in HELD_OUT)
            + " (training used frames before "
            + ", ".join(f"{file} {b}" for file, _, b in TRAIN_VIDEOS)
            + f"). HR is the centre {th}x{tw} crop, LR its MATLAB-bicubic downscale to {h}x{w} (uint8). "
            f"Y channel (BT.601), 2-pixel border cropped.\n\n{table}"
        ),
        licences=(
            "Clips from Debian's opencv-doc package; photographs from Debian wallpaper packages (CC-BY / "
            "CC-BY-SA / CC0 / GPL); the sample-video frames come from a public frame-interpolation repository."
        ),
        metrics=metrics,
        metadata={
            "scale": backbone.scale,
            "input_size": list(backbone.input_size),
            "target_size": list(backbone.target_size),
        },
    )
