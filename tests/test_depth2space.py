import numpy as np
import pytest

import keras
from tests.support import run_backbone_test, to_numpy
from keras_vsr.models import Depth2SpaceBackbone, SuperResolver
from keras_vsr.models.depth2space import depth2space_geometry
from keras_vsr.utils.imresize import imresize

# stride 2, block 8: 20x24 -> 10x12 cells -> 5x6 blocks -> 40x48 (x2).
X2 = dict(input_size=(20, 24), target_size=(40, 48), stride=2, block_size=8, filters=(4, 6))


def test_720p_to_1080p_geometry():
    backbone = Depth2SpaceBackbone()  # the original model
    assert backbone.geometry == {
        "cells": (144, 256),
        "blocks": (135, 240),
        "shrink": (9, 16),
        "first_kernel": (4, 4),
        "second_kernel": (7, 14),
    }
    shapes = {layer.name: tuple(layer.output.shape) for layer in backbone.layers}
    assert shapes["stride_conv"] == (None, 144, 256, 128)
    assert shapes["valid_conv_1"] == (None, 141, 253, 150)
    assert shapes["valid_conv_2"] == (None, 135, 240, 192)
    assert shapes["depth_to_space"] == (None, 1080, 1920, 3)
    assert tuple(backbone.output_shape) == (None, 1080, 1920, 3)
    expected = (5 * 5 * 3 * 128 + 128) + (4 * 4 * 128 * 150 + 150) + (7 * 14 * 150 * 192 + 192)
    assert backbone.count_params() == expected == 3_139_670
    assert backbone.scale == 1.5
    spec = backbone.compute_output_spec(keras.KerasTensor((2, 720, 1280, 3)))
    assert tuple(spec.shape) == (2, 1080, 1920, 3)


def test_integer_scale_configuration_forward_and_preset(tmp_path):
    y = run_backbone_test(Depth2SpaceBackbone, X2, (2, 20, 24, 3), (2, 40, 48, 3), tmp_path)
    assert np.isfinite(y).all()
    backbone = Depth2SpaceBackbone(**X2)
    assert backbone.scale == 2
    assert backbone.geometry["first_kernel"] == (4, 4) and backbone.geometry["second_kernel"] == (3, 4)


def test_small_x1_5_configuration_forward():
    # The design of the bundled preset: 240x320 -> 360x480 needs kernels 4x4 and 1x2.
    geometry = depth2space_geometry((240, 320), (360, 480))
    assert geometry["shrink"] == (3, 4) and geometry["second_kernel"] == (1, 2)
    backbone = Depth2SpaceBackbone((40, 80), (48, 96), filters=(4, 4))  # 8x16 cells -> 6x12 blocks
    x = np.random.default_rng(0).random((1, 40, 80, 3)).astype("float32")
    assert to_numpy(backbone(x)).shape == (1, 48, 96, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input_size=(721, 1280)), r"Input height 721 is not a multiple of stride 5"),
        (dict(target_size=(1080, 1921)), r"Target width 1921 is not a multiple of block_size 8"),
        (dict(input_size=(360, 640)), r"72 cells.*135 blocks.*valid convolutions can only shrink"),
        (dict(input_size=(0, 1280)), r"Received: input_size="),
        (dict(target_size="1080p"), r"Received: target_size='1080p'"),
    ],
)
def test_unreachable_pairs_explain_the_arithmetic(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Depth2SpaceBackbone(filters=(4, 4), **kwargs)


def test_image_residual_starts_at_matlab_bicubic():
    backbone = Depth2SpaceBackbone(**X2, image_residual=True)
    x = np.random.default_rng(1).random((1, 20, 24, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(backbone(x))[0], imresize(x[0], output_shape=(40, 48)), atol=1e-5)
    # A non-x2 pair too (the resize is built for the fixed sizes).
    b15 = Depth2SpaceBackbone((40, 80), (48, 96), filters=(4, 4), image_residual=True)
    x = np.random.default_rng(2).random((1, 40, 80, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(b15(x))[0], imresize(x[0], output_shape=(48, 96)), atol=1e-5)


def test_upscale_checks_the_fixed_input_size():
    task = SuperResolver(Depth2SpaceBackbone(**X2), compile=False)
    rng = np.random.default_rng(0)
    good = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert task.upscale(good).shape == (40, 48, 3)
    assert task.upscale(good, scale=2).shape == (40, 48, 3)
    assert task.upscale(np.dstack([good, good[:, :, :1]])).shape == (40, 48, 4)  # RGBA
    with pytest.raises(ValueError, match=r"exactly 20x24 .*Received an image of 21x24.*UNetSRBackbone"):
        task.upscale(rng.integers(0, 256, (21, 24, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"always outputs 40x48.*60x72.*UNetSRBackbone"):
        task.upscale(good, scale=3)


def test_trains_on_a_video_frame_dataset(image_folder):
    from keras_vsr.data import VideoFrameDataset

    keras.utils.set_random_seed(0)
    task = SuperResolver(Depth2SpaceBackbone(**X2, image_residual=True))
    task.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=[])
    data = VideoFrameDataset(images=image_folder, hr_size=(40, 48), lr_size=(20, 24), batch_size=2,
                             steps_per_epoch=3, seed=0)
    before = [w.copy() for w in task.backbone.get_weights()]
    history = task.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, task.backbone.get_weights()))
