"""Interpolation evaluation protocol and the `interpolate` inference API."""

import numpy as np
import pytest
from PIL import Image

from conftest import SHARED_DATA, needs_data

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
    from keras_vsr.evaluation_interpolation import evaluate_interpolation, format_interpolation_report

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
    from keras_vsr.evaluation_interpolation import evaluate_interpolation

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
    from keras_vsr.evaluation_interpolation import evaluate_interpolation

    result = evaluate_interpolation(None, MIDDLEBURY)
    assert len(result["rows"]) == 12
    assert round(result["mean"]["average_psnr"], 2) == 28.01
