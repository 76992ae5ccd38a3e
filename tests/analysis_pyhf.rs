//! `diffhep::analysis` against pyhf 0.7.6, from numbers stored by committed scripts:
//! `tests/reference/pyhf_asimov.py` (√q₀ on the Asimov data of one- and three-bin models with a
//! `normfactor` signal and a `shapesys` background uncertainty) and
//! `tests/reference/pyhf_histfactory.py` (two workspaces with every modifier type and pyhf's own
//! simple models `uncorrelated_background` and `correlated_background`, and pyhf's example
//! workspaces `2-bin_1-channel.json` and `example_bkgonly.json` with and without its patch:
//! log likelihood and expected yields at several parameter points, best fits, q₀, q_μ, q̃_μ and
//! CLs).

use diffhep::analysis::asimov_significance_binned;
use diffhep::analysis::histfactory::{cls, fit, q0, qmu, qmu_tilde, Model, Workspace};
use diffhep::gradcheck::{check_gradient, GradCheckConfig};
use diffhep::{RealScalar, ScalarFn};

#[test]
fn asimov_significance_with_background_uncertainty_matches_pyhf() {
    let text = include_str!("reference/pyhf_asimov.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    let list = |c: &serde_json::Value, k: &str| -> Vec<f64> {
        c[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for c in cases {
        let (s, b, sig) = (list(c, "s"), list(c, "b"), list(c, "sigma_b"));
        let want = c["z"].as_f64().unwrap();
        let got = asimov_significance_binned(&s, &b, Some(&sig)).unwrap();
        assert!(
            (got - want).abs() < 1e-9 * want,
            "s {s:?} b {b:?} σ {sig:?}: {got} vs pyhf {want}"
        );
    }
}

/// The stored workspaces, parameter points, log likelihoods and expected yields of
/// `tests/reference/pyhf_histfactory.py` (pyhf 0.7.6).
fn histfactory_reference() -> serde_json::Value {
    serde_json::from_str(include_str!("reference/pyhf_histfactory.json")).unwrap()
}

fn flat_pars(model: &Model, named: &serde_json::Value) -> Vec<f64> {
    let mut p = model.inits();
    for (name, values) in named.as_object().unwrap() {
        let at = model
            .index(name)
            .unwrap_or_else(|| panic!("parameter {name}"));
        for (k, v) in values.as_array().unwrap().iter().enumerate() {
            p[at + k] = v.as_f64().unwrap();
        }
    }
    assert_eq!(p.len(), model.n_parameters());
    p
}

#[test]
fn histfactory_log_likelihood_and_yields_match_pyhf() {
    let v = histfactory_reference();
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 7);
    for m in models {
        let ws = Workspace::from_json(&m["workspace"].to_string()).unwrap();
        let model = Model::new(&ws, None).unwrap();
        let data = model.observed().unwrap();
        for point in m["points"].as_array().unwrap() {
            let p = flat_pars(&model, &point["pars"]);
            let want = point["logpdf"].as_f64().unwrap();
            let got = model.logpdf(&p, &data);
            assert!(
                (got - want).abs() < 1e-10 * want.abs(),
                "logpdf {got} vs pyhf {want} at {}",
                point["pars"]
            );
            let nu = model.expected(&p);
            let mut start = 0;
            for ch in model.channel_names() {
                let want: Vec<f64> = point["expected"][ch]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect();
                for (k, w) in want.iter().enumerate() {
                    let g = nu[start + k];
                    assert!(
                        (g - w).abs() < 1e-12 * w.abs().max(1.0),
                        "{ch}[{k}]: {g} vs {w}"
                    );
                }
                start += want.len();
            }
        }
    }
}

struct LogLik<'a> {
    model: &'a Model,
    data: &'a [f64],
}

impl ScalarFn for LogLik<'_> {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        self.model.logpdf(x, self.data)
    }
}

#[test]
fn histfactory_log_likelihood_gradient_matches_finite_differences() {
    // Every modifier type, systematics inside (polynomial) and outside (exponential, linear)
    // the interpolation interval, away from the joins at ±1.
    let v = histfactory_reference();
    let m = &v["models"][0];
    let ws = Workspace::from_json(&m["workspace"].to_string()).unwrap();
    let model = Model::new(&ws, None).unwrap();
    let data = model.observed().unwrap();
    let mut p = flat_pars(&model, &m["points"][0]["pars"]);
    for (name, value) in [
        ("jes", 0.4),
        ("bkg_norm", -1.7),
        ("sig_xsec", 2.2),
        ("mu", 1.3),
    ] {
        p[model.index(name).unwrap()] = value;
    }
    let f = LogLik {
        model: &model,
        data: &data,
    };
    check_gradient(&f, &p, &GradCheckConfig::default()).assert_ok();
}

