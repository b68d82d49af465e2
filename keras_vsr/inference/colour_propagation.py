"""Motion-compensated colour propagation from RGB key frames along a grey stream.

Every grey frame between two key frames takes the chroma of each key frame
warped to it along optical flow measured on the grey frames
(`keras_vsr.layers.LucasKanadeFlow`, `backward_warp`), with a per-pixel
confidence for each side, and the two are blended by temporal distance and
confidence. Chroma is `(R - Y, G - Y, B - Y)` of BT.601 luma `Y`
(`keras_vsr.utils.colour.chroma`); the output frame keeps the grey frame's
luma.

Flow over several frames is found one of two ways (`mode`):

* `"chained"` (the default): the flow between neighbouring frames is
  composed step by step, `F_{t->k}(x) = F_{t->s}(x) + F_{s->k}(x +
  F_{t->s}(x))` with `s` the neighbour of `t` towards key frame `k`, so
  each flow spans one frame of motion. The forward-backward error of each
  step is carried along the same way and summed.
* `"direct"`: the flow from each frame to the key frame is estimated again
  from the two frames, and its forward-backward error from the flow the
  other way.

The confidence of a side is `exp(-(e_y / luma_sigma)^2 / 2) * exp(-(e_f /
consistency_sigma)^2 / 2)`, with `e_y` the luma difference between the
grey frame and the key frame's luma warped to it (smoothed over a 3x3
Gaussian) and `e_f` the forward-backward error in pixels. The blend weight
of the key frame at `t_a` for a frame at `t` between `t_a` and `t_b` is
`(t_b - t) / (t_b - t_a) * (confidence + floor)`, so where neither side is
trusted the temporal blend of the warped chroma remains. Frames before the
first or after the last key frame take the one key frame there is.
"""

import numpy as np
from keras import ops

from keras_vsr.layers.optical_flow import LucasKanadeFlow, backward_warp
from keras_vsr.models.chroma_fusion import fusion_features
from keras_vsr.utils.colour import chroma, rgb_to_luma
from keras_vsr.utils.frames import pad_to_multiple
from keras_vsr.utils.checks import positive_int
from keras_vsr.utils.image_ops import gaussian_taps

MODES = ("chained", "direct")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x), "float32")


def _smooth(images):
    """3x3 Gaussian blur of `(n, h, w, c)` float arrays (edges repeated)."""
    taps = gaussian_taps(3, 0.8)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    rows = sum(taps[i] * padded[:, i : i + images.shape[1]] for i in range(3))
    return sum(taps[i] * rows[:, :, i : i + images.shape[2]] for i in range(3))


def _warp(images, flow):
    return _numpy(backward_warp(ops.convert_to_tensor(images), ops.convert_to_tensor(flow)))


class PropagatedChroma:
    """The chroma of each key frame side carried to a run of frames.

    Attributes (all float32 NumPy arrays over the `n` frames of the run):
        chroma: `(2, n, h, w, 3)`, the chroma warped from the key frame
            before (index 0) and after (index 1); zeros for a missing side.
        confidence: `(2, n, h, w, 1)` in [0, 1]; zeros for a missing side.
        weight: `(2, n)`, the temporal weights of the two sides (they sum
            to 1; `(1, 0)` or `(0, 1)` with one side only).
    """

    def __init__(self, chroma, confidence, weight):
        self.chroma = chroma
        self.confidence = confidence
        self.weight = weight

    def blend(self, floor=0.05):
        """`(n, h, w, 3)` chroma: the sides blended by `weight * (confidence + floor)`."""
        w = self.weight[:, :, None, None, None] * (self.confidence + floor)
        return np.sum(w * self.chroma, axis=0) / np.maximum(np.sum(w, axis=0), 1e-6)


