"""The `keras-vsr` command line.

    keras-vsr upscale INPUT OUTPUT [--preset NAME] [--scale S | --size WxH]
    keras-vsr interpolate INPUT OUTPUT [--preset NAME] [--factor 2|4|8]
    keras-vsr colorize INPUT OUTPUT [--preset NAME]
    keras-vsr presets [--json]
    keras-vsr train FAMILY [--data-root DIR] --run-dir DIR [options]
    keras-vsr evaluate sr|interpolation|colorization [--preset NAME] [--data DIR]
    keras-vsr app [--port 7860] [--preset NAME ...]

The global options `--backend B` and `-q`/`--quiet` go before or after
the command. Exit status: 0 on success, 1 when processing failed, 2 for bad
input or arguments. Errors are one line on stderr, never a traceback;
TensorFlow's native start-up log is not shown, Python warnings are.
"""

import argparse
import contextlib
import os
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

BACKENDS = ("tensorflow", "torch", "jax")


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status `code`."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


# What TensorFlow's C++ libraries write to stderr while they load: absl's
# notice that it logs everything until `absl::InitializeLog()` is called,
# whatever TF_CPP_MIN_LOG_LEVEL says, and log lines such as
# "I0000 00:00:1795886714.164312    7466 port.cc:153] oneDNN custom ...".
_NATIVE_LOG_LINE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
)


@contextlib.contextmanager
def _native_log_hidden():
    """Send what is written to the stderr file descriptor meanwhile through
    a filter that drops `_NATIVE_LOG_LINE` lines and passes on the rest
    (Python warnings, for instance) when the block ends."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to filter
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not _NATIVE_LOG_LINE.match(line)))
            sys.stderr.flush()


def _set_backend(backend):
    """Choose the Keras backend, then load Keras (and TensorFlow, which
    keras-hub imports on every backend) without their native start-up log."""
    if backend:
        if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != backend:
            raise CLIError("--backend must be chosen before Keras is imported")
        os.environ["KERAS_BACKEND"] = backend
    # Level 3 also hides the errors TensorFlow logs on machines without a
    # GPU ("failed call to cuInit"); real failures still raise exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_log_hidden():
        import keras_hub  # noqa: F401


def _kind(path):
    from keras_vsr.io.video import VIDEO_EXTENSIONS

    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return "gif"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return "image"


def _jobs(src, dst):
    """`[(input, output)]` for a file or a folder of inputs."""
    from keras_vsr.io.images import IMAGE_EXTENSIONS
    from keras_vsr.io.video import VIDEO_EXTENSIONS

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


def _map_file(src, dst, frame_fn, max_pixels, progress):
    """Write `frame_fn` of the image `src`, or of every frame of the GIF or
    video `src` (`keras_vsr.io.map_gif`, `map_video`), into `dst`.

    `frame_fn(image, progress=None)` maps a uint8 image to a uint8 image;
    `progress` wraps the frames of a GIF or video, and is passed to
    `frame_fn` for a single image (e.g. for its tiles).

    Returns:
        `(description, image)`: a description of the result, and the input
        image (None for a GIF or video).
    """
    from keras_vsr.io import load_image, map_gif, map_video, save_image_atomic

    try:
        if _kind(src) == "gif":
            info = map_gif(src, dst, frame_fn, progress=progress)
            return f"GIF, {info.frame_count} frames", None
        if _kind(src) == "video":
            map_video(src, dst, frame_fn, progress=progress)
            return "video", None
        image = load_image(src, max_pixels=max_pixels)
        result = frame_fn(image, progress=progress)
    except ValueError as e:  # an ImageReadError, or an input the model refuses
        message = str(e)
        raise CLIError(message if str(src) in message else f"{src}: {message}") from e
    save_image_atomic(result, dst)
    h, w = image.shape[:2]
    return f"{w}x{h} -> {result.shape[1]}x{result.shape[0]}", image


def _upscale_one(task, src, dst, args, progress):
    """Upscale one image, GIF or video with `SuperResolver.upscale`; returns
    a description of the result."""

    def upscale(image, progress=None):
        return task.upscale(
            image, size=args.size, scale=args.scale, tile=args.tile, tile_overlap=args.tile_overlap, progress=progress
        )

    return _map_file(src, dst, upscale, args.max_pixels, progress)[0]


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
    _run(args, "upscale", lambda: _load(args.preset, "upscale"),
         lambda task, src, dst, progress: _upscale_one(task, src, dst, args, progress))


def _interpolate_one(task, src, dst, args, progress):
    from keras_vsr.io import ImageReadError
    from keras_vsr.io.framerate import raise_gif_frame_rate, raise_video_frame_rate

    options = {"factor": args.factor, "scene_threshold": args.scene_threshold, "progress": progress}
    try:
        if _kind(src) == "gif":
            _, added = raise_gif_frame_rate(src, dst, task, **options)
            return f"GIF, {added} frame{'' if added == 1 else 's'} added"
        _, cuts = raise_video_frame_rate(src, dst, task, **options)
        return f"video, {args.factor}x the frame rate, {cuts} scene cut(s) held"
    except ImageReadError as e:
        raise CLIError(str(e)) from e


def cmd_interpolate(args):
    _run(args, "interpolate", lambda: _load(args.preset, "interpolate"),
         lambda task, src, dst, progress: _interpolate_one(task, src, dst, args, progress),
         kinds=("gif", "video"))


def _colorize_one(task, src, dst, args, progress):
    from keras_vsr.inference.tasks import colorize_fn

    colorize_frame = colorize_fn(task)

    def colorize(image, progress=None):
        return colorize_frame(image)

    what, image = _map_file(src, dst, colorize, args.max_pixels, progress)
    if image is not None and image.ndim == 3 and image.shape[-1] >= 3:
        what += ", colour input read as grey"
    return what


def cmd_colorize(args):
    _run(args, "colorize", lambda: _load(args.preset, "colorize"),
         lambda task, src, dst, progress: _colorize_one(task, src, dst, args, progress))


def _table(rows, align):
    """`rows` of strings as lines of columns two spaces apart, each column
    as wide as its widest cell and aligned by `align` ("<" left, ">" right,
    one per column); the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([f"{cell:{a}{width}}" for cell, a, width in zip(row, align, widths)] + [row[-1]]).rstrip()
        for row in rows
    ]


