import numpy as np
import pytest

import keras
from tests.support import needs_data, run_backbone_test, to_numpy
from keras_vsr.layers.optical_flow import LucasKanadeFlow, MidpointAlignment, backward_warp
from keras_vsr.models import ConvLSTMInterpolator, ConvLSTMInterpolatorBackbone


def _texture(h, w, seed=0):
    """A smooth random texture in [0, 1] defined at any real (x, y)."""
    rng = np.random.default_rng(seed)
    k = rng.normal(size=(6, 2)) * 0.25
    phase = rng.uniform(0, 2 * np.pi, 6)

    def at(x, y):
        return 0.5 + sum(
            np.sin(k[i, 0] * x + k[i, 1] * y + phase[i]) for i in range(6)
        ) / 12.0

    return at


def _frame(at, h, w, dx=0.0, dy=0.0):
    """`at` sampled on an h x w grid moved by (dx, dy): frame(x) = at(x - d)."""
    y, x = np.mgrid[0:h, 0:w].astype("float64")
    return at(x - dx, y - dy)[None, ..., None].astype("float32")


def test_backward_warp_integer_shift_and_bilinear_weights():
    rng = np.random.default_rng(0)
    image = rng.random((2, 5, 7, 3)).astype("float32")
    flow = np.zeros((2, 5, 7, 2), "float32")
    flow[..., 0] = 2.0  # sample two pixels to the right
    flow[..., 1] = -1.0  # one row up
    out = to_numpy(backward_warp(image, flow))
    np.testing.assert_allclose(out[:, 1:, :5], image[:, :-1, 2:], atol=1e-6)
    # outside the frame: the nearest edge pixel
    np.testing.assert_allclose(out[:, 0, :5], image[:, 0, 2:], atol=1e-6)
    np.testing.assert_allclose(out[:, 1:, 5:], np.repeat(image[:, :-1, 6:], 2, axis=2), atol=1e-6)
    # fractional flow: bilinear weights of the four neighbours
    flow = np.full((2, 5, 7, 2), [0.25, 0.5], "float32")
    out = to_numpy(backward_warp(image, flow))
    expected = (
        0.75 * 0.5 * image[:, :-1, :-1]
        + 0.25 * 0.5 * image[:, :-1, 1:]
        + 0.75 * 0.5 * image[:, 1:, :-1]
        + 0.25 * 0.5 * image[:, 1:, 1:]
    )
    np.testing.assert_allclose(out[:, :-1, :-1], expected, atol=1e-6)


@pytest.mark.parametrize("shift, tolerance", [((1.5, -0.75), 0.05), ((-7.0, 3.0), 0.1)])
def test_lucas_kanade_recovers_a_translation(shift, tolerance):
    """Small shifts are solved at the finest level; 7 px needs the pyramid."""
    at = _texture(64, 96)
    first = _frame(at, 64, 96)
    second = _frame(at, 64, 96, *shift)  # first(x) = second(x + shift)
    flow = to_numpy(LucasKanadeFlow(levels=4)([first, second]))
    assert flow.shape == (1, 64, 96, 2)
    inner = flow[0, 16:-16, 16:-16]
    np.testing.assert_allclose(np.median(inner.reshape(-1, 2), axis=0), shift, atol=tolerance)
    assert np.mean(np.abs(inner - shift).max(axis=-1) < 0.25) > 0.9


def test_one_level_cannot_follow_a_large_motion():
    """The pyramid is what reaches large motions: one level stays far off."""
    at = _texture(64, 96)
    first, second = _frame(at, 64, 96), _frame(at, 64, 96, -7.0, 3.0)
    flow = to_numpy(LucasKanadeFlow(levels=1)([first, second]))[0, 16:-16, 16:-16]
    assert np.mean(np.abs(flow - (-7.0, 3.0)).max(axis=-1) < 0.25) < 0.2


