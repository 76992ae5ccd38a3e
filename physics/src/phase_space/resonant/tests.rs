use super::*;
use crate::phase_space::tests::{kinematics_residual, max_abs_diff, random_point, simpson, v2};
use crate::phase_space::PhaseSpace;
use diffhep::gradcheck::assert_gradient;
use diffhep::ScalarFn;
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;

// MadGraph `sm` defaults (physics-numbers.md): MT = 173, WT = 1.4915, mW = 80.419002.
const MT: f64 = 173.0;
const WT: f64 = 1.4915;
const MW: f64 = 80.419002;
const SQRT_S: f64 = 500.0;

/// ∫ f(s) ds/(2π) over s = m² with m ∈ [a, b], by Simpson's rule: with `bw = None` after
/// m = a + (b − a) sin²ϑ (removes square-root end points), with `bw = Some((M, Γ))` after
/// s = M² + MΓ tan y (resolves a Breit–Wigner peak of width Γ; f must contain that peak).
fn mass_integral(a: f64, b: f64, bw: Option<(f64, f64)>, f: impl Fn(f64) -> f64) -> f64 {
    match bw {
        None => simpson(
            |th: f64| {
                let (sn, cs) = th.sin_cos();
                let m = a + (b - a) * sn * sn;
                let dm = 2.0 * (b - a) * sn * cs;
                dm * m / PI * f(m * m)
            },
            0.0,
            PI / 2.0,
            400,
        ),
        Some((mt, wt)) => {
            let (m2, mg) = (mt * mt, mt * wt);
            let y = |s: f64| ((s - m2) / mg).atan();
            simpson(
                |yy: f64| {
                    let d = mg * yy.tan();
                    (d * d + mg * mg) / mg / (2.0 * PI) * f(m2 + d)
                },
                y(a * a),
                y(b * b),
                1000,
            )
        }
    }
}

/// The massive four-body volume of b W⁺ b̄ W⁻ with both top masses in [lo, hi] (times the
/// Breit–Wigner shapes if `bw` is given), by nested quadrature of the factorisation
/// V = ∫ds₁/(2π) ∫ds₂/(2π) V₂(s; m₁, m₂) V₂(s₁; 0, m_W) V₂(s₂; 0, m_W).
fn windowed_volume(sqrt_s: f64, lo: f64, hi: f64, bw: Option<(f64, f64)>) -> f64 {
    let s = sqrt_s * sqrt_s;
    let lo = lo.max(MW);
    let shape = |x: f64| match bw {
        Some((mt, wt)) => (mt * wt).powi(2) / ((x - mt * mt).powi(2) + (mt * wt).powi(2)),
        None => 1.0,
    };
    mass_integral(lo, hi.min(sqrt_s - lo), bw, |s1| {
        let m1 = s1.sqrt();
        let inner = mass_integral(lo, hi.min(sqrt_s - m1), bw, |s2| {
            v2(s, m1, s2.sqrt()) * v2(s2, 0.0, MW) * shape(s2)
        });
        v2(s1, 0.0, MW) * shape(s1) * inner
    })
}

/// Mean and standard error of `f` over `n` uniform points.
fn mc(n: usize, dim: usize, seed: u64, mut f: impl FnMut(&[f64]) -> f64) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut s1, mut s2) = (0.0, 0.0);
    for _ in 0..n {
        let v = f(&random_point(&mut rng, dim));
        s1 += v;
        s2 += v * v;
    }
    let mean = s1 / n as f64;
    (
        mean,
        ((s2 / n as f64 - mean * mean) / (n - 1) as f64).sqrt(),
    )
}

fn top_mass(p: &[FourVector<f64>], i: usize) -> f64 {
    (p[i].clone() + p[i + 1].clone()).m()
}

#[test]
fn mean_weight_is_the_massive_four_body_volume() {
    let map = TopPairMap::new(MT, WT, MW).unwrap();
    let exact = windowed_volume(SQRT_S, 0.0, f64::INFINITY, None);
    let masses = [0.0, MW, 0.0, MW];
    let (res, res_err) = mc(20_000, 8, 11, |x| {
        let pt = map.generate(SQRT_S, x).unwrap();
        assert!(kinematics_residual(SQRT_S, &masses, &pt.momenta) < 1e-12);
        pt.weight
    });
    let flat_map = PhaseSpace::new(masses.to_vec()).unwrap();
    let (flat, flat_err) = mc(20_000, 8, 12, |x| {
        flat_map.generate(SQRT_S, x).unwrap().weight
    });
    assert!(
        (res - exact).abs() < 4.0 * res_err,
        "{res} ± {res_err} vs {exact}"
    );
    assert!(
        (flat - exact).abs() < 4.0 * flat_err,
        "{flat} ± {flat_err} vs {exact}"
    );
    let comb = (res_err * res_err + flat_err * flat_err).sqrt();
    assert!((res - flat).abs() < 4.0 * comb);
}

