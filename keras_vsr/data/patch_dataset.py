import numpy as np

from keras_vsr.data.degradations import check_dataset_degradation, degrade_batch
from keras_vsr.data.sampling import RandomBatchDataset, area_weights, random_crop, random_flips
from keras_vsr.io.images import find_images, load_image
from keras_vsr.utils.checks import positive_int
from keras_vsr.utils.images import quantize, to_float
from keras_vsr.utils.imresize import resize_batch


class PairedPatchDataset(RandomBatchDataset):
    """Random HR crops paired with their bicubic-downscaled LR, made on the fly.

    Each item is a batch `(lr, hr)` of float32 arrays in [0, 1]:
    `lr` is `(batch, patch, patch, 3)` and `hr` is
    `(batch, patch * scale, patch * scale, 3)`. An HR crop is taken at a random
    place of a random image (images drawn in proportion to their area), then
    flipped and transposed (one of the 8 symmetries of the square, all
    equally likely), then downscaled with MATLAB-compatible antialiased
    bicubic (the LR protocol of Set5/DIV2K).

    With a `degradation` (see `keras_vsr.data.degradations`), the LR is
    damaged with draws from the dataset's random generator: a degradation
    that downscales itself (`RealESRGANDegradation`, whose `scale` must be
    the dataset's) makes the LR from the HR crop; any other is applied to
    the bicubic LR. `degradation_config` holds its config (None without).

    Damage that depends on the whole picture is weaker on a small patch
    than on a file: a GIF palette chosen over a 24x24 patch fits it far
    better than one chosen over the image (64 colours leave about a
    quarter of the whole-image quantisation error on Set14's LR images).
    `degradation_context` makes each LR from a larger square: the
    degradation is applied to the LR of an HR crop `context * scale` wide
    (or the image's largest square that fits, for smaller images), and the
    patch and its HR window are cut from it at a random place.

    Args:
        roots: list of folders (searched recursively; DIV2K `*_HR` folders
            are picked out) or image files.
        scale: int, downscaling factor. Default 4.
        patch_size: int, LR patch size. Default 24 (HR 96 at x4).
        batch_size: int, default 16.
        steps_per_epoch: int, batches per epoch. Default 1000.
        augment: bool, flips and transposes. Default True.
        seed: int or None.
        degradation: optional `keras_vsr.data.degradations.Degradation`.
            Default None: clean bicubic LR.
        degradation_context: int >= `patch_size`, the LR side over which
            `degradation` is applied. Default None: the patch itself.
        min_size: images smaller than the HR patch are skipped.
    """

    def __init__(
        self,
        roots,
        scale=4,
        patch_size=24,
        batch_size=16,
        steps_per_epoch=1000,
        augment=True,
        seed=None,
        degradation=None,
        degradation_context=None,
        **kwargs,
    ):
        super().__init__(batch_size, steps_per_epoch, seed, **kwargs)
        if isinstance(roots, (str, bytes)) or not hasattr(roots, "__iter__"):
            roots = [roots]
        self.files = find_images(*roots)
        self.scale = positive_int(scale, "scale")
        self.patch_size = positive_int(patch_size, "patch_size")
        self.hr_size = self.patch_size * self.scale
        self.augment = augment
        self.degradation = degradation
        self.degradation_config = check_dataset_degradation(degradation, self.scale)
        context = self.patch_size if degradation_context is None else positive_int(
            degradation_context, "degradation_context"
        )
        if context < self.patch_size:
            raise ValueError(
                f"`degradation_context` must be at least `patch_size` ({self.patch_size}). "
                f"Received: degradation_context={degradation_context}"
            )
        self.degradation_context = context
        self.images = []
        for path in self.files:
            image = load_image(path, mode="RGB")
            if min(image.shape[:2]) >= self.hr_size:
                self.images.append(image)
        if not self.images:
            raise ValueError(
                f"No image of at least {self.hr_size}x{self.hr_size} pixels under {list(roots)}."
            )
        self.weights = area_weights(self.images)

    def sample_hr(self, side=None):
        """A random, augmented HR square crop, `side` pixels (default the HR
        patch; at most the image's shorter side, in whole LR pixels)."""
        image = self.images[self.rng.choice(len(self.images), p=self.weights)]
        if side is None:
            side = self.hr_size
        side = min(side, min(image.shape[:2]) // self.scale * self.scale)
        crop = random_crop(self.rng, image, (side, side))
        if self.augment:
            crop = random_flips(self.rng, crop, transpose=True)
        return to_float(crop)

    def downscale(self, hr):
        """MATLAB bicubic downscaling of a batch `(B, S, S, C)` of HR crops
        by `scale`, quantised like an 8-bit LR image file."""
        side = hr.shape[1] // self.scale
        return quantize(resize_batch(hr, (side, side)))

    def sample_in_context(self):
        """One `(lr, hr)` patch pair cut from a degraded context square."""
        hr = self.sample_hr(self.degradation_context * self.scale)
        lr = degrade_batch(self.degradation, hr[None], self.downscale, self.rng)[0]
        p, s = self.patch_size, self.scale
        y, x = (int(self.rng.integers(0, lr.shape[i] - p + 1)) for i in (0, 1))
        return lr[y : y + p, x : x + p], hr[y * s : (y + p) * s, x * s : (x + p) * s]

    def draw_batch(self):
        if self.degradation is not None and self.degradation_context > self.patch_size:
            lr, hr = zip(*(self.sample_in_context() for _ in range(self.batch_size)))
            return np.stack(lr), np.stack(hr)
        hr = np.stack([self.sample_hr() for _ in range(self.batch_size)])
        if self.degradation is None:
            return self.downscale(hr), hr
        return degrade_batch(self.degradation, hr, self.downscale, self.rng), hr