class ChromaPropagator:
    """Carries key frames' chroma along a grey stream (see the module docstring).

    Args:
        mode: `"chained"` or `"direct"`. Default `"chained"`.
        levels, iterations, window_sigma: `LucasKanadeFlow` settings.
            Defaults 5, 3, 2.0.
        luma_sigma: float > 0, luma difference (intensities in [0, 1]) at
            which the luma term of the confidence is `exp(-1/2)`. Default 0.05.
        consistency_sigma: float > 0, forward-backward error in pixels at
            which the flow term is `exp(-1/2)`. Default 1.0.
        batch_size: int >= 1, frame pairs per flow call. Default 8.
    """

    def __init__(
        self,
        mode="chained",
        levels=5,
        iterations=3,
        window_sigma=2.0,
        luma_sigma=0.05,
        consistency_sigma=1.0,
        batch_size=8,
    ):
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
        for name, value in (("luma_sigma", luma_sigma), ("consistency_sigma", consistency_sigma)):
            if not value > 0:
                raise ValueError(f"`{name}` must be > 0. Received: {name}={value}")
        self.mode = mode
        self.flow = LucasKanadeFlow(levels, iterations, window_sigma)
        self.luma_sigma = float(luma_sigma)
        self.consistency_sigma = float(consistency_sigma)
        self.batch_size = positive_int(batch_size, "batch_size")

    def flows(self, first, second):
        """Flow `first -> second` of float grey `(n, h, w, 1)` frames, any size:
        `first(x) ~ second(x + flow(x))`, float32 `(n, h, w, 2)`."""
        h, w = first.shape[1:3]
        m = self.flow.size_multiple
        out = []
        for s in range(0, len(first), self.batch_size):
            a = pad_to_multiple(first[s : s + self.batch_size], m)
            b = pad_to_multiple(second[s : s + self.batch_size], m)
            out.append(_numpy(self.flow([ops.convert_to_tensor(a), ops.convert_to_tensor(b)]))[:, :h, :w])
        return np.concatenate(out, axis=0)

    def _fb_error(self, forward, backward):
        """`|F(x) + B(x + F(x))|` in pixels, `(n, h, w, 1)`."""
        return np.linalg.norm(forward + _warp(backward, forward), axis=-1, keepdims=True)

    def step_flows(self, frames):
        """Flows between neighbours of float grey `(n, h, w, 1)` frames:
        `(to_next, to_previous)`, each `(n - 1, h, w, 2)`; `to_next[i]` is the
        flow from frame `i` to frame `i + 1`, `to_previous[i]` from `i + 1` to `i`."""
        n = len(frames) - 1
        both = self.flows(np.concatenate([frames[:-1], frames[1:]]), np.concatenate([frames[1:], frames[:-1]]))
        return both[:n], both[n:]

    def _to_key(self, grey, key_grey, toward_start, steps):
        """Flows from every frame of `grey` to the key frame and their
        forward-backward errors. `toward_start`: the key frame is just
        before `grey[0]`, else just after `grey[-1]`. `steps`: the
        `(step, back)` flows of each frame to its neighbour towards the key
        frame and back (chained mode)."""
        n = len(grey)
        if self.mode == "direct":
            keys = np.repeat(key_grey[None], n, axis=0)
            both = self.flows(np.concatenate([grey, keys]), np.concatenate([keys, grey]))
            return both[:n], self._fb_error(both[:n], both[n:])
        step, back = steps
        step_error = self._fb_error(step, back)
        flows, errors = np.zeros_like(step), np.zeros_like(step_error)
        previous = None
        for i in range(n) if toward_start else range(n - 1, -1, -1):
            if previous is None:
                flows[i], errors[i] = step[i], step_error[i]
            else:
                carried = _warp(np.concatenate([flows[previous], errors[previous]], -1)[None], step[i][None])[0]
                flows[i] = step[i] + carried[..., :2]
                errors[i] = step_error[i] + carried[..., 2:]
            previous = i
        return flows, errors

    def _side(self, grey, key_rgb, toward_start, steps):
        key_grey = rgb_to_luma(key_rgb)
        flows, errors = self._to_key(grey, key_grey, toward_start, steps)
        n = len(grey)
        warped = _warp(np.repeat(np.concatenate([chroma(key_rgb), key_grey], -1)[None], n, axis=0), flows)
        luma_error = np.sqrt(_smooth((warped[..., 3:] - grey) ** 2))
        confidence = np.exp(-0.5 * (luma_error / self.luma_sigma) ** 2) * np.exp(
            -0.5 * (errors / self.consistency_sigma) ** 2
        )
        return warped[..., :3], confidence.astype("float32")

    def propagate(self, grey, before=None, after=None, steps=None):
        """Carry the chroma of the key frames next to a run of grey frames.

        Args:
            grey: float `(n, h, w, 1)` in [0, 1], consecutive frames.
            before: None or float RGB `(h, w, 3)`, the key frame just before
                `grey[0]`.
            after: None or float RGB `(h, w, 3)`, the key frame just after
                `grey[-1]`.
            steps: None, or `step_flows` of the whole chain (the luma of
                `before`, `grey`, the luma of `after`, the key frames given
                only), computed once and reused (chained mode). Default
                None: computed here.

        Returns:
            A `PropagatedChroma`.

        Raises:
            ValueError: no key frame on either side, or a key frame of
                another size than the grey frames.
        """
        grey = np.asarray(grey, "float32")
        if before is None and after is None:
            raise ValueError("At least one key frame (before or after) is needed to propagate colour.")
        n, h, w = grey.shape[:3]
        keys = [None if k is None else np.asarray(k, "float32") for k in (before, after)]
        for key in keys:
            if key is not None and key.shape != (h, w, 3):
                raise ValueError(f"A key frame of shape {key.shape} does not fit grey frames of {h}x{w}.")
        offset = int(before is not None)
        if self.mode == "chained" and steps is None:
            chain = [rgb_to_luma(k)[None] for k in keys[:1] if k is not None] + [grey]
            steps = self.step_flows(np.concatenate(chain + [rgb_to_luma(k)[None] for k in keys[1:] if k is not None]))
        chromas = np.zeros((2, n, h, w, 3), "float32")
        confidence = np.zeros((2, n, h, w, 1), "float32")
        for side, key in enumerate(keys):
            if key is None:
                continue
            side_steps = None
            if steps is not None:
                to_next, to_previous = steps
                if len(to_next) != n + offset + int(after is not None) - 1:
                    raise ValueError(f"`steps` hold {len(to_next)} flows; this run needs one per neighbouring pair.")
                if side == 0:
                    side_steps = (to_previous[:n], to_next[:n])
                else:
                    side_steps = (to_next[offset : offset + n], to_previous[offset : offset + n])
            chromas[side], confidence[side] = self._side(grey, key, side == 0, side_steps)
        if before is not None and after is not None:
            weight_after = np.arange(1, n + 1, dtype="float32") / (n + 1)
            weight = np.stack([1.0 - weight_after, weight_after])
        else:
            weight = np.stack([np.ones(n), np.zeros(n)]) if before is not None else np.stack([np.zeros(n), np.ones(n)])
        return PropagatedChroma(chromas, confidence, weight.astype("float32"))


