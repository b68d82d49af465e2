"""Where the command line finds data it is not given: a data root folder.

The data root holds the standard layout

    sr/train/                          training images (T91, BSDS200, photos)
    sr/bench/<Set5|Set14>/x<s>/HR, LR  SR benchmark pairs
    video/train/                       frame sequences (Vimeo-90K, sample_video)
    video/clips/                       video clips
    video/bench/middlebury_others/     interpolation benchmark

and is given by `--data-root DIR` or the `KERAS_VSR_DATA` environment
variable. An explicit folder option (`--data`, `--bench`, ...) always wins;
without one and without a data root, the command stops with one line naming
both.
"""

import os
from pathlib import Path

DATA_ROOT_VARIABLE = "KERAS_VSR_DATA"


def add_data_root_argument(parser):
    """Add `--data-root` (default: `$KERAS_VSR_DATA`) to an argparse parser."""
    parser.add_argument(
        "--data-root",
        default=os.environ.get(DATA_ROOT_VARIABLE) or None,
        help=f"folder with the sr/ and video/ data layout, the default of every data option "
        f"(default: ${DATA_ROOT_VARIABLE})",
    )


def data_paths(args, option, *defaults, required=True):
    """The folders given by `--option`, else `<data root>/<default>` for each default.

    Args:
        args: the parsed arguments (with `data_root` and the option, whose
            value is a str, a list of str or None).
        option: str, the option's name without dashes, e.g. "data".
        defaults: paths relative to the data root, e.g. "sr/train".
        required: bool. When False, None is returned where neither the
            option nor a data root is given. Default True.

    Returns:
        A list of Paths (or None, see `required`).

    Raises:
        ValueError: neither the option nor a data root is given, `required`.
    """
    value = getattr(args, option.replace("-", "_"))
    if value is not None:
        return [Path(v) for v in ([value] if isinstance(value, (str, Path)) else value)]
    if args.data_root:
        return [Path(args.data_root, d) for d in defaults]
    if not required:
        return None
    raise ValueError(
        f"no data: pass --{option} or --data-root DIR (or set {DATA_ROOT_VARIABLE}) to use "
        + ", ".join(f"<data root>/{d}" for d in defaults)
    )


def data_path(args, option, default, required=True):
    """`data_paths` for an option naming one folder: a Path (or None, see `required`)."""
    paths = data_paths(args, option, default, required=required)
    return paths and paths[0]


def existing_folder(path, option):
    """`Path(path)` when it is a folder; a one-line ValueError naming `--option` when not."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"--{option}: no such folder: {path}")
    return path
