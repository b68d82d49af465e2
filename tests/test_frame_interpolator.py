"""The `FrameInterpolator` contract (shared by every interpolator) and the
frame helpers of `keras_vsr.utils.frames`."""

import keras
import numpy as np
import pytest

import keras_vsr
from keras_vsr.models import (
    ConvLSTMInterpolator,
    ConvLSTMInterpolatorBackbone,
    FFCInterpolator,
    FFCInterpolatorBackbone,
    FrameInterpolator,
)
from keras_vsr.utils.frames import check_frame, check_frame_pair, pad_to_multiple
from keras_vsr.utils.images import from_float


def _frames(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random(shape).astype("float32"), rng.random(shape).astype("float32")


@pytest.fixture(scope="module")
def grey_task():
    keras.utils.set_random_seed(0)
    return ConvLSTMInterpolator(ConvLSTMInterpolatorBackbone(filters=4, lstm_filters=4), compile=False)


class AveragingConvLSTM(ConvLSTMInterpolator):
    """The network call replaced by frame averaging, recording its inputs."""

    def predict_pairs(self, frames_a, frames_b):
        self.seen = getattr(self, "seen", []) + [frames_a.shape]
        return (frames_a + frames_b) / 2


def test_subclasses_get_padded_batches_and_the_result_cropped(grey_task):
    task = AveragingConvLSTM(grey_task.backbone, compile=False)
    a, b = _frames((5, 7, 9, 1))
    out = task.predict_middle(a, b, batch_size=2)
    np.testing.assert_allclose(out, (a + b) / 2, atol=1e-6)
    assert task.seen == [(2, 8, 12, 1), (2, 8, 12, 1), (1, 8, 12, 1)]  # size_multiple 4
    # uint8 frames are read as [0, 255] -> [0, 1].
    a8, b8 = from_float(a, np.uint8), from_float(b, np.uint8)
    np.testing.assert_allclose(task.predict_middle(a8, b8), (a8 / 255.0 + b8 / 255.0) / 2, atol=1e-6)
    assert isinstance(task, FrameInterpolator) and issubclass(FFCInterpolator, FrameInterpolator)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # saved uncompiled
def test_colour_mode_is_the_model_s_own_and_round_trips(grey_task, tmp_path):
    assert grey_task.colour_mode == "per_channel"
    luma = ConvLSTMInterpolator(grey_task.backbone, colour_mode="luma", compile=False)
    config = luma.get_config()
    assert config["colour_mode"] == "luma"
    assert ConvLSTMInterpolator.from_config(config).colour_mode == "luma"
    luma.save(tmp_path / "luma.keras")
    assert keras.saving.load_model(tmp_path / "luma.keras", compile=False).colour_mode == "luma"
    ffc = FFCInterpolator(FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2, channels=1),
                          colour_mode="luma", compile=False)
    assert FFCInterpolator.from_config(ffc.get_config()).colour_mode == "luma"
    with pytest.raises(ValueError, match="`colour_mode` must be one of"):
        ConvLSTMInterpolator(grey_task.backbone, colour_mode="grey")


def test_grey_model_on_rgb_follows_its_colour_mode(grey_task):
    a, b = _frames((2, 6, 5, 3))
    per_channel = grey_task.predict_middle(a, b)
    for c in range(3):
        np.testing.assert_allclose(
            per_channel[..., c : c + 1], grey_task.predict_middle(a[..., c : c + 1], b[..., c : c + 1]), atol=1e-6
        )
    luma_task = ConvLSTMInterpolator(grey_task.backbone, colour_mode="luma", compile=False)
    weights = np.array([0.299, 0.587, 0.114], "float32")
    grey = grey_task.predict_middle((a @ weights)[..., None], (b @ weights)[..., None])
    np.testing.assert_allclose(luma_task.predict_middle(a, b), np.repeat(grey, 3, -1), atol=1e-6)


def test_rgb_model_on_grey_returns_the_channel_mean():
    keras.utils.set_random_seed(0)
    task = FFCInterpolator(FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2), compile=False)
    a, b = _frames((2, 6, 5, 1))
    out = task.predict_middle(a, b)
    expected = task.predict_middle(np.repeat(a, 3, -1), np.repeat(b, 3, -1)).mean(-1, keepdims=True)
    assert out.shape == (2, 6, 5, 1)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_interpolate_method_and_keras_vsr_interpolate_are_one_pipeline(grey_task):
    frames = np.random.default_rng(0).integers(0, 256, (3, 7, 9, 3), dtype=np.uint8)
    out = grey_task.interpolate(frames, factor=8)
    assert out.shape == (17, 7, 9, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, keras_vsr.interpolate(frames, factor=8, model=grey_task))
    np.testing.assert_array_equal(out[::8], frames)
    # A grey model on RGB frames: per channel by default.
    middle = grey_task.predict_middle(frames[:1] / 255.0, frames[1:2] / 255.0)[0]
    assert middle.shape == (7, 9, 3)
    np.testing.assert_array_equal(out[4], from_float(middle, np.uint8))


def test_load_interpolator_builds_the_task_of_the_backbone(grey_task, tmp_path):
    from keras_vsr.inference import load_interpolator

    grey_task.backbone.save_to_preset(str(tmp_path / "conv_lstm"))
    task = load_interpolator(str(tmp_path / "conv_lstm"))
    assert type(task) is ConvLSTMInterpolator and task.colour_mode == "per_channel"


def test_pad_to_multiple_mirrors_or_repeats_the_edge():
    x = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    padded = pad_to_multiple(x, 4)
    assert padded.shape == (1, 4, 4, 1)
    np.testing.assert_array_equal(padded[0, :, :, 0], [[0, 1, 2, 2], [3, 4, 5, 5], [3, 4, 5, 5], [0, 1, 2, 2]])
    # A side shorter than its padding repeats its edge; the other still mirrors.
    tall = pad_to_multiple(np.arange(2, dtype="float32").reshape(1, 1, 2, 1), 4)
    np.testing.assert_array_equal(tall[0, :, :, 0], [[0, 1, 1, 0]] * 4)
    assert pad_to_multiple(x, 1) is x


def test_frame_checks_give_one_line_value_errors():
    frame = np.zeros((4, 5, 3), np.uint8)
    assert check_frame(frame[..., 0]).shape == (4, 5, 1)
    assert check_frame(np.zeros((4, 5, 4), np.uint8), channels=(3, 4), reference=(4, 5)).shape == (4, 5, 4)
    bad = [
        (lambda: check_frame(frame.astype("float32"), 2), "frame 2 with dtype float32"),
        (lambda: check_frame(frame[..., :2]), r"\(h, w\), \(h, w, 1\) or \(h, w, 3\)"),
        (lambda: check_frame(frame[..., 0], channels=(3, 4), what="GIF frames"), r"GIF frames must be arrays \(h, w, 3\)"),
        (lambda: check_frame(frame, 1, reference=(4, 6)), r"size of the first, 4x6 \(h x w\)"),
        (lambda: check_frame(frame, 1, reference=(4, 5, 1)), "channels of the first, 1"),
        (lambda: check_frame_pair(frame, frame), "add a leading axis"),
        (lambda: check_frame_pair(frame[None], frame[None, :3]), "same shape"),
        (lambda: check_frame_pair(frame[None, ..., :2], frame[None, ..., :2]), "must have shape"),
        (lambda: check_frame_pair(frame[None, :0], frame[None, :0]), "must have shape"),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message) as info:
            call()
        assert "\n" not in str(info.value)
    a, b = check_frame_pair(frame[None], frame[None])
    assert a.dtype == b.dtype == np.float32
