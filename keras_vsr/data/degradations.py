"""Seeded image degradations: the damage real low-resolution images carry.

Each degradation is a small class whose constructor takes its parameter
ranges; calling it as `degradation(image, rng)` draws its parameters from
`rng` (a `numpy.random.Generator`) and returns the damaged image. Images are
`(h, w, 3)`, uint8 or float in [0, 1]; the output is float32 in [0, 1]
(clipped after every stage), so stages compose freely:

- `RandomBlur`: isotropic / anisotropic Gaussian, generalized Gaussian and
  plateau kernels, or a sinc (ringing) filter;
- `SincFilter`: a sinc (ideal circular low-pass) filter, or nothing;
- `RandomResize`: random up- or downscaling by area, bilinear or bicubic;
- `GaussianNoise`, `PoissonNoise`: colour or grey noise;
- `JPEGCompression`: Pillow's real JPEG encoder at a random quality;
- `GIFPalette`: palette quantisation (median cut) with or without
  Floyd-Steinberg dithering, as a GIF encoder does; any number of colours
  in a range, or only the powers of two a GIF colour table holds;
- `Compose`: stages in order; `OneOf`: one stage drawn at random (or none);
- `real_world_mix()`: the mixture keras-vsr's real-world presets train on;
- `RealESRGANDegradation`: the second-order pipeline of Real-ESRGAN (Wang
  et al. 2021) with its published ranges, HR in, LR out.

`degradation.get_config()` gives the constructor arguments;
`degradation_to_config` / `degradation_from_config` write and rebuild any of
them as `{"class_name": ..., "config": ...}` (JSON-serialisable).
`parse_degradation("jpeg:40")` makes the fixed damage the evaluation applies
to LR images.

Kernels are normalised to sum 1 and applied per channel with reflect
padding. Resizes are Pillow's (antialiased when downscaling; "area" is
Pillow's BOX filter).
"""

import io
import numbers

import numpy as np

from keras_vsr.utils.colour import LUMA_WEIGHTS
from keras_vsr.utils.images import from_float, quantize, to_float

RESIZE_MODES = ("area", "bilinear", "bicubic")
KERNEL_TYPES = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")


def _range(value, name, low, high, integer=False):
    """`(a, b)` with `low <= a <= b <= high`, or one ValueError naming `name`."""
    try:
        a, b = value
        ok = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (a, b)) and low <= a <= b <= high
        ok = ok and (not integer or (float(a).is_integer() and float(b).is_integer()))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        kind = "ints" if integer else "numbers"
        raise ValueError(f"`{name}` must be a pair of {kind} (low, high) with {low} <= low <= high <= {high}. "
                         f"Received: {name}={value!r}")
    return (int(a), int(b)) if integer else (float(a), float(b))


