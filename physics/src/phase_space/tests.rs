use std::f64::consts::PI;

use super::*;
use crate::lorentz::FourVector;
use diffhep::gradcheck::assert_gradient;
use diffhep::{RealScalar, ScalarFn};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Massless volumes Vₙ at s = 1 GeV² for n = 2…6, from /work/shared/reference/physics-numbers.md
/// (Vₙ(s) = (π/2)ⁿ⁻¹ sⁿ⁻² / ((n−1)!(n−2)!) · (2π)⁴⁻³ⁿ).
const V_N: [f64; 5] = [
    0.039788735772973838,
    1.259825563796855e-4,
    1.329656430278884e-7,
    7.016789757994903e-11,
    2.221717011404614e-14,
];

/// A uniform number in the open interval (0, 1).
pub(super) fn open_unit(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let u: f64 = rng.random();
        if u > 0.0 {
            return u;
        }
    }
}

pub(super) fn random_point(rng: &mut ChaCha8Rng, dim: usize) -> Vec<f64> {
    (0..dim).map(|_| open_unit(rng)).collect()
}

pub(super) fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(u, v)| (u - v).abs())
        .fold(0.0, f64::max)
}

/// Largest deviation from momentum conservation and from the mass shells.
pub(super) fn kinematics_residual(sqrt_s: f64, masses: &[f64], p: &[FourVector<f64>]) -> f64 {
    let mut sum = FourVector::new(-sqrt_s, 0.0, 0.0, 0.0);
    let mut worst = 0.0f64;
    for (q, m) in p.iter().zip(masses) {
        sum = sum + q.clone();
        worst = worst.max((q.m2() - m * m).abs() / (sqrt_s * sqrt_s));
    }
    for c in [sum.e, sum.px, sum.py, sum.pz] {
        worst = worst.max(c.abs() / sqrt_s);
    }
    worst
}

#[test]
fn massless_map_is_flat_with_weight_vn() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for n in 2..=6 {
        let ps = PhaseSpace::massless(n).unwrap();
        assert_eq!(ps.dim(), 3 * n - 4);
        for _ in 0..50 {
            let x = random_point(&mut rng, ps.dim());
            let pt = ps.generate(1.0, &x).unwrap();
            let v = V_N[n - 2];
            assert!(
                (pt.weight - v).abs() < 1e-12 * v,
                "n={n}: {} vs {v}",
                pt.weight
            );
            assert!((pt.log_weight - v.ln()).abs() < 1e-12);
            // Vₙ scales as s^(n−2).
            let sqrt_s = 91.188;
            let big = ps.generate(sqrt_s, &x).unwrap();
            let vs = v * (sqrt_s * sqrt_s).powi(n as i32 - 2);
            assert!((big.weight - vs).abs() < 1e-12 * vs);
            assert!(kinematics_residual(sqrt_s, ps.masses(), &big.momenta) < 1e-13);
        }
    }
}

#[test]
fn massless_volume_formula_matches_the_reference_table() {
    for n in 2..=6 {
        let v = massless_volume(n, 1.0).unwrap();
        assert!((v - V_N[n - 2]).abs() < 1e-14 * v, "n={n}: {v}");
    }
    let v = massless_volume(4, 4.0).unwrap();
    assert!((v - V_N[2] * 16.0).abs() < 1e-14 * v);
    assert!(massless_volume(1, 1.0).is_err() && massless_volume(3, -1.0).is_err());
}

#[test]
fn massive_two_body_weight_is_the_closed_form() {
    // V₂ = λ^½(s, m₁², m₂²)/(8π s), for equal masses β/(8π) with β = √(1 − 4m²/s)
    // (e.g. PDG Review "Kinematics", eq. for two-body phase space).
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let sqrt_s = 500.0f64;
    let s = sqrt_s * sqrt_s;
    let mt = 173.0f64;
    let beta = (1.0 - 4.0 * mt * mt / s).sqrt();
    let (m1, m2) = (80.4f64, 173.0f64);
    let lambda = (s - m1 * m1 - m2 * m2).powi(2) - 4.0 * m1 * m1 * m2 * m2;
    for (masses, exact) in [
        (vec![mt, mt], beta / (8.0 * PI)),
        (vec![m1, m2], lambda.sqrt() / (8.0 * PI * s)),
        (vec![0.0, m2], (1.0 - m2 * m2 / s) / (8.0 * PI)),
    ] {
        let ps = PhaseSpace::new(masses.clone()).unwrap();
        for _ in 0..20 {
            let x = random_point(&mut rng, 2);
            let pt = ps.generate(sqrt_s, &x).unwrap();
            assert!((pt.weight - exact).abs() < 1e-12 * exact, "{masses:?}");
            assert!(kinematics_residual(sqrt_s, &masses, &pt.momenta) < 1e-13);
        }
    }
}

