"""SwinIRBackbone and its converter: the reference outputs of spandrel's
SwinIR (fixtures from tools/reference/swinir.py) for every upsampler and
scale on every backend, the full-size key lists, the layers, and the
backbone contract."""

import numpy as np
import pytest
import keras

from keras_vsr.models import SuperResolver, SwinIRBackbone
from keras_vsr.models.conversion import ConversionError, architectures, convert, convert_state_dict
from keras_vsr.models.swinir.swinir_layers import (
    CropToScaled,
    ReflectPadToMultiple,
    SwinTransformerBlock,
    relative_position_index,
    shifted_window_mask,
)
from tests.support import (
    BACKEND,
    REFERENCE,
    check_reference_case,
    load_reference_case,
    reference_keys,
    run_backbone_test,
    run_layer_test,
    to_numpy,
)

BUFFERS = ("relative_position_index", "attn_mask")  # recomputed by the Keras model
CASES = sorted(path.stem for path in REFERENCE.glob("swinir_*.npz"))
# Shapes shared with the reference cases (window 4, 12 channels, 11 x 13
# inputs), so that JAX compiles the shared operations once.
TINY = dict(embed_dim=12, depths=[2], num_heads=[2], window_size=4, num_feat=8, img_size=8)
UPSAMPLER_OF = {
    "classical": "pixelshuffle",
    "lightweight": "pixelshuffledirect",
    "realworld": "nearest+conv",
    "jpeg": "none",
}


def released(**changes):
    """The detected config of a released SwinIR: SwinIR-M's unless changed."""
    config = dict(window_size=8, mlp_ratio=2.0, img_range=1.0, channels=3, num_feat=64, resi_connection="1conv")
    config.update(embed_dim=180, depths=[6] * 6, num_heads=[6] * 6)
    return {**config, **changes}


def test_every_upsampler_and_scale_has_a_reference_case():
    cases = {(name.split("_")[1], name.split("_")[2]) for name in CASES}
    assert cases == {
        *(("classical", f"x{s}") for s in (2, 3, 4, 8)),
        *(("lightweight", f"x{s}") for s in (2, 3, 4)),
        *(("realworld", f"x{s}") for s in (2, 4, 8)),
        ("jpeg", "grey"),
    }
    assert "swinir" in architectures()


@pytest.mark.parametrize("name", CASES)
def test_matches_the_reference_outputs(name):
    _, (x,), _, metadata = load_reference_case(name)
    assert x.shape[1] % metadata["window_size"] and x.shape[2] % metadata["window_size"]  # padded and cropped
    backbone, config = check_reference_case(name, "swinir", atol=1e-4)
    assert config["upsampler"] == UPSAMPLER_OF[name.split("_")[1]]
    expected = {key: metadata[key] for key in ("embed_dim", "depths", "num_heads", "window_size", "img_size")}
    expected.update(scale=metadata["upscale"], resi_connection=metadata["resi_connection"])
    expected.update(channels=metadata["in_chans"], img_range=metadata.get("img_range", 1.0))
    assert {key: config[key] for key in expected} == expected
    assert backbone.scale == metadata["upscale"]


@pytest.mark.skipif(BACKEND != "tensorflow", reason="key mapping does not depend on the backend; run once")
@pytest.mark.parametrize(
    "name, expected",
    [
        ("swinir_classical_x2_m", released(scale=2, upsampler="pixelshuffle", img_size=48)),
        ("swinir_classical_x4_m", released(scale=4, upsampler="pixelshuffle", img_size=48)),
        (
            "swinir_lightweight_x4_s",
            released(
                scale=4, upsampler="pixelshuffledirect", img_size=64, embed_dim=60, depths=[6] * 4, num_heads=[6] * 4
            ),
        ),
        ("swinir_realworld_x4_m", released(scale=4, upsampler="nearest+conv", img_size=64)),
        (
            "swinir_realworld_x4_l",
            released(
                scale=4, upsampler="nearest+conv", img_size=64, embed_dim=240, depths=[6] * 9, num_heads=[8] * 9,
                resi_connection="3conv",
            ),
        ),
    ],
)
def test_full_size_state_dicts_map_completely(name, expected):
    converter, backbone, config = convert_state_dict(reference_keys(name))
    assert converter.name == "swinir"
    assert config == expected
    assert isinstance(backbone, SwinIRBackbone)
    parameters = {k: v for k, v in reference_keys(name).items() if not k.endswith(BUFFERS)}
    assert backbone.count_params() == sum(v.size for v in parameters.values())


