"""The frame-rate pipeline (`keras_vsr.io.framerate`): clips, videos and GIFs,
with a frame interpolator that is the exact average, so that every
in-between frame is known."""

import warnings

import numpy as np
import pytest
from PIL import Image

from tests.support import AverageInterpolator
from tests.test_video import clips  # noqa: F401  (module fixture)
from keras_vsr.io import framerate
from keras_vsr.io.framerate import (
    in_between_frames,
    raise_frame_rate,
    raise_gif_frame_rate,
    raise_video_frame_rate,
)
from keras_vsr.io.gif import iter_gif_frames, read_gif_info
from keras_vsr.io.video import iter_video_frames, probe_video


def flat(values, shape=(4, 4, 3)):
    """One uniform uint8 frame per value."""
    return [np.full(shape, v, np.uint8) for v in values]


def levels(frames):
    return [int(f[0, 0, 0]) for f in frames]


def test_recursive_midpoints_are_in_time_order_and_batched():
    model = AverageInterpolator()
    a, b = flat([0, 0]), flat([160, 80])
    assert [levels(f) for f in in_between_frames(model, a, b, 4)] == [[40, 80, 120], [20, 40, 60]]
    assert levels(in_between_frames(model, a[:1], b[:1], 8)[0]) == [20, 40, 60, 80, 100, 120, 140]
    model = AverageInterpolator()
    in_between_frames(model, flat([0] * 5), flat([160] * 5), 4, batch_size=4)
    # Two levels: 5 middles, then 10 quarter frames, four pairs per call.
    assert model.batches == [4, 1, 4, 4, 2]


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_clip_frame_count_and_the_source_frames_in_place(factor):
    frames = flat([0, 64, 128, 192])
    out = list(raise_frame_rate(frames, AverageInterpolator(), factor))
    assert len(out) == 3 * factor + 1
    assert levels(out) == list(np.arange(3 * factor + 1) * 64 // factor)
    assert levels(out[::factor]) == [0, 64, 128, 192]


def test_cuts_hold_the_frame_before_and_only_videos_hold_the_last():
    frames = flat([10, 20, 200, 210])
    expected = [10, 15, 20, 20, 200, 205, 210]
    for cuts in ("auto", [2], np.array([2])):
        assert levels(raise_frame_rate(frames, AverageInterpolator(), 2, scene_cuts=cuts)) == expected
    assert levels(raise_frame_rate(frames, AverageInterpolator(), 2)) == [10, 15, 20, 110, 200, 205, 210]
    out = levels(raise_frame_rate(frames, AverageInterpolator(), 4, scene_cuts=[2]))
    assert out[4:9] == [20, 20, 20, 20, 200]


def test_clips_stream_in_chunks_and_keep_the_frame_layout():
    pulled = []

    def reader():
        for i, frame in enumerate(flat(range(0, 160, 8), shape=(3, 5))):
            pulled.append(i)
            yield frame

    model = AverageInterpolator()
    stream = raise_frame_rate(reader(), model, 2, chunk_size=3, batch_size=2)
    first = next(stream)
    assert first.shape == (3, 5) and len(pulled) <= 4  # only one chunk read so far
    assert len(list(stream)) + 1 == 39 and len(pulled) == 20
    assert max(model.batches) <= 2


def test_bad_clips_and_arguments():
    model = AverageInterpolator()
    with pytest.raises(ValueError, match="at least two frames. Received 1"):
        list(raise_frame_rate(flat([0]), model))
    with pytest.raises(ValueError, match="at least two frames. Received none"):
        list(raise_frame_rate([], model))
    with pytest.raises(ValueError, match=r"size of the first, 4x4 \(h x w\). Received frame 2 of shape \(4, 5, 3\)"):
        list(raise_frame_rate(flat([0, 1]) + [np.zeros((4, 5, 3), np.uint8)], model, chunk_size=1))
    with pytest.raises(ValueError, match="channels of the first, 3. Received frame 1"):
        list(raise_frame_rate(flat([0]) + [np.zeros((4, 4), np.uint8)], model))
    with pytest.raises(ValueError, match="uint8 arrays. Received frame 0 with dtype float32"):
        list(raise_frame_rate(np.zeros((3, 4, 4), np.float32), model))
    with pytest.raises(ValueError, match=r"\(h, w, 3\). Received frame 0 with shape \(4, 4, 4\)"):
        list(raise_frame_rate(np.zeros((3, 4, 4, 4), np.uint8), model))
    with pytest.raises(ValueError, match=r"array of shape \(3, 4\)"):
        raise_frame_rate(np.zeros((3, 4), np.uint8), model)
    with pytest.raises(ValueError, match=r"`factor` must be one of \(2, 4, 8\). Received: factor=3"):
        raise_frame_rate(flat([0, 1]), model, factor=3)
    with pytest.raises(ValueError, match="scene_cuts"):
        raise_frame_rate(flat([0, 1]), model, scene_cuts="sometimes")
    with pytest.raises(ValueError, match="`scene_threshold` must be a number in"):
        raise_frame_rate(flat([0, 1]), model, scene_cuts="auto", scene_threshold=0)
    with pytest.raises(ValueError, match="scene_cuts"):
        raise_frame_rate(flat([0, 1]), model, scene_cuts="12")
    with pytest.raises(ValueError, match="batch_size"):
        raise_frame_rate(flat([0, 1]), model, batch_size=0)
    with pytest.raises(ValueError, match="predict_middle"):
        raise_frame_rate(flat([0, 1]), object())
    wrong = AverageInterpolator()
    wrong.predict_middle = lambda a, b: a[..., :1]
    with pytest.raises(ValueError, match=r"shaped like its inputs, \(1, 4, 4, 3\). Received shape \(1, 4, 4, 1\)"):
        list(raise_frame_rate(flat([0, 1]), wrong))


def test_video_doubles_frames_and_rate_and_keeps_audio(clips):  # noqa: F811
    dst = clips / "fps" / "double.mp4"
    info, cuts = raise_video_frame_rate(clips / "audio.mp4", dst, AverageInterpolator(), factor=2)
    out = probe_video(dst, count_frames=True)
    assert (out.frame_count, out.fps, out.size) == (20, 20.0, (32, 24))
    assert out.has_audio and cuts == 0
    frames = list(iter_video_frames(dst))
    source = list(iter_video_frames(clips / "audio.mp4"))
    # Frame 1 is the middle of source frames 0 and 1 (H.264 is lossy).
    middle = (source[0].astype(int) + source[1]) / 2
    assert np.abs(frames[1].astype(int) - middle).mean() < 4
    assert np.abs(frames[2].astype(int) - source[1]).mean() < 4
    assert [p.name for p in dst.parent.iterdir()] == ["double.mp4"]


def test_video_never_interpolates_across_the_cut(clips):  # noqa: F811
    dst = clips / "fps" / "cut_x2.mp4"
    _, cuts = raise_video_frame_rate(clips / "cut.mp4", dst, AverageInterpolator(), factor=2)
    frames = list(iter_video_frames(dst))
    assert cuts == 1 and len(frames) == 24
    # Frame 11 follows source frame 5, the last of the first shot: held.
    assert np.abs(frames[11].astype(int) - frames[10]).mean() < 3


@pytest.mark.parametrize("factor", [2, 8])
def test_video_writer_gets_the_clip_frames_and_the_last_held(clips, monkeypatch, factor):  # noqa: F811
    written = []
    monkeypatch.setattr(framerate, "write_video_atomic", lambda frames, *args: written.extend(frames))
    _, cuts = raise_video_frame_rate(clips / "cut.mp4", clips / "unused.mp4", AverageInterpolator(), factor)
    source = list(iter_video_frames(clips / "cut.mp4"))
    clip = list(raise_frame_rate(source, AverageInterpolator(), factor, scene_cuts="auto"))
    assert cuts == 1 and len(written) == len(source) * factor
    np.testing.assert_array_equal(np.stack(written[: len(clip)]), np.stack(clip))
    for held in written[len(clip) :]:
        np.testing.assert_array_equal(held, source[-1])
    # The cut: the slots after source frame 5 hold it.
    for held in written[5 * factor : 6 * factor]:
        np.testing.assert_array_equal(held, source[5])


def gif(path, frames, durations):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=3)
    return path


