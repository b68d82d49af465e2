"""The conversion core: reading checkpoints safely, finding the architecture,
complete weight mapping, preset folders, `keras-vsr convert`, converting on
the fly (local files and an offline `hf://` cache)."""

import json
import pickle
import shutil

import numpy as np
import pytest
from safetensors.numpy import save_file

from keras_vsr.cli import main
from keras_vsr.io.checkpoints import file_sha256, read_state_dict, resolve_checkpoint_source
from keras_vsr.models import CompactSRBackbone, SuperResolver
from keras_vsr.models.conversion import (
    ConversionError,
    architectures,
    conv_kernel,
    convert,
    convert_state_dict,
    dense_kernel,
    depthwise_kernel,
    pixel_shuffle_channels,
    pixel_unshuffle_channels,
    resolve_preset,
    transposed_conv_kernel,
)
from keras_vsr.layers import depth_to_space, space_to_depth
from tests.support import BACKEND, REFERENCE, REPO, load_reference_case, run_python, to_numpy

CASE = "compact_x4"  # the smallest reference case: 20 KB of weights
# Reading files and the Hugging Face cache do not depend on the backend.
one_backend = pytest.mark.skipif(BACKEND != "tensorflow", reason="backend-independent; runs in the TensorFlow pass")


@pytest.fixture
def state_dict():
    return load_reference_case(CASE)[0]


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "realesr-tiny-x4.safetensors"
    shutil.copy(REFERENCE / f"{CASE}.safetensors", path)
    return path


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_VSR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def torch_pixel_shuffle(x, r):
    """torch's `pixel_shuffle` on NHWC NumPy arrays: channel `c * r * r + i * r + j`."""
    n, h, w, crr = x.shape
    c = crr // (r * r)
    x = x.reshape(n, h, w, c, r, r).transpose(0, 1, 4, 2, 5, 3)
    return x.reshape(n, h * r, w * r, c)


# Layout helpers


def test_pixel_shuffle_channels_turns_torch_order_into_depth_to_space_order():
    rng = np.random.default_rng(0)
    x = rng.random((1, 3, 4, 2 * 9)).astype("float32")
    expected = torch_pixel_shuffle(x, 3)
    np.testing.assert_array_equal(to_numpy(depth_to_space(pixel_shuffle_channels(x, 3), 3)), expected)
    # A 1x1 identity conv in torch order, reordered, does the same.
    kernel = np.eye(18, dtype="float32")[None, None]
    out = np.einsum("nhwi,io->nhwo", x, pixel_shuffle_channels(kernel, 3)[0, 0])
    np.testing.assert_array_equal(to_numpy(depth_to_space(out, 3)), expected)


def test_pixel_unshuffle_channels_reads_space_to_depth_as_torch_did():
    rng = np.random.default_rng(1)
    image = rng.random((1, 4, 6, 3)).astype("float32")
    torch_order = image.reshape(1, 2, 2, 3, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(1, 2, 3, 12)
    kernel = rng.random((1, 1, 12, 5)).astype("float32")
    expected = np.einsum("nhwi,io->nhwo", torch_order, kernel[0, 0])
    keras_kernel = pixel_unshuffle_channels(kernel, 2)[0, 0]
    actual = np.einsum("nhwi,io->nhwo", to_numpy(space_to_depth(image, 2)), keras_kernel)
    np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_kernel_layouts():
    w = np.arange(5 * 4 * 3 * 2, dtype="float32").reshape(5, 4, 3, 2)
    assert conv_kernel(w).shape == (3, 2, 4, 5) and conv_kernel(w)[1, 0, 2, 3] == w[3, 2, 1, 0]
    grey = np.ones((8, 1, 3, 3), "float32")  # a 1-channel input is not depthwise
    assert conv_kernel(grey).shape == (3, 3, 1, 8)
    assert depthwise_kernel(np.ones((8, 1, 3, 3)), 4).shape == (3, 3, 4, 2)
    assert transposed_conv_kernel(w).shape == (3, 2, 4, 5) and transposed_conv_kernel(w)[1, 0, 2, 3] == w[3, 2, 1, 0]
    assert dense_kernel(np.zeros((7, 3))).shape == (3, 7)


# Reading checkpoints


@one_backend
def test_safetensors_and_pickles_read_the_same_and_unwrap(tmp_path, state_dict):
    torch = pytest.importorskip("torch")
    wrapped = {
        "params": {"ignored.weight": torch.zeros(1)},
        "params_ema": {f"module.{k}": torch.from_numpy(v) for k, v in state_dict.items()},
        "iter": 10,
    }
    torch.save(wrapped, tmp_path / "model.pth")
    got = read_state_dict(tmp_path / "model.pth")
    assert set(got) == set(state_dict)
    assert all(got[k].dtype == np.float32 and np.array_equal(got[k], state_dict[k]) for k in state_dict)
    torch.save({"state_dict": {k: torch.from_numpy(v).half() for k, v in state_dict.items()}}, tmp_path / "half.ckpt")
    assert read_state_dict(tmp_path / "half.ckpt")["body.0.weight"].dtype == np.float32


@one_backend
def test_a_pickle_that_would_run_code_is_refused_and_does_not_run(tmp_path):
    pytest.importorskip("torch")
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"conv.weight": Payload()}, protocol=2))
    with pytest.raises(ValueError, match=r"Refused.*GLOBAL io\.open was not an allowed global"):
        read_state_dict(path)
    assert not marker.exists()
    code = main(["convert", str(path), str(tmp_path / "out")])
    assert code == 2 and not marker.exists() and not (tmp_path / "out").exists()


