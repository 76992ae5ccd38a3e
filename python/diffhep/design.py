"""The detector design study: gradient descent on a tracker and calorimeter design.

The main job of ``diffhep design`` (see the project's docs/design_study.md): the objective
combines the vertex resolution (implicit derivatives of the vertex fit), the energy resolution
(stochastic triples through the shower) and a cost; Adam steps on the logarithms of the design
parameters within their bounds. Same seed, same history, at any thread count.
"""

import json
import os

from . import _native
from ._arrays import count


def default_config():
    """The embedded default configuration (TOML text)."""
    return _native.design_default_config()


def run(config=None, overrides=None, steps=None, checkpoint=None, progress=None):
    """Run the study and return its history as arrays.

    Args:
        config: TOML text of the configuration, or a path (``os.PathLike``) to a TOML file;
            the default configuration if ``None``.
        overrides: dict of configuration keys merged into it, e.g.
            ``{"optimizer": {"steps": 5}, "seed": 3}``.
        steps: number of optimiser steps (overrides the configuration).
        checkpoint: optional path: the loop state is written there atomically after every
            step; if the file exists, the run resumes from it (same configuration required)
            and reaches the same answer as an uninterrupted run.
        progress: optional callable ``progress(step, steps, objective)`` called after each
            step.

    Returns:
        a dict with ``parameter_names``, ``step`` ``(S,)``, ``design`` ``(S, P)``,
        ``objective``, ``vertex_resolution_um``, ``energy_resolution``, ``cost``,
        ``failed_fits`` ``(S,)``, ``gradient`` ``(S - 1, P)`` (the gradient used for step
        k + 1) and ``config`` (the TOML that ran).
    """
    if isinstance(config, os.PathLike):
        with open(config, encoding="utf-8") as f:
            config = f.read()
    elif config is not None and not isinstance(config, str):
        raise ValueError(f"config: expected TOML text or a path, got {type(config).__name__}")
    if overrides is not None:
        if not isinstance(overrides, dict):
            raise ValueError(f"overrides: expected a dict, got {type(overrides).__name__}")
        overrides = json.dumps(overrides)
    if steps is not None:
        steps = count(steps, "steps")
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
    if progress is not None and not callable(progress):
        raise ValueError("progress: expected a callable progress(step, steps, objective)")
    return _native.design_run(config, overrides, steps, checkpoint, progress)
