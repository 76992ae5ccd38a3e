"""Matrix elements of any tree-level process string: :class:`Process`."""

import json
import os

import numpy as np

from . import _native
from ._arrays import as_f64, count, named_values, real

MOMENTA = "momenta"


class Process:
    """One subprocess of a MadGraph-style process string in the Standard Model (``sm``).

    ``Process("g g > t t~ g")``, ``Process("e+ e- > mu+ mu-", param_card={"MZ": 91.0})``.
    Multiparticle labels (``p``, ``j``, ``l+``, ...), coupling orders (``QCD=2``), s-channel
    requirements and exclusions (``> z >``, ``$ z``, ``/ h``) and decay chains
    (``"e+ e- > t t~, t > w+ b, t~ > w- b~"``) are accepted; a string with several
    subprocesses evaluates the one chosen by ``subprocess`` (see :attr:`subprocesses`).

    Args:
        process: the process string.
        param_card: ``None`` (MadGraph ``sm`` defaults), a dict of parameter values by
            MadGraph name (``MZ``, ``WZ``, ``aEWM1``, ``Gf``, ``MT``, ``WT``, ``MH``, ``WW``,
            ``aS``, ``MB``, ``MTA``, ``WH``, ``ymb``, ``ymt``, ``ymtau``), or the path of a
            card file (SLHA ``param_card.dat``, TOML or JSON).
        subprocess: which subprocess, 0-based.
        complex_mass: widths of W, Z, t and H in the complex-mass scheme (fixed widths
            otherwise).
        gauge: ``"unitary"`` or ``"feynman"`` (Goldstone bosons as internal lines); the same
            |M|².

    Momenta are arrays of shape ``(events, particles, 4)`` (or ``(particles, 4)`` for one
    event) holding ``[E, px, py, pz]`` in GeV, in process-string order (decay products in place
    of their parent).
    """

    def __init__(self, process, param_card=None, subprocess=0, complex_mass=False, gauge="unitary"):
        if not isinstance(process, str):
            raise ValueError(f"process: expected a string, got {type(process).__name__}")
        if not isinstance(gauge, str):
            raise ValueError(f"gauge: expected 'unitary' or 'feynman', got {gauge!r}")
        sub = count(subprocess, "subprocess")
        options = (sub, bool(complex_mass), gauge)
        if param_card is None:
            self._native = _native.Process(process, None, None, *options)
        elif isinstance(param_card, dict):
            names, values = named_values(param_card, "param_card")
            card = json.dumps(dict(zip(names, values)))
            self._native = _native.Process(process, None, card, *options)
        elif isinstance(param_card, (str, os.PathLike)):
            self._native = _native.Process(process, os.fspath(param_card), None, *options)
        else:
            raise ValueError(
                f"param_card: expected None, a dict or a path, got {type(param_card).__name__}"
            )

    @property
    def process(self):
        """The process string."""
        return self._native.process

    @property
    def subprocess(self):
        """The evaluated subprocess, e.g. ``"g g > t t~ g"``."""
        return self._native.subprocess

    @property
    def subprocesses(self):
        """Every subprocess of the string."""
        return self._native.subprocesses

    @property
    def particles(self):
        """Particle names in momentum order."""
        return self._native.particles

    @property
    def n_particles(self):
        """Number of particles (incoming and outgoing)."""
        return len(self._native.particles)

    @property
    def n_initial(self):
        """Number of incoming particles."""
        return self._native.n_initial

    @property
    def identical_factor(self):
        """The identical-particle factor, not included in :meth:`msq` (MadGraph convention)."""
        return self._native.identical_factor

    @property
    def parameters(self):
        """The param card as a dict {MadGraph name: value}."""
        return dict(self._native.parameters)

    @property
    def gauge(self):
        """``"unitary"`` or ``"feynman"``."""
        return self._native.gauge

    @property
    def complex_mass(self):
        """Whether widths are in the complex-mass scheme."""
        return self._native.complex_mass

    def _momenta(self, momenta):
        p = as_f64(momenta, "momenta")
        if p.ndim == 2:
            return p[None], True
        if p.ndim != 3:
            raise ValueError(
                f"momenta: expected shape (events, {self.n_particles}, 4) or ({self.n_particles}, 4), got {p.shape}"
            )
        return p, False

    def msq(self, momenta, params=None, check=True):
        """|M|² per event, averaged over initial and summed over final helicities and colours.

        Args:
            momenta: ``(events, particles, 4)`` or ``(particles, 4)``.
            params: optional dict of card parameters to use instead of the process's card.
            check: check energies, mass shells, momentum conservation and threshold (finiteness
                is always checked).

        Returns:
            an array ``(events,)``, or a float for a single event.
        """
        p, single = self._momenta(momenta)
        names, values = named_values(params)
        out = self._native.msq(p, names, values, bool(check))
        return float(out[0]) if single else out

    def msq_and_grad(self, momenta, wrt=(MOMENTA,), params=None, check=True):
        """|M|² and its gradient, by reverse-mode AD per event.

        Args:
            momenta: as for :meth:`msq`.
            wrt: what to differentiate with respect to: ``"momenta"`` and/or parameter names.
            params: optional dict of card parameters to use instead of the card.
            check: as for :meth:`msq`.

        Returns:
            ``(msq, grads)``: ``msq`` as from :meth:`msq`; ``grads`` a dict with
            ``grads["momenta"]`` of the momenta's shape and ``grads[name]`` ``(events,)`` (or
            floats for a single event).
        """
        if isinstance(wrt, str):
            wrt = (wrt,)
        wrt = list(wrt)
        for w in wrt:
            if not isinstance(w, str):
                raise ValueError(f"wrt: expected names, got {w!r}")
        if len(set(wrt)) != len(wrt):
            raise ValueError(f"wrt: repeated names in {wrt}")
        wrt_momenta = MOMENTA in wrt
        names_wrt = [w for w in wrt if w != MOMENTA]
        p, single = self._momenta(momenta)
        names, values = named_values(params)
        v, dmom, dpar = self._native.msq_and_grad(p, wrt_momenta, names_wrt, names, values, bool(check))
        grads = {}
        if wrt_momenta:
            grads[MOMENTA] = dmom[0] if single else dmom
        for j, n in enumerate(names_wrt):
            grads[n] = float(dpar[0, j]) if single else dpar[:, j].copy()
        return (float(v[0]) if single else v), grads

    def sample(self, n, sqrt_s, cuts=None, seed=0, params=None):
        """``n`` phase-space points at ``sqrt_s`` GeV with their cross-section weights.

        The points come from the flat RAMBO map at uniform random points (deterministic in
        ``seed``). For processes of two massless beams only; all subprocesses of the string are
        summed, with their identical-particle factors, as in ``diffhep xsec``.

        Args:
            n: number of points.
            sqrt_s: collision energy in GeV.
            cuts: dict of MadGraph generation cuts (``ptj``, ``ptl``, ``pta``, ``etaj``,
                ``etal``, ``drjj``, ``drll``, ``mmll``, ...), over MadGraph's defaults.
            seed: random seed.
            params: optional dict of card parameters.

        Returns:
            ``(momenta, weights)``: momenta ``(n, particles, 4)`` and the integrand
            (ħc)²/(2s)·Σ|M|²·S·dΦ·Θ_cuts in pb per unit hypercube volume ``(n,)``; its mean
            estimates σ in pb.
        """
        names, values = named_values(params)
        return self._native.sample(
            count(n, "n"), real(sqrt_s, "sqrt_s"), count(seed, "seed"), _cuts(cuts), names, values
        )

    def xsec(self, sqrt_s, events=100_000, seed=1, vegas_iterations=0, vegas_calls=10_000, cuts=None, params=None):
        """The cross section and its derivatives (as ``diffhep xsec``).

        Returns:
            a dict with ``sigma_pb``, ``error_pb`` (MC standard error), ``gradient``
            ({name: (∂σ/∂θ in pb per unit, its error)} for MZ, WZ, aEWM1, Gf, MT, WT and
            sqrt_s), ``events`` and ``rejected_points``.
        """
        names, values = named_values(params)
        return self._native.xsec(
            real(sqrt_s, "sqrt_s"),
            count(events, "events", 2),
            count(seed, "seed"),
            count(vegas_iterations, "vegas_iterations"),
            count(vegas_calls, "vegas_calls"),
            _cuts(cuts),
            names,
            values,
        )

    def __repr__(self):
        return repr(self._native)


def _cuts(cuts):
    names, values = named_values(cuts, "cuts")
    return list(zip(names, values))
