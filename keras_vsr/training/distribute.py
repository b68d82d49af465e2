"""Data-parallel training: the same recipe on one device, several devices
or several machines, on each backend's own engine.

    keras-vsr train srresnet ... --distribute                     # TF / JAX: every local device
    torchrun --nproc-per-node 2 keras-vsr train srresnet ... --distribute   # PyTorch

`Run` (keras_vsr.training.runs) calls `start` and `prepare` for every
recipe given `--distribute`; in Python:

    from keras_vsr.training import distribute

    topology = distribute.start(batch_size=16)   # before any model exists
    task = ...                                    # build and compile as usual
    distribute.prepare(task, dataset)             # after compile
    task.fit(dataset)

`batch_size` is always the global batch; each process reads its own share
(`RandomBatchDataset.use_shard`), only process 0 writes files
(`is_writer`), and an interrupted run resumes from its checkpoint on any
number of replicas. The engines and what each does are described in
`keras_vsr.trainers.distributed`.

Several machines take the engines' own settings (torchrun's flags,
`KERAS_DISTRIBUTION_*`, `TF_CONFIG`); `slurm_settings` derives them from a
SLURM job's variables (`keras-vsr slurm-env ENGINE`; templates in
`tools/slurm/`).
"""

import json
import os
import re

ENGINES = ("torch", "jax", "tensorflow")
DEFAULT_PORT = 29500


def add_arguments(parser):
    """`--distribute` and `--scale-lr`, the run options of data-parallel training."""
    parser.add_argument(
        "--distribute", action="store_true",
        help="train data-parallel on the backend's engine (TF MirroredStrategy / MultiWorkerMirroredStrategy "
        "with TF_CONFIG, JAX DataParallel, torch DDP under torchrun); --batch is the global batch",
    )
    parser.add_argument(
        "--scale-lr", action="store_true",
        help="with --distribute: multiply the learning rates (--lr and the recipe's other *-lr options) by the "
        "number of replicas (the linear scaling rule, for a --batch raised with the replicas)",
    )


def check_batch(batch_size, replicas):
    """Raise a ValueError unless the global `batch_size` splits evenly over `replicas`."""
    if batch_size % replicas:
        raise ValueError(
            f"The global batch ({batch_size}) must be divisible by the {replicas} replicas; "
            f"use a multiple of {replicas}."
        )


def start(batch_size=None):
    """Start data-parallel training on the current backend's engine (once
    per process, before any model exists) and check the global batch.

    Args:
        batch_size: optional int, the global batch to check.

    Returns:
        The `keras_vsr.trainers.distributed.Topology`.

    Raises:
        ValueError: the engine cannot run here, or `batch_size` does not
            divide over the replicas.
    """
    from keras_vsr.trainers.distributed import start as start_engine

    topo = start_engine()
    if batch_size is not None:
        check_batch(batch_size, topo.replicas)
    return topo


def is_writer():
    """True in the process that writes the run's files (rank 0, and any
    process outside data-parallel training)."""
    from keras_vsr.trainers.distributed import topology

    return topology().process_index == 0


def scale_learning_rates(args, replicas):
    """Multiply `args.lr` and every other `args.*_lr` by `replicas`, in
    place. Returns `{name: (old, new)}`."""
    changed = {}
    for name, value in vars(args).items():
        if (name == "lr" or name.endswith("_lr")) and isinstance(value, float):
            changed[name] = (value, value * replicas)
            setattr(args, name, value * replicas)
    return changed


def prepare(task, dataset=None):
    """Ready a compiled `task` and its training `dataset` for this process.

    The dataset (a `keras_vsr.data.RandomBatchDataset`) serves this
    process's share of each global batch; on PyTorch the task's optimizer
    averages the gradients over the processes (the GAN tasks average their
    own in their train step). Nothing changes outside data-parallel
    training.

    Raises:
        ValueError: when several processes share the run and `dataset` is
            not a `RandomBatchDataset`.
    """
    from keras_vsr.data.sampling import RandomBatchDataset
    from keras_vsr.trainers.distributed import all_reduce_before_apply, topology

    topo = topology()
    if dataset is not None and topo.process_count > 1:
        if not isinstance(dataset, RandomBatchDataset):
            raise ValueError(
                f"Data-parallel training over {topo.process_count} processes shards a RandomBatchDataset. "
                f"Received: {type(dataset).__name__}"
            )
        dataset.use_shard(topo.process_index, topo.process_count)
    all_reduce_before_apply(task.optimizer)
    return task


