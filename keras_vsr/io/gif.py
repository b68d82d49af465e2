"""Animated GIFs: reading composited frames, atomic streaming writes, per-frame maps.

A GIF is a canvas on which each frame paints a rectangle (its own size and
offset), with a per-frame delay, a disposal method saying what happens to
that rectangle before the next frame, and an optional transparent palette
index. `iter_gif_frames` yields what a web browser shows: the full canvas
after each frame, as RGBA. The file's blocks are parsed here and each
frame's LZW data is decompressed by PIL; the compositing is done here too,
because PIL's own (seeking an animated GIF) keeps no alpha when the first
frame has no transparent index and restores disposed rectangles to an
opaque background color. `write_gif_atomic` writes full-canvas frames, each
with its own palette, holding one frame at a time.
"""

import collections
import contextlib
import io
import itertools
import numbers
import os
import shutil
import struct
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vsr.io.images import MAX_PIXELS, ImageReadError
from keras_vsr.utils.atomic_files import atomic_temporary, replace_with_umask
from keras_vsr.utils.frames import CountedFrames, check_frame

# Disposal method of written frames: "restore to background", so that the
# transparent pixels of a frame show the background, not the frame before.
_DISPOSE_TO_BACKGROUND = 2
# Why a GIF that ends too early is refused.
_TRUNCATED = "truncated GIF (the file ends in the middle of a block)"


@dataclass(frozen=True)
class GifInfo:
    """What `read_gif_info` finds in a GIF.

    Attributes:
        frame_count: int, number of frames.
        size: `(width, height)` of the canvas in pixels.
        durations: tuple of int, the delay of each frame in milliseconds
            (GIFs store hundredths of a second).
        loop: int or None. 0 loops forever, n > 0 is the value of the
            NETSCAPE loop field; None means the file has no loop field
            (most viewers then play the animation once).
        disposals: tuple of int, the disposal method of each frame: 0 or 1
            leave the frame in place, 2 restores its rectangle to the
            background, 3 to what was there before.
        has_transparency: bool, whether any frame has a transparent index.
    """

    frame_count: int
    size: tuple
    durations: tuple
    loop: object
    disposals: tuple
    has_transparency: bool


@dataclass(frozen=True)
class _RawFrame:
    """One image of a GIF file, not yet decoded.

    `palette` holds the RGB triplets of the frame's color table (local, else
    global); `image_data` is the LZW minimum code size byte followed by the
    data sub-blocks and their terminator, exactly as in the file."""

    left: int
    top: int
    width: int
    height: int
    interlaced: bool
    palette: bytes
    image_data: bytes
    duration: int
    disposal: int
    transparent_index: object


class _GifParser:
    """Walks the blocks of a GIF file: the screen descriptor on creation,
    then one `_RawFrame` at a time from `frames()`, noting the loop count
    when its NETSCAPE block goes by. Every short read raises
    `ImageReadError` naming the file."""

    def __init__(self, f, path, max_pixels):
        self._f = f
        self._path = path
        header = self._f.read(13)
        if header[:6] not in (b"GIF87a", b"GIF89a"):
            raise ImageReadError(f"{path}: not a GIF file")
        if len(header) < 13:
            raise ImageReadError(f"{path}: {_TRUNCATED}")
        width, height, flags = struct.unpack("<HHB", header[6:11])
        self._max_pixels = max_pixels
        self._check_pixels(width, height, "")
        self.size = (width, height)
        self.loop = None
        self._global_palette = self._read(3 << ((flags & 7) + 1)) if flags & 0x80 else None

    def _check_pixels(self, width, height, what):
        if self._max_pixels and width * height > self._max_pixels:
            raise ImageReadError(
                f"{self._path}: {what}{width}x{height} = {width * height:,} pixels is above the limit of "
                f"{self._max_pixels:,} pixels"
            )

    def _read(self, n):
        data = self._f.read(n)
        if len(data) < n:
            raise ImageReadError(f"{self._path}: {_TRUNCATED}")
        return data

    def _sub_blocks(self):
        """Read data sub-blocks up to their terminator; return them raw."""
        chunks = []
        while True:
            size = self._read(1)
            chunks.append(size)
            if size == b"\0":
                return b"".join(chunks)
            chunks.append(self._read(size[0]))

    def frames(self):
        """Yield the `_RawFrame`s in file order."""
        duration, disposal, transparent_index = 0, 0, None
        while True:
            introducer = self._f.read(1)
            if introducer in (b";", b""):
                # A missing trailer is common and harmless; data cut inside
                # a block is caught by `_read`.
                return
            if introducer == b"!":
                label = self._read(1)[0]
                blocks = self._sub_blocks()
                if label == 0xF9 and len(blocks) >= 5:
                    packed, centiseconds, index = struct.unpack("<BHB", blocks[1:5])
                    duration = centiseconds * 10
                    disposal = (packed >> 2) & 7
                    transparent_index = index if packed & 1 else None
                elif label == 0xFF and blocks[1:12] == b"NETSCAPE2.0" and len(blocks) >= 16:
                    self.loop = struct.unpack("<H", blocks[14:16])[0]
            elif introducer == b",":
                left, top, width, height, flags = struct.unpack("<HHHHB", self._read(9))
                self._check_pixels(width, height, "a frame of ")
                palette = self._read(3 << ((flags & 7) + 1)) if flags & 0x80 else self._global_palette
                if palette is None:
                    raise ImageReadError(f"{self._path}: a frame has no color table")
                image_data = self._read(1) + self._sub_blocks()
                yield _RawFrame(
                    left, top, width, height, bool(flags & 0x40), palette, image_data,
                    duration, disposal, transparent_index,
                )
                duration, disposal, transparent_index = 0, 0, None
            else:
                raise ImageReadError(
                    f"{self._path}: damaged GIF (unexpected byte {introducer!r} between blocks)"
                )


