"""Geometric self-ensemble: a prediction averaged over the eight flips and
rotations of its input.

The super-resolution field's test-time ensemble (EDSR's "+" results, the
`--self_ensemble` of several SR test scripts): the input is flipped
vertically, horizontally and transposed in all eight combinations (the
dihedral group of the square), each is predicted, each prediction is mapped
back by the inverse transform and the eight are averaged. It costs eight
predictions. The averaged model is exactly equivariant to those transforms,
and it has the receptive field of the model it wraps, so tiling with the
model's overlap stays exact.
"""

import itertools

import numpy as np

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


def self_ensemble(predict_fn):
    """`predict_fn` averaged over the eight `DIHEDRAL_TRANSFORMS` of its input.

    Args:
        predict_fn: callable mapping a float32 array `(n, h, w, c)` to an
            array or tensor `(n, h * s, w * s, c')` (any fully convolutional
            image model, e.g. `SuperResolver.predict_on_batch`).

    Returns:
        A callable with `predict_fn`'s signature returning a float32 NumPy
        array: the mean of the eight predictions, each mapped back. One
        transformed copy of the input is predicted at a time, so memory is
        that of one prediction.
    """

    def predict(batch):
        batch = np.asarray(batch, dtype="float32")
        total = None
        for transform in DIHEDRAL_TRANSFORMS:
            prediction = np.asarray(predict_fn(np.ascontiguousarray(dihedral_transform(batch, transform))))
            prediction = inverse_dihedral_transform(prediction.astype("float32"), transform)
            total = prediction.copy() if total is None else total + prediction
        return total / len(DIHEDRAL_TRANSFORMS)

    return predict
