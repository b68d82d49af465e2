"""Direct PyTorch kernels for `Conv2D` and `PReLU` on the torch backend.

Keras' torch backend runs a channels-last `Conv2D` as: permute to NCHW and
copy, copy again to the channels-last memory format, convolve, add the bias
in a second pass. Its `PReLU` takes five element-wise passes. Both layers'
tensors are NHWC and contiguous, which is the NCHW tensor in PyTorch's
`channels_last` memory format, so a permuted *view* can go straight to
`torch.nn.functional.conv2d` (bias fused) and `torch.nn.functional.prelu`,
with no copy at all; the results are the same numbers (to float rounding).

`use_torch_kernels(model)` gives every plain `keras.layers.Conv2D` and
`keras.layers.PReLU` inside `model` that fast call. It changes nothing on the
other backends and nothing a layer stores: weights, configs and saved files
are those of the Keras layers. This module is the one place with a torch
branch outside `keras_vsr/trainers/`.
"""

import keras


def _supports_fast_conv(layer):
    """Whether `layer` is a Conv2D this module can run: NHWC, no groups,
    "valid" padding or symmetric "same" padding at stride 1."""
    if type(layer) is not keras.layers.Conv2D or layer.data_format != "channels_last" or layer.groups != 1:
        return False
    if getattr(layer, "lora_enabled", False) or layer.dtype_policy.quantization_mode is not None:
        return False
    if layer.padding == "valid":
        return True
    strides_one = all(s == 1 for s in layer.strides)
    odd = all((k - 1) * d % 2 == 0 for k, d in zip(layer.kernel_size, layer.dilation_rate))
    return layer.padding == "same" and strides_one and odd


def _conv_call(layer):
    import torch

    if layer.padding == "same":
        padding = tuple((k - 1) * d // 2 for k, d in zip(layer.kernel_size, layer.dilation_rate))
    else:
        padding = 0

    def call(inputs):
        kernel = torch.permute(keras.ops.convert_to_tensor(layer.kernel), (3, 2, 0, 1))
        bias = keras.ops.convert_to_tensor(layer.bias) if layer.use_bias else None
        outputs = torch.nn.functional.conv2d(
            torch.permute(inputs, (0, 3, 1, 2)),
            kernel,
            bias,
            stride=layer.strides,
            padding=padding,
            dilation=layer.dilation_rate,
        )
        outputs = torch.permute(outputs, (0, 2, 3, 1))
        return outputs if layer.activation is None else layer.activation(outputs)

    return call


def _supports_fast_prelu(layer):
    """Whether `layer` is a PReLU with one slope per channel (last axis)."""
    if type(layer) is not keras.layers.PReLU or not layer.built:
        return False
    return all(size == 1 for size in layer.alpha.shape[:-1])


def _prelu_call(layer):
    import torch

    def call(inputs):
        alpha = torch.reshape(keras.ops.convert_to_tensor(layer.alpha), (-1,))
        if inputs.ndim != 4 or alpha.shape[0] not in (1, inputs.shape[-1]):
            return type(layer).call(layer, inputs)
        outputs = torch.nn.functional.prelu(torch.permute(inputs, (0, 3, 1, 2)), alpha)
        return torch.permute(outputs, (0, 2, 3, 1))

    return call


def use_torch_kernels(model):
    """On the torch backend, run `model`'s Conv2D and PReLU layers through
    PyTorch's own kernels (see the module docstring); elsewhere a no-op.

    Layers of other classes, subclasses, and Conv2D layers with groups,
    strides with "same" padding, even kernels with "same" padding, LoRA or
    quantisation keep Keras' implementation. Returns `model`.
    """
    if keras.config.backend() != "torch":
        return model
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if _supports_fast_conv(layer):
            layer.call = _conv_call(layer)
        elif _supports_fast_prelu(layer):
            layer.call = _prelu_call(layer)
    return model
