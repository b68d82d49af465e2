import math
import numbers

import numpy as np
import keras

from keras_vsr.losses import L1Loss
from keras_vsr.metrics import PSNR, SSIM
from keras_vsr.models.backbone import SRBackbone
from keras_vsr.models.conversion import resolve_preset
from keras_vsr.models.task import Task
from keras_vsr.utils.imresize import bicubic_resize
from keras_vsr.utils.ensemble import self_ensemble as ensemble_of
from keras_vsr.utils.images import from_float, split_alpha, to_float, merge_alpha
from keras_vsr.utils.serialization import register
from keras_vsr.utils.tiling import default_overlap, resolve_tile, upscale_tiled


@register
class SuperResolver(Task):
    """Single-image super-resolution task around any keras_vsr SR backbone.

    The model maps float images in [0, 1], `(batch, h, w, 3)`, to
    `(batch, h * scale, w * scale, 3)`. `upscale()` is the uint8-in,
    uint8-out entry point for applications.

    Args:
        backbone: a `keras_vsr.models.SRBackbone` (e.g. `SRResNetBackbone`).
        compile: bool, compile with the defaults of `compile()`: Adam with
            learning rate 2e-4, `L1Loss`, Y-channel `PSNR` and `SSIM` with a
            border of `scale` pixels cropped. Default True.

    Example:
    ```python
    sr = keras_vsr.SuperResolver.from_preset("srresnet_x4")
    big = sr.upscale(image)  # uint8 (h, w, 3) -> uint8 (4h, 4w, 3)
    ```
    """

    backbone_cls = SRBackbone

    def __init__(self, backbone, compile=True, **kwargs):
        inputs = keras.Input(shape=backbone.input_shape[1:], name="images")
        outputs = backbone(inputs)
        super().__init__(backbone, inputs, outputs, compile=compile, **kwargs)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """As `Task.from_preset`; `preset` may also be a PyTorch checkpoint
        (`.pth`, `.safetensors`, ...) or an `hf://` repository holding one,
        converted once into the cache
        (`keras_vsr.models.conversion.resolve_preset`)."""
        return super().from_preset(resolve_preset(preset), load_weights=load_weights, **kwargs)

    @property
    def scale(self):
        return self.backbone.scale

    def default_optimizer(self):
        """The optimizer of `compile(optimizer="auto")`: Adam, learning rate 2e-4."""
        return keras.optimizers.Adam(2e-4)

    def default_loss(self):
        """The loss of `compile(loss="auto")`: `keras_vsr.losses.L1Loss()`."""
        return L1Loss()

    def default_metrics(self):
        """The metrics of `compile(metrics="auto")`: Y-channel `PSNR` and
        `SSIM` with a border of `scale` pixels cropped, the evaluation protocol."""
        s = self.backbone.scale
        return [PSNR(crop_border=s, test_y_channel=True), SSIM(crop_border=s, test_y_channel=True)]

    def upscale(self, image, tile="auto", tile_overlap=None, progress=None, size=None, scale=None,
                self_ensemble=False):
        """Super-resolve one image.

        Large images are upscaled tile by tile (`keras_vsr.utils.tiling.
        upscale_tiled`), so memory is bounded by the tile size rather than
        the image size; the result equals whole-image inference within one
        grey level when `tile_overlap` covers the model's receptive field,
        which the default overlap does for every backbone whose radius is
        at most `tiling.MAX_DEFAULT_OVERLAP` (64) LR pixels.

        The output size depends on the backbone:

        - integer-factor backbones (e.g. `SRResNetBackbone`): `scale` times
          the input by default; with another `size` or `scale`, the model's
          output is resized to it with MATLAB bicubic.
        - pre-upsampling backbones (`resize_input = True`, e.g.
          `UNetSRBackbone`): the image is first resized with MATLAB bicubic
          to the requested size (any size, any aspect, any factor), then the
          network adds detail at that size (tiles are then counted in output
          pixels). Default factor: the backbone's `default_scale`.
        - fixed-geometry backbones (with `input_size`, e.g.
          `Depth2SpaceBackbone`): the image must have exactly `input_size`
          and the output is `target_size`; anything else raises a
          `ValueError` that names the expected size. They are not tiled.

        Args:
            image: array `(h, w)` (grey), `(h, w, 1)`, `(h, w, 3)` (RGB) or
                `(h, w, 4)` (RGBA); uint8, uint16, or float in [0, 1].
                Grey images are upscaled as RGB with equal channels and
                returned grey (the mean of the output channels). The alpha
                channel of RGBA is upscaled with bicubic interpolation and
                re-attached.
            tile: `None`, int or `"auto"`. `None` runs the model on the whole
                image; an int tiles with that many LR pixels per side;
                `"auto"` tiles with `tiling.AUTO_TILE_SIZE` (256) only when
                `h * w` exceeds `tiling.AUTO_TILE_PIXELS` (512 * 512).
                Tiling applies to the RGB channels. Default `"auto"`.
            tile_overlap: int >= 0 or None, LR pixels of context around
                each tile. None uses the backbone's default,
                `keras_vsr.utils.tiling.default_overlap(backbone)`: its
                `receptive_radius` rounded up when at most 64, else its
                measured overlap. Default None.
            progress: optional callable wrapping the list of tiles (e.g.
                `tqdm.tqdm`) to report progress when tiling. Default None.
            size: pair of ints `(height, width)` or None, the output size.
                Default None.
            scale: number > 0 or None, the output size as a factor of the
                input (`round(h * scale), round(w * scale)`); not with
                `size`. Default None.
            self_ensemble: bool, average the model's outputs over the eight
                flips and rotations of the input
                (`keras_vsr.utils.ensemble.self_ensemble`): eight times the
                time, often a little closer to the original. Not for
                fixed-geometry backbones. Default False.

        Returns:
            Array of the same dtype and channel layout as `image`, of the
            requested size (by default `scale` times larger).
        """
        if tile_overlap is None:
            tile_overlap = default_overlap(self.backbone)
        array = np.asarray(image)
        rgb, alpha, layout = split_alpha(array)
        height, width = rgb.shape[:2]
        target = _target_size(height, width, size, scale)
        backbone = self.backbone
        if not isinstance(self_ensemble, bool):
            raise ValueError(f"`self_ensemble` must be True or False. Received: self_ensemble={self_ensemble!r}")
        fixed = getattr(backbone, "input_size", None) is not None
        if self_ensemble and fixed:
            raise ValueError(
                f"{type(backbone).__name__} '{backbone.name}' takes one fixed image size, so it cannot be "
                "self-ensembled (rotated inputs have another shape)."
            )
        predict = ensemble_of(self.predict_on_batch, getattr(backbone, "size_multiple", 1)) if self_ensemble else None
        if fixed:
            out = self._upscale_fixed(rgb, array.dtype, target)
        elif getattr(backbone, "resize_input", False):
            if target is None:
                target = _target_size(height, width, None, getattr(backbone, "default_scale", 2))
            resized = np.clip(bicubic_resize(to_float(rgb), target), 0.0, 1.0)
            out = self._run(resized, array.dtype, 1, tile, tile_overlap, progress, predict)
        else:
            out = self._run(rgb, array.dtype, self.scale, tile, tile_overlap, progress, predict)
            if target is not None and tuple(out.shape[:2]) != target:
                out = from_float(np.clip(bicubic_resize(to_float(out), target), 0.0, 1.0), array.dtype)
        return merge_alpha(out, alpha, layout, self.scale)

    def _run(self, image, dtype, scale=1, tile=None, tile_overlap=0, progress=None, predict=None):
        """The output of `predict` (default `predict_on_batch`) for `image`
        `(h, w, 3)`, in `dtype`: whole, or tile by tile as `resolve_tile`
        decides (`scale` is the model's factor from `image` to its output)."""
        predict = predict or self.predict_on_batch
        tile = resolve_tile(tile, tile_overlap, image.shape[0], image.shape[1])
        if tile is None:
            return from_float(np.asarray(predict(to_float(image)[None]))[0], dtype)
        # Tiles come back in the input's dtype, clipped to its range.
        align = getattr(self.backbone, "size_multiple", 1)
        out = upscale_tiled(
            predict, image, scale, tile=tile, overlap=tile_overlap, progress=progress, align=align
        )
        return out if out.dtype == dtype else from_float(out, dtype)

    def _upscale_fixed(self, rgb, dtype, target):
        """Whole-frame inference for fixed-geometry backbones (Depth2Space)."""
        backbone = self.backbone
        expected = tuple(backbone.input_size)
        output = tuple(backbone.target_size)
        advice = (
            "Resize the frames to that size first, or use a U-Net SR preset (UNetSRBackbone), which takes "
            "any input size and upscales to any size: "
            "SuperResolver.from_preset(<unet preset>).upscale(image, size=(h, w))."
        )
        if tuple(rgb.shape[:2]) != expected:
            raise ValueError(
                f"{type(backbone).__name__} '{backbone.name}' converts exactly {expected[0]}x{expected[1]} "
                f"(height x width) images to {output[0]}x{output[1]}. Received an image of "
                f"{rgb.shape[0]}x{rgb.shape[1]}. {advice}"
            )
        if target is not None and target != output:
            raise ValueError(
                f"{type(backbone).__name__} '{backbone.name}' always outputs {output[0]}x{output[1]}. "
                f"Received a request for {target[0]}x{target[1]}. {advice}"
            )
        return self._run(rgb, dtype)


def _target_size(height, width, size, scale):
    """Validate `size` / `scale`; return the output size `(h, w)` or None."""
    if size is not None and scale is not None:
        raise ValueError(f"Pass `size` or `scale`, not both. Received: size={size!r}, scale={scale!r}")
    if size is not None:
        try:
            h, w = size
        except (TypeError, ValueError):
            raise ValueError(f"`size` must be a pair (height, width) of positive ints. Received: size={size!r}")
        if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in (h, w)):
            raise ValueError(f"`size` must be a pair (height, width) of positive ints. Received: size={size!r}")
        return int(h), int(w)
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0 or not math.isfinite(scale):
            raise ValueError(f"`scale` must be a number > 0. Received: scale={scale!r}")
        return max(1, int(round(height * scale))), max(1, int(round(width * scale)))
    return None
