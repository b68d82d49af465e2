import numpy as np
import pytest

import keras
from keras_vsr.training.callbacks import WallClock


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


def test_deadline_stops_after_the_batch_during_which_it_passes():
    import time

    from keras_vsr.training.callbacks import Deadline

    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    passed = Deadline(time.time() - 1)
    history = _model().fit(x, y, batch_size=2, epochs=3, callbacks=[passed], verbose=0)
    assert passed.stopped and len(history.history["loss"]) == 1
    future = Deadline(time.time() + 3600)
    history = _model().fit(x, y, batch_size=2, epochs=3, callbacks=[future, Deadline(None)], verbose=0)
    assert not future.stopped and len(history.history["loss"]) == 3


def test_set_validation_logs_the_named_figures_each_epoch():
    from keras_vsr.training.callbacks import SetValidation

    calls = []

    def evaluate():
        calls.append(1)
        return {"rows": [], "mean": {"psnr": 30.0 + len(calls), "ssim": 0.5}}

    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    history = _model().fit(x, y, epochs=2, callbacks=[SetValidation(evaluate, {"val_set_psnr": "psnr"})], verbose=0)
    assert history.history["val_set_psnr"] == [31.0, 32.0] and "ssim" not in history.history


def test_parse_deadline_takes_unix_seconds_or_the_next_utc_clock_time():
    import datetime
    import time

    from keras_vsr.training.runs import parse_deadline

    assert parse_deadline("1700000000.5") == 1700000000.5
    deadline = parse_deadline("03:58")
    assert time.time() < deadline <= time.time() + 24 * 3600
    moment = datetime.datetime.fromtimestamp(deadline, datetime.timezone.utc)
    assert (moment.hour, moment.minute, moment.second) == (3, 58, 0)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_deadline("soon")


def _run_args(tmp_path, **options):
    import argparse

    from keras_vsr.training.runs import add_run_arguments

    parser = argparse.ArgumentParser()
    add_run_arguments(parser, steps=4, steps_per_epoch=2, lr=1e-2, batch=2, threads=0)
    argv = ["--run-dir", str(tmp_path / "run")]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    args = parser.parse_args(argv)
    args.run = print  # callables (the recipe's `run`) stay out of args.json
    return args


class Ones(keras.utils.PyDataset):
    """`steps` batches of ones: inputs `(2, 2)`, targets `(2, 1)`."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        return np.ones((2, 2), "float32"), np.ones((2, 1), "float32")


def test_run_fits_resumably_until_the_planned_steps(tmp_path):
    import json

    from keras_vsr.training.runs import Run

    args = _run_args(tmp_path)
    run = Run(args)
    options = json.loads((run.dir / "args.json").read_text())
    assert options["steps"] == 4 and "run" not in options
    assert run.preset_dir == run.dir / "preset" and run.name == "preset"
    model = _model()
    assert run.fit(model, Ones(2)) == 4  # ceil(4 / 2) epochs of 2 steps
    assert len((run.dir / "log.csv").read_text().splitlines()) == 3 and not run.stopped and run.wall_seconds > 0
    assert (run.dir / "backup").is_dir()  # the checkpoint is kept

    again = _model()
    assert Run(args).fit(again, Ones(2)) == 4  # a finished run restores its state and trains no further
    np.testing.assert_allclose(again.get_weights()[0], model.get_weights()[0])
    assert len((run.dir / "log.csv").read_text().splitlines()) == 3


def test_a_spent_budget_restores_the_last_checkpoint_only(tmp_path):
    from keras_vsr.training.runs import Run

    args = _run_args(tmp_path, max_minutes=1e-9)
    model = _model()
    assert Run(args).fit(model, Ones(2)) == 2  # one epoch spends the budget
    resumed = _model()
    assert Run(args).fit(resumed, Ones(2)) == 2
    np.testing.assert_allclose(resumed.get_weights()[0], model.get_weights()[0])


def test_write_card_puts_the_recipe_facts_first_and_keeps_its_overrides(tmp_path):
    import json

    from keras_vsr.models import SRResNetBackbone
    from keras_vsr.training.runs import Run

    run = Run(_run_args(tmp_path, note="tiny run", name="tiny_x2"))
    backbone = SRResNetBackbone(scale=2, num_blocks=1, filters=4, use_batch_norm=False)
    run.save(backbone)
    run.write_card(
        backbone,
        {"data": "three images", "model selection": "the EMA weights"},
        "Adam, constant",
        description="A tiny model.",
        usage="import keras_vsr",
        evaluation="| set | PSNR |",
        licences="Public domain.",
        tags=("super-resolution",),
        metrics={"Set5": {"psnr": 30.0}},
        metadata={"scale": 2},
    )
    metadata = json.loads((run.preset_dir / "metadata.json").read_text())
    assert metadata["scale"] == 2 and metadata["metrics"] == {"Set5": {"psnr": 30.0}}
    assert metadata["parameter_count"] == backbone.count_params() and metadata["description"] == "A tiny model."
    training = metadata["training"]
    assert list(training)[:2] == ["data", "model selection"] and training["model selection"] == "the EMA weights"
    assert training["steps"] == "0 of 4 planned" and training["optimizer"] == "Adam, constant"
    assert training["note"] == "tiny run" and training["backend"] == keras.backend.backend()
    card = (run.preset_dir / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: keras-hub\ntags: [keras-vsr, super-resolution]\n---\n# tiny_x2\n")
    assert "`SRResNetBackbone(scale=2, num_blocks=1, filters=4" in card
    assert f"{backbone.count_params():,} parameters" in card
    assert "## Evaluation\n\n| set | PSNR |" in card and "| data | three images |" in card

    run.write_card(backbone, {}, "Adam", description="d", usage="u", evaluation="figures", licences="l")
    assert "Not measured" in (run.preset_dir / "README.md").read_text()
