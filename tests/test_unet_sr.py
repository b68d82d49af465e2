import numpy as np
import pytest

import keras
from tests.support import run_backbone_test, run_layer_test, to_numpy
from keras_vsr.models import SRResNetBackbone, SuperResolver, UNetSRBackbone
from keras_vsr.models.unet_sr import bicubic_resize
from keras_vsr.models.unet_sr.unet_sr_backbone import PadToMultiple
from keras_vsr.utils.imresize import imresize

TINY = dict(filters=(4, 8, 8), convs_per_level=1)


def randomize_tail(backbone, seed=0):
    """Give the zero-initialised last convolution random weights."""
    tail = backbone.get_layer("tail_conv")
    rng = np.random.default_rng(seed)
    tail.kernel.assign(rng.normal(0, 0.1, tail.kernel.shape).astype("float32"))


@pytest.mark.parametrize("shape", [(2, 7, 9, 3), (1, 17, 30, 3), (1, 1, 1, 3), (1, 16, 16, 3)])
def test_backbone_any_input_size(shape, tmp_path):
    # Sizes that do not divide the pyramid (4) are padded and cropped back.
    run_backbone_test(UNetSRBackbone, TINY, shape, shape, tmp_path)


def test_untrained_model_is_the_identity_and_trained_is_not():
    backbone = UNetSRBackbone(**TINY)
    x = np.random.default_rng(0).random((1, 11, 13, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(backbone(x)), x, atol=1e-6)
    randomize_tail(backbone)
    assert np.abs(to_numpy(backbone(x)) - x).max() > 1e-3


def test_padding_does_not_shift_the_image():
    # The residual of a padded image, cropped back, equals the residual of
    # the same content computed without padding where the pyramid fits.
    backbone = UNetSRBackbone(**TINY)
    randomize_tail(backbone)
    x = np.random.default_rng(1).random((1, 16, 16, 3)).astype("float32")
    full = to_numpy(backbone(x))
    part = to_numpy(backbone(x[:, :15, :15]))
    assert part.shape == (1, 15, 15, 3)
    # Far from the padded border the two agree closely.
    np.testing.assert_allclose(part[:, :6, :6], full[:, :6, :6], atol=0.05)


def test_pad_to_multiple_layer(tmp_path):
    x = np.arange(2 * 5 * 7 * 3, dtype="float32").reshape(2, 5, 7, 3)
    y = run_layer_test(PadToMultiple, {"multiple": 4}, x, (2, 8, 8, 3), tmp_path)
    np.testing.assert_array_equal(y[:, :5, :7], x)
    np.testing.assert_array_equal(y[:, 5, :7], x[:, 4])  # mirrored, edge included
    np.testing.assert_array_equal(y[:, 6, :7], x[:, 3])
    np.testing.assert_array_equal(y[:, :5, 7], x[:, :, 6])
    with pytest.raises(ValueError, match="Received: multiple=0"):
        PadToMultiple(0)


@pytest.mark.parametrize("kwargs", [dict(filters=()), dict(filters=(4, 0)), dict(convs_per_level=0), dict(default_scale=0)])
def test_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        UNetSRBackbone(**{**TINY, **kwargs})


def test_bicubic_resize_matches_imresize():
    image = np.random.default_rng(0).random((23, 31, 3))
    for size in [(35, 47), (12, 16), (23, 62), (46, 31)]:
        np.testing.assert_allclose(bicubic_resize(image, size), imresize(image, output_shape=size), atol=1e-5)


def test_upscale_to_any_size_and_factor():
    task = SuperResolver(UNetSRBackbone(**TINY), compile=False)
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)  # a 720p-shaped frame, 1/30 of the size
    expected = imresize(frame, output_shape=(36, 60))
    for out in [task.upscale(frame, size=(36, 60)), task.upscale(frame, scale=1.5)]:
        assert out.shape == (36, 60, 3) and out.dtype == np.uint8
        # Untrained, the network adds nothing: the result is MATLAB bicubic.
        assert np.abs(out.astype(int) - expected).max() <= 1
    assert task.upscale(frame, size=(30, 100)).shape == (30, 100, 3)  # another aspect ratio
    assert task.upscale(frame, scale=2.7).shape == (65, 108, 3)  # round(24 * 2.7), round(40 * 2.7)
    assert task.upscale(frame).shape == (48, 80, 3)  # default_scale 2
    assert task.upscale(frame[:, :, 0], scale=1.5).shape == (36, 60)  # grey stays grey
    assert task.upscale(np.dstack([frame, frame[:, :, :1]]), scale=1.5).shape == (36, 60, 4)


def test_upscale_tiles_in_output_pixels():
    backbone = UNetSRBackbone(**TINY)
    randomize_tail(backbone)
    task = SuperResolver(backbone, compile=False)
    frame = np.random.default_rng(0).integers(0, 256, (30, 34, 3), dtype=np.uint8)
    whole = task.upscale(frame, scale=1.5, tile=None)
    tiled = task.upscale(frame, scale=1.5, tile=24, tile_overlap=16)
    assert tiled.shape == whole.shape == (45, 51, 3)
    assert np.abs(tiled.astype(int) - whole).max() <= 2


def test_upscale_rejects_bad_size_and_scale():
    task = SuperResolver(UNetSRBackbone(**TINY), compile=False)
    frame = np.zeros((8, 8, 3), np.uint8)
    for kwargs, match in [
        (dict(size=(10, 10), scale=2), "not both"),
        (dict(scale=0), "Received: scale=0"),
        (dict(scale=float("nan")), "Received: scale=nan"),
        (dict(size=(10, 0)), r"Received: size=\(10, 0\)"),
        (dict(size=12), "Received: size=12"),
    ]:
        with pytest.raises(ValueError, match=match):
            task.upscale(frame, **kwargs)


def test_integer_scale_models_resize_their_output_on_request():
    backbone = SRResNetBackbone(scale=2, num_blocks=1, filters=4, use_batch_norm=False, head_kernel_size=3,
                                tail_kernel_size=3)
    task = SuperResolver(backbone, compile=False)
    image = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    default = task.upscale(image)
    assert default.shape == (20, 24, 3)
    np.testing.assert_array_equal(task.upscale(image, scale=2), default)
    assert task.upscale(image, size=(15, 18)).shape == (15, 18, 3)
    assert task.upscale(image, scale=1.5).shape == (15, 18, 3)


def test_trains_on_upsampled_pairs(image_folder):
    from keras_vsr.data import VideoFrameDataset

    keras.utils.set_random_seed(0)
    task = SuperResolver(UNetSRBackbone(**TINY))
    task.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=[])
    data = VideoFrameDataset(images=image_folder, hr_size=20, scales=[1.5, 2, 3], upsample_lr=True,
                             batch_size=4, steps_per_epoch=3, seed=0)
    lr, hr = data[0]
    assert lr.shape == hr.shape == (4, 20, 20, 3)
    history = task.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.abs(to_numpy(task.backbone.get_layer("tail_conv").kernel)).max() > 0  # left zero init