@contextlib.contextmanager
def _open_gif(path, max_pixels):
    """Open `path` as a `_GifParser`, after checking it exists and is not empty."""
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty (0 bytes)")
    with open(path, "rb") as f:
        yield _GifParser(f, path, max_pixels)


def _decode_indices(frame, path, number):
    """LZW-decode one frame with PIL into a uint8 array of palette indices,
    `(frame.height, frame.width)`."""
    from PIL import Image

    table_bits = (len(frame.palette) // 3).bit_length() - 2
    standalone = (
        b"GIF89a"
        + struct.pack("<HHBBB", frame.width, frame.height, 0x80 | table_bits, 0, 0)
        + frame.palette
        + b","
        + struct.pack("<HHHHB", 0, 0, frame.width, frame.height, 0x40 if frame.interlaced else 0)
        + frame.image_data
        + b";"
    )
    try:
        with Image.open(io.BytesIO(standalone)) as image:
            image.load()
            return np.asarray(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageReadError(f"{path}: damaged image data in frame {number} ({e})") from e


def read_gif_info(path, max_pixels=MAX_PIXELS):
    """Read the frame count, size, timing, loop and disposal of a GIF.

    The whole block structure is walked (without decompressing the
    images), so a truncated file is reported here rather than halfway
    through processing it.

    Args:
        path: str or `pathlib.Path`, the GIF file.
        max_pixels: int, the largest canvas or frame accepted, in pixels;
            0 or None for no limit. Default `MAX_PIXELS` (40,000,000).

    Returns:
        A `GifInfo`.

    Raises:
        ImageReadError: with the file name and the reason, for a missing or
            zero-byte file, a file that is not a GIF, a truncated or damaged
            block structure, a GIF without frames, or a canvas or frame
            above `max_pixels`.
    """
    with _open_gif(path, max_pixels) as gif:
        frames = [(frame.duration, frame.disposal, frame.transparent_index) for frame in gif.frames()]
        if not frames:
            raise ImageReadError(f"{path}: the GIF has no frames")
        return GifInfo(
            frame_count=len(frames),
            size=gif.size,
            durations=tuple(duration for duration, _, _ in frames),
            loop=gif.loop,
            disposals=tuple(disposal for _, disposal, _ in frames),
            has_transparency=any(index is not None for _, _, index in frames),
        )


def iter_gif_frames(path, max_pixels=MAX_PIXELS):
    """Yield the frames of a GIF as a web browser shows them, one at a time.

    The canvas starts fully transparent. Each frame paints its rectangle
    (its own size and offset, clipped to the canvas) except for pixels of
    its transparent index; after it is shown, its disposal method 2 clears
    the rectangle to transparent (as browsers do; the background color
    index is ignored), 3 restores what was there before, and any other
    value leaves it. Only the canvas and the current frame are in memory.

    Args:
        path: str or `pathlib.Path`, the GIF file.
        max_pixels: int, the largest canvas or frame accepted, in pixels;
            0 or None for no limit. Default `MAX_PIXELS` (40,000,000).

    Yields:
        uint8 arrays `(height, width, 4)`, RGBA, the full canvas; pixels
        that no frame covers have alpha 0.

    Raises:
        ImageReadError: with the file name and the reason, for a missing,
            empty, non-GIF, damaged or truncated file (possibly after some
            frames have been yielded), or a canvas or frame above
            `max_pixels`.
    """
    with _open_gif(path, max_pixels) as gif:
        width, height = gif.size
        canvas = np.zeros((height, width, 4), dtype=np.uint8)
        for number, frame in enumerate(gif.frames()):
            region = canvas[frame.top : frame.top + frame.height, frame.left : frame.left + frame.width]
            saved = region.copy() if frame.disposal == 3 else None
            if region.size:
                indices = _decode_indices(frame, path, number)[: region.shape[0], : region.shape[1]]
                colors = np.zeros((256, 4), dtype=np.uint8)
                colors[: len(frame.palette) // 3, :3] = np.frombuffer(frame.palette, np.uint8).reshape(-1, 3)
                colors[:, 3] = 255
                painted = indices != frame.transparent_index
                region[painted] = colors[indices[painted]]
            yield canvas.copy()
            if frame.disposal == 2:
                region[...] = 0
            elif frame.disposal == 3:
                region[...] = saved


def _check_frame(frame, index, canvas):
    """Return `frame` as a uint8 `(h, w, 3 or 4)` array of size `canvas`
    (`(h, w)`, or None for the first frame), or raise `ValueError`."""
    frame = check_frame(frame, index, canvas, channels=(3, 4), what="GIF frames")
    if max(frame.shape[:2]) > 65535:
        raise ValueError(f"GIF frames are at most 65535 pixels a side. Received shape {frame.shape}")
    return frame


def _encode_frame(frame, colors):
    """Palettise one frame and LZW-encode it with PIL.

    Returns `(table_bits, color_table, image_data, transparent_index)`:
    the color table has `2 ** (table_bits + 1)` RGB entries, `image_data`
    is the LZW minimum code size byte followed by the data sub-blocks, and
    `transparent_index` is the palette index given to pixels with alpha
    < 128, or None for an RGB frame. RGBA frames always reserve the index,
    even when fully opaque, so that readers which decide about alpha from
    the first frame (PIL) see the transparency of later ones.
    """
    from PIL import Image

    if frame.shape[2] == 3:
        image = Image.fromarray(frame).quantize(colors)
        transparent_index = None
    else:
        rgb = frame[:, :, :3].copy()
        transparent = frame[:, :, 3] < 128
        opaque = ~transparent
        if transparent.any() and opaque.any():
            # Hidden pixels take an opaque color, so they use no palette entry.
            rgb[transparent] = rgb[opaque][0]
        image = Image.fromarray(rgb).quantize(colors - 1)
        palette = image.getpalette()
        transparent_index = len(palette) // 3
        image.paste(transparent_index, mask=Image.fromarray(transparent))
        image.putpalette(palette + [0, 0, 0])

    buffer = io.BytesIO()
    image.save(buffer, format="GIF", optimize=False, interlace=False)
    data = buffer.getvalue()
    # PIL's single-frame GIF: header (6 bytes), screen descriptor (7 bytes)
    # whose packed byte gives the global color table size, the table, the
    # image descriptor (10 bytes), the image data, and the trailer ";".
    flags = data[10]
    table_bits = flags & 7
    table_end = 13 + (3 << (table_bits + 1))
    if not flags & 0x80 or data[table_end : table_end + 1] != b",":
        raise RuntimeError("Unexpected single-frame GIF layout from PIL; cannot stream frames")
    return table_bits, data[13:table_end], data[table_end + 10 : -1], transparent_index


def _gif_frame_bytes(frame, duration_ms, colors):
    """The graphic control extension, image descriptor, local color table
    and image data of one full-canvas frame."""
    table_bits, table, image_data, transparent_index = _encode_frame(frame, colors)
    centiseconds = min(max(int(round(duration_ms / 10)), 0), 65535)
    packed = (_DISPOSE_TO_BACKGROUND << 2) | (transparent_index is not None)
    control = b"!\xf9\x04" + struct.pack("<BHB", packed, centiseconds, transparent_index or 0) + b"\0"
    height, width = frame.shape[:2]
    descriptor = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0x80 | table_bits)
    return control + descriptor + table + image_data


def _optimize_with_gifsicle(path):
    """Optimise the GIF at `path` in place with `gifsicle --optimize=2`, or
    warn that it stays unoptimised when gifsicle is missing or fails.

    gifsicle is run directly rather than through pygifsicle, whose
    `optimize` always adds `--colors 256`: that reduces all frames to one
    shared 256-color palette, a visible loss when every frame has its own.
    Without `--colors`, gifsicle keeps each frame's colors exactly.
    """
    executable = shutil.which("gifsicle")
    if executable is None:
        warnings.warn(
            f"{path.name}: the GIF is written unoptimised because the `gifsicle` program is not "
            "on PATH (install it, e.g. `apt-get install gifsicle`, for smaller files).",
            stacklevel=3,
        )
        return
    optimized = path.with_name(path.name + ".optimized.gif")
    try:
        result = subprocess.run(
            [executable, "--optimize=2", str(path), "--output", str(optimized)],
            capture_output=True,
            text=True,
        )
        if result.returncode == 0 and optimized.is_file():
            os.replace(optimized, path)
        else:
            warnings.warn(
                f"{path.name}: the GIF is written unoptimised because gifsicle failed "
                f"(exit status {result.returncode}: {result.stderr.strip()[-300:]!r}).",
                stacklevel=3,
            )
    finally:
        optimized.unlink(missing_ok=True)


def write_gif_atomic(frames, path, durations, loop=0, colors=256, optimize=True):
    """Stream frames into an animated GIF, so that `path` is complete or untouched.

    Frames are encoded one at a time into a temporary file beside `path`,
    each with its own palette of up to `colors` entries (PIL's median-cut
    quantiser), at offset (0, 0) covering the whole canvas, with disposal
    "restore to background". In RGBA frames, pixels with alpha < 128 become
    the frame's transparent index (RGBA frames reserve one palette entry
    for it). With `optimize=True` the file is then optimised losslessly by
    the `gifsicle` program (`--optimize=2`: unchanged areas and colors are
    stored once); when gifsicle is not on PATH or fails, one warning says
    the output is unoptimised. The temporary file is renamed over `path`
    at the end, and removed on any error.

    Args:
        frames: iterable of uint8 arrays `(h, w, 3)` (RGB) or `(h, w, 4)`
            (RGBA), all of the same size; consumed one at a time.
        path: str or `pathlib.Path` of the GIF to write; parent folders are
            created.
        durations: number (every frame) or iterable of numbers with one
            entry per frame, in milliseconds; stored rounded to 10 ms.
        loop: int or None. 0 loops forever, n > 0 is written as the
            NETSCAPE loop field, None writes no loop field (played once).
            Default 0.
        colors: int in [2, 256], palette entries per frame, including the
            transparent one. Default 256.
        optimize: bool, optimise with gifsicle. Default True.

    Returns:
        The number of frames written.

    Raises:
        ValueError: for frames of the wrong dtype, shape or size, fewer
            `durations` than frames, no frames, or a bad `loop` or `colors`.
    """
    if not isinstance(colors, int) or not 2 <= colors <= 256:
        raise ValueError(f"`colors` must be an int in [2, 256]. Received: colors={colors!r}")
    if loop is not None and (not isinstance(loop, int) or not 0 <= loop <= 65535):
        raise ValueError(f"`loop` must be None or an int in [0, 65535]. Received: loop={loop!r}")
    if isinstance(durations, numbers.Real):
        durations = itertools.repeat(durations)
    durations = iter(durations)

    fd, tmp = atomic_temporary(path, suffix=".part.gif")
    try:
        count = 0
        with os.fdopen(fd, "wb") as f:
            canvas = None
            for frame in frames:
                frame = _check_frame(frame, count, canvas)
                if canvas is None:
                    canvas = frame.shape[:2]
                    f.write(b"GIF89a" + struct.pack("<HHBBB", canvas[1], canvas[0], 0x70, 0, 0))
                    if loop is not None:
                        f.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\0")
                duration = next(durations, None)
                if duration is None:
                    raise ValueError(f"`durations` has {count} entries, fewer than the frames.")
                f.write(_gif_frame_bytes(frame, duration, colors))
                count += 1
            if count == 0:
                raise ValueError("No frames to write: `frames` is empty.")
            f.write(b";")
        if optimize:
            _optimize_with_gifsicle(tmp)
        replace_with_umask(tmp, path)
        return count
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mapped_frames(frames, frame_fn, keep_alpha, chunk_size):
    """Yield `frame_fn(frame)` for each RGBA frame, reading `chunk_size`
    frames at a time and releasing each chunk's inputs before its outputs
    are consumed, so that at most `chunk_size` inputs and `chunk_size`
    outputs are alive.

    Fully opaque frames are passed to `frame_fn` as RGB; with `keep_alpha`,
    RGB results get an opaque alpha channel, so that every yielded frame
    is RGBA."""
    frames = iter(frames)
    while chunk := [
        frame[:, :, :3].copy() if frame[:, :, 3].min() == 255 else frame
        for frame in itertools.islice(frames, chunk_size)
    ]:
        mapped = collections.deque()
        for frame in chunk:
            result = np.asarray(frame_fn(frame))
            if keep_alpha and result.ndim == 3 and result.shape[2] == 3:
                result = np.concatenate([result, np.full(result.shape[:2] + (1,), 255, result.dtype)], axis=2)
            mapped.append(result)
        del chunk
        while mapped:
            yield mapped.popleft()


def map_gif(src, dst, frame_fn, chunk_size=8, progress=None, colors=256, optimize=True, max_pixels=MAX_PIXELS):
    """Write `frame_fn` of every frame of an animated GIF, keeping its timing, loop and transparency.

    The per-frame map behind upscaling, colourising or any other model that
    turns one image into another: frames are read composited (see
    `iter_gif_frames`), `chunk_size` at a time, passed to `frame_fn` one by
    one, and streamed into `dst` by `write_gif_atomic`, so memory holds at
    most `chunk_size` input and `chunk_size` output frames whatever the
    length of the GIF. The output canvas is the size of the frames
    `frame_fn` returns (the first one's; every frame must match it).
    Frames with transparent pixels are passed to `frame_fn` as RGBA, fully
    opaque ones as RGB; when the GIF uses transparency, every output frame
    keeps a transparent index (RGB results are made opaque).

    Args:
        src: str or `pathlib.Path`, the GIF to read.
        dst: str or `pathlib.Path`, the GIF to write (complete or untouched).
        frame_fn: callable mapping a uint8 array `(h, w, c)` (c = 4, RGBA,
            or 3, RGB) to a uint8 array `(h2, w2, 3 or 4)` of one size for
            every frame, e.g. `SuperResolver.upscale`.
        chunk_size: int >= 1, frames read and mapped together. Default 8.
        progress: optional callable wrapping the iterable of output frames
            (which has a `len()`), e.g. `tqdm.tqdm`. Default None.
        colors: int in [2, 256], palette entries per output frame.
            Default 256.
        optimize: bool, optimise the output with gifsicle. Default True.
        max_pixels: int, the largest canvas or frame of `src` accepted, in
            pixels; 0 or None for no limit. Default `MAX_PIXELS` (40,000,000).

    Returns:
        The `GifInfo` of `src`.

    Raises:
        ImageReadError: for a missing, empty, non-GIF, damaged or truncated
            `src`, or one above `max_pixels`; `dst` is then not written.
        ValueError: for a bad `chunk_size`, `dst` equal to `src`, or when
            `frame_fn` returns frames of the wrong dtype or shape, or of
            different sizes.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
        raise ValueError(f"`chunk_size` must be a positive int. Received: chunk_size={chunk_size!r}")
    src, dst = Path(src), Path(dst)
    if dst.resolve() == src.resolve():
        raise ValueError(f"`dst` must differ from `src`; refusing to overwrite the input {src}")
    info = read_gif_info(src, max_pixels)
    mapped = _mapped_frames(iter_gif_frames(src, max_pixels), frame_fn, info.has_transparency, chunk_size)
    frames = CountedFrames(mapped, info.frame_count)
    write_gif_atomic(
        progress(frames) if progress else frames,
        dst,
        durations=info.durations,
        loop=info.loop,
        colors=colors,
        optimize=optimize,
    )
    return info