def test_gif_frames_are_the_clip_frames_held_by_their_durations(tmp_path):
    """Every GIF frame shown for `k` slots of `duration / factor` gives the
    video's frames: the same in-between frames, cut and end held."""
    factor = 4
    values = [100, 120, 140, 20, 40]  # steps of 20 grey levels, a cut before 20
    src = gif(tmp_path / "a.gif", flat(values, (6, 8, 3)), [80] * len(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gifsicle may be absent
        _, added = raise_gif_frame_rate(src, tmp_path / "b.gif", AverageInterpolator(), factor)
    out = read_gif_info(tmp_path / "b.gif")
    shown = []
    for frame, duration in zip(iter_gif_frames(tmp_path / "b.gif"), out.durations):
        shown += [int(frame[0, 0, 0])] * (duration // (80 // factor))
    clip = levels(raise_frame_rate(flat(values), AverageInterpolator(), factor, scene_cuts="auto"))
    assert added == 3 * (factor - 1)
    assert shown == clip + [40] * (factor - 1)
    assert shown[8:13] == [140, 140, 140, 140, 20]


def test_gif_splits_durations_and_keeps_loop(tmp_path):
    # Steps of 20 grey levels: under the scene-cut threshold (0.1 * 255).
    frames = flat([100, 120, 140], (6, 8, 3))
    src = gif(tmp_path / "a.gif", frames, [100, 80, 70])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gifsicle may be absent
        info, added = raise_gif_frame_rate(src, tmp_path / "b.gif", AverageInterpolator(), factor=2)
    out = read_gif_info(tmp_path / "b.gif")
    assert added == 2 and out.frame_count == 5 and out.loop == 3
    assert out.durations == (50, 50, 40, 40, 70)
    assert sum(out.durations) == sum(info.durations)
    assert levels(iter_gif_frames(tmp_path / "b.gif")) == [100, 110, 120, 130, 140]


def test_gif_factor_four_and_too_short_frames(tmp_path):
    src = gif(tmp_path / "a.gif", flat([100, 120, 100], (6, 8, 3)), [100, 40, 100])
    model = AverageInterpolator()
    with pytest.warns(UserWarning, match="1 frame"):
        _, added = raise_gif_frame_rate(src, tmp_path / "b.gif", model, factor=4, optimize=False)
    out = read_gif_info(tmp_path / "b.gif")
    # 100 ms -> 30, 30, 20, 20; 40 ms cannot make 4 frames of >= 20 ms.
    assert added == 3 and out.durations == (30, 30, 20, 20, 40, 100)
    assert sum(model.batches) == 3  # the too-short pair is not interpolated


def test_gif_transparency_is_kept(tmp_path):
    frames = []
    for v in (100, 120):
        rgba = np.full((6, 8, 4), v, np.uint8)
        rgba[..., 3] = 255
        rgba[:, :2, 3] = 0
        frames.append(Image.fromarray(rgba))
    src = tmp_path / "t.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0, disposal=2)
    raise_gif_frame_rate(src, tmp_path / "u.gif", AverageInterpolator(), optimize=False)
    out = list(iter_gif_frames(tmp_path / "u.gif"))
    assert len(out) == 3 and read_gif_info(tmp_path / "u.gif").has_transparency
    assert (out[1][:, :2, 3] == 0).all() and (out[1][:, 2:, 3] == 255).all()


def test_bad_arguments_and_bad_interpolators_leave_nothing(tmp_path, clips):  # noqa: F811
    src = gif(tmp_path / "a.gif", flat([0, 10]), [100, 100])
    model = AverageInterpolator()
    with pytest.raises(ValueError, match="factor"):
        raise_gif_frame_rate(src, tmp_path / "b.gif", model, factor=3)
    with pytest.raises(ValueError, match="differ"):
        raise_gif_frame_rate(src, src, model)
    with pytest.raises(ValueError, match="predict_middle"):
        raise_gif_frame_rate(src, tmp_path / "b.gif", lambda a, b: a)
    wrong = AverageInterpolator()
    wrong.predict_middle = lambda a, b: a[:, :2]
    with pytest.raises(ValueError, match="predict_middle"):
        raise_gif_frame_rate(src, tmp_path / "b.gif", wrong, optimize=False)
    with pytest.raises(ValueError, match="predict_middle"):
        raise_video_frame_rate(clips / "plain.mp4", tmp_path / "v.mp4", wrong)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]
