import keras
from keras_hub.src.utils import preset_utils

from keras_vsr.losses import MSELoss
from keras_vsr.metrics import PSNR, SSIM
from keras_vsr.models.backbone import SRBackbone


class Task(keras.Model):
    """Base of keras_vsr tasks: a functional model wrapping a backbone.

    Mirrors keras-hub's `Task` API (`backbone`, `from_preset`,
    `save_to_preset`, `get_config` -> `cls(**config)`) but keeps Keras' own
    `fit` / `predict`, so `keras.utils.PyDataset` and NumPy inputs work on
    every backend without a `tf.data` pipeline.

    `compile()` resolves each `"auto"` argument through a hook a subclass
    may override: `default_optimizer()` (here Adam with learning rate
    1e-3), `default_loss()` (`keras_vsr.losses.MSELoss()`) and
    `default_metrics()` (`PSNR` and `SSIM` on all channels).
    """

    backbone_cls = SRBackbone

    def __init__(self, backbone, inputs, outputs, compile=True, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone
        if compile:
            self.compile()

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Compile with the task's defaults.

        Args:
            optimizer: an optimizer, or `"auto"` for `default_optimizer()`.
            loss: a loss, or `"auto"` for `default_loss()`.
            metrics: a list of metrics, or `"auto"` for `default_metrics()`.
            **kwargs: other `keras.Model.compile` arguments.
        """
        if optimizer == "auto":
            optimizer = self.default_optimizer()
        if loss == "auto":
            loss = self.default_loss()
        if metrics == "auto":
            metrics = self.default_metrics()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def default_optimizer(self):
        """The optimizer of `compile(optimizer="auto")`: Adam, learning rate 1e-3."""
        return keras.optimizers.Adam(1e-3)

    def default_loss(self):
        """The loss of `compile(loss="auto")`: `MSELoss()`."""
        return MSELoss()

    def default_metrics(self):
        """The metrics of `compile(metrics="auto")`: `PSNR` and `SSIM` on all channels."""
        return [PSNR(), SSIM()]

    def get_config(self):
        return {"backbone": keras.layers.serialize(self.backbone), "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("backbone"), dict):
            config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Build the task around `backbone_cls.from_preset(preset, load_weights)`.

        `preset` is a built-in name, a local folder or `hf://owner/name`.
        """
        backbone = cls.backbone_cls.from_preset(preset, load_weights=load_weights)
        return cls(backbone=backbone, **kwargs)

    def compile_from_config(self, config):
        """Restore a saved compilation (optimizer, loss, metrics) on load."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def save_to_preset(self, preset_dir):
        """Write `task.json` and the backbone preset (config, weights, metadata)."""
        saver = preset_utils.get_preset_saver(preset_dir)
        saver.save_backbone(self.backbone)
        saver._save_serialized_object(self, config_file=preset_utils.TASK_CONFIG_FILE)
