import numpy as np
import pytest

import keras
from keras_vsr.losses import CharbonnierLoss, L1Loss, MSELoss, get_pixel_loss


def pair():
    rng = np.random.default_rng(0)
    a = rng.random((2, 8, 8, 3)).astype("float32")
    b = rng.random((2, 8, 8, 3)).astype("float32")
    return a, b


def test_l1_and_mse_values():
    a, b = pair()
    assert float(L1Loss()(a, b)) == pytest.approx(np.abs(a - b).mean(), rel=1e-5)
    assert float(MSELoss()(a, b)) == pytest.approx(((a - b) ** 2).mean(), rel=1e-5)


def test_charbonnier_is_smooth_l1():
    a, b = pair()
    loss = CharbonnierLoss(epsilon=1e-3)
    assert float(loss(a, b)) == pytest.approx(np.sqrt((a - b) ** 2 + 1e-6).mean(), rel=1e-5)
    assert float(loss(a, a)) == pytest.approx(1e-3, rel=1e-4)


@pytest.mark.parametrize("cls", [L1Loss, MSELoss, CharbonnierLoss])
def test_losses_serialise(cls):
    loss = cls()
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is cls
    a, b = pair()
    assert float(restored(a, b)) == pytest.approx(float(loss(a, b)))


def test_pixel_losses_by_name():
    assert type(get_pixel_loss("l1")) is L1Loss and type(get_pixel_loss("charbonnier")) is CharbonnierLoss
    custom = MSELoss(name="custom")
    assert get_pixel_loss(custom) is custom
    with pytest.raises(ValueError, match=r"`pixel_loss` must be one of \['charbonnier', 'l1', 'mse'\].*'huber'"):
        get_pixel_loss("huber", "pixel_loss")
