"""The keras-vsr web app: upscale an image, a GIF or a video in the browser.

    from keras_vsr.app import launch
    launch()                                    # http://127.0.0.1:7860
    launch(presets=["path/to/preset_folder"], max_pixels=2_000_000)

The page offers every built-in super-resolution preset plus any preset
folders passed in. All model work, from every tab, goes through one queue
with a single worker, so visitors wait their turn instead of running several
models at once. Uploads are limited in bytes (`max_file_size`), in pixels per
image or frame (`max_pixels`) and in frames (`max_frames`). Results are
written to a temporary folder owned by the app, inside Gradio's own upload
folder so that Gradio serves them without copying them; the server hands out
those results and the visitors' own uploads, and no other file
(`allowed_paths` stays empty).

A request whose visitor leaves (closes the tab, disconnects, cancels) stops
at its next frame and frees the model for the next one. When a visitor's
session ends, its uploads and results are deleted; anything left over (an
upload never submitted, a session that never ended) is deleted after
`RESULT_LIFETIME` seconds.

Needs Gradio (`pip install "keras-vsr[app]"`).
"""

import contextlib
import functools
import json
import re
import shutil
import tempfile
import threading
import time
import warnings
import weakref
from pathlib import Path

import numpy as np

try:
    import gradio as gr
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError('The keras-vsr web app needs Gradio: pip install "keras-vsr[app]"') from e

from keras_vsr.inference import DEFAULT_GIF_PRESET, DEFAULT_PRESET, load_super_resolver
from keras_vsr.inference.tasks import (
    DEFAULT_COLORIZER_PRESET,
    DEFAULT_FUSION_PRESET,
    DEFAULT_INTERPOLATOR_PRESET,
    load_task,
)
from keras_vsr.utils.precision import check_precision
from keras_vsr.io import ImageReadError, load_image, save_image_atomic
from keras_vsr.models import list_presets
from keras_vsr.presets import check_preset
from keras_vsr.presets.registry import CONFIG_FILE

# Largest image, or GIF/video frame, accepted by the app, in pixels.
DEFAULT_MAX_PIXELS = 1_000_000
# Most frames accepted in one GIF or video.
DEFAULT_MAX_FRAMES = 300
# Largest upload, in Gradio's notation (bytes as an int, or "20mb").
DEFAULT_MAX_FILE_SIZE = "20mb"
# Most requests waiting in the queue; later ones are told the queue is full.
DEFAULT_MAX_QUEUE = 20
# Seconds a result (and an upload) is kept before it is deleted.
RESULT_LIFETIME = 3600
# Events that share this concurrency id share one worker.
MODEL_QUEUE = "model"
# Frame-rate factors offered with a time-conditioned interpolator (the API
# takes any integer >= 2 for one; midpoint-only models take `FACTORS`).
TIME_CONDITIONED_FACTORS = (2, 3, 4, 6, 8)


class RequestError(gr.Error):
    """A request the app refuses: shown to the visitor, not logged as a traceback."""

    def __init__(self, message):
        super().__init__(message, print_exception=False)


def request_abandoned():
    """Whether the Gradio event this handler runs for was given up: its
    visitor disconnected or closed the session (Gradio marks the event dead
    or closed) or cancelled it (Gradio drops it from its running jobs). False
    outside a served event.

    Gradio cannot stop a handler running in a worker thread; the handlers
    call this between frames and stop themselves. It reads the state of
    Gradio's queue (`Blocks._queue`), which Gradio offers no public call for.
    """
    from gradio.context import LocalContext

    blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
    running = getattr(getattr(blocks, "_queue", None), "active_jobs", None)
    if running is None or event_id is None:
        return False
    events = [event for job in list(running) if job for event in job if event._id == event_id]
    return not events or not events[0].alive or events[0].closed


