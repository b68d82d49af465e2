"""One data-parallel process of tests/test_distributed.py.

    python tests/distributed_worker.py WORK            # TensorFlow (2 logical CPUs), JAX (2 host devices)
    torchrun --nproc-per-node 2 tests/distributed_worker.py WORK   # PyTorch, gloo

`WORK` holds what the test wrote in one process (`init_<case>.npz`, the
starting weights, and `batch.npz`, the global batch) and a run folder
`run` with a checkpoint after 2 steps. This script starts data-parallel
training (`keras_vsr.training.distribute.start`), makes one SGD step on the
global batch from each case's starting weights, and resumes the run to 4
steps (`Run` with `--distribute`). Each process writes
`WORK/out<rank>/<case>.npz` (the weights after the step) and
`WORK/out<rank>/resumed.npz` (the resumed run's steps and weights).

The builders below are also the test's single-process reference.
"""

import os
import sys
import time

import numpy as np

CASES = ("superresolver", "srgan", "srwgan")
# SGD, so that a gradient scaled wrongly moves the weights wrongly by as much.
LEARNING_RATES = {"superresolver": 0.5, "srgan": 0.05, "srwgan": 0.002}
HALF_BATCH = 2


def build(case):
    """A tiny compiled task of `case`, SGD for every optimizer."""
    import keras

    from keras_vsr.losses import MSELoss
    from keras_vsr.models import SRGAN, SRWGAN, SRGANDiscriminator, SRResNetBackbone, SRWGANCritic, SuperResolver

    keras.utils.set_random_seed(0)
    lr = LEARNING_RATES[case]
    generator = SRResNetBackbone(
        scale=2, num_blocks=1, filters=4, use_batch_norm=False, head_kernel_size=3, tail_kernel_size=3
    )
    if case == "superresolver":
        task = SuperResolver(generator)
        task.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=[])
        return eager(task)
    sgd = {"generator_optimizer": keras.optimizers.SGD(lr), "discriminator_optimizer": keras.optimizers.SGD(lr)}
    if case == "srgan":
        disc = SRGANDiscriminator(image_size=16, filters=4, dense_units=8, use_batch_norm=False)
        task = SRGAN(generator, disc, seed=3)
        task.compile(perceptual_loss=MSELoss(), pixel_weight=1.0, perceptual_weight=0.5, **sgd)
        return eager(task)
    task = SRWGAN(generator, SRWGANCritic(filters=4, num_blocks=2), seed=3)
    task.compile(content_loss=MSELoss(), n_critic=2, **sgd)
    return eager(task)


def eager(task):
    """`task`, run eagerly: for one step, cheaper than compiling it."""
    task.run_eagerly = True
    return task


def global_batch():
    rng = np.random.default_rng(0)
    n = 2 * HALF_BATCH
    return rng.random((n, 8, 8, 3)).astype("float32"), rng.random((n, 16, 16, 3)).astype("float32")


def tiny_run_options(run_dir, steps, *extra):
    """Run options of a tiny run: one step per epoch, global batch 4."""
    import argparse

    from keras_vsr.training.runs import add_run_arguments

    parser = argparse.ArgumentParser()
    add_run_arguments(parser, steps=steps, steps_per_epoch=1, lr=1e-2, batch=2 * HALF_BATCH, threads=0)
    return parser.parse_args(["--run-dir", str(run_dir), *extra])


def tiny_dataset():
    """A `RandomBatchDataset` of random LR / HR pairs."""
    from keras_vsr.data.sampling import RandomBatchDataset

    class Pairs(RandomBatchDataset):
        def draw_batch(self):
            n = self.batch_size
            return (
                self.rng.random((n, 8, 8, 3)).astype("float32"),
                self.rng.random((n, 16, 16, 3)).astype("float32"),
            )

    return Pairs(batch_size=2 * HALF_BATCH, steps_per_epoch=1, seed=0)


def resume_task():
    import keras

    from keras_vsr.models import SRResNetBackbone, SuperResolver

    keras.utils.set_random_seed(1)
    task = SuperResolver(SRResNetBackbone(scale=2, num_blocks=1, filters=4, use_batch_norm=False))
    task.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=[])
    return task


def main(work):
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    from keras_vsr.training import distribute
    from keras_vsr.training.runs import Run

    start = time.time()
    topology = distribute.start(batch_size=2 * HALF_BATCH)
    assert topology.replicas == 2, topology
    rank = topology.process_index
    out = os.path.join(work, f"out{rank}")
    os.makedirs(out, exist_ok=True)
    x, y = (np.load(os.path.join(work, "batch.npz"))[k] for k in ("x", "y"))
    if topology.process_count > 1:  # each process feeds its own share of the global batch
        part = slice(rank * HALF_BATCH, (rank + 1) * HALF_BATCH)
        x, y = x[part], y[part]
    for case in CASES:
        task = build(case)
        init = np.load(os.path.join(work, f"init_{case}.npz"))
        task.set_weights([init[f"w{i}"] for i in range(len(init.files))])
        distribute.prepare(task)
        task.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
        np.savez(os.path.join(out, f"{case}.npz"), *task.get_weights())
        print(f"{case}: {time.time() - start:.1f} s", flush=True)

    run_dir = os.path.join(work, "run")
    task = resume_task()
    run = Run(tiny_run_options(run_dir, 4, "--distribute"))
    steps = run.fit(task, tiny_dataset())
    run.save(task.backbone)
    np.savez(os.path.join(out, "resumed.npz"), steps, *task.get_weights())


if __name__ == "__main__":
    main(sys.argv[1])
