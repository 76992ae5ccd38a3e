//! One generic function, four number types: f64, forward-mode duals, the reverse-mode tape and the
//! batched tape give the same values and the same derivatives.

use diffhep::forward;
use diffhep::tape::{self, BatchTape};
use diffhep::{RealScalar, Scalar, ScalarFn};
use diffhep_physics::FourVector;

/// Invariant mass of two massless particles given by (pT, η, φ) each, times a smooth weight of a
/// shared parameter `w`: written once against `Scalar`.
fn pair_mass<S: Scalar>(pt1: S, eta1: S, phi1: S, pt2: S, eta2: S, phi2: S, w: S) -> S {
    let zero = S::zero();
    let a = FourVector::from_pt_eta_phi_m(pt1, eta1, phi1, zero.clone());
    let b = FourVector::from_pt_eta_phi_m(pt2, eta2, phi2, zero);
    (a + b).m() * (w.clone() * w).rsub(1.0).exp()
}

struct PairMass;
impl ScalarFn for PairMass {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        pair_mass(
            x[0].clone(),
            x[1].clone(),
            x[2].clone(),
            x[3].clone(),
            x[4].clone(),
            x[5].clone(),
            x[6].clone(),
        )
    }
}

#[test]
fn f64_dual_tape_and_batched_tape_agree() {
    let events = [
        [40.0, 0.3, 0.1, 35.0, -1.2, 2.9],
        [25.0, -0.7, -2.0, 60.0, 0.4, 1.0],
        [80.0, 1.9, 3.0, 45.0, 1.5, -3.0],
    ];
    let w = 0.35;
    let mut bt = BatchTape::new(events.len()).unwrap();
    let mut t = bt.activate();
    let wp = t.param(w);
    let cols: Vec<_> = (0..6)
        .map(|k| {
            let col: Vec<f64> = events.iter().map(|e| e[k]).collect();
            t.column(&col).unwrap()
        })
        .collect();
    let out = pair_mass(cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], wp);
    let vals = t.value(out).unwrap();
    let adj = t.backward(out).unwrap();
    let mut dw_sum = 0.0;
    for (i, e) in events.iter().enumerate() {
        let mut x = e.to_vec();
        x.push(w);
        let v64: f64 = PairMass.eval(&x);
        let (vf, gf) = forward::gradient(&PairMass, &x);
        let (vr, gr) = tape::gradient(|v| PairMass.eval(v), &x);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
        assert!(close(v64, vf) && close(v64, vr) && close(v64, vals.lane(i)));
        for k in 0..7 {
            assert!(close(gf[k], gr[k]), "component {k}: {} vs {}", gf[k], gr[k]);
        }
        for (k, c) in cols.iter().enumerate() {
            assert!(close(adj.wrt(*c).unwrap().lane(i), gr[k]));
        }
        dw_sum += gr[6];
    }
    // The shared parameter's batched gradient is the sum over events.
    assert!((adj.scalar(wp).unwrap() - dw_sum).abs() < 1e-12 * dw_sum.abs());
    diffhep::gradcheck::assert_gradient(&PairMass, &[40.0, 0.3, 0.1, 35.0, -1.2, 2.9, w]);
}
