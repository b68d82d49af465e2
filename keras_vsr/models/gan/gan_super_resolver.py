import json
from pathlib import Path

import keras
from keras import ops
from keras_hub.src.utils import preset_utils

from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.gan.gan_optimizer import GANOptimizer
from keras_vsr.models.super_resolver import SuperResolver
from keras_vsr.presets.registry import check_preset, load_weights_errors
from keras_vsr.trainers import gan as gan_trainer

DISCRIMINATOR_WEIGHTS_FILE = "discriminator.weights.h5"
TASK_FILE = "task.json"
_SEED_KEY = "gan_seed_state"


def _read_task_config(preset):
    """The preset's task.json as a dict, or None when it has none."""
    try:
        path = preset_utils.get_file(preset, TASK_FILE)
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


class _Losses:
    """Holds a task's loss objects outside Keras' tracking, so their frozen
    feature networks are neither trained nor written into checkpoints."""


def loss_weights(**weights):
    """The values of `weights` as floats, in order; a ValueError names any below 0."""
    for name, value in weights.items():
        if value < 0:
            raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
    return [float(value) for value in weights.values()]


def per_image_loss(loss, hr, sr):
    """`loss`'s values of `(hr, sr)` before any reduction: a Keras `Loss`
    through its `call` (its `__call__` divides by the replica count inside
    `tf.distribute`), any other callable as it is."""
    return loss.call(hr, sr) if isinstance(loss, keras.losses.Loss) else loss(hr, sr)


def mean_loss(loss, weight, hr, sr):
    """The mean of `loss`'s per-image values on `(hr, sr)`, or a zero that
    skips the loss when `weight` is 0."""
    return ops.mean(per_image_loss(loss, hr, sr)) if weight else ops.zeros(())


def weighted_sum(*terms):
    """`w1 * t1 + w2 * t2 + ...` of `(weight, term)` pairs, added in order."""
    (weight, term), *rest = terms
    total = weight * term
    for weight, term in rest:
        total = total + weight * term
    return total


