"""Evaluation protocols: every figure measured beside its baseline.

- `sr`: Y-channel PSNR / SSIM (and LPIPS) of a super-resolver on HR/LR pairs
  or on video frames, beside MATLAB bicubic.
- `interpolation`: PSNR / SSIM of a frame interpolator on Middlebury-style
  triplets, beside frame averaging.
- `colorization`: RGB PSNR / SSIM of a colouriser on colour images made
  grey, beside the grey image copied to three channels.
- `report`: one text or Markdown table for any of their results.

`keras-vsr evaluate sr|interpolation|colorization` runs them on presets
(`keras_vsr.evaluation.cli`). Names are imported on first use, so importing
this package does not load Keras.
"""

import importlib

_EXPORTS = {
    "find_pairs": "sr",
    "evaluate_sr": "sr",
    "evaluate_frames": "sr",
    "find_triplets": "interpolation",
    "read_frame": "interpolation",
    "frame_average": "interpolation",
    "evaluate_interpolation": "interpolation",
    "evaluate_colorization": "colorization",
    "format_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
