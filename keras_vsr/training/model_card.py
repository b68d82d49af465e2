"""A trained preset's `metadata.json` facts and its `README.md` model card,
from one template; each recipe passes its own sections as data."""

import json
from pathlib import Path

from keras_vsr.evaluation.report import markdown_table

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
    meta_path.write_text(json.dumps(metadata, indent=2))
    return metadata


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
    (preset_dir / "README.md").write_text(card)
    return update_metadata(preset_dir, fields)
