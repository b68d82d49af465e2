"""Videos through the ffmpeg program bundled with imageio-ffmpeg.

`probe_video` reads a video's header, `iter_video_frames` streams its frames
as RGB arrays (one ffmpeg process, constant memory, a timeout on every
frame), `map_video` writes a function of every frame (upscaled,
colourised, ...) into an H.264 MP4 and carries the source's audio over, and
`detect_scene_cuts` finds hard cuts, where frame interpolation must not
blend two shots.
"""

import errno
import numbers
import os
import queue
import shutil
import subprocess
import threading
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from keras_vsr.io.images import ImageReadError
from keras_vsr.utils.atomic_files import atomic_temporary, replace_with_umask
from keras_vsr.utils.frames import CountedFrames

# File extensions read as videos (through ffmpeg).
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg")
# Side of the square grey thumbnails compared by `detect_scene_cuts`.
_THUMBNAIL_SIDE = 64
# ffmpeg error lines kept to explain a damaged stream.
_KEPT_ERROR_LINES = 10
# Encoded frames that may wait for ffmpeg while the next one is computed.
_SEND_AHEAD = 2
# Audio codecs copied as they are into MP4 files: those that MP4 players
# and web browsers commonly play. Others (PCM, ADPCM, Vorbis, ...) are
# encoded to AAC.
_MP4_AUDIO_CODECS = frozenset({"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"})


@dataclass(frozen=True)
class VideoInfo:
    """What `probe_video` finds in a video file.

    Attributes:
        fps: float, frames per second as ffmpeg reports it (rounded to
            two decimals, e.g. 23.98); 0.0 when unknown.
        size: `(width, height)` of the decoded frames in pixels (after
            any rotation stored in the file).
        frame_count: int or None. By default an estimate, the duration
            times `fps` rounded, which can be off by a frame or two; exact
            when `probe_video(..., count_frames=True)`; None when unknown.
        duration: float or None, seconds.
        codec: str, the video codec, e.g. "h264".
        has_audio: bool, whether the file has an audio stream.
        audio_codec: str or None, e.g. "aac".
    """

    fps: float
    size: tuple
    frame_count: object
    duration: object
    codec: str
    has_audio: bool
    audio_codec: object


def _ffmpeg():
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _check_file(path):
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty (0 bytes)")
    return path


def _ffmpeg_reason(log):
    """A one-line reason from ffmpeg's log when it could not open a video."""
    if "Stream #" in log and "Video:" not in log:
        return "the file has no video stream"
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "ffmpeg could not read it"


def probe_video(path, count_frames=False):
    """Read a video's frame rate, size, frame count, codecs and audio.

    Args:
        path: str or `pathlib.Path`, the video file.
        count_frames: bool, count the frames exactly by decoding the whole
            video (slow for long videos) instead of estimating the count
            from the duration. Default False.

    Returns:
        A `VideoInfo`.

    Raises:
        ImageReadError: with the file name and the reason, for a missing or
            zero-byte file, a file ffmpeg cannot open, or one without video.
    """
    import imageio_ffmpeg

    path = _check_file(path)
    reader = imageio_ffmpeg.read_frames(str(path))
    # When ffmpeg has exited before the reader is closed (short videos),
    # read_frames leaves two of ffmpeg's pipes to the garbage collector; the
    # ResourceWarnings that follow say nothing about the video.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            meta = next(reader)
        except (OSError, RuntimeError) as e:
            raise ImageReadError(f"{path}: not a readable video ({_ffmpeg_reason(str(e))})") from e
        finally:
            reader.close()
    fps = float(meta.get("fps") or 0.0)
    duration = float(meta.get("duration") or 0.0) or None
    frame_count = round(duration * fps) if duration and fps else None
    if count_frames:
        try:
            frame_count = imageio_ffmpeg.count_frames_and_secs(str(path))[0]
        except RuntimeError as e:
            raise ImageReadError(f"{path}: the frames could not be counted ({_ffmpeg_reason(str(e))})") from e
    return VideoInfo(
        fps=fps,
        size=tuple(meta["size"]),
        frame_count=frame_count,
        duration=duration,
        codec=meta.get("codec", ""),
        has_audio="audio_codec" in meta,
        audio_codec=meta.get("audio_codec"),
    )