def test_midpoint_alignment_lands_on_the_true_middle_frame(tmp_path):
    at = _texture(64, 64, seed=1)
    first, middle, second = (_frame(at, 64, 64, d, -d / 2) for d in (0.0, 4.0, 8.0))
    a_mid, b_mid = (to_numpy(x) for x in MidpointAlignment(levels=4)([first, second]))
    inner = (slice(None), slice(12, -12), slice(12, -12))
    for warped in (a_mid, b_mid):
        assert np.abs(warped - middle)[inner].mean() < 0.1 * np.abs(0.5 * (first + second) - middle)[inner].mean()
    layer = MidpointAlignment(levels=3, iterations=2)
    clone = MidpointAlignment.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.size_multiple == 4 and not clone.trainable_weights


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"levels": 0}, "levels=0"),
        ({"iterations": 1.5}, "iterations=1.5"),
        ({"window_sigma": 0}, "window_sigma=0"),
        ({"damping": -1}, "damping=-1"),
    ],
)
def test_flow_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LucasKanadeFlow(**kwargs)


MC = {"filters": 4, "lstm_filters": 4, "motion_compensation": True, "flow_levels": 3}


def test_motion_compensated_backbone_round_trip(tmp_path):
    run_backbone_test(ConvLSTMInterpolatorBackbone, MC, (2, 2, 8, 12, 1), (2, 8, 12, 1), tmp_path)
    assert ConvLSTMInterpolatorBackbone(**MC).size_multiple == 4
    assert ConvLSTMInterpolatorBackbone(**{**MC, "flow_levels": 5}).size_multiple == 16


def test_untrained_motion_compensated_model_is_the_warped_mean():
    at = _texture(32, 48, seed=2)
    first, second = _frame(at, 32, 48), _frame(at, 32, 48, 6.0, 2.0)
    backbone = ConvLSTMInterpolatorBackbone(**MC)
    out = to_numpy(backbone(np.stack([first, second], axis=1)))
    a_mid, b_mid = (to_numpy(x) for x in MidpointAlignment(levels=3)([first, second]))
    np.testing.assert_allclose(out, 0.5 * (a_mid + b_mid), atol=1e-5)
    truth = _frame(at, 32, 48, 3.0, 1.0)
    inner = (slice(None), slice(8, -8), slice(8, -8))
    averaging = np.abs(0.5 * (first + second) - truth)[inner].mean()
    assert np.abs(out - truth)[inner].mean() < 0.25 * averaging


def test_motion_compensated_task_trains_and_takes_any_size():
    keras.utils.set_random_seed(0)
    task = ConvLSTMInterpolator(ConvLSTMInterpolatorBackbone(**MC))
    rng = np.random.default_rng(0)
    x = rng.random((4, 2, 12, 12, 1)).astype("float32")
    before = [w.copy() for w in task.backbone.get_weights()]
    task.fit(x, x.mean(axis=1), epochs=1, batch_size=2, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, task.backbone.get_weights()))
    a, b = rng.random((2, 13, 7, 1)), rng.random((2, 13, 7, 1))
    out = task.predict_middle(a.astype("float32"), b.astype("float32"))
    assert out.shape == (2, 13, 7, 1) and 0 <= out.min() and out.max() <= 1


@needs_data("video", "bench", "middlebury_others")
def test_warped_mean_beats_frame_averaging_on_middlebury(tmp_path):
    """The motion compensation alone, on real frames (Urban2, luma), through
    `predict_middle` (which pads to the flow's multiple)."""
    from tests.support import SHARED_DATA
    from keras_vsr.evaluation import evaluate_interpolation

    source = SHARED_DATA / "video" / "bench" / "middlebury_others"
    for part in ("input", "gt"):
        (tmp_path / part).mkdir()
        (tmp_path / part / "Urban2").symlink_to(source / part / "Urban2")
    backbone = ConvLSTMInterpolatorBackbone(filters=4, lstm_filters=4, motion_compensation=True)
    result = evaluate_interpolation(ConvLSTMInterpolator(backbone).predict_middle, tmp_path, grey=True)
    [row] = result["rows"]
    assert row["name"] == "Urban2" and row["psnr"] > row["average_psnr"] + 5.0, row