#[test]
fn bad_workspaces_are_errors_naming_the_problem() {
    let v = histfactory_reference();
    let good = v["models"][1]["workspace"].to_string();
    let e = Workspace::from_json("{\"channels\": [").unwrap_err();
    assert!(e.to_string().starts_with("workspace JSON:"), "{e}");
    let bad = good.replace("\"data\":[50.0,52.0]", "\"data\":[50.0]");
    let e = Model::new(&Workspace::from_json(&bad).unwrap(), None).unwrap_err();
    assert!(e.to_string().contains("has 1 bins"), "{e}");
    let bad = good.replace("\"poi\":\"mu\"", "\"poi\":\"nu\"");
    let e = Model::new(&Workspace::from_json(&bad).unwrap(), None).unwrap_err();
    assert!(e.to_string().contains("'nu'"), "{e}");
    let bad = good.replace("\"type\":\"shapesys\"", "\"type\":\"magic\"");
    assert!(Workspace::from_json(&bad).is_err());
    let e = Model::new(&Workspace::from_json(&good).unwrap(), Some("other")).unwrap_err();
    assert!(
        e.to_string().contains("no measurement named 'other'"),
        "{e}"
    );
}

#[test]
fn fits_profiled_nuisances_and_test_statistics_match_pyhf() {
    let v = histfactory_reference();
    for m in v["models"].as_array().unwrap() {
        let ws = Workspace::from_json(&m["workspace"].to_string()).unwrap();
        let model = Model::new(&ws, None).unwrap();
        let data = model.observed().unwrap();
        let aux = model.aux_data();
        let best = fit(&model, &data, &aux, &[]).unwrap();
        // pyhf's optimizer stops ~1e-6 from the minimum in the parameters, so −2 ln L agrees
        // to its second order and the parameters to 1e-5.
        let want = m["fit"]["twice_nll"].as_f64().unwrap();
        assert!(
            (best.twice_nll - want).abs() < 1e-8 * want.abs(),
            "−2 ln L {} vs pyhf {want}",
            best.twice_nll
        );
        assert!(best.twice_nll <= want + 1e-9, "pyhf found a lower minimum");
        let pyhf_best = flat_pars(&model, &m["fit"]["pars"]);
        for (i, (a, b)) in best.pars.iter().zip(&pyhf_best).enumerate() {
            assert!((a - b).abs() < 1e-5, "parameter {i}: {a} vs pyhf {b}");
        }
        // The nuisance parameters profiled at μ = 1 (pyhf's fixed_poi_fit), as the conditional
        // fit of q_μ and CLs uses them; same tolerances as the free fit.
        let cond = fit(&model, &data, &aux, &[(model.poi, 1.0)]).unwrap();
        let want = m["conditional_fit_mu_1"]["twice_nll"].as_f64().unwrap();
        assert!(
            (cond.twice_nll - want).abs() < 1e-8 * want.abs(),
            "conditional −2 ln L {} vs pyhf {want}",
            cond.twice_nll
        );
        let pyhf_cond = flat_pars(&model, &m["conditional_fit_mu_1"]["pars"]);
        for (i, (a, b)) in cond.pars.iter().zip(&pyhf_cond).enumerate() {
            assert!(
                (a - b).abs() < 1e-5,
                "profiled parameter {i}: {a} vs pyhf {b}"
            );
        }
        for (mu, q) in m["qmu_tilde"].as_object().unwrap() {
            let mu: f64 = mu.parse().unwrap();
            let want = q.as_f64().unwrap();
            let got = qmu_tilde(&model, &data, &aux, mu).unwrap();
            assert!(
                (got - want).abs() < 1e-6 * want.abs().max(1e-2),
                "q̃({mu}) = {got} vs pyhf {want}"
            );
        }
        for (what, got, want) in [
            ("q₀", q0(&model, &data, &aux).unwrap(), &m["q0"]),
            (
                "q_μ(1)",
                qmu(&model, &data, &aux, 1.0).unwrap(),
                &m["qmu_1"],
            ),
        ] {
            let want = want.as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-6 * want.abs().max(1e-2),
                "{what} = {got} vs pyhf {want}"
            );
        }
    }
}

#[test]
fn cls_matches_pyhf_hypotest() {
    let v = histfactory_reference();
    for m in v["models"].as_array().unwrap() {
        let ws = Workspace::from_json(&m["workspace"].to_string()).unwrap();
        let model = Model::new(&ws, None).unwrap();
        let data = model.observed().unwrap();
        for (mu, r) in m["cls"].as_object().unwrap() {
            let mu: f64 = mu.parse().unwrap();
            let got = cls(&model, &data, mu).unwrap();
            let close = |a: f64, b: f64, what: &str| {
                assert!(
                    (a - b).abs() < 1e-6 * b.abs().max(1e-3),
                    "μ = {mu} {what}: {a} vs pyhf {b}"
                );
            };
            close(got.cls, r["cls"].as_f64().unwrap(), "CLs");
            close(got.clsb, r["clsb"].as_f64().unwrap(), "CLs+b");
            close(got.clb, r["clb"].as_f64().unwrap(), "CLb");
            for (k, e) in r["expected"].as_array().unwrap().iter().enumerate() {
                close(got.expected[k], e.as_f64().unwrap(), "expected CLs");
            }
        }
    }
}
