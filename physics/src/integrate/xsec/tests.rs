use super::*;
use crate::collider::ee_ffbar::{afb, sigma, Exchange, MUON, TOP};
use crate::collider::ee_ttbar_wbwb::width_t_to_bw;
use crate::collider::sm::CardSyntaxError;
use num_dual::Dual64;

fn cfg(events: usize) -> XsecConfig {
    XsecConfig {
        events,
        seed: 7,
        block: 500,
        ..XsecConfig::default()
    }
}

/// Analytic σ and its derivative w.r.t. one parameter (or √s) by forward-mode duals.
fn analytic(process: Process, card: &ParamCard, sqrt_s: f64, wrt: &str) -> (f64, f64, f64) {
    let (f, top) = if process == Process::EeMuMu {
        (MUON, false)
    } else {
        (TOP, true)
    };
    let mut p = card.to_params::<Dual64>();
    let mut rs = Dual64::from(sqrt_s);
    if wrt == "sqrt_s" {
        rs = rs.derivative();
    } else {
        p.set(wrt, Dual64::from(card.get(wrt).unwrap()).derivative())
            .unwrap();
    }
    let m = if top { p.mt } else { Dual64::from(0.0) };
    let s = rs * rs;
    let sig = sigma(&f, &m, &p, Exchange::FULL, &s);
    let a = afb(&f, &m, &p, Exchange::FULL, &s);
    (sig.re, sig.eps, a.re)
}

fn within(est: f64, err: f64, exact: f64, what: &str) {
    assert!(err > 0.0, "{what}: zero error");
    assert!(
        (est - exact).abs() < 3.0 * err,
        "{what}: {est} ± {err} vs exact {exact} ({:.2}σ)",
        (est - exact) / err
    );
}

#[test]
fn mumu_sigma_afb_and_gradients_match_closed_forms() {
    let card = ParamCard::default();
    // Below, on and above the Z pole.
    for rs in [60.0, 91.188, 130.0] {
        let r = cross_section(Process::EeMuMu, &card, rs, &cfg(20_000), None).unwrap();
        let (sig, _, a) = analytic(Process::EeMuMu, &card, rs, "MZ");
        within(r.sigma_pb, r.sigma_err_pb, sig, &format!("σ at {rs}"));
        let afb_mc = r.afb.unwrap();
        within(afb_mc.value, afb_mc.error, a, &format!("A_FB at {rs}"));
        for (name, est) in &r.gradient {
            if matches!(*name, "MT" | "WT") {
                assert_eq!(est.value, 0.0, "σ(μμ) does not depend on {name}");
                continue;
            }
            let (_, d, _) = analytic(Process::EeMuMu, &card, rs, name);
            within(est.value, est.error, d, &format!("∂σ/∂{name} at {rs}"));
        }
        assert_eq!(r.rejected_points, 0);
    }
}

#[test]
fn ttbar_sigma_and_mass_derivative_match_closed_form() {
    let card = ParamCard::default();
    let r = cross_section(Process::EeTTbar, &card, 500.0, &cfg(20_000), None).unwrap();
    let (sig, dmt, a) = analytic(Process::EeTTbar, &card, 500.0, "MT");
    within(r.sigma_pb, r.sigma_err_pb, sig, "σ(tt̄)");
    within(r.afb.unwrap().value, r.afb.unwrap().error, a, "A_FB(tt̄)");
    let g = r.gradient.iter().find(|(n, _)| *n == "MT").unwrap().1;
    within(g.value, g.error, dmt, "∂σ/∂MT");
    // The Fisher information is a covariance: symmetric, non-negative diagonal.
    let f = r.fisher.unwrap();
    for i in 0..4 {
        assert!(f[i][i] >= 0.0);
        for j in 0..4 {
            assert!(
                (f[i][j] - f[j][i]).abs() <= 1e-12 * f[i][i].abs().max(f[j][j].abs()).max(1e-300)
            );
        }
    }
}

#[test]
fn same_seed_same_numbers_at_any_thread_count() {
    let card = ParamCard::default();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| cross_section(Process::EeMuMu, &card, 91.188, &cfg(3000), None).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.sigma_pb.to_bits(), b.sigma_pb.to_bits());
    assert_eq!(
        a.gradient[0].1.value.to_bits(),
        b.gradient[0].1.value.to_bits()
    );
    let mut other = cfg(3000);
    other.seed = 8;
    let c = cross_section(Process::EeMuMu, &card, 91.188, &other, None).unwrap();
    assert_ne!(a.sigma_pb, c.sigma_pb);
}

#[test]
fn vegas_training_keeps_the_answer_and_reduces_the_error() {
    let card = ParamCard::default();
    let plain = cross_section(Process::EeMuMu, &card, 91.188, &cfg(5000), None).unwrap();
    let mut c = cfg(5000);
    c.vegas_iterations = 5;
    c.vegas_calls = 2000;
    let trained = cross_section(Process::EeMuMu, &card, 91.188, &c, None).unwrap();
    let (sig, _, _) = analytic(Process::EeMuMu, &card, 91.188, "MZ");
    within(trained.sigma_pb, trained.sigma_err_pb, sig, "σ with VEGAS");
    // (1 + cos²θ) + c·cosθ is mildly non-flat: the grid must not make things worse.
    assert!(
        trained.sigma_err_pb < plain.sigma_err_pb * 1.05,
        "{} vs {}",
        trained.sigma_err_pb,
        plain.sigma_err_pb
    );
}