def _read_raw_frames(stream, frame_bytes, frames, stop):
    """Thread body: read `frame_bytes`-long frames from `stream` into the
    queue `frames` as `(bytearray, bytes read)`; the first short read (the
    end of the stream) is queued too and ends the thread, as does `stop`."""
    while not stop.is_set():
        buffer = bytearray(frame_bytes)
        filled = 0
        with memoryview(buffer) as view:
            while filled < frame_bytes:
                n = stream.readinto(view[filled:])
                if not n:
                    break
                filled += n
        while not stop.is_set():
            try:
                frames.put((buffer, filled), timeout=0.1)
                break
            except queue.Full:
                continue
        if filled < frame_bytes:
            return


def _collect_lines(stream, lines):
    """Thread body: drain `stream` (so ffmpeg never blocks on it), keeping
    its first `_KEPT_ERROR_LINES` non-empty lines in `lines`."""
    for raw in stream:
        line = raw.decode(errors="replace").strip()
        if line and len(lines) < _KEPT_ERROR_LINES:
            lines.append(line)


def iter_video_frames(path, timeout=60.0):
    """Yield the frames of a video one at a time, as decoded by ffmpeg.

    One ffmpeg process decodes the first video stream into raw RGB; a
    reader thread keeps at most two frames ahead, so memory does not grow
    with the video. A damaged stream does not stop decoding at the first
    error: ffmpeg skips what it cannot decode. When ffmpeg reports errors,
    exits with an error status, ends in the middle of a frame, or produces
    no frame for `timeout` seconds (it is then stopped), a single warning
    after the last frame names how many frames were decoded; when not even
    one frame could be decoded, `ImageReadError` is raised instead.

    Args:
        path: str or `pathlib.Path`, the video file.
        timeout: float > 0, seconds to wait for each frame from ffmpeg.
            Default 60.0.

    Yields:
        uint8 arrays `(height, width, 3)`, RGB (writable).

    Raises:
        ImageReadError: with the file name and the reason, for a missing,
            empty or unreadable file, or when no frame could be decoded.
        ValueError: for a `timeout` that is not a positive number.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout > 0:
        raise ValueError(f"`timeout` must be a positive number of seconds. Received: timeout={timeout!r}")
    path = _check_file(path)
    width, height = probe_video(path).size
    frame_bytes = width * height * 3
    process = subprocess.Popen(
        [_ffmpeg(), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    errors = []
    frames = queue.Queue(maxsize=2)
    stop = threading.Event()
    # Daemon threads, so that a reader abandoned without being closed
    # cannot keep the interpreter from exiting.
    threads = [
        threading.Thread(target=_read_raw_frames, args=(process.stdout, frame_bytes, frames, stop), daemon=True),
        threading.Thread(target=_collect_lines, args=(process.stderr, errors), daemon=True),
    ]
    for thread in threads:
        thread.start()

    count, reasons = 0, []
    try:
        while True:
            try:
                buffer, filled = frames.get(timeout=timeout)
            except queue.Empty:
                reasons.append(f"ffmpeg produced no frame for {timeout:g} s and was stopped")
                break
            if filled < frame_bytes:
                if filled:
                    reasons.append("the stream ends in the middle of a frame")
                break
            count += 1
            yield np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 3)
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = None
            reasons.append(f"ffmpeg did not exit within {timeout:g} s and was stopped")
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
        process.wait()
        for thread in threads:
            thread.join()
        process.stdout.close()
        process.stderr.close()

    if status:
        reasons.append(f"ffmpeg exit status {status}")
    if errors:
        reasons.append(f"ffmpeg: {errors[0]}")
    reason = "; ".join(reasons)
    if count == 0:
        raise ImageReadError(f"{path}: no video frame could be decoded ({reason or 'the stream is empty'})")
    if reason:
        warnings.warn(f"{path}: the video stream is damaged ({reason}); {count} frames were decoded.")


def exact_fps(fps):
    """`fps` as a fraction, with ffmpeg's two-decimal rounding of the NTSC
    rates undone (23.98 -> 24000/1001, 29.97 -> 30000/1001, ...)."""
    for nominal in (24, 30, 48, 60, 120):
        ntsc = Fraction(nominal * 1000, 1001)
        if abs(fps - float(ntsc)) < 0.006:
            return ntsc
    return Fraction(fps).limit_denominator(1001)


def _even(frame):
    """Pad `frame` by one edge-repeating row and/or column to even sides,
    which H.264 in 4:2:0 requires."""
    pad_rows, pad_columns = frame.shape[0] % 2, frame.shape[1] % 2
    if pad_rows or pad_columns:
        frame = np.pad(frame, ((0, pad_rows), (0, pad_columns), (0, 0)), mode="edge")
    return np.ascontiguousarray(frame)


class _FrameSender:
    """Feeds frames to an imageio-ffmpeg writer from a background thread.

    `send` queues a frame (at most `_SEND_AHEAD` wait) and returns, so the
    caller computes the next frame while this one goes down the pipe into
    ffmpeg; an error of the writer is raised by the next `send` or by
    `close`, which waits for the queued frames and closes the writer.
    """

    def __init__(self, writer):
        self._writer = writer
        self._frames = queue.Queue(maxsize=_SEND_AHEAD)
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while (frame := self._frames.get()) is not None:
            if self._error is None:
                try:
                    self._writer.send(frame)
                except BaseException as e:  # re-raised on the calling thread
                    self._error = e

    def _raise_error(self):
        if self._error is not None:
            raise self._error

    def send(self, frame):
        self._raise_error()
        self._frames.put(frame)

    def close(self):
        """Wait for the queued frames, close the writer, raise its error if any."""
        self._frames.put(None)
        self._thread.join()
        self._writer.close()
        self._raise_error()


def _encode_frames(frames, frame_fn, path, fps, crf):
    """Write `frame_fn(frame)` for each frame into the H.264 video `path`;
    return the number of frames. Frames go to ffmpeg from a background
    thread (`_FrameSender`), so `frame_fn` and the encoder's input overlap;
    decoding overlaps both through `iter_video_frames`' reader thread."""
    import imageio_ffmpeg

    sender, size, count = None, None, 0
    try:
        for frame in frames:
            result = np.asarray(frame_fn(frame))
            if result.dtype != np.uint8 or result.ndim != 3 or result.shape[2] != 3:
                raise ValueError(
                    f"`frame_fn` must return uint8 RGB frames (h, w, 3). Received shape "
                    f"{result.shape} and dtype {result.dtype} for frame {count}"
                )
            if size is None:
                size = result.shape
                even = _even(result)
                writer = imageio_ffmpeg.write_frames(
                    str(path),
                    (even.shape[1], even.shape[0]),
                    fps=fps,
                    codec="libx264",
                    pix_fmt_in="rgb24",
                    pix_fmt_out="yuv420p",
                    quality=None,
                    macro_block_size=1,
                    ffmpeg_log_level="error",
                    output_params=["-crf", str(crf)],
                )
                writer.send(None)
                sender = _FrameSender(writer)
            elif result.shape != size:
                raise ValueError(
                    f"`frame_fn` must return frames of one size, {size} for frame 0. "
                    f"Received shape {result.shape} for frame {count}"
                )
            sender.send(_even(result))
            count += 1
    finally:
        if sender is not None:
            sender.close()
    return count


