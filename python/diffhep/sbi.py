"""The e+e- → μ+μ- simulation-based-inference task, with joint scores and likelihood ratios.

θ = (M_Z in GeV, sin²θ_W), prior uniform on [90, 92.5] × [0.18, 0.28]. Two runs at √s = 89
and 93 GeV of 500 events each; cos θ of each muon is drawn from the tree-level angular density
and smeared; x (6-D) holds, per run, the fractions of events in three of four cos θ bins. The
latent z are the true cos θ, so the joint score ``t(x, z|θ) = ∇θ log p(x, z|θ)`` and the joint
likelihood ratio ``r(x, z|θ, θ₁)`` are exact — the training data of the gradient-augmented
estimators (SCANDAL, RASCAL, ROLR; Brehmer, Louppe, Pavez, Cranmer, PNAS 117 (2020) 5242),
e.g. for the ``sbi`` package. The observed-data likelihood ``p(x|θ)`` is also exact here
(a multinomial), which makes the task a test bed.
"""

import numpy as np

from . import _native
from ._arrays import as_f64, count


def info():
    """The task's constants: prior bounds, √s of the runs, events per run, bin edges, smearing."""
    return _native.ee_mumu_info()


def _theta(theta, name="theta"):
    t = as_f64(theta, name)
    single = t.ndim == 1
    if single:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"{name}: expected shape (n, 2) or (2,), got {np.shape(theta)}")
    return t, single


def simulate(theta, seed=0, reference=None):
    """One simulation per parameter point, with its joint score and joint log ratio.

    Args:
        theta: ``(n, 2)`` or ``(2,)``.
        seed: random seed; simulation ``i`` uses the stream ``(seed, i)``.
        reference: optional θ₁ ``(2,)`` for the joint log likelihood ratio.

    Returns:
        a dict with ``x`` ``(n, 6)``, ``joint_score`` ``(n, 2)`` and, with ``reference``,
        ``joint_log_ratio`` ``(n,)`` = log p(x, z|θ) − log p(x, z|θ₁).
    """
    t, single = _theta(theta)
    ref = None
    if reference is not None:
        r = as_f64(reference, "reference")
        if r.shape != (2,):
            raise ValueError(f"reference: expected shape (2,), got {r.shape}")
        ref = (float(r[0]), float(r[1]))
    x, score, ratio = _native.ee_mumu_simulate(t, count(seed, "seed"), ref)
    out = {"x": x, "joint_score": score}
    if ratio is not None:
        out["joint_log_ratio"] = ratio
    return {k: v[0] for k, v in out.items()} if single else out


def log_likelihood(theta, x):
    """Exact ``log p(x|θ)`` (up to a θ-independent constant) and its gradient w.r.t. θ.

    Args:
        theta: ``(n, 2)`` or ``(2,)``.
        x: observations ``(n, 6)`` or ``(6,)``.

    Returns:
        ``(log_p, grad)``: ``(n,)`` and ``(n, 2)`` (a float and ``(2,)`` for one point).
    """
    t, single = _theta(theta)
    xx = as_f64(x, "x")
    if single:
        xx = xx[None]
    v, g = _native.ee_mumu_log_likelihood(t, np.ascontiguousarray(xx))
    return (float(v[0]), g[0]) if single else (v, g)
