use super::*;
use crate::collider::sm::ParamCard;
use crate::phase_space::resonant::{TopPairMap, TopPairParams};
use diffhep::gradcheck::{check_gradient, GradCheckConfig};
use diffhep::ScalarFn;

/// |M|² at a resonant-map point, as a function of (√s, MT, WT, x₀, x₃, x₆) with the other
/// hypercube coordinates fixed.
struct Me2AtPoint;
impl ScalarFn for Me2AtPoint {
    fn eval<S: RealScalar>(&self, v: &[S]) -> S {
        let mut p = ParamCard::default().to_params::<S>();
        p.set("MT", v[1].clone()).unwrap();
        p.set("WT", v[2].clone()).unwrap();
        let mw = p.derived().mw;
        let map = TopPairMap::new(173.0, 1.4915, mw.value()).unwrap();
        let params = TopPairParams {
            mt: v[1].clone(),
            wt: v[2].clone(),
            mw,
        };
        let mut x: Vec<S> = [0.4, 0.55, 0.3, 0.6, 0.2, 0.7, 0.45, 0.35]
            .iter()
            .map(|&t| S::from_f64(t))
            .collect();
        x[0] = v[3].clone();
        x[3] = v[4].clone();
        x[6] = v[5].clone();
        let pt = map.generate_with_params(&params, v[0].clone(), &x).unwrap();
        let e = v[0].clone() * 0.5;
        let z = S::zero();
        let mom = [
            FourVector::new(e.clone(), z.clone(), z.clone(), e.clone()),
            FourVector::new(e.clone(), z.clone(), z, -e),
            pt.momenta[0].clone(),
            pt.momenta[1].clone(),
            pt.momenta[2].clone(),
            pt.momenta[3].clone(),
        ];
        me2(&p, Exchange::FULL, &mom) * 1e6
    }
}

#[test]
fn matrix_element_is_gradient_checked() {
    let cfg = GradCheckConfig {
        initial_step: 1e-4,
        ..GradCheckConfig::default()
    };
    check_gradient(&Me2AtPoint, &[500.0, 173.0, 1.4915, 0.4, 0.6, 0.45], &cfg).assert_ok();
}

#[test]
fn photon_and_z_pieces_are_positive_and_interference_bounded() {
    // |M_γ + M_Z|² = |M_γ|² + |M_Z|² + interference: check the pieces are positive and the
    // interference is what the full sum leaves (a structural check of the propagator sum).
    let p = ParamCard::default().to_params::<f64>();
    let mw = p.derived().mw;
    let map = TopPairMap::new(173.0, 1.4915, mw).unwrap();
    let pt = map
        .generate(500.0, &[0.4, 0.55, 0.3, 0.6, 0.2, 0.7, 0.45, 0.35])
        .unwrap();
    let mom = [
        FourVector::new(250.0, 0.0, 0.0, 250.0),
        FourVector::new(250.0, 0.0, 0.0, -250.0),
        pt.momenta[0].clone(),
        pt.momenta[1].clone(),
        pt.momenta[2].clone(),
        pt.momenta[3].clone(),
    ];
    let full = me2(&p, Exchange::FULL, &mom);
    let g = me2(&p, Exchange::QED, &mom);
    let z = me2(
        &p,
        Exchange {
            photon: false,
            z: true,
        },
        &mom,
    );
    assert!(full > 0.0 && g > 0.0 && z > 0.0);
    assert!(
        (full - g - z).abs() < full,
        "interference larger than the total"
    );
}
