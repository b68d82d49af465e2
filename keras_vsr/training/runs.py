"""A training run: its options, its folder, resumable fitting, and the facts
its model card states.

Every recipe takes the same run options (`add_run_arguments`) and goes
through the same steps with a `Run`:

    run = Run(args)                  # threads, seed, --distribute, the run folder, args.json
    run.fit(task, dataset)           # resumable, until --steps, --max-minutes or --deadline
    run.save(backbone)               # the preset folder
    run.write_card(backbone, facts, optimizer_text, description=..., ...)

With `--distribute` the run is data-parallel (`keras_vsr.training.distribute`):
`--batch` is the global batch, and only process 0 writes the run folder,
the preset and its card.
"""

import datetime
import json
import os
import platform
import shutil
import warnings
from pathlib import Path

from keras_vsr.evaluation.data_root import add_data_root_argument
from keras_vsr.training import distribute
from keras_vsr.utils.atomic_files import write_folder_atomic

# The run's log, copied into the preset folder by `Run.save`.
TRAINING_LOG = "training_log.csv"


def parse_deadline(text):
    """A deadline as Unix seconds: 'HH:MM' (UTC; today, or tomorrow when
    already past) or a number of Unix seconds.

    Raises:
        ValueError: for any other text.
    """
    try:
        return float(text)
    except ValueError:
        pass
    try:
        hours, minutes = map(int, text.split(":"))
        now = datetime.datetime.now(datetime.timezone.utc)
        deadline = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    except ValueError:
        raise ValueError(f"a deadline is HH:MM (UTC) or Unix seconds. Received: {text!r}") from None
    if deadline <= now:
        deadline += datetime.timedelta(days=1)
    return deadline.timestamp()


def add_run_arguments(parser, *, steps, steps_per_epoch, lr, batch, threads=1, lr_help="learning rate"):
    """Add the options every recipe takes, with the recipe's defaults:
    `--data-root`, `--batch`, `--steps`, `--steps-per-epoch`, `--lr`,
    `--max-minutes`, `--deadline`, `--threads`, `--seed`, `--run-dir`,
    `--preset-dir`, `--name`, `--note`, `--distribute` and `--scale-lr`."""
    add_data_root_argument(parser)
    parser.add_argument("--batch", type=int, default=batch, help=f"training batch size (default {batch})")
    parser.add_argument("--steps", type=int, default=steps, help=f"training steps planned (default {steps})")
    parser.add_argument(
        "--steps-per-epoch", type=int, default=steps_per_epoch,
        help=f"steps between checkpoints, log lines and validations (default {steps_per_epoch})",
    )
    parser.add_argument("--lr", type=float, default=lr, help=f"{lr_help} (default {lr})")
    parser.add_argument(
        "--max-minutes", type=float, default=None,
        help="training-time budget over all resumed sessions: stop after the epoch that spends it",
    )
    parser.add_argument(
        "--deadline", type=parse_deadline, default=None,
        help="HH:MM (UTC) or Unix seconds: stop after the batch during which that time passes",
    )
    parser.add_argument(
        "--threads", type=int, default=threads, help=f"CPU threads, 0 for the backend's default (default {threads})"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--run-dir", required=True, help="run folder: arguments, checkpoint, log; resumed when run again"
    )
    parser.add_argument("--preset-dir", default=None, help="where the preset is written (default: <run-dir>/preset)")
    parser.add_argument("--name", default=None, help="preset name for the model card (default: the preset folder's)")
    parser.add_argument("--note", default=None, help="a remark about the run for the model card")
    distribute.add_arguments(parser)


def dataset_options(args):
    """The keyword arguments every recipe's training dataset takes from the
    run options: `batch_size`, `steps_per_epoch` and `seed`."""
    return {"batch_size": args.batch, "steps_per_epoch": args.steps_per_epoch, "seed": args.seed}


def limit_cpu_threads(threads):
    """Run the backend's CPU kernels on `threads` threads (0 or None: default).

    Call it before the first model runs (TensorFlow's counts cannot change
    afterwards: a warning says so). Sets `OMP_NUM_THREADS` and
    TensorFlow's thread variables (unless already set) for libraries that
    read them later, and the TensorFlow or PyTorch thread counts directly.
    """
    if not threads:
        return
    import keras

    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(var, str(threads))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow has run already in this process; its counts are fixed
            warnings.warn(f"TensorFlow is already running; its thread counts stay as they are, not {threads}")
    elif keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(threads)


