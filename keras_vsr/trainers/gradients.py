"""Gradients with respect to inputs, and WGAN-GP's gradient penalty built on
them.

Keras has no backend-neutral `grad`; each backend differentiates its own way
in `input_gradient`. `gradient_penalty` on top of it is plain `keras.ops`.
"""

import keras
from keras import ops

from keras_vsr.trainers.distributed import replica_index_and_count, replica_part


def input_gradient(fn, x):
    """Gradient of `sum(fn(x))` with respect to `x`, itself differentiable.

    The result stays part of the autodiff graph, so a loss built from it (a
    gradient penalty) can be differentiated again, e.g. with respect to the
    weights `fn` uses:

    - TensorFlow: a `tf.GradientTape` watching `x`; an enclosing tape
      records the gradient computation.
    - PyTorch: `torch.autograd.grad(..., create_graph=True)`, with gradients
      enabled even inside `torch.no_grad()`. If `x` does not require a
      gradient, a detached copy that does is differentiated instead.
    - JAX: `jax.grad`, which composes with an outer `jax.grad` /
      `jax.value_and_grad` (e.g. over `stateless_call`).

    Args:
        fn: callable mapping a tensor like `x` to a tensor (e.g. a critic's
            `(batch, 1)` scores); its outputs are summed, so each example's
            gradient is that of its own score when examples are independent.
        x: tensor.

    Returns:
        Tensor of the shape and dtype of `x`; zeros where `fn` ignores `x`.

    Raises:
        ValueError: for a backend other than tensorflow, torch or jax.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = ops.sum(fn(x))
        return tape.gradient(total, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    if backend == "torch":
        import torch

        x = ops.convert_to_tensor(x)
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.detach().requires_grad_(True)
            total = ops.sum(fn(x))
            if not total.requires_grad:
                return torch.zeros_like(x)
            (grad,) = torch.autograd.grad(
                total, x, create_graph=True, allow_unused=True, materialize_grads=True
            )
        return grad
    if backend == "jax":
        import jax

        return jax.grad(lambda inputs: ops.sum(fn(inputs)))(ops.convert_to_tensor(x))
    raise ValueError(
        "input_gradient supports the tensorflow, torch and jax backends. "
        f"Received: backend={backend!r}"
    )


def gradient_penalty(critic_fn, real, fake, seed_generator=None, gp_weight=1.0):
    """WGAN-GP gradient penalty (Gulrajani et al. 2017).

    `gp_weight * mean((||grad_x critic_fn(x_hat)||_2 - 1)^2)` at random
    interpolates `x_hat = real + eps * (fake - real)`, with one
    `eps ~ U[0, 1)` per example and the norm taken over all non-batch axes.
    Under data-parallel training each replica takes its slice of the
    weights drawn for the global batch
    (`keras_vsr.trainers.distributed.replica_part`).
    The result is differentiable with respect to the weights `critic_fn`
    uses (see `input_gradient` for each backend's mechanism).

    Args:
        critic_fn: callable mapping a `(batch, ...)` tensor to per-example
            scores, e.g. a critic model. Each score must depend on its own
            example only (no batch normalisation in the critic).
        real: tensor `(batch, ...)`, real examples.
        fake: tensor of the same shape, generated examples.
        seed_generator: `keras.random.SeedGenerator`, int or None, default
            None: seed of the interpolation weights, passed as
            `keras.random.uniform(..., seed=seed_generator)`. Under JAX's
            `jit`, pass a `SeedGenerator` used inside a stateless scope, or
            an int.
        gp_weight: float, default 1.0: the penalty's weight (lambda; the
            WGAN-GP paper uses 10, SRWGAN 16).

    Returns:
        Scalar tensor.

    Raises:
        ValueError: if `real` and `fake` have different shapes.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(
            "`real` and `fake` must have the same shape. "
            f"Received: real.shape={real.shape}, fake.shape={fake.shape}"
        )
    # Drawn for the global batch and sliced: a data-parallel replica gets the
    # weights one process would give its part of the batch.
    _, replicas = replica_index_and_count()
    eps_shape = (ops.shape(real)[0] * replicas,) + (1,) * (len(real.shape) - 1)
    eps = replica_part(keras.random.uniform(eps_shape, dtype=real.dtype, seed=seed_generator))
    interpolates = real + eps * (fake - real)
    grads = input_gradient(critic_fn, interpolates)
    squared_norms = ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape))))
    # The 1e-12 keeps the derivative of sqrt finite where a gradient is zero.
    norms = ops.sqrt(squared_norms + 1e-12)
    return gp_weight * ops.mean(ops.square(norms - 1.0))
