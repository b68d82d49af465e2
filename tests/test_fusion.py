import numpy as np
import pytest

import keras
from tests.support import AverageInterpolator
from tests.test_fusion_propagation import moving_clip, small_propagator
from keras_vsr.inference import SpatioTemporalFusion
from keras_vsr.models import (
    ConvLSTMInterpolator,
    ConvLSTMInterpolatorBackbone,
    Grey2RGBBackbone,
    Grey2RGBColorizer,
)
from keras_vsr.utils.colour import LUMA_WEIGHTS as LUMA, chroma


class FlatColorizer:
    """Colours every grey pixel with a fixed chroma offset."""

    def __init__(self, offset=(0.1, -0.05, 0.0)):
        self.offset = np.array(offset, "float32")

    def predict_rgb(self, grey, batch_size=8, keep_luma=True):
        grey = np.asarray(grey, "float32")
        return np.clip(np.repeat(grey, 3, axis=-1) + self.offset, 0, 1)


@pytest.fixture(scope="module")
def tiny_models():
    keras.utils.set_random_seed(0)
    interpolator = ConvLSTMInterpolator(ConvLSTMInterpolatorBackbone(filters=4, lstm_filters=4))
    colorizer = Grey2RGBColorizer(Grey2RGBBackbone(filters=4, depth=2))
    return interpolator, colorizer


def _clip(n=5, h=9, w=11, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w), dtype=np.uint8)


class Recorder:
    """An interpolator that records the frames it is given."""

    def __init__(self):
        self.seen = []

    def predict_middle(self, a, b):
        self.seen.append(a.shape)
        return (a + b) / 2


def test_fusion_interpolates_the_luma_through_the_frame_rate_pipeline():
    from keras_vsr.io.framerate import raise_frame_rate

    rgb = np.random.default_rng(0).integers(0, 256, (3, 6, 7, 3), dtype=np.uint8)
    recorder = Recorder()
    fusion = SpatioTemporalFusion(recorder, FlatColorizer((0.0, 0.0, 0.0)))
    out = fusion.fuse(rgb, factor=4, chunk_size=1)
    assert out.shape == (9, 6, 7, 3)
    assert {shape[1:] for shape in recorder.seen} == {(6, 7, 1)}  # grey frames only
    luma = np.round(rgb.astype("float32") @ LUMA).astype(np.uint8)
    grey = np.stack(list(raise_frame_rate(luma, AverageInterpolator(), 4)))
    # A colouriser adding no chroma returns the grey frames in all channels.
    np.testing.assert_array_equal(out, np.repeat(grey[..., None], 3, axis=-1))


@pytest.mark.parametrize("factor", [2, 8])
def test_fusion_with_real_models_any_size(tiny_models, factor):
    fusion = SpatioTemporalFusion(*tiny_models)
    grey = _clip(3, 7, 9)  # odd size
    out = fusion.fuse(grey, factor=factor, chunk_size=1)
    assert out.shape == (2 * factor + 1, 7, 9, 3) and out.dtype == np.uint8
    # keep_luma: the input frames' luma survives colourisation
    y = out[::factor].astype("float32") @ LUMA
    inside = (grey > 30) & (grey < 225)
    assert np.abs(y - grey)[inside].max() <= 1.5
    # the interpolator's own uint8 API agrees with the frame stream
    assert tiny_models[0].interpolate(grey, factor=factor).shape == (2 * factor + 1, 7, 9)


def test_static_scene_key_frames_restore_true_colours():
    rgb = np.repeat(np.random.default_rng(1).integers(40, 200, (1, 16, 16, 3), dtype=np.uint8), 5, axis=0)
    grey = np.round(rgb.astype("float32") @ LUMA).astype(np.uint8)
    fusion = SpatioTemporalFusion(AverageInterpolator(), FlatColorizer(), propagator=small_propagator())
    assert fusion.method == "propagation"
    out = fusion.fuse(grey, key_frames={0: rgb[0], 4: rgb[4]}, factor=2)
    assert out.shape == (9, 16, 16, 3)
    np.testing.assert_array_equal(out[0], rgb[0])
    np.testing.assert_array_equal(out[8], rgb[4])
    # nothing moves: every frame takes the key frames' colours (to rounding)
    np.testing.assert_allclose(out.astype(int), np.repeat(rgb[:1], 9, axis=0).astype(int), atol=2)


