"""`keras_vsr.data.degradations`: each operation's statistics, determinism
under a seed, configs, evaluation specs, and the dataset hook (`keras-vsr
evaluate sr --degrade` is tested in tests/test_evaluation.py)."""

import io
import json
import sys

import numpy as np
import pytest
from PIL import Image

from tests.tiny_data import texture
from keras_vsr.data import PairedPatchDataset
from keras_vsr.data import degradations as dg
from keras_vsr.utils.imresize import imresize
from keras_vsr.utils.images import to_float


def _image(size=48, seed=0):
    return texture(np.random.default_rng(seed), size, size)


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_kernels_sum_to_one_with_odd_sizes_in_range():
    blur = dg.RandomBlur(sinc_probability=0.3)
    rng = _rng()
    for _ in range(60):
        kernel = blur.draw_kernel(rng)
        assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1 and 7 <= kernel.shape[0] <= 21
        assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(kernel, kernel[::-1, ::-1], atol=1e-7)  # convolution == correlation


def test_isotropic_kernel_is_symmetric_and_the_anisotropic_one_is_not():
    iso = dg.anisotropic_kernel(11, 2.0, 2.0, 0.7)
    for view in (iso.T, iso[::-1], iso[:, ::-1]):
        np.testing.assert_allclose(iso, view, atol=1e-7)
    aniso = dg.anisotropic_kernel(11, 3.0, 0.5, 0.0)
    assert aniso[5, 0] > aniso[0, 5]  # wide along x (columns), narrow along y
    for shape in ("generalized", "plateau"):
        assert dg.anisotropic_kernel(11, 2.0, 1.0, 0.3, beta=1.5, shape=shape).sum() == pytest.approx(1.0, abs=1e-5)


def test_sinc_kernel_rings_and_its_bessel_function_is_exact():
    from scipy.special import j1

    x = np.linspace(0.0, 50.0, 101)
    np.testing.assert_allclose(dg.bessel_j1(x), j1(x), atol=1e-10)
    kernel = dg.sinc_kernel(21, np.pi / 4)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5) and kernel.min() < 0  # negative lobes ring


def test_blur_keeps_a_flat_image_and_the_size():
    flat = np.full((20, 30, 3), 0.4, "float32")
    for seed in range(5):
        out = dg.RandomBlur(sinc_probability=0.5)(flat, _rng(seed))
        assert out.shape == flat.shape and out.dtype == np.float32
        np.testing.assert_allclose(out, 0.4, atol=1e-5)
    assert np.allclose(dg.SincFilter(probability=0.0)(flat, _rng()), flat)


def test_gaussian_noise_has_the_asked_variance():
    flat = np.full((200, 200, 3), 0.5, "float32")
    out = dg.GaussianNoise((10.0, 10.0), grey_probability=0.0)(flat, _rng())
    assert (out - 0.5).std() * 255 == pytest.approx(10.0, rel=0.03)
    assert not np.allclose(out[..., 0], out[..., 1])
    grey = dg.GaussianNoise((10.0, 10.0), grey_probability=1.0)(flat, _rng())
    np.testing.assert_array_equal(grey[..., 0], grey[..., 2])


def test_poisson_noise_variance_follows_the_signal():
    image = np.full((200, 200, 3), 0.5, "float32")
    image[:, :50] = 0.1
    image[0, :, :] = np.linspace(0, 1, 200)[:, None]  # > 128 distinct 8-bit levels: 256 photon levels
    out = dg.PoissonNoise((1.0, 1.0), grey_probability=0.0)(image, _rng()) - image
    # Counts are value * 256, so the noise variance is value / 256.
    assert out[1:, 50:].var() == pytest.approx(0.5 / 256, rel=0.05)
    assert out[1:, :50].var() == pytest.approx(0.1 / 256, rel=0.1)
    scaled = dg.PoissonNoise((2.0, 2.0), grey_probability=0.0)(image, _rng()) - image
    assert scaled[1:, 50:].std() == pytest.approx(2 * out[1:, 50:].std(), rel=0.05)
    grey = dg.PoissonNoise((1.0, 1.0), grey_probability=1.0)(image, _rng())
    np.testing.assert_array_equal(grey[..., 0], grey[..., 1])


