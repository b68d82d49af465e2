import itertools
import subprocess
import time
import warnings

import numpy as np
import pytest

from tests.support import SHARED_DATA, needs_data
from keras_vsr.io import ImageReadError
from keras_vsr.io.video import detect_scene_cuts, iter_video_frames, map_video, probe_video

CLIPS = SHARED_DATA / "video" / "clips"


def ffmpeg(*args):
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-y", "-v", "error", *map(str, args)], check=True)


def scene(count, seed, start=0):
    """`count` 24x32 frames of one shot: a smooth random pattern drifting right."""
    rng = np.random.default_rng(seed)
    base = np.kron(rng.integers(40, 216, (4, 6, 3)), np.ones((8, 8, 1)))  # 32 x 48
    return [base[4:28, start + i : start + i + 32].astype(np.uint8) for i in range(count)]


def nearest(scale):
    return lambda frame: np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Generated clips, 32x24 at 10 fps: `plain.mp4` (10 frames),
    `audio.mp4` (the same with a 440 Hz AAC track), `cut.mp4` (a new shot
    at frame 6), `pcm.avi` (MPEG-4 at 24000/1001 fps with PCM audio) and
    `damaged.avi` (20 frames, a stretch overwritten with zeros)."""
    import imageio.v2 as imageio

    folder = tmp_path_factory.mktemp("clips")
    imageio.mimwrite(folder / "plain.mp4", scene(10, 0), fps=10, macro_block_size=1, quality=9)
    ffmpeg("-i", folder / "plain.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", folder / "audio.mp4")
    imageio.mimwrite(folder / "cut.mp4", scene(6, 1) + scene(6, 2, start=8), fps=10, macro_block_size=1, quality=9)
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=24000/1001", "-f", "lavfi", "-i", "sine=duration=1",
           "-t", "1", "-c:v", "mpeg4", "-c:a", "pcm_s16le", folder / "pcm.avi")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=10", "-t", "2", "-c:v", "mpeg4", "-g", "5",
           folder / "whole.avi")
    data = (folder / "whole.avi").read_bytes()
    middle = len(data) // 2
    (folder / "damaged.avi").write_bytes(data[:middle] + bytes(1500) + data[middle + 1500 :])
    return folder


def test_probe(clips):
    info = probe_video(clips / "plain.mp4")
    assert (info.fps, info.size, info.frame_count, info.codec) == (10.0, (32, 24), 10, "h264")
    assert not info.has_audio and info.audio_codec is None
    info = probe_video(clips / "audio.mp4", count_frames=True)
    assert info.frame_count == 10 and info.has_audio and info.audio_codec == "aac"


def test_frames_stream_in_order(clips):
    frames = list(iter_video_frames(clips / "plain.mp4"))
    assert len(frames) == 10
    for frame, want in zip(frames, scene(10, 0)):
        assert frame.shape == (24, 32, 3) and frame.dtype == np.uint8 and frame.flags.writeable
        assert np.abs(frame.astype(int) - want).mean() < 8  # H.264 is lossy


def test_stopping_early_stops_ffmpeg(clips):
    frames = iter_video_frames(clips / "plain.mp4")
    assert next(frames).shape == (24, 32, 3)
    start = time.perf_counter()
    frames.close()
    assert time.perf_counter() - start < 5


def test_map_keeps_fps_frames_and_audio(clips):
    dst = clips / "out" / "big.mp4"
    info = map_video(clips / "audio.mp4", dst, nearest(2))
    assert info.has_audio
    out = probe_video(dst, count_frames=True)
    assert (out.size, out.frame_count, out.fps, out.codec) == ((64, 48), 10, 10.0, "h264")
    assert out.has_audio and out.audio_codec == "aac"
    assert [p.name for p in dst.parent.iterdir()] == ["big.mp4"]  # no temporary file left
    first = next(iter_video_frames(dst))
    assert np.abs(first.astype(int) - nearest(2)(scene(1, 0)[0])).mean() < 8


def test_upscale_with_the_super_resolver(clips, tiny_preset):
    from keras_vsr.models import SuperResolver

    sr = SuperResolver.from_preset(str(tiny_preset))
    dst = clips / "sr.mp4"
    map_video(clips / "plain.mp4", dst, sr.upscale)
    out = probe_video(dst, count_frames=True)
    assert (out.size, out.frame_count, out.fps, out.has_audio) == ((128, 96), 10, 10.0, False)


def test_colourising_with_the_same_map(clips):
    from keras_vsr.inference.tasks import colorize_fn
    from keras_vsr.models import Grey2RGBBackbone, Grey2RGBColorizer

    colorize = colorize_fn(Grey2RGBColorizer(Grey2RGBBackbone(filters=4, depth=2)))
    dst = clips / "colour.mp4"
    info = map_video(clips / "audio.mp4", dst, colorize)
    out = probe_video(dst, count_frames=True)
    assert (out.size, out.frame_count, out.fps, out.audio_codec) == (info.size, 10, 10.0, "aac")
    for frame, source in zip(iter_video_frames(dst), iter_video_frames(clips / "audio.mp4")):
        assert np.abs(frame.astype(int) - colorize(source)).mean() < 8  # H.264 is lossy


def test_odd_sizes_ntsc_rate_and_pcm_audio(clips):
    # PCM audio is encoded to AAC for MP4 players; 23.98 fps is 24000/1001.
    source = probe_video(clips / "pcm.avi", count_frames=True)
    assert source.fps == 23.98 and source.audio_codec == "pcm_s16le"
    dst = clips / "odd.mp4"
    map_video(clips / "pcm.avi", dst, lambda frame: nearest(3)(frame)[:-1, :-1])  # 95 x 71
    out = probe_video(dst, count_frames=True)
    assert out.size == (96, 72) and out.fps == 23.98 and out.frame_count == source.frame_count
    assert out.audio_codec == "aac"


def test_scene_cuts(clips):
    assert detect_scene_cuts(iter_video_frames(clips / "cut.mp4")) == [6]
    assert detect_scene_cuts(iter_video_frames(clips / "plain.mp4")) == []
    frames = scene(3, 0) + [np.zeros((24, 32), np.uint8)]  # grey frames work too
    assert detect_scene_cuts(frames) == [3]
    with pytest.raises(ValueError, match="threshold"):
        detect_scene_cuts(frames, threshold=0)


def user_warnings(record):
    """The UserWarnings in `record`: on JAX, starting a process also warns
    (a RuntimeWarning about os.fork)."""
    return [str(w.message) for w in record if w.category is UserWarning]


def test_damaged_stream_warns_with_the_count(clips):
    with pytest.warns(UserWarning, match="damaged") as record:
        frames = list(iter_video_frames(clips / "damaged.avi"))
    assert 0 < len(frames) <= 20
    (message,) = user_warnings(record)
    assert f"{len(frames)} frames were decoded" in message


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.mp4", b"", "empty"),
        ("text.mp4", b"not a video\n", "not a readable video"),
        ("truncated.mp4", None, "not a readable video"),  # the index (moov) is at the end
        ("missing.mp4", False, "no such file"),
    ],
)
def test_bad_inputs_raise_and_write_nothing(clips, tmp_path, name, content, message):
    src = tmp_path / name
    if content is None:
        content = (clips / "audio.mp4").read_bytes()[:3000]
    if content is not False:
        src.write_bytes(content)
    with pytest.raises(ImageReadError, match=message) as excinfo:
        map_video(src, tmp_path / "out" / "big.mp4", nearest(2))
    assert name in str(excinfo.value)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_bad_arguments(clips, tmp_path):
    with pytest.raises(ValueError, match=r"\.mp4"):
        map_video(clips / "plain.mp4", tmp_path / "big.avi", nearest(2))
    with pytest.raises(ValueError, match="refusing to overwrite the input"):
        map_video(clips / "plain.mp4", clips / "plain.mp4", nearest(2))
    with pytest.raises(ValueError, match=r"uint8 RGB.*\(48, 64\)"):
        map_video(clips / "plain.mp4", tmp_path / "big.mp4", lambda f: nearest(2)(f)[:, :, 0])
    assert list(tmp_path.iterdir()) == []


@needs_data("video", "clips", "Megamind_bugy.avi")
def test_damaged_sample_clip_decodes_in_bounded_time():
    # This file's damage shows in the pictures (flashes of wrong blocks);
    # ffmpeg decodes every frame without reporting an error.
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        count = sum(1 for _ in iter_video_frames(CLIPS / "Megamind_bugy.avi"))
    assert time.perf_counter() - start < 60
    assert count > 0
    damaged = [message for message in user_warnings(record) if "damaged" in message]
    assert not damaged or f"{count} frames were decoded" in damaged[0]


@needs_data("video", "clips", "Megamind.avi")
def test_cuts_in_the_sample_clip():
    # Checked by eye: frames 0-1 are black, the first shot starts at 2, and
    # 98 -> 99 cuts from the woman to the man.
    frames = itertools.islice(iter_video_frames(CLIPS / "Megamind.avi"), 150)
    assert detect_scene_cuts(frames) == [2, 99]
