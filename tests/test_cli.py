import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from keras_vsr.cli import build_parser, main
from keras_vsr.io import iter_gif_frames, load_image, read_gif_info
from tests.support import BACKEND, REPO

# The console script installed beside this Python, as a new user runs it.
CONSOLE_SCRIPT = Path(sys.executable).parent / "keras-vsr"
OTHER_BACKEND = "jax" if BACKEND != "jax" else "torch"
# TensorFlow's and absl's start-up log, as it looked on a terminal.
NOISE = re.compile(r"cuInit|cuda|oneDNN|absl|^[IWEF]\d{4} ", re.IGNORECASE | re.MULTILINE)


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "in.png"
    Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(path)
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_upscale_writes_the_result(tmp_path, photo, tiny_preset, capsys):
    out = tmp_path / "out" / "big.png"
    code, stdout, _ = run(capsys, "upscale", photo, out, "--preset", tiny_preset)
    assert code == 0
    assert Image.open(out).size == (64, 48)
    assert "16x12" in stdout and "64x48" in stdout
    assert [p.name for p in out.parent.iterdir()] == ["big.png"]  # no temporary file left


def test_upscale_to_another_scale(tmp_path, photo, tiny_preset, capsys):
    out = tmp_path / "big.jpg"
    assert run(capsys, "upscale", photo, out, "--preset", tiny_preset, "--scale", 2)[0] == 0
    assert Image.open(out).size == (32, 24)


def test_never_overwrites_the_input(photo, tiny_preset, capsys):
    before = photo.read_bytes()
    code, _, err = run(capsys, "upscale", photo, photo, "--preset", tiny_preset)
    assert code == 2 and "refusing to overwrite the input" in err
    assert photo.read_bytes() == before


def test_existing_output_needs_overwrite(tmp_path, photo, tiny_preset, capsys):
    out = tmp_path / "exists.png"
    out.write_bytes(b"keep me")
    code, _, err = run(capsys, "upscale", photo, out, "--preset", tiny_preset)
    assert code == 2 and "--overwrite" in err and out.read_bytes() == b"keep me"
    assert run(capsys, "upscale", photo, out, "--preset", tiny_preset, "--overwrite")[0] == 0
    assert Image.open(out).size == (64, 48)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.png", b"", "empty"),
        ("text.png", b"this is not an image\n", "not a readable image"),
        ("missing.png", None, "no such file"),
    ],
)
def test_bad_inputs_give_one_clear_error(tmp_path, tiny_preset, capsys, name, content, message):
    src = tmp_path / name
    if content is not None:
        src.write_bytes(content)
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "upscale", src, out, "--preset", tiny_preset)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not out.exists()


def test_truncated_png(tmp_path, photo, tiny_preset, capsys):
    src = tmp_path / "cut.png"
    src.write_bytes(photo.read_bytes()[:200])
    code, _, err = run(capsys, "upscale", src, tmp_path / "o.png", "--preset", tiny_preset)
    assert code == 2 and "damaged or truncated" in err
    assert not (tmp_path / "o.png").exists()


def test_pixel_limit(tmp_path, photo, tiny_preset, capsys):
    code, _, err = run(capsys, "upscale", photo, tmp_path / "o.png", "--preset", tiny_preset, "--max-pixels", 100)
    assert code == 2 and "16x12 = 192 pixels is above the limit of 100" in err


def test_unknown_preset(tmp_path, photo, capsys):
    code, _, err = run(capsys, "upscale", photo, tmp_path / "o.png", "--preset", "nope")
    assert code == 2 and "Unknown preset 'nope'" in err


def test_presets_lists_the_bundled_preset(capsys):
    code, out, _ = run(capsys, "presets")
    assert code == 0 and "srresnet_b8f48_291photos_x4" in out and "SRResNetBackbone" in out


