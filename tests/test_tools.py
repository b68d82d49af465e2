"""The training recipe and the upload tool, end to end on tiny inputs."""

import json
import shutil
import subprocess
import sys

import numpy as np

from tests.support import REPO, run_python

sys.path.insert(0, str(REPO / "tools"))

import upload_preset  # noqa: E402


def test_training_recipe_writes_a_loadable_preset_with_a_model_card(tmp_path, image_folder):
    preset = tmp_path / "preset"
    result = subprocess.run(
        [
            sys.executable, str(REPO / "tools" / "train_srresnet.py"),
            "--data", str(image_folder), "--scale", "2", "--filters", "8", "--blocks", "1",
            "--no-batch-norm", "--image-residual", "--patch", "12", "--batch", "2",
            "--steps", "4", "--steps-per-epoch", "2", "--run-dir", str(tmp_path / "run"),
            "--preset-dir", str(preset), "--name", "tiny_test_x2",
        ],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,") and len(log) == 3  # header + 2 epochs
    metadata = json.loads((preset / "metadata.json").read_text())
    assert metadata["scale"] == 2 and metadata["training"]["steps"] == 4
    card = (preset / "README.md").read_text()
    assert "# tiny_test_x2" in card and "## Evaluation" in card and "## Training" in card
    assert upload_preset.validate(preset) == []

    code = f"import keras_vsr; print(keras_vsr.SuperResolver.from_preset({str(preset)!r}).scale)"
    loaded = run_python(code)
    assert loaded.returncode == 0 and loaded.stdout.strip().endswith("2"), loaded.stderr[-2000:]


def test_upload_dry_run_checks_the_folder_and_lists_files(tmp_path, tiny_preset, capsys):
    folder = tmp_path / "p"
    shutil.copytree(tiny_preset, folder)
    assert upload_preset.main([str(folder), "hf://me/tiny", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "missing README.md" in err

    (folder / "README.md").write_text("# tiny\n## Evaluation\nx\n## Training\ny\n")
    assert upload_preset.main([str(folder), "hf://me/tiny", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would upload" in out and "model.weights.h5" in out and "hf://me/tiny" in out

    assert upload_preset.main([str(folder), "me/tiny", "--dry-run"]) == 2

    (folder / "model.weights.h5").write_bytes(b"garbage")
    assert upload_preset.main([str(folder), "hf://me/tiny", "--dry-run"]) == 2
    assert "does not load" in capsys.readouterr().err
