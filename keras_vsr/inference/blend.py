"""Network interpolation: one super-resolver whose weights lie between two
presets of the same architecture (ESRGAN's PSNR/GAN "alpha", Real-ESRGAN's
`--denoise_strength`)."""

import numpy as np

BLEND_FORM = "PRESET:ALPHA with ALPHA in [0, 1]"


def check_alpha(alpha):
    """`alpha` as a float, or a ValueError unless it is a number in [0, 1]."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(alpha, bool) or not 0.0 <= value <= 1.0:
        raise ValueError(f"the blend weight must be a number in [0, 1]. Received: {alpha!r}")
    return value


def parse_blend(spec):
    """`(preset, alpha)` of a `PRESET:ALPHA` spec (the last colon splits,
    so `hf://owner/name:0.3` works); a ValueError naming the form otherwise."""
    preset, sep, alpha = str(spec).rpartition(":")
    if not sep or not preset:
        raise ValueError(f"Bad blend {spec!r}; expected {BLEND_FORM}")
    return preset, check_alpha(alpha)


def architecture(backbone):
    """`(class name, {config key: value})` of a backbone: what two presets
    must share to be blended."""
    return type(backbone).__name__, {key: getattr(backbone, key) for key in backbone.config_keys}


def blend_weights(first, second, alpha):
    """`(1 - alpha) * first + alpha * second`, array by array."""
    return [(1.0 - alpha) * np.asarray(a) + alpha * np.asarray(b) for a, b in zip(first, second)]


def blend_presets(first, second, alpha):
    """A `SuperResolver` with the weights `(1 - alpha) * first + alpha *
    second` of two SR presets of one architecture: `alpha = 0` is `first`,
    `alpha = 1` is `second`. With a PSNR-oriented `first` and a GAN
    `second`, alpha trades fidelity for texture (ESRGAN's network
    interpolation).

    Args:
        first, second: preset names, folders or `hf://` handles.
        alpha: float in [0, 1].

    Raises:
        ValueError: alpha outside [0, 1], or presets of different
            architectures or scales (the message shows both).
    """
    from keras_vsr.inference.tasks import build_task

    alpha = check_alpha(alpha)
    task = build_task(first, "upscale")
    other = build_task(second, "upscale")
    if architecture(task.backbone) != architecture(other.backbone):
        name, config = architecture(task.backbone)
        other_name, other_config = architecture(other.backbone)
        raise ValueError(
            f"cannot blend '{first}' ({name} {config}) with '{second}' ({other_name} {other_config}): "
            "the presets must share one architecture and scale"
        )
    task.backbone.set_weights(blend_weights(task.backbone.get_weights(), other.backbone.get_weights(), alpha))
    return task
