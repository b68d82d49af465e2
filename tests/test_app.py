"""The web app: its handlers called directly, and requests to a running server."""

import gc
import shutil
import socket
import urllib.error
import urllib.request
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

gr = pytest.importorskip("gradio", reason="the web app needs gradio (pip install 'keras-vsr[app]')")

import httpx  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from keras_vsr.app import AppHandlers, _frame_progress, build_app, launch  # noqa: E402
from keras_vsr.io.video import probe_video  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_png(path, h=12, w=16, seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def write_gif(path, frames=3, h=10, w=14):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for _ in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=[50, 80, 120][:frames], loop=0)
    return path


def write_video(path, frames=5, h=16, w=24):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(frames)]
    imageio.mimwrite(path, images, fps=10, macro_block_size=1, quality=9)
    return path


@pytest.fixture(scope="module")
def handlers(tiny_preset):
    return AppHandlers([tiny_preset], max_pixels=400, max_frames=5)


@pytest.fixture
def photo(tmp_path):
    return write_png(tmp_path / "photo.png")


def test_image_is_upscaled_by_the_model(handlers, photo):
    (before, after), download, message = handlers.upscale_image(str(photo), "tiny_x4", 4)
    assert after == download and after.endswith("photo_x4.png")
    assert Image.open(after).size == (64, 48)
    assert Image.open(before).size == (64, 48)  # the slider compares images of one size
    assert "16×12 → 64×48" in message and "tiny_x4" in message


def test_a_result_folder_removed_while_old_results_are_swept_does_not_fail_the_request(
    handlers, photo, monkeypatch
):
    # Another session's end_session removes its job folder between the sweep's listing and its stat.
    gone = handlers.workdir / "ended_session"
    listing = Path.iterdir

    def iterdir(folder):
        if folder == handlers.workdir:
            yield gone
        yield from listing(folder)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    (_, after), _, _ = handlers.upscale_image(str(photo), "tiny_x4", 4)
    assert Image.open(after).size == (64, 48)


def test_image_at_a_smaller_output_scale(handlers, photo):
    (before, after), _, _ = handlers.upscale_image(str(photo), "tiny_x4", 2.5)
    assert Image.open(after).size == Image.open(before).size == (40, 30)


def test_results_are_what_the_task_gives(handlers, photo, tmp_path):
    from keras_vsr.io import iter_gif_frames, load_image
    from keras_vsr.models import SuperResolver

    task = SuperResolver.from_preset(str(handlers.presets["tiny_x4"]))
    for scale in (2.5, 4):
        (_, after), _, _ = handlers.upscale_image(str(photo), "tiny_x4", scale)
        np.testing.assert_array_equal(load_image(after), task.upscale(load_image(photo), scale=scale))
    src = write_gif(tmp_path / "anim.gif", h=6, w=10)
    shown, _, message = handlers.upscale_gif(str(src), "tiny_x4", 2)
    assert "10×6 → 20×12" in message
    for frame, source in zip(iter_gif_frames(shown), iter_gif_frames(src)):
        # 240 pixels a frame: the GIF palette keeps every colour.
        np.testing.assert_array_equal(frame[..., :3], task.upscale(source[..., :3], scale=2))


def test_self_ensemble_is_the_tasks_self_ensemble(handlers, photo):
    from keras_vsr.io import load_image
    from keras_vsr.models import SuperResolver

    task = SuperResolver.from_preset(str(handlers.presets["tiny_x4"]))
    (_, after), _, message = handlers.upscale_image(str(photo), "tiny_x4", 4, True)
    ensembled = task.upscale(load_image(photo), self_ensemble=True)
    np.testing.assert_array_equal(load_image(after), ensembled)
    assert not np.array_equal(ensembled, task.upscale(load_image(photo)))
    assert "x8 self-ensemble" in message
    assert "self-ensemble" not in handlers.upscale_image(str(photo), "tiny_x4", 4, False)[2]


def test_an_input_the_model_refuses_is_a_one_line_message(handlers, photo, monkeypatch):
    from keras_vsr.models import SuperResolver

    def refuse(self, image, **kwargs):
        raise ValueError("This model takes 240x320 images. Received: 12x16.")

    monkeypatch.setattr(SuperResolver, "upscale", refuse)
    with pytest.raises(gr.Error) as info:
        handlers.upscale_image(str(photo), "tiny_x4", 4, True)
    assert info.value.message == "This model takes 240x320 images. Received: 12x16."


