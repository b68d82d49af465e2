import keras

from keras_vsr.utils.serialization import register


@register
class ResidualBlock(keras.layers.Layer):
    """conv -> [BN] -> act -> conv -> [BN], scaled, plus the input.

    With batch norm and PReLU this is the SRResNet block (Ledig et al. 2017);
    without batch norm and with ReLU and `res_scale` it is the EDSR block.

    Args:
        filters: int, channels in and out.
        kernel_size: int, default 3.
        use_batch_norm: bool, default True.
        activation: `"prelu"` (per-channel, shared over height and width) or a
            Keras activation name. Default `"prelu"`.
        res_scale: float, the residual branch is multiplied by this before
            the skip is added. Default 1.0.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        use_batch_norm=True,
        activation="prelu",
        res_scale=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.use_batch_norm = use_batch_norm
        self.activation = activation
        self.res_scale = float(res_scale)

        def conv(name):
            return keras.layers.Conv2D(
                filters, kernel_size, padding="same", dtype=self.dtype_policy, name=name
            )

        def bn(name):
            if not use_batch_norm:
                return None
            return keras.layers.BatchNormalization(
                momentum=0.9, epsilon=1e-5, dtype=self.dtype_policy, name=name
            )

        self.conv1, self.bn1 = conv("conv1"), bn("bn1")
        self.conv2, self.bn2 = conv("conv2"), bn("bn2")
        if activation == "prelu":
            self.act = keras.layers.PReLU(shared_axes=[1, 2], dtype=self.dtype_policy, name="prelu")
        else:
            self.act = keras.layers.Activation(activation, dtype=self.dtype_policy, name="act")

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.filters:
            raise ValueError(
                f"ResidualBlock(filters={self.filters}) needs {self.filters} input "
                f"channels. Received input_shape={tuple(input_shape)}"
            )
        for layer in (self.conv1, self.bn1, self.act, self.conv2, self.bn2):
            if layer is not None:
                layer.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = self.conv1(inputs)
        if self.bn1 is not None:
            x = self.bn1(x, training=training)
        x = self.act(x)
        x = self.conv2(x)
        if self.bn2 is not None:
            x = self.bn2(x, training=training)
        if self.res_scale != 1.0:
            x = x * self.res_scale
        return inputs + x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "use_batch_norm": self.use_batch_norm,
                "activation": self.activation,
                "res_scale": self.res_scale,
            }
        )
        return config