def fit_callbacks(backup_dir):
    """`(backup, last)`: the callbacks of a process in a (possibly)
    data-parallel `fit`.

    `backup` is a `keras_vsr.training.callbacks.TrainingCheckpoint` in
    `backup_dir` (atomic checkpoints, the newest intact one restored; on
    processes other than rank 0 one that restores but never writes), to go
    first; `last`, to go after every callback that may stop training, is
    `[]` in one process, and with several a callback that stops them all as
    soon as any one stops (deadline, time budget)."""
    import keras

    from keras_vsr.trainers.distributed import any_process, topology
    from keras_vsr.training.callbacks import TrainingCheckpoint

    class StopTogether(keras.callbacks.Callback):
        """Stops every process when any one asks to stop."""

        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = any_process(self.model.stop_training)

        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = any_process(self.model.stop_training)

    topo = topology()
    several = topo.process_count > 1 or topo.engine == "MultiWorkerMirroredStrategy"
    last = [StopTogether()] if several else []
    return TrainingCheckpoint(backup_dir, write=is_writer()), last


# ------------------------------------------------------------------ SLURM
def expand_hostlist(text):
    """SLURM's compressed host list as names: 'gpu[01-03,07],login' ->
    ['gpu01', 'gpu02', 'gpu03', 'gpu07', 'login'] (one bracket per name).

    Raises:
        ValueError: for text that is not a host list.
    """
    hosts = []
    for item in re.findall(r"[^,\[]*(?:\[[^\]]*\])?[^,]*", text):
        if not item:
            continue
        match = re.fullmatch(r"([^\[\],]+)(?:\[([\d,-]+)\]([^\[\],]*))?", item)
        if match is None:
            raise ValueError(f"Not a SLURM host list: {text!r}")
        prefix, ranges, suffix = match.groups()
        if ranges is None:
            hosts.append(prefix)
            continue
        for part in ranges.split(","):
            low, _, high = part.partition("-")
            if not low.isdigit() or not (high or low).isdigit() or int(high or low) < int(low):
                raise ValueError(f"Not a SLURM host list: {text!r}")
            hosts += [f"{prefix}{n:0{len(low)}d}{suffix}" for n in range(int(low), int(high or low) + 1)]
    if not hosts:
        raise ValueError(f"Not a SLURM host list: {text!r}")
    return hosts


def slurm_settings(engine, environ=None, port=DEFAULT_PORT):
    """The engine's own settings for a SLURM job step, from SLURM's variables.

    One task per node for `torch` (each runs `torchrun` for its node's
    devices) and `tensorflow` (one worker per node); one task per process
    for `jax` (`--ntasks-per-node` = devices per node on GPUs, or one per
    node).

    Args:
        engine: "torch", "jax" or "tensorflow".
        environ: mapping of the variables (default `os.environ`): it must
            hold `SLURM_PROCID`, `SLURM_NTASKS` and `SLURM_JOB_NODELIST`
            (or `SLURM_NODELIST`).
        port: int, the coordinator's port on the first node. Default 29500.

    Returns:
        `{variable: value}` to export:
        - torch: `MASTER_ADDR`, `MASTER_PORT`, `NNODES`, `NODE_RANK`
          (torchrun's `--master-addr`, `--master-port`, `--nnodes`,
          `--node-rank`);
        - jax: `KERAS_DISTRIBUTION_JOB_ADDRESSES` (the coordinator),
          `KERAS_DISTRIBUTION_NUM_PROCESSES`, `KERAS_DISTRIBUTION_PROCESS_ID`;
        - tensorflow: `TF_CONFIG`, one worker per node.

    Raises:
        ValueError: for another engine, a missing or malformed variable, or
            a task count that does not fit the node list.
    """
    environ = os.environ if environ is None else environ
    if engine not in ENGINES:
        raise ValueError(f"`engine` must be one of {', '.join(ENGINES)}. Received: {engine!r}")
    nodelist = environ.get("SLURM_JOB_NODELIST") or environ.get("SLURM_NODELIST")
    missing = [n for n in ("SLURM_PROCID", "SLURM_NTASKS") if n not in environ] + ([] if nodelist else ["SLURM_JOB_NODELIST"])
    if missing:
        raise ValueError(f"Not inside a SLURM job step: {', '.join(missing)} not set.")
    try:
        rank, tasks = int(environ["SLURM_PROCID"]), int(environ["SLURM_NTASKS"])
    except ValueError:
        raise ValueError("SLURM_PROCID and SLURM_NTASKS must be integers.") from None
    if not 0 <= rank < tasks:
        raise ValueError(f"SLURM_PROCID={rank} is not below SLURM_NTASKS={tasks}.")
    hosts = expand_hostlist(nodelist)
    coordinator = f"{hosts[0]}:{port}"
    if engine == "jax":
        return {
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": coordinator,
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(tasks),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(rank),
        }
    if tasks != len(hosts):
        raise ValueError(
            f"{engine} takes one SLURM task per node (srun --ntasks-per-node=1): "
            f"{tasks} tasks on {len(hosts)} nodes."
        )
    if engine == "torch":
        return {"MASTER_ADDR": hosts[0], "MASTER_PORT": str(port), "NNODES": str(tasks), "NODE_RANK": str(rank)}
    cluster = {"worker": [f"{host}:{port}" for host in hosts]}
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": rank}})}
