import numpy as np
import pytest

import keras
from tests.support import run_backbone_test, to_numpy
from keras_vsr.layers import ConvLSTM, ConvLSTMCell
from keras_vsr.models import ConvLSTMInterpolator, ConvLSTMInterpolatorBackbone

TINY = dict(filters=4, lstm_filters=4)


def _sequence(shape=(2, 3, 6, 5, 2), seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


def test_cell_matches_the_lstm_equations():
    cell = ConvLSTMCell(3, kernel_size=1)
    x = _sequence((1, 2, 2, 2))
    h0 = _sequence((1, 2, 2, 3), 1)
    c0 = _sequence((1, 2, 2, 3), 2)
    h, (h_state, c) = cell(x, [h0, c0])
    kernel = to_numpy(cell.gates.kernel)[0, 0]  # (2 + 3, 12)
    bias = to_numpy(cell.gates.bias)
    z = np.concatenate([x, h0], -1) @ kernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    c_ref = sig(f) * c0 + sig(i) * np.tanh(g)
    np.testing.assert_allclose(to_numpy(c), c_ref, atol=1e-5)
    np.testing.assert_allclose(to_numpy(h), sig(o) * np.tanh(c_ref), atol=1e-5)
    np.testing.assert_allclose(to_numpy(h_state), to_numpy(h))
    # unit forget bias
    np.testing.assert_array_equal(bias, np.repeat([0.0, 1.0, 0.0, 0.0], 3))


def test_sequence_layer_equals_keras_conv_lstm2d():
    """Same recurrence as keras.layers.ConvLSTM2D (fixed size), weights copied."""
    x = _sequence((2, 3, 6, 5, 2))
    ours = ConvLSTM(4, kernel_size=3, return_sequences=True)
    ours.build(x.shape)
    ref = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    ref.build(x.shape)
    kernel, recurrent, bias = ref.get_weights()
    ours.set_weights([np.concatenate([kernel, recurrent], axis=2), bias])
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(ref(x)), atol=1e-5)
    last = ConvLSTM(4, kernel_size=3)
    last.build(x.shape)
    last.set_weights(ours.get_weights())
    np.testing.assert_allclose(to_numpy(last(x)), to_numpy(ours(x))[:, -1], atol=1e-5)


def test_go_backwards_reverses_time():
    x = _sequence()
    fwd = ConvLSTM(3, return_sequences=True)
    bwd = ConvLSTM(3, return_sequences=True, go_backwards=True)
    fwd.build(x.shape)
    bwd.build(x.shape)
    bwd.set_weights(fwd.get_weights())
    np.testing.assert_allclose(to_numpy(bwd(x)), to_numpy(fwd(x[:, ::-1]))[:, ::-1], atol=1e-5)


def test_sequence_layer_shapes_and_serialisation(tmp_path):
    layer = ConvLSTM(3, return_sequences=True)
    x = _sequence((2, 3, 7, 5, 2))
    assert tuple(to_numpy(layer(x)).shape) == (2, 3, 7, 5, 3)
    assert layer.compute_output_shape(x.shape) == (2, 3, 7, 5, 3)
    assert ConvLSTM(3).compute_output_shape((None, 3, None, None, 2)) == (None, None, None, 3)
    clone = ConvLSTM.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    inputs = keras.Input((3, None, None, 2))
    model = keras.Model(inputs, ConvLSTM(3, go_backwards=True)(inputs))
    expected = to_numpy(model(x))
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(to_numpy(reloaded(x)), expected, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"filters": 0}, "filters=0"), ({"filters": 2, "kernel_size": 2}, "kernel_size=2")],
)
def test_cell_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvLSTMCell(**kwargs)


def test_sequence_layer_needs_known_time_steps():
    with pytest.raises(ValueError, match="known number of time steps"):
        ConvLSTM(2).build((None, None, 8, 8, 1))
    with pytest.raises(ValueError, match="batch, time, height, width, channels"):
        ConvLSTM(2).build((None, 8, 8, 1))


