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

    def sample_hr(self):
        image = self.images[self.rng.choice(len(self.images), p=self.weights)]
        crop = random_crop(self.rng, image, (self.hr_size, self.hr_size))
        if self.augment:
            crop = random_flips(self.rng, crop, transpose=True)
        return to_float(crop)

    def downscale(self, hr):
        """MATLAB bicubic downscaling of a batch `(B, S, S, C)` of HR crops."""
        lr = resize_batch(hr, (self.patch_size, self.patch_size))
        return quantize(lr)  # like an 8-bit LR image file

    def draw_batch(self):
        hr = np.stack([self.sample_hr() for _ in range(self.batch_size)])
        if self.degradation is None:
            return self.downscale(hr), hr
        return degrade_batch(self.degradation, hr, self.downscale, self.rng), hr