def _probability(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a probability in [0, 1]. Received: {name}={value!r}")
    return float(value)


def _probabilities(values, count, name):
    values = [_probability(v, name) for v in values]
    if len(values) != count or not np.isclose(sum(values), 1.0):
        raise ValueError(f"`{name}` must be {count} probabilities summing to 1. Received: {name}={values!r}")
    return tuple(values)


def _odd_size(rng, sizes):
    """An odd kernel size drawn uniformly from the odd ints in `sizes = (low, high)`."""
    return int(rng.choice(np.arange(sizes[0] | 1, sizes[1] + 1, 2)))


def _odd_sizes(value, name):
    sizes = _range(value, name, 3, 101, integer=True)
    if sizes[0] % 2 == 0 or sizes[1] % 2 == 0:
        raise ValueError(f"`{name}` must be odd sizes. Received: {name}={value!r}")
    return sizes


def _as_image(image):
    image = to_float(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Degradations take (h, w, 3) images. Received shape {image.shape}")
    return image


# Kernels ------------------------------------------------------------------


def anisotropic_kernel(size, sigma_x, sigma_y, angle, beta=1.0, shape="gaussian"):
    """A `(size, size)` kernel summing to 1, from the quadratic form
    `d = x^T S^-1 x` of the covariance `S` with standard deviations
    `sigma_x`, `sigma_y` along axes rotated by `angle` (radians):
    "gaussian" `exp(-d / 2)`, "generalized" `exp(-d^beta / 2)` or
    "plateau" `1 / (1 + d^beta)`."""
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    covariance = rotation @ np.diag([sigma_x**2, sigma_y**2]) @ rotation.T
    r = np.arange(size) - size // 2
    grid = np.stack(np.meshgrid(r, r, indexing="xy"), axis=-1)
    d = np.einsum("...i,ij,...j->...", grid, np.linalg.inv(covariance), grid)
    if shape == "gaussian":
        kernel = np.exp(-0.5 * d)
    elif shape == "generalized":
        kernel = np.exp(-0.5 * d**beta)
    elif shape == "plateau":
        kernel = 1.0 / (1.0 + d**beta)
    else:
        raise ValueError(f"`shape` must be 'gaussian', 'generalized' or 'plateau'. Received: shape={shape!r}")
    return (kernel / kernel.sum()).astype("float32")


def bessel_j1(x):
    """Bessel function J1 from its integral `1/(2 pi) int cos(t - x sin t) dt`
    over a period (the trapezoid rule is exact to float precision here)."""
    t = np.linspace(0.0, 2.0 * np.pi, 256, endpoint=False)
    return np.cos(t - np.asarray(x, dtype="float64")[..., None] * np.sin(t)).mean(axis=-1)


def sinc_kernel(size, cutoff):
    """A `(size, size)` ideal circular low-pass (sinc) kernel with angular
    cutoff frequency `cutoff` (radians per pixel, up to pi), summing to 1;
    its ripples make ringing."""
    r = np.arange(size) - size // 2
    radius = np.hypot(*np.meshgrid(r, r))
    safe = np.where(radius == 0, 1.0, radius)
    kernel = np.where(radius == 0, cutoff**2 / (4 * np.pi), cutoff * bessel_j1(cutoff * safe) / (2 * np.pi * safe))
    return (kernel / kernel.sum()).astype("float32")


def filter_image(image, kernel):
    """`image` `(h, w, c)` convolved per channel with a centrally symmetric
    `kernel` (odd size), reflect padding, same size."""
    k = kernel.shape[0]
    padded = np.pad(image, ((k // 2, k // 2), (k // 2, k // 2), (0, 0)), mode="reflect")
    shape = padded.shape[:2]
    spectrum = np.fft.rfft2(padded, axes=(0, 1)) * np.fft.rfft2(kernel, s=shape)[..., None]
    # Circular convolution of the padded image: rows and columns from k - 1 on do not wrap.
    out = np.fft.irfft2(spectrum, s=shape, axes=(0, 1))[k - 1 :, k - 1 :]
    return np.clip(out, 0.0, 1.0).astype("float32")


def resize(image, size, mode):
    """Pillow resize of a float `(h, w, c)` image to `size = (h, w)` with
    `mode` "area" (BOX), "bilinear" or "bicubic"; clipped to [0, 1]."""
    from PIL import Image

    filters = {"area": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR,
               "bicubic": Image.Resampling.BICUBIC}
    if mode not in filters:
        raise ValueError(f"`mode` must be one of {RESIZE_MODES}. Received: mode={mode!r}")
    target = (int(size[1]), int(size[0]))
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(image[..., c], dtype="float32"), "F").resize(target, filters[mode]))
        for c in range(image.shape[2])
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0)


def jpeg(image, quality):
    """`image` (float in [0, 1] or uint8 `(h, w, 3)`) written by Pillow's JPEG
    encoder at `quality` and decoded, as float32."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(from_float(to_float(image), np.uint8)).save(buffer, format="JPEG", quality=int(quality))
    return to_float(np.asarray(Image.open(buffer).convert("RGB")))


# Degradations -------------------------------------------------------------


class Degradation:
    """Base class: `__call__(image, rng)` checks the image, converts it to
    float32 in [0, 1] and calls `apply`; subclasses implement `apply` and
    `get_config` (their constructor arguments)."""

    # True for degradations that take an HR image and return its LR.
    downscales = False

    def __call__(self, image, rng):
        return self.apply(_as_image(image), rng)

    def apply(self, image, rng):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


class RandomBlur(Degradation):
    """Blur with a random kernel: one of `KERNEL_TYPES` drawn with
    `kernel_probabilities`, or with `sinc_probability` a sinc filter.

    Defaults are Real-ESRGAN's first-order ranges (its second order uses
    `sigma_range=(0.2, 1.5)`).

    Args:
        kernel_sizes: (low, high) odd ints; the size is drawn among the odd
            sizes in the range. Default (7, 21).
        sigma_range: standard deviations in pixels. Default (0.2, 3.0).
        betag_range: shape of the generalized Gaussian (drawn below or above
            1 with equal odds). Default (0.5, 4.0).
        betap_range: shape of the plateau kernel. Default (1.0, 2.0).
        kernel_probabilities: probabilities of `KERNEL_TYPES`. Default
            (0.45, 0.25, 0.12, 0.03, 0.12, 0.03).
        sinc_probability: Default 0.1. The sinc cutoff is drawn in
            (pi/3, pi) below size 13, in (pi/5, pi) from 13 up.
    """

    def __init__(self, kernel_sizes=(7, 21), sigma_range=(0.2, 3.0), betag_range=(0.5, 4.0),
                 betap_range=(1.0, 2.0), kernel_probabilities=(0.45, 0.25, 0.12, 0.03, 0.12, 0.03),
                 sinc_probability=0.1):
        self.kernel_sizes = _odd_sizes(kernel_sizes, "kernel_sizes")
        self.sigma_range = _range(sigma_range, "sigma_range", 1e-3, 100.0)
        self.betag_range = _range(betag_range, "betag_range", 1e-3, 100.0)
        self.betap_range = _range(betap_range, "betap_range", 1e-3, 100.0)
        self.kernel_probabilities = _probabilities(kernel_probabilities, len(KERNEL_TYPES), "kernel_probabilities")
        self.sinc_probability = _probability(sinc_probability, "sinc_probability")

    def draw_kernel(self, rng):
        """One random kernel `(size, size)` summing to 1."""
        size = _odd_size(rng, self.kernel_sizes)
        if rng.random() < self.sinc_probability:
            low = np.pi / 3 if size < 13 else np.pi / 5
            return sinc_kernel(size, rng.uniform(low, np.pi))
        kind = KERNEL_TYPES[rng.choice(len(KERNEL_TYPES), p=self.kernel_probabilities)]
        sigma_x = rng.uniform(*self.sigma_range)
        if kind.endswith("iso") and not kind.endswith("aniso"):
            sigma_y, angle = sigma_x, 0.0
        else:
            sigma_y, angle = rng.uniform(*self.sigma_range), rng.uniform(-np.pi, np.pi)
        shape, beta = "gaussian", 1.0
        if kind.startswith("generalized"):
            shape = "generalized"
            beta = rng.uniform(self.betag_range[0], 1.0) if rng.random() < 0.5 else rng.uniform(1.0, self.betag_range[1])
        elif kind.startswith("plateau"):
            shape = "plateau"
            beta = rng.uniform(self.betap_range[0], 1.0) if rng.random() < 0.5 else rng.uniform(1.0, self.betap_range[1])
        return anisotropic_kernel(size, sigma_x, sigma_y, angle, beta, shape)

    def apply(self, image, rng):
        return filter_image(image, self.draw_kernel(rng))

    def get_config(self):
        return {"kernel_sizes": self.kernel_sizes, "sigma_range": self.sigma_range,
                "betag_range": self.betag_range, "betap_range": self.betap_range,
                "kernel_probabilities": self.kernel_probabilities, "sinc_probability": self.sinc_probability}


class SincFilter(Degradation):
    """With `probability`, a sinc filter of a random odd size in
    `kernel_sizes` and cutoff in `cutoff_range`; otherwise the image
    unchanged. Defaults: Real-ESRGAN's final sinc filter."""

    def __init__(self, probability=0.8, kernel_sizes=(7, 21), cutoff_range=(np.pi / 3, np.pi)):
        self.probability = _probability(probability, "probability")
        self.kernel_sizes = _odd_sizes(kernel_sizes, "kernel_sizes")
        self.cutoff_range = _range(cutoff_range, "cutoff_range", 1e-3, np.pi)

    def apply(self, image, rng):
        if rng.random() >= self.probability:
            return image
        return filter_image(image, sinc_kernel(_odd_size(rng, self.kernel_sizes), rng.uniform(*self.cutoff_range)))

    def get_config(self):
        return {"probability": self.probability, "kernel_sizes": self.kernel_sizes, "cutoff_range": self.cutoff_range}


class RandomResize(Degradation):
    """Resize by a random factor with a random mode of `modes`.

    With `probabilities = (up, down, keep)` the factor is drawn in
    `(1, scale_range[1])`, in `(scale_range[0], 1)`, or is 1.
    Defaults: Real-ESRGAN's first order (second: `(0.3, 1.2)`, `(0.3, 0.4, 0.3)`).
    """

    def __init__(self, scale_range=(0.15, 1.5), probabilities=(0.2, 0.7, 0.1), modes=RESIZE_MODES):
        self.scale_range = _range(scale_range, "scale_range", 1e-3, 1e3)
        if not self.scale_range[0] <= 1 <= self.scale_range[1]:
            raise ValueError(f"`scale_range` must hold 1. Received: scale_range={scale_range!r}")
        self.probabilities = _probabilities(probabilities, 3, "probabilities")
        self.modes = tuple(modes)
        if not self.modes or any(m not in RESIZE_MODES for m in self.modes):
            raise ValueError(f"`modes` must be a non-empty list of {RESIZE_MODES}. Received: modes={modes!r}")

    def draw(self, rng):
        """`(factor, mode)`."""
        kind = rng.choice(3, p=self.probabilities)
        factor = (rng.uniform(1.0, self.scale_range[1]), rng.uniform(self.scale_range[0], 1.0), 1.0)[kind]
        return factor, self.modes[rng.integers(len(self.modes))]

    def apply(self, image, rng):
        factor, mode = self.draw(rng)
        size = [max(1, int(round(n * factor))) for n in image.shape[:2]]
        return resize(image, size, mode)

    def get_config(self):
        return {"scale_range": self.scale_range, "probabilities": self.probabilities, "modes": self.modes}


class GaussianNoise(Degradation):
    """Additive Gaussian noise of standard deviation drawn in `sigma_range`
    (0-255 units); with `grey_probability` one noise plane for all channels.
    Defaults: Real-ESRGAN's first order (second: `(1, 25)`)."""

    def __init__(self, sigma_range=(1.0, 30.0), grey_probability=0.4):
        self.sigma_range = _range(sigma_range, "sigma_range", 0.0, 255.0)
        self.grey_probability = _probability(grey_probability, "grey_probability")

    def apply(self, image, rng):
        sigma = rng.uniform(*self.sigma_range) / 255.0
        grey = rng.random() < self.grey_probability
        noise = rng.standard_normal(image.shape[:2] + ((1,) if grey else (3,))) * sigma
        return np.clip(image + noise, 0.0, 1.0).astype("float32")

    def get_config(self):
        return {"sigma_range": self.sigma_range, "grey_probability": self.grey_probability}


class PoissonNoise(Degradation):
    """Shot noise: the image as photon counts (levels rounded up to a power
    of two of its distinct 8-bit values), resampled from a Poisson law, the
    difference scaled by a factor drawn in `scale_range`; with
    `grey_probability` the noise of the luma added to all channels.
    Defaults: Real-ESRGAN's first order (second: `(0.05, 2.5)`)."""

    def __init__(self, scale_range=(0.05, 3.0), grey_probability=0.4):
        self.scale_range = _range(scale_range, "scale_range", 0.0, 100.0)
        self.grey_probability = _probability(grey_probability, "grey_probability")

    def apply(self, image, rng):
        scale = rng.uniform(*self.scale_range)
        base = (image @ LUMA_WEIGHTS)[..., None] if rng.random() < self.grey_probability else image
        levels = 2 ** np.ceil(np.log2(len(np.unique(np.round(base * 255)))))
        noise = rng.poisson(np.maximum(base, 0.0) * levels) / levels - base
        return np.clip(image + noise * scale, 0.0, 1.0).astype("float32")

    def get_config(self):
        return {"scale_range": self.scale_range, "grey_probability": self.grey_probability}


class JPEGCompression(Degradation):
    """Pillow's JPEG encoder at a quality drawn in `quality_range` (ints in
    1-100), decoded again."""

    def __init__(self, quality_range=(30, 95)):
        self.quality_range = _range(quality_range, "quality_range", 1, 100, integer=True)

    def apply(self, image, rng):
        return jpeg(image, rng.integers(self.quality_range[0], self.quality_range[1] + 1))

    def get_config(self):
        return {"quality_range": self.quality_range}


class GIFPalette(Degradation):
    """GIF damage: a median-cut palette of a number of colours drawn in
    `colours_range` (2-256), then every pixel mapped to it, with
    Floyd-Steinberg dithering with `dither_probability`, else to the
    nearest palette colour.

    `sizes="any"` draws every count in the range with equal odds;
    `sizes="powers_of_two"` draws among the powers of two in it (a GIF
    colour table holds 2, 4, ..., 256 entries), which puts as much weight on
    16-64 colours as on 64-256."""

    SIZES = ("any", "powers_of_two")

    def __init__(self, colours_range=(16, 256), dither_probability=0.5, sizes="any"):
        self.colours_range = _range(colours_range, "colours_range", 2, 256, integer=True)
        self.dither_probability = _probability(dither_probability, "dither_probability")
        if sizes not in self.SIZES:
            raise ValueError(f"`sizes` must be one of {self.SIZES}. Received: sizes={sizes!r}")
        self.sizes = sizes
        low, high = self.colours_range
        self._powers = [2**k for k in range(1, 9) if low <= 2**k <= high]
        if sizes == "powers_of_two" and not self._powers:
            raise ValueError(
                f"`colours_range` holds no power of two for sizes='powers_of_two'. "
                f"Received: colours_range={colours_range!r}"
            )

    def apply(self, image, rng):
        from PIL import Image

        if self.sizes == "powers_of_two":
            colours = int(self._powers[rng.integers(len(self._powers))])
        else:
            colours = int(rng.integers(self.colours_range[0], self.colours_range[1] + 1))
        dither = Image.Dither.FLOYDSTEINBERG if rng.random() < self.dither_probability else Image.Dither.NONE
        rgb = Image.fromarray(from_float(image, np.uint8))
        palette = rgb.quantize(colours, method=Image.Quantize.MEDIANCUT)
        return to_float(np.asarray(rgb.quantize(palette=palette, dither=dither).convert("RGB")))

    def get_config(self):
        return {"colours_range": self.colours_range, "dither_probability": self.dither_probability,
                "sizes": self.sizes}


class Compose(Degradation):
    """`degradations` applied in order (each draws from the same `rng`)."""

    def __init__(self, degradations):
        self.degradations = list(degradations)
        if not all(isinstance(d, Degradation) for d in self.degradations):
            raise ValueError(f"`degradations` must be Degradation objects. Received: {degradations!r}")
        self.downscales = any(d.downscales for d in self.degradations)

    def apply(self, image, rng):
        for degradation in self.degradations:
            image = degradation.apply(image, rng)
        return image

    def get_config(self):
        return {"degradations": [degradation_to_config(d) for d in self.degradations]}

    @classmethod
    def from_config(cls, config):
        return cls([degradation_from_config(c) for c in config["degradations"]])


class RealESRGANDegradation(Degradation):
    """Real-ESRGAN's second-order degradation: HR `(h, w, 3)` in, LR
    `(h // scale, w // scale, 3)` out (float32 on 8-bit levels).

    Twice: blur (the second time with probability `second_blur_probability`),
    random resize, Gaussian or Poisson noise (even odds), JPEG; the second
    resize is relative to the LR size. Then, in random order, "resize to the
    LR size and sinc filter, then JPEG" or "JPEG, then resize and sinc
    filter". With `gif_probability`, `GIFPalette()` damage last. Every range
    is the paper's default (see each stage's class).

    Args:
        scale: int >= 1, the HR / LR factor. Default 4.
        gif_probability: probability of GIF palette damage last. Default 0.
        second_blur_probability: Default 0.8.
        final_sinc_probability: Default 0.8.
    """

    downscales = True

    def __init__(self, scale=4, gif_probability=0.0, second_blur_probability=0.8, final_sinc_probability=0.8):
        if isinstance(scale, bool) or not isinstance(scale, numbers.Integral) or scale < 1:
            raise ValueError(f"`scale` must be a positive int. Received: scale={scale!r}")
        self.scale = int(scale)
        self.gif_probability = _probability(gif_probability, "gif_probability")
        self.second_blur_probability = _probability(second_blur_probability, "second_blur_probability")
        self.final_sinc_probability = _probability(final_sinc_probability, "final_sinc_probability")
        self.first = (RandomBlur(), RandomResize(), GaussianNoise(), PoissonNoise(), JPEGCompression())
        self.second = (
            RandomBlur(sigma_range=(0.2, 1.5)),
            RandomResize((0.3, 1.2), (0.3, 0.4, 0.3)),
            GaussianNoise((1.0, 25.0)),
            PoissonNoise((0.05, 2.5)),
            JPEGCompression(),
        )
        self.sinc = SincFilter(final_sinc_probability)
        self.gif = GIFPalette()

    def apply(self, image, rng):
        lr_size = (image.shape[0] // self.scale, image.shape[1] // self.scale)
        if min(lr_size) < 1:
            raise ValueError(f"HR image {image.shape[:2]} is smaller than scale {self.scale}")
        for order, (blur, resizer, gaussian, poisson, compress) in enumerate((self.first, self.second)):
            if order == 0 or rng.random() < self.second_blur_probability:
                image = blur.apply(image, rng)
            factor, mode = resizer.draw(rng)
            base = image.shape[:2] if order == 0 else lr_size
            image = resize(image, [max(1, int(round(n * factor))) for n in base], mode)
            image = (gaussian if rng.random() < 0.5 else poisson).apply(image, rng)
            image = compress.apply(image, rng)
        mode = RESIZE_MODES[rng.integers(3)]
        if rng.random() < 0.5:
            image = self.sinc.apply(resize(image, lr_size, mode), rng)
            image = self.second[-1].apply(image, rng)
        else:
            image = self.second[-1].apply(image, rng)
            image = self.sinc.apply(resize(image, lr_size, mode), rng)
        if rng.random() < self.gif_probability:
            image = self.gif.apply(image, rng)
        return quantize(image)

    def get_config(self):
        return {"scale": self.scale, "gif_probability": self.gif_probability,
                "second_blur_probability": self.second_blur_probability,
                "final_sinc_probability": self.final_sinc_probability}


class OneOf(Degradation):
    """One of `degradations`, drawn with `probabilities` (default: even
    odds); `None` in the list leaves the image as it is (clean samples in
    a mixture). Stages that downscale cannot be mixed in."""

    def __init__(self, degradations, probabilities=None):
        self.degradations = list(degradations)
        if not self.degradations or not all(d is None or isinstance(d, Degradation) for d in self.degradations):
            raise ValueError(f"`degradations` must be Degradation objects or None. Received: {degradations!r}")
        if any(d is not None and d.downscales for d in self.degradations):
            raise ValueError("`OneOf` cannot mix degradations that downscale")
        count = len(self.degradations)
        self.probabilities = _probabilities(
            [1.0 / count] * count if probabilities is None else probabilities, count, "probabilities"
        )

    def apply(self, image, rng):
        choice = self.degradations[rng.choice(len(self.degradations), p=self.probabilities)]
        return image if choice is None else choice.apply(image, rng)

    def get_config(self):
        return {
            "degradations": [None if d is None else degradation_to_config(d) for d in self.degradations],
            "probabilities": list(self.probabilities),
        }

    @classmethod
    def from_config(cls, config):
        stages = [None if c is None else degradation_from_config(c) for c in config["degradations"]]
        return cls(stages, config.get("probabilities"))


def real_world_mix(gif_sizes="any"):
    """The LR damage of keras-vsr's real-world presets, applied to the
    bicubic LR: clean 20%, JPEG at quality 30-95 30%, GIF palette of 16-256
    colours (dithered half the time; `gif_sizes` as `GIFPalette`'s `sizes`)
    30%, Gaussian noise (sigma 1-10 of 255, colour or grey) then JPEG at
    quality 40-95 20%."""
    return OneOf(
        [
            None,
            JPEGCompression((30, 95)),
            GIFPalette((16, 256), 0.5, sizes=gif_sizes),
            Compose([GaussianNoise((1.0, 10.0)), JPEGCompression((40, 95))]),
        ],
        [0.2, 0.3, 0.3, 0.2],
    )


DEGRADATIONS = {
    cls.__name__: cls
    for cls in (RandomBlur, SincFilter, RandomResize, GaussianNoise, PoissonNoise, JPEGCompression, GIFPalette,
                Compose, OneOf, RealESRGANDegradation)
}


def degradation_to_config(degradation):
    """`{"class_name": ..., "config": ...}` of a degradation of this module
    (JSON-serialisable: ranges are lists)."""
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in degradation.get_config().items()}
    return {"class_name": type(degradation).__name__, "config": config}


def check_dataset_degradation(degradation, scale):
    """The config of a training dataset's `degradation` (None without one).

    Raises:
        ValueError: `degradation` is not a `Degradation`, or it downscales
            by another factor than the dataset's `scale` (None: the
            dataset's LR size is not a fixed integer factor).
    """
    if degradation is None:
        return None
    if not isinstance(degradation, Degradation):
        raise ValueError(f"`degradation` must be a Degradation. Received: degradation={degradation!r}")
    if degradation.downscales and getattr(degradation, "scale", scale) != scale:
        raise ValueError(
            f"`degradation` downscales by {degradation.scale}, the dataset by "
            f"{'varying factors' if scale is None else scale}."
        )
    return degradation_to_config(degradation)


def degrade_batch(degradation, hr, downscale, rng):
    """The LR batch of float HR crops `hr` made by a dataset's degradation:
    one that downscales (`RealESRGANDegradation`) damages each HR crop
    itself; any other damages the clean LR `downscale(hr)`, and the result
    is quantised to 8 bits like an image file."""
    if degradation.downscales:
        return np.stack([degradation(crop, rng) for crop in hr])
    return quantize(np.stack([degradation(lr, rng) for lr in downscale(hr)]))


def degradation_from_config(config):
    """The degradation described by `{"class_name": ..., "config": ...}`.

    Only the classes of this module (`DEGRADATIONS`) are accepted; names are
    looked up, never imported.

    Raises:
        ValueError: not such a dict, an unknown class, or bad arguments.
    """
    if not isinstance(config, dict) or set(config) != {"class_name", "config"}:
        raise ValueError(f'A degradation config is {{"class_name": ..., "config": {{...}}}}. Received: {config!r}')
    cls = DEGRADATIONS.get(config["class_name"])
    if cls is None:
        raise ValueError(f"Unknown degradation {config['class_name']!r}; expected one of {sorted(DEGRADATIONS)}")
    try:
        return cls.from_config(dict(config["config"]))
    except TypeError as e:
        raise ValueError(f"Bad config for {cls.__name__}: {e}") from None


class FixedDegradation:
    """A degradation with fixed random draws: `fixed(image, index=0)` damages
    a uint8 image with the draws of `numpy.random.default_rng([seed,
    index])` and returns uint8, so image `index` of a set always gets the
    same damage. `spec` is the text it was parsed from."""

    def __init__(self, degradation, seed=0, spec=None):
        self.degradation = degradation
        self.seed = int(seed)
        self.spec = spec or repr(degradation)

    def __call__(self, image, index=0):
        out = self.degradation(image, np.random.default_rng([self.seed, int(index)]))
        return from_float(out, np.uint8)


SPEC_FORMS = "jpeg:Q (Q in 1-100), gif:COLOURS or gif:COLOURS:nodither (COLOURS in 2-256), realesrgan:SEED"


def parse_degradation(spec):
    """The `FixedDegradation` of an evaluation spec, applied to LR images:

    - `jpeg:Q`: Pillow JPEG at quality Q (1-100);
    - `gif:COLOURS`: median-cut palette of COLOURS (2-256) colours with
      Floyd-Steinberg dithering; `gif:COLOURS:nodither` without;
    - `realesrgan:SEED`: `RealESRGANDegradation(scale=1)` on the LR (blur,
      resizes, noise and JPEG twice, back to the LR's own size), drawn
      from SEED and the image's index.

    Raises:
        ValueError: any other text, naming the accepted forms.
    """
    parts = str(spec).split(":")

    def number(text, low, high):
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"Bad degradation {spec!r}; expected {SPEC_FORMS}")
        return int(text)

    if parts[0] == "jpeg" and len(parts) == 2:
        quality = number(parts[1], 1, 100)
        return FixedDegradation(JPEGCompression((quality, quality)), spec=spec)
    if parts[0] == "gif" and len(parts) in (2, 3) and parts[2:] in ([], ["nodither"]):
        colours = number(parts[1], 2, 256)
        return FixedDegradation(GIFPalette((colours, colours), float(len(parts) == 2)), spec=spec)
    if parts[0] == "realesrgan" and len(parts) == 2:
        return FixedDegradation(RealESRGANDegradation(scale=1), number(parts[1], 0, 2**32 - 1), spec=spec)
    raise ValueError(f"Bad degradation {spec!r}; expected {SPEC_FORMS}")