def test_resize_draws_factors_in_range():
    resize = dg.RandomResize((0.5, 1.5), (0.5, 0.5, 0.0), modes=("area",))
    sizes = {resize(np.zeros((40, 40, 3), "float32"), _rng(seed)).shape[0] for seed in range(20)}
    assert min(sizes) >= 20 and max(sizes) <= 60 and min(sizes) < 30 and max(sizes) > 50
    keep = dg.RandomResize(probabilities=(0.0, 0.0, 1.0))(np.full((40, 30, 3), 0.3, "float32"), _rng())
    np.testing.assert_allclose(keep, 0.3, atol=1e-6)
    assert keep.shape == (40, 30, 3)


def _quantization_tables(data):
    return Image.open(io.BytesIO(data)).quantization


def test_jpeg_is_the_real_encoder_at_the_asked_quality():
    image = _image(64)
    out = dg.JPEGCompression((40, 40))(image, _rng())
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=40)
    decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    np.testing.assert_array_equal(np.round(out * 255).astype(np.uint8), decoded)
    other = io.BytesIO()
    Image.fromarray(image).save(other, format="JPEG", quality=90)
    assert _quantization_tables(buffer.getvalue()) != _quantization_tables(other.getvalue())
    assert not np.array_equal(np.round(dg.jpeg(image, 90) * 255).astype(np.uint8), decoded)


def test_gif_palette_holds_at_most_the_asked_colours_and_dithering_differs():
    image = _image(64)
    dithered = dg.GIFPalette((16, 16), dither_probability=1.0)(image, _rng())
    plain = dg.GIFPalette((16, 16), dither_probability=0.0)(image, _rng())
    for out in (dithered, plain):
        assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 16
    assert not np.array_equal(dithered, plain)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 16


def _palette_sizes_drawn(monkeypatch, degradation, seeds):
    """The colour counts `degradation` asks Pillow's median cut for."""
    asked = []
    quantize = Image.Image.quantize

    def spy(self, colors=256, *args, **kwargs):
        if kwargs.get("palette") is None:
            asked.append(colors)
        return quantize(self, colors, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "quantize", spy)
    image = _image(32)
    for seed in seeds:
        degradation(image, _rng(seed))
    return asked


def test_gif_palette_sizes_any_or_powers_of_two(monkeypatch):
    powers = _palette_sizes_drawn(monkeypatch, dg.GIFPalette((16, 256), 0.0, sizes="powers_of_two"), range(300))
    assert set(powers) == {16, 32, 64, 128, 256}
    assert all(abs(powers.count(n) / len(powers) - 0.2) < 0.07 for n in set(powers))
    anything = _palette_sizes_drawn(monkeypatch, dg.GIFPalette((16, 256), 0.0), range(300))
    assert len(set(anything)) > 100 and min(anything) >= 16 and max(anything) <= 256
    assert sum(n <= 64 for n in anything) / len(anything) < 0.3  # 49 of 241 counts
    mix = _palette_sizes_drawn(monkeypatch, dg.real_world_mix("powers_of_two"), range(300))
    assert mix and set(mix) <= {16, 32, 64, 128, 256}
    assert dg.GIFPalette(sizes="powers_of_two").get_config()["sizes"] == "powers_of_two"
    with pytest.raises(ValueError, match="sizes"):
        dg.GIFPalette(sizes="log")
    with pytest.raises(ValueError, match="no power of two"):
        dg.GIFPalette((33, 63), sizes="powers_of_two")


def test_a_gif_palette_config_written_before_sizes_existed_still_loads():
    old = {"class_name": "GIFPalette", "config": {"colours_range": [16, 256], "dither_probability": 0.5}}
    assert dg.degradation_from_config(old).sizes == "any"


def _all_degradations():
    return [
        dg.RandomBlur(sinc_probability=0.5),
        dg.SincFilter(),
        dg.RandomResize(),
        dg.GaussianNoise(),
        dg.PoissonNoise(),
        dg.JPEGCompression(),
        dg.GIFPalette(),
        dg.GIFPalette(sizes="powers_of_two"),
        dg.Compose([dg.RandomBlur(), dg.GaussianNoise(), dg.JPEGCompression()]),
        dg.RealESRGANDegradation(scale=4, gif_probability=0.5),
        dg.real_world_mix(),
        dg.real_world_mix("powers_of_two"),
    ]


