"""`keras_vsr.evaluation` and `keras-vsr evaluate KIND`: every figure beside
its baseline, on tiny generated sets."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.tiny_data import middlebury, sr_bench, texture
from keras_vsr.cli import main
from keras_vsr.evaluation import (
    evaluate_colorization,
    evaluate_frames,
    evaluate_sr,
    format_report,
)
from keras_vsr.evaluation.data_root import add_data_root_argument, data_path, data_paths
from keras_vsr.evaluation.report import summarise
from keras_vsr.utils.imresize import imresize

KINDS = ("sr", "interpolation", "colorization")


def _colour_folder(folder, grey_names=("flat",)):
    """Two colour images and, under `grey_names`, grey ones (R = G = B)."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for i in range(2):
        Image.fromarray(texture(rng, 20, 24)).save(folder / f"colour{i}.png")
    for name in grey_names:
        Image.fromarray(np.repeat(texture(rng, 20, 24)[..., :1], 3, axis=-1)).save(folder / f"{name}.png")
    return folder


class GreyCopy:
    """A stand-in colouriser: the grey image copied to three channels."""

    def colorize(self, grey, keep_luma=True):
        return np.repeat(grey[..., None], 3, axis=-1)


def test_report_puts_the_model_first_then_its_baseline():
    result = summarise(
        [{"name": "a", "bicubic_psnr": 20.0, "psnr": 30.0, "ssim": 0.9, "bicubic_ssim": 0.8}]
        + [{"name": "b", "bicubic_psnr": 22.0, "psnr": 32.0, "ssim": 0.7, "bicubic_ssim": 0.6}]
    )
    assert result["mean"] == pytest.approx({"psnr": 31.0, "ssim": 0.8, "bicubic_psnr": 21.0, "bicubic_ssim": 0.7})
    lines = format_report("title", result).splitlines()
    assert lines[0] == "title"
    assert lines[1].split() == ["image", "PSNR", "SSIM", "bic", "PSNR", "bic", "SSIM"]
    assert lines[-1] == f"{'mean':<14}{'31.00':>8}{'0.8000':>8}{'21.00':>10}{'0.7000':>10}"
    markdown = format_report("", result, item="scene", markdown=True).splitlines()
    assert markdown[:2] == ["| scene | PSNR | SSIM | bic PSNR | bic SSIM |", "|---|---|---|---|---|"]
    assert markdown[-1] == "| mean | 31.00 | 0.8000 | 21.00 | 0.7000 |"
    with pytest.raises(ValueError, match="empty"):
        summarise([])


def test_sr_and_frame_evaluations_measure_bicubic_against_itself(tmp_path):
    """An upscaler that is MATLAB bicubic scores exactly its baseline."""
    hr_only = sr_bench(tmp_path, 2) / "Set5" / "x2" / "HR"
    result = evaluate_sr(lambda lr: imresize(lr, 2), hr_only, 2)  # LR made from HR
    assert [r["name"] for r in result["rows"]] == ["img0", "img1"]
    assert result["mean"]["psnr"] == result["mean"]["bicubic_psnr"]

    frames = [texture(np.random.default_rng(i), 30, 40) for i in range(3)]
    result = evaluate_frames(lambda lr: imresize(lr, output_shape=(24, 30)), frames, (16, 20), (24, 30))
    assert len(result["rows"]) == 3 and result["mean"]["ssim"] == result["mean"]["bicubic_ssim"]


def test_colorization_skips_grey_originals_and_measures_the_grey_baseline(tmp_path):
    result = evaluate_colorization(GreyCopy(), _colour_folder(tmp_path / "set"))
    assert [r["name"] for r in result["rows"]] == ["colour0", "colour1"] and result["skipped"] == ["flat"]
    for row in result["rows"]:
        assert row["psnr"] == row["raw_psnr"] == row["grey_psnr"] and row["ssim"] == row["grey_ssim"]
    assert "grey PSNR" in format_report("t", result)

    only_grey = tmp_path / "grey"
    only_grey.mkdir()
    (tmp_path / "set" / "flat.png").rename(only_grey / "flat.png")
    with pytest.raises(ValueError, match="No colour images"):
        evaluate_colorization(GreyCopy(), only_grey)


def test_data_paths_prefer_the_option_then_the_data_root(tmp_path, monkeypatch):
    def parse(argv):
        parser = argparse.ArgumentParser()  # built after the environment is set, as the CLI does
        parser.add_argument("--data", nargs="+")
        parser.add_argument("--bench")
        add_data_root_argument(parser)
        return parser.parse_args(argv)

    monkeypatch.setenv("KERAS_VSR_DATA", str(tmp_path))
    args = parse([])
    assert data_paths(args, "data", "sr/train", "video/clips") == [tmp_path / "sr/train", tmp_path / "video/clips"]
    args = parse(["--data", "a", "b", "--bench", "c", "--data-root", "elsewhere"])
    assert data_paths(args, "data", "sr/train") == [Path("a"), Path("b")] and data_path(args, "bench", "x") == Path("c")
    assert data_path(parse(["--data-root", "elsewhere"]), "bench", "sr/bench") == Path("elsewhere/sr/bench")

    monkeypatch.delenv("KERAS_VSR_DATA")
    args = parse([])
    assert data_path(args, "bench", "sr/bench", required=False) is None
    with pytest.raises(ValueError, match="--data or --data-root DIR .*KERAS_VSR_DATA.*sr/train"):
        data_paths(args, "data", "sr/train")


