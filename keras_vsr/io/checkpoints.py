"""Reading PyTorch checkpoints as NumPy state dicts, without running their code.

`read_state_dict` reads `.pth` / `.pt` / `.ckpt` / `.pkl` files with
`torch.load(weights_only=True)` (torch's restricted unpickler: tensors,
containers and numbers only; a pickle that names any other callable is
refused before it runs) and `.safetensors` files with the `safetensors`
package's NumPy reader, which needs no torch. `resolve_checkpoint_source`
turns a local path or an `hf://owner/repo[/file]` handle into a local file
(through `huggingface_hub`, which honours `HF_HUB_OFFLINE`).
"""

import hashlib
import os
from pathlib import Path

import numpy as np

PICKLE_EXTENSIONS = (".pth", ".pt", ".ckpt", ".pkl")
SAFETENSORS_EXTENSIONS = (".safetensors",)
CHECKPOINT_EXTENSIONS = PICKLE_EXTENSIONS + SAFETENSORS_EXTENSIONS
# Wrappers that training frameworks put around the weights, most preferred
# first (BasicSR keeps the EMA weights under `params_ema`).
WRAPPER_KEYS = ("params_ema", "params", "state_dict", "model")
HF_PREFIX = "hf://"


def is_checkpoint_file(path):
    """Whether `path` names a file with a checkpoint extension (it need not exist)."""
    return str(path).lower().endswith(CHECKPOINT_EXTENSIONS)


