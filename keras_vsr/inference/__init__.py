from keras_vsr.inference.upscale import DEFAULT_PRESET, load_super_resolver, upscale
from keras_vsr.inference.interpolate import (
    DEFAULT_INTERPOLATOR_PRESET,
    interpolate,
    iter_interpolated,
    load_interpolator,
)
from keras_vsr.inference.fusion import SpatioTemporalFusion