def assert_aligned(table, presets):
    """Each preset's row has its name, class and description where the
    header's columns start, after a space."""
    header, *rows = table.splitlines()
    assert header.split() == ["name", "class", "scale", "params", "Set5", "PSNR", "description"]
    assert len(rows) == len(presets)
    at_class, at_description = header.index("class"), header.index("description")
    for row, preset in zip(rows, presets):
        assert row.startswith(preset["name"] + " ")
        assert row[at_class - 1] == " " and row[at_class:].startswith(preset["class"] + " ")
        assert row[at_description - 1] == " " and row[at_description:] == preset["description"]


def test_presets_columns_stay_apart_whatever_the_lengths(capsys, monkeypatch):
    from keras_vsr.utils import catalogue as presets_module

    assert_aligned(run(capsys, "presets")[1], presets_module.bundled_presets())
    long = [
        {"name": "a" * 70, "class": "B" * 45, "scale": 4, "params": 123_456_789, "description": "long names",
         "metrics": {"Set5": {"psnr": 31.3149}}},
        {"name": "short", "class": "C", "scale": "any", "params": None, "description": "short names", "metrics": {}},
    ]
    monkeypatch.setattr(presets_module, "bundled_presets", lambda: long)
    code, out, _ = run(capsys, "presets")
    assert code == 0
    assert_aligned(out, long)
    assert re.search(r" 4 +123,456,789 +31\.31  long names$", out.splitlines()[1])


def test_presets_json_for_scripts(capsys):
    code, out, _ = run(capsys, "presets", "--json")
    assert code == 0
    presets = {p["name"]: p for p in json.loads(out)}
    default = presets["srresnet_b8f48_291photos_x4"]
    assert {"name", "class", "scale", "params", "description", "metrics"} <= set(default)
    assert (default["class"], default["scale"], default["params"]) == ("SRResNetBackbone", 4, 522_771)
    assert default["metrics"]["Set5"]["psnr"] > 31


COMMANDS = {
    "upscale": ["in.png", "out.png"],
    "interpolate": ["in.gif", "out.gif"],
    "colorize": ["in.png", "out.png"],
    "presets": [],
    "app": [],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "option,dest,value",
    [(["--backend", OTHER_BACKEND], "backend", OTHER_BACKEND), (["-q"], "quiet", True), (["--quiet"], "quiet", True)],
)
def test_global_options_go_on_either_side_of_the_command(command, option, dest, value):
    before = build_parser().parse_args([*option, command, *COMMANDS[command]])
    after = build_parser().parse_args([command, *COMMANDS[command], *option])
    neither = build_parser().parse_args([command, *COMMANDS[command]])
    assert getattr(before, dest) == getattr(after, dest) == value
    assert getattr(neither, dest) in (None, False)
    # A value given before the command is kept when the command has none.
    assert build_parser().parse_args(["--backend", "torch", command, *COMMANDS[command], "-q"]).backend == "torch"


def test_every_command_takes_the_global_options(capsys):
    usage = build_parser().format_usage()
    commands = re.search(r"\{(upscale[\w,-]*)\}", usage).group(1).split(",")
    assert set(COMMANDS) <= set(commands)
    # Commands of commands too: `keras-vsr train FAMILY`, `keras-vsr evaluate KIND`.
    for command in [[c] for c in commands] + [["train", "srresnet"], ["evaluate", "sr"]]:
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = capsys.readouterr().out
        assert "--backend" in out and "-q, --quiet" in out, command


def test_folder_in_folder_out_with_one_bad_file(tmp_path, photo, tiny_preset, capsys):
    src = tmp_path / "inputs"
    src.mkdir()
    for name in ("a.png", "b.jpg"):
        Image.open(photo).save(src / name)
    (src / "broken.png").write_bytes(b"not a png")
    (src / "notes.txt").write_text("ignored: not an image")
    out = tmp_path / "outputs"
    code, stdout, err = run(capsys, "upscale", src, out, "--preset", tiny_preset)
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg"]
    assert Image.open(out / "a.png").size == (64, 48)
    assert "broken.png" in err and "Traceback" not in err
    assert "upscaled 2 of 3" in stdout.splitlines()[-1] and "1 failed" in stdout
    assert run(capsys, "upscale", src, src, "--preset", tiny_preset)[0] == 2  # never into the input folder


