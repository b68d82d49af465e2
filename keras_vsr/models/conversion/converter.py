"""The per-architecture converter interface and its weight bookkeeping."""

from keras_vsr.models.conversion.kernels import conv_kernel, dense_kernel, depthwise_kernel


class ConversionError(ValueError):
    """A state dict that does not convert: unknown architecture, a missing,
    left-over or mis-shaped key, or a hyper-parameter that cannot be read."""


def describe_keys(keys, limit=8):
    """`"a, b, c (and 5 more)"` for error messages."""
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" (and {len(keys) - limit} more)" if len(keys) > limit else "")


class StateDict(dict):
    """A `{key: float32 array}` dict whose missing keys raise a
    `ConversionError` that names the key (and the architecture)."""

    def __init__(self, items, architecture=None):
        super().__init__(items)
        self.architecture = architecture

    def __missing__(self, key):
        what = f"a {self.architecture} state dict needs" if self.architecture else "it needs"
        raise ConversionError(f"The state dict has no key '{key}', which {what}.")

    def shape(self, key):
        """The shape of `self[key]` as a tuple."""
        return tuple(self[key].shape)

    def count(self, prefix, suffix=""):
        """How many consecutive indices `i` (from 0) have a key starting
        with `f"{prefix}{i}."` and ending with `suffix`."""
        index = 0
        while any(k.startswith(f"{prefix}{index}.") and k.endswith(suffix) for k in self):
            index += 1
        return index


class WeightAssigner:
    """Callable `assign(variable, key, array)` handed to
    `Converter.assign_weights`: checks the shape, assigns, and records the
    key as used and the variable as set, so `check_complete` can name what
    was left over on either side."""

    def __init__(self, backbone, state_dict, architecture):
        self.backbone = backbone
        self.state_dict = state_dict
        self.architecture = architecture
        self.used = set()
        self.assigned = set()

    def __call__(self, variable, key, array=None):
        """Assign `array` (default `state_dict[key]`) to `variable`; `key`
        is a torch key or a list of keys that `array` was made from."""
        keys = [key] if isinstance(key, str) else list(key)
        sources = [self.state_dict[k] for k in keys]  # a missing key raises its ConversionError
        if array is None:
            array = sources[0]
        expected = tuple(variable.shape)
        if tuple(array.shape) != expected:
            raise ConversionError(
                f"'{' + '.join(keys)}' has the shape {tuple(sources[0].shape)} (as "
                f"{tuple(array.shape)} for Keras) but the {self.architecture} model built from the "
                f"detected configuration needs {expected} for '{variable.path}'."
            )
        variable.assign(array.astype(variable.dtype))
        self.used.update(keys)
        self.assigned.add(id(variable))

    def conv(self, layer, prefix, kernel=None, bias=None):
        """Assign a torch `Conv2d` (`prefix.weight`, `prefix.bias`) to a
        Keras `Conv2D` or `DepthwiseConv2D` `layer`; `kernel` and `bias`
        replace the converted arrays when the converter reorders them."""
        depthwise = hasattr(layer, "depthwise_kernel")
        variable = layer.depthwise_kernel if depthwise else layer.kernel
        if kernel is None:
            weight = self.state_dict[f"{prefix}.weight"]
            kernel = depthwise_kernel(weight, variable.shape[2]) if depthwise else conv_kernel(weight)
        self(variable, f"{prefix}.weight", kernel)
        if getattr(layer, "use_bias", False):
            self(layer.bias, f"{prefix}.bias", bias)

    def dense(self, layer, prefix):
        """Assign a torch `Linear` (`prefix.weight`, `prefix.bias`) to a
        Keras `Dense` `layer`."""
        self(layer.kernel, f"{prefix}.weight", dense_kernel(self.state_dict[f"{prefix}.weight"]))
        if getattr(layer, "use_bias", False):
            self(layer.bias, f"{prefix}.bias")

    def skip(self, *keys):
        """Mark buffers the Keras model recomputes (e.g. attention masks) as used."""
        self.used.update(k for k in keys if k in self.state_dict)

    def check_complete(self):
        """Raise a `ConversionError` for unused keys or unset variables."""
        unused = set(self.state_dict) - self.used
        if unused:
            raise ConversionError(
                f"The {self.architecture} state dict has keys the converted model does not use: "
                f"{describe_keys(unused)}."
            )
        unset = [v.path for v in self.backbone.weights if id(v) not in self.assigned]
        if unset:
            raise ConversionError(
                f"The {self.architecture} state dict leaves these weights of the Keras model unset: "
                f"{describe_keys(unset)}."
            )


class Converter:
    """Detects one architecture in a PyTorch state dict and converts it.

    A subclass sets `name` (shown to users and written in the metadata),
    `backbone_cls`, `purpose` (`"upscale"` or `"interpolate"`) and
    `signature` (keys that identify the architecture), and implements
    `config(state_dict)` (the backbone's keyword arguments, read from keys
    and shapes) and `assign_weights(backbone, state_dict, assign)`.
    `state_dict` is a `StateDict`: a missing key raises a `ConversionError`.
    """

    name = None
    backbone_cls = None
    purpose = "upscale"
    signature = ()

    def score(self, state_dict):
        """The fraction of `signature` keys present in `state_dict` (1.0: this
        architecture). Override when keys alone cannot tell."""
        if not self.signature:
            return 0.0
        return sum(key in state_dict for key in self.signature) / len(self.signature)

    def mismatch(self, state_dict):
        """Why `state_dict` does not fit, for the error raised when no
        architecture does and this one is the closest. Default: the
        `signature` keys it lacks."""
        missing = [key for key in self.signature if key not in state_dict]
        return f"it lacks {describe_keys(missing)}"

    def matches(self, state_dict):
        """Tie-break between converters that both score 1.0. Default True."""
        return True

    def config(self, state_dict):
        """The backbone's keyword arguments for `state_dict`."""
        raise NotImplementedError

    def assign_weights(self, backbone, state_dict, assign):
        """Call `assign(variable, key, array)` for every key of `state_dict`."""
        raise NotImplementedError

    def convert(self, state_dict):
        """Build the backbone from the detected config and load every weight.

        Returns:
            `(backbone, config)`.

        Raises:
            ConversionError: for a missing, mis-shaped or unused key, or a
                backbone weight the state dict does not set.
        """
        state_dict = StateDict(state_dict, self.name)
        config = self.config(state_dict)
        try:
            backbone = self.backbone_cls(**config)
        except ValueError as e:
            raise ConversionError(f"The detected {self.name} configuration {config} is not supported: {e}") from None
        assign = WeightAssigner(backbone, state_dict, self.name)
        self.assign_weights(backbone, state_dict, assign)
        assign.check_complete()
        return backbone, config