def test_motion_compensated_ffc_interpolator_starts_at_the_warped_mean(tmp_path):
    from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone

    at = _texture(16, 24, seed=3)
    first, second = _frame(at, 16, 24), _frame(at, 16, 24, -2.0, 1.0)
    kwargs = {"channels": 1, "filters": 8, "num_levels": 1, "latent_channels": 2, "seed": 0}
    backbone = FFCInterpolatorBackbone(**kwargs, motion_compensation=True, flow_levels=3, flow_iterations=2)
    assert backbone.size_multiple == 4
    out = to_numpy(backbone({"frames_a": first, "frames_b": second})["middle"])
    a_mid, b_mid = (to_numpy(x) for x in MidpointAlignment(levels=3, iterations=2)([first, second]))
    np.testing.assert_allclose(out, 0.5 * (a_mid + b_mid), atol=1e-5)
    backbone.save_to_preset(str(tmp_path / "ffc_mc"))
    loaded = FFCInterpolator.from_preset(str(tmp_path / "ffc_mc"))
    assert loaded.backbone.motion_compensation and loaded.backbone.flow_levels == 3
    middle = loaded.predict_middle(first[:, :14, :23], second[:, :14, :23])  # padded to 4
    assert middle.shape == (1, 14, 23, 1)


@pytest.mark.parametrize(
    "preset", ["conv_lstm_interpolator_f16_vimeo_grey_mc", "ffc_interpolator_vimeo_mc"]
)
def test_bundled_motion_compensated_presets_follow_motion(preset):
    """The bundled weights load on this backend and follow a moving texture
    through `keras_vsr.interpolate` (uint8 RGB, odd size)."""
    import keras_vsr

    at = _texture(45, 61, seed=4)
    frames = [
        np.repeat(np.round(_frame(at, 45, 61, d, d / 3)[0] * 255).astype(np.uint8), 3, axis=-1)
        for d in (0.0, 6.0)
    ]
    out = keras_vsr.interpolate(np.stack(frames), factor=2, model=preset)
    assert out.shape == (3, 45, 61, 3) and out.dtype == np.uint8
    truth = np.round(_frame(at, 45, 61, 3.0, 1.0)[0] * 255)
    inner = (slice(8, -8), slice(8, -8))
    error = np.abs(out[1].astype(float).mean(-1, keepdims=True) - truth)[inner].mean()
    averaging = np.abs((frames[0].astype(float) + frames[1]) / 2 - np.repeat(truth, 3, -1))[inner].mean()
    assert error < 0.3 * averaging


@pytest.mark.parametrize("size", [(1, 1), (1, 5), (2, 2), (16, 16)])
def test_flow_takes_frames_down_to_one_pixel(size):
    # With 5 levels a 16 px frame's coarsest level is 1 px; the derivatives
    # there are 0, so the flow stays 0 and finite instead of failing.
    rng = np.random.default_rng(0)
    a = rng.random((1, *size, 1)).astype("float32")
    flow = to_numpy(LucasKanadeFlow(levels=1 if size[0] < 16 else 5)([a, a]))
    assert flow.shape == (1, *size, 2) and np.all(np.isfinite(flow))
    np.testing.assert_allclose(flow, 0.0, atol=1e-6)


def test_motion_compensated_preset_on_a_16_pixel_frame():
    from keras_vsr.inference.tasks import load_task

    task = load_task("conv_lstm_interpolator_f16_vimeo_grey_mc", "interpolate")
    x = np.full((1, 16, 16, 1), 0.5, "float32")
    np.testing.assert_allclose(task.predict_middle(x, x), x, atol=0.02)
