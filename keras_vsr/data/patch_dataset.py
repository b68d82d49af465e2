import math

import numpy as np
import keras

from keras_vsr.data.io import find_images, read_image
from keras_vsr.utils.imresize import resize_matrix


class PairedPatchDataset(keras.utils.PyDataset):
    """Random HR crops paired with their bicubic-downscaled LR, made on the fly.

    Each item is a batch `(lr, hr)` of float32 arrays in [0, 1]:
    `lr` is `(batch, patch, patch, 3)` and `hr` is
    `(batch, patch * scale, patch * scale, 3)`. An HR crop is taken at a random
    place of a random image (images drawn in proportion to their area), then
    flipped / rotated by a random multiple of 90 degrees, then downscaled with
    MATLAB-compatible antialiased bicubic (the LR protocol of Set5/DIV2K).

    Args:
        roots: list of folders (searched recursively; DIV2K `*_HR` folders
            are picked out) or image files.
        scale: int, downscaling factor. Default 4.
        patch_size: int, LR patch size. Default 24 (HR 96 at x4).
        batch_size: int, default 16.
        steps_per_epoch: int, batches per epoch. Default 1000.
        augment: bool, flips and rotations. Default True.
        seed: int or None.
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
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(roots, (str, bytes)) or not hasattr(roots, "__iter__"):
            roots = [roots]
        self.files = find_images(*roots)
        self.scale = int(scale)
        self.patch_size = int(patch_size)
        self.hr_size = self.patch_size * self.scale
        self.batch_size = int(batch_size)
        self.steps_per_epoch = int(steps_per_epoch)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        self.images = []
        for path in self.files:
            image = read_image(path)
            if min(image.shape[:2]) >= self.hr_size:
                self.images.append(image)
        if not self.images:
            raise ValueError(
                f"No image of at least {self.hr_size}x{self.hr_size} pixels under {list(roots)}."
            )
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], dtype="float64")
        self.weights = areas / areas.sum()
        # The downscaling matrix is the same for every square crop.
        self._down = resize_matrix(self.hr_size, self.patch_size, 1.0 / self.scale).astype("float32")

    def __len__(self):
        return self.steps_per_epoch

    def sample_hr(self):
        image = self.images[self.rng.choice(len(self.images), p=self.weights)]
        h, w = image.shape[:2]
        y = self.rng.integers(0, h - self.hr_size + 1)
        x = self.rng.integers(0, w - self.hr_size + 1)
        crop = image[y : y + self.hr_size, x : x + self.hr_size]
        if self.augment:
            if self.rng.random() < 0.5:
                crop = crop[:, ::-1]
            crop = np.rot90(crop, self.rng.integers(4))
        return crop.astype("float32") / 255.0

    def downscale(self, hr):
        """MATLAB bicubic downscaling of a batch `(B, S, S, C)` of HR crops."""
        lr = np.einsum("oh,bhwc->bowc", self._down, hr)
        lr = np.einsum("pw,bowc->bopc", self._down, lr)
        # Quantise like an 8-bit LR image file.
        return np.clip(np.round(lr * 255.0), 0, 255).astype("float32") / 255.0

    def __getitem__(self, index):
        hr = np.stack([self.sample_hr() for _ in range(self.batch_size)])
        return self.downscale(hr), hr