def read_state_dict(path):
    """Read a checkpoint file as `{key: float32 numpy array}`.

    Wrappers (`params_ema`, preferred, then `params`, `state_dict`, `model`)
    are unwrapped and `module.` prefixes (DataParallel) stripped; entries
    that are not tensors (step counters, optimizer settings) are dropped.

    Args:
        path: str or `pathlib.Path`, a `.pth`, `.pt`, `.ckpt`, `.pkl` or
            `.safetensors` file.

    Raises:
        ValueError: naming the file and the reason: missing, an unknown
            extension, truncated or not a checkpoint, a pickle refused as
            unsafe, torch missing for a pickle, or no tensors in it.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Checkpoint '{path}' does not exist or is not a file.")
    suffix = path.suffix.lower()
    if suffix in SAFETENSORS_EXTENSIONS:
        raw = _read_safetensors(path)
    elif suffix in PICKLE_EXTENSIONS:
        raw = _read_pickle(path)
    else:
        raise ValueError(
            f"Checkpoint '{path}' has the extension '{suffix}'; expected one of {', '.join(CHECKPOINT_EXTENSIONS)}."
        )
    state_dict = unwrap_state_dict(raw)
    if not state_dict:
        raise ValueError(f"Checkpoint '{path}' holds no tensors; it is not a model's state dict.")
    return state_dict


def unwrap_state_dict(obj):
    """`{key: float32 array}` from a loaded checkpoint object: unwraps the
    `WRAPPER_KEYS` wrappers, strips `module.` prefixes, keeps array-like
    values only (torch tensors are converted through NumPy)."""
    while isinstance(obj, dict):
        wrapper = next((k for k in WRAPPER_KEYS if isinstance(obj.get(k), dict)), None)
        if wrapper is None:
            break
        obj = obj[wrapper]
    if not isinstance(obj, dict):
        return {}
    state_dict = {}
    for key, value in obj.items():
        array = _to_numpy(value)
        if array is None or not isinstance(key, str):
            continue
        while key.startswith("module."):
            key = key[len("module.") :]
        state_dict[key] = array
    return state_dict


def _to_numpy(value):
    if isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu()
        if value.is_floating_point() and str(value.dtype) not in ("torch.float32", "torch.float64"):
            value = value.float()  # bfloat16 / float16: NumPy has no bfloat16
        array = value.numpy()
    else:
        return None
    if array.dtype.kind not in "fiub":
        return None
    return np.asarray(array, dtype="float32")


def _read_pickle(path):
    try:
        import torch
    except ImportError:
        raise ValueError(
            f"Reading '{path}' needs PyTorch (a pickled checkpoint): pip install torch "
            "(or convert it to .safetensors, which needs no torch)."
        ) from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for one cause
        text = str(e)
        if "WeightsUnpickler error:" in text:
            detail = text.split("WeightsUnpickler error:", 1)[1].strip().splitlines()[0].split(". ")[0]
            raise ValueError(
                f"Refused to load '{path}': torch's weights-only reader does not accept it ({detail}); "
                "a pickle that needs more than tensors could run code, so it is not loaded."
            ) from None
        message = text.strip().splitlines()[0] if text.strip() else type(e).__name__
        raise ValueError(
            f"Could not read '{path}' as a PyTorch checkpoint: it is truncated or not a checkpoint ({message})."
        ) from None


def _read_safetensors(path):
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise ValueError(f"Reading '{path}' needs the safetensors package: pip install safetensors.") from None
    try:
        return load_file(str(path))
    except Exception as e:  # safetensors raises its own error types
        raise ValueError(
            f"Could not read '{path}' as a safetensors file: it is truncated or not a checkpoint ({e})."
        ) from None


def file_sha256(path):
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_hf_handle(src):
    """`"hf://owner/repo[/file]"` -> `(repo_id, filename or None)`.

    Raises:
        ValueError: when the handle has no `owner/repo`.
    """
    parts = [p for p in src[len(HF_PREFIX) :].split("/") if p]
    if len(parts) < 2:
        raise ValueError(f"A Hugging Face handle is 'hf://owner/repo[/file]'. Received: {src!r}")
    return "/".join(parts[:2]), "/".join(parts[2:]) or None


def hf_repo_files(repo_id):
    """The files of a Hugging Face model repository: listed on the Hub, or
    from the local cache when offline (`HF_HUB_OFFLINE=1`) or unreachable.

    Raises:
        ValueError: when the repository is neither reachable nor cached.
    """
    hub = _hub()
    try:
        return list(hub.HfApi().list_repo_files(repo_id))
    except Exception as online_error:  # offline mode, no network, no such repo
        try:
            folder = Path(hub.snapshot_download(repo_id, local_files_only=True))
        except Exception:
            raise ValueError(
                f"Hugging Face repository '{repo_id}' is not reachable and not in the local cache "
                f"({type(online_error).__name__})."
            ) from None
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def hf_checkpoint_files(repo_id):
    """The checkpoint files (by extension) among `hf_repo_files(repo_id)`."""
    return [f for f in hf_repo_files(repo_id) if is_checkpoint_file(f)]


def resolve_checkpoint_source(src):
    """A local checkpoint file for `src`, and the name to record as its source.

    Args:
        src: a local file path, `hf://owner/repo/file` (that file) or
            `hf://owner/repo` (its only checkpoint file).

    Returns:
        `(local_path, source_name)`: a `pathlib.Path` and a string (a local
        file's name, without its folders, or the full `hf://owner/repo/file`
        handle).

    Raises:
        ValueError: for a missing file, an `hf://` repository with no
            checkpoint or several (they are listed), or one not reachable.
    """
    src = os.fspath(src)
    if not src.startswith(HF_PREFIX):
        path = Path(src)
        if not path.is_file():
            raise ValueError(f"Checkpoint '{src}' does not exist or is not a file.")
        return path, path.name
    repo_id, filename = split_hf_handle(src)
    if filename is None:
        found = hf_checkpoint_files(repo_id)
        if not found:
            raise ValueError(
                f"Hugging Face repository '{repo_id}' holds no checkpoint "
                f"({', '.join(CHECKPOINT_EXTENSIONS)} file) and no preset."
            )
        if len(found) > 1:
            raise ValueError(
                f"Hugging Face repository '{repo_id}' holds {len(found)} checkpoints; name one as "
                f"hf://{repo_id}/FILE: {', '.join(found)}"
            )
        filename = found[0]
    try:
        local = _hub().hf_hub_download(repo_id, filename)
    except Exception as e:  # offline and not cached, no such file, network errors
        raise ValueError(f"Could not fetch '{filename}' from Hugging Face repository '{repo_id}' ({type(e).__name__}).") from None
    return Path(local), f"{HF_PREFIX}{repo_id}/{filename}"


def _hub():
    try:
        import huggingface_hub
    except ImportError:
        raise ValueError("hf:// sources need the huggingface_hub package: pip install huggingface_hub.") from None
    return huggingface_hub