@one_backend
@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_truncated_and_foreign_files_are_one_clear_error(tmp_path, checkpoint, suffix):
    if suffix == ".pth":
        torch = pytest.importorskip("torch")
        source = tmp_path / "good.pth"
        torch.save({k: torch.from_numpy(v) for k, v in read_state_dict(checkpoint).items()}, source)
    else:
        source = checkpoint
    truncated = tmp_path / f"truncated{suffix}"
    truncated.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated or not a checkpoint"):
        read_state_dict(truncated)
    text = tmp_path / f"notes{suffix}"
    text.write_text("not a checkpoint\n")
    with pytest.raises(ValueError, match=str(text.name)):
        read_state_dict(text)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="extension"):
        read_state_dict(tmp_path / "notes.txt")


# Finding the architecture and mapping every key


def test_every_architecture_is_found():
    assert {"rrdbnet", "compact"} <= set(architectures())


def test_unknown_architecture_names_the_supported_ones():
    with pytest.raises(ConversionError, match="matches no supported architecture .*rrdbnet"):
        convert_state_dict({"encoder.weight": np.zeros((4, 3, 3, 3), "float32")})


def test_partly_matching_state_dicts_name_the_closest_architecture_and_the_keys(state_dict):
    partial = {k: v for k, v in state_dict.items() if k != "body.0.bias"}
    with pytest.raises(ConversionError, match=r"closest is compact.*lacks body\.0\.bias"):
        convert_state_dict(partial)
    missing = {k: v for k, v in state_dict.items() if k != "body.3.weight"}
    with pytest.raises(ConversionError, match=r"no key 'body\.3\.weight'"):
        convert_state_dict(missing)
    misshaped = {**state_dict, "body.2.weight": np.zeros((8, 8, 5, 5), "float32")}
    with pytest.raises(ConversionError, match=r"'body\.2\.weight' has the shape \(8, 8, 5, 5\).*needs \(3, 3, 8, 8\)"):
        convert_state_dict(misshaped)
    extra = {**state_dict, "body.0.running_mean": np.zeros(8, "float32")}
    with pytest.raises(ConversionError, match=r"does not use: body\.0\.running_mean"):
        convert_state_dict(extra)


# Preset folders and the CLI


