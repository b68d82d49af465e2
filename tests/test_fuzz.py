"""A CI-sized run of `tools/fuzz.py`: mutated images, GIFs, videos and preset
files through `upscale`, `interpolate` and `colorize` end with exit status 0
or 2 (one line naming the file), within a time limit, leaving no output or
temporary file behind and the input unchanged. The full run (2,000 cases)
is a documented command (README, "Reliability")."""

import random

import pytest

from tests.support import BACKEND, load_tool


def _fuzz():
    return load_tool("fuzz")


def test_mutations_are_deterministic_and_change_the_data():
    fuzz = _fuzz()
    data = bytes(range(256)) * 4
    for kind in fuzz.MUTATIONS:
        first = fuzz.mutate(data, kind, random.Random(7))
        assert first == fuzz.mutate(data, kind, random.Random(7))
        assert first != data or kind == "edit_header"
    assert fuzz.plan(40, seed=3) == fuzz.plan(40, seed=3)
    assert {case[1] for case in fuzz.plan(40, seed=3)} == set(fuzz.COMMANDS)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the CLI's input handling does not depend on the backend")
def test_fuzzed_inputs_end_cleanly(tmp_path):
    fuzz = _fuzz()
    seeds = fuzz.make_seeds(tmp_path / "seeds")
    lines = []
    outcomes, failures = fuzz.run_cases(
        fuzz.plan(16, seed=2026), seeds, tmp_path / "cases", backend=BACKEND, timeout=120, log=lines.append
    )
    assert not failures, "\n".join(lines)
    assert sum(outcomes.values()) == 16 and outcomes["exit 2"] > 0


def test_video_whose_audio_is_damaged_is_written_without_it(tmp_path):
    """Found by the fuzzer: an MP4 whose audio codec tag is damaged."""
    import subprocess

    import imageio_ffmpeg

    from keras_vsr.io.video import map_video, probe_video

    src = tmp_path / "clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "testsrc=size=32x24:rate=10:duration=0.3", "-f", "lavfi", "-i", "sine=duration=0.3",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(src)],
        check=True,
    )
    data = src.read_bytes()
    assert data.count(b"mp4a") == data.count(b"esds") == 1
    src.write_bytes(data.replace(b"mp4a", b"zzzz").replace(b"esds", b"zzzz"))  # an unknown audio codec
    dst = tmp_path / "out.mp4"
    with pytest.warns(UserWarning, match="clip.mp4: the audio could not be carried over"):
        map_video(src, dst, lambda frame: frame)
    info = probe_video(dst)
    assert info.size == (32, 24) and not info.has_audio


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the CLI's input handling does not depend on the backend")
def test_gif_and_video_frames_above_the_pixel_limit_are_refused(tmp_path, tiny_preset, capsys):
    """Found by the fuzzer: a GIF header claiming 65535x255 kept `interpolate` busy for minutes."""
    import imageio.v2 as imageio
    import numpy as np
    from PIL import Image

    from keras_vsr.cli import main
    from keras_vsr.models import FFCInterpolatorBackbone

    interpolator = tmp_path / "ffc"
    FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2, seed=0).save_to_preset(str(interpolator))
    frames = [np.full((12, 16, 3), 40 * i, np.uint8) for i in range(3)]
    images = [Image.fromarray(f) for f in frames]
    images[0].save(tmp_path / "anim.gif", save_all=True, append_images=images[1:], duration=50)
    imageio.mimwrite(tmp_path / "clip.mp4", frames, fps=10, macro_block_size=1)
    for command, preset in (("interpolate", interpolator), ("upscale", tiny_preset)):
        for name in ("anim.gif", "clip.mp4"):
            src, dst = tmp_path / name, tmp_path / "out" / name
            argv = [command, str(src), str(dst), "--preset", str(preset), "--max-pixels", "100", "-q"]
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert err == f"keras-vsr: error: {src}: 16x12 = 192 pixels is above the limit of 100 pixels\n"
            assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