def _write_failure(path):
    """The `OSError` for a video that ffmpeg left unreadable at `path`: the
    file-size limit (RLIMIT_FSIZE) reached, a full disk, or else an I/O error."""
    import resource

    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and path.stat().st_size >= limit - (1 << 16):
        code = errno.EFBIG
    elif shutil.disk_usage(path.parent).free < 1 << 20:
        code = errno.ENOSPC
    else:
        return OSError(errno.EIO, "ffmpeg could not finish writing the video", str(path))
    return OSError(code, os.strerror(code), str(path))


def _add_audio(video, src, audio_codec, out):
    """Mux the video stream of `video` with the audio streams of `src`, if
    any, into the MP4 `out`. Both are copied, except audio in a codec
    outside `_MP4_AUDIO_CODECS` (`audio_codec`, e.g. PCM from an AVI),
    which is encoded to AAC. When the audio of `src` cannot be carried over
    (a damaged stream), `out` gets the video alone and a warning says so."""
    audio = ["-c:a", "copy"] if audio_codec in _MP4_AUDIO_CODECS else ["-c:a", "aac", "-b:a", "192k"]
    reason = _mux(video, ["-i", str(src), "-map", "0:v", "-map", "1:a?", "-c:v", "copy", *audio], out)
    if reason is None:
        return
    if _mux(video, ["-map", "0:v", "-c:v", "copy"], out) is not None:
        raise RuntimeError(f"ffmpeg could not write the new video of {src}: {reason}")
    warnings.warn(f"{src}: the audio could not be carried over ({reason}); the video is written without it.")


