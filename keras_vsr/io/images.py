"""Finding and reading images safely, and writing results atomically."""

import os
from pathlib import Path

import numpy as np

from keras_vsr.utils.atomic_files import atomic_temporary, replace_with_umask

# Largest input accepted by the CLI and `load_image`, in pixels (about
# 40 megapixels, e.g. 8000x5000). Raise it with `max_pixels=`.
MAX_PIXELS = 40_000_000

# File name extensions read as images (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class ImageReadError(ValueError):
    """An input file is missing, empty, not an image, damaged or too large."""


def find_images(*roots):
    """Sorted image files below each root (recursive). A root may be a file.

    DIV2K-style trees are covered: pass `DIV2K_train_HR`, or the DIV2K root,
    in which case only folders whose name ends in `_HR` are used.

    Raises:
        ValueError: for a root that does not exist.
    """
    files = []
    for root in roots:
        root = Path(root)
        if root.is_file():
            files.append(root)
            continue
        if not root.is_dir():
            raise ValueError(f"Image folder '{root}' does not exist.")
        hr_dirs = [d for d in root.iterdir() if d.is_dir() and d.name.upper().endswith("_HR")]
        for base in hr_dirs or [root]:
            for dirpath, _, names in os.walk(base):
                files.extend(
                    Path(dirpath) / n for n in names if n.lower().endswith(IMAGE_EXTENSIONS)
                )
    return sorted(set(files))


def load_image(path, max_pixels=MAX_PIXELS, mode=None):
    """Decode an image file into a uint8 (or uint16) array.

    With `mode=None`, returns `(h, w)` for greyscale, `(h, w, 3)` for RGB and
    `(h, w, 4)` for images with transparency. 16-bit PNGs keep 16 bits
    (uint16). Palette and CMYK images are converted to RGB(A). EXIF
    orientation is applied.

    Args:
        path: str or `pathlib.Path`.
        max_pixels: int or None, the largest accepted `width * height`.
            Default `MAX_PIXELS`.
        mode: None, "RGB" or "L": convert to uint8 `(h, w, 3)` RGB or
            `(h, w)` grey (PIL's `Image.convert`, BT.601 luma for "L"),
            whatever the file holds; the layout training and evaluation data
            need. Default None (the file's own layout).

    Raises:
        ImageReadError: with the file name and the reason, for a missing or
            zero-byte file, a file that is not an image, a truncated image,
            or one with more than `max_pixels` pixels (checked from the
            header, before decoding).
        ValueError: for a `mode` other than None, "RGB" and "L".
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if mode not in (None, "RGB", "L"):
        raise ValueError(f"`mode` must be None, 'RGB' or 'L'. Received: mode={mode!r}")
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty (0 bytes)")
    try:
        with Image.open(path) as img:
            w, h = img.size
            if max_pixels and w * h > max_pixels:
                raise ImageReadError(
                    f"{path}: {w}x{h} = {w * h:,} pixels is above the limit of "
                    f"{max_pixels:,} pixels"
                )
            img.load()
            img = ImageOps.exif_transpose(img)  # camera orientation, as viewers show it
            if mode is not None:
                return np.asarray(img.convert(mode)).copy()
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(img, dtype=np.int64)
                return np.clip(array, 0, 65535).astype(np.uint16)
            if img.mode in ("L", "RGB", "RGBA"):
                return np.asarray(img).copy()
            if img.mode == "LA":
                return np.asarray(img.convert("RGBA")).copy()
            if img.mode == "P" and "transparency" in img.info:
                return np.asarray(img.convert("RGBA")).copy()
            if img.mode == "1":
                return np.asarray(img.convert("L")).copy()
            return np.asarray(img.convert("RGB")).copy()
    except ImageReadError:
        raise
    except UnidentifiedImageError as e:
        raise ImageReadError(f"{path}: not a readable image file") from e
    except Image.DecompressionBombError as e:
        raise ImageReadError(f"{path}: image is too large ({e})") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(f"{path}: damaged or truncated image ({e})") from e


def save_image_atomic(array, path):
    """Write an image so that `path` is either complete or untouched.

    The image is encoded into a temporary file beside `path` and renamed
    over it; on any error the temporary file is removed. The format follows
    the extension of `path`.
    """
    from PIL import Image

    path = Path(path)
    array = np.asarray(array)
    if array.dtype == np.uint16 and array.ndim == 3:
        array = (array >> 8).astype(np.uint8)  # PIL writes 16-bit only for grey
    image = Image.fromarray(array)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown image extension '{path.suffix}'")
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    fd, tmp = atomic_temporary(path)
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, format=fmt)
        replace_with_umask(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
