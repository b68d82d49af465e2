"""The learned chroma fusion (`ChromaFusion`): colour for grey frames from
the chroma of RGB key frames propagated along optical flow, and a
colouriser's chroma where propagation cannot reach.

    keras-vsr train chroma-fusion --data-root ../shared/data --steps 800 --exclude Megamind_bugy \\
        --run-dir /work/fusion_runs/chroma_fusion --preset-dir keras_vsr/presets/bundled/NAME

Training examples are made once and kept in `<run-dir>/examples.npz`: on
the frame sequences of `<data root>/video/train` (every frame folder: its
first 80%, the part the interpolator presets trained on) and the first
`--clip-frames` frames of the clips in `<data root>/video/clips` (split at
scene cuts), every sequence shrunk to a longer side of at most 400 pixels
(`keras_vsr.evaluation.fusion.shrink`), key frames are placed every K
frames (K drawn from `--key-every`, both key frames of a run given, and
the last run of a sequence from one side), the key frames' chroma is
propagated (`ChromaPropagator`, chained flow) and the colouriser preset's
chroma computed; `--crops-per-frame` crops of `--example-crop` pixels of
each frame between key frames are kept with the true chroma. The
validation set is every tenth frame's crops. The card measures the preset
with `keras-vsr evaluate fusion` (the clips' frames 150 to 182, never
trained on) beside every baseline.
"""

from keras_vsr.evaluation.data_root import data_path
from keras_vsr.training import runs

FAMILIES = {"chroma-fusion": "learned chroma fusion of propagated key-frame colour and a colouriser's, on frame sequences"}
DECAY_ALPHA = 0.05


def add_arguments(parser, family):
    parser.add_argument(
        "--data", default=None, help="folder with train/ (frame folders) and clips/ (default: <data root>/video)"
    )
    parser.add_argument("--colorizer", default="grey2rgb_f16d3_291photos", help="colouriser preset for the input")
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--key-every", type=int, nargs="+", default=[4, 8, 16], help="key frame spacings drawn")
    parser.add_argument("--clip-frames", type=int, default=64, help="first frames of each clip used")
    parser.add_argument("--example-crop", type=int, default=96, help="side of the stored crops")
    parser.add_argument("--crops-per-frame", type=int, default=2)
    parser.add_argument("--crop", type=int, default=64, help="training crop side")
    parser.add_argument(
        "--uniform-share", type=float, default=0.2,
        help="floor of the crop sampling weight, as a share of the mean blend error",
    )
    parser.add_argument(
        "--exclude", nargs="+", default=(),
        help="clips left out of training and of the card's evaluation, by file name without extension "
        "(e.g. Megamind_bugy, the damaged copy in ../shared/data/video/clips)",
    )
    parser.add_argument("--val-batch", type=int, default=16)
    parser.add_argument("--val-steps", type=int, default=8)
    runs.add_run_arguments(parser, steps=800, steps_per_epoch=50, lr=3e-4, batch=16)


def training_sequences(args):
    """`[(name, uint8 RGB (n, h, w, 3))]` for training (see the module)."""
    from pathlib import Path

    import numpy as np

    from keras_vsr.data.sources import find_sequence_sources, load_frame_folder, load_video
    from keras_vsr.evaluation.fusion import shrink

    sequences = []
    root = data_path(args, "data", "video")
    folders, _ = find_sequence_sources(str(root / "train"))
    for folder in folders:
        frames = load_frame_folder(folder, grey=False)
        sequences.append((Path(folder).name, shrink(frames[: max(2, int(len(frames) * 0.8))])))
    _, videos = find_sequence_sources(str(root / "clips"))
    for video in videos:
        if Path(video).stem in args.exclude:
            continue
        for i, scene in enumerate(load_video(video, grey=False, max_frames=args.clip_frames)):
            sequences.append((f"{Path(video).stem}_{i}", shrink(np.asarray(scene))))
    return [(n, s) for n, s in sequences if len(s) >= 3]


def make_examples(args, path):
    """Propagate, colourise and crop the training sequences; save to `path`."""
    import numpy as np

    from keras_vsr.inference.colour_propagation import ChromaPropagator, propagate_keys
    from keras_vsr.inference.tasks import load_task
    from keras_vsr.models.chroma_fusion import fusion_features
    from keras_vsr.utils.colour import chroma, luma_uint8
    from keras_vsr.utils.images import to_float

    rng = np.random.default_rng(args.seed)
    colorizer = load_task(args.colorizer, "colorize")
    propagator = ChromaPropagator()
    size = args.example_crop
    features, targets, frame_ids = [], [], []
    frame_no = 0
    for name, rgb in training_sequences(args):
        if min(rgb.shape[1:3]) < size:
            continue
        grey = to_float(luma_uint8(rgb))
        colour = chroma(colorizer.predict_rgb(grey, keep_luma=True))
        steps = propagator.step_flows(grey)
        truth = chroma(to_float(rgb))
        k = int(min(rng.choice(args.key_every), len(rgb) - 1))
        keys = {t: to_float(rgb[t]) for t in range(0, len(rgb), k)}
        for start, stop, runs_ in propagate_keys(propagator, grey, keys, steps):
            x = fusion_features(
                grey[start:stop], runs_.blend(), runs_.chroma, runs_.confidence, runs_.weight, colour[start:stop]
            )
            for j in range(stop - start):
                frame_no += 1
                for _ in range(args.crops_per_frame):
                    y0 = int(rng.integers(0, rgb.shape[1] - size + 1))
                    x0 = int(rng.integers(0, rgb.shape[2] - size + 1))
                    features.append(x[j, y0 : y0 + size, x0 : x0 + size].astype("float16"))
                    targets.append(truth[start + j, y0 : y0 + size, x0 : x0 + size].astype("float16"))
                    frame_ids.append(frame_no)
        print(f"examples: {name} {rgb.shape} K={k}: {len(features)} crops", flush=True)
    np.savez(path, features=np.stack(features), targets=np.stack(targets), frame_ids=np.array(frame_ids))


