"""Callbacks of a training run: checkpoints, wall-clock budget, deadline and validation."""

import json
import os
import re
import time
import warnings
from pathlib import Path

import keras

from keras_vsr.io.checkpoints import file_sha256
from keras_vsr.utils.atomic_files import atomic_temporary, replace_with_umask


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


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves the training state after every epoch; restores the newest intact one when `fit` starts.

    Each checkpoint is two files in `folder`: `epoch-NNNNNN.weights.h5`
    (`model.save_weights`: the weights and the optimizer state) and
    `epoch-NNNNNN.json` (the epoch count and the weights' SHA-256). Both are
    written to temporary files and renamed (the JSON last), so a process
    killed while saving leaves the checkpoints before intact; the `keep`
    newest are kept. At the start of `fit`, the newest checkpoint whose
    JSON is readable and whose weights match the SHA-256 and load is
    restored (weights, optimizer and epoch); each one skipped, truncated
    or corrupted, is named in a warning. The `latest.weights.h5` and
    `training_metadata.json` of `keras.callbacks.BackupAndRestore` in the
    folder count as one more checkpoint (without a SHA-256).

    Args:
        folder: str or `pathlib.Path`, the checkpoint folder.
        keep: int >= 1, checkpoints kept. Default 2.
        write: bool, whether this process writes checkpoints (False for the
            processes of data-parallel training other than the first: they
            only restore). Default True.

    Attributes:
        restored: the Path of the weights restored, or None.
    """

    _NAME = re.compile(r"epoch-(\d+)\.json$")

    def __init__(self, folder, keep=2, write=True):
        super().__init__()
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"`keep` must be a positive int. Received: keep={keep!r}")
        self.folder, self.keep, self.write = Path(folder), keep, write
        self.restored = None
        self._epoch = 0

    def _candidates(self):
        """`[(epoch, weights path, sha256 or None)]`, newest first; unreadable
        JSON files are reported and left out."""
        found = []
        if not self.folder.is_dir():
            return found
        for entry in self.folder.iterdir():
            if not self._NAME.match(entry.name):
                continue
            try:
                record = json.loads(entry.read_text())
                found.append((int(record["epoch"]), self.folder / record["weights"], str(record["sha256"])))
            except (OSError, ValueError, KeyError, TypeError) as e:
                warnings.warn(f"{entry}: unreadable checkpoint record, skipped ({type(e).__name__}: {e})")
        legacy = self.folder / "training_metadata.json"
        if legacy.is_file() and (self.folder / "latest.weights.h5").is_file():
            try:
                found.append((int(json.loads(legacy.read_text())["epoch"]), self.folder / "latest.weights.h5", None))
            except (OSError, ValueError, KeyError, TypeError) as e:
                warnings.warn(f"{legacy}: unreadable checkpoint record, skipped ({type(e).__name__}: {e})")
        return sorted(found, key=lambda item: item[0], reverse=True)

    def on_train_begin(self, logs=None):
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        for epoch, weights, sha256 in self._candidates():
            try:
                if sha256 is not None and file_sha256(weights) != sha256:
                    raise ValueError("its SHA-256 does not match the one recorded: the file is corrupted")
                self.model.load_weights(str(weights))
            except (OSError, ValueError, KeyError, RuntimeError) as e:  # h5py's errors for damaged files
                warnings.warn(f"{weights}: checkpoint of epoch {epoch} cannot be restored, skipped ({e})")
                continue
            self.restored, self._epoch = weights, epoch
            self.model._initial_epoch = epoch  # how Keras' own BackupAndRestore resumes `fit`
            return

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        if not self.write:
            return
        name = f"epoch-{self._epoch:06d}"
        weights = self.folder / f"{name}.weights.h5"
        fd, tmp = atomic_temporary(weights, suffix=".weights.h5")
        os.close(fd)
        try:
            self.model.save_weights(str(tmp), overwrite=True)
            record = {"epoch": self._epoch, "weights": weights.name, "sha256": file_sha256(tmp)}
            replace_with_umask(tmp, weights)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        record_path = self.folder / f"{name}.json"
        fd, tmp = atomic_temporary(record_path)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
        replace_with_umask(tmp, record_path)
        kept = {weights for _, weights, _ in self._candidates()[: self.keep]}
        for old in [*self.folder.glob("epoch-*.json"), *self.folder.glob("epoch-*.weights.h5")]:
            if old.with_name(old.name.split(".")[0] + ".weights.h5") not in kept:
                old.unlink(missing_ok=True)
