import io
import re
import shutil
import struct
import subprocess
import warnings
import weakref

import numpy as np
import pytest
from PIL import Image

from keras_vsr.io import ImageReadError
from keras_vsr.io import gif as gif_module
from keras_vsr.io.gif import iter_gif_frames, map_gif, read_gif_info, write_gif_atomic

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
PALETTE = bytes(RED + GREEN + BLUE + WHITE)  # 4 entries: indices 0..3

# Tests that don't look at optimisation accept either outcome of it.
ignore_unoptimised = pytest.mark.filterwarnings("ignore:.*written unoptimised")


def lzw_data(indices, palette):
    """The LZW code size byte and data sub-blocks PIL writes for `indices`."""
    image = Image.new("P", indices.shape[::-1])
    image.putdata(indices.ravel().tolist())
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="GIF", interlace=False, optimize=False)
    data = buffer.getvalue()
    table_end = 13 + (3 << ((data[10] & 7) + 1))
    assert data[table_end : table_end + 1] == b","  # no extension before the image
    return data[table_end + 10 : -1]


def build_gif(path, size, frames, loop=None):
    """Write a GIF block by block: a 4-color global table, then each frame
    as a dict with `indices` (h, w), `left`, `top`, `disposal`, `duration`
    (ms), `transparent` (index or None) and optionally a local `palette`."""
    width, height = size
    out = [b"GIF89a", struct.pack("<HHBBB", width, height, 0x80 | 1, 0, 0), PALETTE]
    if loop is not None:
        out.append(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\0")
    for f in frames:
        transparent = f.get("transparent")
        packed = (f["disposal"] << 2) | (transparent is not None)
        out.append(b"!\xf9\x04" + struct.pack("<BHB", packed, f["duration"] // 10, transparent or 0) + b"\0")
        h, w = f["indices"].shape
        local = f.get("palette")
        flags = 0x80 | ((len(local) // 3).bit_length() - 2) if local else 0
        out.append(b"," + struct.pack("<HHHHB", f["left"], f["top"], w, h, flags) + (local or b""))
        out.append(lzw_data(f["indices"].astype(np.uint8), local or PALETTE))
    out.append(b";")
    path.write_bytes(b"".join(out))
    return path


def composited_gif(tmp_path):
    """A 12x10 GIF whose frames have different sizes, offsets, disposals and
    transparency, and the RGBA frames a browser shows for it."""
    green = np.ones((3, 4), int)
    green[0, 0] = 3  # the transparent index of frame 1: red shows through
    frames = [
        dict(indices=np.zeros((10, 12), int), left=0, top=0, disposal=1, duration=100),
        dict(indices=green, left=2, top=1, disposal=2, duration=200, transparent=3),
        dict(indices=np.ones((5, 5), int), left=6, top=4, disposal=3, duration=300, palette=bytes(BLUE + GREEN)),
        dict(indices=np.zeros((2, 2), int), left=0, top=0, disposal=1, duration=40, palette=bytes(WHITE + RED)),
    ]
    path = build_gif(tmp_path / "composited.gif", (12, 10), frames, loop=2)

    canvas = np.zeros((10, 12, 4), np.uint8)
    canvas[:] = RED + (255,)
    expected = [canvas.copy()]
    canvas[1:4, 2:6] = GREEN + (255,)
    canvas[1, 2] = RED + (255,)
    expected.append(canvas.copy())
    canvas[1:4, 2:6] = 0  # disposal 2: back to transparent
    before = canvas.copy()
    canvas[4:9, 6:11] = GREEN + (255,)  # index 1 of the local table
    expected.append(canvas.copy())
    canvas = before  # disposal 3: back to what was there before
    canvas[0:2, 0:2] = WHITE + (255,)
    expected.append(canvas.copy())
    return path, expected


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    return buffer.getvalue()


def nearest(scale):
    return lambda frame: np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)


def opaque_gif(path, count=3, size=(10, 8), durations=None):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)) for _ in range(count)]
    durations = durations or [60 + 10 * i for i in range(count)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


def test_info_and_composited_frames(tmp_path):
    path, expected = composited_gif(tmp_path)
    info = read_gif_info(path)
    assert info.frame_count == 4 and info.size == (12, 10) and info.loop == 2
    assert info.durations == (100, 200, 300, 40)
    assert info.disposals == (1, 2, 3, 1)
    assert info.has_transparency
    frames = list(iter_gif_frames(path))
    assert len(frames) == 4
    for number, (frame, want) in enumerate(zip(frames, expected)):
        np.testing.assert_array_equal(frame, want, err_msg=f"frame {number}")


def test_frames_match_pil_for_an_opaque_gif(tmp_path):
    # PIL stores only the changed rectangle of later frames (other sizes and
    # offsets); without transparency its compositing is the browsers'.
    path = tmp_path / "delta.gif"
    base = np.zeros((12, 16, 3), np.uint8)
    base[:] = RED
    second = base.copy()
    second[2:5, 3:9] = GREEN
    third = second.copy()
    third[8:11, 10:14] = BLUE
    images = [Image.fromarray(a) for a in (base, second, third)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=[100, 200, 300], loop=0)
    with Image.open(path) as pil:
        pil.seek(2)
        assert pil.tile[0].extents == (10, 8, 14, 11)  # really a smaller frame at an offset
    frames = list(iter_gif_frames(path))
    for frame, want in zip(frames, (base, second, third)):
        np.testing.assert_array_equal(frame[:, :, :3], want)
        assert (frame[:, :, 3] == 255).all()


@ignore_unoptimised
def test_round_trip_keeps_timing_loop_and_transparency(tmp_path):
    src, expected = composited_gif(tmp_path)
    dst = tmp_path / "out" / "big.gif"
    info = map_gif(src, dst, nearest(3))
    assert info == read_gif_info(src)
    out = read_gif_info(dst)
    assert out.frame_count == 4 and out.size == (36, 30)
    assert out.durations == (100, 200, 300, 40) and out.loop == 2 and out.has_transparency
    for frame, want in zip(iter_gif_frames(dst), expected):
        want = nearest(3)(want)
        np.testing.assert_array_equal(frame[:, :, 3], want[:, :, 3])
        shown = want[:, :, 3] == 255
        np.testing.assert_array_equal(frame[shown], want[shown])
    assert sorted(p.name for p in dst.parent.iterdir()) == ["big.gif"]  # no temporary file left


@ignore_unoptimised
def test_round_trip_with_the_super_resolver(tmp_path, tiny_preset):
    from keras_vsr.models import SuperResolver

    sr = SuperResolver.from_preset(str(tiny_preset))
    src, expected = composited_gif(tmp_path)
    dst = tmp_path / "sr.gif"
    map_gif(src, dst, sr.upscale)
    out = read_gif_info(dst)
    assert out.frame_count == 4 and out.size == (48, 40)
    assert out.durations == (100, 200, 300, 40) and out.loop == 2 and out.has_transparency
    frames = list(iter_gif_frames(dst))
    # Frame 1's cleared rectangle (rows 1-3, columns 2-5) is transparent in
    # frame 2; away from its edges, where alpha is interpolated, so is the output.
    assert (frames[2][4:16, 8:24, 3][4:-4, 4:-4] == 0).all()
    assert (frames[0][:, :, 3] == 255).all()


@ignore_unoptimised
def test_colourising_with_the_same_map(tmp_path):
    from keras_vsr.inference.tasks import colorize_fn
    from keras_vsr.models import Grey2RGBBackbone, Grey2RGBColorizer

    colorize = colorize_fn(Grey2RGBColorizer(Grey2RGBBackbone(filters=4, depth=2)))
    src, _ = composited_gif(tmp_path)
    dst = tmp_path / "colour.gif"
    info = map_gif(src, dst, colorize)
    out = read_gif_info(dst)
    assert (out.size, out.durations, out.loop, out.has_transparency) == (info.size, info.durations, 2, True)
    for frame, source in zip(iter_gif_frames(dst), iter_gif_frames(src)):
        want = colorize(source)  # RGBA in, RGB colourised, alpha kept
        np.testing.assert_array_equal(frame[:, :, 3], want[:, :, 3])
        shown = want[:, :, 3] == 255
        np.testing.assert_array_equal(frame[shown], want[shown])  # 120 pixels: no colour lost


@ignore_unoptimised
def test_single_frame_and_opaque_gif(tmp_path):
    src = tmp_path / "one.gif"
    Image.fromarray(np.full((5, 7, 3), 90, np.uint8)).save(src)
    assert read_gif_info(src).frame_count == 1
    seen = []

    def upscale(frame):
        seen.append(frame.shape)
        return nearest(2)(frame)

    map_gif(src, tmp_path / "two.gif", upscale)
    assert seen == [(5, 7, 3)]  # no transparency: RGB frames
    (frame,) = iter_gif_frames(tmp_path / "two.gif")
    assert frame.shape == (10, 14, 4) and (frame == [90, 90, 90, 255]).all()


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.gif", lambda gif: b"", "empty"),
        ("text.gif", lambda gif: b"GIF? no, just text\n", "not a GIF"),
        ("picture.gif", lambda gif: png_bytes(), "not a GIF"),
        ("truncated.gif", lambda gif: gif[: len(gif) * 2 // 3], "truncated"),
        ("header.gif", lambda gif: gif[: 13 + (3 << ((gif[10] & 7) + 1))], "no frames"),
    ],
)
def test_bad_inputs_raise_and_write_nothing(tmp_path, name, content, message):
    good = opaque_gif(tmp_path / "good.gif").read_bytes()
    src = tmp_path / name
    src.write_bytes(content(good))
    out = tmp_path / "out"
    with pytest.raises(ImageReadError, match=message) as excinfo:
        map_gif(src, out / "big.gif", nearest(2))
    assert name in str(excinfo.value)
    assert not out.exists() or not any(out.iterdir())


def test_error_in_the_middle_leaves_no_output(tmp_path):
    src = opaque_gif(tmp_path / "anim.gif", count=4)
    dst = tmp_path / "big.gif"
    dst.write_bytes(b"previous result")

    def upscale(frame):
        upscale.calls += 1
        if upscale.calls == 3:
            raise RuntimeError("model failed")
        return nearest(2)(frame)

    upscale.calls = 0
    with pytest.raises(RuntimeError, match="model failed"):
        map_gif(src, dst, upscale, chunk_size=1)
    assert dst.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", "big.gif"]


def test_wrong_frame_fn_output_is_reported(tmp_path):
    src = opaque_gif(tmp_path / "anim.gif")
    with pytest.raises(ValueError, match="uint8.*frame 0 with dtype float32"):
        map_gif(src, tmp_path / "big.gif", lambda frame: frame.astype(np.float32))
    sizes = iter([2, 2, 3])
    with pytest.raises(ValueError, match=r"size of the first, 16x20.*frame 2 of shape \(24, 30"):
        map_gif(src, tmp_path / "big.gif", lambda frame: nearest(next(sizes))(frame))
    assert not (tmp_path / "big.gif").exists()


@ignore_unoptimised
def test_output_size_comes_from_the_frames_returned(tmp_path):
    src, expected = composited_gif(tmp_path)
    info = map_gif(src, tmp_path / "same.gif", lambda frame: 255 - frame[..., :3])  # RGB results, 12x10
    out = read_gif_info(tmp_path / "same.gif")
    assert out.size == info.size == (12, 10) and out.durations == info.durations and out.loop == info.loop
    frames = list(iter_gif_frames(tmp_path / "same.gif"))
    # The GIF uses transparency, so RGB results are made opaque and keep a transparent index.
    assert out.has_transparency and all((frame[:, :, 3] == 255).all() for frame in frames)
    np.testing.assert_array_equal(frames[0][:, :, :3], 255 - expected[0][:, :, :3])


@ignore_unoptimised
def test_chunks_bound_the_frames_in_memory(tmp_path):
    src = opaque_gif(tmp_path / "long.gif", count=10)
    inputs, outputs, alive = [], [], []

    def upscale(frame):
        inputs.append(weakref.ref(frame))
        alive.append(
            (sum(r() is not None for r in inputs), sum(r() is not None for r in outputs))
        )
        result = nearest(2)(frame)
        outputs.append(weakref.ref(result))
        return result

    map_gif(src, tmp_path / "big.gif", upscale, chunk_size=3)
    assert len(inputs) == 10 and read_gif_info(tmp_path / "big.gif").frame_count == 10
    assert max(n_in for n_in, _ in alive) == 3  # a whole chunk is read, never more
    assert max(n_out for _, n_out in alive) <= 3


@ignore_unoptimised
def test_progress_wraps_the_frames_with_a_length(tmp_path):
    src = opaque_gif(tmp_path / "anim.gif", count=5)
    seen = []

    def progress(frames):
        seen.append(len(frames))
        return frames

    map_gif(src, tmp_path / "big.gif", nearest(2), progress=progress)
    assert seen == [5]


def test_writer_checks_its_input(tmp_path):
    dst = tmp_path / "bad.gif"
    frames = [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8)]
    with pytest.raises(ValueError, match=r"size of the first.*frame 1 of shape \(4, 5, 3\)"):
        write_gif_atomic(frames, dst, durations=100, optimize=False)
    with pytest.raises(ValueError, match="`durations` has 1 entries"):
        write_gif_atomic(frames[:1] * 2, dst, durations=[100], optimize=False)
    with pytest.raises(ValueError, match="empty"):
        write_gif_atomic([], dst, durations=100, optimize=False)
    with pytest.raises(ValueError, match="float32"):
        write_gif_atomic([np.zeros((4, 4, 3), np.float32)], dst, durations=100, optimize=False)
    assert list(tmp_path.iterdir()) == []


def test_writer_keeps_each_frames_colors(tmp_path):
    # 256 colors in each frame, different in each: one shared palette would lose some.
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    zero = np.zeros_like(ramp)
    frames = [np.stack([ramp, zero, zero], -1), np.stack([zero, ramp, 255 - ramp], -1)]
    dst = tmp_path / "colors.gif"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*written unoptimised")
        write_gif_atomic(frames, dst, durations=[70, 80], loop=None)
    info = read_gif_info(dst)
    assert info.durations == (70, 80) and info.loop is None
    for frame, want in zip(iter_gif_frames(dst), frames):
        np.testing.assert_array_equal(frame[:, :, :3], want)


@pytest.mark.skipif(shutil.which("gifsicle") is None, reason="needs the gifsicle program")
def test_gifsicle_optimises_losslessly(tmp_path, monkeypatch):
    src = opaque_gif(tmp_path / "anim.gif", count=4, size=(24, 16))
    calls = []
    real_run = subprocess.run

    def recording_run(cmd, *args, **kwargs):
        calls.append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(gif_module.subprocess, "run", recording_run)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        map_gif(src, tmp_path / "optimised.gif", nearest(2))
    assert len(calls) == 1 and calls[0][0].endswith("gifsicle") and "--optimize=2" in calls[0]
    map_gif(src, tmp_path / "plain.gif", nearest(2), optimize=False)
    for a, b in zip(iter_gif_frames(tmp_path / "optimised.gif"), iter_gif_frames(tmp_path / "plain.gif")):
        np.testing.assert_array_equal(a, b)
    assert read_gif_info(tmp_path / "optimised.gif").durations == read_gif_info(src).durations
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", "optimised.gif", "plain.gif"]


@pytest.mark.parametrize(
    "which,message",
    [(None, "`gifsicle` program is not on PATH"), ("/bin/false", "gifsicle failed \\(exit status 1")],
)
def test_warns_once_when_gifsicle_is_missing_or_fails(tmp_path, monkeypatch, which, message):
    monkeypatch.setattr(shutil, "which", lambda name: which)
    src = opaque_gif(tmp_path / "anim.gif")
    with pytest.warns(UserWarning) as record:
        map_gif(src, tmp_path / "big.gif", nearest(2))
    # On JAX, starting gifsicle also warns (a RuntimeWarning about os.fork).
    (warning,) = [str(w.message) for w in record if w.category is UserWarning]
    assert "big.gif" in warning and "unoptimised" in warning and re.search(message, warning)
    assert read_gif_info(tmp_path / "big.gif").frame_count == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", "big.gif"]


def test_pixel_limit(tmp_path):
    src = opaque_gif(tmp_path / "anim.gif", size=(10, 8))
    with pytest.raises(ImageReadError, match="anim.gif: 10x8 = 80 pixels is above the limit of 79 pixels"):
        read_gif_info(src, max_pixels=79)
    with pytest.raises(ImageReadError, match="above the limit"):
        map_gif(src, tmp_path / "big.gif", nearest(2), max_pixels=79)
    assert read_gif_info(src, max_pixels=80).frame_count == 3
    assert not (tmp_path / "big.gif").exists()
