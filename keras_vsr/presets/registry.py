"""Registry of the presets bundled with keras_vsr, on top of keras-hub's.

keras-hub resolves a built-in name through `BUILTIN_PRESETS[name]
["kaggle_handle"]`; keras_vsr points that handle at a folder inside the
installed package (`keras_vsr/presets/bundled/<name>`), so built-in presets
load offline from a source checkout and from a wheel alike. Local folders and
`hf://owner/name` handles go through keras-hub's loader unchanged.
"""

import contextlib
import json
import os
from pathlib import Path

from keras_hub.src.utils import preset_utils

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
CONFIG_FILE = preset_utils.CONFIG_FILE
WEIGHTS_FILE = preset_utils.MODEL_WEIGHTS_FILE
METADATA_FILE = preset_utils.METADATA_FILE

_REGISTRY = {}


def register_presets(presets, backbone_cls):
    """Register bundled presets for `backbone_cls`.

    Args:
        presets: dict mapping a preset name to a dict with at least
            `"description"`. The folder `BUNDLED_DIR / name` must exist; its
            `metadata.json` supplies parameter count, scale and metrics.
    """
    entries = {}
    for name, info in presets.items():
        folder = BUNDLED_DIR / name
        if not (folder / CONFIG_FILE).exists():
            continue  # a source checkout without that preset's files
        metadata = _read_json(folder / METADATA_FILE)
        entry = {
            "metadata": {
                "description": info.get("description", metadata.get("description", "")),
                "params": metadata.get("parameter_count"),
                "scale": metadata.get("scale"),
                "metrics": metadata.get("metrics", {}),
                "path": name,
            },
            "kaggle_handle": str(folder),
            "class": backbone_cls.__name__,
        }
        entries[name] = entry
        _REGISTRY[name] = entry
    preset_utils.register_presets(entries, backbone_cls)


def list_presets():
    """Return `[{name, class, description, params, scale, metrics}, ...]`."""
    return [
        {"name": name, "class": entry["class"], **entry["metadata"]}
        for name, entry in sorted(_REGISTRY.items())
    ]


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def check_preset(preset, load_weights=True):
    """Validate a preset identifier before keras-hub resolves it.

    Returns the identifier unchanged; raises a `ValueError` that says what is
    wrong for an unknown name or an incomplete local folder.
    """
    if not isinstance(preset, (str, os.PathLike)):
        raise ValueError(f"A preset must be a name, a folder or an hf:// handle. Received: {preset!r}")
    preset = os.fspath(preset)
    if preset.startswith(preset_utils.HF_PREFIX):
        _check_hf_cache(preset)
        return preset
    if preset in preset_utils.BUILTIN_PRESETS or "://" in preset:
        return preset
    if os.path.isdir(preset):
        if not os.path.exists(os.path.join(preset, CONFIG_FILE)):
            raise ValueError(
                f"Preset folder '{preset}' has no {CONFIG_FILE}; it is not a "
                "keras_vsr/keras-hub preset (make one with `save_to_preset`)."
            )
        if load_weights and not os.path.exists(os.path.join(preset, WEIGHTS_FILE)):
            raise ValueError(
                f"Preset folder '{preset}' has no {WEIGHTS_FILE}. Pass "
                "`load_weights=False` to build the model without weights."
            )
        return preset
    if os.path.exists(preset):
        raise ValueError(f"Preset '{preset}' is a file; a preset is a folder.")
    names = ", ".join(sorted(_REGISTRY)) or "(none installed)"
    raise ValueError(
        f"Unknown preset '{preset}'. Built-in presets: {names}. A preset may "
        "also be a local folder or a Hugging Face handle 'hf://owner/name'."
    )


def hf_cache_folder(preset):
    """The folder of the Hugging Face cache that holds the `hf://owner/name` preset."""
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    repo = preset[len(preset_utils.HF_PREFIX) :]
    return Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo, repo_type="model")


def _check_hf_cache(preset):
    """In offline mode (`HF_HUB_OFFLINE=1`), raise a `ValueError` saying so
    when the `hf://` preset's config is not in the Hugging Face cache."""
    import huggingface_hub

    if not huggingface_hub.is_offline_mode():
        return
    repo = preset[len(preset_utils.HF_PREFIX) :]
    try:
        cached = huggingface_hub.try_to_load_from_cache(repo, CONFIG_FILE)
    except ValueError:  # not an owner/name handle; keras-hub says so
        return
    if not isinstance(cached, str):
        raise ValueError(
            f"Preset '{preset}' is not in the Hugging Face cache ({hf_cache_folder(preset)}) and "
            "HF_HUB_OFFLINE=1 forbids downloading it; unset HF_HUB_OFFLINE to download it once."
        )


@contextlib.contextmanager
def load_weights_errors(preset):
    """Turn an unreadable preset file (weights, or a damaged `config.json`
    or `metadata.json`) into one clear `ValueError`; for an `hf://` preset it
    says which cache folder to delete so that the next load downloads it
    afresh."""
    preset = os.fspath(preset)
    again = (
        f" Delete {hf_cache_folder(preset)} and load the preset again to download it afresh."
        if preset.startswith(preset_utils.HF_PREFIX)
        else ""
    )
    try:
        yield
    except json.JSONDecodeError as e:
        raise ValueError(
            f"Could not read preset '{preset}': its {CONFIG_FILE} or {METADATA_FILE} is not valid JSON "
            f"({e}).{again}"
        ) from e
    except (OSError, KeyError, RuntimeError) as e:  # h5py raises all three for damaged files
        raise ValueError(
            f"Could not read the weights of preset '{preset}': the file "
            f"{WEIGHTS_FILE} is corrupt, truncated or does not match the "
            f"config ({type(e).__name__}: {e}).{again}"
        ) from e
