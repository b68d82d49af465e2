"""Callbacks of a training run: wall-clock budget, deadline and validation."""

import time
from pathlib import Path

import keras


class WallClock(keras.callbacks.Callback):
    """Adds cumulative training seconds, across resumed runs, to the logs.

    Args:
        path: file holding the running total; read at start, rewritten after
            every epoch.
        max_seconds: optional budget: `fit` stops after the epoch that
            brings the total to `max_seconds` or beyond. Default None.
    """

    def __init__(self, path, max_seconds=None):
        super().__init__()
        self.path = Path(path)
        self.max_seconds = max_seconds
        self.total = float(self.path.read_text()) if self.path.exists() else 0.0

    @property
    def exhausted(self):
        """True when the budget is already spent (nothing left to train)."""
        return bool(self.max_seconds) and self.total >= self.max_seconds

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.total += time.time() - self.start
        self.path.write_text(str(self.total))
        if logs is not None:
            logs["wall_seconds"] = self.total
        if self.exhausted:
            print(f"stopping: {self.total:.0f} s of training reached the budget", flush=True)
            self.model.stop_training = True


class Deadline(keras.callbacks.Callback):
    """Stops `fit` after the batch during which a wall-clock deadline passes.

    Args:
        deadline: Unix time in seconds (see `keras_vsr.training.runs.parse_deadline`),
            or None for no deadline.

    Attributes:
        stopped: True once the deadline has stopped training.
    """

    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline
        self.stopped = False

    def on_train_batch_end(self, batch, logs=None):
        if self.deadline is not None and time.time() >= self.deadline:
            self.model.stop_training = True
            self.stopped = True


class SetValidation(keras.callbacks.Callback):
    """Logs figures measured on a validation set at the end of each epoch.

    Args:
        evaluate: callable `() -> result`, a `keras_vsr.evaluation` result
            (a dict with `mean`), e.g.
            `lambda: evaluate_sr(task.upscale, set5_folder, 4)`.
        logs: dict `{log name: figure}`, e.g. `{"val_set5_psnr": "psnr"}`:
            each epoch's logs (and so `log.csv`) get `mean[figure]` under
            the log name.
    """

    def __init__(self, evaluate, logs):
        super().__init__()
        self.evaluate, self.names = evaluate, dict(logs)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            mean = self.evaluate()["mean"]
            logs.update({name: mean[figure] for name, figure in self.names.items()})