def cmd_presets(args):
    import json

    from keras_vsr.models import list_presets

    presets = list_presets()
    if args.json:
        print(json.dumps(presets, indent=2))
        return
    if not presets:
        print("no built-in presets installed")
        return
    rows = [("name", "class", "scale", "params", "Set5 PSNR", "description")]
    for p in presets:
        set5 = (p.get("metrics") or {}).get("Set5", {}).get("psnr")
        rows.append((
            p["name"],
            p["class"],
            str(p.get("scale") or "-"),
            f"{p['params']:,}" if p.get("params") else "-",
            f"{set5:.2f}" if set5 is not None else "-",
            p.get("description") or "",
        ))
    print("\n".join(_table(rows, "<<>>><")))


def cmd_library(args):
    """`train` and `evaluate`: the library command the arguments chose
    (`args.run`); its ValueErrors (a missing data folder, a bad option, a
    preset of another kind) are one-line errors with exit status 2."""
    try:
        args.run(args)
    except ValueError as e:
        raise CLIError(str(e)) from e


def cmd_app(args):
    from keras_vsr import app

    def given(value, default):
        return default if value is None else value

    try:
        app.launch(
            args.host,
            args.port,
            presets=args.preset or None,
            max_pixels=given(args.max_pixels, app.DEFAULT_MAX_PIXELS),
            max_frames=given(args.max_frames, app.DEFAULT_MAX_FRAMES),
            max_file_size=given(args.max_file_size, app.DEFAULT_MAX_FILE_SIZE),
        )
    except ValueError as e:
        raise CLIError(str(e)) from e