/// Composite Simpson rule on [a, b] with `n` (even) intervals.
pub(super) fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        sum += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// V₂(s; m₁, m₂) = λ^½/(8π s).
pub(super) fn v2(s: f64, m1: f64, m2: f64) -> f64 {
    let l = (s - m1 * m1 - m2 * m2).powi(2) - 4.0 * m1 * m1 * m2 * m2;
    l.max(0.0).sqrt() / (8.0 * PI * s)
}

#[test]
fn massive_three_body_mean_weight_matches_quadrature() {
    // Exact: V₃(s; m₁, m₂, m₃) = ∫ dM²/(2π) V₂(s; m₁, M) V₂(M²; m₂, m₃) over
    // m₂ + m₃ < M < √s − m₁ (recursive factorisation of dΦ₃), by Simpson's rule after
    // M = a + (b − a) sin²ϑ, which removes the square-root end points.
    let sqrt_s = 10.0f64;
    let s = sqrt_s * sqrt_s;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for masses in [[0.0, 0.0, 3.0], [1.0, 2.0, 3.5]] {
        let (a, b) = (masses[1] + masses[2], sqrt_s - masses[0]);
        let exact = simpson(
            |th: f64| {
                let (sn, cs) = th.sin_cos();
                let m = a + (b - a) * sn * sn;
                let dm = 2.0 * (b - a) * sn * cs;
                2.0 * m * dm / (2.0 * PI) * v2(s, masses[0], m) * v2(m * m, masses[1], masses[2])
            },
            0.0,
            PI / 2.0,
            4000,
        );
        let ps = PhaseSpace::new(masses.to_vec()).unwrap();
        let n_pts = 20_000;
        let (mut sum, mut sum2) = (0.0, 0.0);
        for _ in 0..n_pts {
            let x = random_point(&mut rng, ps.dim());
            let pt = ps.generate(sqrt_s, &x).unwrap();
            assert!(kinematics_residual(sqrt_s, &masses, &pt.momenta) < 1e-12);
            sum += pt.weight;
            sum2 += pt.weight * pt.weight;
        }
        let mean = sum / n_pts as f64;
        let sigma = ((sum2 / n_pts as f64 - mean * mean) / (n_pts - 1) as f64).sqrt();
        assert!(
            (mean - exact).abs() < 4.0 * sigma,
            "{masses:?}: MC {mean} ± {sigma}, quadrature {exact}"
        );
        // The massive weight is ≤ the massless one (each RAMBO factor is ≤ 1).
        assert!(sigma > 0.0 && mean < V_N[1] * s);
    }
}

