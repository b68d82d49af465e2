"""The `keras-vsr` command line.

    keras-vsr upscale INPUT OUTPUT [--preset NAME] [--scale S] [--backend B]
    keras-vsr interpolate INPUT OUTPUT [--preset NAME] [--factor 2|4|8]
    keras-vsr colorize INPUT OUTPUT [--preset NAME]
    keras-vsr presets
    keras-vsr evaluate [--preset NAME] [--data DIR ...]
    keras-vsr app [--port 7860] [--preset NAME ...]

Exit status: 0 on success, 1 when processing failed, 2 for bad input or
arguments. Errors are one line on stderr, never a traceback.
"""

import argparse
import os
import sys
import time
from pathlib import Path

BACKENDS = ("tensorflow", "torch", "jax")
BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "sr" / "bench"


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status `code`."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def _set_backend(backend):
    if backend:
        if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != backend:
            raise CLIError("--backend must be chosen before Keras is imported")
        os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _load_task(preset):
    from keras_vsr.inference import load_super_resolver

    try:
        return load_super_resolver(preset)
    except (ValueError, FileNotFoundError) as e:
        raise CLIError(f"cannot load preset '{preset}': {e}") from e


VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")


def _kind(path):
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return "gif"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return "image"


def _jobs(src, dst):
    """`[(input, output)]` for a file or a folder of inputs."""
    from keras_vsr.data.io import IMAGE_EXTENSIONS

    if src.is_dir():
        if dst.exists() and not dst.is_dir():
            raise CLIError(f"INPUT {src} is a folder, so OUTPUT {dst} must be a folder too")
        if dst.resolve() == src.resolve():
            raise CLIError(f"refusing to write into the input folder {src}; choose another OUTPUT")
        extensions = IMAGE_EXTENSIONS + (".gif",) + VIDEO_EXTENSIONS
        files = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() in extensions)
        if not files:
            raise CLIError(f"no images, GIFs or videos in {src}")
        # Videos are written as MP4 whatever their container.
        return [(f, dst / (f.stem + ".mp4" if _kind(f) == "video" else f.name)) for f in files]
    if dst.is_dir():
        raise CLIError(f"OUTPUT {dst} is a folder; give a file name such as {dst / (src.stem + '_x4' + src.suffix)}")
    return [(src, dst)]


def _check_output(src, dst, overwrite):
    from PIL import Image

    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise CLIError(f"refusing to overwrite the input {src}; choose another OUTPUT")
    kind = _kind(dst)
    if kind != _kind(src):
        raise CLIError(f"OUTPUT {dst} must be a {_kind(src)} file like INPUT {src}")
    if kind == "image" and dst.suffix.lower() not in Image.registered_extensions():
        raise CLIError(f"OUTPUT {dst}: unknown image extension '{dst.suffix}' (use .png, .jpg, ...)")
    if dst.exists() and not overwrite:
        raise CLIError(f"OUTPUT {dst} exists; pass --overwrite to replace it")


def _upscale_one(task, src, dst, args, progress):
    """Upscale one image, GIF or video; returns a description of the result."""
    import numpy as np

    from keras_vsr.io import ImageReadError, load_image, save_image_atomic
    from keras_vsr.utils.imresize import imresize

    def upscale_frame(image, progress=None):
        if args.size is not None:
            return task.upscale(
                image, tile=args.tile, tile_overlap=args.tile_overlap, progress=progress, size=args.size
            )
        result = task.upscale(image, tile=args.tile, tile_overlap=args.tile_overlap, progress=progress)
        if args.scale is not None and args.scale != task.scale:
            h, w = image.shape[:2]
            size = (max(1, round(h * args.scale)), max(1, round(w * args.scale)))
            result = imresize(result, output_shape=size)
        return result

    kind = _kind(src)
    try:
        if kind == "gif":
            if args.size is not None:
                raise CLIError("--size is for images and videos; give a GIF a --scale")
            from keras_vsr.io.gif import upscale_gif

            upscale_gif(src, dst, upscale_frame, args.scale or task.scale, progress=progress)
            return "GIF"
        if kind == "video":
            from keras_vsr.io.video import upscale_video

            upscale_video(src, dst, upscale_frame, progress=progress)
            return "video"
        image = load_image(src, max_pixels=args.max_pixels)
    except ImageReadError as e:
        raise CLIError(str(e)) from e
    h, w = image.shape[:2]
    result = upscale_frame(image, progress)
    save_image_atomic(np.asarray(result), dst)
    return f"{w}x{h} -> {result.shape[1]}x{result.shape[0]}"


