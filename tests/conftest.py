"""Pytest fixtures shared by the suite; the helper functions are in `tests.support`."""

import numpy as np
import pytest

from tests.support import tiny_srresnet


@pytest.fixture(scope="session")
def tiny_preset(tmp_path_factory):
    """A saved x4 SRResNet preset small enough for fast tests (`tests.support.tiny_srresnet`)."""
    backbone = tiny_srresnet(num_blocks=1, seed=1)
    path = tmp_path_factory.mktemp("presets") / "tiny_x4"
    backbone.save_to_preset(str(path))
    return path


@pytest.fixture
def image_folder(tmp_path):
    """A folder of three small random-texture PNGs (smooth + noise)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    folder = tmp_path / "images"
    folder.mkdir()
    for i, (h, w) in enumerate([(64, 80), (72, 72), (100, 60)]):
        base = rng.random((h // 8 + 1, w // 8 + 1, 3))
        image = np.kron(base, np.ones((8, 8, 1)))[:h, :w] * 200 + rng.random((h, w, 3)) * 55
        Image.fromarray(image.astype(np.uint8)).save(folder / f"img{i}.png")
    return folder
