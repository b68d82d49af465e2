import keras

from keras_vsr.utils.serialization import register


@register
class GANOptimizer(keras.optimizers.Optimizer):
    """The generator's and the discriminator's optimizers, seen by `fit` as one.

    Keras trainers (and `keras.callbacks.BackupAndRestore`) know one
    `model.optimizer`. This wrapper exposes both optimizers through it: its
    `variables` are the generator optimizer's followed by the discriminator
    optimizer's, so JAX's stateless training state carries both, and saving
    the model's weights saves both optimizers' states (moments, iteration
    counts, EMA copies). It applies no updates itself: a GAN task calls
    `generator_optimizer` and `discriminator_optimizer` directly.

    `iterations` is the generator optimizer's (one per `fit` step), and
    `finalize_variable_values` lets the generator optimizer swap its EMA
    weights (`use_ema=True`) into the generator at the end of `fit`.

    Args:
        generator_optimizer: a `keras.optimizers.Optimizer`.
        discriminator_optimizer: a `keras.optimizers.Optimizer`.
        name: str, default `"gan_optimizer"`.
    """

    def __init__(self, generator_optimizer, discriminator_optimizer, name="gan_optimizer", **kwargs):
        kwargs.pop("learning_rate", None)
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.generator_optimizer = keras.optimizers.get(generator_optimizer)
        self.discriminator_optimizer = keras.optimizers.get(discriminator_optimizer)
        if self.generator_optimizer is self.discriminator_optimizer:
            raise ValueError("The generator and the discriminator need two distinct optimizer objects.")

    def build_for(self, generator_variables, discriminator_variables):
        """Build both optimizers for their own variables."""
        if not self.generator_optimizer.built:
            self.generator_optimizer.build(generator_variables)
        if not self.discriminator_optimizer.built:
            self.discriminator_optimizer.build(discriminator_variables)
        self._generator_variables = list(generator_variables)
        self.built = True

    def build(self, variables):
        if not self.built:
            raise ValueError(
                "GANOptimizer is built by its GAN task's `compile()` (`build_for`), "
                "which knows the generator's and the discriminator's variables."
            )

    @property
    def variables(self):
        return self.generator_optimizer.variables + self.discriminator_optimizer.variables

    @property
    def iterations(self):
        return self.generator_optimizer.iterations

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "GANOptimizer does not apply gradients; use `generator_optimizer` "
            "or `discriminator_optimizer`."
        )

    def finalize_variable_values(self, var_list):
        generator_ids = {id(v) for v in getattr(self, "_generator_variables", [])}
        self.generator_optimizer.finalize_variable_values(
            [v for v in var_list if id(v) in generator_ids]
        )

    # The two optimizers are saved as this object's children; nothing of its own.
    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass

    def get_config(self):
        return {
            "name": self.name,
            "generator_optimizer": keras.optimizers.serialize(self.generator_optimizer),
            "discriminator_optimizer": keras.optimizers.serialize(self.discriminator_optimizer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("generator_optimizer", "discriminator_optimizer"):
            config[key] = keras.optimizers.deserialize(config[key], custom_objects=custom_objects)
        return cls(**config)
