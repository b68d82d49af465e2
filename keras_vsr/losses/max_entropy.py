"""MSE with a maximum-entropy regulariser (fidelity vs diversity)."""

import numpy as np
import keras
from keras import ops

from keras_vsr.losses.pixel import per_image_mean
from keras_vsr.utils.serialization import register


def soft_histogram_entropy(images, bins=32, bandwidth=None, value_range=(0.0, 1.0)):
    """Normalised entropy of each image's soft intensity histogram.

    See `MaxEntropyLoss` for the formula. Returns `(batch,)` values in
    [0, 1]: 0 when every pixel has the same value, 1 for a uniform spread
    over the bins.

    Args:
        images: float tensor `(batch, ...)`.
        bins: int >= 2, number of histogram bins. Default 32.
        bandwidth: float > 0 or None, the Gaussian kernel's sigma; None is
            the bin width. Default None.
        value_range: `(low, high)` of the intensities. Default (0, 1).
    """
    low, high = value_range
    width = (high - low) / bins
    sigma = width if bandwidth is None else bandwidth
    centres = ops.cast(low + width * (np.arange(bins, dtype="float32") + 0.5), images.dtype)
    x = ops.reshape(images, (ops.shape(images)[0], -1, 1))
    logits = -ops.square(x - centres) / (2.0 * sigma**2)
    weights = ops.softmax(logits, axis=-1)  # (batch, pixels, bins), rows sum to 1
    p = ops.mean(weights, axis=1)  # (batch, bins), sums to 1
    entropy = -ops.sum(p * ops.log(p + 1e-12), axis=-1)
    return entropy / float(np.log(bins))


@register
class MaxEntropyLoss(keras.losses.Loss):
    """`MSE + alpha * (1 - H(y_pred) / log K)` per image.

    The regulariser rewards predictions whose intensities are spread out
    (high entropy), countering the washed-out, low-contrast averages that
    MSE alone favours when the target is uncertain; `alpha` trades fidelity
    (MSE) against this diversity.

    Entropy of the prediction. Each pixel value `y_n` (n = 1..N, all pixels
    and channels of one image) is assigned softly to K bins with centres
    `c_k = low + (k - 1/2) (high - low) / K` by a Gaussian kernel of width
    `sigma` (the bin width by default):

        w_nk = exp(-(y_n - c_k)^2 / (2 sigma^2)) / sum_j exp(-(y_n - c_j)^2 / (2 sigma^2))

    The soft histogram is `p_k = (1/N) sum_n w_nk` (so `sum_k p_k = 1`), and
    its Shannon entropy, normalised by its maximum `log K`, is

        H(y) = -sum_k p_k log(p_k + eps),    0 <= H(y) / log K <= 1.

    Because `w_nk` is a softmax of smooth functions of `y_n`, `H` is
    differentiable in every pixel. The loss per image is

        L = (1/N) sum_n (y_n - t_n)^2 + alpha * (1 - H(y) / log K),

    minimised when the prediction matches the target while keeping a broad
    intensity distribution; `alpha = 0` is plain MSE.

    Args:
        alpha: float >= 0, weight of the entropy term. Default 0.01.
        bins: int >= 2, histogram bins K. Default 32.
        bandwidth: float > 0 or None, kernel sigma; None is the bin width.
            Default None.
        name: str, default "mse_max_entropy".
    """

    def __init__(self, alpha=0.01, bins=32, bandwidth=None, name="mse_max_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(alpha, (int, float)) or alpha < 0:
            raise ValueError(f"`alpha` must be a number >= 0. Received: alpha={alpha!r}")
        if int(bins) != bins or bins < 2:
            raise ValueError(f"`bins` must be an integer >= 2. Received: bins={bins!r}")
        if bandwidth is not None and (not isinstance(bandwidth, (int, float)) or bandwidth <= 0):
            raise ValueError(f"`bandwidth` must be None or a number > 0. Received: bandwidth={bandwidth!r}")
        self.alpha = float(alpha)
        self.bins = int(bins)
        self.bandwidth = None if bandwidth is None else float(bandwidth)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        mse = per_image_mean(ops.square(y_pred - y_true))
        entropy = soft_histogram_entropy(y_pred, self.bins, self.bandwidth)
        return mse + self.alpha * (1.0 - entropy)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "bins": self.bins, "bandwidth": self.bandwidth}
