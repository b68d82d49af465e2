"""VGG16 feature extractor, perceptual loss and hyperpixel content loss.

Most tests use randomly initialised backbones (`weights=None`); the ones that
check the torchvision VGG16 weights skip when the converted file is absent
(see tests/test_lpips.py for producing it)."""

import numpy as np
import pytest

import keras
from keras import ops
from tests.support import to_numpy
from keras_vsr.layers import VGGFeatureExtractor
from keras_vsr.losses import HyperpixelContentLoss, PerceptualLoss
from keras_vsr.losses.perceptual import (
    RESNET50_HYPERPIXEL_LAYER_NAMES,
    RESNET50_HYPERPIXEL_LAYERS,
)
from keras_vsr.utils.weights import VGG16_WEIGHTS_FILE, default_weights_dir

TORCHVISION_MEAN = np.array([0.485, 0.456, 0.406])
TORCHVISION_STD = np.array([0.229, 0.224, 0.225])
CONVERTED_VGG16 = default_weights_dir() / VGG16_WEIGHTS_FILE
needs_converted_vgg16 = pytest.mark.skipif(
    not CONVERTED_VGG16.is_file(),
    reason=f"needs the converted torchvision VGG16 weights at {CONVERTED_VGG16} "
    "(tools/convert_vgg16_lpips.py)",
)


def images(batch=2, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((batch, size, size, 3)).astype("float32")


@pytest.fixture(scope="module")
def random_vgg16_file(tmp_path_factory):
    """A weights file of a randomly initialised VGG16 (`include_top=False`)."""
    keras.utils.set_random_seed(0)
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path_factory.mktemp("vgg16") / "random_vgg16.weights.h5"
    vgg.save_weights(path)
    return path, vgg


# VGGFeatureExtractor


def test_extractor_returns_the_named_maps_after_torchvision_normalisation(random_vgg16_file):
    path, vgg = random_vgg16_file
    names = ["block1_conv2", "block3_conv3", "block5_conv3"]
    extractor = VGGFeatureExtractor(names, weights=path)
    x = images()
    features = extractor(x)
    shapes = {
        "block1_conv2": (2, 32, 32, 64),
        "block3_conv3": (2, 8, 8, 256),
        "block5_conv3": (2, 2, 2, 512),
    }
    assert {k: tuple(v.shape) for k, v in features.items()} == shapes
    symbolic = extractor.compute_output_shape((2, 32, 32, 3))
    assert {k: tuple(v) for k, v in symbolic.items()} == shapes

    reference = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
    normalised = ((x - TORCHVISION_MEAN) / TORCHVISION_STD).astype("float32")
    for name, expected in zip(names, reference(normalised)):
        np.testing.assert_allclose(
            to_numpy(features[name]), to_numpy(expected), rtol=1e-4, atol=1e-4
        )

    raw = VGGFeatureExtractor(["block1_conv2"], weights=path, normalize_input=False)
    np.testing.assert_allclose(
        to_numpy(raw(normalised)["block1_conv2"]), to_numpy(features["block1_conv2"]), atol=1e-4
    )
    assert not extractor.trainable and extractor.trainable_weights == []
    assert not any(v.trainable for v in extractor.weights)


def test_extractor_config_round_trip():
    extractor = VGGFeatureExtractor(["block2_conv1", "block4_pool"], weights=None, name="feat")
    clone = VGGFeatureExtractor.from_config(extractor.get_config())
    assert clone.get_config() == extractor.get_config()
    assert clone.get_config()["layer_names"] == ["block2_conv1", "block4_pool"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"layer_names": ["block6_conv1"]}, "Unknown VGG16 layer 'block6_conv1'"),
        ({"layer_names": []}, "non-empty list"),
        ({"layer_names": "block1_conv1"}, "non-empty list"),
        ({"weights": "/no/such/file.weights.h5"}, "Received: weights='/no/such/file"),
        ({"weights": "imagenet"}, "'torchvision', the path"),
    ],
)
def test_extractor_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VGGFeatureExtractor(**{"weights": None, **kwargs})


@needs_converted_vgg16
def test_extractor_with_torchvision_weights_matches_a_numpy_convolution():
    extractor = VGGFeatureExtractor(["block1_conv1"])  # weights="torchvision"
    kernel, bias = extractor.network.get_layer("block1_conv1").get_weights()
    x = images(batch=1, size=8)[0].astype(np.float64)
    padded = np.pad((x - TORCHVISION_MEAN) / TORCHVISION_STD, ((1, 1), (1, 1), (0, 0)))
    expected = bias + sum(
        padded[i : i + 8, j : j + 8] @ kernel[i, j] for i in range(3) for j in range(3)
    )
    got = to_numpy(extractor(x[None].astype("float32"))["block1_conv1"])[0]
    np.testing.assert_allclose(got, np.maximum(expected, 0), atol=1e-4)


# PerceptualLoss


def test_perceptual_loss_values(random_vgg16_file):
    path, _ = random_vgg16_file
    names = ["block1_conv2", "block2_conv2"]
    extractor = VGGFeatureExtractor(names, weights=path)
    y_true, y_pred = images(seed=0), images(seed=1)
    f_true, f_pred = extractor(y_true), extractor(y_pred)
    diff = {n: to_numpy(f_pred[n]) - to_numpy(f_true[n]) for n in names}

    l1 = PerceptualLoss(names, weights=path, layer_weights=[0.5, 2.0])
    per_layer = {n: np.abs(d).mean((1, 2, 3)) for n, d in diff.items()}
    expected = np.mean(0.5 * per_layer[names[0]] + 2.0 * per_layer[names[1]])
    assert float(l1(y_true, y_pred)) == pytest.approx(expected, rel=1e-4)

    mse = PerceptualLoss(names, weights=path, criterion="mse")
    expected = np.mean(sum((d**2).mean((1, 2, 3)) for d in diff.values()))
    assert float(mse(y_true, y_pred)) == pytest.approx(expected, rel=1e-4)
    assert float(mse(y_true, y_true)) == 0.0

    restored = keras.losses.deserialize(keras.losses.serialize(l1))
    assert type(restored) is PerceptualLoss and restored.get_config() == l1.get_config()
    assert float(restored(y_true, y_pred)) == pytest.approx(float(l1(y_true, y_pred)), rel=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"criterion": "huber"}, "`criterion` must be one of"),
        (
            {"layer_names": ["block1_conv1", "block2_conv1"], "layer_weights": [1.0]},
            "one weight per layer",
        ),
    ],
)
def test_perceptual_loss_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PerceptualLoss(weights=None, **kwargs)