def _mux(video, options, out):
    """Run ffmpeg on the input `video` with `options` into the MP4 `out`;
    returns None, or ffmpeg's last error line when it fails. Raises
    `OSError` when the file system refused the write (full disk, ...)."""
    command = [_ffmpeg(), "-nostdin", "-y", "-v", "error", "-i", str(video), *options]
    command += ["-movflags", "+faststart", "-f", "mp4", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    for code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES):
        if os.strerror(code) in result.stderr:
            raise OSError(code, os.strerror(code), str(out))
    last_line = (result.stderr.strip().splitlines() or [""])[-1]
    return f"exit status {result.returncode}: {last_line[-300:]}"


def map_video(src, dst, frame_fn, progress=None, crf=18, timeout=60.0):
    """Write `frame_fn` of every frame of a video into an H.264 MP4 with the source's audio.

    The per-frame map behind upscaling, colourising or any other model that
    turns one image into another. Frames are streamed (see
    `iter_video_frames`) through `frame_fn` into ffmpeg's libx264 encoder
    (yuv420p; an odd side is padded by one repeated row or column) at the
    source's frame rate, so memory does not grow with the video's length;
    the output is the size of the frames `frame_fn` returns. A second
    ffmpeg pass adds the audio streams of `src` to the new video, copied
    when their codec is one MP4 players commonly support (AAC, MP3, AC-3,
    E-AC-3, Opus, FLAC, ALAC), else encoded to AAC (e.g. PCM from an AVI).
    Everything is written to temporary files beside `dst`, renamed to `dst`
    at the end and removed on any error, so `dst` is complete or untouched.

    Args:
        src: str or `pathlib.Path`, the video to read.
        dst: str or `pathlib.Path`, the `.mp4` file to write; parent
            folders are created.
        frame_fn: callable mapping a uint8 RGB frame `(h, w, 3)` to a
            uint8 RGB frame of any size, the same for every frame, e.g.
            `SuperResolver.upscale`.
        progress: optional callable wrapping the iterable of source frames
            (which has a `len()`, an estimate, when the frame count is
            known), e.g. `tqdm.tqdm`. Default None.
        crf: int in [0, 51], x264's constant rate factor: lower is better
            quality and larger; 18 is visually near-lossless. Default 18.
        timeout: float > 0, seconds to wait for each decoded frame; see
            `iter_video_frames`. Default 60.0.

    Returns:
        The `VideoInfo` of `src`.

    Raises:
        ImageReadError: for a missing, empty or unreadable `src`, or one of
            which no frame can be decoded.
        ValueError: for a `dst` that is not `.mp4` or is `src`, a bad `crf`,
            or frames of the wrong dtype, shape or size from `frame_fn`.
        RuntimeError: when ffmpeg fails to write the result.
    """
    src, dst = check_video_paths(src, dst, crf)
    info = probe_video(src)
    frames = iter_video_frames(src, timeout)
    if info.frame_count:
        frames = CountedFrames(frames, info.frame_count)
    write_video_atomic(progress(frames) if progress else frames, dst, exact_fps(info.fps), src, info, crf, frame_fn)
    return info


