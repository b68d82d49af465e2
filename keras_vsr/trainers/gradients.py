"""Gradients with respect to inputs, the one backend-specific piece of the
GAN losses.

Keras has no backend-neutral `grad`; each backend differentiates its own way.
Everything built on top (e.g. `keras_vsr.losses.gradient_penalty`) is plain
`keras.ops`.
"""

import keras
from keras import ops


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