#[test]
fn round_trip_x_to_momenta_to_x() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let cases: Vec<(Vec<f64>, f64)> = vec![
        (vec![0.0; 2], 1.0),
        (vec![0.0; 3], 1.0),
        (vec![0.0; 4], 91.188),
        (vec![0.0; 5], 1.0),
        (vec![0.0; 6], 13000.0),
        (vec![173.0, 173.0], 500.0),
        (vec![0.0, 80.4, 4.7, 80.4], 500.0),
        (vec![1.0, 2.0, 3.0, 0.5, 0.0, 1.5], 20.0),
    ];
    for (masses, sqrt_s) in cases {
        let ps = PhaseSpace::new(masses.clone()).unwrap();
        for _ in 0..30 {
            let x = random_point(&mut rng, ps.dim());
            let pt = ps.generate(sqrt_s, &x).unwrap();
            let back = ps.inverse(sqrt_s, &pt.momenta).unwrap();
            assert!(
                max_abs_diff(&back, &x) < 1e-12,
                "{masses:?}: {x:?} -> {back:?}"
            );
        }
    }
    // Near the poles of the angles.
    let ps = PhaseSpace::massless(4).unwrap();
    let x = [0.4, 0.7, 1e-10, 1.0 - 1e-10, 0.5, 1e-12, 0.3, 0.999];
    let back = ps
        .inverse(1.0, &ps.generate(1.0, &x).unwrap().momenta)
        .unwrap();
    assert!(max_abs_diff(&back, &x) < 1e-12, "{back:?}");
    // Near the ends of the mass chain a light subsystem is boosted with γ ≈ 1/√t ≈ 10⁵ here,
    // and the round trip loses that factor of precision: |Δx| ≲ γ·ε ≈ 2e-11.
    let x = [1e-9, 1.0 - 1e-9, 0.2, 0.8, 0.5, 0.6, 0.3, 0.999];
    let back = ps
        .inverse(1.0, &ps.generate(1.0, &x).unwrap().momenta)
        .unwrap();
    assert!(max_abs_diff(&back, &x) < 1e-10, "{back:?}");
}

/// A scalar summary of a generated point, for gradient checks: inputs are (√s, masses…, x…).
struct GenSummary {
    n: usize,
    massive: bool,
}

impl ScalarFn for GenSummary {
    fn eval<S: RealScalar>(&self, v: &[S]) -> S {
        let (sqrt_s, rest) = (v[0].clone(), &v[1..]);
        let pt = if self.massive {
            let (m, x) = rest.split_at(self.n);
            PhaseSpace::generate_with_masses(sqrt_s, m, x).unwrap()
        } else {
            PhaseSpace::massless(self.n)
                .unwrap()
                .generate(sqrt_s, rest)
                .unwrap()
        };
        let mut acc = pt.log_weight;
        for (i, p) in pt.momenta.iter().enumerate() {
            let c = 0.3 + 0.1 * i as f64;
            acc += p.e.clone() * c + p.px.clone() * (1.0 - c) - p.py.clone() * (0.5 * c)
                + p.pz.clone() * (c * c);
        }
        acc
    }
}

#[test]
fn generate_gradients_are_checked() {
    // Massless n = 2…5 w.r.t. (√s, x); massive w.r.t. (√s, masses, x).
    let xs = [
        0.31, 0.62, 0.45, 0.27, 0.73, 0.56, 0.38, 0.69, 0.52, 0.24, 0.66,
    ];
    for n in 2..=5 {
        let mut v = vec![3.0];
        v.extend_from_slice(&xs[..3 * n - 4]);
        assert_gradient(&GenSummary { n, massive: false }, &v);
    }
    let mut v = vec![30.0, 1.0, 4.5, 0.7, 2.0];
    v.extend_from_slice(&xs[..8]);
    assert_gradient(
        &GenSummary {
            n: 4,
            massive: true,
        },
        &v,
    );
}

#[test]
fn second_derivatives_are_exact() {
    // n = 4 uses both root solves (Newton for t with k = 4, and ξ); the module docs claim exact
    // derivatives to third order, checked here to second order: forward (second-order duals)
    // vs reverse (forward-over-reverse) vs finite differences of the gradient.
    struct Four;
    impl ScalarFn for Four {
        fn eval<S: RealScalar>(&self, v: &[S]) -> S {
            let masses = [v[1].clone(), S::from_f64(0.5), S::zero(), S::from_f64(2.0)];
            let pt = PhaseSpace::generate_with_masses(v[0].clone(), &masses, &v[2..]).unwrap();
            pt.log_weight + pt.momenta[0].e.clone() * pt.momenta[3].pz.clone()
        }
    }
    let v = [30.0, 1.0, 0.31, 0.62, 0.45, 0.27, 0.73, 0.56, 0.38, 0.69];
    diffhep::gradcheck::check_hessian(&Four, &v, &diffhep::gradcheck::GradCheckConfig::default())
        .assert_ok();
}

/// Σ cⱼ xⱼ(p(x)): the inverse composed with the map, whose gradient is c exactly.
struct RoundTrip;

