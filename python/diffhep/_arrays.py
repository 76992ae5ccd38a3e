"""Input conversion shared by the package: float64 C-contiguous arrays, checked arguments."""

import numbers

import numpy as np


def as_f64(x, name):
    """``x`` as a C-contiguous float64 array (no copy when it already is one)."""
    try:
        a = np.ascontiguousarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: cannot be read as an array of float64 ({e})") from e
    return a


def count(x, name, minimum=0):
    """``x`` as a Python int ≥ ``minimum`` (ValueError otherwise)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {x!r}")
    if x < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {x}")
    return int(x)


def real(x, name):
    """``x`` as a finite Python float (ValueError otherwise)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name}: expected a number, got {x!r}")
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name}: must be finite, got {v}")
    return v


def named_values(params, name="params"):
    """A dict {parameter: value} as two lists (names, values); ``None`` is no parameters."""
    if params is None:
        return [], []
    if not isinstance(params, dict):
        raise ValueError(f"{name}: expected a dict of parameter values, got {type(params).__name__}")
    names = []
    values = []
    for k, v in params.items():
        if not isinstance(k, str):
            raise ValueError(f"{name}: parameter names must be strings, got {k!r}")
        names.append(k)
        values.append(real(v, f"{name}[{k!r}]"))
    return names, values
