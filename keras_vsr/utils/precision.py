"""Inference precision: the names users pick and the Keras dtype policies
they build models under.

`"float32"` is plain float32. `"bfloat16"` and `"float16"` are Keras' mixed
policies (`"mixed_bfloat16"`, `"mixed_float16"`): the variables, and so the
weights loaded from a preset, stay float32; layers compute in the reduced
type. Reduced precision is only fast where the hardware has it; on a CPU
that lacks the instructions it runs emulated, often slower than float32, and
`slow_precision_warning` says so.
"""

import functools

PRECISIONS = ("float32", "bfloat16", "float16")

_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}

# x86 CPU flags of native reduced-precision matrix instructions.
_CPU_FLAGS = {
    "bfloat16": ("avx512_bf16", "amx_bf16"),
    "float16": ("avx512_fp16", "amx_fp16"),
}


def check_precision(precision):
    """Return `precision` if it is one of `PRECISIONS`, else raise a ValueError."""
    if precision not in PRECISIONS:
        raise ValueError(f"`precision` must be one of {PRECISIONS}. Received: precision={precision!r}")
    return precision


def dtype_policy(precision):
    """The Keras dtype policy name of `precision` ("bfloat16" ->
    "mixed_bfloat16", ...)."""
    return _POLICIES[check_precision(precision)]


@functools.lru_cache(maxsize=1)
def _cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def slow_precision_warning(precision, device, backend=None):
    """A sentence saying why `precision` will run slowly on `device` (as
    `compute_device()` names it) with the Keras `backend`, or None.

    Only CPUs are judged: a reduced precision is slow on a CPU without its
    matrix instructions (`avx512_bf16`/`amx_bf16` for bfloat16,
    `avx512_fp16`/`amx_fp16` for float16, read from /proc/cpuinfo), and
    bfloat16 on JAX's CPU backend (XLA), which does not use them for
    convolutions (`tools/precision_table.py`). Returns None when nothing is
    known (no /proc/cpuinfo, another device).
    """
    check_precision(precision)
    if precision == "float32" or device != "cpu":
        return None
    if precision == "bfloat16" and backend == "jax":
        return (
            "JAX on CPU runs bfloat16 convolutions no faster than float32 (0.7-1.1x measured on an "
            "avx512_bf16 CPU); the TensorFlow backend runs them 1.6-2.3x faster there"
        )
    flags = _cpu_flags()
    if flags is None or any(flag in flags for flag in _CPU_FLAGS[precision]):
        return None
    needed = " or ".join(_CPU_FLAGS[precision])
    return f"this CPU has no {needed} instructions: {precision} runs emulated, likely slower than float32"


def compute_device():
    """`"gpu"`, `"tpu"` or `"cpu"`: where the current Keras backend computes."""
    import keras

    if keras.config.backend() == "torch":  # keras.distribution does not cover torch
        import torch

        return "gpu" if torch.cuda.is_available() else "cpu"
    return keras.distribution.list_devices()[0].split(":")[0].lower()
