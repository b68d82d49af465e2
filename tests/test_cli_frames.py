"""`keras-vsr interpolate` and `keras-vsr colorize` with tiny presets."""

import warnings

import numpy as np
import pytest
from PIL import Image

from keras_vsr.cli import main
from keras_vsr.io.gif import iter_gif_frames, read_gif_info
from keras_vsr.io.video import probe_video
from keras_vsr.models import FFCInterpolatorBackbone, Grey2RGBBackbone
from tests.test_video import clips  # noqa: F401  (module fixture)


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frame_presets")
    FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2, seed=0).save_to_preset(
        str(folder / "ffc")
    )
    Grey2RGBBackbone(filters=4, depth=2).save_to_preset(str(folder / "grey2rgb"))
    return folder


def run(capsys, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gifsicle may be absent
        code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def small_gif(path):
    images = [Image.fromarray(np.full((8, 12, 3), v, np.uint8)) for v in (100, 115, 130)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0)
    return path


def test_interpolate_a_gif(tmp_path, presets, capsys):
    out = tmp_path / "out.gif"
    code, stdout, _ = run(capsys, "interpolate", small_gif(tmp_path / "in.gif"), out, "--preset", presets / "ffc")
    assert code == 0, stdout
    info = read_gif_info(out)
    assert info.frame_count == 5 and info.durations == (50, 50, 50, 50, 100)
    assert "2 frames added" in stdout and "interpolated 1 of 1" in stdout


def test_interpolate_a_video_by_four(tmp_path, presets, clips, capsys):  # noqa: F811
    out = tmp_path / "out.mp4"
    code, stdout, err = run(capsys, "interpolate", clips / "plain.mp4", out, "--preset", presets / "ffc", "--factor", 4)
    assert code == 0, err
    info = probe_video(out, count_frames=True)
    assert (info.frame_count, info.fps) == (40, 40.0)


def test_interpolate_refuses_images_and_other_presets(tmp_path, presets, tiny_preset, capsys):
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    code, _, err = run(capsys, "interpolate", image, tmp_path / "b.png", "--preset", presets / "ffc")
    assert code == 2 and "takes gif or video files" in err
    code, _, err = run(capsys, "interpolate", small_gif(tmp_path / "in.gif"), tmp_path / "o.gif",
                       "--preset", tiny_preset)
    assert code == 2 and "not to interpolate" in err and "Traceback" not in err
    assert not (tmp_path / "o.gif").exists()


def test_colorize_images_and_gifs(tmp_path, presets, capsys):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (10, 14), dtype=np.uint8)).save(grey)
    out = tmp_path / "colour.png"
    code, stdout, _ = run(capsys, "colorize", grey, out, "--preset", presets / "grey2rgb")
    assert code == 0
    result = np.asarray(Image.open(out))
    assert result.shape == (10, 14, 3)
    gif_out = tmp_path / "colour.gif"
    assert run(capsys, "colorize", small_gif(tmp_path / "in.gif"), gif_out, "--preset", presets / "grey2rgb")[0] == 0
    frames = list(iter_gif_frames(gif_out))
    assert len(frames) == 3 and frames[0].shape == (8, 12, 4)


def test_colorize_refuses_an_upscaler(tmp_path, tiny_preset, capsys):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(grey)
    code, _, err = run(capsys, "colorize", grey, tmp_path / "c.png", "--preset", tiny_preset)
    assert code == 2 and "not to colorize" in err


def test_warnings_are_one_line(tmp_path, presets, capsys):
    src = small_gif(tmp_path / "in.gif")  # 100 ms frames: too short to split in 8 parts of >= 20 ms
    code = main(["interpolate", str(src), str(tmp_path / "out.gif"), "--preset", str(presets / "ffc"), "--factor", "8"])
    _, err = capsys.readouterr()
    assert code == 0
    assert [line for line in err.splitlines() if "in-between" in line] == [
        f"keras-vsr: warning: {src}: 2 frame(s) shorter than 160 ms were kept without in-between frames "
        "(GIF frames under 20 ms play slowly)."
    ]
    assert "UserWarning" not in err and "raise_gif_frame_rate" not in err
