"""Checkpoint -> preset folder, and converting on the fly into the cache."""

import datetime
import json
import os
import shutil
import tempfile
from pathlib import Path

from keras_vsr.io.checkpoints import (
    HF_PREFIX,
    file_sha256,
    hf_repo_files,
    is_checkpoint_file,
    read_state_dict,
    resolve_checkpoint_source,
    split_hf_handle,
)
from keras_vsr.models.conversion.discovery import convert_state_dict
from keras_vsr.presets.registry import CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE

CACHE_ENV = "KERAS_VSR_CACHE"
MODEL_CARD_FILE = "README.md"

MODEL_CARD = """# {name}

A keras-vsr preset converted from the PyTorch checkpoint `{source}`
(sha256 `{sha256}`) with `keras-vsr convert` on {date}.

- Architecture: {architecture} (`{backbone}`), detected from the
  checkpoint's keys and shapes: {config_text}
- Task: {purpose}{scale_text}
- Parameters: {params:,}

## Licence

The weights are the checkpoint's; they keep the licence and terms of their
source ({source}). Check them before redistributing this preset.

## Use

```python
from keras_vsr.inference.tasks import load_task
task = load_task("path/to/this/folder", "{purpose}")
```

or `--preset path/to/this/folder` on the command line.
"""


def default_cache_dir():
    """The folder of converted checkpoints: `$KERAS_VSR_CACHE/converted`
    if that variable is set and non-empty, else
    `~/.cache/keras_vsr/converted`."""
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "keras_vsr"
    return base / "converted"


def convert(src, dst, name=None, overwrite=False):
    """Convert a PyTorch checkpoint into a keras-vsr preset folder.

    The architecture and its hyper-parameters are detected from the state
    dict's keys and shapes. The folder holds the backbone's config and
    weights, `metadata.json` (with `source`, `source_sha256`,
    `architecture`, the detected `config`, `purpose` and `scale`) and a
    model card. It is written to a temporary folder and renamed into
    place, so nothing is left behind on failure.

    Args:
        src: a `.pth` / `.pt` / `.ckpt` / `.pkl` / `.safetensors` file, or
            `hf://owner/repo[/file]`.
        dst: the preset folder to write.
        name: the preset's name in its model card. Default: the
            checkpoint's file name without extension.
        overwrite: replace an existing preset folder at `dst`. Default False.

    Returns:
        `dst` as a `pathlib.Path`.

    Raises:
        ValueError: for `src` equal to `dst`, an existing `dst` (without
            `overwrite`, or when it is not a preset folder), an unreadable
            or unsafe checkpoint, an `hf://` repository without one, or a
            state dict that does not convert (`ConversionError`).
    """
    dst = Path(dst).expanduser()
    src_text = os.fspath(src)
    if not src_text.startswith(HF_PREFIX) and Path(src_text).expanduser().resolve() == dst.resolve():
        raise ValueError(f"The destination '{dst}' is the checkpoint itself; choose a new folder.")
    _check_destination(dst, overwrite)
    local, source = resolve_checkpoint_source(src_text)
    state_dict = read_state_dict(local)
    _write_preset(state_dict, dst, source, file_sha256(local), name or _stem(source), overwrite)
    return dst


def resolve_preset(preset):
    """The preset folder to load for `preset`.

    A checkpoint file, `hf://owner/repo/<checkpoint file>`, or
    `hf://owner/repo` holding a checkpoint and no preset, is converted once
    into `default_cache_dir() / <sha256 of the file>` and that folder is
    returned; anything else (a built-in name, a preset folder, an `hf://`
    preset) is returned unchanged.

    Raises:
        ValueError: as `convert` does, for a checkpoint that does not convert.
    """
    if not isinstance(preset, (str, os.PathLike)):
        return preset
    text = os.fspath(preset)
    if text.startswith(HF_PREFIX):
        repo_id, filename = split_hf_handle(text)
        if filename is None and not _hf_repo_is_checkpoint(repo_id):
            return preset
        if filename is not None and not is_checkpoint_file(filename):
            return preset
    elif not is_checkpoint_file(text) or os.path.isdir(text):
        return preset
    local, source = resolve_checkpoint_source(text)
    sha256 = file_sha256(local)
    folder = default_cache_dir() / sha256
    if not (folder / CONFIG_FILE).is_file():
        state_dict = read_state_dict(local)
        try:
            _write_preset(state_dict, folder, source, sha256, _stem(source), overwrite=False)
        except FileExistsError:
            pass  # another process converted the same file meanwhile
    return str(folder)


def _hf_repo_is_checkpoint(repo_id):
    """Whether an `hf://owner/repo` holds a checkpoint and no preset config."""
    try:
        files = hf_repo_files(repo_id)
    except ValueError:
        return False  # keras-hub's loader reports an unreachable repository
    return CONFIG_FILE not in files and any(is_checkpoint_file(f) for f in files)


def _stem(source):
    base = source.rstrip("/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def _check_destination(dst, overwrite):
    if not dst.exists():
        return
    if not overwrite:
        raise ValueError(f"The destination '{dst}' exists; pass overwrite=True (--overwrite) to replace it.")
    if not dst.is_dir() or (any(dst.iterdir()) and not (dst / CONFIG_FILE).is_file()):
        raise ValueError(f"The destination '{dst}' exists and is not a preset folder; it is left as it is.")


def _write_preset(state_dict, dst, source, sha256, name, overwrite):
    """Convert `state_dict` and write the preset folder `dst` atomically.

    Raises:
        FileExistsError: when `dst` appeared and `overwrite` is False.
    """
    converter, backbone, config = convert_state_dict(state_dict)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a preset folder is not
        backbone.save_to_preset(str(tmp))
        scale = getattr(backbone, "scale", None)
        metadata_path = tmp / METADATA_FILE
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        config_text = ", ".join(f"{k}={v}" for k, v in config.items())
        metadata.update(
            {
                "description": f"{converter.name} ({config_text}) converted from {source}.",
                "scale": scale,
                "purpose": converter.purpose,
                "architecture": converter.name,
                "config": config,
                "source": source,
                "source_sha256": sha256,
                "license": "the source's (see the model card)",
            }
        )
        metadata_path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        card = MODEL_CARD.format(
            name=name,
            source=source,
            sha256=sha256,
            date=datetime.date.today().isoformat(),
            architecture=converter.name,
            backbone=type(backbone).__name__,
            config_text=config_text,
            purpose=converter.purpose,
            scale_text=f", x{scale}" if scale else "",
            params=backbone.count_params(),
        )
        (tmp / MODEL_CARD_FILE).write_text(card, encoding="utf-8")
        if not (tmp / WEIGHTS_FILE).is_file():
            raise ValueError(f"Writing the weights of '{dst}' failed.")
        if dst.exists():
            if not overwrite:
                raise FileExistsError(dst)
            shutil.rmtree(dst)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
