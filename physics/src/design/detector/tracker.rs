//! The toy tracker: how the inner radius and the material set the track resolutions, and the
//! vertex-resolution term with its pathwise gradient through the implicit vertex fit.
//!
//! # Resolution parametrisation
//! Two pixel layers at radii `r0` and `r0 + ℓ`, each measuring with `σ_hit` and each of `x`
//! radiation lengths. Extrapolating the straight line through the two hits to the beam line gives
//! the intrinsic term, scattering in the inner layer the momentum-dependent one:
//!
//! ```text
//! a(r0)    = σ_hit √(r0² + (r0 + ℓ)²) / ℓ
//! b(r0, x) = r0 · 13.6 MeV · √x (1 + 0.038 ln x)         (Highland, PDG RPP §34.3)
//! σ(d0)    = a ⊕ b / (p sin^{3/2}θ),   σ(z0) = σ(d0) / sin θ
//! ```
//!
//! The angles and `q/p` keep the resolutions of [`crate::detector::toy`]
//! (`σ(φ) = σ(θ) = 0.1 mrad ⊕ 1 mrad·GeV/p`, 1 % on `q/p`, ρ(d0, φ) = ρ(z0, θ) = −0.3).
//!
//! # Sample and gradient
//! Each jet is a b hadron (|η| < 1, p uniform in 20–150 GeV, the flight length of
//! [`crate::detector::toy`]) decaying to 2 + Poisson(1.5) tracks, with its own ChaCha12 stream keyed by
//! `(seed, jet)`, so jets are the same for every design and thread count. Tracks are smeared by
//! reparameterisation, `p = p_true + L(θ) z` with `L` the Cholesky factor of the covariance
//! and `z` standard normal draws fixed by the seed; the covariance `C(θ)` also weights the fit.
//! The term is `E|v̂ − v_true|²`; its gradient is exact per jet: the implicit derivatives of
//! the fit ([`crate::detector::vertex::fit_with_derivatives`], one adjoint solve per jet) are chained with
//! `∂p/∂θ` and `∂C/∂θ` from forward-mode dual numbers.

use diffhep::implicit::ImplicitOptions;
use diffhep::stochastic::rng::child_key;
use diffhep::RealScalar;
use num_dual::{Derivative, DualSVec64};
use rand::rngs::ChaCha12Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, Poisson, StandardNormal};

use crate::detector::toy::{B_CTAU, B_MASS};
use crate::detector::tracks::{perigee_through, Track, TrackModel};
use crate::detector::vertex::{fit, fit_with_derivatives, FitConfig, Wrt, COV_ENTRIES};

/// Highland constant (GeV).
const HIGHLAND: f64 = 0.0136;

/// The fixed part of the tracker (everything but the design parameters `r0`, `x`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tracker {
    /// Radial distance between the layers (mm).
    pub lever_arm: f64,
    /// Single-hit resolution (mm).
    pub hit_resolution: f64,
    /// Trajectory model (helix in the solenoid field, or straight).
    pub model: TrackModel,
}

/// The resolution terms `(a, b)` of `σ(d0) = a ⊕ b/(p sin^{3/2}θ)` in mm and mm·GeV for inner
/// radius `r0` (mm) and material `x` (X₀).
pub fn impact_terms<S: RealScalar>(tracker: &Tracker, r0: S, x: S) -> (S, S) {
    let l = tracker.lever_arm;
    let outer = r0.clone() + l;
    let a = (r0.clone() * r0.clone() + outer.clone() * outer).sqrt() * (tracker.hit_resolution / l);
    let b = r0 * HIGHLAND * x.clone().sqrt() * (x.ln() * 0.038 + 1.0);
    (a, b)
}

/// Standard deviations of `(d0, z0, φ, θ, q/p)` for a track of momentum `p`, polar angle `theta`.
pub fn sigmas<S: RealScalar>(tracker: &Tracker, design: &[S; 2], p: f64, theta: f64) -> [S; 5] {
    let (a, b) = impact_terms(tracker, design[0].clone(), design[1].clone());
    let st = theta.sin();
    let ms = b * (1.0 / (p * st.powf(1.5)));
    let d0 = (a.clone() * a + ms.clone() * ms).sqrt();
    let z0 = d0.clone() * (1.0 / st);
    let ang = S::from_f64(1e-4f64.hypot(1e-3 / p));
    [d0, z0, ang.clone(), ang, S::from_f64(0.01 / p)]
}

const RHO: f64 = -0.3;

/// One true track with its smearing draws.
#[derive(Clone, Debug)]
pub struct TruthTrack {
    /// True perigee parameters.
    pub params: [f64; 5],
    /// Momentum (GeV).
    pub p: f64,
    /// True polar angle.
    pub theta: f64,
    /// Standard normal draws of the smearing.
    pub z: [f64; 5],
}

/// One jet of the vertex sample: the true decay vertex and its tracks.
#[derive(Clone, Debug)]
pub struct Jet {
    /// True secondary vertex (mm).
    pub secondary: [f64; 3],
    /// Tracks from the secondary vertex.
    pub tracks: Vec<TruthTrack>,
}

