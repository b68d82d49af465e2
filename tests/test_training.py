"""`keras-vsr train FAMILY`: every recipe end to end on tiny generated data,
each family's `--help`, and the one-line error without data."""

import importlib.util
import json

import numpy as np
import pytest
from PIL import Image

from tests.support import REPO
from tests.tiny_data import frame_folder, middlebury, sr_bench, texture
from keras_vsr.cli import main
from keras_vsr.training.recipes import get_recipe, recipes
from keras_vsr.utils.weights import VGG16_WEIGHTS_FILE, default_weights_dir

FAMILIES = (
    "srresnet", "compact", "unet-sr", "depth2space", "srgan", "srwgan", "esrgan", "conv-lstm", "grey2rgb", "ffc", "ifnet"
)
# chroma-fusion builds its examples from frame folders and clips with the
# colouriser preset; tests/test_fusion_propagation.py covers its task.
REGISTERED = (*FAMILIES, "chroma-fusion")
HAS_VGG16 = (default_weights_dir() / VGG16_WEIGHTS_FILE).is_file()
RUN = ["--batch", "2", "--steps", "2", "--steps-per-epoch", "1", "--threads", "0"]


def _validate_for_upload(preset):
    """`tools/upload_preset.py`'s checks of a preset folder (a list of problems)."""
    spec = importlib.util.spec_from_file_location("upload_preset", REPO / "tools" / "upload_preset.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool.validate(preset)


def _options(family, tmp_path, image_folder, tiny_preset):
    """Tiny options for `family`: model sizes, data and benchmark folders."""
    if family == "srresnet":
        bench = sr_bench(tmp_path / "bench", 2)
        return ["--data", str(image_folder), "--bench", str(bench), "--scale", "2", "--filters", "8", "--blocks", "1",
                "--no-batch-norm", "--image-residual", "--patch", "8"]
    if family == "compact":
        bench = sr_bench(tmp_path / "bench", 2)
        return ["--data", str(image_folder), "--bench", str(bench), "--scale", "2", "--filters", "4", "--num-conv",
                "1", "--activation", "relu", "--patch", "8"]
    if family == "unet-sr":
        bench = sr_bench(tmp_path / "bench", 2)
        return ["--data", str(image_folder), "--no-videos", "--bench", str(bench), "--filters", "4", "8",
                "--convs", "1", "--patch", "16"]
    if family == "depth2space":
        return ["--data", str(image_folder), "--no-videos", "--input-size", "16x16", "--target-size", "24x24",
                "--stride", "4", "--block-size", "6", "--filters", "4", "4"]
    if family in ("srgan", "srwgan", "esrgan"):
        bench = sr_bench(tmp_path / "bench", 4)
        return ["--init", str(tiny_preset), "--data", str(image_folder), "--bench", str(bench), "--patch", "8",
                "--d-filters", "4"]
    if family == "ffc":
        data = frame_folder(tmp_path / "frames" / "seq", 5)
        return ["--data", str(data.parent), "--bench", str(middlebury(tmp_path / "mb")), "--crop", "16",
                "--filters", "8", "--levels", "1", "--latent", "2"]
    if family == "ifnet":
        data = frame_folder(tmp_path / "frames" / "seq", 7)
        return ["--data", str(data.parent), "--images", str(image_folder), "--bench", str(middlebury(tmp_path / "mb")),
                "--crop", "16", "--block-filters", "4", "4", "--max-spacing", "2"]
    if family == "conv-lstm":
        data = frame_folder(tmp_path / "frames" / "seq", 12)
        return ["--data", str(data.parent), "--bench", str(middlebury(tmp_path / "mb")), "--crop", "16",
                "--filters", "4", "--lstm-filters", "4", "--val-batch", "2", "--val-steps", "1"]
    return ["--data", str(image_folder), "--bench", str(image_folder), "--crop", "16", "--filters", "4",
            "--depth", "2", "--val-batch", "2", "--val-steps", "1"]


def test_every_family_is_registered():
    assert sorted(recipes()) == sorted(REGISTERED)
    assert get_recipe("srwgan") is get_recipe("srgan")
    with pytest.raises(ValueError, match="srresnet"):
        get_recipe("nope")


@pytest.mark.parametrize("family", FAMILIES)
def test_help_of_every_family(family, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", family, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"keras-vsr train {family}" in out and "--run-dir" in out and "--data-root" in out


@pytest.mark.parametrize("family", FAMILIES)
def test_family_trains_and_writes_a_loadable_preset_with_a_model_card(
    family, tmp_path, image_folder, tiny_preset, capsys, monkeypatch
):
    if family in ("srgan", "srwgan", "esrgan") and not HAS_VGG16:
        pytest.skip(f"{family} trains with VGG16 features: needs the converted weights (tools/convert_vgg16_lpips.py)")
    monkeypatch.delenv("KERAS_VSR_DATA", raising=False)
    run_dir, preset = tmp_path / "run", tmp_path / "preset"
    argv = ["train", family, *_options(family, tmp_path, image_folder, tiny_preset), *RUN,
            "--run-dir", str(run_dir), "--preset-dir", str(preset), "--name", "tiny_test"]
    assert main(argv) == 0, capsys.readouterr().err

    log = (run_dir / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,") and len(log) == 3  # header + 2 epochs of 1 step
    assert json.loads((run_dir / "args.json").read_text())["family"] == family
    metadata = json.loads((preset / "metadata.json").read_text())
    assert metadata["training"]["steps"] == "2 of 2 planned"
    assert metadata["parameter_count"] > 0 and metadata["description"]
    card = (preset / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: keras-hub") and "# tiny_test" in card
    for section in ("## Architecture", "## Evaluation", "## Training", "## Data licences"):
        assert section in card
    assert (preset / "training_log.csv").read_text() == (run_dir / "log.csv").read_text()
    if family == "depth2space":  # no clips: no held-out frames
        assert metadata["metrics"] == {} and "Not measured" in card
    else:
        assert metadata["metrics"] and "Not measured" not in card

    from keras_vsr.models import SRBackbone

    assert _validate_for_upload(preset) == []
    assert SRBackbone.from_preset(str(preset)).count_params() == metadata["parameter_count"]


def test_sr_card_states_the_figures_beside_bicubic(tmp_path, image_folder, capsys):
    bench = sr_bench(tmp_path / "bench", 2)
    argv = ["train", "srresnet", "--data", str(image_folder), "--bench", str(bench), "--scale", "2", "--filters", "4",
            "--blocks", "1", "--patch", "8", *RUN, "--run-dir", str(tmp_path / "run")]
    assert main(argv) == 0, capsys.readouterr().err
    assert "val_set5_psnr" in (tmp_path / "run" / "log.csv").read_text().splitlines()[0]
    preset = tmp_path / "run" / "preset"  # the default preset folder
    set5 = json.loads((preset / "metadata.json").read_text())["metrics"]["Set5"]
    assert set(set5) == {"psnr", "ssim", "bicubic_psnr", "bicubic_ssim"}
    card = (preset / "README.md").read_text()
    assert f"| Set5 x2 | {set5['psnr']:.2f} / {set5['ssim']:.4f} | {set5['bicubic_psnr']:.2f}" in card
    assert "keras-vsr evaluate sr --preset preset" in card

    # Started again, the finished run trains no further and writes the same preset.
    assert main(argv) == 0, capsys.readouterr().err
    assert json.loads((preset / "metadata.json").read_text())["metrics"]["Set5"] == set5
    assert len((tmp_path / "run" / "log.csv").read_text().splitlines()) == 3


def test_init_and_real_world_degradation(tmp_path, image_folder, capsys):
    bench = sr_bench(tmp_path / "bench", 2)
    options = ["--data", str(image_folder), "--bench", str(bench), "--scale", "2", "--filters", "4", "--num-conv", "1",
               "--patch", "8", *RUN]
    assert main(["train", "compact", *options, "--run-dir", str(tmp_path / "a")]) == 0, capsys.readouterr().err
    start = tmp_path / "a" / "preset"
    argv = ["train", "compact", *options, "--steps", "1", "--init", str(start), "--degrade", "realworld",
            "--gif-sizes", "powers_of_two", "--run-dir", str(tmp_path / "b")]
    assert main(argv) == 0, capsys.readouterr().err
    metadata = json.loads((tmp_path / "b" / "preset" / "metadata.json").read_text())
    from keras_vsr.data.degradations import degradation_from_config, degradation_to_config, real_world_mix

    assert metadata["degradation"] == degradation_to_config(real_world_mix("powers_of_two"))
    assert degradation_from_config(metadata["degradation"]).get_config() == real_world_mix("powers_of_two").get_config()
    assert metadata["degradation"] != degradation_to_config(real_world_mix())
    assert metadata["training"]["initial weights"] == str(start)
    assert "real-world LR damage" in (tmp_path / "b" / "preset" / "README.md").read_text()
    assert metadata["degradation_context"] == 64  # the default; the images are smaller, so each gives its largest square
    assert metadata["training"]["degradation"].startswith(
        'keras_vsr.data.degradations.real_world_mix(gif_sizes="powers_of_two") applied to 64x64 LR squares')

    # Options that describe another network than the --init preset: one line, nothing trained.
    wrong = ["train", "compact", *options, "--num-conv", "2", "--init", str(start), "--run-dir", str(tmp_path / "c")]
    assert main(wrong) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--init" in err and "num_conv" in err
    assert not (tmp_path / "c" / "preset").exists()

    # --gif-sizes without the damage it shapes: one line, nothing trained.
    alone = ["train", "compact", *options, "--gif-sizes", "powers_of_two", "--run-dir", str(tmp_path / "d")]
    assert main(alone) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--degrade realworld" in err
    assert not (tmp_path / "d" / "preset").exists()


def test_compare_losses_trains_once_per_loss_beside_the_baseline(tmp_path, image_folder, capsys):
    argv = ["train", "grey2rgb", "--compare-losses", "--data", str(image_folder), "--crop", "16", "--filters", "4",
            "--depth", "2", "--val-batch", "2", "--val-steps", "1", *RUN, "--steps", "1", "--run-dir", str(tmp_path)]
    assert main(argv) == 0, capsys.readouterr().err
    table = (tmp_path / "comparison.md").read_text()
    assert "baseline: grey copied to 3 channels" in table
    assert "| MSE |" in table and "MSE + 0.1 (1 - SSIM)" in table and "max-entropy" in table
    assert all((tmp_path / loss / "log.csv").is_file() for loss in ("mse", "mse_ssim", "mse_max_entropy"))


def test_missing_data_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_VSR_DATA", raising=False)
    assert main(["train", "srresnet", "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--data" in err and "--data-root" in err and "KERAS_VSR_DATA" in err
    assert not (tmp_path / "run").exists()

    assert main(["train", "srresnet", "--data", str(tmp_path / "nope"), *RUN, "--run-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err


def test_data_root_gives_every_default_folder(tmp_path, capsys, monkeypatch):
    """Without folder options, a family reads `<data root>/sr/train` and `<data root>/sr/bench`."""
    root = tmp_path / "data"
    sr_bench(root / "sr" / "bench", 2)
    train = root / "sr" / "train"
    train.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(texture(rng, 40, 40)).save(train / f"{i}.png")
    monkeypatch.setenv("KERAS_VSR_DATA", str(root))
    argv = ["train", "srresnet", "--scale", "2", "--filters", "4", "--blocks", "1", "--patch", "8", *RUN,
            "--run-dir", str(tmp_path / "run")]
    assert main(argv) == 0, capsys.readouterr().err
    metadata = json.loads((tmp_path / "run" / "preset" / "metadata.json").read_text())
    assert list(metadata["metrics"]) == ["Set5"] and metadata["training"]["data"][0].endswith("train")
