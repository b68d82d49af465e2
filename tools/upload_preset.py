"""Push a preset folder, with its model card, to the Hugging Face Hub.

    python tools/upload_preset.py keras_vsr/presets/bundled/NAME hf://owner/NAME
    python tools/upload_preset.py FOLDER hf://owner/NAME --dry-run

The folder is checked first: `config.json` names a keras_vsr backbone, the
weights load into it, `metadata.json` exists, and `README.md` is a model card
with an evaluation and a training section. `--dry-run` stops after the checks
and prints what would be sent. The upload itself is keras-hub's
`upload_preset` (it needs `huggingface_hub` and a token from
`huggingface-cli login`).
"""

import argparse
import json
import sys
from pathlib import Path

REQUIRED = ("config.json", "model.weights.h5", "metadata.json", "README.md")
CARD_SECTIONS = ("## Evaluation", "## Training")


def validate(folder):
    """Return a list of problems with `folder` as a preset to publish."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} is not a folder"]
    problems = [f"missing {name}" for name in REQUIRED if not (folder / name).is_file()]
    card = folder / "README.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8")
        problems += [f"model card has no '{s}' section" for s in CARD_SECTIONS if s not in text]
    if (folder / "config.json").is_file() and (folder / "model.weights.h5").is_file():
        import keras_vsr.models  # noqa: F401  (registers the classes)
        from keras_vsr.models import SRBackbone

        try:
            json.loads((folder / "config.json").read_text())
            SRBackbone.from_preset(str(folder))
        except Exception as e:  # noqa: BLE001  (reported, not raised)
            problems.append(f"the preset does not load: {e}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("preset_dir")
    parser.add_argument("uri", help="hf://owner/name")
    parser.add_argument("--dry-run", action="store_true", help="check and list, upload nothing")
    args = parser.parse_args(argv)

    if not args.uri.startswith("hf://") or args.uri.count("/") != 3:
        print(f"error: the destination must look like hf://owner/name. Received: {args.uri}", file=sys.stderr)
        return 2
    problems = validate(args.preset_dir)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    folder = Path(args.preset_dir)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    print(f"{'would upload' if args.dry_run else 'uploading'} {folder} -> {args.uri}")
    for p in files:
        print(f"  {p.relative_to(folder)}  {p.stat().st_size:,} bytes")
    print(f"  {len(files)} files, {total:,} bytes")
    if args.dry_run:
        return 0
    import keras_hub

    keras_hub.upload_preset(args.uri, str(folder))
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
