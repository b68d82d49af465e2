"""The frame-interpolation evaluation protocol (Middlebury "other" set):
given `frame10` and `frame11` of each scene, predict `frame10i11`; PSNR and
SSIM against the true middle frame, beside frame averaging measured the
same way.

Colour models are measured on RGB. Grey models (`grey=True`) are given the
BT.601 luma of the input frames (full range, as PIL's "L" conversion) and are
measured against the luma of the true middle frame.

Frame averaging is `round((frame10 + frame11) / 2)` in 8 bits; on the 12
Middlebury-other scenes it gives 28.01 dB (RGB).
"""

from pathlib import Path

import numpy as np

from keras_vsr.io.images import load_image
from keras_vsr.evaluation.report import summarise
from keras_vsr.metrics import psnr, ssim
from keras_vsr.utils.images import from_float

FIRST, SECOND, MIDDLE = "frame10", "frame11", "frame10i11"
FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm")


def _find(folder, stem):
    for ext in FRAME_EXTENSIONS:
        path = folder / (stem + ext)
        if path.is_file():
            return path
    return None


def find_triplets(folder):
    """`[(scene, frame10_path, frame11_path, frame10i11_path)]`, sorted by scene.

    `folder` holds `input/<scene>/frame10.png, frame11.png` and
    `gt/<scene>/frame10i11.png` (the layout of
    `<data root>/video/bench/middlebury_others`); scene folders holding all
    three files directly are accepted too.

    Raises:
        ValueError: the folder does not exist, a scene lacks a file, or no
            scene is found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"Interpolation benchmark folder '{folder}' does not exist.")
    if (folder / "input").is_dir():
        input_root, gt_root = folder / "input", folder / "gt"
    else:
        input_root = gt_root = folder
    triplets = []
    for scene in sorted(p for p in input_root.iterdir() if p.is_dir()):
        first, second = _find(scene, FIRST), _find(scene, SECOND)
        middle = _find(gt_root / scene.name, MIDDLE)
        if first is None and second is None:
            continue
        if first is None or second is None or middle is None:
            raise ValueError(
                f"Scene '{scene.name}' in {folder} needs {FIRST}, {SECOND} and "
                f"{MIDDLE}; found {FIRST}={first}, {SECOND}={second}, {MIDDLE}={middle}."
            )
        triplets.append((scene.name, first, second, middle))
    if not triplets:
        raise ValueError(
            f"No scenes found in {folder} (expected input/<scene>/{FIRST}.png, "
            f"{SECOND}.png and gt/<scene>/{MIDDLE}.png)."
        )
    return triplets


def read_frame(path, grey):
    """A benchmark frame as uint8 `(h, w, 3)`, or its BT.601 luma `(h, w, 1)` when `grey`."""
    frame = load_image(path, mode="L" if grey else "RGB")
    return frame[..., None] if grey else frame


def _to_uint8(prediction, shape, scene):
    prediction = np.asarray(prediction)
    if prediction.ndim == 4 and prediction.shape[0] == 1:
        prediction = prediction[0]
    if prediction.shape != shape:
        raise ValueError(
            f"predict_middle returned shape {prediction.shape} for scene '{scene}'; "
            f"expected (1, {shape[0]}, {shape[1]}, {shape[2]})."
        )
    return from_float(prediction, np.uint8)


def frame_average(frame_a, frame_b):
    """The baseline: `round((a + b) / 2)` of two uint8 frames, as uint8."""
    mean = (np.asarray(frame_a, "float32") + np.asarray(frame_b, "float32")) / 2.0
    return np.round(mean).astype(np.uint8)


def evaluate_interpolation(predict_middle, folder, grey=False, progress=None):
    """Measure a frame interpolator on a Middlebury-style folder.

    Args:
        predict_middle: callable `(frames_a, frames_b) -> middle`, float
            arrays `(batch, h, w, c)` in [0, 1] (c = 3, or 1 when `grey`),
            returning the middle frames in [0, 1], same shape (a tensor or a
            NumPy array; `(h, w, c)` is accepted too). Pass `None` to measure
            only frame averaging.
        folder: str or Path, the benchmark folder (see `find_triplets`).
        grey: bool, give the model BT.601 luma frames `(1, h, w, 1)` and
            measure on luma. Default False (RGB).
        progress: optional callable wrapping an iterable (e.g. `tqdm`).
            Default None.

    Returns:
        dict with `rows` (per scene: `name`, `psnr`, `ssim`, `average_psnr`,
        `average_ssim`; the model's entries are absent when `predict_middle`
        is None), `mean` (the mean of each over the scenes) and `grey`.
    """
    if predict_middle is not None and not callable(predict_middle):
        raise ValueError(f"`predict_middle` must be a callable or None. Received: {predict_middle!r}")
    rows = []
    triplets = find_triplets(folder)
    for name, first, second, middle in progress(triplets) if progress else triplets:
        a, b, truth = read_frame(first, grey), read_frame(second, grey), read_frame(middle, grey)
        if not (a.shape == b.shape == truth.shape):
            raise ValueError(f"Scene '{name}': frames differ in size ({a.shape}, {b.shape}, {truth.shape}).")
        row = {"name": name}
        if predict_middle is not None:
            prediction = predict_middle(a[None].astype("float32") / 255.0, b[None].astype("float32") / 255.0)
            if not isinstance(prediction, np.ndarray):
                import keras

                prediction = keras.ops.convert_to_numpy(prediction)
            out = _to_uint8(prediction, a.shape, name)
            row.update(psnr=psnr(truth, out), ssim=ssim(truth, out))
        average = frame_average(a, b)
        row.update(average_psnr=psnr(truth, average), average_ssim=ssim(truth, average))
        rows.append(row)
    return summarise(rows, grey=bool(grey))
