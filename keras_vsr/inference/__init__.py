from keras_vsr.inference.upscale import DEFAULT_GIF_PRESET, DEFAULT_PRESET, load_super_resolver, upscale
from keras_vsr.inference.interpolate import (
    DEFAULT_INTERPOLATOR_PRESET,
    interpolate,
    iter_interpolated,
    load_interpolator,
)
from keras_vsr.inference.blend import blend_presets

# Loaded on first use: these modules import Keras, and `keras-vsr --help` /
# `keras-vsr presets` import this package without loading any framework.
_LAZY = {
    "SpatioTemporalFusion": "keras_vsr.inference.fusion",
    "ChromaPropagator": "keras_vsr.inference.colour_propagation",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'keras_vsr.inference' has no attribute '{name}'")
