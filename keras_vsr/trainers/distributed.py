"""Data-parallel training on each backend's own engine.

`start()` sets the engine up once per process; everything else asks it
where this process and this replica stand:

- TensorFlow: `tf.distribute.MirroredStrategy` over the local GPUs (or the
  logical CPU devices when there is no GPU), or
  `MultiWorkerMirroredStrategy` when `TF_CONFIG` names a cluster; made the
  process's default strategy (`tf.distribute.experimental_set_strategy`), so
  models and optimizers built afterwards are mirrored. One process per
  host; the batch a worker reads is the global batch, which tf.distribute
  splits over the replicas.
- JAX: `keras.distribution.DataParallel` over every device; several hosts
  join first through `keras.distribution.initialize()` when its variables
  (`KERAS_DISTRIBUTION_JOB_ADDRESSES`, `..._NUM_PROCESSES`,
  `..._PROCESS_ID`) are set. Each process reads its share of the global
  batch; JAX runs the step as one program over the global batch.
- PyTorch: one process per device under `torchrun` (its `RANK`,
  `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR` / `MASTER_PORT` variables), a
  `torch.distributed` process group (nccl on GPUs, gloo on CPUs). Keras has
  no distribution API for torch: `all_reduce_before_apply` makes an
  optimizer average the gradients over the processes before it applies
  them (Keras' own `fit`), and `mean_over_replicas` does the same in the
  GAN tasks' train steps. Each process reads its share of the global batch.

Random numbers a replica draws for its part of the batch (the gradient
penalty's interpolation weights) are drawn for the global batch from the
shared seed and sliced (`replica_part`): the same on any number of
replicas.
"""

import collections
import os

import keras
from keras import ops

Topology = collections.namedtuple("Topology", ["engine", "replicas", "process_index", "process_count"])
Topology.__doc__ = """Where a data-parallel run stands.

Fields:
    engine: str, the engine in use (e.g. "MirroredStrategy", "DataParallel",
        "DistributedDataParallel"), or None for one plain process.
    replicas: int, the model replicas that share each global batch.
    process_index: int, this process's rank (0 writes the run's files).
    process_count: int, the processes; each reads `1 / process_count` of
        the global batch (TensorFlow: 1, its workers each read the global
        batch and tf.distribute splits it).
"""

SINGLE = Topology(None, 1, 0, 1)
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
JAX_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES")

_started = None


def topology():
    """The `Topology` set up by `start()`, or `SINGLE` before it."""
    return _started or SINGLE


def start():
    """Set up data-parallel training on the current backend's engine.

    Call it before any model, variable or optimizer exists. A second call
    returns the first one's topology.

    Returns:
        The `Topology`.

    Raises:
        ValueError: when the engine cannot run here: PyTorch with more than
            one GPU but without `torchrun`'s variables, or with only some
            of them; a backend other than tensorflow, torch or jax.
    """
    global _started
    if _started is None:
        backend = keras.backend.backend()
        starts = {"tensorflow": _start_tensorflow, "jax": _start_jax, "torch": _start_torch}
        if backend not in starts:
            raise ValueError(f"Data-parallel training runs on tensorflow, torch or jax. Received: backend={backend!r}")
        _started = starts[backend]()
    return _started


def _start_tensorflow():
    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        resolver = strategy.cluster_resolver
        # The chief is rank 0; without one, worker 0 is.
        has_chief = "chief" in resolver.cluster_spec().jobs
        process_index = 0 if resolver.task_type == "chief" else resolver.task_id + int(has_chief)
    else:
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        process_index = 0
    tf.distribute.experimental_set_strategy(strategy)
    # Workers each read the global batch; tf.distribute splits it.
    return Topology(type(strategy).__name__, strategy.num_replicas_in_sync, process_index, 1)


def _start_jax():
    import jax

    if all(os.environ.get(name) for name in JAX_VARIABLES):
        keras.distribution.initialize()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices()))
    return Topology("DataParallel", jax.device_count(), jax.process_index(), jax.process_count())


def _start_torch():
    import torch
    import torch.distributed as dist

    present = [name for name in TORCHRUN_VARIABLES if name in os.environ]
    if not present:
        if torch.cuda.device_count() > 1:
            raise ValueError(
                f"PyTorch trains on {torch.cuda.device_count()} GPUs with one process each: start the run with "
                "`torchrun --nproc-per-node N keras-vsr train ...` (no torchrun variables are set)."
            )
        return Topology("DistributedDataParallel", 1, 0, 1)
    if len(present) < len(TORCHRUN_VARIABLES):
        missing = [name for name in TORCHRUN_VARIABLES if name not in present]
        raise ValueError(f"torchrun's variables are incomplete: {', '.join(missing)} not set.")
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    world = dist.get_world_size()
    return Topology("DistributedDataParallel", world, dist.get_rank(), world)


