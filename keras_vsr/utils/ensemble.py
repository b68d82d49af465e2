"""Geometric self-ensemble: a prediction averaged over the eight flips and
rotations of its input.

The super-resolution field's test-time ensemble (EDSR's "+" results, the
`--self_ensemble` of several SR test scripts): the input is flipped
vertically, horizontally and transposed in all eight combinations (the
dihedral group of the square), each is predicted, each prediction is mapped
back by the inverse transform and the eight are averaged. It costs eight
predictions. The averaged model is exactly equivariant to those transforms
(for a model without a grid), and it has the receptive field of the model it
wraps, so tiling with the model's overlap stays exact. A model that works on
a grid (its input padded to a multiple of `size_multiple`, e.g. the U-Net)
is given the input padded to that multiple first, so every flipped copy
keeps the grid of the unflipped input and tiles keep the grid of the whole
image.
"""

import itertools

import numpy as np

from keras_vsr.utils.frames import pad_to_multiple

# (transpose, vertical flip, horizontal flip); the identity first.
DIHEDRAL_TRANSFORMS = tuple(itertools.product((False, True), repeat=3))


def dihedral_transform(batch, transform):
    """`batch` `(n, h, w, c)` flipped vertically, horizontally, then
    transposed, as `transform` = `(transpose, vflip, hflip)` says."""
    transpose, vflip, hflip = transform
    if vflip:
        batch = batch[:, ::-1]
    if hflip:
        batch = batch[:, :, ::-1]
    if transpose:
        batch = batch.transpose(0, 2, 1, 3)
    return batch


def inverse_dihedral_transform(batch, transform):
    """The inverse of `dihedral_transform(., transform)`: the same steps in
    reverse order (each one is its own inverse)."""
    transpose, vflip, hflip = transform
    if transpose:
        batch = batch.transpose(0, 2, 1, 3)
    if hflip:
        batch = batch[:, :, ::-1]
    if vflip:
        batch = batch[:, ::-1]
    return batch


def self_ensemble(predict_fn, multiple=1):
    """`predict_fn` averaged over the eight `DIHEDRAL_TRANSFORMS` of its input.

    Args:
        predict_fn: callable mapping a float32 array `(n, h, w, c)` to an
            array or tensor `(n, h * s, w * s, c')` (any fully convolutional
            image model, e.g. `SuperResolver.predict_on_batch`).
        multiple: int >= 1. The input is padded at the bottom and right to
            a multiple of it (`keras_vsr.utils.frames.pad_to_multiple`)
            before it is transformed, and the output cropped back. Default 1.

    Returns:
        A callable with `predict_fn`'s signature returning a float32 NumPy
        array: the mean of the eight predictions, each mapped back. One
        transformed copy of the input is predicted at a time, so memory is
        that of one prediction.
    """

    def predict(batch):
        batch = np.asarray(batch, dtype="float32")
        height, width = batch.shape[1:3]
        batch = pad_to_multiple(batch, multiple)
        total = None
        for transform in DIHEDRAL_TRANSFORMS:
            prediction = np.asarray(predict_fn(np.ascontiguousarray(dihedral_transform(batch, transform))))
            prediction = inverse_dihedral_transform(prediction.astype("float32"), transform)
            total = prediction.copy() if total is None else total + prediction
        scale = total.shape[1] // batch.shape[1]
        return total[:, : height * scale, : width * scale] / len(DIHEDRAL_TRANSFORMS)

    return predict
