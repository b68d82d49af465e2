"""Finding the converter of a state dict among every family's converter.

Each family folder `keras_vsr/models/<family>/` may hold a module
`<family>_conversion.py` with a module-level `CONVERTER`; they are found by
name, so a new architecture needs no edit here.
"""

import functools
import importlib
from pathlib import Path

from keras_vsr.models.conversion.converter import ConversionError, StateDict, describe_keys

MODELS_DIR = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def converters():
    """Every family's `CONVERTER`, as a tuple, sorted by family name."""
    found = []
    for folder in sorted(MODELS_DIR.iterdir()):
        if (folder / f"{folder.name}_conversion.py").is_file():
            module = importlib.import_module(f"keras_vsr.models.{folder.name}.{folder.name}_conversion")
            found.append(module.CONVERTER)
    return tuple(found)


def architectures():
    """The names of the architectures that convert."""
    return [c.name for c in converters()]


def find_converter(state_dict):
    """The converter whose `signature` fits `state_dict` completely.

    Raises:
        ConversionError: when none fits: names the closest architecture and
            its signature keys that are missing; or when several fit.
    """
    scored = [(c.score(state_dict), c) for c in converters()]
    full = [c for s, c in scored if s >= 1.0]
    if len(full) > 1:
        full = [c for c in full if c.matches(state_dict)]
    if len(full) == 1:
        return full[0]
    if len(full) > 1:
        raise ConversionError(f"The state dict fits several architectures: {', '.join(c.name for c in full)}.")
    sample = describe_keys(state_dict, limit=5)
    best_score, best = max(scored, key=lambda sc: sc[0], default=(0.0, None))
    if best is None or best_score == 0.0:
        raise ConversionError(
            f"The state dict matches no supported architecture ({', '.join(architectures())}); "
            f"its keys: {sample}."
        )
    raise ConversionError(
        f"The state dict is not a supported architecture; the closest is {best.name}, but "
        f"{best.mismatch(state_dict)} (its keys: {sample})."
    )


def convert_state_dict(state_dict):
    """Detect the architecture of `state_dict` and convert it.

    Args:
        state_dict: `{key: float32 numpy array}` (wrappers and `module.`
            prefixes already removed, as `keras_vsr.io.read_state_dict`
            returns them).

    Returns:
        `(converter, backbone, config)`: the architecture's `Converter`, the
        Keras backbone with every weight set, and its detected config.

    Raises:
        ConversionError: for an unknown architecture or a state dict that
            does not map completely (missing, mis-shaped or unused keys).
    """
    state_dict = StateDict(state_dict)
    converter = find_converter(state_dict)
    backbone, config = converter.convert(state_dict)
    return converter, backbone, config
