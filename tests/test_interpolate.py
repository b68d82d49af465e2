"""Interpolation evaluation protocol and the `interpolate` inference API."""

import numpy as np
import pytest
from PIL import Image

from tests.support import SHARED_DATA, AverageInterpolator, needs_data

MIDDLEBURY = SHARED_DATA / "video" / "bench" / "middlebury_others"


def _write_benchmark(root, scenes=2, size=(20, 24)):
    rng = np.random.default_rng(0)
    for s in range(scenes):
        frames = (rng.random((3, *size, 3)) * 255).astype(np.uint8)
        (root / "input" / f"s{s}").mkdir(parents=True)
        (root / "gt" / f"s{s}").mkdir(parents=True)
        Image.fromarray(frames[0]).save(root / "input" / f"s{s}" / "frame10.png")
        Image.fromarray(frames[1]).save(root / "input" / f"s{s}" / "frame11.png")
        Image.fromarray(frames[2]).save(root / "gt" / f"s{s}" / "frame10i11.png")
    return root


def test_evaluate_interpolation_model_equal_to_average_matches_baseline(tmp_path):
    from keras_vsr.evaluation import evaluate_interpolation, format_report as format_interpolation_report

    folder = _write_benchmark(tmp_path)
    calls = []

    def predict_middle(a, b):
        calls.append(a.shape)
        assert a.dtype == np.float32 and 0.0 <= a.min() and a.max() <= 1.0
        return (a + b) / 2.0

    result = evaluate_interpolation(predict_middle, folder)
    assert calls == [(1, 20, 24, 3)] * 2
    assert [r["name"] for r in result["rows"]] == ["s0", "s1"]
    for row in result["rows"]:
        assert row["psnr"] == pytest.approx(row["average_psnr"], abs=0.05)
        assert row["ssim"] == pytest.approx(row["average_ssim"], abs=2e-3)
    assert "mean" in format_interpolation_report("t", result)

    grey = evaluate_interpolation(lambda a, b: a, folder, grey=True)
    assert grey["grey"] and grey["rows"][0]["psnr"] < grey["rows"][0]["average_psnr"] + 10


def test_evaluate_interpolation_rejects_bad_input(tmp_path):
    from keras_vsr.evaluation import evaluate_interpolation

    folder = _write_benchmark(tmp_path)
    with pytest.raises(ValueError, match="shape"):
        evaluate_interpolation(lambda a, b: a[:, :10], folder)
    with pytest.raises(ValueError, match="callable"):
        evaluate_interpolation("model", folder)
    with pytest.raises(ValueError, match="does not exist"):
        evaluate_interpolation(None, tmp_path / "missing")
    (folder / "gt" / "s1" / "frame10i11.png").unlink()
    with pytest.raises(ValueError, match="frame10i11"):
        evaluate_interpolation(None, folder)


@needs_data("video", "bench", "middlebury_others")
def test_frame_averaging_reproduces_published_baseline():
    from keras_vsr.evaluation import find_triplets, frame_average, read_frame as _read
    from keras_vsr.metrics import psnr

    triplets = find_triplets(MIDDLEBURY)
    assert len(triplets) == 12
    values = [psnr(_read(m, False), frame_average(_read(a, False), _read(b, False))) for _, a, b, m in triplets]
    assert round(float(np.mean(values)), 2) == 28.01


def _ramp(n, h=6, w=5, c=3, step=16):
    return np.stack([np.full((h, w, c), i * step, np.uint8) for i in range(n)])


def test_interpolate_factor_2_4_and_8_keep_inputs_and_add_midpoints():
    from keras_vsr import interpolate

    frames = _ramp(4)
    out = interpolate(frames, factor=2, model=AverageInterpolator())
    assert out.shape == (7, 6, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[::2], frames)
    np.testing.assert_array_equal(out[:, 0, 0, 0], np.arange(7) * 8)

    out4 = interpolate(frames, factor=4, model=AverageInterpolator())
    assert out4.shape == (13, 6, 5, 3)
    np.testing.assert_array_equal(out4[::4], frames)
    np.testing.assert_array_equal(out4[:, 0, 0, 0], np.arange(13) * 4)  # recursive midpoints

    out8 = interpolate(frames, factor=8, model=AverageInterpolator())
    assert out8.shape == (25, 6, 5, 3)
    np.testing.assert_array_equal(out8[::8], frames)
    np.testing.assert_array_equal(out8[:, 0, 0, 0], np.arange(25) * 2)

    grey = interpolate(frames[..., 0], model=AverageInterpolator())
    assert grey.shape == (7, 6, 5)


