import keras_hub

from keras_vsr.layers.torch_kernels import use_torch_kernels
from keras_vsr.presets.registry import check_preset, load_weights_errors


class SRBackbone(keras_hub.models.Backbone):
    """Base class of keras_vsr backbones: a keras-hub `Backbone`.

    Subclasses are functional models from float images in [0, 1] to float
    images; they set `self.scale`, keep each constructor argument as an
    attribute of the same name and list them in `config_keys`, which
    `get_config` returns. `from_preset` accepts a built-in name, a local
    folder or `hf://owner/name`, and raises a `ValueError` that says what is
    wrong with an unknown name, an incomplete folder or unreadable weights.
    On the torch backend its Conv2D and PReLU layers run through PyTorch's
    own kernels (`keras_vsr.layers.torch_kernels`).
    """

    config_keys = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_torch_kernels(self)

    def get_config(self):
        config = super().get_config()
        config.update({key: getattr(self, key) for key in self.config_keys})
        return config

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        preset = check_preset(preset, load_weights)
        with load_weights_errors(preset):
            return super().from_preset(preset, load_weights=load_weights, **kwargs)
