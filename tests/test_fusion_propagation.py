"""Colour propagation from key frames, the chroma fusion model, the fusion
evaluation and `keras-vsr colorize --key-frames`."""

import warnings

import numpy as np
import pytest

from keras_vsr.inference.colour_propagation import (
    ChromaPropagator,
    key_chroma_blend,
    key_runs,
    propagate_keys,
)
from keras_vsr.utils.colour import LUMA_WEIGHTS as LUMA, chroma
from tests.support import BACKEND, AverageInterpolator, run_task_test


def moving_clip(n=5, h=24, w=32, shift=2, seed=3):
    """uint8 RGB frames of a smooth colour texture moving `shift` pixels right per frame."""
    rng = np.random.default_rng(seed)
    big = np.kron(rng.uniform(40, 210, (h // 4 + 2, (w + n * shift) // 4 + 2, 3)), np.ones((4, 4, 1)))
    for _ in range(4):  # [1, 2, 1] / 4 along both axes
        big = (np.roll(big, 1, 0) + 2 * big + np.roll(big, -1, 0)) / 4
        big = (np.roll(big, 1, 1) + 2 * big + np.roll(big, -1, 1)) / 4
    frames = [big[:h, (n - 1 - t) * shift : (n - 1 - t) * shift + w] for t in range(n)]
    return np.round(np.stack(frames)).astype(np.uint8)


# The flow and warps run on every backend in test_propagation_follows_motion;
# the NumPy logic around them is tested once.
one_backend = pytest.mark.skipif(BACKEND != "tensorflow", reason="backend-independent; runs in the TensorFlow pass")


# Two pyramid levels: the motions here are 2 pixels a frame, and the tests stay fast.
def small_propagator(**kwargs):
    return ChromaPropagator(levels=2, iterations=2, **kwargs)


def grey_of(rgb):
    return np.round(rgb.astype("float32") @ LUMA)[..., None].astype("float32") / 255


class FlatColorizer:
    def predict_rgb(self, grey, batch_size=8, keep_luma=True):
        return np.clip(np.repeat(np.asarray(grey, "float32"), 3, axis=-1) + [0.05, -0.02, 0.0], 0, 1)


def test_key_runs_and_blends():
    assert key_runs(9, [0, 4, 8]) == [(1, 4, 0, 4), (5, 8, 4, 8)]
    assert key_runs(6, [2]) == [(0, 2, None, 2), (3, 6, 2, None)]
    keys = {0: np.array([0.0]), 4: np.array([4.0])}
    assert key_chroma_blend(keys, 6, nearest=False)[:, 0].tolist() == [0, 1, 2, 3, 4, 4]
    assert key_chroma_blend(keys, 6, nearest=True)[:, 0].tolist() == [0, 0, 0, 4, 4, 4]


@pytest.mark.parametrize("mode", ["chained", "direct"])
def test_propagation_follows_motion(mode):
    rgb = moving_clip()
    frames = rgb.astype("float32") / 255
    grey = grey_of(rgb)
    result = small_propagator(mode=mode).propagate(grey[1:4], frames[0], frames[4])
    assert result.chroma.shape == (2, 3, 24, 32, 3) and result.confidence.shape == (2, 3, 24, 32, 1)
    np.testing.assert_allclose(result.weight, [[0.75, 0.5, 0.25], [0.25, 0.5, 0.75]])
    inside = (slice(None), slice(4, -4), slice(10, -10))
    truth = chroma(frames[1:4])
    err_prop = np.abs(result.blend() - truth)[inside].mean()
    err_copy = np.abs(chroma(frames[:1]) - truth)[inside].mean()
    assert err_prop < 0.3 * err_copy
    assert result.confidence[:, :, 4:-4, 10:-10].mean() > 0.5


def test_confidence_drops_where_the_key_frame_disagrees():
    rgb = np.repeat(moving_clip(n=1), 3, axis=0)
    rgb[0, 8:16, 8:16] = 255 - rgb[0, 8:16, 8:16]  # an object in the key frame only
    frames = rgb.astype("float32") / 255
    result = small_propagator().propagate(grey_of(rgb)[1:2], before=frames[0], after=frames[2])
    before, after = result.confidence[0, 0, ..., 0], result.confidence[1, 0, ..., 0]
    assert before[10:14, 10:14].mean() < 0.5 < 0.9 < after[10:14, 10:14].min()
    # the blend leans to the side it trusts
    blend = result.blend()[0, 10:14, 10:14]
    err = lambda key: np.abs(blend - chroma(frames[key])[10:14, 10:14]).mean()  # noqa: E731
    assert err(2) < 0.5 * err(0)


@one_backend
def test_precomputed_steps_give_the_same_result():
    rgb = moving_clip(n=7)
    frames, grey = rgb.astype("float32") / 255, grey_of(rgb)
    propagator = small_propagator()
    keys = {1: frames[1], 5: frames[5]}
    steps = propagator.step_flows(grey)
    reused = list(propagate_keys(propagator, grey, keys, steps))
    fresh = list(propagate_keys(propagator, grey, {k: v for k, v in keys.items()}))
    assert [r[:2] for r in reused] == [(0, 1), (2, 5), (6, 7)]
    for (_, _, a), (_, _, b) in zip(reused, fresh):
        np.testing.assert_allclose(a.blend(), b.blend(), atol=0.01)  # key luma rounded or not


def test_propagation_bad_input():
    grey = np.zeros((2, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="mode"):
        ChromaPropagator(mode="sideways")
    with pytest.raises(ValueError, match="luma_sigma"):
        ChromaPropagator(luma_sigma=0)
    with pytest.raises(ValueError, match="At least one key frame"):
        ChromaPropagator().propagate(grey)
    with pytest.raises(ValueError, match="does not fit"):
        ChromaPropagator().propagate(grey, before=np.zeros((4, 8, 3)))
    with pytest.raises(ValueError, match="steps"):
        ChromaPropagator().propagate(grey, before=np.zeros((8, 8, 3)), steps=(np.zeros((5, 8, 8, 2)),) * 2)


def test_chroma_fusion_task_contract_and_identity_start(tmp_path):
    import keras

    from keras_vsr.inference.colour_propagation import fused_chroma
    from keras_vsr.models import ChromaFusion, ChromaFusionBackbone

    keras.utils.set_random_seed(0)
    task = ChromaFusion(ChromaFusionBackbone(filters=4, depth=1))
    rgb = moving_clip(n=3, h=16, w=16)
    frames, grey = rgb.astype("float32") / 255, grey_of(rgb)
    result = small_propagator().propagate(grey[1:2], frames[0], frames[2])
    colour = chroma(FlatColorizer().predict_rgb(grey[1:2]))
    # the last layer starts at zero: an untrained network returns the blend
    np.testing.assert_allclose(fused_chroma(result, grey[1:2], colour, task), result.blend(), atol=1e-6)
    from keras_vsr.models import fusion_features

    x = fusion_features(grey[1:2], result.blend(), result.chroma, result.confidence, result.weight, colour)
    assert x.shape == (1, 16, 16, 17)
    x = np.concatenate([x, x[:, ::-1]])
    run_task_test(task, x, chroma(frames[1:2]).repeat(2, axis=0), tmp_path, expected_output_shape=(2, 16, 16, 3))
    odd = np.zeros((1, 7, 9, 17), "float32")
    assert task.predict_chroma(odd).shape == (1, 7, 9, 3)
    with pytest.raises(ValueError, match="features"):
        task.predict_chroma(np.zeros((1, 8, 8, 5)))


@one_backend
def test_evaluate_fusion_puts_every_method_side_by_side():
    from keras_vsr.evaluation.fusion import evaluate_fusion, format_fusion_report

    rgb = moving_clip(n=9)
    results = evaluate_fusion(
        [("moving", rgb)], FlatColorizer(), AverageInterpolator(), key_every=(4,), factors=(1, 2),
        propagator=small_propagator(),
    )
    assert set(results) == {(1, 4), (2, 4)}
    mean = results[(1, 4)]["mean"]
    for method in ("grey", "colorizer", "nearest", "linear", "correction", "propagation"):
        assert f"{method}_psnr" in mean and f"{method}_ssim" in mean
    assert "learned_psnr" not in mean
    assert mean["propagation_psnr"] > mean["nearest_psnr"] + 3
    assert mean["nearest_psnr"] > mean["grey_psnr"]
    # factor 2 with K = 4: only frames 0 and 8 are key frames
    assert results[(2, 4)]["mean"]["propagation_psnr"] > results[(2, 4)]["mean"]["nearest_psnr"]
    table = format_fusion_report(results, markdown=True)
    assert table.count("\n") == 3 and "| 1 | 4 |" in table


# keras-vsr colorize --key-frames


@pytest.fixture(scope="module")
def keyed_clips(tmp_path_factory):
    import imageio.v2 as imageio

    folder = tmp_path_factory.mktemp("keyed")
    rgb = moving_clip(n=9, h=24, w=32)
    imageio.mimwrite(folder / "colour.mp4", list(rgb), fps=10, macro_block_size=1, quality=10)
    grey = np.repeat(np.round(rgb.astype("float32") @ LUMA).astype(np.uint8)[..., None], 3, axis=-1)
    imageio.mimwrite(folder / "grey.mp4", list(grey), fps=10, macro_block_size=1, quality=10)
    imageio.mimwrite(folder / "short.mp4", list(rgb[:3]), fps=10, macro_block_size=1, quality=10)
    imageio.mimwrite(folder / "small.mp4", list(rgb[:, :16, :16]), fps=10, macro_block_size=1, quality=10)
    from keras_vsr.models import Grey2RGBBackbone

    Grey2RGBBackbone(filters=4, depth=2).save_to_preset(str(folder / "grey2rgb"))
    return folder, rgb


def _cli(capsys, *args):
    from keras_vsr.cli import main

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err + "".join(str(w.message) for w in caught)


@one_backend
def test_colorize_with_key_frames(tmp_path, keyed_clips, capsys):
    from keras_vsr.io import iter_video_frames

    folder, rgb = keyed_clips
    out = tmp_path / "out.mp4"
    code, stdout, err = _cli(
        capsys, "colorize", folder / "grey.mp4", out, "--preset", folder / "grey2rgb",
        "--key-frames", folder / "colour.mp4", "--key-every", 4,
    )
    assert code == 0, err
    assert "key frames every 4" in stdout
    frames = np.stack(list(iter_video_frames(out)))
    plain = tmp_path / "plain.mp4"
    assert _cli(capsys, "colorize", folder / "grey.mp4", plain, "--preset", folder / "grey2rgb")[0] == 0
    colourised = np.stack(list(iter_video_frames(plain)))
    err_keyed = np.abs(frames.astype("float32") - rgb).mean()
    assert frames.shape == rgb.shape and err_keyed < 0.5 * np.abs(colourised.astype("float32") - rgb).mean()


@one_backend
def test_colorize_key_frames_bad_input(tmp_path, keyed_clips, capsys):
    folder, _ = keyed_clips
    common = ("--preset", folder / "grey2rgb")
    out = tmp_path / "out.mp4"
    code, _, err = _cli(capsys, "colorize", folder / "grey.mp4", out, *common, "--key-frames", folder / "small.mp4")
    assert code == 2 and "Key frame 0 is 16x16" in err and not out.exists()
    code, _, err = _cli(capsys, "colorize", folder / "grey.mp4", out, *common, "--key-frames", tmp_path / "none")
    assert code == 2 and "neither a folder of images nor a video" in err and not out.exists()
    code, _, err = _cli(capsys, "colorize", folder / "grey.mp4", out, *common, "--key-frames", folder / "colour.mp4",
                        "--key-every", 0)
    assert code == 2 and "--key-every" in err and not out.exists()
    code, _, err = _cli(capsys, "colorize", folder / "grey.mp4", out, *common, "--key-frames", folder / "short.mp4",
                        "--key-every", 2)
    assert code == 0 and "has 3 frames, fewer than the 9" in err and out.exists()