impl Tracker {
    /// Jet number `index` of the sample of `seed`.
    pub fn jet(&self, seed: u64, index: u64) -> Jet {
        let mut rng = ChaCha12Rng::seed_from_u64(child_key(seed, index));
        let pi = std::f64::consts::PI;
        let phi_j = rng.random_range(-pi..pi);
        let eta = rng.random_range(-1.0..1.0f64);
        let theta_j = 2.0 * (-eta).exp().atan();
        let p_b: f64 = rng.random_range(20.0..150.0);
        let len = Exp::new(B_MASS / (p_b * B_CTAU))
            .expect("positive rate")
            .sample(&mut rng);
        let dir = [
            theta_j.sin() * phi_j.cos(),
            theta_j.sin() * phi_j.sin(),
            theta_j.cos(),
        ];
        let secondary = dir.map(|d| len * d);
        let n = 2 + Poisson::new(1.5).expect("positive mean").sample(&mut rng) as usize;
        let tracks = (0..n)
            .map(|_| {
                let phi = phi_j + 0.1 * rng.sample::<f64, _>(StandardNormal);
                let theta =
                    (theta_j + 0.1 * rng.sample::<f64, _>(StandardNormal)).clamp(0.15, pi - 0.15);
                let p: f64 = rng.random_range(1.0..20.0);
                let q = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                let z = std::array::from_fn(|_| rng.sample(StandardNormal));
                TruthTrack {
                    params: perigee_through(secondary, phi, theta, q / p, self.model),
                    p,
                    theta,
                    z,
                }
            })
            .collect();
        Jet { secondary, tracks }
    }

    /// The measured track for design `[r0, x]`: `p_true + L z` and covariance `L Lᵀ`.
    pub fn measure<S: RealScalar>(&self, design: &[S; 2], t: &TruthTrack) -> Track<S> {
        let s = sigmas(self, design, t.p, t.theta);
        let z = &t.z;
        let c = (1.0 - RHO * RHO).sqrt();
        // Closed-form Cholesky factor: (d0, φ) and (z0, θ) are the only correlated pairs.
        let delta = [
            s[0].clone() * z[0],
            s[1].clone() * z[1],
            s[2].clone() * (RHO * z[0] + c * z[2]),
            s[3].clone() * (RHO * z[1] + c * z[3]),
            s[4].clone() * z[4],
        ];
        let params = std::array::from_fn(|k| delta[k].clone() + t.params[k]);
        let mut cov: [[S; 5]; 5] = std::array::from_fn(|_| std::array::from_fn(|_| S::zero()));
        for k in 0..5 {
            cov[k][k] = s[k].clone() * s[k].clone();
        }
        for (i, j) in [(0, 2), (1, 3)] {
            cov[i][j] = s[i].clone() * s[j].clone() * RHO;
            cov[j][i] = cov[i][j].clone();
        }
        Track {
            params,
            cov,
            model: self.model,
        }
    }

    /// `|v̂ − v_true|²` (mm²) of one jet at design `[r0, x]`; `None` if the fit fails.
    pub fn squared_error(&self, design: &[f64; 2], jet: &Jet) -> Option<f64> {
        let tracks: Vec<Track<f64>> = jet.tracks.iter().map(|t| self.measure(design, t)).collect();
        let f = fit(&tracks, &vec![1.0; tracks.len()], &FitConfig::default()).ok()?;
        Some(
            (0..3)
                .map(|k| (f.position[k] - jet.secondary[k]).powi(2))
                .sum(),
        )
    }

    /// `|v̂ − v_true|²` and its gradient w.r.t. `[r0, x]`; `None` if the fit fails.
    pub fn squared_error_gradient(&self, design: &[f64; 2], jet: &Jet) -> Option<(f64, [f64; 2])> {
        type D = DualSVec64<2>;
        let seeded = |k: usize| {
            let mut e = nalgebra::SVector::<f64, 2>::zeros();
            e[k] = 1.0;
            D::new(design[k], Derivative::some(e))
        };
        let dd: [D; 2] = [seeded(0), seeded(1)];
        let dual: Vec<Track<D>> = jet.tracks.iter().map(|t| self.measure(&dd, t)).collect();
        let re = |x: &D| x.re;
        let eps = |x: &D, j: usize| x.eps.unwrap_generic(nalgebra::Const::<2>, nalgebra::U1)[j];
        let tracks: Vec<Track<f64>> = dual
            .iter()
            .map(|t| Track {
                params: t.params.each_ref().map(re),
                cov: t.cov.each_ref().map(|r| r.each_ref().map(re)),
                model: t.model,
            })
            .collect();
        let wrt = Wrt {
            weights: false,
            params: true,
            covariance: true,
        };
        let (f, der) = fit_with_derivatives(
            &tracks,
            &vec![1.0; tracks.len()],
            &FitConfig::default(),
            wrt,
            &ImplicitOptions::default(),
        )
        .ok()?;
        let d: [f64; 3] = std::array::from_fn(|k| f.position[k] - jet.secondary[k]);
        let value = d.iter().map(|x| x * x).sum();
        let cot = der.vjp(d.map(|x| 2.0 * x));
        let mut grad = [0.0; 2];
        for (i, t) in dual.iter().enumerate() {
            for (j, g) in grad.iter_mut().enumerate() {
                for k in 0..5 {
                    *g += cot.params[i][k] * eps(&t.params[k], j);
                }
                for (e, &(k, l)) in COV_ENTRIES.iter().enumerate() {
                    *g += cot.covariance[i][e] * eps(&t.cov[k][l], j);
                }
            }
        }
        Some((value, grad))
    }
}