def _parse_size(value):
    """'WIDTHxHEIGHT' -> (height, width)."""
    try:
        width, height = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size takes WIDTHxHEIGHT, e.g. 1920x1080. Received: {value}")
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"--size must be positive. Received: {value}")
    return height, width


def _parse_tile(value):
    if value in ("auto", "none"):
        return None if value == "none" else "auto"
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--tile takes auto, none or a number of pixels. Received: {value}")


def _run(args, verb, task, process_one, kinds=("image", "gif", "video")):
    """Process INPUT (a file or a folder) into OUTPUT with `process_one(src,
    dst, progress) -> description`, one line per file and a summary."""
    from tqdm import tqdm

    src, dst = Path(args.input), Path(args.output)
    if not src.exists():
        raise CLIError(f"{src}: no such file or folder")
    jobs = _jobs(src, dst)
    wrong = [job_src for job_src, _ in jobs if _kind(job_src) not in kinds]
    if wrong and not src.is_dir():
        raise CLIError(f"{src}: {verb} takes {' or '.join(kinds)} files, not {_kind(src)}s")
    jobs = [job for job in jobs if _kind(job[0]) in kinds]
    if not jobs:
        raise CLIError(f"no {' or '.join(kinds)} files in {src}")
    for job_src, job_dst in jobs:
        _check_output(job_src, job_dst, args.overwrite)

    start = time.time()
    task = task()
    quiet = args.quiet or not sys.stderr.isatty()

    def progress(items):
        return tqdm(items, unit="item", leave=False, disable=quiet)

    failed = 0
    for job_src, job_dst in jobs:
        if src.is_dir():
            job_dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            what = process_one(task, job_src, job_dst, progress)
            print(f"{job_src} -> {job_dst} ({what})")
        except CLIError as e:
            if len(jobs) == 1:
                raise
            failed += 1
            print(f"keras-vsr: error: {e}", file=sys.stderr)
    done = len(jobs) - failed
    import keras

    print(
        f"{verb}d {done} of {len(jobs)} with {args.preset} on {keras.backend.backend()} "
        f"in {time.time() - start:.1f}s" + (f"; {failed} failed" if failed else "")
    )
    if failed:
        raise CLIError(f"{failed} input(s) failed", code=1)


def _load(preset, purpose):
    from keras_vsr.inference.tasks import load_task

    try:
        return load_task(preset, purpose)
    except (ValueError, FileNotFoundError) as e:
        raise CLIError(f"cannot load preset '{preset}': {e}") from e


def cmd_upscale(args):
    if args.scale is not None and args.scale <= 0:
        raise CLIError(f"--scale must be positive. Received: {args.scale}")
    if args.scale is not None and args.size is not None:
        raise CLIError("give --scale or --size, not both")
    _run(args, "upscale", lambda: _load_task(args.preset),
         lambda task, src, dst, progress: _upscale_one(task, src, dst, args, progress))


def _interpolate_one(task, src, dst, args, progress):
    from keras_vsr.inference.tasks import middle_fn
    from keras_vsr.io import ImageReadError
    from keras_vsr.io.framerate import raise_gif_frame_rate, raise_video_frame_rate

    try:
        if _kind(src) == "gif":
            _, added = raise_gif_frame_rate(
                src, dst, middle_fn(task), args.factor, args.scene_threshold, progress=progress
            )
            return f"GIF, {added} frames added"
        _, cuts = raise_video_frame_rate(src, dst, middle_fn(task), args.factor, args.scene_threshold, progress=progress)
        return f"video, {args.factor}x the frame rate, {cuts} scene cut(s) held"
    except ImageReadError as e:
        raise CLIError(str(e)) from e


