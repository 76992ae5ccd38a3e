use super::*;
use crate::collider::ee_mumu::{self, EwParams};
use crate::collider::sm::ParamCard;
use diffhep::gradcheck::assert_gradient;
use diffhep::ScalarFn;

fn card() -> SmParams<f64> {
    ParamCard::default().to_params()
}

const ENERGIES_MU: [f64; 5] = [10.0, 60.0, 91.188, 130.0, 500.0];

#[test]
fn helicity_amplitudes_match_the_closed_form() {
    let p = card();
    for (f, mf, energies) in [
        (MUON, 0.0, &ENERGIES_MU[..]),
        (TOP, 173.0, &[350.0, 400.0, 1000.0][..]),
    ] {
        for &rs in energies {
            for c in [-0.9, -0.3, 0.0, 0.45, 0.99] {
                let h = dsigma_dcos_amplitudes(&f, mf, &p, Exchange::FULL, rs, c, 0.7);
                let a = dsigma_dcos(&f, &mf, &p, Exchange::FULL, &(rs * rs), &c);
                assert!(
                    (h - a).abs() < 1e-10 * a.abs(),
                    "√s = {rs}, c = {c}: {h} vs {a}"
                );
            }
        }
    }
}

#[test]
fn massless_helicity_amplitudes_match_the_chiral_closed_form() {
    // Independent closed form (chiral amplitudes, physics/src/ee_mumu.rs), same inputs.
    let p = card();
    let ew = EwParams::from_sm(&p);
    for rs in ENERGIES_MU {
        for c in [-0.8, 0.1, 0.7] {
            let mom = kinematics(&rs, &0.0, &c, &-1.3);
            let h = me2(&MUON, &0.0, &p, Exchange::FULL, &mom);
            let e = ee_mumu::msq(&(rs * rs), &c, &ew);
            assert!((h - e).abs() < 1e-11 * e, "√s = {rs}: {h} vs {e}");
        }
    }
}

#[test]
fn qed_limit_matches_textbook_numbers() {
    // Point-like QED at α = 1/137.036: σ·s = 86.8545 nb GeV², dσ/dΩ = α²(1 + c²)/(4s)
    // (shared/reference/physics-numbers.md).
    let pc = ParamCard {
        aEWM1: 137.036,
        ..ParamCard::default()
    };
    let p = pc.to_params::<f64>();
    let alpha = 1.0 / 137.036;
    for rs in [3.0, 10.0, 35.0] {
        let s: f64 = rs * rs;
        let sig = sigma(&MUON, &0.0, &p, Exchange::QED, &s);
        assert!((sig * s / 1e3 - 86.8545).abs() < 1e-4, "{}", sig * s / 1e3);
        let c = 0.37;
        let dsdomega = dsigma_dcos_amplitudes(&MUON, 0.0, &p, Exchange::QED, rs, c, 0.2)
            / (2.0 * std::f64::consts::PI);
        let expect = alpha * alpha * (1.0 + c * c) / (4.0 * s) * HBARC2_PB;
        assert!((dsdomega - expect).abs() < 1e-12 * expect);
        assert!(afb(&MUON, &0.0, &p, Exchange::QED, &s).abs() < 1e-15);
    }
}

/// |M|² as a function of (√s, cos θ, φ, MZ, WZ) for μ, or (√s, cos θ, φ, MT) for t.
struct Me2Fn(bool);
impl ScalarFn for Me2Fn {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let mut p = ParamCard::default().to_params::<S>();
        if self.0 {
            p.set("MT", x[3].clone()).unwrap();
            let mom = kinematics(&x[0], &x[3], &x[1], &x[2]);
            me2(&TOP, &x[3], &p, Exchange::FULL, &mom)
        } else {
            p.set("MZ", x[3].clone()).unwrap();
            p.set("WZ", x[4].clone()).unwrap();
            let mom = kinematics(&x[0], &S::zero(), &x[1], &x[2]);
            me2(&MUON, &S::zero(), &p, Exchange::FULL, &mom) * 1e6
        }
    }
}

#[test]
fn matrix_elements_are_gradient_checked() {
    assert_gradient(&Me2Fn(false), &[91.0, 0.3, 0.4, 91.188, 2.441404]);
    assert_gradient(&Me2Fn(false), &[200.0, -0.6, 2.0, 91.188, 2.441404]);
    assert_gradient(&Me2Fn(true), &[500.0, 0.2, -1.0, 173.0]);
}
