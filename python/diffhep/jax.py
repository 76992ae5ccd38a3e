"""diffhep functions as JAX functions: ``jax.grad``, ``jax.jit``, ``jax.vmap`` work on them.

Each function calls diffhep on the host through ``jax.pure_callback`` (with
``vmap_method="expand_dims"``, so a ``vmap`` becomes one batched call) and carries its own
derivative rule:

- :func:`msq` has a custom JVP (``jax.custom_jvp``): the primal and the gradient come from one
  diffhep call, and the tangent ``Σ ∂|M|²/∂p · ṗ + Σ ∂|M|²/∂θ · θ̇`` is linear, so JAX
  transposes it for reverse mode: ``jvp``, ``jacfwd``, ``grad``, ``jacrev`` all work.
- :func:`fit_vertex` has a custom VJP (the implicit adjoint solve of the fit); reverse mode
  only.
- :func:`ee_mumu_log_likelihood` has a custom JVP in θ (x is data: it gets no derivative).

First derivatives only (a second derivative would differentiate the host call). float64 only:
enable it with ``jax.config.update("jax_enable_x64", True)`` before using these functions.
"""

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from . import _host


def _require_x64():
    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            "diffhep.jax works in float64: call jax.config.update('jax_enable_x64', True) first"
        )


def _sds(shape):
    return jax.ShapeDtypeStruct(tuple(shape), jnp.float64)


def _host_call(fn, shapes, *args):
    return jax.pure_callback(fn, shapes, *args, vmap_method="expand_dims")


def msq(process, params=()):
    """|M|² of ``process`` as a JAX function.

    Args:
        process: a :class:`diffhep.Process`.
        params: names of card parameters to expose as a second argument ``theta``.

    Returns:
        ``f(momenta)`` — or ``f(momenta, theta)`` when ``params`` are given — mapping momenta
        ``(..., particles, 4)`` (and ``theta`` ``(..., len(params))``) to |M|² ``(...)``,
        differentiable w.r.t. both. Momenta are checked for finiteness only.
    """
    _require_x64()
    names = _host.parameter_names(process, params)
    k = len(names)
    n_particles = process.n_particles

    def lead(p, th):
        return jnp.broadcast_shapes(p.shape[:-2], th.shape[:-1])

    def value(p, th):
        def host(a, b):
            return _host.msq(process, a, b, names, False)[0]

        return _host_call(host, _sds(lead(p, th)), p, th)

    def value_and_grad(p, th, wrt_momenta):
        shape = lead(p, th)

        def host(a, b):
            return _host.msq(process, a, b, names, True, wrt_momenta)

        out = (_sds(shape), _sds(shape + (n_particles, 4)), _sds(shape + (k,)))
        return _host_call(host, out, p, th)

    @jax.custom_jvp
    def f(p, th):
        return value(p, th)

    def f_jvp(primals, tangents):
        # Symbolic zeros tell which inputs are differentiated: without momenta, diffhep
        # differentiates the parameters alone (forward mode, far cheaper than the tape).
        p, th = primals
        dp, dth = tangents
        with_p = not isinstance(dp, SymbolicZero)
        with_th = not isinstance(dth, SymbolicZero)
        v, gp, gth = value_and_grad(p, th, with_p)
        t = jnp.zeros_like(v)
        if with_p:
            t = t + jnp.sum(gp * dp, axis=(-2, -1))
        if with_th:
            t = t + jnp.sum(gth * dth, axis=-1)
        return v, t

    f.defjvp(f_jvp, symbolic_zeros=True)

    def check(p):
        p = jnp.asarray(p, dtype=jnp.float64)
        if p.ndim < 2 or p.shape[-2:] != (n_particles, 4):
            raise ValueError(f"momenta: expected shape (..., {n_particles}, 4), got {p.shape}")
        return p

    def call(p, th):
        # Broadcast to common leading axes first, so that vmap's batch axes (prepended to every
        # argument) line up in the host call.
        shape = lead(p, th)
        return f(jnp.broadcast_to(p, shape + p.shape[-2:]), jnp.broadcast_to(th, shape + (k,)))

    if k == 0:
        return lambda momenta: call(check(momenta), jnp.zeros((0,), dtype=jnp.float64))

    def with_params(momenta, theta):
        th = jnp.asarray(theta, dtype=jnp.float64)
        if th.ndim < 1 or th.shape[-1] != k:
            raise ValueError(f"theta: expected shape (..., {k}) for {names}, got {th.shape}")
        return call(check(momenta), th)

    return with_params