@pytest.mark.parametrize("degradation", _all_degradations(), ids=lambda d: type(d).__name__)
def test_same_seed_same_output_and_config_round_trip(degradation):
    image = _image(48)
    out = degradation(image, _rng(3))
    np.testing.assert_array_equal(out, degradation(image, _rng(3)))
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    config = json.loads(json.dumps(dg.degradation_to_config(degradation)))
    rebuilt = dg.degradation_from_config(config)
    assert type(rebuilt) is type(degradation) and dg.degradation_to_config(rebuilt) == config
    np.testing.assert_array_equal(rebuilt(image, _rng(3)), out)
    assert any(not np.array_equal(out.shape, o.shape) or not np.array_equal(out, o)
               for o in (degradation(image, _rng(seed)) for seed in range(4, 9)))


def test_unknown_or_malformed_configs_are_refused_without_importing():
    before = set(sys.modules)
    names = ("this.Zen", "os.system", "builtins.eval", "Degradation")  # `this` prints on import
    for config in ({"class_name": name, "config": {}} for name in names):
        with pytest.raises(ValueError, match="Unknown degradation"):
            dg.degradation_from_config(config)
    assert set(sys.modules) == before and "this" not in sys.modules
    with pytest.raises(ValueError, match="class_name"):
        dg.degradation_from_config("RandomBlur")
    with pytest.raises(ValueError, match="Bad config"):
        dg.degradation_from_config({"class_name": "JPEGCompression", "config": {"nope": 1}})
    assert "RealESRGANDegradation" in dg.DEGRADATIONS


def test_one_of_draws_each_stage_with_its_probability():
    image = _image(32)
    mix = dg.OneOf([None, dg.JPEGCompression((50, 50)), dg.GIFPalette((16, 16), 0.0)], [0.5, 0.25, 0.25])
    jpeg = dg.jpeg(image, 50)
    kinds = []
    for seed in range(400):
        out = mix(image, _rng(seed))
        if np.array_equal(out, to_float(image)):
            kinds.append("clean")
        elif np.array_equal(out, jpeg):
            kinds.append("jpeg")
        else:
            assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 16
            kinds.append("gif")
    counts = {k: kinds.count(k) / len(kinds) for k in ("clean", "jpeg", "gif")}
    assert abs(counts["clean"] - 0.5) < 0.08 and abs(counts["jpeg"] - 0.25) < 0.08 and abs(counts["gif"] - 0.25) < 0.08


def test_one_of_refuses_downscaling_stages_and_bad_probabilities():
    with pytest.raises(ValueError, match="downscale"):
        dg.OneOf([None, dg.RealESRGANDegradation(scale=4)])
    with pytest.raises(ValueError, match="summing to 1"):
        dg.OneOf([None, dg.JPEGCompression()], [0.5, 0.6])
    with pytest.raises(ValueError, match="Degradation objects or None"):
        dg.OneOf([])


def test_bad_ranges_are_one_value_error():
    with pytest.raises(ValueError, match="quality_range"):
        dg.JPEGCompression((0, 50))
    with pytest.raises(ValueError, match="colours_range"):
        dg.GIFPalette((1, 300))
    with pytest.raises(ValueError, match="kernel_sizes"):
        dg.RandomBlur(kernel_sizes=(6, 20))
    with pytest.raises(ValueError, match="kernel_probabilities"):
        dg.RandomBlur(kernel_probabilities=(1.0, 0.5, 0, 0, 0, 0))
    with pytest.raises(ValueError, match="shape"):
        dg.GaussianNoise()(np.zeros((4, 4)), _rng())


def test_realesrgan_returns_exactly_the_lr_size_on_8_bit_levels():
    hr = _image(64)
    for seed in range(4):
        lr = dg.RealESRGANDegradation(scale=4)(hr, _rng(seed))
        assert lr.shape == (16, 16, 3) and lr.dtype == np.float32
        np.testing.assert_allclose(lr * 255, np.round(lr * 255), atol=1e-4)
    assert dg.RealESRGANDegradation(scale=2)(hr[:, :50], _rng()).shape == (32, 25, 3)