def test_forced_tiling_matches_whole_image(tmp_path, photo, tiny_preset, capsys):
    whole, tiled = tmp_path / "whole.png", tmp_path / "tiled.png"
    assert run(capsys, "upscale", photo, whole, "--preset", tiny_preset, "--tile", "none")[0] == 0
    assert run(capsys, "upscale", photo, tiled, "--preset", tiny_preset, "--tile", "5", "--tile-overlap", "8")[0] == 0
    diff = np.abs(np.asarray(Image.open(whole), int) - np.asarray(Image.open(tiled), int))
    assert diff.max() <= 1


def test_outputs_get_ordinary_file_permissions(tmp_path, photo, tiny_preset, capsys):
    import os

    out = tmp_path / "perm.png"
    assert run(capsys, "upscale", photo, out, "--preset", tiny_preset)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_gif_keeps_frames_and_durations(tmp_path, tiny_preset, capsys):
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (10, 14, 3), dtype=np.uint8)) for _ in range(3)]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[50, 80, 120], loop=0)
    out = tmp_path / "anim_x4.gif"
    code, stdout, err = run(capsys, "upscale", src, out, "--preset", tiny_preset)
    assert code == 0, err
    with Image.open(out) as gif:
        assert gif.size == (56, 40) and gif.n_frames == 3
        durations = []
        for i in range(3):
            gif.seek(i)
            durations.append(gif.info["duration"])
    assert durations == [50, 80, 120]


def _png_claiming_size(path, width, height):
    """A valid 1x1 PNG whose header is rewritten to claim another size."""
    import struct
    import zlib

    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))


def test_header_claiming_50000x50000_is_refused_before_decoding(tmp_path, tiny_preset, capsys):
    src = tmp_path / "bomb.png"
    _png_claiming_size(src, 50000, 50000)
    code, _, err = run(capsys, "upscale", src, tmp_path / "o.png", "--preset", tiny_preset)
    assert code == 2 and "too large" in err and "2500000000 pixels" in err
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    "name,make,size,mode",
    [
        ("one.png", lambda: Image.new("RGB", (1, 1), (200, 30, 10)), (4, 4), "RGB"),
        ("two.png", lambda: Image.new("RGB", (2, 3), (20, 130, 10)), (8, 12), "RGB"),
        ("cmyk.jpg", lambda: Image.new("CMYK", (6, 5), (10, 200, 30, 0)), (24, 20), "RGB"),
        ("grey.png", lambda: Image.new("L", (6, 5), 90), (24, 20), "L"),
        ("rgba.png", lambda: Image.new("RGBA", (6, 5), (10, 20, 30, 128)), (24, 20), "RGBA"),
        ("deep.png", lambda: Image.fromarray(np.full((5, 6), 40000, np.uint16)), (24, 20), "I;16"),
    ],
)
def test_unusual_but_valid_images(tmp_path, tiny_preset, capsys, name, make, size, mode):
    src = tmp_path / name
    make().save(src)
    out = tmp_path / ("out_" + name)
    code, _, err = run(capsys, "upscale", src, out, "--preset", tiny_preset)
    assert code == 0, err
    with Image.open(out) as result:
        assert result.size == size
        assert result.mode == mode


