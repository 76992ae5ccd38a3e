//! Derivatives of HistFactory fits, q̃_μ, CLs and the Fisher information
//! (`diffhep::analysis::histfactory::{gradients, fisher}`) against central finite differences of
//! the same quantities recomputed from scratch (every fit redone), on the workspaces of
//! `tests/reference/pyhf_histfactory.json` (every modifier type, pyhf's simple models and example
//! workspaces), and the Fisher information against closed forms.

use diffhep::analysis::histfactory::{
    asimov_cls_gradient, cls, cls_gradient, fisher_information, fit, fit_jacobian, qmu_tilde,
    signal_strength_variance, ClsResult, Model, Workspace,
};

fn models() -> Vec<(String, Model)> {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("reference/pyhf_histfactory.json")).unwrap();
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let ws = Workspace::from_json(&m["workspace"].to_string()).unwrap();
            (format!("model {k}"), Model::new(&ws, None).unwrap())
        })
        .collect()
}

/// The relative step of the central differences. Fits end with a full Newton step, so their
/// values are accurate to rounding (~1e-14 relative) and the differences to ~1e-8; where the
/// data sit exactly on a bound's kink (observed = background, μ̂ = 0 with zero slope) the value
/// function is only C¹ and the central difference is first-order, an error ~h.
const STEP: f64 = 1e-6;

fn perturbed(x: &[f64], i: usize, sign: f64) -> (Vec<f64>, f64) {
    let h = STEP * x[i].abs().max(1.0);
    let mut a = x.to_vec();
    a[i] += sign * h;
    (a, h)
}

/// Central difference of `f` along input `i` of `x`.
fn central(x: &[f64], i: usize, f: &dyn Fn(&[f64]) -> f64) -> f64 {
    let (a, h) = perturbed(x, i, 1.0);
    let (b, _) = perturbed(x, i, -1.0);
    (f(&a) - f(&b)) / (2.0 * h)
}

/// Agreement to 1e-5 of the gradient's scale (see [`STEP`] for the error budget).
fn assert_close(what: &str, got: &[f64], fd: &[f64]) {
    let scale = got.iter().chain(fd).fold(1e-8f64, |m, v| m.max(v.abs()));
    for (i, (g, d)) in got.iter().zip(fd).enumerate() {
        assert!(
            (g - d).abs() <= 1e-5 * scale,
            "{what}[{i}]: {g} vs finite differences {d} (scale {scale})"
        );
    }
}

#[test]
fn cls_gradients_match_finite_differences_on_every_reference_workspace() {
    type Pick = fn(&ClsResult) -> f64;
    let picks: [(&str, Pick); 6] = [
        ("CLs", |r| r.cls),
        ("q̃", |r| r.qmu_tilde),
        ("q̃_A", |r| r.qmu_tilde_asimov),
        ("CLs_exp[+2σ]", |r| r.expected[0]),
        ("CLs_exp[median]", |r| r.expected[2]),
        ("CLs_exp[−2σ]", |r| r.expected[4]),
    ];
    for (name, model) in models() {
        let data = model.observed().unwrap();
        let t0 = model.templates().to_vec();
        let nt = t0.len();
        for mu in [0.5, 2.0] {
            let g = cls_gradient(&model, &data, mu).unwrap();
            // One CLs computation (every fit redone) per perturbed input and side.
            let fd: Vec<[f64; 6]> = (0..nt + data.len())
                .map(|i| {
                    let side = |sign: f64| {
                        let r = if i < nt {
                            let (t, h) = perturbed(&t0, i, sign);
                            (cls(&model.with_templates(&t).unwrap(), &data, mu), h)
                        } else {
                            let (d, h) = perturbed(&data, i - nt, sign);
                            (cls(&model, &d, mu), h)
                        };
                        (r.0.unwrap(), r.1)
                    };
                    let ((a, h), (b, _)) = (side(1.0), side(-1.0));
                    picks.map(|(_, f)| (f(&a) - f(&b)) / (2.0 * h))
                })
                .collect();
            let grads = [
                &g.cls,
                &g.qmu_tilde,
                &g.qmu_tilde_asimov,
                &g.expected[0],
                &g.expected[2],
                &g.expected[4],
            ];
            for (k, (what, _)) in picks.iter().enumerate() {
                let got: Vec<f64> = grads[k]
                    .templates
                    .iter()
                    .chain(&grads[k].data)
                    .copied()
                    .collect();
                let want: Vec<f64> = fd.iter().map(|row| row[k]).collect();
                assert_close(&format!("{name} μ = {mu} d{what}"), &got, &want);
            }
        }
    }
}

#[test]
fn qmu_tilde_gradient_in_the_auxiliary_data_matches_finite_differences() {
    use diffhep::analysis::histfactory::qmu_tilde_gradient;
    for (name, model) in models() {
        let data = model.observed().unwrap();
        let aux = model.aux_data();
        let (q, g) = qmu_tilde_gradient(&model, &data, &aux, 1.0).unwrap();
        assert!((q - qmu_tilde(&model, &data, &aux, 1.0).unwrap()).abs() < 1e-12 * q.max(1.0));
        let fd: Vec<f64> = (0..aux.len())
            .map(|i| central(&aux, i, &|a| qmu_tilde(&model, &data, a, 1.0).unwrap()))
            .collect();
        assert_close(&format!("{name} dq̃/daux"), &g.aux, &fd);
    }
}