#[test]
fn windowed_mean_weight_matches_quadrature_and_flat_map() {
    let (lo, hi) = (MT - 15.0 * WT, MT + 15.0 * WT);
    let map = TopPairMap::new(MT, WT, MW)
        .unwrap()
        .with_window(lo, hi)
        .unwrap();
    let exact = windowed_volume(SQRT_S, lo, hi, None);
    let (res, res_err) = mc(20_000, 8, 13, |x| {
        let pt = map.generate(SQRT_S, x).unwrap();
        for i in [0, 2] {
            let m = top_mass(&pt.momenta, i);
            assert!(m > lo - 1e-9 && m < hi + 1e-9, "{m}");
        }
        pt.weight
    });
    assert!(
        (res - exact).abs() < 4.0 * res_err,
        "{res} ± {res_err} vs {exact}"
    );
    // The flat map with the window as an indicator function estimates the same volume.
    let flat_map = PhaseSpace::new(vec![0.0, MW, 0.0, MW]).unwrap();
    let (flat, flat_err) = mc(20_000, 8, 14, |x| {
        let pt = flat_map.generate(SQRT_S, x).unwrap();
        let inside = [0, 2].iter().all(|&i| {
            let m = top_mass(&pt.momenta, i);
            m > lo && m < hi
        });
        if inside {
            pt.weight
        } else {
            0.0
        }
    });
    let comb = (res_err * res_err + flat_err * flat_err).sqrt();
    assert!((res - flat).abs() < 4.0 * comb, "{res} vs {flat} ± {comb}");
}

#[test]
fn breit_wigner_integrand_converges_much_faster_than_flat() {
    // ∫dΦ₄ BW(s_t) BW(s_t̄), each BW normalised to 1 at the pole: the shape of |M|².
    let bw = |p: &[FourVector<f64>], i: usize| {
        let s = (p[i].clone() + p[i + 1].clone()).m2();
        (MT * WT).powi(2) / ((s - MT * MT).powi(2) + (MT * WT).powi(2))
    };
    let exact = windowed_volume(SQRT_S, 0.0, f64::INFINITY, Some((MT, WT)));
    let map = TopPairMap::new(MT, WT, MW).unwrap();
    let n = 5_000;
    let (res, res_err) = mc(n, 8, 15, |x| {
        let pt = map.generate(SQRT_S, x).unwrap();
        pt.weight * bw(&pt.momenta, 0) * bw(&pt.momenta, 2)
    });
    let flat_map = PhaseSpace::new(vec![0.0, MW, 0.0, MW]).unwrap();
    let (flat, flat_err) = mc(n, 8, 16, |x| {
        let pt = flat_map.generate(SQRT_S, x).unwrap();
        pt.weight * bw(&pt.momenta, 0) * bw(&pt.momenta, 2)
    });
    assert!(
        (res - exact).abs() < 4.0 * res_err,
        "{res} ± {res_err} vs {exact}"
    );
    assert!(
        (flat - exact).abs() < 4.0 * flat_err,
        "{flat} ± {flat_err} vs {exact}"
    );
    // Relative errors at equal points: the resonant map is far better.
    assert!(
        res_err / res < 0.1 * flat_err / exact,
        "resonant {} vs flat {}",
        res_err / res,
        flat_err / exact
    );
}

#[test]
fn round_trip_and_kinematics() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    for map in [
        TopPairMap::new(MT, WT, MW).unwrap(),
        TopPairMap::new(MT, WT, MW)
            .unwrap()
            .with_window(150.0, 200.0)
            .unwrap(),
    ] {
        // At high energy the top virtuality read back from boosted lab momenta loses
        // precision ∝ ε·E_t²: Δx₀ ≈ ε E_t²/(m_tΓ_t π) ≈ 5e-13 at √s = 3 TeV (tolerance 1e-11).
        for (sqrt_s, tol) in [
            (350.0, 1e-12),
            (500.0, 1e-12),
            (800.0, 1e-12),
            (3000.0, 1e-11),
        ] {
            for _ in 0..30 {
                let x = random_point(&mut rng, 8);
                let pt = map.generate(sqrt_s, &x).unwrap();
                let back = map.inverse(sqrt_s, &pt.momenta).unwrap();
                assert!(max_abs_diff(&back, &x) < tol, "{x:?} -> {back:?}");
            }
        }
    }
}

