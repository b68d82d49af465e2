"""What the GAN discriminators and critics share: their configuration and
their convolution block."""

import keras


class GANDiscriminator(keras.Model):
    """Base of the discriminators and critics: a functional model from
    images to one raw score per image, rebuilt from its constructor
    arguments.

    Subclasses build the graph in `__init__`, keep each constructor argument
    as an attribute of the same name and list them in `config_keys`;
    `get_config` returns them (with `name` and `trainable`) and
    `from_config` calls the constructor with them.
    """

    config_keys = ()

    def get_config(self):
        config = {key: getattr(self, key) for key in self.config_keys}
        config.update({"name": self.name, "trainable": self.trainable})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def conv_leaky_relu(x, filters, strides, conv_name, relu_name, norm_name=None, dtype=None):
    """3x3 convolution (same padding) -> [batch norm] -> LeakyReLU(0.2).

    With `norm_name`, batch normalisation (momentum 0.9) follows the
    convolution, which then has no bias.
    """
    x = keras.layers.Conv2D(
        filters, 3, strides=strides, padding="same", use_bias=norm_name is None, dtype=dtype, name=conv_name
    )(x)
    if norm_name is not None:
        x = keras.layers.BatchNormalization(momentum=0.9, dtype=dtype, name=norm_name)(x)
    return keras.layers.LeakyReLU(0.2, dtype=dtype, name=relu_name)(x)
