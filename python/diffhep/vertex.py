"""The weighted vertex fit and its implicit derivatives.

The fit minimises ``χ²(v) = Σᵢ wᵢ εᵢ(v)ᵀ Wᵢ εᵢ(v)`` over the vertex ``v`` (mm) for tracks given
by perigee parameters ``(d0, z0, φ, θ, q/p)`` (mm, rad, 1/GeV) with 5×5 covariances and
per-track weights ``wᵢ ≥ 0`` (Billoir–Qian; the weights make it a soft track selection, as in
NDIVE). Its derivatives come from the implicit function theorem at the solution, not from
unrolled iterations (see the project's docs/implicit.md).
"""

import numpy as np

from . import _native
from ._arrays import as_f64, real


def _tracks(params, cov, weights):
    p = as_f64(params, "params")
    c = as_f64(cov, "cov")
    single = p.ndim == 2
    if single:
        p = p[None]
        c = c[None]
    if p.ndim != 3:
        raise ValueError(f"params: expected shape (events, tracks, 5) or (tracks, 5), got {p.shape}")
    if weights is None:
        w = np.ones(p.shape[:2])
    else:
        w = as_f64(weights, "weights")
        if single:
            w = w[None]
    return p, c, np.ascontiguousarray(w), single


def _bz(bz):
    return None if bz is None else real(bz, "bz")


def fit_vertex(params, cov, weights=None, bz=None):
    """Fit the vertex of every event.

    Args:
        params: track parameters ``(events, tracks, 5)`` or ``(tracks, 5)``.
        cov: their covariances ``(events, tracks, 5, 5)`` or ``(tracks, 5, 5)``.
        weights: per-track weights ``(events, tracks)`` or ``(tracks,)``; ones if ``None``.
            Pad events to the same number of tracks with weight-0 tracks.
        bz: magnetic field in tesla (helices), or ``None`` for straight lines.

    Returns:
        a dict with ``position`` ``(events, 3)``, ``covariance`` ``(events, 3, 3)``, ``chi2``
        and ``ndf`` ``(events,)`` (without the events axis for a single event).
    """
    p, c, w, single = _tracks(params, cov, weights)
    pos, vcov, chi2, ndf = _native.fit_vertices(p, c, w, _bz(bz))
    out = {"position": pos, "covariance": vcov, "chi2": chi2, "ndf": ndf}
    return {k: v[0] for k, v in out.items()} if single else out


def vertex_vjp(params, cov, weights, vbar, bz=None):
    """The vector-Jacobian product of the fitted position: ``v̄ᵀ dv/dθ``.

    Args:
        params, cov, weights, bz: as for :func:`fit_vertex` (weights required).
        vbar: the cotangent of the position ``(events, 3)`` (or ``(3,)``).

    Returns:
        a dict with ``position`` (the fitted vertex) and the cotangents ``params``
        ``(events, tracks, 5)``, ``weights`` ``(events, tracks)`` and ``cov``
        ``(events, tracks, 5, 5)``. The covariance cotangent is that of a function of the
        symmetric part of each covariance (off-diagonal derivatives split evenly between
        ``C[k, l]`` and ``C[l, k]``).
    """
    p, c, w, single = _tracks(params, cov, weights)
    vb = as_f64(vbar, "vbar")
    if single:
        vb = vb[None]
    pos, pbar, wbar, cbar = _native.vertex_vjp(p, c, w, np.ascontiguousarray(vb), _bz(bz))
    out = {"position": pos, "params": pbar, "weights": wbar, "cov": cbar}
    return {k: v[0] for k, v in out.items()} if single else out
