"""keras-vsr: image and video super-resolution models for Keras 3.

Imports are lazy, so `import keras_vsr` is cheap and the Keras backend can
still be chosen (e.g. by the CLI's `--backend`) before Keras is loaded.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "SRBackbone": "keras_vsr.models",
    "SRResNetBackbone": "keras_vsr.models",
    "CompactSRBackbone": "keras_vsr.models",
    "RRDBNetBackbone": "keras_vsr.models",
    "convert": "keras_vsr.models.conversion",
    "SPANBackbone": "keras_vsr.models",
    "SwinIRBackbone": "keras_vsr.models",
    "Depth2SpaceBackbone": "keras_vsr.models",
    "UNetSRBackbone": "keras_vsr.models",
    "SuperResolver": "keras_vsr.models",
    "GANSuperResolver": "keras_vsr.models",
    "SRGAN": "keras_vsr.models",
    "SRGANDiscriminator": "keras_vsr.models",
    "SRWGAN": "keras_vsr.models",
    "SRWGANCritic": "keras_vsr.models",
    "ESRGAN": "keras_vsr.models",
    "UNetDiscriminator": "keras_vsr.models",
    "ConvLSTMInterpolatorBackbone": "keras_vsr.models",
    "ConvLSTMInterpolator": "keras_vsr.models",
    "Grey2RGBBackbone": "keras_vsr.models",
    "Grey2RGBColorizer": "keras_vsr.models",
    "SpatioTemporalFusion": "keras_vsr.inference",
    "ChromaPropagator": "keras_vsr.inference",
    "ChromaFusionBackbone": "keras_vsr.models",
    "ChromaFusion": "keras_vsr.models",
    "FFCInterpolatorBackbone": "keras_vsr.models",
    "FFCInterpolator": "keras_vsr.models",
    "IFNetBackbone": "keras_vsr.models",
    "IFNetInterpolator": "keras_vsr.models",
    "FrameInterpolator": "keras_vsr.models",
    "interpolate": "keras_vsr.inference",
    "upscale": "keras_vsr.inference",
    "blend_presets": "keras_vsr.inference",
    "DEFAULT_PRESET": "keras_vsr.inference",
    "DEFAULT_GIF_PRESET": "keras_vsr.inference",
    "list_presets": "keras_vsr.models",
    "psnr": "keras_vsr.metrics",
    "ssim": "keras_vsr.metrics",
}
_SUBMODULES = ("layers", "losses", "metrics", "models", "presets", "data", "io", "inference", "evaluation", "training")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"keras_vsr.{name}")
    else:
        raise AttributeError(f"module 'keras_vsr' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__():
    return __all__