/// A summary of a generated point: inputs (√s, m_t, Γ_t, m_W, x₀…x₇).
struct GenSummary;

impl ScalarFn for GenSummary {
    fn eval<S: RealScalar>(&self, v: &[S]) -> S {
        let map = TopPairMap::new(MT, WT, MW).unwrap();
        let params = TopPairParams {
            mt: v[1].clone(),
            wt: v[2].clone(),
            mw: v[3].clone(),
        };
        let pt = map
            .generate_with_params(&params, v[0].clone(), &v[4..])
            .unwrap();
        let mut acc = pt.log_weight;
        for (i, p) in pt.momenta.iter().enumerate() {
            let c = 0.2 + 0.15 * i as f64;
            acc += (p.e.clone() * c - p.px.clone() + p.py.clone() * (c * c) + p.pz.clone() * 0.5)
                / 100.0;
        }
        acc
    }
}

/// Σ cⱼ xⱼ(p(x)) through the inverse, with the parameters as inputs.
struct RoundTrip;

impl ScalarFn for RoundTrip {
    fn eval<S: RealScalar>(&self, v: &[S]) -> S {
        let map = TopPairMap::new(MT, WT, MW).unwrap();
        let params = TopPairParams {
            mt: v[1].clone(),
            wt: v[2].clone(),
            mw: v[3].clone(),
        };
        let pt = map
            .generate_with_params(&params, v[0].clone(), &v[4..])
            .unwrap();
        let back = map
            .inverse_with_params(&params, v[0].clone(), &pt.momenta)
            .unwrap();
        back.iter()
            .enumerate()
            .fold(S::zero(), |a, (j, b)| a + b.clone() * (1.0 + j as f64))
    }
}

#[test]
fn gradients_are_checked() {
    let v = [500.0, MT, WT, MW, 0.35, 0.6, 0.3, 0.7, 0.45, 0.2, 0.8, 0.55];
    assert_gradient(&GenSummary, &v);
    assert_gradient(&RoundTrip, &v);
    // Closed form of the round trip: ∂/∂xⱼ = j + 1; no dependence on √s or the parameters.
    let (_, g) = diffhep::forward::gradient(&RoundTrip, &v);
    for (j, gj) in g.iter().enumerate() {
        let exact = if j < 4 { 0.0 } else { (j - 3) as f64 };
        assert!((gj - exact).abs() < 1e-8, "component {j}: {gj}");
    }
}

#[test]
fn bad_input_gives_named_errors() {
    assert!(matches!(
        TopPairMap::new(MT, -1.0, MW),
        Err(PhaseSpaceError::InvalidMass { value, .. }) if value == -1.0
    ));
    assert!(TopPairMap::new(MT, 0.0, MW).is_err());
    assert!(TopPairMap::new(70.0, WT, MW).is_err());
    assert!(TopPairMap::new(MT, WT, MW)
        .unwrap()
        .with_window(180.0, 170.0)
        .is_err());
    let map = TopPairMap::new(MT, WT, MW).unwrap();
    assert_eq!(
        map.generate(150.0, &[0.5; 8]).unwrap_err(),
        PhaseSpaceError::BelowThreshold {
            sqrt_s: 150.0,
            threshold: 2.0 * MW
        }
    );
    assert!(matches!(
        map.generate(500.0, &[0.5; 7]),
        Err(PhaseSpaceError::WrongDimension {
            expected: 8,
            got: 7
        })
    ));
    let mut x = [0.5; 8];
    x[3] = 0.0;
    assert!(matches!(
        map.generate(500.0, &x),
        Err(PhaseSpaceError::OnBoundary { index: 3, .. })
    ));
    let pt = map.generate(500.0, &[0.5; 8]).unwrap();
    assert!(matches!(
        map.inverse(500.0, &pt.momenta[..3]),
        Err(PhaseSpaceError::WrongMultiplicity {
            expected: 4,
            got: 3
        })
    ));
    // A window entirely below m_W is empty.
    let low = map.clone().with_window(10.0, 50.0).unwrap();
    assert!(matches!(
        low.generate(500.0, &[0.5; 8]),
        Err(PhaseSpaceError::InvalidMass { value, .. }) if value == 50.0
    ));
    // Momenta outside a narrower window: the inverse names the virtuality.
    let narrow = map.clone().with_window(172.9, 173.1).unwrap();
    let x = [0.99, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    let far = map.generate(500.0, &x).unwrap();
    let err = narrow.inverse(500.0, &far.momenta).unwrap_err();
    assert!(err.to_string().contains("s_t"), "{err}");
}
