"""Argument checks shared by layers, models and datasets: each returns the
normalised value or raises one ValueError that names the argument and what
was received."""

import numbers


def positive_int(value, name):
    """`value` as an int when it is an integer >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return int(value)


def positive_ints(name_values):
    """`positive_int` over `(name, value)` pairs; returns the ints in order."""
    return [positive_int(value, name) for name, value in name_values]


def size_pair(value, name):
    """An int `n` (meaning `(n, n)`) or a pair `(height, width)` of positive
    ints, as a tuple of two ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be an int or a pair (height, width) of ints. Received: {name}={value!r}"
        ) from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in (a, b)):
        raise ValueError(f"`{name}` must hold positive ints. Received: {name}={value!r}")
    return int(a), int(b)


def open_fraction(value, name):
    """`value` as a float when it is a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"`{name}` must be in (0, 1). Received: {name}={value!r}")
    return float(value)