def test_interpolate_never_crosses_scene_cuts():
    from keras_vsr import interpolate

    frames = _ramp(4)
    out = interpolate(frames, factor=2, model=AverageInterpolator(), scene_cuts=[2])
    np.testing.assert_array_equal(out[3], frames[1])  # held, not blended
    np.testing.assert_array_equal(out[1, 0, 0, 0], 8)
    out4 = interpolate(frames, factor=4, model=AverageInterpolator(), scene_cuts=[2])
    np.testing.assert_array_equal(out4[4:9, 0, 0, 0], [16, 16, 16, 16, 32])  # the frame before the cut

    # "auto": a hard cut between a dark and a bright shot is found.
    shots = np.concatenate([np.full((2, 8, 8, 3), 10, np.uint8), np.full((2, 8, 8, 3), 240, np.uint8)])
    auto = interpolate(shots, model=AverageInterpolator(), scene_cuts="auto")
    assert set(np.unique(auto[3])) == {10}
    assert set(np.unique(auto[1])) == {10} and set(np.unique(auto[5])) == {240}
    # A higher threshold sees no cut there.
    assert set(np.unique(auto[3])) != set(
        np.unique(interpolate(shots, model=AverageInterpolator(), scene_cuts="auto", scene_threshold=0.95)[3])
    )


def test_interpolate_streams_in_chunks():
    from keras_vsr.inference import iter_interpolated

    pulled = []

    def reader():
        for i, frame in enumerate(_ramp(20, step=8)):
            pulled.append(i)
            yield frame

    model = AverageInterpolator()
    stream = iter_interpolated(reader(), factor=2, model=model, chunk_size=3, batch_size=2)
    first = next(stream)
    assert first[0, 0, 0] == 0 and len(pulled) <= 4  # only one chunk read so far
    rest = list(stream)
    assert len(rest) + 1 == 39 and len(pulled) == 20
    assert max(model.batches) <= 2


def test_interpolate_bad_input():
    from keras_vsr import interpolate

    model = AverageInterpolator()
    with pytest.raises(ValueError, match="at least two frames"):
        interpolate(_ramp(1), model=model)
    with pytest.raises(ValueError, match="at least two frames"):
        interpolate([], model=model)
    with pytest.raises(ValueError, match="size of the first"):
        interpolate([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 6, 3), np.uint8)], model=model)
    with pytest.raises(ValueError, match="factor"):
        interpolate(_ramp(3), factor=3, model=model)
    with pytest.raises(ValueError, match="uint8"):
        interpolate(_ramp(3).astype("float32"), model=model)
    with pytest.raises(ValueError, match="predict_middle"):
        interpolate(_ramp(3), model=object())
    with pytest.raises(ValueError, match="Unknown preset"):
        interpolate(_ramp(3), model="no_such_interpolator")
    with pytest.raises(ValueError, match="scene_cuts"):
        interpolate(_ramp(3), model=model, scene_cuts="sometimes")
    for call in (
        lambda: interpolate(_ramp(3), factor=16, model=model),
        lambda: interpolate(_ramp(3, c=2), model=model),
        lambda: interpolate(_ramp(3), model=model, chunk_size=0),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert "\n" not in str(info.value)  # one line


def test_interpolate_with_an_ffc_model_on_odd_frame_sizes():
    import keras

    from keras_vsr import interpolate
    from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone

    keras.utils.set_random_seed(0)
    model = FFCInterpolator(FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2))
    frames = (np.random.default_rng(0).random((3, 9, 7, 3)) * 255).astype(np.uint8)
    out = interpolate(frames, factor=2, model=model)
    assert out.shape == (5, 9, 7, 3)
    # Untrained, the model is frame averaging.
    expected = np.round((frames[0].astype("float32") + frames[1]) / 2)
    assert np.abs(out[1].astype("float32") - expected).max() <= 1


def test_load_interpolator_from_a_preset_folder(tmp_path):
    from keras_vsr.inference import load_interpolator
    from keras_vsr.models import FFCInterpolator, FFCInterpolatorBackbone, SRResNetBackbone

    FFCInterpolatorBackbone(filters=8, num_levels=1, latent_channels=2).save_to_preset(str(tmp_path / "ffc"))
    assert isinstance(load_interpolator(str(tmp_path / "ffc")), FFCInterpolator)
    SRResNetBackbone(num_blocks=1, filters=8).save_to_preset(str(tmp_path / "sr"))
    with pytest.raises(ValueError, match="made to upscale, not to interpolate"):
        load_interpolator(str(tmp_path / "sr"))
