"""IFNetBackbone (RIFE v4) and IFNetInterpolator: the reference outputs of
ccvfi's IFNet (fixtures from tools/reference/rife.py) on every backend, the
full-size key lists, converting `flownet.pkl`, arbitrary times through the
frame-rate pipeline and the CLI, and the bad inputs."""

import warnings

import numpy as np
import pytest
from PIL import Image

from keras_vsr.cli import main
from keras_vsr.inference.tasks import build_task
from keras_vsr.io.framerate import check_factor, raise_frame_rate
from keras_vsr.io.gif import iter_gif_frames, read_gif_info
from keras_vsr.models import IFNetBackbone, IFNetInterpolator
from keras_vsr.models.conversion import ConversionError, convert, convert_state_dict
from keras_vsr.models.ifnet.ifnet_layers import downsample, upsample
from keras_vsr.utils.images import from_float, to_float
from tests.support import BACKEND, AverageInterpolator, load_reference_case, reference_keys, to_numpy

one_backend = pytest.mark.skipif(BACKEND != "tensorflow", reason="backend-independent; runs in the TensorFlow pass")
# JAX compiles the random initialisation of every new weight shape: the
# second architecture and the serialisation round trip run on the other two.
not_on_jax = pytest.mark.skipif(BACKEND == "jax", reason="heavy on JAX; covered by TensorFlow and PyTorch")


def run(backbone, a, b, t):
    time = np.full((len(a), 1), t, "float32")
    return to_numpy(backbone.predict_on_batch({"frames_a": a, "frames_b": b, "time": time})["middle"])


@pytest.fixture(scope="module")
def v425():
    """`(interpolator, inputs, outputs, metadata)` of the converted v4.25 case."""
    state_dict, inputs, outputs, metadata = load_reference_case("rife_v425")
    converter, backbone, _ = convert_state_dict(state_dict)
    assert converter.name == "rife" and converter.purpose == "interpolate"
    return IFNetInterpolator(backbone, compile=False), inputs, outputs, metadata


@pytest.fixture(scope="module")
def rife_pkl(tmp_path_factory):
    """The v4.25 case saved as RIFE saves `flownet.pkl` (DataParallel's `module.` prefix)."""
    torch = pytest.importorskip("torch")
    state_dict = load_reference_case("rife_v425")[0]
    path = tmp_path_factory.mktemp("rife") / "flownet.pkl"
    torch.save({f"module.{k}": torch.from_numpy(v) for k, v in state_dict.items()}, path)
    return path


def test_v425_matches_ccvfi_at_every_time_and_flow_scale(v425):
    interpolator, (a, b), outputs, metadata = v425
    assert a.shape[1:3] == (37, 45)  # not a multiple of 64: padded and cropped back
    for t, flow_scale, expected in zip(metadata["times"], metadata["flow_scales"], outputs):
        backbone = interpolator.backbone
        if flow_scale != backbone.flow_scale:
            backbone = IFNetBackbone(**{**backbone.get_config(), "flow_scale": flow_scale})
            backbone.set_weights(interpolator.backbone.get_weights())
        np.testing.assert_allclose(run(backbone, a, b, t), expected, atol=1e-4, err_msg=f"t={t}, {flow_scale}")
    # The task gives the same frames (any size, no padding of its own).
    np.testing.assert_allclose(interpolator.predict_middle(a, b), outputs[0], atol=1e-4)
    np.testing.assert_allclose(interpolator.predict_at(a, b, 0.25), outputs[1], atol=1e-4)
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-2  # the time input matters


@not_on_jax
def test_v46_matches_its_reference():
    state_dict, (a, b), outputs, metadata = load_reference_case("rife_v46")
    _, backbone, config = convert_state_dict(state_dict)
    assert config == {"block_filters": [8, 6, 4, 4], "layout": "v4.6"}
    assert backbone.network_multiple == 32
    for t, expected in zip(metadata["times"], outputs):
        np.testing.assert_allclose(run(backbone, a, b, t), expected, atol=1e-4, err_msg=f"t={t}")


@one_backend
def test_full_size_state_dicts_map_completely():
    converter, backbone, config = convert_state_dict(reference_keys("rife_v425_full"))
    assert converter.name == "rife"
    assert config == {"block_filters": [192, 128, 96, 64, 32], "layout": "v4.25", "head_filters": 16,
                      "head_outputs": 16}
    assert backbone.network_multiple == 64
    _, backbone, config = convert_state_dict(reference_keys("rife_v46_full"))
    assert config == {"block_filters": [192, 128, 96, 64], "layout": "v4.6"}


