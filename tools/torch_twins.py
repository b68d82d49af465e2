"""Native PyTorch twins of keras_vsr backbones, for `tools/benchmark.py --peers`.

`torch_twin(backbone)` returns a `torch.nn.Module` (NCHW) that computes what
the Keras backbone computes, with its weights copied: `SRResNetBackbone`
without batch norm and `CompactSRBackbone`. Keras' pixel shuffle follows
TensorFlow's channel order (`(dy * r + dx) * C + c`) and PyTorch's
`pixel_shuffle` its own (`c * r * r + dy * r + dx`); the convolution in front
of each shuffle has its output channels reordered to match.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def _conv(layer, shuffle=None):
    """A `nn.Conv2d` with the weights of Keras `Conv2D` `layer` ("same",
    odd kernel, stride 1); `shuffle=r` reorders the output channels from
    TensorFlow's depth-to-space order to PyTorch's."""
    kernel = np.transpose(np.asarray(layer.kernel.numpy()), (3, 2, 0, 1))
    bias = np.asarray(layer.bias.numpy())
    if shuffle:
        channels = kernel.shape[0] // (shuffle * shuffle)
        order = [p * channels + c for c in range(channels) for p in range(shuffle * shuffle)]
        kernel, bias = kernel[order], bias[order]
    conv = nn.Conv2d(kernel.shape[1], kernel.shape[0], kernel.shape[2:], padding=kernel.shape[2] // 2)
    conv.weight.data = torch.from_numpy(np.ascontiguousarray(kernel))
    conv.bias.data = torch.from_numpy(np.ascontiguousarray(bias))
    return conv


def _prelu(layer):
    alpha = np.asarray(layer.alpha.numpy()).reshape(-1)
    prelu = nn.PReLU(alpha.size)
    prelu.weight.data = torch.from_numpy(alpha.copy())
    return prelu


def _activation(layer):
    import keras

    if isinstance(layer, keras.layers.PReLU):
        return _prelu(layer)
    if isinstance(layer, keras.layers.LeakyReLU):
        return nn.LeakyReLU(layer.negative_slope)
    return nn.ReLU()


class BicubicTwin(nn.Module):
    """`keras_vsr.layers.BicubicUpsample`: symmetric 2-pixel padding, one
    5x5 convolution per output phase, pixel shuffle."""

    def __init__(self, layer, channels):
        super().__init__()
        self.scale = layer.scale
        kernel = np.transpose(layer._kernel, (3, 2, 0, 1))
        order = [p * channels + c for c in range(channels) for p in range(self.scale**2)]
        self.register_buffer("kernel", torch.from_numpy(np.ascontiguousarray(kernel[order])))

    def forward(self, x):
        x = torch.cat([x[:, :, :2].flip(2), x, x[:, :, -2:].flip(2)], dim=2)
        x = torch.cat([x[:, :, :, :2].flip(3), x, x[:, :, :, -2:].flip(3)], dim=3)
        return F.pixel_shuffle(F.conv2d(x, self.kernel), self.scale)


class SRResNetTwin(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        if backbone.use_batch_norm:
            raise ValueError("the SRResNet twin covers backbones without batch norm")
        get = backbone.get_layer
        self.head = nn.Sequential(_conv(get("head_conv")), _prelu(get("head_prelu")))
        self.blocks = nn.ModuleList()
        self.res_scale = backbone.res_scale
        for i in range(backbone.num_blocks):
            block = get(f"block_{i}")
            self.blocks.append(nn.Sequential(_conv(block.conv1), _activation(block.act), _conv(block.conv2)))
        self.body = _conv(get("body_conv"))
        up = get("upsample")
        steps = []
        for conv, shuffle, act in zip(up.convs, up.shuffles, up.acts):
            steps += [_conv(conv, shuffle.scale), nn.PixelShuffle(shuffle.scale), _activation(act)]
        self.upsample = nn.Sequential(*steps)
        self.tail = _conv(get("tail_conv"))
        self.bicubic = BicubicTwin(get("bicubic"), backbone.channels) if backbone.image_residual else None

    def forward(self, images):
        x = head = self.head(images)
        for block in self.blocks:
            x = x + self.res_scale * block(x) if self.res_scale != 1.0 else x + block(x)
        x = self.tail(self.upsample(self.body(x) + head))
        return x if self.bicubic is None else x + self.bicubic(images)


class CompactTwin(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        get = backbone.get_layer
        layers = [_conv(get("head_conv")), _activation(get("head_act"))]
        for i in range(backbone.num_conv):
            layers += [_conv(get(f"body_conv_{i}")), _activation(get(f"body_act_{i}"))]
        layers += [_conv(get("tail_conv"), backbone.scale), nn.PixelShuffle(backbone.scale)]
        self.body = nn.Sequential(*layers)
        self.scale = backbone.scale

    def forward(self, images):
        x = self.body(images)
        return x + F.interpolate(images, scale_factor=self.scale, mode="nearest") if self.scale > 1 else x + images


def torch_twin(backbone):
    """The native PyTorch module of `backbone` (NCHW, float32, eval mode);
    a ValueError for a family without a twin."""
    name = type(backbone).__name__
    twins = {"SRResNetBackbone": SRResNetTwin, "CompactSRBackbone": CompactTwin}
    if name not in twins:
        raise ValueError(f"no native PyTorch twin for {name}; there are twins for {sorted(twins)}")
    return twins[name](backbone).eval()
