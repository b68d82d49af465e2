"""Gradient plumbing of the GAN tasks' training step, per backend.

A GAN step alternates `n_critic` discriminator updates with one generator
update, each with its own optimizer. The maths of both updates is shared
`keras.ops` code on the task (`GANSuperResolver.discriminator_objective` and
`generator_objective`, pure functions of variable values); this module only
differentiates them and applies the updates the way each backend can:

- TensorFlow: `tf.GradientTape`, then `optimizer.apply` on the variables
  (TensorFlow optimizers have no `stateless_apply`).
- PyTorch: `torch.autograd.grad` on detached leaf copies of the values, then
  `optimizer.apply` under `torch.no_grad()`.
- JAX: a stateless `train_step(state, data)`: `jax.value_and_grad` over the
  values in the trainer's state and `optimizer.stateless_apply`, returning the
  new state.

Under data-parallel training (`keras_vsr.trainers.distributed`) both
optimizers apply the gradients of the global batch: TensorFlow and PyTorch
replicas average theirs first (`mean_over_replicas`); JAX's step already
runs over the global batch.
"""

import contextlib

import keras
from keras import ops
from keras import tree

from keras_vsr.trainers.distributed import mean_over_replicas


def value_and_grad(fn, values):
    """Evaluate `fn(values) -> (loss, aux)` and the gradient of `loss`.

    Args:
        fn: callable taking a list of tensors and returning a scalar loss and
            any auxiliary structure of tensors.
        values: list of tensors (or backend variables) to differentiate by.

    Returns:
        `((loss, aux), grads)`, `grads` a list matching `values`; zeros for
        values the loss does not use. `aux` carries no gradient history.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(values)
            loss, aux = fn(values)
        grads = tape.gradient(loss, values, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return (loss, aux), list(grads)
    if backend == "torch":
        import torch

        with torch.enable_grad():
            leaves = [ops.convert_to_tensor(v).detach().requires_grad_(True) for v in values]
            loss, aux = fn(leaves)
            grads = torch.autograd.grad(loss, leaves, allow_unused=True, materialize_grads=True)
        aux = tree.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, aux)
        return (loss.detach(), aux), list(grads)
    if backend == "jax":
        import jax

        return jax.value_and_grad(fn, has_aux=True)(values)
    raise ValueError(f"GAN training supports tensorflow, torch and jax. Received: backend={backend!r}")


def _no_grad():
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def _values(variables):
    return [v.value for v in variables]


def _assign(variables, values):
    with _no_grad():
        for variable, value in zip(variables, values):
            variable.assign(value)


def stateful_train_step(task, data):
    """One GAN step on TensorFlow or PyTorch; updates the variables in place."""
    lr, hr = task.unpack(data)
    gen, disc = task.backbone, task.discriminator
    seed = task.seed_generator.state
    sr = task.generate(_values(gen.trainable_variables), _values(gen.non_trainable_variables), lr)
    d_variables = disc.trainable_variables
    for _ in range(task.n_critic):
        d_non_trainable = _values(disc.non_trainable_variables)
        seed_value = seed.value
        (_, (d_terms, new_d_non_trainable, new_seed)), grads = value_and_grad(
            lambda values: task.discriminator_objective(
                values, d_non_trainable, seed_value, hr, sr
            ),
            _values(d_variables),
        )
        with _no_grad():
            task.discriminator_optimizer.apply(mean_over_replicas(grads), d_variables)
        _assign(disc.non_trainable_variables, new_d_non_trainable)
        _assign([seed], [new_seed])

    g_variables = gen.trainable_variables
    g_non_trainable = _values(gen.non_trainable_variables)
    d_trainable = _values(d_variables)
    d_non_trainable = _values(disc.non_trainable_variables)
    (_, (g_terms, new_g_non_trainable)), grads = value_and_grad(
        lambda values: task.generator_objective(
            values, g_non_trainable, d_trainable, d_non_trainable, lr, hr
        ),
        _values(g_variables),
    )
    with _no_grad():
        task.generator_optimizer.apply(mean_over_replicas(grads), g_variables)
    _assign(gen.non_trainable_variables, new_g_non_trainable)
    task.update_trackers({**d_terms, **g_terms})
    return {tracker.name: tracker.result() for tracker in task.metrics}


def _positions(subset, full):
    index = {id(v): i for i, v in enumerate(full)}
    return [index[id(v)] for v in subset]


def _take(values, positions):
    return [values[i] for i in positions]


def _put(values, positions, new):
    values = list(values)
    for i, value in zip(positions, new):
        values[i] = value
    return values


def stateless_train_step(task, state, data):
    """One GAN step on JAX: `(state, data) -> (logs, new_state)`.

    `state` is the JAX trainer's `(trainable, non_trainable, optimizer,
    metrics)` value lists, in the order of `task.trainable_variables`,
    `task.non_trainable_variables`, `task.optimizer.variables` (generator
    optimizer first) and `task.metrics_variables`.
    """
    trainable, non_trainable, optimizer_values, metric_values = state
    lr, hr = task.unpack(data)
    gen, disc = task.backbone, task.discriminator
    g_t = _positions(gen.trainable_variables, task.trainable_variables)
    d_t = _positions(disc.trainable_variables, task.trainable_variables)
    g_n = _positions(gen.non_trainable_variables, task.non_trainable_variables)
    d_n = _positions(disc.non_trainable_variables, task.non_trainable_variables)
    (s_n,) = _positions([task.seed_generator.state], task.non_trainable_variables)
    n_g_opt = len(task.generator_optimizer.variables)
    g_opt, d_opt = optimizer_values[:n_g_opt], optimizer_values[n_g_opt:]

    sr = task.generate(_take(trainable, g_t), _take(non_trainable, g_n), lr)
    d_trainable = _take(trainable, d_t)
    d_non_trainable = _take(non_trainable, d_n)
    seed_value = non_trainable[s_n]
    for _ in range(task.n_critic):
        (_, (d_terms, d_non_trainable, seed_value)), grads = value_and_grad(
            lambda values, nt=d_non_trainable, s=seed_value: task.discriminator_objective(
                values, nt, s, hr, sr
            ),
            d_trainable,
        )
        d_trainable, d_opt = task.discriminator_optimizer.stateless_apply(d_opt, grads, d_trainable)

    g_non_trainable = _take(non_trainable, g_n)
    (_, (g_terms, g_non_trainable)), grads = value_and_grad(
        lambda values: task.generator_objective(
            values, g_non_trainable, d_trainable, d_non_trainable, lr, hr
        ),
        _take(trainable, g_t),
    )
    g_trainable, g_opt = task.generator_optimizer.stateless_apply(g_opt, grads, _take(trainable, g_t))

    trainable = _put(_put(trainable, g_t, g_trainable), d_t, d_trainable)
    non_trainable = _put(_put(non_trainable, g_n, g_non_trainable), d_n, d_non_trainable)
    non_trainable[s_n] = seed_value
    logs, metric_values = task.update_trackers_stateless(metric_values, {**d_terms, **g_terms})
    return logs, (trainable, non_trainable, list(g_opt) + list(d_opt), metric_values)


def train_step(task, *args):
    """`Model.train_step` of a GAN task on the current backend."""
    if keras.backend.backend() == "jax":
        state, data = args
        return stateless_train_step(task, state, data)
    (data,) = args
    return stateful_train_step(task, data)
