#!/usr/bin/env python3
"""Reference numbers for src/analysis/histfactory from pyhf: two workspaces that use every
modifier type (normfactor, normsys, histosys, staterror, shapesys, shapefactor, lumi) and pyhf's
own simple models (`pyhf.simplemodels.uncorrelated_background`, `correlated_background`), with the
log likelihood (`model.logpdf`, main and auxiliary data) and the expected yields at several
parameter points, including systematics beyond ±1 (the exponential and linear branches of the
code-4 and code-4p interpolations) and bins without uncertainty (fixed γ); the maximum-likelihood
fit (best-fit parameters and −2 ln L, scipy optimizer at tolerance 1e-14), q̃_μ, the profiled
nuisance parameters at μ = 1 (`fixed_poi_fit`) and the asymptotic CLs (`hypotest`, test statistic q̃_μ, observed, tail probabilities and expected band)
at μ = 0.5, 1 and 2 on the observed data, and q₀ and q_μ (μ = 1). Also pyhf's own example
workspaces, copied unchanged into tests/reference/pyhf_examples/ from the pyhf repository
(Apache-2.0; commit b3dc4bb20a5ee8495718bba1efaa86e9f9fce074): docs/examples/json/2-bin_1-channel.json
(the workspace of pyhf's README `pyhf cls` example) and tests/test_patchset/example_bkgonly.json
(HistFactory's example.xml converted, with fixed parameters), alone and with its patch set's
patch applied. Writes
tests/reference/pyhf_histfactory.json, read by tests/analysis_pyhf.rs.

Run from the repository root (needs `pip install pyhf==0.7.6`):

    python3 tests/reference/pyhf_histfactory.py
"""

import json
import pathlib

import numpy as np
import pyhf

pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-14))