#[test]
fn fit_jacobian_matches_finite_differences_of_the_fit() {
    for (name, model) in models() {
        // Three events more per bin than observed keep μ̂ off its bound: several reference
        // data sets equal the background, where μ̂ = 0 sits on the kink between "free" and
        // "held at the bound" and has no derivative (one-sided slopes differ by a factor 2).
        let data: Vec<f64> = model.observed().unwrap().iter().map(|n| n + 3.0).collect();
        let aux = model.aux_data();
        let best = fit(&model, &data, &aux, &[]).unwrap();
        let jac = fit_jacobian(&model, &data, &aux, &[], &best).unwrap();
        let nt = model.templates().len();
        let t0 = model.templates().to_vec();
        // One fit per perturbed input and side; compared over the whole Jacobian's scale.
        let refit = |i: usize, sign: f64| {
            if i < nt {
                let (t, h) = perturbed(&t0, i, sign);
                (
                    fit(&model.with_templates(&t).unwrap(), &data, &aux, &[])
                        .unwrap()
                        .pars,
                    h,
                )
            } else {
                let (d, h) = perturbed(&data, i - nt, sign);
                (fit(&model, &d, &aux, &[]).unwrap().pars, h)
            }
        };
        let mut got = Vec::new();
        let mut fd = Vec::new();
        for i in 0..nt + data.len() {
            let ((a, h), (b, _)) = (refit(i, 1.0), refit(i, -1.0));
            for p in 0..model.n_parameters() {
                got.push(jac[(p, i)]);
                fd.push((a[p] - b[p]) / (2.0 * h));
            }
        }
        assert_close(&format!("{name} dθ̂ (input-major)"), &got, &fd);
    }
}

#[test]
fn asimov_cls_gradient_is_the_total_derivative_through_the_generated_data() {
    for (name, model) in models() {
        let (r, g) = asimov_cls_gradient(&model, 1.0).unwrap();
        // Observed CLs on the background-only Asimov data is the median expected CLs.
        assert!(
            (r.cls - r.expected[2]).abs() < 1e-7 * r.cls,
            "{name}: {r:?}"
        );
        let t0 = model.templates().to_vec();
        let fd: Vec<f64> = (0..t0.len())
            .map(|i| {
                central(&t0, i, &|t| {
                    asimov_cls_gradient(&model.with_templates(t).unwrap(), 1.0)
                        .unwrap()
                        .0
                        .cls
                })
            })
            .collect();
        assert_close(&format!("{name} dCLs_A"), &g, &fd);
    }
}

fn counting(s: f64, b: f64, extra: &str) -> Model {
    let text = format!(
        r#"{{"channels": [{{"name": "sr", "samples": [
            {{"name": "signal", "data": [{s}], "modifiers": [{{"name": "mu", "type": "normfactor", "data": null}}]}},
            {{"name": "background", "data": [{b}], "modifiers": [{extra}]}}]}}],
          "observations": [{{"name": "sr", "data": [{b}]}}],
          "measurements": [{{"name": "m", "config": {{"poi": "mu", "parameters": []}}}}],
          "version": "1.0.0"}}"#
    );
    Model::new(&Workspace::from_json(&text).unwrap(), None).unwrap()
}

#[test]
fn fisher_information_matches_closed_forms() {
    // One bin, ν = μ s + b: I_μμ = s² / (μ s + b).
    let (s, b) = (7.0, 40.0);
    let m = counting(s, b, "");
    for mu in [0.0, 1.0, 2.5] {
        let info = fisher_information(&m, &[mu]).unwrap();
        assert!((info[(0, 0)] - s * s / (mu * s + b)).abs() < 1e-12);
        let var = signal_strength_variance(&m, &[mu]).unwrap();
        assert!((var - (mu * s + b) / (s * s)).abs() < 1e-12);
    }
    // A background normalisation with a Poisson constraint of τ = (b/σ_b)² (shapesys): the
    // profiled variance of μ is (μs + b + b²/τ)/s², the on/off result.
    let sb = 8.0;
    let m = counting(
        s,
        b,
        &format!(r#"{{"name": "bk", "type": "shapesys", "data": [{sb}]}}"#),
    );
    let tau = (b / sb) * (b / sb);
    let poi = m.poi;
    for mu in [0.0, 1.0] {
        let mut pars = m.inits();
        pars[poi] = mu;
        let var = signal_strength_variance(&m, &pars).unwrap();
        let want = (mu * s + b + b * b / tau) / (s * s);
        assert!((var - want).abs() < 1e-12 * want, "{var} vs {want}");
    }
}

#[test]
fn fisher_variance_is_the_small_mu_limit_of_asimov_qmu() {
    // Cowan et al. eq. (30): on Asimov data with μ' = 0, q_μ,A = μ²/σ² + O(μ³).
    for (name, model) in models() {
        let mut pars = model.inits();
        pars[model.poi] = 0.0;
        let var = signal_strength_variance(&model, &pars).unwrap();
        let asimov = model.expected(&pars);
        let aux = model.expected_aux(&pars);
        let mu = 1e-3 * var.sqrt();
        let q = qmu_tilde(&model, &asimov, &aux, mu).unwrap();
        let want = mu * mu / var;
        assert!(
            (q - want).abs() < 1e-2 * want,
            "{name}: q_A({mu}) = {q} vs μ²/σ² = {want}"
        );
    }
}

#[test]
fn inputs_of_the_wrong_size_or_not_finite_are_errors() {
    let (_, model) = models().remove(0);
    assert!(model.with_templates(&[1.0]).is_err());
    let mut t = model.templates().to_vec();
    t[0] = f64::NAN;
    assert!(model.with_templates(&t).is_err());
    let data = model.observed().unwrap();
    let best = fit(&model, &data, &model.aux_data(), &[]).unwrap();
    let e = fit_jacobian(&model, &data[1..], &model.aux_data(), &[], &best).unwrap_err();
    assert!(e.to_string().contains("main and"), "{e}");
    let e = fisher_information(&model, &[1.0]).unwrap_err();
    assert!(e.to_string().contains("parameter values"), "{e}");
}
