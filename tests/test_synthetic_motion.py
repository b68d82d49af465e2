"""SyntheticTripletDataset: rendering with known motion, occlusions, mixing with real triplets."""

import numpy as np
import pytest
from PIL import Image

from keras_vsr.data import SyntheticTripletDataset, TripletDataset
from keras_vsr.data.synthetic_motion import bilinear_sample, source_coordinates
from tests.tiny_data import frame_folder


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(3):
        # Smooth texture: bilinear sampling of it is close to a shifted copy.
        small = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
        Image.fromarray(small).resize((96, 96), Image.BICUBIC).save(folder / f"p{i}.png")
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(folder / "tiny.png")  # too small: left out
    return folder


def test_bilinear_sample_is_exact_on_pixels_and_linear_between():
    ys, xs = np.mgrid[0:5, 0:7].astype(np.float64)
    ramp = (2 * ys + 3 * xs)[..., None]
    np.testing.assert_allclose(bilinear_sample(ramp, ys, xs), ramp)
    inner = (slice(0, 4), slice(0, 6))
    np.testing.assert_allclose(bilinear_sample(ramp, ys[inner] + 0.25, xs[inner] + 0.5), ramp[inner] + 2 * 0.25 + 3 * 0.5)
    # Coordinates outside are clamped to the edge.
    assert bilinear_sample(ramp, np.array([-3.0]), np.array([100.0]))[0, 0] == ramp[0, -1, 0]


def test_source_coordinates_invert_the_motion():
    centre, shift, angle, zoom, tau = (10.0, 12.0), (3.0, -2.0), 0.2, 0.1, 0.6
    p = np.array([4.0, 7.0])
    scale, a = 1 + tau * zoom, tau * angle
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    moved = np.array(centre) + scale * rotation @ (p - centre) + tau * np.array(shift)
    back = source_coordinates(moved[0], moved[1], centre, shift, angle, zoom, tau)
    np.testing.assert_allclose(back, p, atol=1e-12)


def test_still_scenes_give_equal_frames_and_translations_move_linearly(photos):
    still = SyntheticTripletDataset(photos, crop_size=32, max_shift=0, max_object_shift=0, max_angle=0, max_zoom=0,
                                    seed=0)
    a, b, middle = still.render((0.0, 1.0, 0.5))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, middle)

    moving = SyntheticTripletDataset(photos, crop_size=32, max_shift=8, max_angle=0, max_zoom=0, objects=(0, 0),
                                     seed=1)
    moving._motion = lambda *_: (np.array([4.0, -6.0]), 0.0, 0.0)  # a known translation
    a, b, middle = moving.render((0.0, 1.0, 0.5)).astype(int)
    # A point at x moves to x + shift: frame 1 at x is frame 0 at x - shift, the middle frame at x - shift / 2.
    np.testing.assert_array_equal(b[4:, :-6], a[:-4, 6:])
    np.testing.assert_array_equal(middle[2:, :-3], a[:-2, 3:])


def test_objects_occlude_the_background_and_batches_have_times(photos):
    data = SyntheticTripletDataset(photos, crop_size=32, batch_size=16, objects=(2, 2), time="any", seed=2)
    assert len(data.images) == 3
    x, target = data[0]
    assert x["frames_a"].shape == x["frames_b"].shape == target.shape == (16, 32, 32, 3)
    t = x["time"][:, 0]
    assert x["time"].shape == (16, 1) and (t >= 0.1).all() and (t <= 0.9).all() and len(set(t.tolist())) > 1
    # With objects moving across a moving background the outer frames differ.
    assert all(np.abs(x["frames_a"][i] - x["frames_b"][i]).max() > 0.05 for i in range(16))
    middle = SyntheticTripletDataset(photos, crop_size=32, batch_size=4, seed=2)
    assert (middle[0][0]["time"] == 0.5).all()


def test_real_triplets_are_mixed_in(photos, tmp_path):
    real = TripletDataset(frame_folder(tmp_path / "frames" / "seq", 5).parent, crop_size=24, max_spacing=1,
                          time="middle", augment=False, seed=0)
    only_real = SyntheticTripletDataset(photos, crop_size=24, batch_size=8, real=real, real_fraction=1.0, seed=0)
    x, target = only_real[0]
    # frame_folder's texture moves one pixel down-right per frame: these are its frames i, i + 1, i + 2.
    np.testing.assert_array_equal(target[:, :-1, :-1], x["frames_a"][:, 1:, 1:])
    np.testing.assert_array_equal(x["frames_b"][:, :-2, :-2], x["frames_a"][:, 2:, 2:])
    assert (x["time"] == 0.5).all()


def test_bad_arguments(photos, tmp_path):
    with pytest.raises(ValueError, match="`time` must be one of"):
        SyntheticTripletDataset(photos, crop_size=32, time="end")
    with pytest.raises(ValueError, match="real_fraction"):
        SyntheticTripletDataset(photos, crop_size=32, real_fraction=1.5)
    with pytest.raises(ValueError, match="No image of at least"):
        SyntheticTripletDataset(photos, crop_size=200)
    real = TripletDataset(frame_folder(tmp_path / "f" / "seq", 3).parent, crop_size=16, max_spacing=1)
    with pytest.raises(ValueError, match="time=None triplets"):
        SyntheticTripletDataset(photos, crop_size=32, real=real, time="middle")