@one_backend
def test_other_rife_layouts_and_other_models_are_refused():
    full = reference_keys("rife_v425_full")
    no_head = {k: v for k, v in full.items() if not k.startswith("encode.")}
    with pytest.raises(ConversionError, match="layout that does not convert: 5 blocks, no feature head"):
        convert_state_dict(no_head)
    four_blocks = {k: v for k, v in full.items() if not k.startswith("block4.")}
    with pytest.raises(ConversionError, match="4 blocks, a feature head.*Supported: RIFE v4.25"):
        convert_state_dict(four_blocks)
    # A pre-v4.6 block: plain convs, no learned residual scale.
    old = {k.replace(".conv.weight", ".0.weight").replace(".conv.bias", ".0.bias"): v
           for k, v in no_head.items() if not k.endswith(".beta")}
    with pytest.raises(ConversionError, match="does not convert"):
        convert_state_dict(old)
    with pytest.raises(ConversionError, match="matches no supported architecture"):
        convert_state_dict({"fc.weight": np.zeros((2, 2), "float32")})


def test_resampling_matches_bilinear_half_pixel():
    x = np.random.default_rng(0).random((1, 8, 12, 2)).astype("float32")
    # Downsampling by 4: the mean of the two middle pixels of each block, per axis.
    expected = x.reshape(1, 2, 4, 3, 4, 2)[:, :, 1:3, :, 1:3].mean(axis=(2, 4))
    np.testing.assert_allclose(to_numpy(downsample(x, 4)), expected, atol=1e-6)
    # Upsampling by 2: 3/4 of the nearer pixel, 1/4 of the other, edges repeated.
    row = np.array([[[[0.0], [4.0], [8.0]]]], "float32")  # (1, 1, 3, 1)
    up = to_numpy(upsample(row, 2))[0, 0, :, 0]
    np.testing.assert_allclose(up, [0, 1, 3, 5, 7, 8], atol=1e-6)


def test_predict_at_batches_and_grey_frames(v425):
    interpolator, (a, b), outputs, _ = v425
    frames = interpolator.predict_at(np.repeat(a, 2, axis=0), np.repeat(b, 2, axis=0), 0.25, batch_size=1)
    np.testing.assert_allclose(frames, np.repeat(outputs[1], 2, axis=0), atol=1e-4)
    grey = interpolator.predict_at(a[..., :1], b[..., :1], 0.5)  # run as RGB, the channels' mean returned
    assert grey.shape == a[..., :1].shape and grey.dtype == np.float32


def test_factor_three_through_the_pipeline(v425):
    interpolator, (a, b), _, _ = v425
    frames = from_float(np.concatenate([a, b]), np.uint8)
    out = list(raise_frame_rate(frames, interpolator, factor=3))
    assert len(out) == 4
    np.testing.assert_array_equal(out[0], frames[0])
    np.testing.assert_array_equal(out[3], frames[1])
    for k in (1, 2):  # the frames at t = 1/3 and 2/3, made directly
        expected = from_float(interpolator.predict_at(to_float(frames[:1]), to_float(frames[1:]), k / 3), np.uint8)
        assert np.abs(out[k].astype(int) - expected[0].astype(int)).max() <= 1
    assert np.abs(out[1].astype(int) - out[2].astype(int)).max() > 0


def test_convert_a_flownet_pkl_and_interpolate_a_gif_by_three(rife_pkl, tmp_path, v425, capsys):
    preset = convert(rife_pkl, tmp_path / "rife")
    task = build_task(str(preset), "interpolate")
    assert isinstance(task, IFNetInterpolator)
    _, (a, b), outputs, _ = v425
    np.testing.assert_allclose(task.predict_middle(a, b), outputs[0], atol=1e-4)

    frames = from_float(np.concatenate([a, b, a]), np.uint8)
    src = tmp_path / "in.gif"
    images = [Image.fromarray(f) for f in frames]
    images[0].save(src, save_all=True, append_images=images[1:], duration=150, loop=0)
    out = tmp_path / "out.gif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gifsicle may be absent
        code = main(["interpolate", str(src), str(out), "--preset", str(preset), "--factor", "3",
                     "--scene-threshold", "1"])  # the random test frames differ like scenes
    assert code == 0, capsys.readouterr().err
    info = read_gif_info(out)
    assert info.frame_count == 7 and info.durations == (50, 50, 50, 50, 50, 50, 150)
    assert len(list(iter_gif_frames(out))) == 7