class AppHandlers:
    """The event handlers behind the app's tabs, callable without a server.

    Each handler takes the uploaded file's path, a preset key (a name shown
    in the preset menu) and, for images and GIFs, an output scale; it
    returns what the tab shows and raises `RequestError` (a `gr.Error`)
    with a message for the visitor when the input is refused or cannot be
    read.

    Args:
        presets: extra presets, as local folders (or built-in names); they
            are listed after the built-in super-resolution presets under
            their folder name.
        max_pixels: largest accepted image or GIF/video frame, in pixels.
        max_frames: most frames accepted in one GIF or video (before any
            frame-rate raising).
        interpolator: frame-interpolation preset used to raise the frame
            rate of GIFs and videos, or None to offer no frame-rate choice.
            Default `DEFAULT_INTERPOLATOR_PRESET` when it is installed.
        precision: "float32" (default), "bfloat16" or "float16", the compute
            type the models are built with (a ValueError for anything else).

    Results go to `self.workdir`, a new temporary folder inside Gradio's
    upload folder, deleted when this object is garbage collected or Python
    exits. Handlers called by a served app also take Gradio's `request`:
    the session's uploads and results are deleted by `end_session`, and
    GIFs and videos stop between frames once `request_abandoned()`. One
    handler at a time runs a model, even when Gradio has already handed the
    worker of a cancelled request to the next one.
    """

    def __init__(self, presets=None, max_pixels=DEFAULT_MAX_PIXELS, max_frames=DEFAULT_MAX_FRAMES, interpolator="auto",
                 precision="float32"):
        if max_pixels is None or max_pixels <= 0:
            raise ValueError(f"max_pixels must be a positive number of pixels. Received: {max_pixels!r}")
        if max_frames is None or max_frames <= 0:
            raise ValueError(f"max_frames must be a positive number of frames. Received: {max_frames!r}")
        self.presets, self.scales = _collect_presets(presets or [])
        self.max_pixels = int(max_pixels)
        self.max_frames = int(max_frames)
        if interpolator == "auto":
            installed = {p["name"] for p in list_presets()}
            interpolator = DEFAULT_INTERPOLATOR_PRESET if DEFAULT_INTERPOLATOR_PRESET in installed else None
        self.interpolator = interpolator
        self.precision = check_precision(precision)
        uploads = Path(gr.utils.get_upload_folder())
        uploads.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="keras-vsr-app-", dir=uploads))
        weakref.finalize(self, shutil.rmtree, self.workdir, ignore_errors=True)
        self._model_lock = threading.Lock()
        self._sessions_lock = threading.Lock()
        self._session_files = {}  # session hash -> the uploads and job folders it used

    @property
    def default_preset(self):
        """`DEFAULT_PRESET` when it is installed, else the first preset."""
        return DEFAULT_PRESET if DEFAULT_PRESET in self.presets else next(iter(self.presets))

    @property
    def can_colorize(self):
        """Whether the colouriser preset of `colorize_video` is installed."""
        return DEFAULT_COLORIZER_PRESET in {p["name"] for p in list_presets()}

    @property
    def default_gif_preset(self):
        """`DEFAULT_GIF_PRESET` (trained on palette and dithering damage)
        when it is installed, else `default_preset`."""
        return DEFAULT_GIF_PRESET if DEFAULT_GIF_PRESET in self.presets else self.default_preset

    def frame_rate_factors(self):
        """The frame-rate factors offered: none without an interpolator,
        `TIME_CONDITIONED_FACTORS` for one that makes frames at any time
        (RIFE / IFNet), else the midpoint pipeline's `FACTORS`."""
        from keras_vsr.io.framerate import FACTORS, is_time_conditioned

        if self.interpolator is None:
            return ()
        return TIME_CONDITIONED_FACTORS if is_time_conditioned(self._interpolator()) else FACTORS

    def _interpolator(self):
        try:
            return load_task(self.interpolator, "interpolate", self.precision)
        except (ValueError, OSError) as e:
            raise gr.Error(f"Cannot load the interpolator {self.interpolator!r}: {e}") from e

    def upscale_image(self, path, preset, scale=None, self_ensemble=False, request: gr.Request = None):
        """Upscale the image file at `path`.

        Args:
            path: the uploaded image file.
            preset: a key of `self.presets`.
            scale: output scale, from 1 to the model's scale (default),
                passed to `SuperResolver.upscale`.
            self_ensemble: bool, average the model's outputs over the eight
                flips and rotations of the image (`SuperResolver.upscale`'s
                `self_ensemble`): eight times the time. Default False.
            request: Gradio's request (its session owns the upload and the
                result), or None.

        Returns:
            `((before_png, after_png), after_png, message)`: `before_png`
            is the input enlarged with bicubic interpolation to the size of
            the result, for the before/after slider.
        """
        if not path:
            raise RequestError("Upload an image first.")
        self._own(request, path)
        scale = self._check_scale(scale, preset)
        try:
            image = load_image(path, max_pixels=self.max_pixels)
        except ImageReadError as e:
            raise RequestError(_without_folder(str(e), path)) from e
        model = self._model(preset)
        with self._model_lock:
            start = time.perf_counter()
            try:
                result = model.upscale(image, scale=scale, self_ensemble=bool(self_ensemble))
            except ValueError as e:  # an image or option the model cannot take, said in one line
                raise RequestError(str(e)) from e
            seconds = time.perf_counter() - start

        job = self._new_job_folder(request)
        name = _safe_stem(path, "image")
        after = job / f"{name}_x{scale:g}.png"
        save_image_atomic(result, after)
        before = job / f"{name}_input.png"
        save_image_atomic(_enlarge(image, result.shape[:2]), before)
        message = (
            f"{image.shape[1]}×{image.shape[0]} → {result.shape[1]}×{result.shape[0]} "
            f"with `{preset}`{' (x8 self-ensemble)' if self_ensemble else ''} in {seconds:.1f} s"
        )
        return (str(before), str(after)), str(after), message

    def upscale_gif(self, path, preset, scale=None, frame_rate=1, progress=gr.Progress(), request: gr.Request = None):
        """Upscale every frame of the GIF at `path`, keeping its timing.

        Args:
            path: the uploaded GIF.
            preset: a key of `self.presets`.
            scale: output scale, a whole number from 1 to the model's
                scale; see `upscale_image`.
            frame_rate: 1, 2, 4 or 8: frames per source frame, the new ones
                made by `self.interpolator` before upscaling (durations are
                shared, so the GIF keeps its speed).
            progress: Gradio's progress tracker (frames done).
            request: Gradio's request, as for `upscale_image`.

        Returns:
            `(gif, gif, message)`: the result for display and for download.
        """
        from keras_vsr.io.gif import map_gif, read_gif_info

        if not path:
            raise RequestError("Upload a GIF first.")
        self._own(request, path)
        scale = self._check_scale(scale, preset)
        if scale != int(scale):
            raise RequestError(f"The output scale of a GIF must be a whole number. Received: {scale:g}.")
        scale = int(scale)
        name = Path(path).name
        self._check_gif(path, name)
        model = self._model(preset)
        dst = self._new_job_folder(request) / f"{_safe_stem(path, 'animation')}_x{scale}.gif"
        info, note, seconds = self._upscale_frames(map_gif, path, model, scale, dst, frame_rate, progress)
        (width, height), (out_width, out_height) = info.size, read_gif_info(dst).size
        message = (
            f"{info.frame_count} frames{note}, {width}×{height} → {out_width}×{out_height} "
            f"with `{preset}` in {seconds:.1f} s"
        )
        return str(dst), str(dst), message

    def upscale_video(self, path, preset, scale=None, frame_rate=1, progress=gr.Progress(), request: gr.Request = None):
        """Upscale every frame of the video at `path` into an H.264 MP4, keeping its audio.

        Args:
            path: the uploaded video.
            preset: a key of `self.presets`.
            scale: output scale, as for `upscale_image`.
            frame_rate: 1, 2, 4 or 8, as for `upscale_gif` (scene cuts are
                held, not blended).
            progress: Gradio's progress tracker (frames done).
            request: Gradio's request, as for `upscale_image`.

        Returns:
            `(video, video, message)`: the result for display and for
            download.
        """
        from keras_vsr.io.video import map_video, probe_video

        if not path:
            raise RequestError("Upload a video first.")
        self._own(request, path)
        scale = self._check_scale(scale, preset)
        info = self._check_video(path)
        width, height = info.size
        model = self._model(preset)
        dst = self._new_job_folder(request) / f"{_safe_stem(path, 'video')}_x{scale:g}.mp4"
        _, note, seconds = self._upscale_frames(map_video, path, model, scale, dst, frame_rate, progress)
        out_width, out_height = probe_video(dst).size
        frames = f"{info.frame_count} frames{note}, " if info.frame_count else ""
        message = f"{frames}{width}×{height} → {out_width}×{out_height} with `{preset}` in {seconds:.1f} s"
        return str(dst), str(dst), message

    def _check_video(self, path):
        """The `VideoInfo` of the uploaded video `path`, or a `RequestError`
        for an unreadable one or one above the pixel or frame limits."""
        from keras_vsr.io.video import probe_video

        name = Path(path).name
        try:
            info = probe_video(path)
        except ImageReadError as e:
            raise RequestError(_without_folder(str(e), path)) from e
        self._check_pixels(name, *info.size)
        if info.frame_count and info.frame_count > self.max_frames:
            raise RequestError(f"{name} has about {info.frame_count} frames; the limit is {self.max_frames}.")
        return info

    def colorize_video(self, path, key_path, key_every=8, progress=gr.Progress(), request: gr.Request = None):
        """Colour the grey video at `path` from every `key_every`-th frame of
        `key_path`, the same clip in colour (`keras-vsr colorize
        --key-frames`): key-frame chroma carried along the motion and joined
        with the colouriser's by the learned fusion (`DEFAULT_FUSION_PRESET`).

        Args:
            path: the uploaded grey video (a colour one is read as grey).
            key_path: the uploaded colour video of the key frames.
            key_every: int >= 1, the key frame spacing in frames.
            progress: Gradio's progress tracker (frames done).
            request: Gradio's request, as for `upscale_image`.

        Returns:
            `(video, video, message)`: the result for display and for
            download.
        """
        from keras_vsr.inference.fusion import colorize_video_from_keys

        if not path:
            raise RequestError("Upload the grey video first.")
        if not key_path:
            raise RequestError("Upload the colour video that gives the key frames.")
        self._own(request, path)
        self._own(request, key_path)
        if key_every is None or int(key_every) != key_every or key_every < 1:
            raise RequestError(f"The key frame spacing must be a whole number >= 1. Received: {key_every}.")
        for upload in (path, key_path):
            self._check_video(upload)
        name = Path(path).name
        fusion = self._fusion()
        dst = self._new_job_folder(request) / f"{_safe_stem(path, 'video')}_colour.mp4"
        with self._model_lock:
            start = time.perf_counter()
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    count = colorize_video_from_keys(
                        fusion, path, dst, key_path, int(key_every),
                        progress=_frame_progress(progress, self.max_frames, name, "Colouring"),
                    )
            except BaseException as e:
                shutil.rmtree(dst.parent, ignore_errors=True)
                if isinstance(e, (ImageReadError, ValueError)):
                    raise RequestError(_without_folder(_without_folder(str(e), path), key_path)) from e
                raise
            seconds = time.perf_counter() - start
        notes = "".join(f" Note: {_without_folder(str(w.message), key_path)}" for w in caught)
        message = f"{count} frames coloured from key frames every {int(key_every)} in {seconds:.1f} s.{notes}"
        return str(dst), str(dst), message

    def _fusion(self):
        """The `SpatioTemporalFusion` of `colorize_video`: the default
        colouriser and, when installed, the default learned fusion."""
        from keras_vsr.inference import SpatioTemporalFusion

        installed = {p["name"] for p in list_presets()}
        try:
            colorizer = load_task(DEFAULT_COLORIZER_PRESET, "colorize", self.precision)
            fusion = load_task(DEFAULT_FUSION_PRESET, "fuse") if DEFAULT_FUSION_PRESET in installed else None
        except (ValueError, OSError) as e:
            raise gr.Error(f"Cannot load the colouring presets: {e}") from e
        return SpatioTemporalFusion(None, colorizer, fusion=fusion)

    def _upscale_frames(self, map_frames, path, model, scale, dst, frame_rate, progress):
        """Write `model.upscale(frame, scale=scale)` of every frame of the
        GIF or video `path` into `dst` with `map_frames` (`map_gif` or
        `map_video`), after raising its frame rate `frame_rate` times.

        Returns:
            `(info, note, seconds)`: what `map_frames` returns for the
            frames upscaled, the frame-rate note and the time taken.

        On any error, or when the request is abandoned, the job folder of
        `dst` is removed.
        """
        with self._model_lock:
            start = time.perf_counter()
            try:
                source, note = self._raise_frame_rate(path, dst.with_name("frames" + dst.suffix), frame_rate, progress)
                info = map_frames(
                    source,
                    dst,
                    functools.partial(model.upscale, scale=scale),
                    progress=_frame_progress(progress, self.max_frames * frame_rate, Path(path).name),
                )
            except BaseException as e:
                shutil.rmtree(dst.parent, ignore_errors=True)
                if isinstance(e, ImageReadError):
                    raise RequestError(_without_folder(str(e), path)) from e
                raise
            return info, note, time.perf_counter() - start

    def _raise_frame_rate(self, path, dst, frame_rate, progress):
        """`(file to upscale, note)`: `path` itself at frame rate 1, else a
        copy at `frame_rate` times the frames written to `dst`."""
        from keras_vsr.io.framerate import check_factor, raise_gif_frame_rate, raise_video_frame_rate

        frame_rate = int(frame_rate or 1)
        if frame_rate == 1:
            return path, ""
        if self.interpolator is None:
            raise RequestError("No frame-interpolation preset is installed, so the frame rate cannot be raised.")
        interpolator = self._interpolator()
        try:
            check_factor(frame_rate, interpolator)
        except ValueError as e:
            raise RequestError(f"The frame rate cannot be raised by {frame_rate}: {e}") from e
        raise_rate = raise_gif_frame_rate if dst.suffix == ".gif" else raise_video_frame_rate
        progress_fn = _frame_progress(progress, self.max_frames, Path(path).name, "Adding frames")
        raise_rate(path, dst, interpolator, frame_rate, progress=progress_fn)
        return dst, f" (frame rate x{frame_rate} with `{self.interpolator}`)"

    def _identifier(self, preset):
        if preset not in self.presets:
            raise RequestError(f"Unknown preset {preset!r}. Choose one of: {', '.join(self.presets)}.")
        return self.presets[preset]

    def _model(self, preset):
        identifier = self._identifier(preset)
        try:
            return load_super_resolver(identifier, self.precision)
        except (ValueError, OSError) as e:
            raise gr.Error(f"Cannot load preset {preset!r}: {_without_folder(str(e), identifier)}") from e

    def _check_scale(self, scale, preset):
        self._identifier(preset)
        model_scale = self.scales[preset]
        if scale is None:
            return model_scale
        if not 1 <= scale <= model_scale:
            raise RequestError(
                f"The output scale must be between 1 and {model_scale} for `{preset}`. Received: {scale:g}."
            )
        return scale

    def _check_gif(self, path, name):
        """Refuse anything but a GIF within the pixel and frame limits (`name` for messages)."""
        from PIL import Image, UnidentifiedImageError

        from keras_vsr.io.gif import read_gif_info

        try:
            with Image.open(path) as img:
                kind = img.format
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind = None  # read_gif_info below names the problem
        if kind not in (None, "GIF"):
            raise RequestError(f"{name} is a {kind} image, not a GIF; use the Image tab.")
        try:
            info = read_gif_info(path, max_pixels=None)
        except ImageReadError as e:
            raise RequestError(_without_folder(str(e), path)) from e
        self._check_pixels(name, *info.size)
        if info.frame_count > self.max_frames:
            raise RequestError(f"{name} has {info.frame_count} frames; the limit is {self.max_frames}.")

    def _check_pixels(self, name, width, height):
        if width * height > self.max_pixels:
            raise RequestError(
                f"{name}: {width}×{height} = {width * height:,} pixels per frame is above the "
                f"limit of {self.max_pixels:,} pixels."
            )

    def _new_job_folder(self, request=None):
        """A new folder for one result, owned by `request`'s session;
        removes results older than `RESULT_LIFETIME`."""
        cutoff = time.time() - RESULT_LIFETIME
        for old in self.workdir.iterdir():
            try:
                expired = old.stat().st_mtime < cutoff
            except FileNotFoundError:  # removed meanwhile by another session's end_session
                continue
            if expired:
                shutil.rmtree(old, ignore_errors=True)
        job = Path(tempfile.mkdtemp(dir=self.workdir))
        self._own(request, job)
        return job

    def _own(self, request, path):
        """Record that `request`'s session owns the upload or job folder `path`."""
        session = getattr(request, "session_hash", None)
        if session:
            with self._sessions_lock:
                self._session_files.setdefault(session, set()).add(Path(path))

    def end_session(self, request: gr.Request):
        """Delete the uploads and results of `request`'s session (Gradio's
        `unload` event: the visitor closed or reloaded the page, or an API
        client closed). An upload that another open session also used (the
        same file uploaded twice) is kept for that session."""
        session = getattr(request, "session_hash", None)
        with self._sessions_lock:
            mine = self._session_files.pop(session, set())
            others = set().union(*self._session_files.values())
        uploads, workdir = Path(gr.utils.get_upload_folder()).resolve(), self.workdir.resolve()
        for path in map(Path.resolve, mine - others):
            if workdir in path.parents:  # a job folder
                shutil.rmtree(path, ignore_errors=True)
            elif uploads in path.parents:  # an upload; nothing outside Gradio's folder is ever deleted
                path.unlink(missing_ok=True)
                if path.parent != uploads:
                    with contextlib.suppress(OSError):  # the folder Gradio made for it, once empty
                        path.parent.rmdir()


