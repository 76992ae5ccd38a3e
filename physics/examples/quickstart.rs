//! Quickstart: one generic function, differentiated four ways and gradient-checked.
//!
//! Run: `cargo run --release --example quickstart`

use diffhep::forward;
use diffhep::gradcheck::{check_gradient, GradCheckConfig};
use diffhep::tape::{self, BatchTape};
use diffhep::{RealScalar, Scalar, ScalarFn};
use diffhep_physics::FourVector;

/// Invariant mass of a muon pair, from each muon's (pT, η, φ), after a momentum-scale
/// calibration `k` — written once against `Scalar`.
fn dimuon_mass<S: Scalar>(mu1: [S; 3], mu2: [S; 3], k: S) -> S {
    let [pt1, eta1, phi1] = mu1;
    let [pt2, eta2, phi2] = mu2;
    let m_mu = S::from_f64(0.105_658);
    let a = FourVector::from_pt_eta_phi_m(pt1 * k.clone(), eta1, phi1, m_mu.clone());
    let b = FourVector::from_pt_eta_phi_m(pt2 * k, eta2, phi2, m_mu);
    (a + b).m()
}

/// The same function as a `ScalarFn` of 7 inputs, for the one-line gradient check.
struct DimuonMass;
impl ScalarFn for DimuonMass {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let v = |i: usize| x[i].clone();
        dimuon_mass([v(0), v(1), v(2)], [v(3), v(4), v(5)], v(6))
    }
}

fn main() {
    let x = [45.0, 0.3, 0.2, 42.0, -0.5, 2.9, 1.01];

    let m: f64 = DimuonMass.eval(&x);
    println!("m(μμ) = {m:.6} GeV");

    let (_, g_rev) = tape::gradient(|v| DimuonMass.eval(v), &x);
    let (_, g_fwd) = forward::gradient(&DimuonMass, &x);
    println!("∂m/∂(pT1, η1, φ1, pT2, η2, φ2, k)");
    println!("  reverse (tape): {g_rev:.6?}");
    println!("  forward (dual): {g_fwd:.6?}");

    let report = check_gradient(&DimuonMass, &x, &GradCheckConfig::default());
    println!("gradient check:\n{report}");
    report.assert_ok();

    // The batched tape: 10 000 toy events, one recording per block of 1000, and the gradient of
    // the mean mass with respect to the shared calibration k.
    let n = 10_000;
    let ev = |i: usize, k: usize| {
        let u = ((i * 7919 + k * 104_729) % 10_007) as f64 / 10_007.0;
        match k {
            0 | 3 => 30.0 + 40.0 * u,
            1 | 4 => -2.4 + 4.8 * u,
            _ => -3.1 + 6.2 * u,
        }
    };
    let cols: Vec<Vec<f64>> = (0..6).map(|k| (0..n).map(|i| ev(i, k)).collect()).collect();
    let block = 1000;
    let mut bt = BatchTape::new(block).expect("block > 0");
    let mut t = bt.activate();
    let (mut sum_m, mut dsum_dk) = (0.0, 0.0);
    for b in 0..n / block {
        t.reset();
        let k = t.param(1.01);
        let c: Vec<_> = cols
            .iter()
            .map(|col| {
                t.constant_column(&col[b * block..(b + 1) * block])
                    .expect("block length")
            })
            .collect();
        let total = dimuon_mass([c[0], c[1], c[2]], [c[3], c[4], c[5]], k).sum();
        sum_m += t.value(total).expect("same tape").lane(0);
        dsum_dk += t
            .backward(total)
            .expect("same tape")
            .scalar(k)
            .expect("same tape");
    }
    println!(
        "batched tape over {n} events: <m> = {:.4} GeV, d<m>/dk = {:.4} GeV (≈ <m>/k = {:.4}, since m scales with k for pT ≫ m_μ)",
        sum_m / n as f64,
        dsum_dk / n as f64,
        sum_m / n as f64 / 1.01
    );
}