def test_convert_writes_a_preset_folder_with_provenance(tmp_path, checkpoint):
    dst = convert(checkpoint, tmp_path / "preset", name="tiny")
    metadata = json.loads((dst / "metadata.json").read_text())
    assert metadata["architecture"] == "compact" and metadata["scale"] == 4 and metadata["purpose"] == "upscale"
    assert metadata["source"] == checkpoint.name and metadata["source_sha256"] == file_sha256(checkpoint)
    assert metadata["config"] == {"scale": 4, "num_conv": 2, "filters": 8, "activation": "prelu", "channels": 3}
    card = (dst / "README.md").read_text()
    assert card.startswith("# tiny") and file_sha256(checkpoint) in card and "licence" in card
    _, inputs, outputs, _ = load_reference_case(CASE)
    task = SuperResolver.from_preset(str(dst))
    assert isinstance(task.backbone, CompactSRBackbone)
    np.testing.assert_allclose(task.predict_on_batch(inputs[0]), outputs[0], atol=1e-4)


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_convert_and_its_bad_inputs(tmp_path, checkpoint, capsys):
    dst = tmp_path / "preset"
    code, out, _ = run_cli(capsys, "convert", checkpoint, dst)
    assert code == 0 and "wrote preset" in out and (dst / "model.weights.h5").is_file()
    stamp = (dst / "metadata.json").stat().st_mtime_ns
    code, _, err = run_cli(capsys, "convert", checkpoint, dst)
    assert code == 2 and "exists" in err and len(err.strip().splitlines()) == 1
    assert (dst / "metadata.json").stat().st_mtime_ns == stamp
    assert run_cli(capsys, "convert", checkpoint, dst, "--overwrite", "--name", "again")[0] == 0
    assert (dst / "README.md").read_text().startswith("# again")

    bad = {k: v for k, v in read_state_dict(checkpoint).items() if k != "body.2.weight"}
    save_file(bad, str(tmp_path / "bad.safetensors"))
    unsupported = tmp_path / "other.safetensors"
    save_file({"encoder.weight": np.zeros((4, 3, 3, 3), "float32")}, str(unsupported))
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "a_file").write_text("keep me")
    cases = [
        (tmp_path / "bad.safetensors", tmp_path / "out1", "body.2.weight"),
        (unsupported, tmp_path / "out2", "no supported architecture"),
        (tmp_path / "empty.pth", tmp_path / "out3", "empty.pth"),
        (tmp_path / "missing.pth", tmp_path / "out4", "does not exist"),
        (checkpoint, checkpoint, "is the checkpoint itself"),
        (checkpoint, tmp_path / "a_file", "exists"),
    ]
    before = sorted(p.name for p in tmp_path.iterdir())
    for src, out_dir, message in cases:
        code, _, err = run_cli(capsys, "convert", src, out_dir, "--overwrite")
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (src, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temporary folder left
    assert (tmp_path / "a_file").read_text() == "keep me"


# Converting on the fly


def test_from_preset_converts_a_checkpoint_once_into_the_cache(checkpoint, cache):
    assert resolve_preset("srresnet_b8f48_291photos_x4") == "srresnet_b8f48_291photos_x4"
    task = SuperResolver.from_preset(str(checkpoint))
    folder = cache / "converted" / file_sha256(checkpoint)
    assert (folder / "config.json").is_file()
    stamp = (folder / "model.weights.h5").stat().st_mtime_ns
    assert resolve_preset(str(checkpoint)) == str(folder)
    assert (folder / "model.weights.h5").stat().st_mtime_ns == stamp
    assert task.scale == 4


def hf_cache(root, repo, files):
    """A Hugging Face cache entry for `repo` holding `files` ({name: source path})."""
    entry = root / "hub" / f"models--{repo.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text(commit)
    snapshot = entry / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name, source in files.items():
        shutil.copy(source, snapshot / name)


@one_backend
def test_hf_repo_holding_a_checkpoint_loads_offline(tmp_path, checkpoint):
    hf_cache(tmp_path / "hf", "someone/realesr-tiny", {"realesr-tiny-x4.safetensors": checkpoint})
    hf_cache(tmp_path / "hf", "someone/nothing", {"notes.txt": checkpoint})
    _, inputs, outputs, _ = load_reference_case(CASE)
    np.save(tmp_path / "x.npy", inputs[0])
    code = f"""
import numpy as np, keras_vsr
from keras_vsr.models.conversion import convert
task = keras_vsr.SuperResolver.from_preset("hf://someone/realesr-tiny")
np.save({str(tmp_path / 'y.npy')!r}, task.predict_on_batch(np.load({str(tmp_path / 'x.npy')!r})))
try:
    convert("hf://someone/nothing", {str(tmp_path / 'none')!r})
except ValueError as e:
    print("ERROR", e)
"""
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "KERAS_VSR_CACHE": str(tmp_path / "cache")}
    result = run_python(code, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), outputs[0], atol=1e-4)
    assert "ERROR Hugging Face repository 'someone/nothing' holds no checkpoint" in result.stdout
    assert not (tmp_path / "none").exists()
    metadata = json.loads(next((tmp_path / "cache" / "converted").glob("*/metadata.json")).read_text())
    assert metadata["source"] == "hf://someone/realesr-tiny/realesr-tiny-x4.safetensors"


def test_resolve_checkpoint_source_names_local_files(checkpoint):
    assert resolve_checkpoint_source(checkpoint) == (checkpoint, checkpoint.name)
    with pytest.raises(ValueError, match="hf://owner/repo"):
        resolve_checkpoint_source("hf://only-owner")


# Converted presets downstream


def test_converted_presets_upscale_tiled_gifs_evaluate_and_reload(tmp_path, checkpoint, capsys):
    from PIL import Image

    from keras_vsr.io import load_image, read_gif_info

    preset = convert(checkpoint, tmp_path / "preset")
    task = SuperResolver.from_preset(str(preset))
    cat = load_image(REPO / "keras_vsr" / "assets" / "sample_cat.png", mode="RGB")[:40, :52]
    whole = task.upscale(cat, tile=None)
    tiled = task.upscale(cat, tile=16, tile_overlap=8)  # the overlap covers the 4-pixel receptive radius
    assert whole.shape == (160, 208, 3) and np.abs(whole.astype(int) - tiled).max() <= 1

    task.save_to_preset(str(tmp_path / "saved"))
    np.testing.assert_array_equal(SuperResolver.from_preset(str(tmp_path / "saved")).upscale(cat, tile=None), whole)

    frames = [Image.fromarray(cat[:12, :14]), Image.fromarray(cat[12:24, :14])]
    frames[0].save(tmp_path / "in.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    code, _, err = run_cli(capsys, "upscale", tmp_path / "in.gif", tmp_path / "out.gif", "--preset", checkpoint)
    assert code == 0, err
    info = read_gif_info(tmp_path / "out.gif")
    assert (info.size, info.frame_count) == ((56, 48), 2)

    hr = tmp_path / "bench"
    hr.mkdir()
    Image.fromarray(cat[:40, :48]).save(hr / "cat.png")
    code, out, err = run_cli(capsys, "evaluate", "sr", "--preset", preset, "--data", hr)
    assert code == 0 and f"{preset} x4" in out, err