def run_console_script(*args, **env):
    """Run the installed `keras-vsr` with `args`, as from a user's shell
    (no TF_CPP_MIN_LOG_LEVEL), with `env` added."""
    if not CONSOLE_SCRIPT.exists():
        pytest.skip(f"the console script is not installed at {CONSOLE_SCRIPT}")
    clean = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=REPO,
        env={**clean, **env}, timeout=600,
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_backend_option_chooses_the_keras_backend(tmp_path, photo, tiny_preset, where):
    out = tmp_path / "o.png"
    command = ["upscale", photo, out, "--preset", tiny_preset]
    option = ["--backend", OTHER_BACKEND]
    result = run_console_script(*(option + command if where == "before" else command + option), KERAS_BACKEND=BACKEND)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"on {OTHER_BACKEND}" in result.stdout.splitlines()[-1]
    assert not NOISE.search(result.stderr), result.stderr
    assert Image.open(out).size == (64, 48)


def test_no_tensorflow_start_up_noise_on_the_terminal():
    result = run_console_script("presets")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not NOISE.search(result.stderr), result.stderr
    assert "srresnet_b8f48_291photos_x4" in result.stdout


def test_errors_still_show_as_one_line(tmp_path):
    result = run_console_script("upscale", tmp_path / "missing.png", tmp_path / "out.png")
    assert result.returncode == 2
    assert result.stderr == f"keras-vsr: error: {tmp_path / 'missing.png'}: no such file or folder\n"


