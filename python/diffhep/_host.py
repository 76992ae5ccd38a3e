"""Host-side evaluation shared by the JAX and PyTorch adapters.

The adapters hand NumPy arrays with arbitrary leading (batch) axes to these functions: the
leading axes of all inputs are broadcast together and flattened into events, the batched
diffhep call runs, and results come back with the broadcast leading shape. Cotangents of
inputs are summed back to each input's own shape (the transpose of the broadcast). Events
that share a parameter point go to diffhep in one call.
"""

import numpy as np

from .vertex import fit_vertex, vertex_vjp
from . import sbi


def _f64(x):
    return np.ascontiguousarray(x, dtype=np.float64)


def parameter_names(process, params):
    """The card parameters ``params`` of ``process`` to expose to a framework, checked."""
    from .process import Process

    if not isinstance(process, Process):
        raise ValueError(f"process: expected a diffhep.Process, got {type(process).__name__}")
    names = tuple(params)
    known = process.parameters
    for n in names:
        if n not in known:
            raise ValueError(f"params: unknown parameter {n!r} (known: {', '.join(known)})")
    return names


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, to ``shape``."""
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return np.ascontiguousarray(g.reshape(shape), dtype=np.float64)


def msq(process, momenta, theta, names, with_grad, wrt_momenta=True):
    """|M|² at momenta ``(..., P, 4)`` with the parameters ``names`` at ``theta`` ``(..., k)``.

    Returns ``(value (...), d_momenta (..., P, 4), d_theta (..., k))``, the gradients ``None``
    unless ``with_grad`` (and ``d_momenta`` zeros unless ``wrt_momenta``: without momenta
    diffhep differentiates the few parameters in forward mode, much cheaper than the tape).
    Momenta are checked for finiteness only (derivative checks move single components off the
    mass shell).
    """
    p = _f64(momenta)
    th = _f64(theta)
    k = len(names)
    n_particles = p.shape[-2]
    lead = np.broadcast_shapes(p.shape[:-2], th.shape[:-1])
    n = int(np.prod(lead, dtype=np.int64))
    pf = np.broadcast_to(p, lead + p.shape[-2:]).reshape(n, n_particles, 4)
    tf = np.broadcast_to(th, lead + (k,)).reshape(n, k)
    v = np.empty(n)
    gp = (np.empty if wrt_momenta else np.zeros)((n, n_particles, 4)) if with_grad else None
    gth = np.empty((n, k)) if with_grad else None
    if k == 0 or n == 0:
        groups = [(np.ones(n, dtype=bool), {})]
    else:
        rows, inverse = np.unique(tf, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        groups = [(inverse == j, dict(zip(names, map(float, row)))) for j, row in enumerate(rows)]
    for idx, params in groups:
        if not idx.any():
            continue
        batch = np.ascontiguousarray(pf[idx])
        if with_grad:
            wrt = ["momenta", *names] if wrt_momenta else list(names)
            val, g = process.msq_and_grad(batch, wrt=wrt, params=params, check=False)
            v[idx] = val
            if wrt_momenta:
                gp[idx] = g["momenta"]
            for j, name in enumerate(names):
                gth[idx, j] = g[name]
        else:
            v[idx] = process.msq(batch, params=params, check=False)
    if not with_grad:
        return v.reshape(lead), None, None
    return v.reshape(lead), gp.reshape(lead + (n_particles, 4)), gth.reshape(lead + (k,))


def _tracks(params, cov, weights):
    p = _f64(params)
    c = _f64(cov)
    w = _f64(weights)
    n = p.shape[-2]
    lead = np.broadcast_shapes(p.shape[:-2], c.shape[:-3], w.shape[:-1])
    flat = (
        np.broadcast_to(p, lead + (n, 5)).reshape(-1, n, 5),
        np.broadcast_to(c, lead + (n, 5, 5)).reshape(-1, n, 5, 5),
        np.broadcast_to(w, lead + (n,)).reshape(-1, n),
    )
    return lead, flat


def vertex_position(params, cov, weights, bz):
    """Fitted vertices ``(..., 3)`` of tracks ``(..., n, 5)``, ``(..., n, 5, 5)``, ``(..., n)``."""
    lead, (p, c, w) = _tracks(params, cov, weights)
    return fit_vertex(p, c, w, bz)["position"].reshape(lead + (3,))


def vertex_cotangents(params, cov, weights, vbar, bz):
    """Cotangents of params, cov and weights, each of its input's shape, for ``vbar`` ``(..., 3)``."""
    lead, (p, c, w) = _tracks(params, cov, weights)
    vb = np.broadcast_to(_f64(vbar), lead + (3,)).reshape(-1, 3)
    out = vertex_vjp(p, c, w, vb, bz)
    n = p.shape[-2]
    return (
        unbroadcast(out["params"].reshape(lead + (n, 5)), np.shape(params)),
        unbroadcast(out["cov"].reshape(lead + (n, 5, 5)), np.shape(cov)),
        unbroadcast(out["weights"].reshape(lead + (n,)), np.shape(weights)),
    )


def ee_mumu_log_likelihood(theta, x):
    """Exact log p(x|θ) ``(...)`` and ∂/∂θ ``(..., 2)`` for θ ``(..., 2)`` and x ``(..., 6)``."""
    t = _f64(theta)
    xx = _f64(x)
    lead = np.broadcast_shapes(t.shape[:-1], xx.shape[:-1])
    v, g = sbi.log_likelihood(
        np.broadcast_to(t, lead + (2,)).reshape(-1, 2), np.broadcast_to(xx, lead + (6,)).reshape(-1, 6)
    )
    return v.reshape(lead), g.reshape(lead + (2,))