def test_specs_give_fixed_damage_and_bad_specs_one_error():
    lr = _image(32)
    for spec in ("jpeg:40", "gif:64", "gif:64:nodither", "realesrgan:7"):
        damage = dg.parse_degradation(spec)
        out = damage(lr, 2)
        assert out.dtype == np.uint8 and out.shape == lr.shape and not np.array_equal(out, lr)
        np.testing.assert_array_equal(out, damage(lr, 2))
        assert damage.spec == spec
    assert not np.array_equal(dg.parse_degradation("gif:8")(lr), dg.parse_degradation("gif:8:nodither")(lr))
    assert not np.array_equal(dg.parse_degradation("realesrgan:7")(lr, 0), dg.parse_degradation("realesrgan:8")(lr, 0))
    for spec in ("jpeg:abc", "jpeg:0", "jpeg:101", "gif:1", "gif:300", "gif:64:dither", "png:3", "jpeg", ""):
        with pytest.raises(ValueError, match="expected jpeg:Q .*gif:COLOURS:nodither.*realesrgan:SEED"):
            dg.parse_degradation(spec)


def test_dataset_with_a_degradation(image_folder):
    clean = PairedPatchDataset(image_folder, scale=2, patch_size=8, batch_size=3, steps_per_epoch=1, seed=5)
    assert clean.degradation_config is None
    for degradation in (dg.JPEGCompression((20, 20)), dg.RealESRGANDegradation(scale=2)):
        make = lambda: PairedPatchDataset(  # noqa: E731
            image_folder, scale=2, patch_size=8, batch_size=3, steps_per_epoch=1, seed=5, degradation=degradation
        )
        lr, hr = make()[0]
        clean_lr, clean_hr = PairedPatchDataset(
            image_folder, scale=2, patch_size=8, batch_size=3, steps_per_epoch=1, seed=5
        )[0]
        assert lr.shape == clean_lr.shape == (3, 8, 8, 3) and hr.shape == (3, 16, 16, 3)
        np.testing.assert_array_equal(hr, clean_hr)  # the same crops
        assert not np.array_equal(lr, clean_lr)
        again = make()
        np.testing.assert_array_equal(again[0][0], lr)
        assert again.degradation_config == dg.degradation_to_config(degradation)
    with pytest.raises(ValueError, match="downscales by 4"):
        PairedPatchDataset(image_folder, scale=2, patch_size=8, degradation=dg.RealESRGANDegradation(scale=4))
    with pytest.raises(ValueError, match="must be a Degradation"):
        PairedPatchDataset(image_folder, scale=2, patch_size=8, degradation=lambda x, rng: x)


class _Mean(dg.Degradation):
    """Replaces an image by its mean: damage that depends on everything it sees."""

    def apply(self, image, rng):
        return np.full_like(image, image.mean())

    def get_config(self):
        return {}


class _Unchanged(dg.Degradation):
    def apply(self, image, rng):
        return image

    def get_config(self):
        return {}


def test_degradation_context_damages_a_larger_square_around_the_patch(image_folder):
    make = lambda degradation, context: PairedPatchDataset(  # noqa: E731
        image_folder, scale=2, patch_size=8, batch_size=6, steps_per_epoch=1, seed=3,
        degradation=degradation, degradation_context=context,
    )
    # The LR patch and its HR window line up: inside the bicubic kernel's
    # reach of the patch border, the LR cut from the context is the bicubic
    # LR of the HR window.
    lr, hr = make(_Unchanged(), 24)[0]
    assert lr.shape == (6, 8, 8, 3) and hr.shape == (6, 16, 16, 3)
    for i in range(6):
        expected = imresize(np.round(hr[i] * 255).astype(np.uint8), 0.5)[2:-2, 2:-2]
        assert np.abs(np.round(lr[i] * 255)[2:-2, 2:-2] - expected).max() <= 1
    # Whole-picture damage sees the context: each patch is the mean of its
    # 24x24 LR context, not of its own 8x8 LR (which it is without a context).
    own_mean = lambda hr: make(None, None).downscale(hr).mean(axis=(1, 2, 3))  # noqa: E731
    lr, hr = make(_Mean(), None)[0]
    np.testing.assert_allclose(lr.mean(axis=(1, 2, 3)), own_mean(hr), atol=1 / 255)
    lr, hr = make(_Mean(), 24)[0]
    assert np.all(lr == lr[:, :1, :1, :1])
    assert np.abs(lr.mean(axis=(1, 2, 3)) - own_mean(hr)).max() > 5 / 255
    # Images smaller than the context give their largest square.
    big = make(_Unchanged(), 64)
    assert all(x.shape == (6, 8, 8, 3) or x.shape == (6, 16, 16, 3) for x in big[0])
    with pytest.raises(ValueError, match="at least `patch_size`"):
        make(_Unchanged(), 4)