class GANSuperResolver(SuperResolver):
    """Base of adversarial SR tasks: a generator (the backbone) trained
    against a discriminator or critic.

    Each `fit` step makes `n_critic` discriminator updates on the batch
    (fresh random numbers each time), then one generator update, with
    separate optimizers; every loss term is logged under its own name. The
    step's maths is in `discriminator_objective` / `generator_objective`
    (pure functions of variable values, shared `keras.ops` code that
    subclasses fill in through `discriminator_terms` / `generator_terms`);
    the per-backend differentiation is in `keras_vsr.trainers.gan`.

    A subclass sets `discriminator_cls` (its default discriminator, named
    `discriminator_name`), `default_n_critic`, the names of its logged terms
    (`discriminator_loss_names`, `generator_loss_names`, each led by the
    loss its optimizer minimises), and writes `build_losses` (its loss
    options, the keyword arguments of `compile` beyond this class's; it
    keeps the loss objects in `self._gan_losses`), `discriminator_terms` and
    `generator_terms` (which also gets the discriminator's scores of the
    real images, as constants, when `generator_uses_real_scores` is True).

    Inference (`upscale`, `predict`) uses the generator alone. With
    `compile(ema_momentum=...)` the generator optimizer keeps an exponential
    moving average of the generator's weights, and `fit` ends by copying
    that average into the generator, so what is used and saved afterwards is
    the EMA generator.

    Args:
        backbone: `keras_vsr.models.SRBackbone`, the generator.
        discriminator: `keras.Model` from HR-sized images to scores, or
            None for the subclass's default (`default_discriminator`).
        seed: int, seed of the task's random numbers. Default 0.
    """

    discriminator_cls = None
    discriminator_name = "discriminator"
    default_n_critic = 1
    discriminator_loss_names = ()
    generator_loss_names = ()
    generator_uses_real_scores = False

    def __init__(self, backbone, discriminator=None, seed=0, **kwargs):
        kwargs.pop("compile", None)
        if discriminator is None:
            discriminator = self.default_discriminator(backbone)
        super().__init__(backbone, compile=False, **kwargs)
        self.discriminator = discriminator
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="gan_seed_generator")
        self._gan_losses = _Losses()
        self.n_critic = 1
        self._trackers = []

    # ------------------------------------------------------------------ setup
    def compile(
        self,
        generator_optimizer="auto",
        discriminator_optimizer="auto",
        n_critic="auto",
        ema_momentum=None,
        jit_compile="auto",
        **loss_options,
    ):
        """Configure training.

        Args:
            generator_optimizer: optimizer or `"auto"` (`default_optimizer()`,
                Adam 1e-4, beta_1 0.9). Default `"auto"`.
            discriminator_optimizer: optimizer or `"auto"` (likewise).
                Default `"auto"`.
            n_critic: int >= 1, discriminator updates per generator update,
                or `"auto"` for the class's `default_n_critic`. Default `"auto"`.
            ema_momentum: None or float in (0, 1): keep an EMA of the
                generator's weights with this momentum (e.g. 0.999) and
                use it after `fit`. Default None.
            jit_compile: as in `keras.Model.compile`. Default "auto".
            **loss_options: the subclass's loss options, see its `build_losses`.
        """
        self.build_losses(**loss_options)
        if n_critic == "auto":
            n_critic = self.default_n_critic
        if int(n_critic) != n_critic or n_critic < 1:
            raise ValueError(f"`n_critic` must be an int >= 1. Received: n_critic={n_critic}")
        if ema_momentum is not None and not 0.0 < ema_momentum < 1.0:
            raise ValueError(f"`ema_momentum` must be in (0, 1) or None. Received: {ema_momentum}")
        if generator_optimizer == "auto":
            generator_optimizer = self.default_optimizer()
        if discriminator_optimizer == "auto":
            discriminator_optimizer = self.default_optimizer()
        generator_optimizer = keras.optimizers.get(generator_optimizer)
        if ema_momentum is not None:
            generator_optimizer.use_ema = True
            generator_optimizer.ema_momentum = float(ema_momentum)
            generator_optimizer.ema_overwrite_frequency = None
        self.n_critic = int(n_critic)
        optimizer = GANOptimizer(generator_optimizer, discriminator_optimizer)
        optimizer.build_for(self.backbone.trainable_variables, self.discriminator.trainable_variables)
        self._trackers = [keras.metrics.Mean(name=name) for name in self.loss_names()]
        keras.Model.compile(self, optimizer=optimizer, jit_compile=jit_compile)
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = optimizer.discriminator_optimizer

    def default_optimizer(self):
        """The generator's and the discriminator's optimizer for `"auto"`:
        Adam, learning rate 1e-4, beta_1 0.9."""
        return keras.optimizers.Adam(1e-4, beta_1=0.9)

    def build_losses(self, **loss_options):
        """Validate the subclass's loss options (the keyword arguments of
        `compile` beyond this class's) and build its loss objects into
        `self._gan_losses`."""
        raise NotImplementedError(f"{type(self).__name__} must implement `build_losses`.")

    def loss_names(self):
        """Names of the logged terms, discriminator's first."""
        return [*self.discriminator_loss_names, *self.generator_loss_names]

    def get_compile_config(self):
        # Loss networks are rebuilt by calling `compile()` again.
        return None

    @property
    def metrics(self):
        return list(self._trackers)

    # ------------------------------------------------------------- the maths
    @staticmethod
    def unpack(data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError("GAN training needs (lr_images, hr_images) pairs.")
        return x, ops.cast(y, "float32")

    def generate(self, g_trainable, g_non_trainable, lr):
        """Generator output in training mode, as a constant for the critic."""
        sr, _ = self.backbone.stateless_call(g_trainable, g_non_trainable, lr, training=True)
        return ops.stop_gradient(sr)

    def discriminator_objective(self, d_trainable, d_non_trainable, seed_state, hr, sr):
        """Loss of one discriminator update, a pure function of values.

        Returns:
            `(loss, (terms, new_d_non_trainable, new_seed_state))`.
        """
        mapping = [(self.seed_generator.state, seed_state)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            real_scores, d_non_trainable = self.discriminator.stateless_call(
                d_trainable, d_non_trainable, hr, training=True
            )
            fake_scores, d_non_trainable = self.discriminator.stateless_call(
                d_trainable, d_non_trainable, sr, training=True
            )

            def critic_fn(images):
                scores, _ = self.discriminator.stateless_call(
                    d_trainable, d_non_trainable, images, training=True
                )
                return scores

            terms = self.discriminator_terms(real_scores, fake_scores, hr, sr, critic_fn)
            new_seed = scope.get_current_value(self.seed_generator.state)
        return terms[self.discriminator_loss_names[0]], (terms, d_non_trainable, new_seed)

    def generator_objective(self, g_trainable, g_non_trainable, d_trainable, d_non_trainable, lr, hr):
        """Loss of one generator update, a pure function of values.

        The discriminator runs in training mode (as in its own updates) but
        its state updates are dropped: the generator step never changes it.

        Returns:
            `(loss, (terms, new_g_non_trainable))`.
        """
        sr, g_non_trainable = self.backbone.stateless_call(
            g_trainable, g_non_trainable, lr, training=True
        )
        fake_scores, _ = self.discriminator.stateless_call(
            d_trainable, d_non_trainable, sr, training=True
        )
        real_scores = None
        if self.generator_uses_real_scores:
            real_scores, _ = self.discriminator.stateless_call(
                d_trainable, d_non_trainable, hr, training=True
            )
            real_scores = ops.stop_gradient(real_scores)
        terms = self.generator_terms(hr, sr, fake_scores, real_scores)
        return terms[self.generator_loss_names[0]], (terms, g_non_trainable)

    def discriminator_terms(self, real_scores, fake_scores, hr, sr, critic_fn):
        raise NotImplementedError

    def generator_terms(self, hr, sr, fake_scores, real_scores=None):
        raise NotImplementedError

    # --------------------------------------------------------------- logging
    def update_trackers(self, terms):
        for tracker in self._trackers:
            tracker.update_state(terms[tracker.name])

    def update_trackers_stateless(self, metric_values, terms):
        logs, new_values, start = {}, [], 0
        for tracker in self._trackers:
            n = len(tracker.variables)
            values = tracker.stateless_update_state(
                metric_values[start : start + n], terms[tracker.name]
            )
            logs[tracker.name] = tracker.stateless_result(values)
            new_values.extend(values)
            start += n
        return logs, new_values

    def train_step(self, *args):
        if not self._trackers:
            raise ValueError("Call `compile()` before `fit()`: it builds the GAN losses.")
        return gan_trainer.train_step(self, *args)

    def test_step(self, *args):
        raise NotImplementedError(
            "GAN tasks have no validation loss; measure the generator with "
            "`keras_vsr.evaluation.evaluate_sr(task.upscale, ...)`."
        )

    # The seed generator's state is not a layer variable Keras saves; keep it
    # in the weights so a resumed run draws the same random numbers.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[_SEED_KEY] = ops.convert_to_numpy(self.seed_generator.state)

    def load_own_variables(self, store):
        keys = list(store.keys())
        if _SEED_KEY in keys:
            self.seed_generator.state.assign(store[_SEED_KEY][...])
        super().load_own_variables({k: store[k] for k in keys if k != _SEED_KEY})

    # ---------------------------------------------------------- presets
    def get_config(self):
        return {
            "backbone": keras.layers.serialize(self.backbone),
            "discriminator": keras.layers.serialize(self.discriminator),
            "seed": self.seed,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("backbone", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.layers.deserialize(config[key])
        return cls(**config)

    @classmethod
    def default_discriminator(cls, backbone):
        """The discriminator a new task gets when none is given."""
        return cls.discriminator_cls(channels=backbone.output_shape[-1], name=cls.discriminator_name)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Load the generator, and the discriminator when the preset has one.

        `preset` is a built-in name, a local folder or `hf://owner/name`. A
        preset written by `save_to_preset` of this class holds `task.json`
        (the discriminator's config) and `discriminator.weights.h5`; a plain
        SR backbone preset (e.g. the PSNR-trained SRResNet) gives the
        generator and a freshly initialised default discriminator, the
        starting point of adversarial fine-tuning.
        """
        backbone = SRBackbone.from_preset(preset, load_weights=load_weights)
        preset = check_preset(preset, load_weights)
        task_config = _read_task_config(preset)
        discriminator = None
        if task_config and task_config.get("class_name") == cls.__name__:
            config = task_config["config"]
            discriminator = keras.layers.deserialize(config["discriminator"])
            if load_weights:
                with load_weights_errors(preset):
                    discriminator.load_weights(preset_utils.get_file(preset, DISCRIMINATOR_WEIGHTS_FILE))
            kwargs.setdefault("seed", config.get("seed", 0))
        elif task_config and task_config.get("class_name") not in (None, cls.__name__, "SuperResolver"):
            raise ValueError(
                f"Preset {preset!r} holds a {task_config.get('class_name')} task, not {cls.__name__}."
            )
        if discriminator is None:
            discriminator = cls.default_discriminator(backbone)
        return cls(backbone=backbone, discriminator=discriminator, **kwargs)

    def save_to_preset(self, preset_dir):
        """Write the generator preset, `task.json` and the discriminator's weights."""
        preset_dir = Path(preset_dir)
        self.backbone.save_to_preset(str(preset_dir))
        config = {
            "module": type(self).__module__,
            "class_name": type(self).__name__,
            "config": self.get_config(),
            "registered_name": keras.saving.get_registered_name(type(self)),
        }
        (preset_dir / TASK_FILE).write_text(json.dumps(config, indent=2))
        self.discriminator.save_weights(str(preset_dir / DISCRIMINATOR_WEIGHTS_FILE))