def build_app(
    presets=None, max_pixels=DEFAULT_MAX_PIXELS, max_frames=DEFAULT_MAX_FRAMES, max_queue=DEFAULT_MAX_QUEUE,
    interpolator="auto", precision="float32",
):
    """Build the web app without starting it.

    Args:
        presets: extra preset folders (or built-in names) to offer beside
            the built-in super-resolution presets.
        max_pixels: largest accepted image or GIF/video frame, in pixels.
        max_frames: most frames accepted in one GIF or video.
        max_queue: most requests waiting for the model at once.
        interpolator: frame-interpolation preset offered to raise the frame
            rate of GIFs and videos, None for none; see `AppHandlers`.
        precision: "float32", "bfloat16" or "float16", the compute type of
            every model the app runs (`keras_vsr.utils.precision`).

    Returns:
        A queued `gr.Blocks`; start it with `.launch(...)`, ideally with a
        `max_file_size`, as `launch()` does.

    Raises:
        ValueError: for an invalid preset folder, two presets with the same
            name, or when there is no super-resolution preset at all.
    """
    handlers = AppHandlers(
        presets, max_pixels=max_pixels, max_frames=max_frames, interpolator=interpolator, precision=precision
    )
    keys = list(handlers.presets)
    model_work = {"concurrency_limit": 1, "concurrency_id": MODEL_QUEUE}

    def preset_choice(default):
        return gr.Dropdown(keys, value=default, label="Preset", interactive=True)

    def scale_slider(preset, step):
        scale = handlers.scales[preset.value]
        return gr.Slider(
            minimum=1,
            maximum=scale,
            value=scale,
            step=step,
            label="Output scale",
            info="The model's own scale is its output; a smaller one resizes that output.",
        )

    factors = handlers.frame_rate_factors()

    def frame_rate_choice():
        return gr.Radio(
            [("as is", 1)] + [(f"×{factor}", factor) for factor in factors],
            value=1,
            label="Frame rate",
            info=f"New in-between frames from `{handlers.interpolator}` (scene cuts are never blended).",
            visible=handlers.interpolator is not None,
        )

    with gr.Blocks(
        title="keras-vsr",
        analytics_enabled=False,
        delete_cache=(RESULT_LIFETIME, RESULT_LIFETIME),
    ) as demo:
        gr.Markdown(
            "# keras-vsr super-resolution\n"
            f"Upload an image, a GIF or a video. Limits: {handlers.max_pixels:,} pixels per image "
            f"or frame, {handlers.max_frames} frames per GIF or video. Requests are handled one at "
            "a time, in order."
        )

        with gr.Tab("Image"):
            with gr.Row():
                with gr.Column():
                    image_in = _unopened_upload(gr.Image(
                        type="filepath",
                        image_mode=None,
                        sources=["upload", "clipboard"],
                        label="Image",
                        elem_id="image-input",
                    ))
                    image_preset = preset_choice(handlers.default_preset)
                    image_scale = scale_slider(image_preset, step=0.5)
                    image_ensemble = gr.Checkbox(
                        False,
                        label="x8 self-ensemble",
                        info="Average the model over the eight flips and rotations of the image: eight times "
                        "slower; a little closer to the original with PSNR presets, smoother with GAN presets.",
                        elem_id="image-ensemble",
                    )
                    image_button = gr.Button("Upscale image", variant="primary", elem_id="image-button")
                with gr.Column():
                    image_out = gr.ImageSlider(
                        type="filepath", label="Before (bicubic) / after", interactive=False, elem_id="image-result"
                    )
                    image_file = gr.File(label="Result (PNG)", interactive=False, elem_id="image-file")
                    image_info = gr.Markdown(elem_id="image-info")
        with gr.Tab("GIF"):
            with gr.Row():
                with gr.Column():
                    gif_in = _unopened_upload(gr.Image(
                        type="filepath", image_mode=None, sources=["upload"], label="GIF", elem_id="gif-input"
                    ))
                    gif_preset = preset_choice(handlers.default_gif_preset)
                    gif_scale = scale_slider(gif_preset, step=1)
                    gif_rate = frame_rate_choice()
                    gif_button = gr.Button("Upscale GIF", variant="primary", elem_id="gif-button")
                with gr.Column():
                    gif_out = gr.Image(type="filepath", label="Upscaled GIF", interactive=False, elem_id="gif-result")
                    gif_file = gr.File(label="Result (GIF)", interactive=False, elem_id="gif-file")
                    gif_info = gr.Markdown(elem_id="gif-info")
        with gr.Tab("Video"):
            with gr.Row():
                with gr.Column():
                    video_in = gr.Video(sources=["upload"], label="Video", elem_id="video-input")
                    video_preset = preset_choice(handlers.default_preset)
                    video_scale = scale_slider(video_preset, step=0.5)
                    video_rate = frame_rate_choice()
                    video_button = gr.Button("Upscale video", variant="primary", elem_id="video-button")
                with gr.Column():
                    video_out = gr.Video(label="Upscaled video", interactive=False, elem_id="video-result")
                    video_file = gr.File(label="Result (MP4)", interactive=False, elem_id="video-file")
                    video_info = gr.Markdown(elem_id="video-info")
        with gr.Tab("Colour from key frames", visible=handlers.can_colorize):
            gr.Markdown(
                "A grey video and the same clip in colour: every K-th colour frame is a key frame whose colours "
                "are carried along the motion to the grey frames around it."
            )
            with gr.Row():
                with gr.Column():
                    colour_in = gr.Video(sources=["upload"], label="Grey video", elem_id="colour-input")
                    colour_keys = gr.Video(sources=["upload"], label="Colour video (key frames)", elem_id="colour-keys")
                    colour_every = gr.Number(value=8, minimum=1, precision=0, label="Key frame every K frames")
                    colour_button = gr.Button("Colour video", variant="primary", elem_id="colour-button")
                with gr.Column():
                    colour_out = gr.Video(label="Coloured video", interactive=False, elem_id="colour-result")
                    colour_file = gr.File(label="Result (MP4)", interactive=False, elem_id="colour-file")
                    colour_info = gr.Markdown(elem_id="colour-info")

        def preset_changed(key):
            scale = handlers.scales[key]
            return gr.Slider(maximum=scale, value=scale)

        for preset, slider in ((image_preset, image_scale), (gif_preset, gif_scale), (video_preset, video_scale)):
            preset.change(preset_changed, preset, slider, queue=False, api_visibility="private")
        image_button.click(
            handlers.upscale_image,
            [image_in, image_preset, image_scale, image_ensemble],
            [image_out, image_file, image_info],
            api_name="upscale_image",
            **model_work,
        )
        gif_button.click(
            handlers.upscale_gif,
            [gif_in, gif_preset, gif_scale, gif_rate],
            [gif_out, gif_file, gif_info],
            api_name="upscale_gif",
            **model_work,
        )
        video_button.click(
            handlers.upscale_video,
            [video_in, video_preset, video_scale, video_rate],
            [video_out, video_file, video_info],
            api_name="upscale_video",
            **model_work,
        )
        colour_button.click(
            handlers.colorize_video,
            [colour_in, colour_keys, colour_every],
            [colour_out, colour_file, colour_info],
            api_name="colorize_video",
            **model_work,
        )
        demo.unload(handlers.end_session)
    demo.queue(max_size=max_queue, default_concurrency_limit=1)
    return demo


