import numpy as np

import keras
from keras_vsr.utils.training import WallClock


def _model():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_wall_clock_logs_the_total_and_stops_at_the_budget(tmp_path):
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    path = tmp_path / "wall_seconds.txt"
    clock = WallClock(path, max_seconds=1e-9)
    assert not clock.exhausted
    history = _model().fit(x, y, epochs=5, callbacks=[clock], verbose=0)
    assert len(history.history["loss"]) == 1  # stopped after the first epoch
    assert history.history["wall_seconds"][0] > 0
    assert float(path.read_text()) == clock.total
    resumed = WallClock(path, max_seconds=1e-9)  # a resumed run reads the total
    assert resumed.total == clock.total and resumed.exhausted


def test_wall_clock_without_budget_runs_every_epoch_and_accumulates(tmp_path):
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    path = tmp_path / "wall_seconds.txt"
    first = WallClock(path)
    _model().fit(x, y, epochs=2, callbacks=[first], verbose=0)
    second = WallClock(path)
    history = _model().fit(x, y, epochs=3, callbacks=[second], verbose=0)
    assert len(history.history["loss"]) == 3
    assert second.total > first.total
    np.testing.assert_allclose(history.history["wall_seconds"][-1], second.total)
