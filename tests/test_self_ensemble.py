"""Geometric self-ensemble: the mean over the eight flips and rotations."""

import numpy as np
import pytest

from keras_vsr.cli import main
from keras_vsr.models import SuperResolver
from keras_vsr.utils.ensemble import (
    DIHEDRAL_TRANSFORMS,
    dihedral_transform,
    inverse_dihedral_transform,
    self_ensemble,
)
from tests.support import tiny_srresnet
from tests.test_tiling import max_abs_diff, receptive_radius, texture


def symmetries(image):
    """The eight images `image` (h, w, c) becomes under flips and transposes,
    written with NumPy's rotations rather than the module's transforms."""
    out = []
    for k in range(4):
        rotated = np.rot90(image, k)
        out += [rotated, rotated[:, ::-1]]
    return out


def test_the_transforms_are_the_eight_symmetries_of_the_square_and_invert():
    image = np.arange(2 * 3 * 1, dtype="float32").reshape(1, 2, 3, 1)
    assert len(DIHEDRAL_TRANSFORMS) == 8 and DIHEDRAL_TRANSFORMS[0] == (False, False, False)
    moved = [dihedral_transform(image, t)[0] for t in DIHEDRAL_TRANSFORMS]
    expected = symmetries(image[0])
    # Each transform is one symmetry, and together they are all eight.
    assert sorted(m.tobytes() + bytes(m.shape) for m in moved) == sorted(e.tobytes() + bytes(e.shape) for e in expected)
    for t, m in zip(DIHEDRAL_TRANSFORMS, moved):
        np.testing.assert_array_equal(inverse_dihedral_transform(m[None], t), image)


def test_self_ensemble_averages_the_predictions_mapped_back():
    calls = []

    def predict(batch):  # not equivariant: it adds a ramp along the rows
        calls.append(batch.shape)
        return batch + np.arange(batch.shape[1], dtype="float32")[None, :, None, None]

    image = np.random.default_rng(0).random((1, 4, 6, 3)).astype("float32")
    out = self_ensemble(predict)(image)
    # Half the transforms flip the rows back (the ramp reversed), half keep
    # them, and transposed copies put the ramp along the columns.
    ramp_rows = np.arange(4, dtype="float32")[None, :, None, None]
    ramp_cols = np.arange(6, dtype="float32")[None, None, :, None]
    expected = image + (2 * ramp_rows + 2 * ramp_rows[:, ::-1] + 2 * ramp_cols + 2 * ramp_cols[:, :, ::-1]) / 8
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-5)
    assert sorted(calls) == [(1, 4, 6, 3)] * 4 + [(1, 6, 4, 3)] * 4
    assert out.dtype == np.float32


def test_inputs_are_padded_to_the_multiple_and_outputs_cropped_back():
    seen = []

    def nearest_x2(batch):
        seen.append(batch.shape[1:3])
        return np.repeat(np.repeat(batch, 2, axis=1), 2, axis=2)

    image = np.random.default_rng(1).random((1, 5, 7, 3)).astype("float32")
    out = self_ensemble(nearest_x2, multiple=4)(image)
    assert sorted(set(seen)) == [(8, 8)]
    np.testing.assert_allclose(out, nearest_x2(image), rtol=0, atol=1e-6)


def test_a_grid_model_tiles_like_the_whole_image_when_ensembled():
    # The bundled U-Net pads its input to a multiple of 8; flipping an
    # unpadded tile would move that grid (seams of several grey levels).
    unet = SuperResolver.from_preset("unet_sr_f32_frames291photos_any", compile=False)
    assert unet.backbone.size_multiple > 1
    image = texture(45, 38)
    whole = unet.upscale(image, tile=None, scale=2, self_ensemble=True)
    tiled = unet.upscale(image, tile=24, scale=2, self_ensemble=True)
    assert max_abs_diff(tiled, whole) <= 1


@pytest.fixture(scope="module")
def model():
    return SuperResolver(tiny_srresnet(num_blocks=2, seed=3), compile=False)


def test_an_ensembled_model_is_equivariant_and_a_plain_one_is_not(model):
    image = texture(21, 17).astype("float32") / 255.0
    plain = [model.upscale(x, tile=None) for x in symmetries(image)]
    ensembled = [model.upscale(x, tile=None, self_ensemble=True) for x in symmetries(image)]
    reference_plain, reference = symmetries(plain[0]), symmetries(ensembled[0])
    # Upscaling a flipped or rotated image is the flipped or rotated upscale...
    for got, expected in zip(ensembled, reference):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    # ...which a plain random network is not, and the ensemble changes its output.
    assert max(np.abs(g - e).max() for g, e in zip(plain, reference_plain)) > 1e-3
    assert np.abs(ensembled[0] - plain[0]).max() > 1e-3


def test_the_ensemble_tiles_like_the_model_and_keeps_dtypes(model):
    image = texture(40, 29)
    whole = model.upscale(image, tile=None, self_ensemble=True)
    tiled = model.upscale(image, tile=16, tile_overlap=receptive_radius(model.backbone), self_ensemble=True)
    assert whole.dtype == tiled.dtype == np.uint8 and whole.shape == (160, 116, 3)
    assert max_abs_diff(tiled, whole) <= 1
    grey = model.upscale(image[..., 0], self_ensemble=True)
    assert grey.shape == (160, 116) and grey.dtype == np.uint8


def test_bad_self_ensemble_values_and_fixed_size_backbones_are_refused(model):
    from keras_vsr.models import Depth2SpaceBackbone

    with pytest.raises(ValueError, match="`self_ensemble` must be True or False"):
        model.upscale(texture(8, 8), self_ensemble="yes")
    fixed = SuperResolver(Depth2SpaceBackbone((40, 80), (48, 96), filters=(4, 4)), compile=False)
    assert fixed.upscale(texture(40, 80)).shape == (48, 96, 3)
    with pytest.raises(ValueError, match="cannot be self-ensembled"):
        fixed.upscale(texture(40, 80), self_ensemble=True)


def test_upscale_command_self_ensembles(tmp_path, tiny_preset):
    from PIL import Image

    from keras_vsr.inference.tasks import load_task

    src = tmp_path / "in.png"
    Image.fromarray(texture(12, 10)).save(src)
    for flag, name in (([], "plain.png"), (["--self-ensemble"], "ensembled.png")):
        assert main(["upscale", str(src), str(tmp_path / name), "--preset", str(tiny_preset), "-q", *flag]) == 0
    task = load_task(str(tiny_preset), "upscale")
    ensembled = np.asarray(Image.open(tmp_path / "ensembled.png"))
    np.testing.assert_array_equal(ensembled, task.upscale(texture(12, 10), self_ensemble=True))
    assert not np.array_equal(ensembled, np.asarray(Image.open(tmp_path / "plain.png")))