def cmd_interpolate(args):
    _run(args, "interpolate", lambda: _load(args.preset, "interpolate"),
         lambda task, src, dst, progress: _interpolate_one(task, src, dst, args, progress),
         kinds=("gif", "video"))


def _colorize_one(task, src, dst, args, progress):
    import numpy as np

    from keras_vsr.inference.tasks import colorize_fn
    from keras_vsr.io import ImageReadError, load_image, save_image_atomic
    from keras_vsr.io.gif import upscale_gif
    from keras_vsr.io.video import upscale_video

    colorize = colorize_fn(task)
    try:
        if _kind(src) == "gif":
            upscale_gif(src, dst, colorize, 1, progress=progress)
            return "GIF"
        if _kind(src) == "video":
            upscale_video(src, dst, colorize, progress=progress)
            return "video"
        image = load_image(src, max_pixels=args.max_pixels)
    except ImageReadError as e:
        raise CLIError(str(e)) from e
    save_image_atomic(np.asarray(colorize(image)), dst)
    note = ", colour input read as grey" if image.ndim == 3 and image.shape[-1] >= 3 else ""
    return f"{image.shape[1]}x{image.shape[0]}{note}"


def cmd_colorize(args):
    _run(args, "colorize", lambda: _load(args.preset, "colorize"),
         lambda task, src, dst, progress: _colorize_one(task, src, dst, args, progress))


def cmd_presets(args):
    from keras_vsr.presets import list_presets

    presets = list_presets()
    if not presets:
        print("no built-in presets installed")
        return
    print(f"{'name':<32}{'class':<20}{'scale':>6}{'params':>10}  Set5 PSNR  description")
    for p in presets:
        set5 = (p.get("metrics") or {}).get("Set5", {}).get("psnr")
        set5 = f"{set5:.2f}" if set5 is not None else "-"
        params = f"{p['params']:,}" if p.get("params") else "-"
        print(f"{p['name']:<32}{p['class']:<20}{p.get('scale') or '-':>6}{params:>10}  {set5:>9}  {p['description']}")


def cmd_evaluate(args):
    from keras_vsr.evaluation import evaluate_sr, format_report

    task = _load_task(args.preset)
    scale = task.scale
    folders = [Path(d) for d in args.data] if args.data else [
        BENCH / name / f"x{scale}" for name in ("Set5", "Set14")
    ]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise CLIError(f"no such data folder: {', '.join(missing)}")
    for folder in folders:
        try:
            result = evaluate_sr(task.upscale, folder, scale, lr_dir=args.lr, lpips=args.lpips)
        except (ValueError, FileNotFoundError) as e:
            raise CLIError(str(e)) from e
        title = f"{args.preset} on {folder} (Y channel, crop {scale})"
        print(format_report(title, result))
        print()


def cmd_app(args):
    from keras_vsr import app

    try:
        app.launch(
            args.host,
            args.port,
            presets=args.preset or None,
            max_pixels=args.max_pixels or app.DEFAULT_MAX_PIXELS,
            max_frames=args.max_frames,
            max_file_size=args.max_file_size,
        )
    except ValueError as e:
        raise CLIError(str(e)) from e