impl ScalarFn for RoundTrip {
    fn eval<S: RealScalar>(&self, v: &[S]) -> S {
        let masses = [S::from_f64(1.0), S::from_f64(0.0), v[1].clone()];
        let x = &v[2..];
        let pt = PhaseSpace::generate_with_masses(v[0].clone(), &masses, x).unwrap();
        let back = PhaseSpace::inverse_with_masses(v[0].clone(), &masses, &pt.momenta).unwrap();
        back.iter()
            .enumerate()
            .fold(S::zero(), |a, (j, b)| a + b.clone() * (1.0 + j as f64))
    }
}

#[test]
fn inverse_gradients_are_checked() {
    let v = [12.0, 2.5, 0.3, 0.6, 0.7, 0.2, 0.45];
    assert_gradient(&RoundTrip, &v);
    // Closed form: ∂/∂xⱼ = j + 1, ∂/∂√s = ∂/∂m = 0.
    let (_, g) = diffhep::forward::gradient(&RoundTrip, &v);
    for (j, gj) in g.iter().enumerate() {
        let exact = if j < 2 { 0.0 } else { (j - 1) as f64 };
        assert!((gj - exact).abs() < 1e-9, "component {j}: {gj}");
    }
}

#[test]
fn bad_input_gives_named_errors() {
    assert_eq!(
        PhaseSpace::massless(1),
        Err(PhaseSpaceError::TooFewParticles { n: 1 })
    );
    assert!(matches!(
        PhaseSpace::new(vec![1.0, -2.0]),
        Err(PhaseSpaceError::InvalidMass { value, .. }) if value == -2.0
    ));
    assert!(matches!(
        PhaseSpace::new(vec![1.0, f64::NAN]),
        Err(PhaseSpaceError::InvalidMass { .. })
    ));
    let ps = PhaseSpace::new(vec![3.0, 4.0, 0.0]).unwrap();
    assert_eq!(
        ps.generate(10.0, &[0.5; 4]).unwrap_err(),
        PhaseSpaceError::WrongDimension {
            expected: 5,
            got: 4
        }
    );
    let mut x = [0.5; 5];
    x[2] = 1.5;
    assert_eq!(
        ps.generate(10.0, &x).unwrap_err(),
        PhaseSpaceError::OutOfRange {
            index: 2,
            value: 1.5
        }
    );
    x[2] = f64::NAN;
    assert!(matches!(
        ps.generate(10.0, &x),
        Err(PhaseSpaceError::OutOfRange { index: 2, .. })
    ));
    assert_eq!(
        ps.generate(7.0, &[0.5; 5]).unwrap_err(),
        PhaseSpaceError::BelowThreshold {
            sqrt_s: 7.0,
            threshold: 7.0
        }
    );
    assert!(ps.generate(f64::INFINITY, &[0.5; 5]).is_err());
    let msg = ps.generate(6.5, &[0.5; 5]).unwrap_err().to_string();
    assert!(msg.contains("6.5") && msg.contains('7'), "{msg}");
    // Inverse: wrong count, not in the CM frame, off shell.
    let pt = ps.generate(10.0, &[0.5; 5]).unwrap();
    assert_eq!(
        ps.inverse(10.0, &pt.momenta[..2]).unwrap_err(),
        PhaseSpaceError::WrongMultiplicity {
            expected: 3,
            got: 2
        }
    );
    assert!(matches!(
        ps.inverse(10.5, &pt.momenta),
        Err(PhaseSpaceError::NotInCmFrame { residual }) if (residual - 0.5).abs() < 1e-12
    ));
    let swapped = vec![
        pt.momenta[1].clone(),
        pt.momenta[0].clone(),
        pt.momenta[2].clone(),
    ];
    assert!(matches!(
        ps.inverse(10.0, &swapped),
        Err(PhaseSpaceError::OffShell { index: 0, expected, .. }) if expected == 3.0
    ));
}

