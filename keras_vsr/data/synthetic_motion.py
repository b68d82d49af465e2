"""Synthetic frame triplets with known motion and occlusions, made from still
images, for training frame interpolators (in the manner of the FlyingChairs
flow data set, Dosovitskiy et al., ICCV 2015).

A scene is a background (a crop of one photograph) and a few foreground
objects (elliptical cut-outs of others) in front of it. Each layer moves
with its own similarity transform whose parameters grow linearly with time:
a point `p` of the layer at time 0 lies at time `tau` at

    c + (1 + tau * zoom) * R(tau * angle) (p - c) + tau * shift

around the layer's centre `c`. The frames at `tau = 0`, `t` and `1` are
rendered by inverse mapping with bilinear sampling and composited back to
front, so objects cover and uncover the background (occlusions) and every
frame between the two outer ones is exact. Motions reach well beyond the
few pixels between consecutive frames of the real clips at hand.
"""

import numpy as np

from keras_vsr.data.interpolation import TIMES, triplet_batch
from keras_vsr.data.sampling import RandomBatchDataset, area_weights, random_crop, random_flips
from keras_vsr.io.images import find_images, load_image
from keras_vsr.utils.checks import positive_int
from keras_vsr.utils.images import to_float


def bilinear_sample(image, ys, xs):
    """`image` `(H, W, C)` sampled at float coordinates `(ys, xs)` (arrays of
    one shape), bilinear, coordinates clamped to the image."""
    height, width = image.shape[:2]
    ys = np.clip(ys, 0.0, height - 1.0)
    xs = np.clip(xs, 0.0, width - 1.0)
    y0 = np.minimum(np.floor(ys).astype(np.int64), height - 2) if height > 1 else np.zeros(ys.shape, np.int64)
    x0 = np.minimum(np.floor(xs).astype(np.int64), width - 2) if width > 1 else np.zeros(xs.shape, np.int64)
    y1, x1 = np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)
    wy, wx = (ys - y0)[..., None], (xs - x0)[..., None]
    top = image[y0, x0] * (1 - wx) + image[y0, x1] * wx
    bottom = image[y1, x0] * (1 - wx) + image[y1, x1] * wx
    return top * (1 - wy) + bottom * wy


def source_coordinates(ys, xs, centre, shift, angle, zoom, tau):
    """Where the pixels `(ys, xs)` of the frame at `tau` come from in the
    layer at time 0 (the inverse of the motion in the module docstring)."""
    scale = 1.0 + tau * zoom
    cos, sin = np.cos(tau * angle), np.sin(tau * angle)
    dy = ys - centre[0] - tau * shift[0]
    dx = xs - centre[1] - tau * shift[1]
    # R(-a) / scale applied to (dy, dx)
    return centre[0] + (cos * dy + sin * dx) / scale, centre[1] + (cos * dx - sin * dy) / scale