def test_greyscale_and_transparent_images(handlers, tmp_path):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((8, 8), 90, np.uint8)).save(grey)
    rgba = tmp_path / "rgba.png"
    Image.fromarray(np.full((8, 8, 4), 200, np.uint8)).save(rgba)
    assert Image.open(handlers.upscale_image(str(grey), "tiny_x4")[1]).mode == "L"
    result = Image.open(handlers.upscale_image(str(rgba), "tiny_x4")[1])
    assert (result.mode, result.size) == ("RGBA", (32, 32))


def test_too_many_pixels_is_refused_with_a_message(handlers, tmp_path):
    big = write_png(tmp_path / "big.png", h=20, w=21)
    with pytest.raises(gr.Error, match=r"big\.png: 21x20 = 420 pixels is above the limit of 400 pixels"):
        handlers.upscale_image(str(big), "tiny_x4", 4)


@pytest.mark.parametrize(
    "content,message",
    [(b"", "empty"), (b"not an image\n", "not a readable image"), (None, "Upload an image first")],
)
def test_bad_uploads_are_refused_with_a_message(handlers, tmp_path, content, message):
    path = tmp_path / "upload.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(gr.Error, match=message) as info:
        handlers.upscale_image(str(path) if content is not None else None, "tiny_x4", 4)
    assert str(tmp_path) not in str(info.value)  # server folders stay private


def test_unknown_preset_and_bad_scale(handlers, photo):
    with pytest.raises(gr.Error, match="Unknown preset 'nope'. Choose one of: .*tiny_x4"):
        handlers.upscale_image(str(photo), "nope", 4)
    with pytest.raises(gr.Error, match="between 1 and 4"):
        handlers.upscale_image(str(photo), "tiny_x4", 8)


def test_preset_list_is_checked_when_the_app_is_built(tmp_path, tiny_preset):
    with pytest.raises(ValueError, match="has no config.json"):
        AppHandlers([tmp_path])
    twin = tmp_path / "other" / tiny_preset.name
    twin.parent.mkdir()
    shutil.copytree(tiny_preset, twin)
    with pytest.raises(ValueError, match="Two presets are named 'tiny_x4'"):
        AppHandlers([tiny_preset, twin])
    with pytest.raises(ValueError, match="max_pixels must be a positive"):
        AppHandlers([tiny_preset], max_pixels=0)


def test_results_live_in_the_apps_own_folder(tiny_preset, photo):
    handlers = AppHandlers([tiny_preset])
    workdir = handlers.workdir
    (_, after), _, _ = handlers.upscale_image(str(photo), "tiny_x4", 4)
    assert workdir.resolve() in Path(after).resolve().parents
    del handlers
    gc.collect()
    assert not workdir.exists()


def test_model_work_shares_one_worker(tiny_preset):
    demo = build_app([tiny_preset])
    model_fns = [fn for fn in demo.fns.values() if fn.api_name in ("upscale_image", "upscale_gif", "upscale_video")]
    assert len(model_fns) == 3
    assert {(fn.concurrency_limit, fn.concurrency_id) for fn in model_fns} == {(1, "model")}


def test_gif_is_upscaled_frame_by_frame(handlers, tmp_path):
    src = write_gif(tmp_path / "anim.gif")
    shown, download, message = handlers.upscale_gif(str(src), "tiny_x4", 2)
    assert shown == download and shown.endswith("anim_x2.gif")
    with Image.open(shown) as gif:
        assert gif.size == (28, 20) and gif.n_frames == 3
    assert "3 frames" in message


def test_transparent_gif_at_the_models_scale(handlers, tmp_path):
    frames = [Image.new("RGBA", (6, 5), (255, 0, 0, 0)), Image.new("RGBA", (6, 5), (0, 0, 255, 255))]
    src = tmp_path / "clear.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0, disposal=2)
    shown, _, _ = handlers.upscale_gif(str(src), "tiny_x4")
    with Image.open(shown) as gif:
        assert gif.size == (24, 20) and gif.n_frames == 2
        assert "transparency" in gif.info


