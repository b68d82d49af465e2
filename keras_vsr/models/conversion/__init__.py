"""Converting PyTorch checkpoints into keras-vsr presets.

`convert(src, dst)` reads a checkpoint (`keras_vsr.io.checkpoints`), finds
the architecture whose converter fits its keys (`discovery`), builds the
backbone from the detected hyper-parameters, loads every weight with shape
checks (`converter`) and writes a preset folder (`presets`). Each family
folder adds its own `<family>_conversion.py` with a `CONVERTER`.
"""

from keras_vsr.models.conversion.converter import ConversionError, Converter, StateDict, WeightAssigner, describe_keys
from keras_vsr.models.conversion.discovery import architectures, convert_state_dict, converters, find_converter
from keras_vsr.models.conversion.kernels import (
    conv_kernel,
    dense_kernel,
    depthwise_kernel,
    pixel_shuffle_channels,
    pixel_unshuffle_channels,
    transposed_conv_kernel,
)
from keras_vsr.models.conversion.presets import convert, default_cache_dir, resolve_preset