def test_perceptual_loss_trains_a_model_and_leaves_vgg_frozen():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(3, 3, padding="same")])
    loss = PerceptualLoss(["block1_conv2", "block2_conv2"], weights=None)
    vgg_before = [to_numpy(w).copy() for w in loss.extractor.weights[:2]]
    model_before = [to_numpy(w).copy() for w in model.weights]
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss)
    history = model.fit(images(seed=1), images(seed=0), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, to_numpy(b)) for a, b in zip(model_before, model.weights))
    for a, b in zip(vgg_before, loss.extractor.weights[:2]):
        np.testing.assert_array_equal(a, to_numpy(b))


# HyperpixelContentLoss


def test_resnet50_hyperpixel_layers_are_srwgans_indices():
    resnet = keras.applications.ResNet50(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )
    names = tuple(resnet.layers[i].name for i in RESNET50_HYPERPIXEL_LAYERS)
    assert names == RESNET50_HYPERPIXEL_LAYER_NAMES

    loss = HyperpixelContentLoss(backbone="resnet50", weights=None)  # layers (2, 7, 10, 14)
    assert loss.layer_names == list(RESNET50_HYPERPIXEL_LAYER_NAMES)
    x, y = images(seed=0), images(seed=1)
    # conv1_conv is at 1/2 of the input, the three others at 1/4.
    assert tuple(loss.hyperpixels(x).shape) == (2, 16, 16, 64 + 64 + 64 + 256)
    value = float(loss(x, y))
    assert value > 0 and float(loss(x, x)) == 0.0

    by_name = HyperpixelContentLoss(
        backbone="resnet50", layers=list(RESNET50_HYPERPIXEL_LAYER_NAMES), weights=None,
        output_size=(8, 8),
    )
    assert tuple(by_name.hyperpixels(x).shape) == (2, 8, 8, 448)
    with pytest.raises(ValueError, match="'resnet50', `weights` must be"):
        HyperpixelContentLoss(backbone="resnet50", weights="torchvision")


def test_hyperpixels_concatenate_resized_maps():
    loss = HyperpixelContentLoss(weights=None)  # VGG16 relu1_2, relu2_2, relu3_3, relu4_3
    x = images()
    hyper = loss.hyperpixels(x)
    assert tuple(hyper.shape) == (2, 32, 32, 64 + 128 + 256 + 512)
    features = loss.network(loss.preprocess(ops.convert_to_tensor(x)))
    np.testing.assert_allclose(
        to_numpy(hyper[..., :64]), to_numpy(features["block1_conv2"]), atol=1e-6
    )
    up = ops.image.resize(features["block2_conv2"], (32, 32), interpolation="bilinear")
    np.testing.assert_allclose(to_numpy(hyper[..., 64:192]), to_numpy(up), atol=1e-5)


def test_hyperpixel_concat_and_mean_agree_on_equal_sized_layers():
    # Two 64-channel maps at full size: the MSE of their concatenation is
    # the mean of their MSEs.
    layers = ["block1_conv1", "block1_conv2"]
    concat = HyperpixelContentLoss(layers=layers, weights=None)
    mean = HyperpixelContentLoss(layers=layers, weights=None, combine="mean")
    mean.network.set_weights(concat.network.get_weights())
    x, y = images(seed=0), images(seed=1)
    features_x = concat.network(concat.preprocess(ops.convert_to_tensor(x)))
    features_y = concat.network(concat.preprocess(ops.convert_to_tensor(y)))
    expected = np.mean(
        [np.mean((to_numpy(features_x[n]) - to_numpy(features_y[n])) ** 2) for n in layers]
    )
    assert float(concat(y, x)) == pytest.approx(expected, rel=1e-4)
    assert float(mean(y, x)) == pytest.approx(expected, rel=1e-4)

    restored = keras.losses.deserialize(keras.losses.serialize(mean))
    assert type(restored) is HyperpixelContentLoss and restored.get_config() == mean.get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backbone": "vgg19"}, "`backbone` must be one of"),
        ({"combine": "sum"}, "`combine` must be"),
        ({"layers": [99]}, "out of range"),
        ({"layers": ["conv1_conv"]}, "has no layer 'conv1_conv'"),
        ({"output_size": (0, 4)}, "`output_size` must be"),
    ],
)
def test_hyperpixel_loss_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HyperpixelContentLoss(**{"weights": None, **kwargs})


@needs_converted_vgg16
def test_perceptual_losses_with_torchvision_weights():
    x, y = images(seed=0), images(seed=1)
    blurred = (x + np.roll(x, 1, axis=1) + np.roll(x, 1, axis=2)) / 3
    perceptual = PerceptualLoss()  # weights="torchvision", relu5_3
    hyperpixel = HyperpixelContentLoss()  # weights="pretrained"
    for loss in (perceptual, hyperpixel):
        assert float(loss(x, x)) == 0.0
        assert 0 < float(loss(x, blurred)) < float(loss(x, y))
