import numpy as np
import pytest
from PIL import Image

from keras_vsr.cli import main


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


def test_evaluate_prints_preset_and_bicubic(tmp_path, tiny_preset, capsys):
    rng = np.random.default_rng(0)
    (tmp_path / "set" / "HR").mkdir(parents=True)
    for i in range(2):
        image = np.kron(rng.random((6, 6, 3)), np.ones((8, 8, 1))) * 255
        Image.fromarray(image.astype(np.uint8)).save(tmp_path / "set" / "HR" / f"im{i}.png")
    code, out, err = run(capsys, "evaluate", "--preset", tiny_preset, "--data", tmp_path / "set" / "HR")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split() == ["image", "PSNR", "SSIM", "bic", "PSNR", "bic", "SSIM"]
    assert [line.split()[0] for line in lines[2:5]] == ["im0", "im1", "mean"]


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


def test_backend_option_chooses_the_keras_backend(tmp_path, photo, tiny_preset):
    import subprocess
    import sys

    from tests.support import REPO

    out = tmp_path / "o.png"
    result = subprocess.run(
        [sys.executable, "-m", "keras_vsr.cli", "--backend", "jax", "upscale", str(photo), str(out), "--preset", str(tiny_preset)],
        capture_output=True, text=True, cwd=REPO, env={**__import__("os").environ, "KERAS_BACKEND": "torch"}, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "on jax" in result.stdout.splitlines()[-1]
    assert Image.open(out).size == (64, 48)


def test_upscale_to_a_given_size(tmp_path, photo, tiny_preset, capsys):
    out = tmp_path / "sized.png"
    assert run(capsys, "upscale", photo, out, "--preset", tiny_preset, "--size", "50x30")[0] == 0
    assert Image.open(out).size == (50, 30)
    code, _, err = run(capsys, "upscale", photo, tmp_path / "x.png", "--preset", tiny_preset,
                       "--size", "50x30", "--scale", 2)
    assert code == 2 and "not both" in err
    with pytest.raises(SystemExit):
        main(["upscale", str(photo), str(tmp_path / "y.png"), "--size", "fifty"])
