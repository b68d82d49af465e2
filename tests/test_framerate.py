"""Frame-rate raising of videos and GIFs with a frame interpolator
(here the exact average, so that every in-between frame is known)."""

import warnings

import numpy as np
import pytest
from PIL import Image

from test_video import clips  # noqa: F401  (module fixture)
from keras_vsr.io.framerate import (
    in_between_frames,
    interpolated_video_frames,
    raise_gif_frame_rate,
    raise_video_frame_rate,
)
from keras_vsr.io.gif import iter_gif_frames, read_gif_info
from keras_vsr.io.video import iter_video_frames, probe_video


def average(a, b):
    return ((a.astype(np.uint16) + b) // 2).astype(np.uint8)


def test_recursive_midpoints_are_in_time_order():
    a, b = np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 160, np.uint8)
    assert [int(f[0, 0, 0]) for f in in_between_frames(a, b, average, 4)] == [40, 80, 120]
    assert [int(f[0, 0, 0]) for f in in_between_frames(a, b, average, 8)] == [20, 40, 60, 80, 100, 120, 140]


def test_cuts_and_the_last_frame_are_held_not_blended():
    shot_a = [np.full((4, 4, 3), v, np.uint8) for v in (10, 20)]
    shot_b = [np.full((4, 4, 3), v, np.uint8) for v in (200, 210)]
    stats = {}
    out = list(interpolated_video_frames(shot_a + shot_b, average, 2, stats=stats))
    assert [int(f[0, 0, 0]) for f in out] == [10, 15, 20, 20, 200, 205, 210, 210]
    assert stats == {"cuts": 1}


def test_video_doubles_frames_and_rate_and_keeps_audio(clips):  # noqa: F811
    dst = clips / "fps" / "double.mp4"
    info, cuts = raise_video_frame_rate(clips / "audio.mp4", dst, average, factor=2)
    out = probe_video(dst, count_frames=True)
    assert (out.frame_count, out.fps, out.size) == (20, 20.0, (32, 24))
    assert out.has_audio and cuts == 0
    frames = list(iter_video_frames(dst))
    source = list(iter_video_frames(clips / "audio.mp4"))
    # Frame 1 is the middle of source frames 0 and 1 (H.264 is lossy).
    assert np.abs(frames[1].astype(int) - average(source[0], source[1])).mean() < 4
    assert np.abs(frames[2].astype(int) - source[1]).mean() < 4
    assert [p.name for p in dst.parent.iterdir()] == ["double.mp4"]


def test_video_never_interpolates_across_the_cut(clips):  # noqa: F811
    dst = clips / "fps" / "cut_x2.mp4"
    _, cuts = raise_video_frame_rate(clips / "cut.mp4", dst, average, factor=2)
    frames = list(iter_video_frames(dst))
    assert cuts == 1 and len(frames) == 24
    # Frame 11 follows source frame 5, the last of the first shot: held.
    assert np.abs(frames[11].astype(int) - frames[10]).mean() < 3


def gif(path, frames, durations):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=3)
    return path


def test_gif_splits_durations_and_keeps_loop(tmp_path):
    # Steps of 20 grey levels: under the scene-cut threshold (0.1 * 255).
    frames = [np.full((6, 8, 3), v, np.uint8) for v in (100, 120, 140)]
    src = gif(tmp_path / "a.gif", frames, [100, 80, 70])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gifsicle may be absent
        info, added = raise_gif_frame_rate(src, tmp_path / "b.gif", average, factor=2)
    out = read_gif_info(tmp_path / "b.gif")
    assert added == 2 and out.frame_count == 5 and out.loop == 3
    assert out.durations == (50, 50, 40, 40, 70)
    assert sum(out.durations) == sum(info.durations)
    values = [int(f[0, 0, 0]) for f in iter_gif_frames(tmp_path / "b.gif")]
    assert values == [100, 110, 120, 130, 140]


def test_gif_factor_four_and_too_short_frames(tmp_path):
    frames = [np.full((6, 8, 3), v, np.uint8) for v in (100, 120, 100)]
    src = gif(tmp_path / "a.gif", frames, [100, 40, 100])
    with pytest.warns(UserWarning, match="1 frame"):
        _, added = raise_gif_frame_rate(src, tmp_path / "b.gif", average, factor=4, optimize=False)
    out = read_gif_info(tmp_path / "b.gif")
    # 100 ms -> 30, 30, 20, 20; 40 ms cannot make 4 frames of >= 20 ms.
    assert added == 3 and out.durations == (30, 30, 20, 20, 40, 100)


def test_gif_transparency_is_kept(tmp_path):
    frames = []
    for v in (100, 120):
        rgba = np.full((6, 8, 4), v, np.uint8)
        rgba[..., 3] = 255
        rgba[:, :2, 3] = 0
        frames.append(Image.fromarray(rgba))
    src = tmp_path / "t.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0, disposal=2)
    raise_gif_frame_rate(src, tmp_path / "u.gif", average, optimize=False)
    out = list(iter_gif_frames(tmp_path / "u.gif"))
    assert len(out) == 3 and read_gif_info(tmp_path / "u.gif").has_transparency
    assert (out[1][:, :2, 3] == 0).all() and (out[1][:, 2:, 3] == 255).all()


def test_bad_arguments_and_bad_interpolators_leave_nothing(tmp_path, clips):  # noqa: F811
    src = gif(tmp_path / "a.gif", [np.full((4, 4, 3), v, np.uint8) for v in (0, 10)], [100, 100])
    with pytest.raises(ValueError, match="factor"):
        raise_gif_frame_rate(src, tmp_path / "b.gif", average, factor=3)
    with pytest.raises(ValueError, match="differ"):
        raise_gif_frame_rate(src, src, average)
    with pytest.raises(ValueError, match="middle_fn"):
        raise_gif_frame_rate(src, tmp_path / "b.gif", lambda a, b: a[:2], optimize=False)
    with pytest.raises(ValueError, match="middle_fn"):
        raise_video_frame_rate(clips / "plain.mp4", tmp_path / "v.mp4", lambda a, b: a.astype(float))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]
