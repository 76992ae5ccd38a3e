"""diffhep functions as PyTorch autograd functions (``torch.autograd.Function``).

Inputs are converted to float64 on the CPU for diffhep and the results come back as float64
tensors on the input's device; gradients flow into every tensor input that requires them
(momenta and parameters, track parameters, covariances and weights, θ). First derivatives
only (the backward passes are ``once_differentiable``).

- :func:`msq`: |M|² and, when needed, its gradient in the same diffhep call.
- :func:`fit_vertex`: the vertex fit; backward is the implicit adjoint solve of the fit.
- :func:`ee_mumu_log_likelihood`: exact log p(x|θ) of the SBI task, differentiable in θ.
"""

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from . import _host


def _np(t):
    return t.detach().to(device="cpu", dtype=torch.float64).numpy()


def _t(a, like):
    return torch.from_numpy(np.ascontiguousarray(a)).to(device=like.device)


class _Msq(torch.autograd.Function):
    @staticmethod
    def forward(ctx, momenta, theta, process, names):
        need = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        v, gp, gth = _host.msq(process, _np(momenta), _np(theta), names, need, ctx.needs_input_grad[0])
        if need:
            ctx.save_for_backward(_t(gp, momenta), _t(gth, momenta))
            ctx.shapes = (momenta.shape, theta.shape)
        return _t(v, momenta)

    @staticmethod
    @once_differentiable
    def backward(ctx, gout):
        gp, gth = ctx.saved_tensors
        pshape, tshape = ctx.shapes
        dp = (gout[..., None, None] * gp).sum_to_size(pshape) if ctx.needs_input_grad[0] else None
        dth = (gout[..., None] * gth).sum_to_size(tshape) if ctx.needs_input_grad[1] else None
        return dp, dth, None, None


def msq(process, params=()):
    """|M|² of ``process`` as a PyTorch function.

    Returns ``f(momenta)`` — or ``f(momenta, theta)`` when ``params`` (card parameter names)
    are given — mapping momenta ``(..., particles, 4)`` (and ``theta`` ``(..., len(params))``)
    to |M|² ``(...)``, differentiable w.r.t. both. Momenta are checked for finiteness only.
    """
    names = _host.parameter_names(process, params)

    def f(momenta, theta=None):
        if not torch.is_tensor(momenta):
            raise ValueError("momenta: expected a torch.Tensor")
        if theta is None:
            if names:
                raise ValueError(f"theta: values of {names} are required")
            theta = torch.zeros(0, dtype=torch.float64, device=momenta.device)
        return _Msq.apply(momenta, theta, process, names)

    return f


class _Vertex(torch.autograd.Function):
    @staticmethod
    def forward(ctx, params, cov, weights, bz):
        ctx.save_for_backward(params, cov, weights)
        ctx.bz = bz
        return _t(_host.vertex_position(_np(params), _np(cov), _np(weights), bz), params)

    @staticmethod
    @once_differentiable
    def backward(ctx, vbar):
        params, cov, weights = ctx.saved_tensors
        pbar, cbar, wbar = _host.vertex_cotangents(_np(params), _np(cov), _np(weights), _np(vbar), ctx.bz)
        need = ctx.needs_input_grad
        return (
            _t(pbar, params) if need[0] else None,
            _t(cbar, params) if need[1] else None,
            _t(wbar, params) if need[2] else None,
            None,
        )


def fit_vertex(params, cov, weights, bz=None):
    """Fitted vertex positions ``(..., 3)`` of tracks ``(..., tracks, 5)``, covariances
    ``(..., tracks, 5, 5)`` and weights ``(..., tracks)``, differentiable w.r.t. all three."""
    return _Vertex.apply(params, cov, weights, bz)


class _LogLik(torch.autograd.Function):
    @staticmethod
    def forward(ctx, theta, x):
        v, g = _host.ee_mumu_log_likelihood(_np(theta), _np(x))
        ctx.save_for_backward(_t(g, theta))
        ctx.shape = theta.shape
        return _t(v, theta)

    @staticmethod
    @once_differentiable
    def backward(ctx, gout):
        (g,) = ctx.saved_tensors
        return (gout[..., None] * g).sum_to_size(ctx.shape), None


def ee_mumu_log_likelihood(theta, x):
    """Exact log p(x|θ) of the e+e- → μ+μ- SBI task, differentiable in θ ``(..., 2)``; x is data."""
    return _LogLik.apply(theta, x)