def test_gif_limits(handlers, tmp_path, photo):
    with pytest.raises(gr.Error, match="photo.png is a PNG image, not a GIF"):
        handlers.upscale_gif(str(photo), "tiny_x4", 4)
    with pytest.raises(gr.Error, match="must be a whole number"):
        handlers.upscale_gif(str(write_gif(tmp_path / "anim.gif")), "tiny_x4", 2.5)
    long = write_gif(tmp_path / "long.gif", frames=3)
    small_limit = AppHandlers([handlers.presets["tiny_x4"]], max_frames=2)
    with pytest.raises(gr.Error, match="long.gif has 3 frames; the limit is 2"):
        small_limit.upscale_gif(str(long), "tiny_x4", 4)
    wide = write_gif(tmp_path / "wide.gif", frames=2, h=20, w=21)
    with pytest.raises(gr.Error, match="wide.gif: 21×20 = 420 pixels per frame is above the limit of 400"):
        handlers.upscale_gif(str(wide), "tiny_x4", 4)


def test_video_is_upscaled_frame_by_frame(handlers, tmp_path):
    src = write_video(tmp_path / "clip.mp4")
    shown, download, message = handlers.upscale_video(str(src), "tiny_x4", 2)
    assert shown == download and shown.endswith("clip_x2.mp4")
    info = probe_video(shown, count_frames=True)
    assert (info.size, info.frame_count, info.codec) == ((48, 32), 5, "h264")
    assert "5 frames, 24×16 → 48×32" in message


def test_video_limits(handlers, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    with pytest.raises(gr.Error, match="notes.mp4: not a readable video") as info:
        handlers.upscale_video(str(text), "tiny_x4", 4)
    assert str(tmp_path) not in str(info.value)
    wide = write_video(tmp_path / "wide.mp4", frames=2, h=20, w=24)
    with pytest.raises(gr.Error, match="wide.mp4: 24×20 = 480 pixels per frame is above the limit of 400"):
        handlers.upscale_video(str(wide), "tiny_x4", 4)
    long = write_video(tmp_path / "long.mp4", frames=8)
    with pytest.raises(gr.Error, match="long.mp4 has about 8 frames; the limit is 5"):
        handlers.upscale_video(str(long), "tiny_x4", 4)


def test_frame_limit_holds_while_frames_are_read():
    track = _frame_progress(gr.Progress(), 3, "clip.mp4")
    with pytest.raises(gr.Error, match="clip.mp4 has more than 3 frames"):
        list(track(iter(range(5))))
    assert list(track(range(3))) == [0, 1, 2]


@pytest.fixture(scope="module")
def server(tiny_preset):
    demo = launch(port=free_port(), presets=[tiny_preset], max_pixels=400, max_file_size=20_000, block=False)
    yield demo
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    return Client(server.local_url, verbose=False)


def test_upload_through_the_api(client, photo):
    slider, download, message = client.predict(handle_file(str(photo)), "tiny_x4", 4, api_name="/upscale_image")
    assert [Image.open(path).size for path in [*slider, download]] == [(64, 48)] * 3
    assert "16×12 → 64×48" in message
    _, _, message = client.predict(handle_file(str(photo)), "tiny_x4", 4, True, api_name="/upscale_image")
    assert "x8 self-ensemble" in message


def test_gif_and_video_through_the_api(client, tmp_path):
    shown, download, _ = client.predict(
        handle_file(str(write_gif(tmp_path / "anim.gif"))), "tiny_x4", 2, api_name="/upscale_gif"
    )
    with Image.open(shown) as gif:
        assert (gif.format, gif.size, gif.n_frames) == ("GIF", (28, 20), 3)
    shown, download, _ = client.predict(
        handle_file(str(write_video(tmp_path / "clip.mp4"))), "tiny_x4", 4, api_name="/upscale_video"
    )
    assert probe_video(download).size == (96, 64)


def test_too_many_pixels_through_the_api(client, tmp_path):
    big = write_png(tmp_path / "big.png", h=20, w=21)
    with pytest.raises(AppError, match="420 pixels is above the limit of 400 pixels"):
        client.predict(handle_file(str(big)), "tiny_x4", 4, api_name="/upscale_image")


def test_uploads_above_max_file_size_are_refused(server, tmp_path):
    noisy = write_png(tmp_path / "noisy.png", h=100, w=100)  # about 30 kB of noise
    assert noisy.stat().st_size > 20_000
    with open(noisy, "rb") as f:
        response = httpx.post(f"{server.local_url}gradio_api/upload", files={"files": f}, timeout=60)
    assert response.status_code == 413


@pytest.mark.parametrize("target", ["/etc/passwd", __file__])
def test_files_outside_the_app_are_not_served(server, target):
    url = f"{server.local_url}gradio_api/file={target}"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=30)
    assert info.value.code in (403, 404)


