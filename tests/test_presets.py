import json
import shutil

import numpy as np
import pytest

import keras
from tests.support import BACKEND, run_python, to_numpy
from keras_vsr.models import SRBackbone, SRResNetBackbone, SuperResolver
from keras_vsr.models import list_presets
from keras_vsr.utils.serialization import register


@register
class OtherTestBackbone(SRBackbone):
    """A second SR backbone class, to load a preset of the wrong class."""

    def __init__(self, scale=2, **kwargs):
        inputs = keras.Input((None, None, 3))
        outputs = keras.layers.UpSampling2D(scale)(inputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.scale = scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def test_unknown_name_lists_the_available_presets():
    with pytest.raises(ValueError, match=r"Unknown preset 'no_such_preset'.*srresnet_b8f48_291photos_x4"):
        SuperResolver.from_preset("no_such_preset")


def test_folder_without_config_or_weights(tmp_path, tiny_preset):
    with pytest.raises(ValueError, match="has no config.json"):
        SRResNetBackbone.from_preset(str(tmp_path))
    folder = tmp_path / "noweights"
    shutil.copytree(tiny_preset, folder)
    (folder / "model.weights.h5").unlink()
    with pytest.raises(ValueError, match="has no model.weights.h5"):
        SRResNetBackbone.from_preset(str(folder))
    # Without weights the architecture still builds.
    assert SRResNetBackbone.from_preset(str(folder), load_weights=False).scale == 4


def test_corrupt_weights_file(tmp_path, tiny_preset):
    folder = tmp_path / "corrupt"
    shutil.copytree(tiny_preset, folder)
    data = (folder / "model.weights.h5").read_bytes()
    (folder / "model.weights.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="corrupt"):
        SuperResolver.from_preset(str(folder))


def test_config_of_another_class(tiny_preset):
    with pytest.raises(ValueError, match="SRResNetBackbone.*not a subclass.*OtherTestBackbone"):
        OtherTestBackbone.from_preset(str(tiny_preset))


def test_loading_never_runs_code_from_a_config(tmp_path, tiny_preset):
    # A config that smuggles a Lambda with marshalled bytecode into the
    # backbone: keras safe mode must refuse it, and the code must not run.
    marker = tmp_path / "ran"
    folder = tmp_path / "evil"
    shutil.copytree(tiny_preset, folder)
    fn = eval(f"lambda x: (open({str(marker)!r}, 'w').write('x'), x)[1]")  # noqa: S307
    evil = keras.layers.serialize(keras.layers.Lambda(fn))
    config = json.loads((folder / "config.json").read_text())
    config["config"]["name"] = evil
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(Exception):
        m = SuperResolver.from_preset(str(folder))
        m(np.zeros((1, 4, 4, 3), "float32"))
    assert not marker.exists()


def test_hf_handle_loads_offline_from_the_cache(tmp_path, tiny_preset):
    # Lay out a Hugging Face cache entry by hand and load through hf://.
    repo = tmp_path / "hf" / "hub" / "models--keras-vsr--tiny-test"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(tiny_preset, repo / "snapshots" / commit)
    x = np.random.default_rng(0).random((1, 6, 7, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    expected = to_numpy(SRResNetBackbone.from_preset(str(tiny_preset))(x))
    code = f"""
import numpy as np, keras_vsr
task = keras_vsr.SuperResolver.from_preset("hf://keras-vsr/tiny-test")
np.save({str(tmp_path / 'y.npy')!r}, task.predict_on_batch(np.load({str(tmp_path / 'x.npy')!r})))
"""
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    result = run_python(code, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, atol=1e-5)


def test_builtin_presets_are_listed_with_their_measurements():
    presets = {p["name"]: p for p in list_presets()}
    p = presets["srresnet_b8f48_291photos_x4"]
    assert p["class"] == "SRResNetBackbone" and p["scale"] == 4
    assert p["params"] == SRResNetBackbone.from_preset(p["name"], load_weights=False).count_params()
    set5 = p["metrics"]["Set5"]
    assert set5["psnr"] > set5["bicubic_psnr"]


@pytest.mark.skipif(BACKEND != "tensorflow", reason="compares all three backends once, in the TensorFlow run")
def test_default_preset_gives_the_same_output_on_every_backend(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.random((1, 20, 28, 3)).astype("float32"))
    code = """
import numpy as np, keras_vsr
task = keras_vsr.SuperResolver.from_preset(keras_vsr.DEFAULT_PRESET)
np.save({out!r}, task.predict_on_batch(np.load({inp!r})))
"""
    outputs = {}
    for backend in ("tensorflow", "torch", "jax"):
        out = tmp_path / f"{backend}.npy"
        result = run_python(code.format(out=str(out), inp=str(tmp_path / "x.npy")), backend=backend)
        assert result.returncode == 0, f"{backend}: {result.stderr[-3000:]}"
        outputs[backend] = np.load(out)
    assert outputs["tensorflow"].shape == (1, 80, 112, 3)
    np.testing.assert_allclose(outputs["torch"], outputs["tensorflow"], atol=1e-4)
    np.testing.assert_allclose(outputs["jax"], outputs["tensorflow"], atol=1e-4)