def launch(
    host="127.0.0.1",
    port=7860,
    share=False,
    *,
    presets=None,
    max_pixels=DEFAULT_MAX_PIXELS,
    max_frames=DEFAULT_MAX_FRAMES,
    max_file_size=DEFAULT_MAX_FILE_SIZE,
    max_queue=DEFAULT_MAX_QUEUE,
    block=True,
    precision="float32",
    interpolator="auto",
):
    """Build the app and serve it at `http://host:port`.

    Args:
        host: address to listen on; the default serves this machine only.
        port: TCP port.
        share: also publish a temporary public gradio.live link.
        presets, max_pixels, max_frames, max_queue, precision, interpolator:
            as in `build_app`.
        max_file_size: largest upload, bytes as an int or a string such as
            "20mb"; larger uploads are refused by the server.
        block: wait until the server is stopped (Ctrl+C). With False, return
            at once with the server running in the background; stop it with
            `.close()`.

    Returns:
        The running `gr.Blocks` (its `local_url` is the page's address).
    """
    demo = build_app(
        presets=presets, max_pixels=max_pixels, max_frames=max_frames, max_queue=max_queue, precision=precision,
        interpolator=interpolator,
    )
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=max_file_size,
        prevent_thread_lock=not block,
        ssr_mode=False,
        run_history=False,
        quiet=not block,
    )
    return demo


