"""The colour-fusion evaluation: RGB key frames every K frames of a grey
stream, every way of colouring the other frames beside each other.

A sequence of RGB frames is turned into a grey stream (BT.601 luma, 8
bits); every `K`-th frame is given in colour (the key frames, from frame
0). With a frame-rate factor of 1 the other frames are coloured; with a
factor of 2 only the even frames are given (grey), key frames every `K` of
them, and the odd frames are made by the interpolator (their luma) and
coloured too. RGB PSNR (of the MSE pooled over a clip's frames) and mean
SSIM (8 bits, no border crop) of the frames that are not key frames, for:

* `grey`: the grey frame copied to three channels;
* `colorizer`: the colouriser's chroma on the grey luma;
* `nearest`: the nearest key frame's chroma, no motion;
* `linear`: the chroma of the two nearest key frames blended linearly in
  time, no motion;
* `correction`: the colouriser's chroma plus its per-pixel error at the key
  frames, blended linearly in time (`SpatioTemporalFusion(method=
  "correction")`);
* `propagation`: the key frames' chroma warped along optical flow and
  blended by distance and confidence (`keras_vsr.inference.colour_propagation`);
* `learned`: a `ChromaFusion` preset on the propagated chroma and the
  colouriser's (when one is given).

Every frame keeps the grey stream's luma (interpolated frames: the
interpolator's), so the methods differ only in chroma.
"""

import numpy as np

from keras_vsr.inference.colour_propagation import ChromaPropagator, fused_chroma, key_chroma_blend, propagate_keys
from keras_vsr.io.framerate import raise_frame_rate
from keras_vsr.metrics import ssim
from keras_vsr.utils.colour import chroma, luma_uint8
from keras_vsr.utils.images import from_float, to_float

METHODS = ("grey", "colorizer", "nearest", "linear", "correction", "propagation", "learned")
KEY_EVERY = (4, 8, 16)
FACTORS = (1, 2)
# The clips' frames from here on were never seen in training (the presets
# trained on their first 150 frames); 33 of them are measured, shrunk to a
# longer side of at most 256 pixels.
CLIP_START, CLIP_FRAMES = 150, 33
MAX_SIDE = 400
EVALUATION_SIDE = 256