def build_parser():
    from keras_vsr.inference import DEFAULT_PRESET

    parser = argparse.ArgumentParser(prog="keras-vsr", description="Super-resolution for images and video.")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND or tensorflow)")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("upscale", help="upscale an image, GIF or video file, or a folder of them")
    up.add_argument("input", help="a file, or a folder of images/GIFs/videos")
    up.add_argument("output", help="the result file, or a folder when INPUT is one")
    up.add_argument("--preset", default=DEFAULT_PRESET)
    up.add_argument("--scale", type=float, help="output scale; differs from the model's by a bicubic resize")
    up.add_argument("--size", type=_parse_size, help="output size WIDTHxHEIGHT, e.g. 1920x1080 (images, videos)")
    up.add_argument("--max-pixels", type=int, default=None, help="refuse larger inputs (default 40,000,000)")
    up.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    up.add_argument("--tile", type=_parse_tile, default="auto", help="tile size in LR pixels, 'auto' (default) or 'none'")
    up.add_argument("--tile-overlap", type=int, default=24, help="LR pixels of context around each tile (default 24)")
    up.add_argument("--quiet", action="store_true", help="no progress bar")
    up.set_defaults(func=cmd_upscale)

    from keras_vsr.inference.tasks import DEFAULT_COLORIZER_PRESET, DEFAULT_INTERPOLATOR_PRESET

    it = sub.add_parser("interpolate", help="raise the frame rate of a GIF or video (or a folder of them)")
    it.add_argument("input", help="a GIF or video file, or a folder of them")
    it.add_argument("output", help="the result file (.gif for a GIF, .mp4 for a video), or a folder")
    it.add_argument("--preset", default=DEFAULT_INTERPOLATOR_PRESET)
    it.add_argument("--factor", type=int, choices=(2, 4, 8), default=2, help="frames per source frame (default 2)")
    it.add_argument("--scene-threshold", type=float, default=0.1,
                    help="mean grey change (0-1) that counts as a scene cut, never interpolated across (default 0.1)")
    it.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    it.add_argument("--quiet", action="store_true", help="no progress bar")
    it.set_defaults(func=cmd_interpolate)

    co = sub.add_parser("colorize", help="colourise grey images, GIFs or videos (colour input is read as grey)")
    co.add_argument("input", help="an image, GIF or video file, or a folder of them")
    co.add_argument("output", help="the result file, or a folder when INPUT is one")
    co.add_argument("--preset", default=DEFAULT_COLORIZER_PRESET)
    co.add_argument("--max-pixels", type=int, default=None, help="refuse larger images (default 40,000,000)")
    co.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    co.add_argument("--quiet", action="store_true", help="no progress bar")
    co.set_defaults(func=cmd_colorize)

    pr = sub.add_parser("presets", help="list the built-in presets")
    pr.set_defaults(func=cmd_presets)

    ev = sub.add_parser("evaluate", help="Y-PSNR/SSIM (and LPIPS) of a preset on HR/LR pairs, beside bicubic")
    ev.add_argument("--preset", default=DEFAULT_PRESET)
    ev.add_argument("--data", nargs="+", help="folders holding HR/ and LR/ (default: Set5 and Set14 in ../shared/data)")
    ev.add_argument("--lr", default=None, help="LR folder when --data is a folder of HR images only")
    ev.add_argument("--lpips", action="store_true", help="also LPIPS (VGG) on RGB; needs the converted VGG16 weights")
    ev.set_defaults(func=cmd_evaluate)
    ap = sub.add_parser("app", help="start the Gradio web app (http://127.0.0.1:7860)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--preset", action="append", default=[], help="preset to offer (repeatable; default: all built-in)")
    ap.add_argument("--max-pixels", type=int, default=None, help="per image or frame (default 1,000,000)")
    ap.add_argument("--max-frames", type=int, default=300, help="per GIF or video")
    ap.add_argument("--max-file-size", default="20mb", help='largest upload, e.g. "20mb"')
    ap.set_defaults(func=cmd_app)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _set_backend(args.backend or os.environ.get("KERAS_BACKEND"))
        if args.command in ("upscale", "colorize") and args.max_pixels is None:
            from keras_vsr.io import MAX_PIXELS

            args.max_pixels = MAX_PIXELS
        args.func(args)
    except CLIError as e:
        print(f"keras-vsr: error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("keras-vsr: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001  (one line for the user, not a traceback)
        print(f"keras-vsr: failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
