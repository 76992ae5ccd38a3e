"""diffhep: differentiable physics simulators, with gradients for NumPy, JAX and PyTorch.

The Rust framework diffhep (https://github.com/…/diffhep, see the project README) as a Python
package. Every function is batched (one call handles many events), takes and returns NumPy
float64 arrays and releases the GIL while it computes; bad input raises ``ValueError`` (or
``TypeError`` for the wrong kind of object) with the Rust message, a computation that fails on
valid input raises ``RuntimeError``.

- :class:`Process` — |M|² of any tree-level Standard-Model process given as a MadGraph-style
  string, its gradient w.r.t. momenta and param-card parameters, phase-space samples and cross
  sections.
- :func:`fit_vertex`, :func:`vertex_vjp` — the weighted vertex fit and its implicit
  vector-Jacobian product.
- :mod:`diffhep.shower` — stochastic-gradient estimators on the toy calorimeter shower.
- :mod:`diffhep.design` — the detector design study (the main job of ``diffhep design``).
- :mod:`diffhep.sbi` — the e+e- → μ+μ- SBI simulator with joint scores and joint likelihood
  ratios, and its exact likelihood.
- :func:`pin_threads` — run the batched functions on a thread pool pinned one worker per CPU
  (Linux; call once, before the first batched call).
- :mod:`diffhep.jax`, :mod:`diffhep.torch` — the same functions as JAX and PyTorch functions
  that the frameworks differentiate like their own (optional imports).
"""

from ._native import __version__, pin_threads
from .process import Process
from .vertex import fit_vertex, vertex_vjp
from . import design, sbi, shower

__all__ = [
    "__version__",
    "Process",
    "fit_vertex",
    "pin_threads",
    "vertex_vjp",
    "design",
    "sbi",
    "shower",
]