#[test]
fn boundary_points_error_and_near_boundary_points_are_finite() {
    for n in [2, 3, 5] {
        let ps = PhaseSpace::new(vec![0.5; n]).unwrap();
        let d = ps.dim();
        for i in 0..d {
            for edge in [0.0, 1.0] {
                let mut x = vec![0.5; d];
                x[i] = edge;
                assert_eq!(
                    ps.generate(10.0, &x).unwrap_err(),
                    PhaseSpaceError::OnBoundary {
                        index: i,
                        value: edge
                    }
                );
            }
            for near in [1e-300, 1e-16, 1.0 - 1e-16] {
                let mut x = vec![0.5; d];
                x[i] = near;
                // Either a point with finite momenta and a finite (possibly exactly zero)
                // weight, or a Degenerate error; never NaN.
                match ps.generate(10.0f64, &x) {
                    Ok(pt) => {
                        assert!(pt.weight.is_finite() && pt.weight >= 0.0, "{x:?} {pt:?}");
                        assert!(!pt.log_weight.is_nan() && pt.log_weight < f64::INFINITY);
                        assert_eq!(pt.weight == 0.0, pt.log_weight == f64::NEG_INFINITY);
                        for p in &pt.momenta {
                            assert!([p.e, p.px, p.py, p.pz].iter().all(|c| c.is_finite()));
                        }
                        if near > 1e-200 {
                            assert!(pt.weight > 0.0, "{x:?}");
                        }
                    }
                    Err(e) => assert!(
                        matches!(e, PhaseSpaceError::Degenerate { .. }),
                        "{x:?}: {e}"
                    ),
                }
            }
        }
    }
    // Just above threshold the momenta are tiny but finite and the weight positive.
    let ps = PhaseSpace::new(vec![1.0, 2.0, 3.0]).unwrap();
    for sqrt_s in [6.0f64 * (1.0 + 1e-6), 6.0 * (1.0 + 1e-12)] {
        let pt = ps.generate(sqrt_s, &[0.3, 0.4, 0.5, 0.6, 0.7]).unwrap();
        assert!(pt.weight > 0.0 && pt.log_weight.is_finite());
        assert!(kinematics_residual(sqrt_s, ps.masses(), &pt.momenta) < 1e-12);
    }
    // Massless momenta at the end of the chain (zero intermediate mass): inverse reports it.
    let ps = PhaseSpace::massless(3).unwrap();
    let p = [
        FourVector::new(0.5, 0.0, 0.0, 0.5),
        FourVector::new(0.25, 0.0, 0.0, -0.25),
        FourVector::new(0.25, 0.0, 0.0, -0.25),
    ];
    assert!(matches!(
        ps.inverse(1.0, &p),
        Err(PhaseSpaceError::Degenerate { .. })
    ));
}

#[test]
fn error_messages_are_unchanged() {
    use PhaseSpaceError::*;
    let cases = [
        (
            TooFewParticles { n: 1 },
            "phase space needs at least 2 particles, got 1",
        ),
        (
            InvalidMass {
                name: "m[0]".into(),
                value: -1.5,
            },
            "m[0] = -1.5 must be finite and non-negative",
        ),
        (
            WrongDimension {
                expected: 5,
                got: 4,
            },
            "expected 5 hypercube coordinates, got 4",
        ),
        (
            OutOfRange {
                index: 2,
                value: 1.5,
            },
            "coordinate x[2] = 1.5 is outside [0, 1]",
        ),
        (
            OnBoundary {
                index: 0,
                value: 0.0,
            },
            "coordinate x[0] = 0 is on the boundary of the hypercube; the map is defined on the \
             open cube (0, 1)",
        ),
        (
            BelowThreshold {
                sqrt_s: 7.0,
                threshold: 8.5,
            },
            "sqrt(s) = 7 GeV is not above the threshold 8.5 GeV",
        ),
        (
            WrongMultiplicity {
                expected: 3,
                got: 2,
            },
            "expected 3 momenta, got 2",
        ),
        (
            NotInCmFrame { residual: 0.25 },
            "momenta do not sum to (sqrt(s), 0, 0, 0): largest deviation 0.25 GeV",
        ),
        (
            OffShell {
                index: 1,
                mass: f64::NAN,
                expected: 80.4,
            },
            "momentum 1 has mass NaN GeV, expected 80.4 GeV",
        ),
        (
            Degenerate {
                what: "a particle at rest".into(),
            },
            "degenerate kinematics: a particle at rest",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
}