def _collect_presets(extra):
    """`({key: preset identifier}, {key: scale})` for the built-in SR presets and `extra`."""
    presets, scales = {}, {}
    for entry in list_presets():
        scale = _offered_scale(entry.get("scale"))
        if scale:
            presets[entry["name"]] = entry["name"]
            scales[entry["name"]] = scale
    for preset in extra:
        identifier = check_preset(preset)
        if identifier in presets.values():
            continue
        key = Path(identifier).name
        if key in presets:
            raise ValueError(f"Two presets are named '{key}' ({presets[key]} and {identifier}); rename a folder.")
        presets[key] = identifier
        scales[key] = _folder_scale(identifier)
    if not presets:
        raise ValueError(
            "No super-resolution preset to offer: no built-in preset is installed and none was "
            "passed. Pass preset folders, e.g. presets=['path/to/preset']."
        )
    return presets, scales


# Largest output scale offered for presets that take any scale (U-Net SR).
ANY_SCALE_MAXIMUM = 4


def _offered_scale(scale):
    """The largest output scale the app offers for a preset whose metadata
    gives `scale`, or None for presets the app does not offer: those that do
    not enlarge by a whole factor of at least 2 (interpolators, colourisers,
    fixed-size models)."""
    if scale == "any":
        return ANY_SCALE_MAXIMUM
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale >= 2 and scale == int(scale):
        return int(scale)
    return None


