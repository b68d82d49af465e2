"""The `keras-vsr` command line.

    keras-vsr upscale INPUT OUTPUT [--preset NAME] [--scale S | --size WxH]
    keras-vsr interpolate INPUT OUTPUT [--preset NAME] [--factor N]   # 2|4|8, any N >= 2 for RIFE
    keras-vsr colorize INPUT OUTPUT [--preset NAME] [--key-frames DIR_OR_VIDEO --key-every K]
    keras-vsr presets [--json]
    keras-vsr convert SRC DST [--name NAME] [--overwrite]   # a PyTorch checkpoint -> a preset folder
    keras-vsr train FAMILY [--data-root DIR] --run-dir DIR [options]
    keras-vsr evaluate sr|interpolation|colorization [--preset NAME] [--data DIR]
    keras-vsr app [--port 7860] [--preset NAME ...]
    keras-vsr slurm-env torch|jax|tensorflow   # engine settings inside a SLURM job step
    keras-vsr export PRESET DST --format onnx|litert|openvino|saved_model [--input-size HxW]

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

from keras_vsr.utils.precision import PRECISIONS

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
            image, size=args.size, scale=args.scale, tile=args.tile, tile_overlap=args.tile_overlap, progress=progress,
            self_ensemble=args.self_ensemble,
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


@contextlib.contextmanager
def _write_errors(dst):
    """An `OSError` while making `dst` (a full disk, a file-size limit, a
    read-only folder) as a one-line `CLIError` naming `dst` and the cause;
    the atomic writers leave `dst` as it was."""
    try:
        yield
    except OSError as e:
        raise CLIError(f"{dst}: cannot write the result ({e.strerror or e})", code=1) from e


def _check_frame_size(src, max_pixels):
    """Refuse a GIF or video whose frames have more than `max_pixels` pixels,
    read from its header before any model work (images are checked by
    `load_image`)."""
    from keras_vsr.io import ImageReadError, read_gif_info
    from keras_vsr.io.video import probe_video

    try:
        if _kind(src) == "gif":
            read_gif_info(src, max_pixels)
        elif _kind(src) == "video" and max_pixels:
            width, height = probe_video(src).size
            if width * height > max_pixels:
                raise CLIError(
                    f"{src}: {width}x{height} = {width * height:,} pixels is above the limit of {max_pixels:,} pixels"
                )
    except ImageReadError as e:
        raise CLIError(str(e)) from e


def _run(args, verb, task, process_one, kinds=("image", "gif", "video")):
    """Process INPUT (a file or a folder) into OUTPUT with `process_one(src,
    dst, progress) -> description`, one line per file and a summary."""
    from tqdm import tqdm

    src, dst = Path(args.input), Path(args.output)
    shard = _parse_shard_option(args.shard, src)
    if not src.exists():
        raise CLIError(f"{src}: no such file or folder")
    jobs = _jobs(src, dst)
    wrong = [job_src for job_src, _ in jobs if _kind(job_src) not in kinds]
    if wrong and not src.is_dir():
        raise CLIError(f"{src}: {verb} takes {' or '.join(kinds)} files, not {_kind(src)}s")
    jobs = [job for job in jobs if _kind(job[0]) in kinds]
    if not jobs:
        raise CLIError(f"no {' or '.join(kinds)} files in {src}")
    if shard is not None:
        jobs = _shard_jobs(jobs, shard, args.overwrite)
        if not jobs:
            return
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
            _check_frame_size(job_src, getattr(args, "max_pixels", None))
            with _write_errors(job_dst):
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
        f"{verb}d {done} of {len(jobs)} with {getattr(task, 'presets_used', None) or args.preset} on "
        f"{keras.backend.backend()} "
        f"in {time.time() - start:.1f}s" + (f"; {failed} failed" if failed else "")
    )
    if failed:
        raise CLIError(f"{failed} input(s) failed", code=1)


def _parse_shard_option(text, src):
    """`--shard K/N` as `(K, N)`, or None without it."""
    if text is None:
        return None
    from keras_vsr.utils.shards import parse_shard

    try:
        shard = parse_shard(text)
    except ValueError as e:
        raise CLIError(str(e)) from e
    if src.exists() and not src.is_dir():
        raise CLIError(f"--shard splits a folder of inputs; {src} is a file")
    return shard


def _shard_jobs(jobs, shard, overwrite):
    """The jobs of shard `(K, N)` (by a hash of the input's name, see
    `keras_vsr.utils.shards`) whose output is not there yet (all of them
    with `overwrite`); says how many were done already. Outputs are written
    atomically, so one that exists is complete."""
    from keras_vsr.utils.shards import shard_of

    index, count = shard
    mine = [job for job in jobs if shard_of(job[0].name, count) == index]
    todo = [job for job in mine if overwrite or not job[1].exists()]
    print(f"shard {index}/{count}: {len(mine)} of {len(jobs)} inputs, {len(mine) - len(todo)} done before")
    return todo


def _load(preset, purpose, precision="float32"):
    from keras_vsr.inference.tasks import load_task

    try:
        return load_task(preset, purpose, precision)
    except (ValueError, FileNotFoundError) as e:
        raise CLIError(f"cannot load preset '{preset}': {e}") from e


def cmd_upscale(args):
    if args.scale is not None and args.scale <= 0:
        raise CLIError(f"--scale must be positive. Received: {args.scale}")
    if args.scale is not None and args.size is not None:
        raise CLIError("give --scale or --size, not both")
    _run(args, "upscale", lambda: _Upscalers(args),
         lambda upscalers, src, dst, progress: _upscale_one(upscalers.for_file(src), src, dst, args, progress))


class _Upscalers:
    """The super-resolvers of `keras-vsr upscale`, each loaded on first use:
    `--preset` for every file or, without it, `DEFAULT_GIF_PRESET` for GIFs
    and `DEFAULT_PRESET` for images and videos."""

    def __init__(self, args):
        self.args = args
        self.loaded = {}

    def for_file(self, src):
        from keras_vsr.inference import DEFAULT_GIF_PRESET, DEFAULT_PRESET

        preset = self.args.preset or (DEFAULT_GIF_PRESET if _kind(src) == "gif" else DEFAULT_PRESET)
        if preset not in self.loaded:
            self.loaded[preset] = _load_upscaler(preset, self.args)
        return self.loaded[preset]

    @property
    def presets_used(self):
        return ", ".join(self.loaded)


def _load_upscaler(preset, args):
    """The super-resolver of `preset`, blended with `--blend PRESET:ALPHA`."""
    if args.blend is None:
        return _load(preset, "upscale", args.precision)
    from keras_vsr.inference.blend import blend_presets, parse_blend

    try:
        other, alpha = parse_blend(args.blend)
        return blend_presets(preset, other, alpha)
    except (ValueError, FileNotFoundError) as e:
        raise CLIError(f"--blend: {e}") from e


def _interpolate_one(task, src, dst, args, progress):
    from keras_vsr.io import ImageReadError
    from keras_vsr.io.framerate import check_factor, raise_gif_frame_rate, raise_video_frame_rate

    try:
        check_factor(args.factor, task)
    except ValueError as e:
        raise CLIError(f"--factor: {e}") from e
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
    if args.factor < 2:
        raise CLIError(f"--factor must be an integer >= 2. Received: {args.factor}")
    _run(args, "interpolate", lambda: _load(args.preset, "interpolate", args.precision),
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


def _fusion_task(args):
    """The `SpatioTemporalFusion` of `colorize --key-frames` (frame rate kept)."""
    from keras_vsr.inference import SpatioTemporalFusion

    fusion = None if args.fusion_preset == "none" else _load(args.fusion_preset, "fuse")
    return SpatioTemporalFusion(None, _load(args.preset, "colorize"), fusion=fusion)


def _colorize_keyed(fusion, src, dst, args, progress):
    """Colour the video `src` from the key frames of `--key-frames` into `dst`."""
    from keras_vsr.inference.fusion import colorize_video_from_keys
    from keras_vsr.io import ImageReadError

    try:
        count = colorize_video_from_keys(fusion, src, dst, args.key_frames, args.key_every, progress)
    except (ValueError, ImageReadError) as e:
        raise CLIError(f"{src}: {e}") from e
    return f"video, {count} frames, key frames every {args.key_every} from {args.key_frames}"


def cmd_colorize(args):
    if args.key_frames is not None:
        if args.key_every < 1:
            raise CLIError(f"--key-every must be >= 1. Received: {args.key_every}")
        _run(args, "colorize", lambda: _fusion_task(args),
             lambda task, src, dst, progress: _colorize_keyed(task, src, dst, args, progress), kinds=("video",))
        return
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

    from keras_vsr.utils.catalogue import bundled_presets

    presets = bundled_presets()  # read from files: listing loads no ML framework
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


def cmd_convert(args):
    """A PyTorch checkpoint (file or hf://) -> a preset folder; a checkpoint
    that does not read or convert is a one-line error, exit status 2, and
    nothing is written."""
    from keras_vsr.models.conversion import convert

    try:
        folder = convert(args.src, args.dst, name=args.name, overwrite=args.overwrite)
    except ValueError as e:
        raise CLIError(str(e)) from e
    if not args.quiet:
        print(f"wrote preset {folder}")


def cmd_library(args):
    """`train` and `evaluate`: the library command the arguments chose
    (`args.run`); its ValueErrors (a missing data folder, a bad option, a
    preset of another kind) are one-line errors with exit status 2."""
    try:
        args.run(args)
    except ValueError as e:
        raise CLIError(str(e)) from e


def cmd_export(args):
    """A preset's network as an ONNX / LiteRT / OpenVINO / SavedModel
    artefact (`keras_vsr.inference.export.export_preset`); a bad argument,
    or a network the format cannot hold, is a one-line error, exit status 2,
    and nothing is written."""
    from keras_vsr.inference.export import export_preset

    try:
        path = export_preset(args.preset, args.dst, format=args.format, input_size=args.input_size)
    except ValueError as e:
        raise CLIError(str(e)) from e
    if not args.quiet:
        print(f"wrote {args.format} {path}")


def cmd_slurm_env(args):
    """`export NAME=VALUE` lines (for `eval`) of the engine's settings
    derived from SLURM's variables (`keras_vsr.training.distribute.slurm_settings`)."""
    import shlex

    from keras_vsr.training.distribute import slurm_settings

    try:
        settings = slurm_settings(args.engine, port=args.port)
    except ValueError as e:
        raise CLIError(str(e)) from e
    for name, value in settings.items():
        print(f"export {name}={shlex.quote(value)}")


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
            interpolator=given(args.interpolator, "auto"),
            precision=args.precision,
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
    from keras_vsr.inference import DEFAULT_GIF_PRESET, DEFAULT_PRESET

    parser = _Parser(prog="keras-vsr", description="Super-resolution for images and video.", top_level=True)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("upscale", help="upscale an image, GIF or video file, or a folder of them")
    up.add_argument("input", help="a file, or a folder of images/GIFs/videos")
    up.add_argument("output", help="the result file, or a folder when INPUT is one")
    up.add_argument(
        "--preset", default=None,
        help=f"the model (default: {DEFAULT_PRESET}; for GIFs {DEFAULT_GIF_PRESET}, which is trained on "
        "palette and dithering damage)",
    )
    up.add_argument("--scale", type=float, help="output size as a factor of the input (default: the model's scale)")
    up.add_argument("--size", type=_parse_size, help="output size WIDTHxHEIGHT, e.g. 1920x1080")
    up.add_argument("--max-pixels", type=int, default=None, help="refuse larger inputs (default 40,000,000)")
    up.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    up.add_argument("--tile", type=_parse_tile, default="auto", help="tile size in LR pixels, 'auto' (default) or 'none'")
    up.add_argument("--tile-overlap", type=int, default=None,
                    help="LR pixels of context around each tile (default: the model's receptive radius, at most 64)")
    up.add_argument("--precision", choices=PRECISIONS, default="float32",
                    help="compute type; bfloat16 is faster where the CPU has it (default float32)")
    up.add_argument("--blend", default=None, metavar="PRESET:ALPHA",
                    help="use the weights (1 - ALPHA) * --preset + ALPHA * PRESET (same architecture), "
                         "e.g. a PSNR preset blended with its GAN fine-tune")
    up.add_argument("--self-ensemble", action="store_true",
                    help="average the outputs for the eight flips and rotations of the input (8x the time)")
    up.set_defaults(func=cmd_upscale)

    from keras_vsr.inference.tasks import DEFAULT_COLORIZER_PRESET, DEFAULT_FUSION_PRESET, DEFAULT_INTERPOLATOR_PRESET

    it = sub.add_parser("interpolate", help="raise the frame rate of a GIF or video (or a folder of them)")
    it.add_argument("input", help="a GIF or video file, or a folder of them")
    it.add_argument("output", help="the result file (.gif for a GIF, .mp4 for a video), or a folder")
    it.add_argument("--preset", default=DEFAULT_INTERPOLATOR_PRESET)
    it.add_argument("--factor", type=int, default=2,
                    help="frames per source frame: 2, 4 or 8, any integer >= 2 for time-conditioned models "
                         "such as RIFE (default 2)")
    it.add_argument("--scene-threshold", type=float, default=0.1,
                    help="mean grey change (0-1) that counts as a scene cut, never interpolated across (default 0.1)")
    it.add_argument("--max-pixels", type=int, default=None, help="refuse larger frames (default 40,000,000)")
    it.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    it.add_argument("--precision", choices=PRECISIONS, default="float32",
                    help="compute type; bfloat16 is faster where the CPU has it (default float32)")
    it.set_defaults(func=cmd_interpolate)

    co = sub.add_parser("colorize", help="colourise grey images, GIFs or videos (colour input is read as grey)")
    co.add_argument("input", help="an image, GIF or video file, or a folder of them")
    co.add_argument("output", help="the result file, or a folder when INPUT is one")
    co.add_argument("--preset", default=DEFAULT_COLORIZER_PRESET)
    co.add_argument("--max-pixels", type=int, default=None, help="refuse larger images (default 40,000,000)")
    co.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    co.add_argument(
        "--key-frames", default=None, metavar="DIR_OR_VIDEO",
        help="RGB frames of the same clip (a video, or a folder of one image per frame): every --key-every-th "
        "is a key frame whose colours are carried along the motion (video INPUT only)",
    )
    co.add_argument("--key-every", type=int, default=8, help="key frame spacing in frames (default 8)")
    co.add_argument(
        "--fusion-preset", default=DEFAULT_FUSION_PRESET,
        help=f"ChromaFusion preset joining propagated and colourised chroma (default {DEFAULT_FUSION_PRESET}; "
        "'none': propagation alone)",
    )
    co.set_defaults(func=cmd_colorize)
    for command in (up, it, co):
        command.add_argument(
            "--shard", metavar="K/N", default=None,
            help="process shard K (0 <= K < N) of a folder split N ways; outputs already there are skipped",
        )

    pr = sub.add_parser("presets", help="list the built-in presets")
    pr.add_argument("--json", action="store_true", help="print a JSON list of the presets' metadata, for scripts")
    pr.set_defaults(func=cmd_presets)

    cv = sub.add_parser("convert", help="convert a PyTorch checkpoint (ESRGAN, Real-ESRGAN, ...) into a preset folder")
    cv.add_argument("src", help="a .pth/.pt/.ckpt/.safetensors file, or hf://owner/repo[/file]")
    cv.add_argument("dst", help="the preset folder to write")
    cv.add_argument("--name", default=None, help="the preset's name in its model card (default: the file's name)")
    cv.add_argument("--overwrite", action="store_true", help="replace DST if it is a preset folder")
    cv.set_defaults(func=cmd_convert)

    from keras_vsr.evaluation.cli import add_evaluate_parser
    from keras_vsr.training.cli import add_train_parser

    for add_command in (add_train_parser, add_evaluate_parser):
        command_parser = add_command(sub)  # its parsers are `_Parser`s: they take the global options
        command_parser.set_defaults(func=cmd_library)

    se = sub.add_parser("slurm-env", help="print the data-parallel engine's settings for this SLURM job step")
    se.add_argument("engine", choices=("torch", "jax", "tensorflow"))
    se.add_argument("--port", type=int, default=29500, help="the coordinator's port on the first node (default 29500)")
    se.set_defaults(func=cmd_slurm_env)

    ex = sub.add_parser("export", help="export a preset's network to ONNX, LiteRT, OpenVINO or a SavedModel")
    ex.add_argument("preset", help="preset name, folder or hf://owner/name")
    ex.add_argument("dst", help="the file to write (.onnx, .tflite, .xml) or, for saved_model, a new folder")
    ex.add_argument("--format", required=True, choices=("onnx", "litert", "openvino", "saved_model"))
    ex.add_argument("--input-size", default=None, metavar="HxW", help="fix the image size (default: any size)")
    ex.set_defaults(func=cmd_export)

    ap = sub.add_parser("app", help="start the Gradio web app (http://127.0.0.1:7860)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--preset", action="append", default=[], help="preset to offer (repeatable; default: all built-in)")
    ap.add_argument("--max-pixels", type=int, default=None, help="per image or frame (default 1,000,000)")
    ap.add_argument("--max-frames", type=int, default=None, help="per GIF or video (default 300)")
    ap.add_argument("--max-file-size", default=None, help='largest upload, e.g. "50mb" (default 20mb)')
    ap.add_argument("--precision", choices=PRECISIONS, default="float32", help="compute type of the models (default float32)")
    ap.add_argument(
        "--interpolator", default=None,
        help="frame-interpolation preset of the frame-rate choice (default: the default interpolator); a "
        "time-conditioned one (a converted RIFE flownet.pkl) adds x3 and x6",
    )
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
        if args.command != "presets":  # `presets` reads files only and loads no framework
            _set_backend(args.backend or os.environ.get("KERAS_BACKEND"))
        if args.command in ("upscale", "colorize", "interpolate") and args.max_pixels is None:
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