@pytest.mark.parametrize("num_frames", [2, 4])
def test_backbone_round_trip(num_frames, tmp_path):
    run_backbone_test(
        ConvLSTMInterpolatorBackbone,
        {"num_frames": num_frames, **TINY},
        (2, num_frames, 8, 12, 1),
        (2, 8, 12, 1),
        tmp_path,
    )


def test_backbone_starts_from_frame_averaging():
    backbone = ConvLSTMInterpolatorBackbone(**TINY)
    residual = backbone.get_layer("residual")
    residual.set_weights([np.zeros_like(w) for w in residual.get_weights()])
    x = _sequence((1, 2, 8, 8, 1))
    np.testing.assert_allclose(to_numpy(backbone(x)), x.mean(axis=1), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_frames": 3}, "num_frames=3"),
        ({"num_frames": 0}, "num_frames=0"),
        ({"filters": 0}, "filters=0"),
        ({"channels": 2}, "channels=2"),
    ],
)
def test_backbone_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvLSTMInterpolatorBackbone(**{**TINY, **kwargs})


def _task():
    keras.utils.set_random_seed(0)
    return ConvLSTMInterpolator(ConvLSTMInterpolatorBackbone(**TINY))


def test_task_trains_and_predicts_middle_of_any_size():
    task = _task()
    x = _sequence((4, 2, 12, 12, 1))
    y = x.mean(axis=1)
    before = [w.copy() for w in task.backbone.get_weights()]
    history = task.fit(x, y, epochs=1, batch_size=2, verbose=0)
    assert {"loss", "psnr", "ssim"} <= set(history.history)
    assert any(not np.allclose(a, b) for a, b in zip(before, task.backbone.get_weights()))
    assert task.channels == 1
    a, b = _sequence((3, 7, 9, 1), 1), _sequence((3, 7, 9, 1), 2)  # odd sizes
    out = task.predict_middle(a, b, batch_size=2)
    assert out.shape == (3, 7, 9, 1) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    # padding is cropped back: the same frames inside a larger batch agree
    np.testing.assert_allclose(task.predict_middle(a[:1], b[:1]), out[:1], atol=1e-5)


def test_task_interpolates_rgb_per_channel_or_on_luma_by_its_colour_mode():
    task = _task()
    a, b = _sequence((2, 8, 8, 3), 1), _sequence((2, 8, 8, 3), 2)
    rgb = task.predict_middle(a, b)
    assert task.colour_mode == "per_channel" and rgb.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(rgb[..., 1:2], task.predict_middle(a[..., 1:2], b[..., 1:2]), atol=1e-5)
    luma_task = ConvLSTMInterpolator(task.backbone, colour_mode="luma")
    luma = lambda t: (t @ np.array([0.299, 0.587, 0.114], "float32"))[..., None]  # noqa: E731
    grey = luma_task.predict_middle(a, b)
    assert grey.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(grey, np.repeat(task.predict_middle(luma(a), luma(b)), 3, -1), atol=1e-5)


@pytest.mark.parametrize(
    "a_shape, b_shape, message",
    [
        ((1, 8, 8, 1), (1, 8, 9, 1), "same shape"),
        ((8, 8, 1), (8, 8, 1), "add a leading axis"),
        ((1, 8, 8, 2), (1, 8, 8, 2), r"\(batch, h, w, 1\) or \(batch, h, w, 3\)"),
    ],
)
def test_predict_middle_rejects_bad_frames(a_shape, b_shape, message):
    task = _task()
    with pytest.raises(ValueError, match=message):
        task.predict_middle(np.zeros(a_shape, "float32"), np.zeros(b_shape, "float32"))


def test_task_preset_round_trip(tmp_path):
    task = _task()
    task.backbone.save_to_preset(str(tmp_path / "p"))
    loaded = ConvLSTMInterpolator.from_preset(str(tmp_path / "p"))
    a, b = _sequence((1, 5, 6, 1), 1), _sequence((1, 5, 6, 1), 2)
    np.testing.assert_allclose(loaded.predict_middle(a, b), task.predict_middle(a, b), atol=1e-5)
