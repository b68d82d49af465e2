"""Converted PyTorch presets downstream: tiling with each architecture's
default overlap, `keras-vsr upscale` on folders, GIFs and videos, and the
web app's preset list."""

import shutil

import numpy as np
import pytest
from PIL import Image

from keras_vsr.cli import main
from keras_vsr.inference.tasks import build_task
from keras_vsr.io import load_image, read_gif_info
from keras_vsr.models.conversion import convert
from keras_vsr.utils.tiling import default_overlap, upscale_tiled
from tests.support import BACKEND, REFERENCE, REPO, load_tool

# The models compute the same on every backend (tests/test_conversion.py and
# the architectures' own tests); tiling them and the app are checked in one pass.
one_backend = pytest.mark.skipif(BACKEND != "tensorflow", reason="backend-independent; runs in the TensorFlow pass")

CAT = REPO / "keras_vsr" / "assets" / "sample_cat.png"


@pytest.fixture(scope="module")
def cat():
    return load_image(CAT, mode="RGB")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """`case -> preset folder` of the converted reference fixtures, made on demand."""
    folder = tmp_path_factory.mktemp("converted")
    made = {}

    def get(case):
        if case not in made:
            made[case] = convert(REFERENCE / f"{case}.safetensors", folder / case)
        return made[case]

    return get


def max_diff(a, b):
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


@one_backend
def test_default_overlap_tiles_equal_whole_image(converted, cat):
    task = build_task(str(converted("compact_x4")))
    assert (task.backbone.receptive_radius, default_overlap(task.backbone)) == (4, 4)
    image = cat[40:72, 20:68]
    whole = task.upscale(image, tile=None)
    assert max_diff(task.upscale(image, tile=16), whole) <= 1
    assert max_diff(task.upscale(image, tile=16, tile_overlap=0), whole) > 1


@one_backend
def test_tiles_follow_the_pixel_unshuffle_grid(converted, cat):
    task = build_task(str(converted("rrdbnet_x2")))
    backbone = task.backbone
    assert (backbone.receptive_radius, default_overlap(backbone), backbone.size_multiple) == (37.5, 38, 2)
    # 99 columns: the window ending at the border starts at an odd column
    # (99 - (16 + 2 * 38)) unless aligned to the grid; one row of windows.
    image = cat[40:72, 21:120]
    whole = task.upscale(image, tile=None)
    assert max_diff(task.upscale(image, tile=16), whole) <= 1
    unaligned = upscale_tiled(task.predict_on_batch, image, 2, tile=16, overlap=38)
    assert max_diff(unaligned, whole) > 1


@one_backend
def test_seam_error_tool_reports_per_overlap(capsys):
    seam_error = load_tool("seam_error")
    seam_error.main(["--models", "fixture:compact_x4", "--crop", "20x48", "--tile", "16", "--overlaps", "0,2"])
    row = next(line for line in capsys.readouterr().out.splitlines() if "fixture:compact_x4" in line)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    # model, radius, default overlap, overlap 0, overlap 2, default, output std, seconds
    assert cells[1:3] == ["4", "4"] and cells[5] == "0 / 0.000"
    assert int(cells[3].split(" / ")[0]) > 1


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_upscales_a_folder_of_images_and_gifs(tmp_path, converted, cat, capsys):
    src = tmp_path / "inputs"
    src.mkdir()
    Image.fromarray(cat[:12, :14]).save(src / "a.png")
    frames = [Image.fromarray(cat[:10, :8]), Image.fromarray(cat[10:20, :8])]
    frames[0].save(src / "b.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    code, out, err = run_cli(capsys, "upscale", src, tmp_path / "outputs", "--preset", converted("compact_x4"))
    assert code == 0, err
    assert Image.open(tmp_path / "outputs" / "a.png").size == (56, 48)
    info = read_gif_info(tmp_path / "outputs" / "b.gif")
    assert (info.size, info.frame_count) == ((32, 40), 2)


def test_cli_upscales_a_video(tmp_path, converted, capsys):
    pytest.importorskip("imageio_ffmpeg")
    import imageio.v2 as imageio

    from keras_vsr.io.video import probe_video

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (16, 24, 3), dtype=np.uint8) for _ in range(3)]
    imageio.mimwrite(tmp_path / "clip.mp4", frames, fps=10, macro_block_size=1, quality=9)
    dst = tmp_path / "clip_x4.mp4"
    code, _, err = run_cli(capsys, "upscale", tmp_path / "clip.mp4", dst, "--preset", converted("compact_x4"))
    assert code == 0, err
    info = probe_video(dst, count_frames=True)
    assert (info.size, info.frame_count) == ((96, 64), 3)


@one_backend
def test_web_app_offers_and_runs_a_converted_preset(tmp_path, converted, cat):
    pytest.importorskip("gradio", reason="the web app needs gradio (pip install 'keras-vsr[app]')")
    from keras_vsr.app import AppHandlers

    preset = tmp_path / "realesr-tiny-x4"
    shutil.copytree(converted("compact_x4"), preset)
    handlers = AppHandlers([preset], max_pixels=400)
    assert "realesr-tiny-x4" in handlers.presets
    photo = tmp_path / "photo.png"
    Image.fromarray(cat[:12, :16]).save(photo)
    (_, after), _, message = handlers.upscale_image(str(photo), "realesr-tiny-x4", 4)
    expected = build_task(str(preset)).upscale(cat[:12, :16])
    np.testing.assert_array_equal(np.asarray(Image.open(after)), expected)
    assert "16×12 → 64×48" in message
