"""Callbacks and settings shared by the training recipes in `tools/`."""

import os
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


class StopAt(keras.callbacks.Callback):
    """Stops `fit` after the epoch during which a wall-clock deadline passes.

    Args:
        deadline: Unix time in seconds, or None for no deadline.
    """

    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline

    def on_epoch_end(self, epoch, logs=None):
        if self.deadline and time.time() > self.deadline:
            self.model.stop_training = True


def limit_cpu_threads(threads):
    """Run the backend's CPU kernels on `threads` threads (0 or None: default).

    Call it before the first model runs. Sets `OMP_NUM_THREADS` and
    TensorFlow's thread variables (unless already set) for libraries that
    read them later, and the TensorFlow or PyTorch thread counts directly.
    """
    if not threads:
        return
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(var, str(threads))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    elif keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(threads)
