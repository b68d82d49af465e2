"""Preset registry and loading: built-in names, local folders, hf:// handles.

Each model family registers its bundled presets when it is imported;
`keras_vsr.models.list_presets()` (also `keras_vsr.list_presets()`) imports
every family first, so it lists them all.
"""

from keras_vsr.presets.registry import (
    BUNDLED_DIR,
    check_preset,
    list_presets,
    load_weights_errors,
    register_presets,
)