def _torch_group_size():
    """The torch process group's size, 1 when there is none."""
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _tf_replica_context():
    """`(replica id, replicas)` inside a tf.distribute replica function, else `(0, 1)`."""
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def replica_index_and_count():
    """`(index, count)` of the replica running this code among those that
    each compute part of a global batch: the torch rank and world size, the
    tf.distribute replica (index possibly a tensor), `(0, 1)` on JAX (its
    step is one program over the global batch) and without distribution."""
    backend = keras.backend.backend()
    if backend == "torch":
        import torch.distributed as dist

        count = _torch_group_size()
        return (dist.get_rank() if count > 1 else 0), count
    if backend == "tensorflow":
        return _tf_replica_context()
    return 0, 1


def replica_part(global_tensor):
    """This replica's equal slice, along axis 0, of a tensor made for the
    global batch (the whole tensor without distribution)."""
    index, count = replica_index_and_count()
    if isinstance(count, int) and count == 1:
        return global_tensor
    size = ops.shape(global_tensor)[0] // count
    start = [index * size] + [0] * (len(global_tensor.shape) - 1)
    return ops.slice(global_tensor, start, [size, *global_tensor.shape[1:]])


def _all_reduce_mean_torch(grads):
    import torch
    import torch.distributed as dist

    world = _torch_group_size()
    if world == 1:
        return list(grads)
    # One flat buffer, one collective: the gradients are summed, then divided.
    # Every process has the same graph, so the same gradients are None.
    present = [g for g in grads if g is not None]
    flat = torch.cat([g.reshape(-1) for g in present])
    dist.all_reduce(flat)
    flat /= world
    out, start = [], 0
    for g in grads:
        if g is not None:
            g = flat[start : start + g.numel()].view_as(g)
            start += g.numel()
        out.append(g)
    return out


def mean_over_replicas(grads):
    """Gradients of a replica's part of the batch, made into those of the
    global batch's mean loss, for an optimizer's `apply`.

    torch: averaged over the process group (one all-reduce). TensorFlow:
    divided by the replica count (a Keras optimizer sums the replicas'
    gradients). JAX: unchanged (its step sees the global batch). Without
    distribution: unchanged.
    """
    backend = keras.backend.backend()
    if backend == "torch":
        return _all_reduce_mean_torch(grads)
    if backend == "tensorflow":
        _, count = _tf_replica_context()
        return list(grads) if count == 1 else [g / count for g in grads]
    return list(grads)


def all_reduce_before_apply(optimizer):
    """Make a torch `optimizer` average its gradients over the process group
    before each `apply` (Keras' torch `fit` computes the local gradients and
    calls `apply`). Does nothing on other backends or in one process, and
    nothing the second time. Returns `optimizer`."""
    if keras.backend.backend() != "torch" or _torch_group_size() == 1 or getattr(optimizer, "all_reduced", False):
        return optimizer
    apply = optimizer.apply

    def all_reduced_apply(grads, trainable_variables=None):
        return apply(_all_reduce_mean_torch(grads), trainable_variables)

    optimizer.apply = all_reduced_apply
    optimizer.all_reduced = True
    return optimizer


def any_process(flag):
    """True on every process when `flag` is true on any (e.g. a stop
    request), so that all processes leave a training loop together."""
    flag = bool(flag)
    backend = keras.backend.backend()
    if backend == "torch" and _torch_group_size() > 1:
        import torch
        import torch.distributed as dist

        value = torch.tensor([int(flag)])
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())
    if backend == "jax":
        import jax

        if jax.process_count() > 1:
            import numpy as np
            from jax.experimental import multihost_utils

            return bool(np.max(multihost_utils.process_allgather(np.array([int(flag)]))))
    if backend == "tensorflow" and topology().engine == "MultiWorkerMirroredStrategy":
        import tensorflow as tf

        strategy = tf.distribute.get_strategy()
        per_replica = strategy.run(lambda: tf.constant(int(flag)))
        return bool(strategy.reduce(tf.distribute.ReduceOp.MAX, per_replica, axis=None))
    return flag