def cosine_adam(args, alpha=0.01, **adam_kwargs):
    """Adam with cosine decay from `--lr` to `alpha * --lr` over `--steps`,
    and the sentence that states it on the model card."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=alpha)
    text = f"Adam, cosine decay from {args.lr} to {args.lr * alpha:g} over {args.steps} steps"
    return keras.optimizers.Adam(schedule, **adam_kwargs), text


def fit_in_run(task, data, args, run_dir, callbacks=(), validation_data=None, optimizer=None):
    """Fit a compiled `task` on `data`, resumable from `run_dir`.

    Training runs `ceil(--steps / --steps-per-epoch)` epochs and stops early
    at the `--max-minutes` budget (counted over every session of the run)
    or the `--deadline`. The checkpoint (`<run-dir>/backup`) is kept, so a
    finished run started again trains no further; a run whose budget is
    spent only restores its last checkpoint.

    In data-parallel training (`distribute.start`) the task and `data` are
    readied for this process (`distribute.prepare`); processes other than
    rank 0 restore the checkpoint but write nothing, and all processes stop
    together.

    Args:
        task: a compiled Keras model.
        data: the training data (a `keras.utils.PyDataset`).
        args: the parsed run options (`add_run_arguments`).
        run_dir: the run folder (`Run.dir`).
        callbacks: further callbacks (e.g. a `SetValidation`).
        validation_data: optional data for `fit`'s validation.
        optimizer: the optimizer whose step count is the run's (default
            `task.optimizer`).

    Returns:
        `(steps_done, stopped_by_deadline, wall_seconds)`.
    """
    import keras

    from keras_vsr.training.callbacks import Deadline, WallClock

    distribute.prepare(task, data)
    backup, last = distribute.fit_callbacks(run_dir / "backup")
    clock = WallClock(run_dir / "wall_seconds.txt", args.max_minutes and args.max_minutes * 60)
    deadline = Deadline(args.deadline)
    log = run_dir / "log.csv"
    writer = distribute.is_writer()
    timing = [clock] if writer else []  # the writer's clock decides the budget for all
    logging = [keras.callbacks.CSVLogger(str(log), append=True)] if writer else []
    if clock.exhausted:
        print(f"{run_dir}: the training-time budget is spent; restoring the last checkpoint", flush=True)
        backup.set_model(task)
        backup.on_train_begin()
    else:
        task.fit(
            data,
            validation_data=validation_data,
            epochs=-(-args.steps // args.steps_per_epoch),
            callbacks=[backup, *timing, deadline, *callbacks, *logging, *last],
            verbose=2 if writer else 0,
        )
    steps_done = int(keras.ops.convert_to_numpy((optimizer or task.optimizer).iterations))
    print(f"{steps_done} steps trained; stopped by the deadline: {deadline.stopped}", flush=True)
    return steps_done, deadline.stopped, clock.total


def preset_files():
    """The names of what a run writes into its preset folder (`Run.save`,
    `Run.write_card`); `Run.save` replaces these and keeps every other
    file of the folder."""
    from keras_vsr.presets.registry import CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE

    return CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE, "README.md", TRAINING_LOG


def check_preset_dir(folder):
    """Refuse a preset destination that saving would damage: a file, or a
    non-empty folder that is not a keras-vsr preset (no `config.json` and
    `metadata.json`). A missing or empty folder, or an earlier preset, is
    fine.

    Raises:
        ValueError: naming the folder and what to do.
    """
    from keras_vsr.presets.registry import CONFIG_FILE, METADATA_FILE

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--preset-dir {folder} is a file; give a folder for the preset.")
    if folder.is_dir() and any(folder.iterdir()):
        if not all((folder / name).is_file() for name in (CONFIG_FILE, METADATA_FILE)):
            raise ValueError(
                f"--preset-dir {folder} is a non-empty folder that is not a keras-vsr preset (no {CONFIG_FILE} "
                f"and {METADATA_FILE}); give a new or empty folder, or an earlier preset to replace."
            )


def _keep_other_files(preset_dir, new_folder):
    """Hard-link (or copy) into `new_folder` every entry of `preset_dir`
    that is not one of the preset's own files (`preset_files()`, or a name
    the new preset has); symbolic links stay links."""
    if not preset_dir.is_dir():
        return
    own = preset_files()
    for entry in preset_dir.iterdir():
        target = new_folder / entry.name
        if entry.name in own or os.path.lexists(target):
            continue
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(src, dst)
    return dst


def _accelerator():
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU"))
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    import jax

    return jax.default_backend() == "gpu"


def training_facts(args, steps_done, stopped, wall_seconds, optimizer):
    """The facts every model card states, after the recipe's own.

    Args:
        args: the parsed run options.
        steps_done: int, the steps trained over all sessions.
        stopped: bool, whether the deadline stopped training.
        wall_seconds: float, the training time over all sessions.
        optimizer: str, the optimizer and its schedule (`cosine_adam`).
    """
    import keras

    steps = f"{steps_done} of {args.steps} planned"
    if stopped:
        steps += " (stopped at the deadline)"
    threads = f"{args.threads} CPU thread(s)" if args.threads else "the backend's CPU threads"
    facts = {
        "steps": steps,
        "batch_size": args.batch,
        **distributed_facts(args),
        "optimizer": optimizer,
        "model selection": "the weights after the last step",
        "wall_seconds": round(wall_seconds),
        "hardware": f"{os.cpu_count()} CPU cores ({platform.machine()}), {threads}, "
        + ("a GPU" if _accelerator() else "no GPU"),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }
    if args.note:
        facts["note"] = args.note
    return facts


def distributed_facts(args):
    """The card's facts on data-parallel training: `{}` without
    `--distribute`, else the engine, the replicas and processes, and
    whether the learning rates were scaled."""
    if not args.distribute:
        return {}
    from keras_vsr.trainers.distributed import topology

    topo = topology()
    return {
        "data parallel": f"{topo.engine}, {topo.replicas} replica(s) in {topo.process_count} process(es), "
        f"global batch {args.batch}"
        + (f", learning rates scaled by {topo.replicas}" if args.scale_lr else ""),
    }


class Run:
    """One training run of a recipe, in its run folder (`--run-dir`).

    Creating it limits the CPU threads, starts data-parallel training
    (`--distribute`: the engine, the check of the global batch, and with
    `--scale-lr` the learning rates multiplied by the replicas), seeds every
    random generator, creates the run folder and keeps the options in
    `<run-dir>/args.json`. Only the writing process (`distribute.is_writer`,
    rank 0) creates or writes anything; `save` and `write_card` do nothing
    in the others.

    Args:
        args: the parsed run options (`add_run_arguments`).

    Attributes:
        dir: the run folder, a Path.
        preset_dir: where `save` writes the preset (`--preset-dir`, default
            `<run-dir>/preset`).
        name: the preset's name on its card (`--name`, default the preset
            folder's name).
        steps, stopped, wall_seconds: what `fit` did (steps over every
            session, whether the deadline stopped it, training seconds).
    """

    def __init__(self, args):
        import keras

        self.args = args
        if args.scale_lr and not args.distribute:
            raise ValueError("--scale-lr scales the learning rates by the replicas of --distribute; add --distribute.")
        limit_cpu_threads(args.threads)
        if args.distribute:
            topo = distribute.start(args.batch)
            print(
                f"data parallel: {topo.engine}, {topo.replicas} replica(s), process {topo.process_index} "
                f"of {topo.process_count}, global batch {args.batch}",
                flush=True,
            )
            if args.scale_lr:
                for name, (old, new) in distribute.scale_learning_rates(args, topo.replicas).items():
                    print(f"--scale-lr: {name} {old:g} x {topo.replicas} replicas = {new:g}", flush=True)
        keras.utils.set_random_seed(args.seed)
        self.dir = Path(args.run_dir)
        self.preset_dir = Path(args.preset_dir or self.dir / "preset")
        self.writer = distribute.is_writer()
        if self.writer:
            check_preset_dir(self.preset_dir)  # before training, not after it
            self.dir.mkdir(parents=True, exist_ok=True)
            options = {k: v for k, v in vars(args).items() if not callable(v)}
            (self.dir / "args.json").write_text(json.dumps(options, indent=2, default=str))
        self.name = args.name or self.preset_dir.name
        self.steps, self.stopped, self.wall_seconds = 0, False, 0.0

    def fit(self, task, data, callbacks=(), validation_data=None, optimizer=None):
        """`fit_in_run` in this run's folder; returns `self.steps`."""
        self.steps, self.stopped, self.wall_seconds = fit_in_run(
            task, data, self.args, self.dir, callbacks, validation_data, optimizer
        )
        return self.steps

    def save(self, model):
        """Save `model` (`save_to_preset`) to the preset folder, with the
        run's log as `training_log.csv` (in the writing process only).

        The new preset is written into a temporary folder beside the preset
        folder and swapped with it (`write_folder_atomic`), so a killed run
        leaves the previous preset or the new one, never half of one. Files
        of the folder that are not the preset's own (`preset_files()`) are
        kept: they are hard-linked (copied where links are not possible)
        into the new folder before the swap.

        Raises:
            ValueError: when the preset folder is a file, or a non-empty
                folder that is not a keras-vsr preset (`check_preset_dir`).
        """
        if not self.writer:
            return
        check_preset_dir(self.preset_dir)

        def write(folder):
            model.save_to_preset(folder)
            log = self.dir / "log.csv"
            if log.exists():
                shutil.copyfile(log, Path(folder) / TRAINING_LOG)
            _keep_other_files(self.preset_dir, Path(folder))

        write_folder_atomic(self.preset_dir, write)

    def write_card(self, backbone, facts, optimizer, **sections):
        """Write the preset's `metadata.json` facts and model card.

        Args:
            backbone: the saved backbone.
            facts: dict, the recipe's training facts (data, loss, ...); they
                come first on the card, and replace a run fact of the same
                name (e.g. "model selection").
            optimizer: str, the optimizer and its schedule (`cosine_adam`).
            **sections: the other arguments of `write_model_card`
                (`description`, `usage`, `evaluation`, `licences`, ...).
        """
        from keras_vsr.training.model_card import write_model_card

        if not self.writer:
            return
        run_facts = training_facts(self.args, self.steps, self.stopped, self.wall_seconds, optimizer)
        training = {**facts, **{k: v for k, v in run_facts.items() if k not in facts}}
        write_model_card(self.preset_dir, self.name, backbone, training=training, **sections)
        print(f"wrote preset {self.preset_dir}")