def test_bad_inputs(v425, rife_pkl, tmp_path, capsys):
    interpolator, (a, b), _, _ = v425
    for t in (0, 1, 1.5, -0.1, "half", True):
        with pytest.raises(ValueError, match=r"`t` must be in \(0, 1\)"):
            interpolator.predict_at(a, b, t)
    with pytest.raises(ValueError, match="must have the same shape"):
        interpolator.predict_at(a, b[:, :-1], 0.5)
    with pytest.raises(ValueError, match="at least two frames. Received 1"):
        list(raise_frame_rate(from_float(a, np.uint8), interpolator, factor=3))
    with pytest.raises(ValueError, match=r"size of the first"):
        list(raise_frame_rate([from_float(a[0], np.uint8), from_float(a[0, :-1], np.uint8)], interpolator, 3))
    for factor in (1, 0, -2, 2.5, True):
        with pytest.raises(ValueError, match="`factor` must be an integer >= 2"):
            check_factor(factor, interpolator)
    assert check_factor(5, interpolator) == 5
    with pytest.raises(ValueError, match=r"must be one of \(2, 4, 8\).*midpoints only"):
        check_factor(3, AverageInterpolator())

    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(rife_pkl.read_bytes()[:5000])
    with pytest.raises(ValueError, match="truncated.pkl"):
        convert(truncated, tmp_path / "never")
    assert not (tmp_path / "never").exists()

    gif = tmp_path / "in.gif"
    images = [Image.fromarray(np.full((8, 12, 3), v, np.uint8)) for v in (100, 130)]
    images[0].save(gif, save_all=True, append_images=images[1:], duration=100, loop=0)
    code = main(["interpolate", str(gif), str(tmp_path / "o.gif"), "--preset", str(rife_pkl), "--factor", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "--factor must be an integer >= 2" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.gif").exists()


@not_on_jax
def test_backbone_config_round_trip_and_bad_arguments(tmp_path):
    backbone = IFNetBackbone(block_filters=(4, 2), head_filters=4, head_outputs=2, flow_scale=0.5)
    assert backbone.network_multiple == 16 and backbone.size_multiple == 1
    a = np.random.default_rng(0).random((1, 9, 11, 3)).astype("float32")
    y = run(backbone, a, a[:, ::-1], 0.3)
    assert y.shape == a.shape
    backbone.save_to_preset(str(tmp_path / "p"))
    loaded = IFNetBackbone.from_preset(str(tmp_path / "p"))
    assert loaded.get_config() == backbone.get_config()
    np.testing.assert_allclose(run(loaded, a, a[:, ::-1], 0.3), y, atol=1e-5)
    for kwargs, match in [
        ({"block_filters": (3,)}, "block_filters"),
        ({"block_filters": ()}, "block_filters"),
        ({"flow_scale": 0.3}, "flow_scale"),
        ({"layout": "v3"}, "layout"),
        ({"head_filters": 0}, "head_filters"),
        ({"flow_init": "farneback", "layout": "v4.6"}, "flow_init"),
        ({"flow_init": "lucas_kanade"}, "needs layout='v4.6'"),
    ]:
        with pytest.raises(ValueError, match=match):
            IFNetBackbone(**kwargs)


def test_lucas_kanade_seeded_network_starts_at_the_warped_mean_and_learns_from_there(tmp_path):
    from keras_vsr.layers import LucasKanadeFlow, MidpointAlignment, backward_warp

    backbone = IFNetBackbone(block_filters=(8, 4), layout="v4.6", flow_init="lucas_kanade")
    assert backbone.network_multiple == 16  # the Lucas-Kanade pyramid's, above the blocks' 8
    rng = np.random.default_rng(3)
    a = rng.random((2, 32, 48, 3)).astype("float32")
    b = np.roll(a, (1, 2), axis=(1, 2))
    # Untrained (last convs at zero): the mean of the two frames warped to the
    # instant (to 1e-4: the flow's 2x2 solves round differently when compiled).
    first, second = MidpointAlignment()([a, b])
    np.testing.assert_allclose(run(backbone, a, b, 0.5), 0.5 * (to_numpy(first) + to_numpy(second)), atol=1e-4)
    flow = to_numpy(LucasKanadeFlow()([np.concatenate([a, b]), np.concatenate([b, a])]))
    t = 0.25
    expected = 0.5 * (to_numpy(backward_warp(a, t * flow[2:])) + to_numpy(backward_warp(b, (1 - t) * flow[:2])))
    np.testing.assert_allclose(run(backbone, a, b, t), expected, atol=1e-4)

    # One training step moves the blocks' last convs off zero and the output with them.
    task = IFNetInterpolator(backbone, compile=False)
    task.compile(optimizer="adam", loss="mean_absolute_error")
    inputs = {"frames_a": a, "frames_b": b, "time": np.full((2, 1), 0.5, "float32")}
    before = run(backbone, a, b, 0.5)
    task.train_on_batch(inputs, 0.5 * (a + b))
    assert np.abs(to_numpy(backbone.get_layer("ifnet").blocks[-1].lastconv.kernel)).max() > 0
    assert np.abs(run(backbone, a, b, 0.5) - before).max() > 0
    backbone.save_to_preset(str(tmp_path / "p"))
    loaded = IFNetBackbone.from_preset(str(tmp_path / "p"))
    assert loaded.get_config()["flow_init"] == "lucas_kanade"
    np.testing.assert_allclose(run(loaded, a, b, 0.5), run(backbone, a, b, 0.5), atol=1e-5)
