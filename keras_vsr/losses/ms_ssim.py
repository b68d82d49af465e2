"""Multi-scale SSIM (Wang, Simoncelli and Bovik 2003) and the MS-SSIM + L1
loss of Zhao et al., "Loss Functions for Image Restoration with Neural
Networks" (IEEE TCI 2017).

MS-SSIM follows `tf.image.ssim_multiscale`: an 11x11 Gaussian window (sigma
1.5) over the valid region, per channel; at each of the M scales the mean
contrast-structure term `cs_j` is taken, and at the coarsest scale the full
SSIM; images are halved by 2x2 average pooling between scales;

    MS-SSIM = prod_{j < M} cs_j ** w_j  *  ssim_M ** w_M,

averaged over channels. Negative terms are clipped to a small positive value
(TF clips them to 0, which has no gradient). Images smaller than the window
at a scale are measured with a window of their size (sigma scaled alike), so
the loss works on small training crops; on images of at least
`filter_size * 2 ** (M - 1)` pixels it equals `tf.image.ssim_multiscale`.
"""

import keras
from keras import ops

from keras_vsr.utils.image_ops import ssim_terms
from keras_vsr.utils.serialization import register

# Wang et al. 2003, the weights of the five scales (finest first).
DEFAULT_POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_EPSILON = 1e-6


def _check(power_factors, filter_size, filter_sigma, max_val):
    factors = tuple(float(f) for f in power_factors)
    if not factors or any(f < 0 for f in factors):
        raise ValueError(
            f"`power_factors` must be a non-empty sequence of non-negative weights. "
            f"Received: power_factors={power_factors!r}"
        )
    if isinstance(filter_size, bool) or not isinstance(filter_size, int) or filter_size < 1:
        raise ValueError(f"`filter_size` must be a positive int. Received: filter_size={filter_size!r}")
    if not filter_sigma > 0:
        raise ValueError(f"`filter_sigma` must be > 0. Received: filter_sigma={filter_sigma!r}")
    if not max_val > 0:
        raise ValueError(f"`max_val` must be > 0. Received: max_val={max_val!r}")
    return factors


def _ssim_terms(x, y, max_val, filter_size, filter_sigma):
    """Per-image, per-channel mean SSIM and mean contrast-structure, `(B, C)`."""
    h, w = x.shape[1], x.shape[2]
    size = filter_size
    if h is not None and w is not None:
        size = max(1, min(filter_size, h, w))
    sigma = filter_sigma * size / filter_size
    luminance, cs = ssim_terms(x, y, max_val, size, sigma)
    return ops.mean(luminance * cs, axis=(1, 2)), ops.mean(cs, axis=(1, 2))


def _halve(x):
    h, w = x.shape[1], x.shape[2]
    if h is not None and h % 2:
        x = x[:, : h - 1]
    if w is not None and w % 2:
        x = x[:, :, : w - 1]
    return ops.average_pool(x, 2, strides=2, padding="valid")


def ms_ssim(
    y_true,
    y_pred,
    max_val=1.0,
    power_factors=DEFAULT_POWER_FACTORS,
    filter_size=11,
    filter_sigma=1.5,
):
    """Per-image MS-SSIM of `(batch, h, w, c)` images.

    Args:
        y_true, y_pred: float tensors or arrays in [0, max_val], same shape.
        max_val: float, the dynamic range. Default 1.0.
        power_factors: sequence of float, one weight per scale, finest
            first; its length is the number of scales. Default the five
            weights of Wang et al. (0.0448, 0.2856, 0.3001, 0.2363, 0.1333).
        filter_size: int, Gaussian window size. Default 11.
        filter_sigma: float, Gaussian sigma. Default 1.5.

    Returns:
        A `(batch,)` tensor, 1.0 for identical images.
    """
    factors = _check(power_factors, filter_size, filter_sigma, max_val)
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        y_pred = ops.cast(y_pred, "float32")
    y_true = ops.cast(y_true, y_pred.dtype)
    if len(y_pred.shape) != 4:
        raise ValueError(f"ms_ssim expects (batch, h, w, c) images. Received shape {y_pred.shape}")
    x, y = y_true, y_pred
    result = None
    for scale, weight in enumerate(factors):
        ssim_value, cs = _ssim_terms(x, y, max_val, filter_size, filter_sigma)
        last = scale == len(factors) - 1
        term = ops.maximum(ssim_value if last else cs, _EPSILON) ** weight
        result = term if result is None else result * term
        if not last:
            x, y = _halve(x), _halve(y)
    return ops.mean(result, axis=-1)


@register
class MSSSIMLoss(keras.losses.Loss):
    """`1 - MS-SSIM` per image (see `ms_ssim` for the arguments)."""

    def __init__(
        self,
        max_val=1.0,
        power_factors=DEFAULT_POWER_FACTORS,
        filter_size=11,
        filter_sigma=1.5,
        name="ms_ssim",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.power_factors = _check(power_factors, filter_size, filter_sigma, max_val)
        self.max_val = float(max_val)
        self.filter_size = int(filter_size)
        self.filter_sigma = float(filter_sigma)

    def _ms_ssim(self, y_true, y_pred):
        return ms_ssim(
            y_true, y_pred, self.max_val, self.power_factors, self.filter_size, self.filter_sigma
        )

    def call(self, y_true, y_pred):
        return 1.0 - self._ms_ssim(y_true, y_pred)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_val": self.max_val,
                "power_factors": list(self.power_factors),
                "filter_size": self.filter_size,
                "filter_sigma": self.filter_sigma,
            }
        )
        return config


@register
class MSSSIML1Loss(MSSSIMLoss):
    """The mixed loss of Zhao et al. 2017, per image:

        alpha * (1 - MS-SSIM(y_true, y_pred)) + (1 - alpha) * mean|y_true - y_pred|

    (the paper weights the L1 term with the Gaussian of the coarsest scale;
    here it is the plain per-pixel mean, as in most re-implementations).

    Args:
        alpha: float in [0, 1], weight of the MS-SSIM term. Default 0.84
            (the paper's value).
        max_val, power_factors, filter_size, filter_sigma: as `ms_ssim`.
        name: str, default "ms_ssim_l1".
    """

    def __init__(
        self,
        alpha=0.84,
        max_val=1.0,
        power_factors=DEFAULT_POWER_FACTORS,
        filter_size=11,
        filter_sigma=1.5,
        name="ms_ssim_l1",
        **kwargs,
    ):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
            raise ValueError(f"`alpha` must be a number in [0, 1]. Received: alpha={alpha!r}")
        super().__init__(max_val, power_factors, filter_size, filter_sigma, name=name, **kwargs)
        self.alpha = float(alpha)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        l1 = ops.mean(ops.abs(y_pred - y_true), axis=(1, 2, 3))
        return self.alpha * (1.0 - self._ms_ssim(y_true, y_pred)) + (1.0 - self.alpha) * l1

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
