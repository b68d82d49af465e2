"""The bundled presets read from files alone, without importing Keras or a
backend: for `keras-vsr presets`, which must answer at once.

Each family's `keras_vsr/models/<family>/<family>_presets.py` holds a
literal dict `backbone_presets` (name -> `{"description": ...}`); each
preset's folder `keras_vsr/presets/bundled/<name>/` holds `config.json`
(its backbone class) and `metadata.json`. `bundled_presets()` joins them
into what `keras_vsr.models.list_presets()` returns after every family has
registered (`tests/test_startup.py` checks the two agree).
"""

import ast
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
BUNDLED_DIR = PACKAGE / "presets" / "bundled"


def _family_presets(path):
    """The literal `backbone_presets` dict of one `<family>_presets.py`."""
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "backbone_presets" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    return {}


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def bundled_presets():
    """`[{name, class, description, params, scale, metrics, path}, ...]` of
    the bundled presets whose folder is present, sorted by name."""
    entries = []
    for path in sorted(PACKAGE.glob("models/*/*_presets.py")):
        for name, info in _family_presets(path).items():
            folder = BUNDLED_DIR / name
            config = _read_json(folder / "config.json")
            if not config:
                continue  # a source checkout without that preset's files
            metadata = _read_json(folder / "metadata.json")
            entries.append({
                "name": name,
                "class": config.get("class_name"),
                "description": info.get("description", metadata.get("description", "")),
                "params": metadata.get("parameter_count"),
                "scale": metadata.get("scale"),
                "metrics": metadata.get("metrics", {}),
                "path": name,
            })
    return sorted(entries, key=lambda entry: entry["name"])
