"""Stochastic-gradient estimators on the toy calorimeter shower.

An electromagnetic shower in a sampling calorimeter of absorber layers (thicknesses in
radiation lengths X0) is a program with discrete randomness (branchings, hit or no hit).
Its expected deposits per layer are differentiated w.r.t. the thicknesses by stochastic
triples (Arya, Schauer, Schäfer, Rackauckas, NeurIPS 2022: unbiased, one run per sample),
the score function, straight-through / Gumbel-softmax (biased) or finite differences.
"""

from . import _native
from ._arrays import as_f64, count, real

ESTIMATORS = ("triple", "score", "straight-through", "gumbel", "fd")


def estimate(thickness, energy=20.0, samples=2000, estimator="triple", seed=1):
    """Expected deposits and their derivatives w.r.t. the layer thicknesses.

    Args:
        thickness: absorber thickness per layer in X0 ``(layers,)``.
        energy: beam energy in GeV.
        samples: number of showers.
        estimator: one of :data:`ESTIMATORS`.
        seed: random seed (same seed, same numbers, at any thread count).

    Returns:
        a dict with ``deposit`` and ``deposit_se`` ``(layers,)`` in GeV, ``gradient`` and
        ``gradient_se`` ``(layers, layers)`` (``gradient[k, j] = ∂E[deposit_k]/∂t_j``, GeV/X0),
        ``samples``, ``runs`` (program runs spent) and ``estimator``.
    """
    t = as_f64(thickness, "thickness")
    if t.ndim != 1:
        raise ValueError(f"thickness: expected shape (layers,), got {t.shape}")
    if not isinstance(estimator, str):
        raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
    return _native.shower_estimate(
        [float(x) for x in t], real(energy, "energy"), count(samples, "samples"), estimator, count(seed, "seed")
    )
