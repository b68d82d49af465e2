"""Crops of precomputed chroma-fusion examples, for training `ChromaFusion`."""

import numpy as np

from keras_vsr.data.sampling import RandomBatchDataset, random_crop, random_flips
from keras_vsr.utils.checks import positive_int


class FusionCropDataset(RandomBatchDataset):
    """Random crops of `(features, chroma)` pairs.

    Each item is `(features, chroma)`: float32 `(batch, crop, crop, c)` and
    `(batch, crop, crop, 3)`, cut at the same place from one example.

    Args:
        features: array `(n, h, w, c)` (`keras_vsr.models.fusion_features`).
        targets: array `(n, h, w, 3)`, the true chroma.
        crop_size: int <= h, w. Default 64.
        batch_size, steps_per_epoch, seed: see `RandomBatchDataset`.
        augment: bool, random horizontal and vertical flips. Default True.
        fixed: bool, fixed seeded batches (validation). Default False.
        weights: None or `(n,)` non-negative sampling weights of the
            examples (e.g. their error before fusion, so that training
            sees the hard ones more often). Default None: uniform.
    """

    def __init__(
        self, features, targets, crop_size=64, batch_size=16, steps_per_epoch=100, augment=True, fixed=False,
        seed=None, weights=None,
    ):
        super().__init__(batch_size, steps_per_epoch, seed)
        if len(features) != len(targets) or features.shape[1:3] != targets.shape[1:3]:
            raise ValueError(f"features {features.shape} and targets {targets.shape} do not match.")
        self.crop_size = positive_int(crop_size, "crop_size")
        if min(features.shape[1:3]) < self.crop_size:
            raise ValueError(f"Examples of {features.shape[1:3]} are smaller than the crop {crop_size}.")
        self.joined = np.concatenate([features, targets], axis=-1)
        self.augment = augment
        self.p = None
        if weights is not None:
            weights = np.asarray(weights, "float64")
            if weights.shape != (len(features),) or weights.min() < 0 or weights.sum() <= 0:
                raise ValueError(f"`weights` must be {len(features)} non-negative numbers, not all 0.")
            self.p = weights / weights.sum()
        if fixed:
            self.fix_batches()

    def draw_batch(self):
        crops = []
        for _ in range(self.batch_size):
            crop = random_crop(self.rng, self.joined[self.rng.choice(len(self.joined), p=self.p)], (self.crop_size,) * 2)
            crops.append(random_flips(self.rng, crop) if self.augment else crop)
        batch = np.stack(crops).astype("float32")
        return batch[..., :-3], batch[..., -3:]