@pytest.fixture(scope="module")
def with_interpolator(tiny_preset, tmp_path_factory):
    from keras_vsr.models import FFCInterpolatorBackbone

    folder = tmp_path_factory.mktemp("interp") / "ffc"
    FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2, seed=0).save_to_preset(str(folder))
    return AppHandlers([tiny_preset], max_pixels=400, max_frames=5, interpolator=str(folder))


def test_frame_rate_of_gifs_and_videos_is_raised_before_upscaling(with_interpolator, tmp_path):
    # Small steps between frames (not scene cuts), so every pair gets new frames.
    frames = [Image.fromarray(np.full((10, 14, 3), v, np.uint8)) for v in (100, 110, 120)]
    src = tmp_path / "smooth.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    shown, _, message = with_interpolator.upscale_gif(str(src), "tiny_x4", 2, frame_rate=2)
    with Image.open(shown) as gif:
        assert gif.size == (28, 20) and gif.n_frames == 5
    assert "frame rate x2" in message
    video = tmp_path / "smooth.mp4"
    imageio.mimwrite(video, [np.full((16, 24, 3), 100 + 5 * i, np.uint8) for i in range(4)],
                     fps=10, macro_block_size=1, quality=9)
    shown, _, _ = with_interpolator.upscale_video(str(video), "tiny_x4", 2, frame_rate=4)
    info = probe_video(shown, count_frames=True)
    assert (info.frame_count, info.fps, info.size) == (16, 40.0, (48, 32))


def test_frame_rate_needs_an_interpolator(tiny_preset, tmp_path):
    plain = AppHandlers([tiny_preset], interpolator=None)
    with pytest.raises(gr.Error, match="No frame-interpolation preset"):
        plain.upscale_gif(str(write_gif(tmp_path / "a.gif")), "tiny_x4", 2, frame_rate=2)


def test_only_whole_or_any_scale_upscalers_are_offered(photo):
    from keras_vsr.app import _offered_scale
    from keras_vsr.models import list_presets

    assert [_offered_scale(s) for s in (4, 2.0, "any", 1, 1.5, None, True)] == [4, 2, 4, None, None, None, None]
    names = {p["name"]: p for p in list_presets()}
    if "unet_sr_f32_frames291photos_any" not in names:
        pytest.skip("the U-Net preset is not installed")
    handlers = AppHandlers()
    assert handlers.scales["unet_sr_f32_frames291photos_any"] == 4
    assert not {n for n, p in names.items() if p.get("scale") in (1, 1.5, None)} & set(handlers.presets)
    _, download, _ = handlers.upscale_image(str(photo), "unet_sr_f32_frames291photos_any", 1.5)
    assert Image.open(download).size == (24, 18)


def test_frame_rate_choices_are_the_pipelines_factors(with_interpolator, tiny_preset, tmp_path):
    from keras_vsr.io.framerate import FACTORS

    demo = build_app([tiny_preset], interpolator=with_interpolator.interpolator)
    radios = [block for block in demo.blocks.values() if isinstance(block, gr.Radio) and block.label == "Frame rate"]
    assert len(radios) == 2  # the GIF tab and the video tab
    for radio in radios:
        assert [value for _, value in radio.choices] == [1, *FACTORS]
    video = tmp_path / "smooth.mp4"
    imageio.mimwrite(video, [np.full((16, 24, 3), 100 + 5 * i, np.uint8) for i in range(3)],
                     fps=10, macro_block_size=1, quality=9)
    shown, _, message = with_interpolator.upscale_video(str(video), "tiny_x4", 2, frame_rate=8)
    info = probe_video(shown, count_frames=True)
    assert (info.frame_count, info.fps) == (24, 80.0) and "frame rate x8" in message


