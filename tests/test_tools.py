"""The maintainer tools: the upload checks and `tools/vsr.py`, the command
line with this repository's data folder as its data root."""

import importlib.util
import shutil
import subprocess
import sys

from tests.support import REPO, needs_data


def _tool(name):
    """Import `tools/<name>.py` (the tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upload_dry_run_checks_the_folder_and_lists_files(tmp_path, tiny_preset, capsys):
    upload_preset = _tool("upload_preset")
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


def test_interpolation_bench_writes_unseen_triplets_that_do_not_cross_cuts(tmp_path):
    import numpy as np
    import pytest
    from PIL import Image

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    values = [10 * i for i in range(6)] + [250 - 10 * i for i in range(6)] + [100] * 3  # a cut before frame 6
    writer = imageio_ffmpeg.write_frames(
        str(tmp_path / "clip.avi"), (32, 32), fps=10, codec="ffv1", macro_block_size=1
    )
    writer.send(None)
    for value in values:
        writer.send(np.full((32, 32, 3), value, np.uint8).tobytes())
    writer.close()
    bench = _tool("interpolation_bench")
    counts = bench.write_bench(tmp_path / "bench", tmp_path, ["clip.avi"], first=2, every=1, spacing=1)
    # starts 2..12; 4 and 5 would span the cut, 10 and 11 the cut before the
    # repeated frames, 12 is three equal frames
    assert counts == {"clip.avi": 6}
    scenes = sorted(p.name for p in (tmp_path / "bench" / "input").iterdir())
    assert scenes == [f"clip_{i:04d}" for i in (2, 3, 6, 7, 8, 9)]
    for i in (2, 7):
        grey = [np.asarray(Image.open(tmp_path / "bench" / part / f"clip_{i:04d}" / f"{stem}.png"))[0, 0, 0]
                for part, stem in (("input", "frame10"), ("gt", "frame10i11"), ("input", "frame11"))]
        assert np.abs(np.array(grey, int) - values[i : i + 3]).max() <= 2  # YUV round trip
    with pytest.raises(SystemExit, match="exists"):
        bench.write_bench(tmp_path / "bench", tmp_path, ["clip.avi"])


def test_held_out_frames_writes_only_the_held_out_range(tmp_path, monkeypatch):
    import numpy as np
    import pytest
    from PIL import Image

    from keras_vsr.training.recipes import depth2space

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    writer = imageio_ffmpeg.write_frames(
        str(tmp_path / "Megamind.avi"), (16, 16), fps=10, codec="ffv1", macro_block_size=1
    )
    writer.send(None)
    for i in range(12):
        writer.send(np.full((16, 16, 3), 20 * i, np.uint8).tobytes())
    writer.close()
    monkeypatch.setattr(depth2space, "HELD_OUT", [("Megamind.avi", 5, 11), ("vtest.avi", 0, 4)])
    counts = _tool("held_out_frames").write_frames(tmp_path / "held", tmp_path, every=2)
    assert counts == {"Megamind.avi": 3}
    names = sorted(p.name for p in (tmp_path / "held").iterdir())
    assert names == ["Megamind_0005.png", "Megamind_0007.png", "Megamind_0009.png"]
    # each file is the frame its name says (frame i is filled with 20 * i; the
    # codec's colour conversion may round by a level or two)
    values = [int(np.asarray(Image.open(tmp_path / "held" / n))[8, 8, 0]) for n in names]
    assert np.allclose(values, [100, 140, 180], atol=2)
    with pytest.raises(SystemExit, match="exists"):
        _tool("held_out_frames").write_frames(tmp_path / "held", tmp_path)


def test_no_tool_changes_the_import_path():
    for tool in (REPO / "tools").glob("*.py"):
        assert "sys.path" not in tool.read_text(), tool


@needs_data("video", "bench", "middlebury_others")
def test_vsr_tool_finds_the_repository_data(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KERAS_BACKEND": "tensorflow", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "vsr.py"), "evaluate", "interpolation"],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "middlebury_others, frame averaging only (RGB)" in result.stdout
    assert result.stdout.splitlines()[-1].split()[:2] == ["mean", "28.01"]


def test_gif_damage_strength_compares_both_palette_size_draws(tmp_path, image_folder, capsys):
    train = tmp_path / "root" / "sr" / "train"
    train.mkdir(parents=True)
    shutil.copytree(image_folder, train / "images")
    gif_damage_strength = _tool("gif_damage_strength")
    gif_damage_strength.main(["--data-root", str(tmp_path / "root"), "--side", "16", "--squares", "40"])
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("any", "powers_of_two"):
            rows[cells[0]] = (float(cells[1]), float(cells[2]))
    assert set(rows) == {"any", "powers_of_two"}
    assert all(0 < rms and 0 <= share <= 1 for rms, share in rows.values())
    # Powers of two put three draws in five at 64 colours or fewer: stronger damage.
    assert rows["powers_of_two"][0] > rows["any"][0] and rows["powers_of_two"][1] > rows["any"][1]