class _Parser(argparse.ArgumentParser):
    """An argument parser with the global options, `--backend` and
    `-q`/`--quiet`. The parsers of its commands, and of theirs, are
    `_Parser`s too (`add_subparsers` makes parsers of its parser's class),
    so the global options go before or after any command's name. After the
    name they default to `argparse.SUPPRESS`, so that a value given before
    it is kept."""

    def __init__(self, *args, top_level=False, **kwargs):
        super().__init__(*args, **kwargs)
        backend, quiet = (None, False) if top_level else (argparse.SUPPRESS, argparse.SUPPRESS)
        self.add_argument(
            "--backend", choices=BACKENDS, default=backend, help="Keras backend (default: KERAS_BACKEND or tensorflow)"
        )
        self.add_argument("-q", "--quiet", action="store_true", default=quiet, help="no progress bars")


def build_parser():
    from keras_vsr.inference import DEFAULT_PRESET

    parser = _Parser(prog="keras-vsr", description="Super-resolution for images and video.", top_level=True)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("upscale", help="upscale an image, GIF or video file, or a folder of them")
    up.add_argument("input", help="a file, or a folder of images/GIFs/videos")
    up.add_argument("output", help="the result file, or a folder when INPUT is one")
    up.add_argument("--preset", default=DEFAULT_PRESET)
    up.add_argument("--scale", type=float, help="output size as a factor of the input (default: the model's scale)")
    up.add_argument("--size", type=_parse_size, help="output size WIDTHxHEIGHT, e.g. 1920x1080")
    up.add_argument("--max-pixels", type=int, default=None, help="refuse larger inputs (default 40,000,000)")
    up.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    up.add_argument("--tile", type=_parse_tile, default="auto", help="tile size in LR pixels, 'auto' (default) or 'none'")
    up.add_argument("--tile-overlap", type=int, default=24, help="LR pixels of context around each tile (default 24)")
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
    it.set_defaults(func=cmd_interpolate)

    co = sub.add_parser("colorize", help="colourise grey images, GIFs or videos (colour input is read as grey)")
    co.add_argument("input", help="an image, GIF or video file, or a folder of them")
    co.add_argument("output", help="the result file, or a folder when INPUT is one")
    co.add_argument("--preset", default=DEFAULT_COLORIZER_PRESET)
    co.add_argument("--max-pixels", type=int, default=None, help="refuse larger images (default 40,000,000)")
    co.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    co.set_defaults(func=cmd_colorize)

    pr = sub.add_parser("presets", help="list the built-in presets")
    pr.add_argument("--json", action="store_true", help="print a JSON list of the presets' metadata, for scripts")
    pr.set_defaults(func=cmd_presets)

    from keras_vsr.evaluation.cli import add_evaluate_parser
    from keras_vsr.training.cli import add_train_parser

    for add_command in (add_train_parser, add_evaluate_parser):
        command_parser = add_command(sub)  # its parsers are `_Parser`s: they take the global options
        command_parser.set_defaults(func=cmd_library)

    ap = sub.add_parser("app", help="start the Gradio web app (http://127.0.0.1:7860)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--preset", action="append", default=[], help="preset to offer (repeatable; default: all built-in)")
    ap.add_argument("--max-pixels", type=int, default=None, help="per image or frame (default 1,000,000)")
    ap.add_argument("--max-frames", type=int, default=None, help="per GIF or video (default 300)")
    ap.add_argument("--max-file-size", default=None, help='largest upload, e.g. "50mb" (default 20mb)')
    ap.set_defaults(func=cmd_app)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line on stderr, like the errors."""
    print(f"keras-vsr: warning: {message}", file=sys.stderr if file is None else file)


def main(argv=None):
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        # JAX warns on every fork; the CLI forks only to exec ffmpeg or gifsicle.
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        return _main(argv)


def _main(argv):
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