@pytest.mark.parametrize("kind", KINDS)
def test_help_of_every_kind(kind, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", kind, "--help"])
    assert exit_info.value.code == 0
    assert "--preset" in capsys.readouterr().out


def test_evaluate_sr_prints_the_preset_beside_bicubic(tmp_path, tiny_preset, capsys, monkeypatch):
    sr_bench(tmp_path / "sr" / "bench", 4)
    monkeypatch.setenv("KERAS_VSR_DATA", str(tmp_path))  # Set5 found below the data root; Set14 is not there
    assert main(["evaluate", "sr", "--preset", str(tiny_preset), "--data-root", str(tmp_path / "nope")]) == 2
    assert "Set5" in capsys.readouterr().err

    folder = tmp_path / "sr" / "bench" / "Set5" / "x4"
    assert main(["evaluate", "sr", "--preset", str(tiny_preset), "--data", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"x4 on {folder} (Y channel, crop 4)")
    assert out[1].split() == ["image", "PSNR", "SSIM", "bic", "PSNR", "bic", "SSIM"]
    assert [line.split()[0] for line in out[2:5]] == ["img0", "img1", "mean"]


def test_a_set_folder_with_several_scales_is_a_one_line_error(tmp_path, tiny_preset, capsys):
    bench = sr_bench(sr_bench(tmp_path, 2), 4)  # Set5/x2/{HR,LR} and Set5/x4/{HR,LR}
    assert main(["evaluate", "sr", "--preset", str(tiny_preset), "--data", str(bench / "Set5")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"keras-vsr: error: {bench / 'Set5'} holds benchmark folders with HR/ and LR/ (x2, x4); "
        f"pass one of them, e.g. {bench / 'Set5' / 'x4'}"
    )
    # A folder of HR images alone is still measured against its own bicubic LR.
    assert main(["evaluate", "sr", "--preset", str(tiny_preset), "--data", str(bench / "Set5" / "x4" / "HR")]) == 0


def test_evaluate_interpolation_prints_the_model_beside_frame_averaging(tmp_path, capsys):
    from keras_vsr.models import ConvLSTMInterpolatorBackbone

    folder = middlebury(tmp_path / "mb")
    preset = tmp_path / "preset"
    ConvLSTMInterpolatorBackbone(filters=4, lstm_filters=4).save_to_preset(str(preset))
    assert main(["evaluate", "interpolation", "--data", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "frame averaging only" in out[0] and out[1].split() == ["scene", "avg", "PSNR", "avg", "SSIM"]

    report = tmp_path / "result.json"
    argv = ["evaluate", "interpolation", "--preset", str(preset), "--data", str(folder), "--grey"]
    argv += ["--json", str(report)]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    assert "(luma)" in out[0] and out[1].split() == ["scene", "PSNR", "SSIM", "avg", "PSNR", "avg", "SSIM"]
    saved = json.loads(report.read_text())
    assert saved["grey"] and [r["name"] for r in saved["rows"]] == ["s0", "s1"]


def test_evaluate_colorization_prints_the_model_beside_grey_copied_to_rgb(tmp_path, capsys):
    from keras_vsr.models import Grey2RGBBackbone

    preset = tmp_path / "preset"
    Grey2RGBBackbone(filters=4, depth=2).save_to_preset(str(preset))
    folder = _colour_folder(tmp_path / "set", grey_names=("bridge",))
    assert main(["evaluate", "colorization", "--preset", str(preset), "--data", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["image", "PSNR", "SSIM", "raw", "PSNR", "raw", "SSIM", "grey", "PSNR", "grey", "SSIM"]
    assert out[-1] == "left out (grey originals): bridge"


@pytest.mark.parametrize("kind", KINDS)
def test_missing_data_is_a_one_line_error(kind, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_VSR_DATA", raising=False)
    assert main(["evaluate", kind]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--data" in err and "KERAS_VSR_DATA" in err

    assert main(["evaluate", kind, "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"keras-vsr: error: --data: no such folder: {tmp_path / 'missing'}"


def test_a_preset_of_another_kind_is_a_one_line_error(tmp_path, tiny_preset, capsys):
    folder = _colour_folder(tmp_path / "set")
    assert main(["evaluate", "colorization", "--preset", str(tiny_preset), "--data", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"keras-vsr: error: cannot load preset '{tiny_preset}'")


def test_evaluate_sr_damages_each_lr_before_both_upscalers(tmp_path):
    from keras_vsr.data.degradations import parse_degradation

    hr_only = sr_bench(tmp_path, 2) / "Set5" / "x2" / "HR"
    seen = []
    damage = parse_degradation("jpeg:30")

    def degrade(lr, index):
        seen.append(index)
        return damage(lr, index)

    result = evaluate_sr(lambda lr: imresize(lr, 2), hr_only, 2, degrade=degrade)
    clean = evaluate_sr(lambda lr: imresize(lr, 2), hr_only, 2)
    assert seen == [0, 1] and result["mean"]["psnr"] == result["mean"]["bicubic_psnr"]
    assert result["mean"]["psnr"] < clean["mean"]["psnr"]


def test_evaluate_sr_on_degraded_lr(tmp_path, tiny_preset, capsys):
    folder = sr_bench(tmp_path, 4) / "Set5" / "x4"
    argv = ["evaluate", "sr", "--preset", str(tiny_preset), "--data", str(folder)]
    assert main(argv + ["--degrade", "jpeg:40", "gif:16:nodither"]) == 0
    out = capsys.readouterr().out.splitlines()
    titles = [line for line in out if " on " in line]
    assert [t.endswith(f"LR damaged by {s})") for t, s in zip(titles, ("jpeg:40", "gif:16:nodither"))] == [True] * 2
    assert out[1].split() == ["image", "PSNR", "SSIM", "bic", "PSNR", "bic", "SSIM"]
    assert [line.split()[0] for line in out[2:5]] == ["img0", "img1", "mean"]

    assert main(argv) == 0
    clean_mean = [line for line in capsys.readouterr().out.splitlines() if line.startswith("mean")][0]
    jpeg_mean = [line for line in out if line.startswith("mean")][0]
    assert clean_mean != jpeg_mean  # the damage changes both the model's and bicubic's figures

    assert main(argv + ["--degrade", "jpeg:abc"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("keras-vsr: error: Bad degradation 'jpeg:abc'")


def test_evaluate_sr_compare_puts_every_preset_beside_bicubic_and_the_clean_default(tmp_path, tiny_preset, capsys):
    from keras_vsr.evaluation.sr import evaluate_sr
    from keras_vsr.inference import DEFAULT_PRESET
    from keras_vsr.inference.tasks import load_task
    from keras_vsr.data.degradations import parse_degradation

    folder = sr_bench(tmp_path, 4) / "Set5" / "x4"
    argv = ["evaluate", "sr", "--preset", str(tiny_preset), "--data", str(folder), "--compare", str(tiny_preset),
            "--degrade", "jpeg:40"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "| set | LR | method | PSNR | SSIM |"
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    # Per LR kind: bicubic, the clean default, then the preset (given twice, measured once).
    assert [(r[1], r[2]) for r in rows] == [
        (lr, method) for lr in ("clean", "jpeg:40") for method in ("bicubic", DEFAULT_PRESET, str(tiny_preset))
    ]
    expected = evaluate_sr(load_task(str(tiny_preset), "upscale").upscale, folder, 4,
                           degrade=parse_degradation("jpeg:40"))["mean"]
    assert rows[5][3:] == [f"{expected['psnr']:.4f}", f"{expected['ssim']:.4f}"]
    assert rows[3][3:] == [f"{expected['bicubic_psnr']:.4f}", f"{expected['bicubic_ssim']:.4f}"]


def test_evaluate_sr_self_ensemble_adds_a_row_per_preset_measured_so(tmp_path, tiny_preset, capsys):
    from keras_vsr.evaluation.sr import evaluate_sr
    from keras_vsr.inference.tasks import load_task

    folder = sr_bench(tmp_path, 4) / "Set5" / "x4"
    argv = ["evaluate", "sr", "--preset", str(tiny_preset), "--data", str(folder), "--self-ensemble"]
    assert main(argv + ["--compare", str(tiny_preset)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [r[2] for r in rows] == ["bicubic", str(tiny_preset), f"{tiny_preset} (x8 self-ensemble)"]
    task = load_task(str(tiny_preset), "upscale")
    plain = evaluate_sr(task.upscale, folder, 4)["mean"]
    ensembled = evaluate_sr(lambda lr: task.upscale(lr, self_ensemble=True), folder, 4)["mean"]
    assert rows[1][3:] == [f"{plain['psnr']:.4f}", f"{plain['ssim']:.4f}"]
    assert rows[2][3:] == [f"{ensembled['psnr']:.4f}", f"{ensembled['ssim']:.4f}"] != rows[1][3:]

    assert main(argv) == 0  # one preset: its report, measured with the ensemble
    out = capsys.readouterr().out
    assert "(x8 self-ensemble)" in out.splitlines()[0]
    assert f"{ensembled['psnr']:.2f}" in [line for line in out.splitlines() if line.startswith("mean")][0]