def run(args):
    import numpy as np

    from keras_vsr.data.fusion import FusionCropDataset
    from keras_vsr.losses import MSELoss
    from keras_vsr.models.chroma_fusion import ChromaFusion, ChromaFusionBackbone

    run_ = runs.Run(args)
    path = run_.dir / "examples.npz"
    if not path.exists():
        make_examples(args, path)
    data = np.load(path)
    features, targets, ids = data["features"], data["targets"], data["frame_ids"]
    val = ids % 10 == 0
    # Crops drawn in proportion to the mean squared error of the propagated
    # blend (plus a floor): the network learns where propagation fails.
    blend_error = np.mean((features[..., 1:4].astype("float32") - targets.astype("float32")) ** 2, axis=(1, 2, 3))
    weights = blend_error + args.uniform_share * blend_error.mean()
    train_data = FusionCropDataset(
        features[~val], targets[~val], args.crop, args.batch, args.steps_per_epoch, seed=args.seed,
        weights=weights[~val],
    )
    val_data = FusionCropDataset(
        features[val], targets[val], args.crop, args.val_batch, args.val_steps, augment=False, fixed=True,
        seed=args.seed + 1,
    )
    task = ChromaFusion(ChromaFusionBackbone(filters=args.filters, depth=args.depth))
    print(f"ChromaFusionBackbone: {task.backbone.count_params():,} parameters; "
          f"{int((~val).sum())} training / {int(val.sum())} validation crops", flush=True)
    optimizer, _ = runs.cosine_adam(args, alpha=DECAY_ALPHA)
    task.compile(optimizer=optimizer, loss=MSELoss())
    run_.fit(task, train_data, validation_data=val_data)
    run_.save(task.backbone)
    write_card(args, run_, task, f"{len(ids)} crops of {args.example_crop}x{args.example_crop} pixels ({int(val.sum())} "
               f"for validation) from {len(set(ids.tolist()))} frames")


def write_card(args, run_, task, data_description):
    """Measure with the fusion evaluation (every baseline beside) and write the model card."""
    from keras_vsr.evaluation.fusion import evaluate_fusion, evaluation_sequences, format_fusion_report
    from keras_vsr.inference.tasks import DEFAULT_INTERPOLATOR_PRESET, load_task

    clips = data_path(args, "data", "video") / "clips"
    sequences = evaluation_sequences(clips, exclude=args.exclude)
    results = evaluate_fusion(
        sequences, load_task(args.colorizer, "colorize"), load_task(DEFAULT_INTERPOLATOR_PRESET, "interpolate"), task,
        progress=lambda line: print(line, flush=True),
    )
    table = format_fusion_report(results, markdown=True)
    print(table, flush=True)
    k8 = results[(1, 8)]["mean"]
    metrics = {
        f"factor {f}, K {k}": {m: round(v, 4) for m, v in r["mean"].items()} for (f, k), r in sorted(results.items())
    }
    description = (
        "Chroma fusion: a small U-Net predicts a correction to the key frames' chroma propagated along "
        "Lucas-Kanade optical flow, from the grey frame, both sides' warped chroma, confidences and temporal "
        f"weights and the colouriser's chroma ({args.colorizer}). On kept-aside clip frames with key frames every "
        f"8 frames: RGB PSNR {k8['learned_psnr']:.2f} dB (propagation alone {k8['propagation_psnr']:.2f}, nearest "
        f"key frame's chroma {k8['nearest_psnr']:.2f}, colouriser alone {k8['colorizer_psnr']:.2f})."
    )
    names = ", ".join(name for name, _ in sequences)
    evaluation = (
        f"`keras-vsr evaluate fusion --preset {run_.name}`: frames 150 to 182 of the clips {names} (never trained "
        "on), shrunk to a longer side of 256 pixels; key frames (RGB) every K frames of the grey stream from frame "
        "0; factor 1 colours the other frames, factor 2 also makes a frame between each two grey frames "
        f"({DEFAULT_INTERPOLATOR_PRESET}). RGB PSNR / SSIM (8 bits, no crop) of the frames that are not key "
        "frames, mean over the clips; every column keeps the grey stream's luma. Columns: grey copied to RGB, the "
        "colouriser alone, the nearest key frame's chroma, the two nearest key frames' chroma blended linearly in "
        "time, the colouriser corrected by its error at the key frames, motion-compensated propagation, and this "
        "preset.\n\n" + table
    )
    run_.write_card(
        task.backbone,
        {"data": data_description, "crop": f"{args.crop}x{args.crop}", "loss": "MSE on chroma"},
        f"Adam, cosine decay from {args.lr} (alpha {DECAY_ALPHA}) over {args.steps} planned steps",
        description=description,
        tags=("colorization", "video"),
        usage=(
            "import keras_vsr\n"
            "fusion = keras_vsr.SpatioTemporalFusion.from_preset(\n"
            f'    "conv_lstm_interpolator_f16_vimeo_grey_mc", "{args.colorizer}", "{run_.name}")\n'
            "colour = fusion.fuse(grey_frames, key_frames={0: rgb_0, 8: rgb_8}, factor=1)"
        ),
        evaluation=evaluation,
        licences=(
            "Vimeo-90K septuplets and the sample sequence are for non-commercial research use; the clips are from "
            "Debian opencv-doc."
        ),
        metrics=metrics,
        metadata={"scale": 1},
    )
