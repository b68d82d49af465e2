"""Preset registry and loading: built-in names, local folders, hf:// handles."""

from keras_vsr.presets.registry import (
    BUNDLED_DIR,
    check_preset,
    list_presets as _list_registered,
    load_weights_errors,
    register_presets,
)


def list_presets():
    """All built-in presets: `[{name, class, description, params, scale, metrics}]`."""
    import keras_vsr.models  # noqa: F401  (registers every family's presets)

    return _list_registered()
