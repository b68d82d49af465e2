"""Random draws shared by the training datasets: which image, which window,
which flips, and the base class of datasets made of random batches.

Every helper takes the dataset's `numpy.random.Generator`; arrays have
`(height, width, channels)` as their last three axes, so one call serves a
frame, a stack of frames or a whole sequence, which then share one window
and one set of flips.
"""

import numpy as np
import keras

from keras_vsr.utils.checks import positive_int


def area_weights(images):
    """Probabilities proportional to each image's `height * width`."""
    areas = np.array([im.shape[0] * im.shape[1] for im in images], dtype="float64")
    return areas / areas.sum()


def random_crop(rng, images, size):
    """The same random window of `size = (height, width)` from `images` `(..., h, w, c)`."""
    h, w = images.shape[-3:-1]
    y = int(rng.integers(0, h - size[0] + 1))
    x = int(rng.integers(0, w - size[1] + 1))
    return images[..., y : y + size[0], x : x + size[1], :]


def random_flips(rng, images, vertical=True, transpose=False):
    """Flip `images` `(..., h, w, c)` left-right, then up-down (`vertical`),
    then swap height and width (`transpose`, square images only), each with
    probability 1/2. With all three, the 8 symmetries of the square are
    equally likely."""
    if rng.random() < 0.5:
        images = images[..., ::-1, :]
    if vertical and rng.random() < 0.5:
        images = images[..., ::-1, :, :]
    if transpose and images.shape[-3] == images.shape[-2] and rng.random() < 0.5:
        images = np.swapaxes(images, -3, -2)
    return images


class RandomBatchDataset(keras.utils.PyDataset):
    """Base of the datasets whose batches are drawn at random.

    An epoch is `steps_per_epoch` batches of `batch_size` examples, each
    made by the subclass's `draw_batch()` from `self.rng`. A subclass that
    serves fixed batches (validation) calls `fix_batches()` at the end of its
    `__init__`: every epoch then serves the same `steps_per_epoch` batches.

    In a data-parallel run each process serves its own share of every
    global batch (`use_shard`).

    Args:
        batch_size: int >= 1, the global batch.
        steps_per_epoch: int >= 1, batches per epoch.
        seed: int or None, seed of `self.rng`.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`, ...).

    Attributes:
        batch_size: int, the examples in each batch this dataset serves.
        global_batch_size: int, `batch_size` as given.
    """

    def __init__(self, batch_size, steps_per_epoch, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = self.global_batch_size = positive_int(batch_size, "batch_size")
        self.steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.fixed = None

    def use_shard(self, index, count):
        """Serve process `index`'s share of `count` data-parallel processes:
        batches of `global_batch_size // count` examples, drawn from a
        generator seeded with `(seed, index)`, so no two processes draw
        alike. `(0, 1)` leaves the dataset as it is.

        Raises:
            ValueError: unless `0 <= index < count` and `count` divides the
                global batch; for a dataset of fixed batches.
        """
        if not (isinstance(index, int) and isinstance(count, int) and 0 <= index < count):
            raise ValueError(f"A shard is (index, count) with 0 <= index < count. Received: ({index}, {count})")
        if self.global_batch_size % count:
            raise ValueError(
                f"The global batch of {self.global_batch_size} does not divide into {count} equal shares."
            )
        if count == 1:
            return
        if self.fixed is not None:
            raise ValueError("A dataset of fixed batches is not sharded.")
        self.batch_size = self.global_batch_size // count
        self.rng = np.random.default_rng(None if self.seed is None else [self.seed, index])

    def draw_batch(self):
        """One random batch `(inputs, targets)`."""
        raise NotImplementedError

    def fix_batches(self):
        """Draw `steps_per_epoch` batches now and serve them in every epoch."""
        self.fixed = [self.draw_batch() for _ in range(self.steps_per_epoch)]

    def __len__(self):
        return self.steps_per_epoch

    def __getitem__(self, index):
        if self.fixed is not None:
            return self.fixed[index]
        return self.draw_batch()