def check_video_paths(src, dst, crf):
    """`(src, dst)` as paths, after checking `dst` is a new .mp4 and `crf` is valid."""
    src, dst = Path(src), Path(dst)
    if dst.suffix.lower() != ".mp4":
        raise ValueError(f"`dst` must be an .mp4 file. Received: {dst}")
    if dst.resolve() == src.resolve():
        raise ValueError(f"`dst` must differ from `src`; refusing to overwrite the input {src}")
    if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
        raise ValueError(f"`crf` must be an int in [0, 51]. Received: crf={crf!r}")
    return src, dst


def write_video_atomic(frames, dst, fps, src, info, crf=18, frame_fn=None):
    """Encode uint8 RGB `frames` (each passed through `frame_fn` if given)
    into the H.264 MP4 `dst` at `fps`, with the audio of `src` (whose
    `VideoInfo` is `info`). Temporary files beside `dst` are renamed to it
    at the end and removed on any error, so `dst` is complete or untouched."""
    temporary = []
    try:
        for suffix in (".video.mp4", ".part.mp4"):
            fd, name = atomic_temporary(dst, suffix=suffix)
            os.close(fd)
            temporary.append(name)
        video, muxed = temporary
        _encode_frames(frames, frame_fn or (lambda frame: frame), video, fps, crf)
        try:
            probe_video(video)  # imageio-ffmpeg does not report a failed write
        except ImageReadError as e:
            raise _write_failure(video) from e
        _add_audio(video, src, info.audio_codec, muxed)
        replace_with_umask(muxed, dst)
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)


def detect_scene_cuts(frames, threshold=0.1):
    """Find the frames where a new shot starts (hard cuts).

    Rule: every frame is reduced to a 64 x 64 grey thumbnail (ITU-R 601
    luma, box filter, whatever the frame's size and aspect ratio), and
    frame i >= 1 starts a new scene when the mean absolute difference
    between its thumbnail and frame i - 1's, on a 0-1 scale, is at least
    `threshold`. Frame 0 is not listed. Cuts in ordinary footage change
    most of the picture at once (0.13-0.17 in the Megamind sample clip,
    whose in-shot motion stays below 0.02); gradual fades and dissolves
    spread their change over many frames and are not reported; a flash or
    a corrupted frame can be reported as a cut in and a cut out.

    Args:
        frames: iterable of uint8 arrays `(h, w)`, `(h, w, 3)` or
            `(h, w, 4)`, consumed one at a time (only two thumbnails are
            kept).
        threshold: float in (0, 1], the smallest mean absolute grey
            difference counted as a cut. Lower it for dark or low-contrast
            footage. Default 0.1.

    Returns:
        A list of int, the indices of the first frames of new scenes, in
        increasing order.
    """
    check_scene_threshold(threshold)
    cuts, previous = [], None
    for index, frame in enumerate(frames):
        thumbnail = scene_thumbnail(frame, index)
        if previous is not None and is_scene_cut(previous, thumbnail, threshold):
            cuts.append(index)
        previous = thumbnail
    return cuts


def check_scene_threshold(threshold, name="threshold"):
    """Raise a ValueError, naming the argument `name`, unless `threshold`
    (see `detect_scene_cuts`) is a number in (0, 1]."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 < threshold <= 1:
        raise ValueError(f"`{name}` must be a number in (0, 1]. Received: {name}={threshold!r}")


def scene_thumbnail(frame, index=0):
    """The 64 x 64 grey thumbnail (floats in [0, 1]) that `detect_scene_cuts`
    compares; `index` names the frame in the error for a bad array."""
    from PIL import Image

    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.shape[2:] not in ((), (3,), (4,)) or frame.ndim < 2:
        raise ValueError(
            f"Frames must be uint8 arrays (h, w), (h, w, 3) or (h, w, 4). Received frame {index} "
            f"with shape {frame.shape} and dtype {frame.dtype}"
        )
    grey = Image.fromarray(frame).convert("L")
    return np.asarray(grey.resize((_THUMBNAIL_SIDE,) * 2, Image.Resampling.BOX), np.float32) / 255.0


def is_scene_cut(previous_thumbnail, thumbnail, threshold=0.1):
    """Whether the second of two consecutive frames starts a new scene, from
    their `scene_thumbnail`s (see `detect_scene_cuts` for the rule)."""
    return bool(np.abs(thumbnail - previous_thumbnail).mean() >= threshold)