def test_missing_mis_shaped_or_unknown_keys_are_named():
    state_dict, _, _, _ = load_reference_case("swinir_classical_x2")
    key = "layers.0.residual_group.blocks.1.attn.proj.bias"
    with pytest.raises(ConversionError, match=key.replace(".", r"\.")):
        convert_state_dict({k: v for k, v in state_dict.items() if k != key})
    key = "layers.0.residual_group.blocks.1.mlp.fc2.weight"
    with pytest.raises(ConversionError, match=key.replace(".", r"\.")):
        convert_state_dict(dict(state_dict, **{key: np.zeros((12, 7), "float32")}))
    key = "layers.0.residual_group.blocks.0.attn.logit_scale"  # Swin2SR, not SwinIR
    with pytest.raises(ConversionError, match=key.replace(".", r"\.")):
        convert_state_dict(dict(state_dict, **{key: np.zeros((2, 1, 1), "float32")}))
    key = "layers.0.residual_group.blocks.0.attn.relative_position_bias_table"
    with pytest.raises(ConversionError, match="not \\(2w - 1\\)\\*\\*2"):
        convert_state_dict(dict(state_dict, **{key: np.zeros((50, 2), "float32")}))


def test_converted_preset_upscales_like_the_reference(tmp_path):
    _, (x,), (expected,), _ = load_reference_case("swinir_lightweight_x3")
    convert(str(REFERENCE / "swinir_lightweight_x3.safetensors"), str(tmp_path / "preset"))
    task = SuperResolver.from_preset(str(tmp_path / "preset"))
    assert isinstance(task.backbone, SwinIRBackbone)
    np.testing.assert_allclose(to_numpy(task.backbone(x, training=False)), expected, atol=1e-4)


@pytest.mark.parametrize(
    "upsampler, scale, resi_connection",
    [("pixelshuffle", 2, "3conv"), ("nearest+conv", 4, "1conv")],
)
def test_backbone_any_input_size(upsampler, scale, resi_connection, tmp_path):
    kwargs = dict(TINY, scale=scale, upsampler=upsampler, resi_connection=resi_connection)
    run_backbone_test(SwinIRBackbone, kwargs, (1, 11, 13, 3), (1, 11 * scale, 13 * scale, 3), tmp_path)


def test_backbone_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: upsampler='bilinear'"):
        SwinIRBackbone(upsampler="bilinear", **TINY)
    with pytest.raises(ValueError, match="Received: scale=3"):
        SwinIRBackbone(scale=3, upsampler="nearest+conv", **TINY)
    with pytest.raises(ValueError, match="Received: resi_connection='2conv'"):
        SwinIRBackbone(resi_connection="2conv", **TINY)
    with pytest.raises(ValueError, match="num_heads=\\[5\\]"):
        SwinIRBackbone(**dict(TINY, num_heads=[5]))
    with pytest.raises(ValueError, match="depths=\\[2, 2\\], num_heads=\\[2\\]"):
        SwinIRBackbone(**dict(TINY, depths=[2, 2]))
    with pytest.raises(ValueError, match="img_size=4"):
        SwinIRBackbone(**dict(TINY, img_size=4))


def test_relative_position_index_and_shifted_window_mask():
    index = relative_position_index(2)
    # Tokens (0,0) (0,1) (1,0) (1,1); offsets (dy, dx) + 1 index a 3x3 table.
    np.testing.assert_array_equal(index[0], [4, 3, 1, 0])
    np.testing.assert_array_equal(index[:, 0], [4, 5, 7, 8])
    # An 8x8 map, windows of 4, shift 2: regions [0, 4), [4, 6), [6, 8) per axis.
    mask = to_numpy(shifted_window_mask(8, 8, 4, 2))
    assert mask.shape == (4, 16, 16)
    assert not mask[0].any()  # the top-left window holds one region
    regions = np.add.outer(np.array([1, 1, 2, 2]) * 3, np.array([1, 1, 2, 2])).reshape(-1)
    np.testing.assert_array_equal(mask[3], np.where(regions[:, None] != regions[None, :], -100.0, 0.0))


def test_layers(tmp_path):
    block = dict(dim=12, num_heads=2, window_size=4, shift_size=2)
    y = run_layer_test(SwinTransformerBlock, block, (1, 12, 16, 12), (1, 12, 16, 12), tmp_path)
    assert np.isfinite(y).all()
    x = np.arange(2 * 5 * 6 * 1, dtype="float32").reshape(2, 5, 6, 1)
    padded = run_layer_test(ReflectPadToMultiple, dict(multiple=4), x, (2, 8, 8, 1), tmp_path)
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (0, 3), (0, 2), (0, 0)), mode="reflect"))
    upscaled = np.repeat(np.repeat(padded, 2, axis=1), 2, axis=2)
    np.testing.assert_array_equal(to_numpy(CropToScaled(2)([upscaled, x])), upscaled[:, :10, :12])
    with pytest.raises(ValueError, match="shift_size=4"):
        SwinTransformerBlock(dim=8, num_heads=2, window_size=4, shift_size=4)


def test_one_fit_step_trains_every_weight():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    lr, hr = rng.random((2, 9, 11, 3)).astype("float32"), rng.random((2, 18, 22, 3)).astype("float32")
    task = SuperResolver(SwinIRBackbone(scale=2, upsampler="pixelshuffledirect", **TINY))
    task.compile(metrics=[])
    before = [to_numpy(v).copy() for v in task.trainable_weights]
    history = task.fit(lr, hr, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    unchanged = [v.path for b, v in zip(before, task.trainable_weights) if np.array_equal(b, to_numpy(v))]
    assert not unchanged  # gradients reach every weight, relative position bias tables included