def shrink(frames, max_side=MAX_SIDE):
    """uint8 `(n, h, w, c)` frames averaged over `f x f` blocks, `f` the
    smallest integer that brings the longer side to `max_side` or less."""
    f = -(-max(frames.shape[1:3]) // max_side)
    if f == 1:
        return frames
    n, h, w, c = frames.shape
    h, w = h // f * f, w // f * f
    blocks = frames[:, :h, :w].reshape(n, h // f, f, w // f, f, c).astype("float32")
    return np.round(blocks.mean(axis=(2, 4))).astype(np.uint8)


def clip_frames(path, start, count, max_side=EVALUATION_SIDE):
    """uint8 RGB frames `start .. start + count - 1` of a video, shrunk to `max_side` (`shrink`)."""
    from keras_vsr.io.video import iter_video_frames

    frames = []
    for i, frame in enumerate(iter_video_frames(path)):
        if i >= start:
            frames.append(frame[..., :3])
        if len(frames) == count:
            break
    if len(frames) < count:
        raise ValueError(f"{path} has fewer than {start + count} frames.")
    return shrink(np.stack(frames), max_side)


def evaluation_sequences(clips_folder, start=CLIP_START, count=CLIP_FRAMES, max_side=EVALUATION_SIDE, exclude=()):
    """`[(name, frames)]`: the kept-aside frames of every clip in `clips_folder`
    whose name (without extension) is not in `exclude` (files that do not
    decode are left out)."""
    from pathlib import Path

    from keras_vsr.io.video import VIDEO_EXTENSIONS

    sequences = []
    for path in sorted(Path(clips_folder).iterdir()):
        if path.suffix.lower() not in VIDEO_EXTENSIONS or path.stem in exclude:
            continue
        try:
            sequences.append((path.stem, clip_frames(path, start, count, max_side)))
        except (ValueError, RuntimeError, OSError):
            continue
    if not sequences:
        raise ValueError(f"No clip of at least {start + count} frames in '{clips_folder}'.")
    return sequences


def colour_methods(grey, key_frames, colorizer_chroma, propagator, steps=None, fusion=None):
    """The chroma of every frame by each method of `METHODS`.

    Args:
        grey: float `(n, h, w, 1)`.
        key_frames: `{index: float RGB (h, w, 3)}`.
        colorizer_chroma: float `(n, h, w, 3)`, the colouriser's chroma.
        propagator: a `ChromaPropagator`; `steps` its `step_flows(grey)`.
        fusion: a `ChromaFusion` task or None (no `learned`).

    Returns:
        `{method: float (n, h, w, 3)}`; key frames have their own chroma.
    """
    n = len(grey)
    keys = {k: chroma(v) for k, v in key_frames.items()}
    out = {
        "grey": np.zeros_like(colorizer_chroma),
        "colorizer": colorizer_chroma.copy(),
        "nearest": key_chroma_blend(keys, n, nearest=True),
        "linear": key_chroma_blend(keys, n, nearest=False),
    }
    errors = key_chroma_blend({k: keys[k] - colorizer_chroma[k] for k in keys}, n, nearest=False)
    out["correction"] = colorizer_chroma + errors
    propagated = key_chroma_blend(keys, n, nearest=True)
    learned = propagated.copy() if fusion is not None else None
    for start, stop, runs in propagate_keys(propagator, grey, key_frames, steps):
        propagated[start:stop] = runs.blend()
        if fusion is not None:
            learned[start:stop] = fused_chroma(runs, grey[start:stop], colorizer_chroma[start:stop], fusion)
    out["propagation"] = propagated
    if fusion is not None:
        out["learned"] = learned
    for k, c in keys.items():
        for method in out:
            out[method][k] = c
    return out


def score_methods(rgb, grey, methods, measured):
    """`{method_psnr, method_ssim}` over the frames `measured` of uint8 `rgb`,
    each method's chroma added to the float `grey` luma: the PSNR of the MSE
    pooled over the frames (finite when some frames are exact, e.g. a
    repeated frame beside a key frame) and the mean SSIM."""
    row = {}
    for method, c in methods.items():
        se, ss = 0.0, []
        for t in measured:
            out = from_float(np.clip(grey[t] + c[t], 0.0, 1.0), np.uint8)
            se += float(np.mean((out.astype("float64") - rgb[t]) ** 2))
            ss.append(ssim(rgb[t], out))
        mse = max(se / len(measured), 1e-10)
        row[f"{method}_psnr"], row[f"{method}_ssim"] = float(10 * np.log10(255.0**2 / mse)), float(np.mean(ss))
    return row


def evaluate_fusion(
    sequences, colorizer, interpolator=None, fusion=None, key_every=KEY_EVERY, factors=FACTORS,
    propagator=None, progress=None,
):
    """Every colouring method on every sequence, key spacing and factor.

    Args:
        sequences: `[(name, uint8 RGB (n, h, w, 3))]`, n >= 2 K + 1 for
            factor 2 (`evaluation_sequences`).
        colorizer: a `Grey2RGBColorizer` (`predict_rgb`).
        interpolator: an object with `predict_middle` (factor 2), or None
            (factor 2 is then skipped).
        fusion: a `ChromaFusion` task, or None (no `learned` column).
        key_every: key frame spacings, in frames of the grey stream.
        factors: 1 and/or 2.
        propagator: a `ChromaPropagator`. Default `ChromaPropagator()`.
        progress: optional callable taking a message string.

    Returns:
        `{(factor, K): {"rows": [...], "mean": {...}}}`, one row per sequence
        with `name` and `<method>_psnr`, `<method>_ssim`.
    """
    propagator = propagator or ChromaPropagator()
    results = {}
    for name, rgb in sequences:
        for factor in factors:
            if factor == 2 and interpolator is None:
                continue
            n = (len(rgb) - 1) // factor * factor + 1
            truth = rgb[:n]
            given = luma_uint8(truth[::factor])
            if factor == 1:
                grey = to_float(given)
            else:
                grey = to_float(np.stack(list(raise_frame_rate(list(given), interpolator, 2))))
            colorizer_chroma = chroma(colorizer.predict_rgb(grey, keep_luma=True))
            steps = propagator.step_flows(grey) if propagator.mode == "chained" else None
            for k in key_every:
                key_times = range(0, n, k * factor)
                key_frames = {t: to_float(truth[t]) for t in key_times}
                methods = colour_methods(grey, key_frames, colorizer_chroma, propagator, steps, fusion)
                measured = [t for t in range(n) if t not in key_frames]
                row = {"name": name, **score_methods(truth, grey, methods, measured)}
                results.setdefault((factor, k), []).append(row)
                if progress:
                    progress(f"{name} factor {factor} K {k}: " + ", ".join(
                        f"{m} {row[m + '_psnr']:.2f}" for m in methods))
    return {key: {"rows": rows, "mean": _mean(rows)} for key, rows in results.items()}


def _mean(rows):
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "name"}


def format_fusion_report(results, markdown=False):
    """One table: a row per (factor, K), a column per method, PSNR / SSIM of the mean."""
    methods = [m for m in METHODS if any(f"{m}_psnr" in r["mean"] for r in results.values())]
    head = ["factor", "K"] + methods
    rows = [
        [str(f), str(k)] + [f"{r['mean'][m + '_psnr']:.2f} / {r['mean'][m + '_ssim']:.4f}" for m in methods]
        for (f, k), r in sorted(results.items())
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(head)]
    return "\n".join("".join(c.rjust(w) for c, w in zip(line, widths)) for line in [head] + rows)