def test_propagation_follows_motion_better_than_copying_the_key_frame():
    rgb = moving_clip()
    grey = np.round(rgb.astype("float32") @ LUMA).astype(np.uint8)
    fusion = SpatioTemporalFusion(AverageInterpolator(), FlatColorizer(), propagator=small_propagator())
    out = fusion.fuse(grey, key_frames={0: rgb[0], 4: rgb[4]}, factor=1)
    assert out.shape == rgb.shape
    copy = np.clip(grey[2, ..., None] + (rgb[0] - (rgb[0] @ LUMA)[..., None]), 0, 255)
    inside = (slice(4, -4), slice(8, -8))  # away from the edges the motion uncovers
    err = lambda x: np.abs(x[inside].astype("float32") - rgb[2][inside]).mean()  # noqa: E731
    assert err(out[2]) < 0.5 * err(copy)


def test_no_key_frame_warns_and_uses_the_colorizer():
    grey = _clip(3)
    fusion = SpatioTemporalFusion(AverageInterpolator(), FlatColorizer())
    with pytest.warns(UserWarning, match="No key frame"):
        out = fusion.fuse(grey, factor=1)
    g = grey[..., None] / 255.0
    expected = np.clip(g + chroma(FlatColorizer().predict_rgb(g)), 0, 1)  # the colouriser's chroma, the grey luma
    np.testing.assert_allclose(out / 255.0, expected, atol=1 / 255)


def test_fusion_bad_input(tiny_models):
    fusion = SpatioTemporalFusion(AverageInterpolator(), FlatColorizer())
    grey = _clip(3)
    with pytest.raises(ValueError, match="at least two frames"):
        fusion.fuse(grey[:1])
    with pytest.raises(ValueError, match="Key frame 1 is 4x4 .* resize"):
        fusion.fuse(grey, key_frames={1: np.zeros((4, 4, 3), np.uint8)})
    with pytest.raises(ValueError, match="Key frame 0 must be a uint8 RGB"):
        fusion.fuse(grey, key_frames={0: np.zeros((9, 11), np.uint8)})
    with pytest.raises(ValueError, match="beyond the last grey frame"):
        fusion.fuse(grey, key_frames={7: np.zeros((9, 11, 3), np.uint8)})
    with pytest.raises(ValueError, match="dict"):
        fusion.fuse(grey, key_frames=[np.zeros((9, 11, 3), np.uint8)])
    with pytest.raises(ValueError, match="must increase"):
        fusion.fuse(grey, key_frames=[(1, np.zeros((9, 11, 3), np.uint8)), (0, np.zeros((9, 11, 3), np.uint8))])
    with pytest.raises(ValueError, match="integers >= 0"):
        fusion.fuse(grey, key_frames={-1: np.zeros((9, 11, 3), np.uint8)})
    with pytest.raises(ValueError, match="method"):
        SpatioTemporalFusion(AverageInterpolator(), FlatColorizer(), method="learned")
    with pytest.raises(ValueError, match="predict_middle"):
        SpatioTemporalFusion(object(), FlatColorizer())
    # colour frames where grey is expected: converted to luma
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    # (luma of 8-bit RGB is rounded to 8 bits on one path only: one grey level)
    np.testing.assert_allclose(fusion.fuse(rgb).astype(int), fusion.fuse(grey).astype(int), atol=1)


def test_fusion_from_preset(tiny_models, tmp_path):
    interpolator, colorizer = tiny_models
    interpolator.backbone.save_to_preset(str(tmp_path / "i"))
    colorizer.backbone.save_to_preset(str(tmp_path / "c"))
    fusion = SpatioTemporalFusion.from_preset(str(tmp_path / "i"), str(tmp_path / "c"))
    grey = _clip(2, 8, 8)
    np.testing.assert_array_equal(fusion.fuse(grey), SpatioTemporalFusion(interpolator, colorizer).fuse(grey))


def test_bundled_presets_load_by_name_and_fuse():
    from keras_vsr.models import list_presets

    names = {p["name"] for p in list_presets()}
    assert {"conv_lstm_interpolator_f16_vimeo_grey", "grey2rgb_f16d3_291photos"} <= names
    fusion = SpatioTemporalFusion.from_preset("conv_lstm_interpolator_f16_vimeo_grey", "grey2rgb_f16d3_291photos")
    assert fusion.interpolator.channels == 1 and fusion.interpolator.backbone.count_params() == 713713
    # a bright square moving 4 pixels per frame: the trained model beats frame averaging
    frames = np.full((2, 32, 32), 40, np.uint8)
    frames[0, 12:20, 8:16] = 220
    frames[1, 12:20, 16:24] = 220
    truth = np.full((32, 32), 40, np.uint8)
    truth[12:20, 12:20] = 220
    out = fusion.interpolator.interpolate(frames, factor=2)
    average = frames.astype("float32").mean(axis=0)
    err = lambda x: np.abs(x.astype("float32") - truth).mean()  # noqa: E731
    assert err(out[1]) < err(average)
    colour = fusion.fuse(frames, factor=2)
    assert colour.shape == (3, 32, 32, 3)