def test_time_conditioned_interpolator_offers_any_factor(tiny_preset, tmp_path):
    from keras_vsr.app import TIME_CONDITIONED_FACTORS
    from keras_vsr.models import IFNetBackbone

    folder = tmp_path / "ifnet"
    IFNetBackbone(block_filters=(4, 2), head_filters=4, head_outputs=2).save_to_preset(str(folder))
    handlers = AppHandlers([tiny_preset], max_pixels=400, max_frames=5, interpolator=str(folder))
    assert handlers.frame_rate_factors() == TIME_CONDITIONED_FACTORS and 3 in TIME_CONDITIONED_FACTORS
    demo = build_app([tiny_preset], interpolator=str(folder))
    radios = [block for block in demo.blocks.values() if isinstance(block, gr.Radio) and block.label == "Frame rate"]
    assert [[value for _, value in radio.choices] for radio in radios] == [[1, *TIME_CONDITIONED_FACTORS]] * 2
    frames = [Image.fromarray(np.full((10, 14, 3), v, np.uint8)) for v in (100, 110)]
    src = tmp_path / "smooth.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=90, loop=0)
    shown, _, message = handlers.upscale_gif(str(src), "tiny_x4", 2, frame_rate=3)
    with Image.open(shown) as gif:
        assert gif.n_frames == 4  # 2 frames, 2 new between them
    assert "frame rate x3" in message


def test_midpoint_interpolator_refuses_factor_three(with_interpolator, tmp_path):
    with pytest.raises(gr.Error, match="cannot be raised by 3"):
        with_interpolator.upscale_gif(str(write_gif(tmp_path / "a.gif")), "tiny_x4", 2, frame_rate=3)


def test_gif_tab_defaults_to_the_real_world_preset():
    from keras_vsr.inference import DEFAULT_GIF_PRESET, DEFAULT_PRESET
    from keras_vsr.models import list_presets

    if not {DEFAULT_PRESET, DEFAULT_GIF_PRESET} <= {p["name"] for p in list_presets()}:
        pytest.skip("the default presets are not installed")
    demo = build_app()
    dropdowns = [block.value for block in demo.blocks.values() if isinstance(block, gr.Dropdown)]
    assert dropdowns == [DEFAULT_PRESET, DEFAULT_GIF_PRESET, DEFAULT_PRESET]  # image, GIF and video tabs


def test_colour_from_key_frames(tiny_preset, tmp_path):
    from keras_vsr.io.video import iter_video_frames
    from keras_vsr.utils.colour import luma_uint8

    from tests.test_fusion_propagation import moving_clip

    colour = moving_clip(n=6)
    grey = np.repeat(luma_uint8(colour), 3, axis=-1)
    write = lambda path, frames: imageio.mimwrite(path, list(frames), fps=10, macro_block_size=1, quality=10)
    write(tmp_path / "grey.mp4", grey)
    write(tmp_path / "colour.mp4", colour)
    write(tmp_path / "short.mp4", colour[:2])
    handlers = AppHandlers([tiny_preset], max_pixels=2000, max_frames=10, interpolator=None)
    if not handlers.can_colorize:
        pytest.skip("the colouriser preset is not installed")
    shown, _, message = handlers.colorize_video(str(tmp_path / "grey.mp4"), str(tmp_path / "colour.mp4"), 3)
    out = np.stack(list(iter_video_frames(shown)))
    assert out.shape == colour.shape and message.startswith("6 frames coloured from key frames every 3")
    assert np.abs(out.astype("float32") - colour).mean() < 0.5 * np.abs(grey.astype("float32") - colour).mean()
    _, _, message = handlers.colorize_video(str(tmp_path / "grey.mp4"), str(tmp_path / "short.mp4"), 3)
    assert "short.mp4 has 2 frames, fewer than the 4" in message and str(tmp_path) not in message
    with pytest.raises(gr.Error, match="colour video that gives the key frames"):
        handlers.colorize_video(str(tmp_path / "grey.mp4"), None, 3)
    with pytest.raises(gr.Error, match="whole number >= 1"):
        handlers.colorize_video(str(tmp_path / "grey.mp4"), str(tmp_path / "colour.mp4"), 0)
