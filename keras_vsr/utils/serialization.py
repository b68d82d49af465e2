"""Registration helper shared by every keras_vsr layer, loss and model."""

import keras


def register(cls):
    """Register `cls` with Keras under the `keras_vsr` package name."""
    return keras.saving.register_keras_serializable(package="keras_vsr")(cls)