def fit_vertex(bz=None):
    """The vertex fit as a JAX function ``f(params, cov, weights) -> position``.

    Shapes ``(..., tracks, 5)``, ``(..., tracks, 5, 5)``, ``(..., tracks)`` → ``(..., 3)``;
    differentiable (reverse mode) w.r.t. all three by the implicit adjoint of the fit.
    ``bz``: field in tesla, or ``None`` for straight lines.
    """
    _require_x64()

    def lead(p, c, w):
        return jnp.broadcast_shapes(p.shape[:-2], c.shape[:-3], w.shape[:-1])

    def position(p, c, w):
        return _host_call(
            lambda a, b, d: _host.vertex_position(a, b, d, bz), _sds(lead(p, c, w) + (3,)), p, c, w
        )

    @jax.custom_vjp
    def f(p, c, w):
        return position(p, c, w)

    def fwd(p, c, w):
        return position(p, c, w), (p, c, w)

    def bwd(res, vbar):
        p, c, w = res
        shapes = (_sds(p.shape), _sds(c.shape), _sds(w.shape))
        return _host_call(lambda a, b, d, e: _host.vertex_cotangents(a, b, d, e, bz), shapes, p, c, w, vbar)

    f.defvjp(fwd, bwd)

    def call(params, cov, weights):
        p, c, w = (jnp.asarray(a, dtype=jnp.float64) for a in (params, cov, weights))
        if p.ndim < 2 or p.shape[-1] != 5:
            raise ValueError(f"params: expected shape (..., tracks, 5), got {p.shape}")
        shape = lead(p, c, w)
        n = p.shape[-2]
        return f(
            jnp.broadcast_to(p, shape + (n, 5)),
            jnp.broadcast_to(c, shape + (n, 5, 5)),
            jnp.broadcast_to(w, shape + (n,)),
        )

    return call


@jax.custom_jvp
def _loglik(theta, x):
    shape = jnp.broadcast_shapes(theta.shape[:-1], x.shape[:-1])
    return _host_call(lambda a, b: _host.ee_mumu_log_likelihood(a, b)[0], _sds(shape), theta, x)


@_loglik.defjvp
def _loglik_jvp(primals, tangents):
    theta, x = primals
    dtheta, _ = tangents
    shape = jnp.broadcast_shapes(theta.shape[:-1], x.shape[:-1])
    v, g = _host_call(_host.ee_mumu_log_likelihood, (_sds(shape), _sds(shape + (2,))), theta, x)
    return v, jnp.sum(g * dtheta, axis=-1)


def ee_mumu_log_likelihood(theta, x):
    """Exact log p(x|θ) of the e+e- → μ+μ- SBI task, differentiable in θ ``(..., 2)``; x ``(..., 6)`` is data."""
    _require_x64()
    th = jnp.asarray(theta, dtype=jnp.float64)
    xx = jax.lax.stop_gradient(jnp.asarray(x, dtype=jnp.float64))
    shape = jnp.broadcast_shapes(th.shape[:-1], xx.shape[:-1])
    return _loglik(jnp.broadcast_to(th, shape + th.shape[-1:]), jnp.broadcast_to(xx, shape + xx.shape[-1:]))


__all__ = ["msq", "fit_vertex", "ee_mumu_log_likelihood"]
