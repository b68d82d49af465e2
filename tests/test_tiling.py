"""Tiled inference: equal to whole-image inference, with memory bounded by the tile."""

import math

import numpy as np
import pytest

from keras_vsr.models import SuperResolver
from keras_vsr.utils import tiling
from keras_vsr.utils.tiling import MAX_DEFAULT_OVERLAP, default_overlap, upscale_tiled
from tests.support import tiny_srresnet

SIZE = (70, 53)  # odd, and not a multiple of any tile size used below


def texture(height, width, seed=0):
    """uint8 RGB image: 8-pixel blocks of colour plus noise."""
    rng = np.random.default_rng(seed)
    base = rng.random((height // 8 + 1, width // 8 + 1, 3))
    image = np.kron(base, np.ones((8, 8, 1)))[:height, :width] * 200 + rng.random((height, width, 3)) * 55
    return image.astype(np.uint8)


def receptive_radius(backbone):
    """The backbone's receptive radius in LR pixels, rounded up."""
    return math.ceil(backbone.receptive_radius)


def max_abs_diff(a, b):
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


class Recorder:
    """Wraps a predict function and records the shape of every input."""

    def __init__(self, predict_fn):
        self.predict_fn = predict_fn
        self.shapes = []

    def __call__(self, x):
        self.shapes.append(x.shape)
        return self.predict_fn(x)

    @property
    def largest(self):
        return max(s[1] for s in self.shapes), max(s[2] for s in self.shapes)


def nearest(scale):
    """A stand-in model: nearest-neighbour upsampling, exact for any tiling."""
    return lambda x: np.repeat(np.repeat(x, scale, axis=1), scale, axis=2)


@pytest.fixture(scope="module")
def models(tiny_preset):
    deep = tiny_srresnet(num_blocks=4, seed=2)
    return {
        "tiny": SuperResolver.from_preset(str(tiny_preset), compile=False),
        "deep": SuperResolver(deep, compile=False),
    }


@pytest.mark.parametrize("name", ["tiny", "deep"])
def test_tiled_equals_whole_image_with_overlap_covering_the_receptive_field(models, name):
    task = models[name]
    overlap = receptive_radius(task.backbone)
    # The formula of `keras_vsr.utils.tiling`: head 3x3, two convs per block,
    # body conv, x4 sub-pixel convs (1.5), tail 3x3 at HR (1 / 4).
    assert task.backbone.receptive_radius == {"tiny": 5.75, "deep": 11.75}[name]
    assert overlap == {"tiny": 6, "deep": 12}[name]
    image = texture(*SIZE)
    whole = task.upscale(image, tile=None)
    assert whole.shape == (280, 212, 3)
    for tile in (24, 64, 128):  # 3x3 tiles, 2x1 tiles, one tile larger than the image
        tiled = task.upscale(image, tile=tile, tile_overlap=overlap)
        assert tiled.shape == whole.shape and tiled.dtype == np.uint8
        assert max_abs_diff(tiled, whole) <= 1, f"tile={tile}"


def test_overlap_below_the_receptive_field_shows_seams(models):
    task = models["tiny"]
    image = texture(*SIZE)
    whole = task.upscale(image, tile=None)
    tiled = task.upscale(image, tile=24, tile_overlap=receptive_radius(task.backbone) - 1)
    assert max_abs_diff(tiled, whole) > 1


def test_model_inputs_are_bounded_by_the_tile_not_the_image(models):
    task = models["tiny"]
    image = texture(*SIZE)
    tile, overlap = 24, 6
    recorder = Recorder(task.predict_on_batch)
    out = upscale_tiled(recorder, image, scale=4, tile=tile, overlap=overlap)
    assert len(recorder.shapes) == 3 * 3
    height, width = recorder.largest
    assert height <= tile + 2 * overlap < SIZE[0]
    assert width <= tile + 2 * overlap < SIZE[1]
    assert out.shape == (280, 212, 3) and out.dtype == np.uint8
    assert max_abs_diff(out, task.upscale(image, tile=None)) <= 1


@pytest.mark.parametrize("size", [(1, 1), (5, 7), (16, 16), (17, 33), (40, 9)])
@pytest.mark.parametrize("tile, overlap", [(1, 0), (4, 0), (8, 3), (16, 16), (64, 2)])
def test_tiles_cover_every_pixel_exactly_once_in_place(size, tile, overlap):
    image = texture(*size, seed=1)
    recorder = Recorder(nearest(3))
    out = upscale_tiled(recorder, image, scale=3, tile=tile, overlap=overlap)
    np.testing.assert_array_equal(out, nearest(3)(image[None])[0])
    assert len(recorder.shapes) == math.ceil(size[0] / tile) * math.ceil(size[1] / tile)
    window = (min(tile + 2 * overlap, size[0]), min(tile + 2 * overlap, size[1]))
    assert set(s[1:3] for s in recorder.shapes) == {window}


def test_integer_and_float_dtypes_are_kept():
    image = texture(20, 30)
    out16 = upscale_tiled(nearest(2), image.astype(np.uint16) * 257, scale=2, tile=8, overlap=2)
    assert out16.dtype == np.uint16
    np.testing.assert_array_equal(out16, nearest(2)(image[None])[0].astype(np.uint16) * 257)
    out_float = upscale_tiled(nearest(2), image / 255.0, scale=2, tile=8, overlap=2)
    assert out_float.dtype == np.float64
    np.testing.assert_allclose(out_float, nearest(2)(image[None])[0] / 255.0, atol=1e-6)


def test_grey_rgba_and_16_bit_images_are_tiled_on_their_rgb_part(models):
    task = models["tiny"]
    overlap = receptive_radius(task.backbone)
    rgb = texture(40, 36, seed=2)
    alpha = np.zeros((40, 36), np.uint8)
    alpha[:, 18:] = 255
    for image in (rgb[:, :, 0], np.dstack([rgb, alpha]), rgb.astype(np.uint16) * 257):
        whole = task.upscale(image, tile=None)
        tiled = task.upscale(image, tile=24, tile_overlap=overlap)
        assert tiled.shape == whole.shape and tiled.dtype == whole.dtype
        assert max_abs_diff(tiled, whole) <= 1


def test_progress_wraps_the_list_of_tiles():
    seen = []

    def progress(tiles):
        seen.append(len(tiles))
        return iter(tiles)

    upscale_tiled(nearest(2), texture(20, 30), scale=2, tile=8, overlap=2, progress=progress)
    assert seen == [3 * 4]


def test_auto_tiles_only_above_the_threshold(models, monkeypatch):
    monkeypatch.setattr(tiling, "AUTO_TILE_PIXELS", 40 * 40)
    monkeypatch.setattr(tiling, "AUTO_TILE_SIZE", 25)
    task = models["tiny"]
    recorder = Recorder(task.predict_on_batch)
    monkeypatch.setattr(task, "predict_on_batch", recorder)

    task.upscale(texture(50, 50), tile_overlap=4)  # 2500 > 1600 pixels: tiled
    assert len(recorder.shapes) == 4 and recorder.largest == (25 + 2 * 4, 25 + 2 * 4)

    for size in ((40, 40), (30, 30)):  # at and below the threshold: whole image
        recorder.shapes.clear()
        task.upscale(texture(*size), tile_overlap=4)
        assert recorder.shapes == [(1, *size, 3)]

    recorder.shapes.clear()
    task.upscale(texture(50, 50), tile=None)
    assert recorder.shapes == [(1, 50, 50, 3)]


def test_bad_arguments_raise(models):
    image = texture(10, 12)
    for tile in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match=f"Received: tile={tile!r}"):
            upscale_tiled(nearest(2), image, scale=2, tile=tile)
    for overlap in (-1, 1.5):
        with pytest.raises(ValueError, match=f"Received: overlap={overlap!r}"):
            upscale_tiled(nearest(2), image, scale=2, overlap=overlap)
    with pytest.raises(ValueError, match="Received: scale=0"):
        upscale_tiled(nearest(2), image, scale=0)
    with pytest.raises(ValueError, match=r"Received shape \(10, 12\)"):
        upscale_tiled(nearest(2), image[:, :, 0], scale=2)
    with pytest.raises(ValueError, match=r"Received shape \(1, 20, 24, 3\)"):
        upscale_tiled(nearest(2), image, scale=4)

    task = models["tiny"]
    with pytest.raises(ValueError, match="Received: tile='big'"):
        task.upscale(image, tile="big")
    with pytest.raises(ValueError, match="Received: tile=0"):
        task.upscale(image, tile=0)
    # A bad overlap fails even where it would not be used (a small image).
    with pytest.raises(ValueError, match="Received: tile_overlap=-1"):
        task.upscale(image, tile_overlap=-1)


def cell_mean(m, scale):
    """A stand-in model on an `m` x `m` grid from its input's top-left
    corner, as a pixel unshuffle or window attention has: every cell becomes
    its mean (edge-padded at the bottom and right), then nearest upsampling.
    Its receptive radius is `m - 1`."""

    def predict(x):
        n, h, w, c = x.shape
        padded = np.pad(x, ((0, 0), (0, -h % m), (0, -w % m), (0, 0)), mode="edge")
        cells = padded.reshape(n, padded.shape[1] // m, m, padded.shape[2] // m, m, c).mean(axis=(2, 4))
        return nearest(scale)(np.repeat(np.repeat(cells, m, axis=1), m, axis=2)[:, :h, :w])

    return predict


@pytest.mark.parametrize("size", [(37, 29), (16, 16), (45, 8)])
def test_aligned_windows_keep_the_models_grid(size):
    image = texture(*size, seed=3)
    whole = upscale_tiled(cell_mean(4, 2), image, scale=2, tile=image.shape[0] + image.shape[1])
    recorder = Recorder(cell_mean(4, 2))
    aligned = upscale_tiled(recorder, image, scale=2, tile=10, overlap=3, align=4)
    np.testing.assert_array_equal(aligned, whole)
    assert len({s[1] for s in recorder.shapes}) <= 2 and len({s[2] for s in recorder.shapes}) <= 2
    assert max(s[1] for s in recorder.shapes) <= 10 + 2 * 3 + 2 * (4 - 1)  # the border window: up to align - 1 longer


def test_unaligned_windows_break_a_grid_model():
    image = texture(37, 29, seed=3)
    whole = cell_mean(4, 2)(image[None].astype(np.float64))[0]
    unaligned = upscale_tiled(cell_mean(4, 2), image, scale=2, tile=10, overlap=3)
    assert max_abs_diff(unaligned, np.round(whole).astype(np.uint8)) > 1


def test_default_overlap_is_the_radius_up_to_the_cap_then_the_measured_one():
    from types import SimpleNamespace

    assert default_overlap(SimpleNamespace(receptive_radius=19.75)) == 20
    assert default_overlap(SimpleNamespace(receptive_radius=MAX_DEFAULT_OVERLAP)) == MAX_DEFAULT_OVERLAP
    assert default_overlap(SimpleNamespace(receptive_radius=348.25, measured_overlap=32)) == 32
    assert default_overlap(SimpleNamespace(receptive_radius=348.25)) == MAX_DEFAULT_OVERLAP
    assert default_overlap(SimpleNamespace()) == MAX_DEFAULT_OVERLAP


def test_upscale_tiles_with_the_backbones_overlap_by_default(models):
    task = models["deep"]
    image = texture(*SIZE)
    recorder = Recorder(task.predict_on_batch)
    tiled = upscale_tiled(recorder, image, 4, tile=24, overlap=default_overlap(task.backbone))
    default = task.upscale(image, tile=24)
    np.testing.assert_array_equal(default, tiled)
    assert recorder.largest == (24 + 2 * 12, 24 + 2 * 12)
    assert max_abs_diff(default, task.upscale(image, tile=None)) <= 1


SR_BACKBONES = (
    "SRResNetBackbone",  # also the SRGAN and SRWGAN generators
    "UNetSRBackbone",
    "Depth2SpaceBackbone",
    "RRDBNetBackbone",  # also the ESRGAN generator
    "CompactSRBackbone",
    "SPANBackbone",
    "SwinIRBackbone",
)


def test_every_upscaling_backbone_states_its_receptive_radius():
    from keras_vsr import models
    from keras_vsr.models.conversion import converters

    assert {c.backbone_cls.__name__ for c in converters() if c.purpose == "upscale"} <= set(SR_BACKBONES)
    for name in SR_BACKBONES:
        assert isinstance(getattr(models, name).receptive_radius, property), name
