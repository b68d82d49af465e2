"""A trained preset's `metadata.json` facts and its `README.md` model card,
from one template; each recipe passes its own sections as data."""

import json
import os
from pathlib import Path

from keras_vsr.evaluation.report import markdown_table
from keras_vsr.utils.atomic_files import atomic_temporary, replace_with_umask

CARD = """---
library_name: keras-hub
tags: [{tags}]
---
# {name}

{description}

```python
{usage}
```

## Architecture

{architecture}

## Evaluation

{evaluation}

## Training

{training}

## Data licences

{licences}
"""

NOT_MEASURED = "Not measured: the run was given no benchmark data (`--bench` or `--data-root`)."


def update_metadata(preset_dir, fields):
    """Merge `fields` into `<preset_dir>/metadata.json` (created if absent) and
    return the whole metadata dict."""
    from keras_vsr.presets.registry import METADATA_FILE

    meta_path = Path(preset_dir) / METADATA_FILE
    metadata = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    metadata.update(fields)
    _write_text_atomic(meta_path, lambda f: json.dump(metadata, f, indent=2))
    return metadata


def _write_text_atomic(path, write):
    """Fill `path` with `write(text_file)` through a temporary file beside
    it, so that `path` is either the complete new text or as it was."""
    fd, tmp = atomic_temporary(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            write(f)
        replace_with_umask(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def describe_data(folders):
    """'train (t91: 91 images, bsd200: 200 images)' for a list of folders."""
    from keras_vsr.io.images import find_images

    parts = []
    for folder in map(Path, folders):
        subdirs = sorted(d for d in folder.iterdir() if d.is_dir()) if folder.is_dir() else []
        if subdirs:
            inner = ", ".join(f"{d.name}: {len(find_images(d))} images" for d in subdirs)
            parts.append(f"{folder.name} ({inner})")
        elif folder.exists():
            parts.append(f"{folder.name} ({len(find_images(folder))} images)")
        else:
            parts.append(folder.name)
    return "; ".join(parts)


def figures(mean, *keys):
    """'32.05 / 0.8921' for the figures `keys` of an evaluation's `mean`
    (PSNR with 2 decimals, the others with 4)."""
    return " / ".join(f"{mean[k]:.2f}" if k.endswith("psnr") else f"{mean[k]:.4f}" for k in keys)


def architecture(model):
    """'`Class(arg=value, ...)`, 1,234 parameters.' from a model's config."""
    config = model.get_config()
    args = ", ".join(f"{k}={config[k]}" for k in config if k not in ("name", "trainable", "dtype"))
    return f"`{type(model).__name__}({args})`, {model.count_params():,} parameters."


def write_model_card(
    preset_dir,
    name,
    backbone,
    *,
    description,
    usage,
    evaluation,
    training,
    licences,
    tags=(),
    metrics=None,
    metadata=None,
    architecture_notes=None,
    training_notes=None,
):
    """Write a preset's facts into `metadata.json` and its `README.md` model card.

    Each file is written atomically: complete, or as it was before.

    Args:
        preset_dir: folder written by `save_to_preset`.
        name: str, the preset name (the card's title and its usage code).
        backbone: the saved backbone (for its config and parameter count).
        description: str, one paragraph (also `metadata["description"]`).
        usage: str, Python code that loads and runs the preset.
        evaluation: str, Markdown: the protocol and the figures beside their
            baseline.
        training: dict of facts about the run (a table on the card; also
            `metadata["training"]`).
        licences: str, the training data's licences.
        tags: sequence of Hugging Face tags after "keras-vsr".
        metrics: dict, the measured figures (`metadata["metrics"]`); when
            empty, the card says that nothing was measured instead of
            `evaluation`.
        metadata: dict of further `metadata.json` fields (e.g. `scale`).
        architecture_notes, training_notes: optional Markdown paragraphs
            after the architecture line and after the facts table.

    Returns:
        The whole metadata dict.
    """
    preset_dir = Path(preset_dir)
    if not metrics:
        evaluation = NOT_MEASURED
    fields = {
        "description": description,
        "metrics": metrics or {},
        "training": training,
        "parameter_count": backbone.count_params(),
        **(metadata or {}),
    }
    card = CARD.format(
        tags=", ".join(("keras-vsr", *tags)),
        name=name,
        description=description,
        usage=usage.strip(),
        architecture="\n\n".join(filter(None, [architecture(backbone), architecture_notes])),
        evaluation=evaluation.strip(),
        training="\n\n".join(filter(None, [markdown_table(("fact", "value"), training.items()), training_notes])),
        licences=licences.strip(),
    )
    _write_text_atomic(preset_dir / "README.md", lambda f: f.write(card))
    return update_metadata(preset_dir, fields)