class SyntheticTripletDataset(RandomBatchDataset):
    """Random synthetic triplets `(frame_a, frame_b) -> frame at t` (see the
    module docstring), optionally mixed with real ones.

    Each item is `({"frames_a": a, "frames_b": b[, "time": t]}, target)` as
    `TripletDataset` makes them: float32 `(batch_size, crop_size, crop_size,
    3)` in [0, 1], `time` `(batch_size, 1)`.

    Args:
        images: folders (searched recursively) or image files: the
            backgrounds and objects.
        crop_size: int, side of the frames. Default 128.
        batch_size: int. Default 8.
        steps_per_epoch: int. Default 500.
        max_shift: float, largest background translation between the two
            outer frames, in pixels per axis. Default 16.
        max_object_shift: float, the same for the objects. Default 24.
        max_angle: float, largest rotation (degrees) of the background;
            objects get twice as much. Default 4.
        max_zoom: float, largest relative scale change of the background;
            objects get twice as much. Default 0.05.
        objects: `(min, max)` objects per scene. Default (1, 3).
        time: "middle" (t = 0.5) or "any" (t uniform in [0.1, 0.9]), or
            None for no time input (middle frames). Default "middle".
        real: optional `TripletDataset` (with the same `time` setting) whose
            samples are mixed in. Default None.
        real_fraction: float in [0, 1], share of samples from `real`.
            Default 0.5.
        seed: int or None.
    """

    def __init__(
        self,
        images,
        crop_size=128,
        batch_size=8,
        steps_per_epoch=500,
        max_shift=16.0,
        max_object_shift=24.0,
        max_angle=4.0,
        max_zoom=0.05,
        objects=(1, 3),
        time="middle",
        real=None,
        real_fraction=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(batch_size, steps_per_epoch, seed, **kwargs)
        self.crop_size = positive_int(crop_size, "crop_size")
        if time not in TIMES:
            raise ValueError(f"`time` must be one of {TIMES}. Received: time={time!r}")
        if not 0.0 <= real_fraction <= 1.0:
            raise ValueError(f"`real_fraction` must be in [0, 1]. Received: real_fraction={real_fraction!r}")
        if real is not None and real.time != time:
            raise ValueError(f"`real` makes time={real.time!r} triplets, this dataset time={time!r}.")
        self.time, self.real, self.real_fraction = time, real, real_fraction if real is not None else 0.0
        self.max_shift, self.max_object_shift = float(max_shift), float(max_object_shift)
        self.max_angle, self.max_zoom = np.deg2rad(float(max_angle)), float(max_zoom)
        self.objects = (int(objects[0]), int(objects[1]))
        self.margin = int(np.ceil(self.max_shift * (1 + self.max_zoom))) + 2
        canvas = self.crop_size + 2 * self.margin
        if isinstance(images, (str, bytes)) or not hasattr(images, "__iter__"):
            images = [images]
        self.images = [image for image in (load_image(p, mode="RGB") for p in find_images(*images))
                       if min(image.shape[:2]) >= canvas]
        if not self.images:
            raise ValueError(f"No image of at least {canvas}x{canvas} pixels under {list(images)}.")
        self.weights = area_weights(self.images)

    def _image(self):
        return self.images[self.rng.choice(len(self.images), p=self.weights)]

    def _crop(self, size):
        return to_float(random_flips(self.rng, random_crop(self.rng, self._image(), size)))

    def _motion(self, shift, angle, zoom):
        return (
            self.rng.uniform(-shift, shift, 2),
            self.rng.uniform(-angle, angle),
            self.rng.uniform(-zoom, zoom),
        )

    def render(self, times):
        """Frames of one random scene at each time of `times`, uint8
        `(len(times), crop_size, crop_size, 3)`."""
        size, margin = self.crop_size, self.margin
        canvas = size + 2 * margin
        ys, xs = np.mgrid[margin : margin + size, margin : margin + size].astype(np.float64)
        centre = (canvas / 2, canvas / 2)
        background = self._crop((canvas, canvas))
        layers = [(background, None, centre, self._motion(self.max_shift, self.max_angle, self.max_zoom))]
        for _ in range(self.rng.integers(self.objects[0], self.objects[1] + 1)):
            h, w = (int(v) for v in self.rng.integers(size // 5, size // 2 + 1, 2))
            patch = self._crop((h, w))
            yy, xx = np.mgrid[0:h, 0:w]
            mask = ((yy - (h - 1) / 2) / (h / 2)) ** 2 + ((xx - (w - 1) / 2) / (w / 2)) ** 2 <= 1.0
            # One pixel of zeros around the cut-out: outside it, sampling gives 0.
            patch = np.pad(np.concatenate([patch, mask[..., None].astype(np.float32)], axis=-1), ((1, 1), (1, 1), (0, 0)))
            top_left = (self.rng.uniform(margin, margin + size - h), self.rng.uniform(margin, margin + size - w))
            obj_centre = (top_left[0] + h / 2, top_left[1] + w / 2)
            motion = self._motion(self.max_object_shift, 2 * self.max_angle, 2 * self.max_zoom)
            layers.append((patch, top_left, obj_centre, motion))
        frames = []
        for tau in times:
            frame = None
            for image, top_left, layer_centre, (shift, angle, zoom) in layers:
                sy, sx = source_coordinates(ys, xs, layer_centre, shift, angle, zoom, tau)
                if top_left is None:
                    frame = bilinear_sample(image, sy, sx)
                    continue
                # Outside the padded patch the clamped samples are its zero border.
                sample = bilinear_sample(image, sy - top_left[0] + 1, sx - top_left[1] + 1)
                alpha = sample[..., 3:]
                frame = alpha * sample[..., :3] + (1.0 - alpha) * frame
            frames.append(np.round(np.clip(frame, 0.0, 1.0) * 255.0).astype(np.uint8))
        return np.stack(frames)

    def sample(self):
        """One triplet `(a, b, target)` of uint8 frames and the target's time."""
        if self.real is not None and self.rng.random() < self.real_fraction:
            return self.real.sample()
        t = 0.5 if self.time in (None, "middle") else float(self.rng.uniform(0.1, 0.9))
        a, b, target = self.render((0.0, 1.0, t))
        return np.stack([a, b, target]), t

    def draw_batch(self):
        return triplet_batch([self.sample() for _ in range(self.batch_size)], self.time is not None)
