"""The `keras-vsr` command line.

    keras-vsr upscale INPUT OUTPUT [--preset NAME] [--scale S] [--backend B]
    keras-vsr presets
    keras-vsr evaluate [--preset NAME] [--data DIR ...]

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


def cmd_upscale(args):
    import numpy as np

    from keras_vsr.io import ImageReadError, load_image, save_image_atomic
    from keras_vsr.utils.imresize import imresize

    src, dst = Path(args.input), Path(args.output)
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise CLIError(f"refusing to overwrite the input {src}; choose another OUTPUT")
    if dst.is_dir():
        raise CLIError(f"OUTPUT {dst} is a folder; give a file name such as {dst / (src.stem + '_x4.png')}")
    from PIL import Image

    if dst.suffix.lower() not in Image.registered_extensions():
        raise CLIError(f"OUTPUT {dst}: unknown image extension '{dst.suffix}' (use .png, .jpg, ...)")
    if dst.exists() and not args.overwrite:
        raise CLIError(f"OUTPUT {dst} exists; pass --overwrite to replace it")
    if args.scale is not None and args.scale <= 0:
        raise CLIError(f"--scale must be positive. Received: {args.scale}")
    try:
        image = load_image(src, max_pixels=args.max_pixels)
    except ImageReadError as e:
        raise CLIError(str(e)) from e

    start = time.time()
    task = _load_task(args.preset)
    result = task.upscale(image)
    if args.scale is not None and args.scale != task.scale:
        h, w = image.shape[:2]
        size = (max(1, round(h * args.scale)), max(1, round(w * args.scale)))
        result = imresize(result, output_shape=size)
    save_image_atomic(np.asarray(result), dst)
    print(
        f"upscaled {src} {image.shape[1]}x{image.shape[0]} -> {dst} "
        f"{result.shape[1]}x{result.shape[0]} with {args.preset} "
        f"in {time.time() - start:.1f}s"
    )


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
            result = evaluate_sr(task.upscale, folder, scale, lr_dir=args.lr)
        except ValueError as e:
            raise CLIError(str(e)) from e
        title = f"{args.preset} on {folder} (Y channel, crop {scale})"
        print(format_report(title, result))
        print()


def build_parser():
    from keras_vsr.inference import DEFAULT_PRESET

    parser = argparse.ArgumentParser(prog="keras-vsr", description="Super-resolution for images and video.")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND or tensorflow)")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("upscale", help="upscale an image file")
    up.add_argument("input")
    up.add_argument("output")
    up.add_argument("--preset", default=DEFAULT_PRESET)
    up.add_argument("--scale", type=float, help="output scale; differs from the model's by a bicubic resize")
    up.add_argument("--max-pixels", type=int, default=None, help="refuse larger inputs (default 40,000,000)")
    up.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    up.set_defaults(func=cmd_upscale)

    pr = sub.add_parser("presets", help="list the built-in presets")
    pr.set_defaults(func=cmd_presets)

    ev = sub.add_parser("evaluate", help="Y-PSNR/SSIM of a preset on HR/LR pairs, beside bicubic")
    ev.add_argument("--preset", default=DEFAULT_PRESET)
    ev.add_argument("--data", nargs="+", help="folders holding HR/ and LR/ (default: Set5 and Set14 in ../shared/data)")
    ev.add_argument("--lr", default=None, help="LR folder when --data is a folder of HR images only")
    ev.set_defaults(func=cmd_evaluate)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _set_backend(args.backend or os.environ.get("KERAS_BACKEND"))
        if getattr(args, "max_pixels", 0) is None:
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
