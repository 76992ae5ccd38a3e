#!/usr/bin/env python3
"""Reference numbers for src/analysis/asimov.rs from pyhf: the median discovery significance
√q₀ on the Asimov data set of one-bin models, signal with a free `normfactor` μ and background
with a `shapesys` uncertainty (Poisson-constrained, τ = (b/σ_b)²), and of multi-bin models
(one `shapesys` per bin). Writes tests/reference/pyhf_asimov.json, read by
tests/analysis_pyhf.rs.

Run from the repository root (needs `pip install pyhf==0.7.6`; numpy backend, scipy optimizer
with tolerance 1e-14 so that the fits are converged far below the test tolerance):

    python3 tests/reference/pyhf_asimov.py
"""

import json
import pathlib

import pyhf

pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-14))

CASES = [
    # (signal per bin, background per bin, absolute background uncertainty per bin)
    ([5.0], [20.0], [4.0]),
    ([30.0], [100.0], [10.0]),
    ([1.0], [0.5], [0.2]),
    ([12.0], [50.0], [25.0]),
    ([3.0, 5.0, 1.0], [10.0, 4.0, 30.0], [2.0, 1.0, 6.0]),
]


def significance(s, b, sigma):
    spec = {
        "channels": [
            {
                "name": "sr",
                "samples": [
                    {"name": "signal", "data": s, "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
                    {"name": "background", "data": b, "modifiers": [{"name": "uncorr", "type": "shapesys", "data": sigma}]},
                ],
            }
        ]
    }
    model = pyhf.Model(spec, poi_name="mu")
    init = model.config.suggested_init()
    init[model.config.poi_index] = 1.0
    asimov = model.expected_data(init)
    q0 = pyhf.infer.test_statistics.q0(
        0.0, asimov, model, model.config.suggested_init(), model.config.suggested_bounds(), model.config.suggested_fixed()
    )
    return float(q0) ** 0.5


def main():
    out = {
        "tool": f"pyhf {pyhf.__version__}",
        "what": "sqrt(q0) on the Asimov data set (mu = 1, nominal nuisances); normfactor signal, shapesys background",
        "cases": [{"s": s, "b": b, "sigma_b": sig, "z": significance(s, b, sig)} for s, b, sig in CASES],
    }
    path = pathlib.Path(__file__).with_name("pyhf_asimov.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