def key_runs(num_frames, key_indices):
    """The runs of frames between key frames: `[(start, stop, before, after)]`
    with frames `start .. stop - 1` not key frames, `before` / `after` the
    key frame indices next to the run (None beyond the first or last)."""
    keys = sorted(key_indices)
    runs = []
    bounds = [-1] + keys + [num_frames]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a > 1:
            runs.append((a + 1, b, a if a >= 0 else None, b if b < num_frames else None))
    return runs


def propagate_keys(propagator, grey, key_frames, steps=None):
    """Carry key frames' chroma over a whole sequence, run by run.

    Args:
        propagator: a `ChromaPropagator`.
        grey: float `(n, h, w, 1)` in [0, 1].
        key_frames: `{index: float RGB (h, w, 3)}`, at least one.
        steps: None or `propagator.step_flows(grey)` (chained mode),
            computed once for the sequence.

    Yields:
        `(start, stop, PropagatedChroma)` for every run of frames between
        key frames (`key_runs`).
    """
    for start, stop, before, after in key_runs(len(grey), key_frames):
        run_steps = None
        if steps is not None:
            lo, hi = (start if before is None else before), (stop - 1 if after is None else after)
            run_steps = (steps[0][lo:hi], steps[1][lo:hi])
        yield start, stop, propagator.propagate(
            grey[start:stop],
            None if before is None else key_frames[before],
            None if after is None else key_frames[after],
            steps=run_steps,
        )


def key_chroma_blend(key_chroma, n, nearest):
    """`(n, ...)` chroma of every frame from `{index: chroma}` of key frames,
    no motion: the nearest key frame's (`nearest`), else the two nearest
    blended linearly in time (one side beyond the first or last)."""
    out = np.zeros((n,) + next(iter(key_chroma.values())).shape, "float32")
    for k, c in key_chroma.items():
        out[k] = c
    for start, stop, before, after in key_runs(n, key_chroma):
        for t in range(start, stop):
            if before is None or after is None:
                out[t] = key_chroma[after if before is None else before]
            elif nearest:
                out[t] = key_chroma[before if t - before <= after - t else after]
            else:
                out[t] = ((after - t) * key_chroma[before] + (t - before) * key_chroma[after]) / (after - before)
    return out


def fused_chroma(propagated, grey, colorizer_chroma, fusion=None):
    """The chroma of a run of frames from its `PropagatedChroma`: the
    confidence blend, or, with a `ChromaFusion` task `fusion`, its
    prediction from the blend, both sides, the grey frames and the
    colouriser's chroma `(n, h, w, 3)`."""
    blend = propagated.blend()
    if fusion is None:
        return blend
    features = fusion_features(
        grey, blend, propagated.chroma, propagated.confidence, propagated.weight, colorizer_chroma
    )
    return fusion.predict_chroma(features)