def _folder_scale(folder):
    path = Path(folder) / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        return int(config["config"]["scale"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: cannot read the model's scale; is this a super-resolution preset? ({e})") from e


def _frame_progress(progress, max_frames, name, desc="Upscaling"):
    """A `progress` argument for keras_vsr.io's `map_gif` and `map_video`.

    It wraps their iterable of frames: Gradio's tracker counts the frames,
    and a `RequestError` stops the work at frame `max_frames + 1` (a
    video's frame count is only estimated beforehand), or before the next
    frame once the request is abandoned (`request_abandoned`).
    """

    def at_most(frames):
        for index, frame in enumerate(frames):
            if index == max_frames:
                raise RequestError(f"{name} has more than {max_frames} frames, the limit.")
            if request_abandoned():
                raise RequestError(f"{name}: the request was abandoned by its visitor; stopped at frame {index}.")
            yield frame

    def track(frames):
        total = len(frames) if hasattr(frames, "__len__") else None
        return progress.tqdm(at_most(frames), total=total, desc=desc, unit="frames")

    return track


def _unopened_upload(component):
    """`component` (a `gr.Image`), made to hand its handler the uploaded
    file's path unopened.

    `gr.Image` opens every upload with PIL before the handler runs, so an
    empty or damaged file fails there with Gradio's generic error. This way
    the handler reads the file itself (`load_image`, the GIF checks) and
    refuses it with the message the CLI gives: the file name and the reason.
    (An instance attribute rather than a subclass: Gradio writes a `.pyi`
    file beside the module of every component class defined.)
    """
    default = component.preprocess

    def preprocess(payload):
        path = getattr(payload, "path", None)
        return str(path) if path else default(payload)

    component.preprocess = preprocess
    return component


def _enlarge(image, size):
    """`image` resized to `size` (h, w) with bicubic interpolation, as uint8, for display."""
    from PIL import Image

    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    return np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BICUBIC))


def _safe_stem(path, fallback):
    """The file name of `path` without extension, reduced to safe characters."""
    stem = re.sub(r"[^\w.-]+", "_", Path(path).stem).strip("._")[:64]
    return stem or fallback


def _without_folder(message, path):
    """`message` with the server-side `path` replaced by its file name."""
    return message.replace(str(path), Path(path).name)