def test_only_native_log_lines_are_hidden_at_start_up():
    code = """
import os, warnings
from keras_vsr.cli import _native_log_hidden
with _native_log_hidden():
    os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
    os.write(2, b"I0000 00:00:1795886714.164312    7466 port.cc:153] oneDNN custom operations are on.\\n")
    os.write(2, b"E0000 00:00:1795886796.182359    7887 cuda_platform.cc:52] failed call to cuInit\\n")
    warnings.warn("a real warning")
    os.write(2, b"a line of its own\\n")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "UserWarning: a real warning" in lines[0] and lines[-1] == "a line of its own"
    assert not NOISE.search(result.stderr)


@pytest.fixture(scope="module")
def tiny_unet_preset(tmp_path_factory):
    """A saved pre-upsampling (any scale) U-Net SR preset."""
    from keras_vsr.models import UNetSRBackbone

    path = tmp_path_factory.mktemp("presets") / "tiny_unet"
    UNetSRBackbone(filters=(4, 8, 8), convs_per_level=1).save_to_preset(str(path))
    return path


@pytest.mark.parametrize("preset", ["tiny_preset", "tiny_unet_preset"])
@pytest.mark.parametrize("option,value", [("--scale", 2), ("--scale", 1.5), ("--size", (30, 50))])
def test_scale_and_size_give_what_the_task_gives(tmp_path, photo, capsys, request, preset, option, value):
    from keras_vsr.models import SuperResolver

    preset = request.getfixturevalue(preset)
    out = tmp_path / "out.png"
    argument = f"{value[1]}x{value[0]}" if option == "--size" else value
    assert run(capsys, "upscale", photo, out, "--preset", preset, option, argument)[0] == 0
    task = SuperResolver.from_preset(str(preset))
    expected = task.upscale(load_image(photo), **{option.lstrip("-"): value})
    np.testing.assert_array_equal(load_image(out), expected)


@pytest.mark.filterwarnings("ignore:.*written unoptimised")
def test_gif_frames_are_what_the_task_gives(tmp_path, tiny_preset, capsys):
    from keras_vsr.models import SuperResolver

    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (8, 10, 3), dtype=np.uint8)) for _ in range(2)]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[70, 90], loop=0)
    task = SuperResolver.from_preset(str(tiny_preset))
    for option, value, size in [("--scale", 1.5, (15, 12)), ("--size", "16x12", (16, 12))]:
        out = tmp_path / f"out{option}.gif"
        assert run(capsys, "upscale", src, out, "--preset", tiny_preset, option, value)[0] == 0
        info = read_gif_info(out)
        assert (info.size, info.durations, info.loop) == (size, (70, 90), 0)
        kwargs = {"scale": value} if option == "--scale" else {"size": size[::-1]}
        for frame, source in zip(iter_gif_frames(out), iter_gif_frames(src)):
            # At most 256 pixels a frame: the GIF palette keeps every colour.
            np.testing.assert_array_equal(frame[..., :3], task.upscale(source[..., :3], **kwargs))


@pytest.fixture(scope="module")
def grey2rgb_preset(tmp_path_factory):
    from keras_vsr.models import Grey2RGBBackbone

    path = tmp_path_factory.mktemp("presets") / "grey2rgb"
    Grey2RGBBackbone(filters=4, depth=2).save_to_preset(str(path))
    return path


def test_colorize_a_video_frame_by_frame(tmp_path, grey2rgb_preset, capsys):
    import imageio.v2 as imageio

    from keras_vsr.inference.tasks import colorize_fn, load_task
    from keras_vsr.io import iter_video_frames, probe_video

    src = tmp_path / "grey.mp4"
    rng = np.random.default_rng(0)
    base = np.kron(rng.integers(40, 216, (4, 6, 1)), np.ones((8, 8, 3))).astype(np.uint8)
    imageio.mimwrite(src, [np.roll(base, i, axis=1)[4:28, :32] for i in range(6)], fps=10, macro_block_size=1)
    out = tmp_path / "colour.mp4"
    code, stdout, err = run(capsys, "colorize", src, out, "--preset", grey2rgb_preset)
    assert code == 0, err
    info = probe_video(out, count_frames=True)
    assert (info.size, info.frame_count, info.fps) == ((32, 24), 6, 10.0)
    colorize = colorize_fn(load_task(str(grey2rgb_preset), "colorize"))
    for frame, source in zip(iter_video_frames(out), iter_video_frames(src)):
        assert np.abs(frame.astype(int) - colorize(source)).mean() < 8  # H.264 is lossy


def test_upscale_to_a_given_size(tmp_path, photo, tiny_preset, capsys):
    out = tmp_path / "sized.png"
    assert run(capsys, "upscale", photo, out, "--preset", tiny_preset, "--size", "50x30")[0] == 0
    assert Image.open(out).size == (50, 30)
    code, _, err = run(capsys, "upscale", photo, tmp_path / "x.png", "--preset", tiny_preset,
                       "--size", "50x30", "--scale", 2)
    assert code == 2 and "not both" in err
    with pytest.raises(SystemExit):
        main(["upscale", str(photo), str(tmp_path / "y.png"), "--size", "fifty"])


def test_gifs_default_to_the_real_world_preset(tmp_path, photo, tiny_preset, capsys, monkeypatch):
    """Without --preset, GIFs get DEFAULT_GIF_PRESET and images DEFAULT_PRESET;
    --preset applies to every file."""
    import keras_vsr.cli as cli
    from keras_vsr.inference import DEFAULT_GIF_PRESET, DEFAULT_PRESET
    from keras_vsr.inference.tasks import load_task

    loaded = []

    def load_tiny(preset, args):
        loaded.append(preset)
        return load_task(str(tiny_preset), "upscale")

    monkeypatch.setattr(cli, "_load_upscaler", load_tiny)
    src = tmp_path / "inputs"
    src.mkdir()
    Image.open(photo).save(src / "a.png")
    Image.open(photo).save(src / "b.gif")
    Image.open(photo).save(src / "c.gif")
    code, stdout, _ = run(capsys, "upscale", src, tmp_path / "out")
    assert code == 0
    assert loaded == [DEFAULT_PRESET, DEFAULT_GIF_PRESET]  # each loaded once, on first use
    assert f"with {DEFAULT_PRESET}, {DEFAULT_GIF_PRESET} on" in stdout.splitlines()[-1]
    loaded.clear()
    assert run(capsys, "upscale", src, tmp_path / "out2", "--preset", tiny_preset)[0] == 0
    assert loaded == [str(tiny_preset)]