EVERY_MODIFIER = {
    "channels": [
        {
            "name": "signal_region",
            "samples": [
                {
                    "name": "signal",
                    "data": [5.0, 10.0, 3.0],
                    "modifiers": [
                        {"name": "mu", "type": "normfactor", "data": None},
                        {"name": "lumi", "type": "lumi", "data": None},
                        {"name": "sig_xsec", "type": "normsys", "data": {"hi": 1.1, "lo": 0.85}},
                        {"name": "jes", "type": "histosys", "data": {"hi_data": [6.0, 11.5, 3.1], "lo_data": [4.5, 9.0, 2.6]}},
                        {"name": "staterror_signal_region", "type": "staterror", "data": [1.0, 1.5, 0.0]},
                    ],
                },
                {
                    "name": "background",
                    "data": [50.0, 42.0, 20.0],
                    "modifiers": [
                        {"name": "lumi", "type": "lumi", "data": None},
                        {"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.05, "lo": 0.9}},
                        {"name": "jes", "type": "histosys", "data": {"hi_data": [53.0, 43.0, 21.5], "lo_data": [48.0, 40.0, 19.0]}},
                        {"name": "staterror_signal_region", "type": "staterror", "data": [3.0, 2.0, 0.0]},
                        {"name": "bkg_shape", "type": "shapesys", "data": [5.0, 4.0, 0.0]},
                    ],
                },
            ],
        },
        {
            "name": "control",
            "samples": [
                {
                    "name": "background",
                    "data": [100.0, 80.0],
                    "modifiers": [
                        {"name": "lumi", "type": "lumi", "data": None},
                        {"name": "cr_shape", "type": "shapefactor", "data": None},
                        {"name": "bkg_norm", "type": "normsys", "data": {"hi": 1.05, "lo": 0.9}},
                    ],
                }
            ],
        },
    ],
    "observations": [
        {"name": "signal_region", "data": [57.0, 50.0, 24.0]},
        {"name": "control", "data": [104.0, 77.0]},
    ],
    "measurements": [
        {
            "name": "meas",
            "config": {
                "poi": "mu",
                "parameters": [{"name": "lumi", "auxdata": [1.0], "sigmas": [0.02], "bounds": [[0.5, 1.5]], "inits": [1.0]}],
            },
        }
    ],
    "version": "1.0.0",
}

SIMPLE = {
    "channels": [
        {
            "name": "singlechannel",
            "samples": [
                {"name": "signal", "data": [12.0, 11.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
                {"name": "background", "data": [50.0, 52.0], "modifiers": [{"name": "uncorr_bkguncrt", "type": "shapesys", "data": [3.0, 7.0]}]},
            ],
        }
    ],
    "observations": [{"name": "singlechannel", "data": [51.0, 48.0]}],
    "measurements": [{"name": "Measurement", "config": {"poi": "mu", "parameters": []}}],
    "version": "1.0.0",
}


def simple_model_workspace(model, observed):
    """A workspace around one of pyhf's own simple models (`pyhf.simplemodels`)."""
    return {
        "channels": model.spec["channels"],
        "observations": [{"name": model.config.channels[0], "data": observed}],
        "measurements": [{"name": "Measurement", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def points(model, rng):
    """The init point and two random points (systematics drawn in ±2.5, factors in 0.5–1.5)."""
    init = np.array(model.config.suggested_init(), dtype=float)
    out = [init]
    for _ in range(2):
        p = init.copy()
        for name in model.config.par_order:
            sl = model.config.par_slice(name)
            if name in ("sig_xsec", "bkg_norm", "jes", "correlated_bkg_uncertainty"):
                p[sl] = rng.uniform(-2.5, 2.5, size=sl.stop - sl.start)
            else:
                p[sl] = rng.uniform(0.5, 1.5, size=sl.stop - sl.start)
        out.append(p)
    return out


def record(spec, rng):
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = ws.data(model)
    rows = []
    for p in points(model, rng):
        named = {name: p[model.config.par_slice(name)].tolist() for name in model.config.par_order}
        expected = model.expected_actualdata(p)
        per_channel = {}
        start = 0
        for ch in model.config.channels:
            n = model.config.channel_nbins[ch]
            per_channel[ch] = expected[start : start + n].tolist()
            start += n
        rows.append({"pars": named, "logpdf": float(model.logpdf(p, data)[0]), "expected": per_channel})
    best, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    best_named = {name: best[model.config.par_slice(name)].tolist() for name in model.config.par_order}
    # The nuisance parameters profiled at μ = 1 (the conditional fit of q̃_μ and CLs).
    cond, cond_nll = pyhf.infer.mle.fixed_poi_fit(1.0, data, model, return_fitted_val=True)
    cond_named = {name: cond[model.config.par_slice(name)].tolist() for name in model.config.par_order}
    qmu = {}
    for mu in (0.5, 1.0, 2.0):
        qmu[str(mu)] = float(
            pyhf.infer.test_statistics.qmu_tilde(
                mu, data, model, model.config.suggested_init(), model.config.suggested_bounds(), model.config.suggested_fixed()
            )
        )
    init, bounds, fixed = model.config.suggested_init(), model.config.suggested_bounds(), model.config.suggested_fixed()
    q0 = float(pyhf.infer.test_statistics.q0(0.0, data, model, init, bounds, fixed))
    qmu_1 = float(pyhf.infer.test_statistics.qmu(1.0, data, model, init, bounds, fixed))
    cls = {}
    for mu in (0.5, 1.0, 2.0):
        obs, (clsb, clb), expected = pyhf.infer.hypotest(
            mu, data, model, test_stat="qtilde", return_tail_probs=True, return_expected_set=True
        )
        cls[str(mu)] = {"cls": float(obs), "clsb": float(clsb), "clb": float(clb), "expected": [float(e) for e in expected]}
    return {
        "workspace": spec,
        "points": rows,
        "fit": {"pars": best_named, "twice_nll": float(twice_nll)},
        "conditional_fit_mu_1": {"pars": cond_named, "twice_nll": float(cond_nll)},
        "qmu_tilde": qmu,
        "q0": q0,
        "qmu_1": qmu_1,
        "cls": cls,
    }


def example(name):
    """One of pyhf's example workspaces, as copied into tests/reference/pyhf_examples/."""
    here = pathlib.Path(__file__).with_name("pyhf_examples")
    return json.loads((here / name).read_text())


def patched_example():
    """example_bkgonly.json with the one patch of example_patchset.json applied by pyhf."""
    ws = pyhf.Workspace(example("example_bkgonly.json"))
    patchset = pyhf.PatchSet(example("example_patchset.json"))
    return dict(patchset.apply(ws, "patch_channel1_signal_syst1"))


def main():
    rng = np.random.default_rng(20261207)
    out = {
        "tool": f"pyhf {pyhf.__version__}",
        "what": "model.logpdf(pars, workspace data incl. auxdata) and expected_actualdata per channel",
        "models": [
            record(EVERY_MODIFIER, rng),
            record(SIMPLE, rng),
            record(
                simple_model_workspace(
                    pyhf.simplemodels.uncorrelated_background([5.0, 10.0], [50.0, 60.0], [5.0, 12.0]), [53.0, 65.0]
                ),
                rng,
            ),
            record(
                simple_model_workspace(
                    pyhf.simplemodels.correlated_background([12.0, 11.0], [50.0, 52.0], [55.0, 56.0], [45.0, 47.0]),
                    [64.0, 58.0],
                ),
                rng,
            ),
            record(example("2-bin_1-channel.json"), rng),
            record(example("example_bkgonly.json"), rng),
            record(patched_example(), rng),
        ],
    }
    path = pathlib.Path(__file__).with_name("pyhf_histfactory.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