#[test]
fn bad_input_gives_clear_errors() {
    let card = ParamCard::default();
    assert!(matches!(
        "ee_tautau".parse::<Process>(),
        Err(ProcessError::Unknown(_))
    ));
    let e = cross_section(Process::EeTTbar, &card, 300.0, &cfg(100), None).unwrap_err();
    assert!(e.to_string().contains("threshold"), "{e}");
    let e = cross_section(Process::EeMuMu, &card, 91.0, &cfg(0), None).unwrap_err();
    assert!(e.to_string().contains("events"), "{e}");
    let e = cross_section(Process::EeMuMu, &card, f64::NAN, &cfg(10), None).unwrap_err();
    assert!(e.to_string().contains("sqrt_s"), "{e}");
    let bad = ParamCard {
        MZ: -1.0,
        ..ParamCard::default()
    };
    let e = cross_section(Process::EeMuMu, &bad, 91.0, &cfg(10), None).unwrap_err();
    assert!(e.to_string().contains("MZ"), "{e}");
}

#[test]
fn unrepresentable_results_are_errors_naming_the_quantity() {
    // At √s = 1e300 GeV, s overflows and σ ∝ 1/s is far below the smallest double: the old
    // behaviour printed σ = 0 ± 0 with every derivative 0.
    let card = ParamCard::default();
    for process in [Process::EeMuMu, Process::EeTTbar] {
        let e = cross_section(process, &card, 1e300, &cfg(200), None).unwrap_err();
        assert!(
            matches!(&e, XsecError::NotRepresentable(n) if n.quantity == "σ" && n.value == 0.0),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "σ underflows to 0 (not representable in double precision)"
        );
    }
    // At 1e100 GeV σ is still a normal number but ∂σ/∂MZ (∝ MZ/s²) underflows to 0.
    let e = cross_section(Process::EeMuMu, &card, 1e100, &cfg(200), None).unwrap_err();
    assert!(e.to_string().starts_with("∂σ/∂MZ underflows"), "{e}");
}

#[test]
fn depends_on_matches_the_gradients_that_are_not_identically_zero() {
    let card = ParamCard::default();
    for (process, sqrt_s) in [
        (Process::EeMuMu, 91.188),
        (Process::EeTTbar, 500.0),
        (Process::EeTTbarWbWb, 500.0),
    ] {
        let r = cross_section(process.clone(), &card, sqrt_s, &cfg(500), None).unwrap();
        for (name, e) in &r.gradient {
            assert_eq!(
                e.value != 0.0,
                process.depends_on(name),
                "{} ∂σ/∂{name} = {}",
                process.name(),
                e.value
            );
        }
    }
}

#[test]
fn wbwb_integrates_back_to_narrow_width_approximation() {
    // σ(e+e- → t t̄ → bW bW) → σ(e+e- → t t̄)·BR(t → bW)² as Γ_t/m_t → 0; at Γ_t/m_t ≈ 0.9 % the
    // narrow-width approximation is accurate to O(Γ_t/m_t), which is the tolerance used (plus 3σ MC).
    let card = ParamCard::default();
    let r = cross_section(Process::EeTTbarWbWb, &card, 500.0, &cfg(4000), None).unwrap();
    let p = card.to_params::<f64>();
    let br = width_t_to_bw(&p) / p.wt;
    let nwa = sigma(&TOP, &p.mt, &p, Exchange::FULL, &(500.0 * 500.0)) * br * br;
    let tol = 3.0 * r.sigma_err_pb + nwa * p.wt / p.mt;
    assert!(
        (r.sigma_pb - nwa).abs() < tol,
        "σ = {} ± {} vs NWA {nwa} (tolerance {tol})",
        r.sigma_pb,
        r.sigma_err_pb
    );
    // Width from the same couplings: G_F m_t³/(8π√2)(1 − x)²(1 + 2x) ≈ 1.50 GeV at MT = 173.
    assert!(
        (width_t_to_bw(&p) - 1.4954).abs() < 2e-3,
        "{}",
        width_t_to_bw(&p)
    );
}

#[test]
fn error_messages_are_unchanged_and_keep_their_sources() {
    use std::error::Error as _;
    let vegas = VegasError::InvalidConfig {
        name: "bins",
        value: 0.0,
    };
    let e = XsecError::from(vegas.clone());
    assert_eq!(e.to_string(), "VEGAS: invalid VEGAS setting bins = 0");
    let source = e.source().expect("VEGAS error is the source");
    assert_eq!(source.downcast_ref::<VegasError>(), Some(&vegas));
    // Parameter and process errors print as themselves.
    let e = XsecError::from(ParamError::NotFinite { name: "MZ" });
    assert_eq!(e.to_string(), "parameter MZ is not finite");
    let e = XsecError::from(ProcessError::Unknown("ee_qq".into()));
    assert_eq!(
        e.to_string(),
        "unknown process 'ee_qq' (known: ee_mumu, ee_ttbar, ee_ttbar_wbwb, or a MadGraph-style process string such as \"e+ e- > mu+ mu- a\")"
    );
    // A transparent variant forwards to the inner error's own source.
    let e = XsecError::from(ParamCard::from_toml_str("MZ = \"heavy\"").unwrap_err());
    assert!(e.to_string().starts_with("invalid param card: "), "{e}");
    assert!(e
        .source()
        .unwrap()
        .downcast_ref::<CardSyntaxError>()
        .is_some());
    let e = XsecError::Config("events = 1 (need ≥ 2) and block = 0 (need ≥ 1)".into());
    assert_eq!(
        e.to_string(),
        "invalid setting: events = 1 (need ≥ 2) and block = 0 (need ≥ 1)"
    );
    let e = XsecError::NonFinite {
        block: 3,
        quantity: "the integrand".into(),
    };
    assert_eq!(
        e.to_string(),
        "the integrand is not finite at a point of block 3"
    );
}
