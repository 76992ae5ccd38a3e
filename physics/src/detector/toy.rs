//! Toy sample of jets with a displaced heavy-flavour decay vertex, for vertexing studies.
//!
//! Each jet has a direction (φ uniform, |η| < 2.0), a primary vertex at `(0, 0, z_PV)` with
//! `z_PV ~ N(0, 30 mm)`, and a b hadron (m = 5.28 GeV, cτ = 0.455 mm: the B⁰ values of the
//! Review of Particle Physics, PDG) with momentum uniform in 20–150 GeV, flying an
//! exponentially distributed decay length with mean βγcτ along the jet axis. The decay gives 2 +
//! Poisson(1.5) charged tracks; the primary vertex adds Poisson(3) prompt tracks in the jet cone.
//! Track directions scatter around the axis (σ = 0.10 rad in φ and θ), momenta are uniform in
//! 1–20 GeV, charges ±1 with equal probability. The number of tracks varies from jet to jet; no
//! padding.
//!
//! True perigee parameters ([`crate::detector::tracks::perigee_through`]) are smeared with Gaussian
//! resolutions in the parametrisation usual for silicon trackers,
//! `σ(d0) = a ⊕ b/(p sin^{3/2}θ)` with `a = 10 μm`, `b = 70 μm·GeV`, and
//! `σ(z0) = (20 μm ⊕ 100 μm·GeV/(p sin^{3/2}θ)) / sin θ` — chosen to be of the size of the
//! measured impact-parameter resolutions of LHC silicon trackers (e.g. CMS, *JINST* 9 (2014)
//! P10009), not a fit to them — `σ(φ) = σ(θ) = 0.1 mrad ⊕ 1 mrad·GeV/p`,
//! `σ(q/p)/|q/p| = 1 %`, with correlations
//! ρ(d0, φ) = −0.3 and ρ(z0, θ) = −0.3. The covariance stored with a track is the one used to
//! smear it.
//!
//! Random numbers come from ChaCha12 seeded with the user's seed: the same seed gives the same
//! sample on every platform and run.

// Index loops mirror the matrix formulas.
#![allow(clippy::needless_range_loop)]

use rand::rngs::ChaCha12Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, Normal, Poisson};

use crate::detector::tracks::{perigee_through, Track, TrackModel, QOP, THETA};

/// b-hadron mass (GeV).
pub const B_MASS: f64 = 5.28;
/// b-hadron cτ (mm).
pub const B_CTAU: f64 = 0.455;

/// Settings of the toy generator.
#[derive(Clone, Debug)]
pub struct ToyConfig {
    /// Trajectory model of the generated tracks.
    pub model: TrackModel,
    /// Mean number of decay tracks beyond the minimum of two.
    pub extra_decay_tracks: f64,
    /// Mean number of prompt tracks.
    pub prompt_tracks: f64,
}

impl Default for ToyConfig {
    fn default() -> Self {
        ToyConfig {
            model: TrackModel::Helix { bz: 2.0 },
            extra_decay_tracks: 1.5,
            prompt_tracks: 3.0,
        }
    }
}

/// One toy jet.
#[derive(Clone, Debug)]
pub struct ToyJet {
    /// True primary vertex (mm).
    pub primary: [f64; 3],
    /// True secondary (decay) vertex (mm).
    pub secondary: [f64; 3],
    /// Smeared tracks: decay tracks first, then prompt tracks.
    pub tracks: Vec<Track<f64>>,
    /// For each track, whether it comes from the secondary vertex.
    pub from_secondary: Vec<bool>,
}

impl ToyJet {
    /// The tracks from the secondary vertex.
    pub fn secondary_tracks(&self) -> Vec<Track<f64>> {
        self.tracks
            .iter()
            .zip(&self.from_secondary)
            .filter(|(_, &s)| s)
            .map(|(t, _)| t.clone())
            .collect()
    }
}

/// Seeded generator of toy jets.
pub struct ToyGenerator {
    cfg: ToyConfig,
    rng: ChaCha12Rng,
    gauss: Normal<f64>,
}

impl ToyGenerator {
    /// A generator with its own ChaCha12 stream seeded by `seed`.
    pub fn new(cfg: ToyConfig, seed: u64) -> Self {
        ToyGenerator {
            cfg,
            rng: ChaCha12Rng::seed_from_u64(seed),
            gauss: Normal::new(0.0, 1.0).expect("unit normal"),
        }
    }

    fn normal(&mut self) -> f64 {
        self.gauss.sample(&mut self.rng)
    }

    fn poisson(&mut self, mean: f64) -> usize {
        if mean <= 0.0 {
            return 0;
        }
        Poisson::new(mean)
            .expect("positive mean")
            .sample(&mut self.rng) as usize
    }

    /// The next jet.
    pub fn jet(&mut self) -> ToyJet {
        let phi_j = self
            .rng
            .random_range(-std::f64::consts::PI..std::f64::consts::PI);
        let eta = self.rng.random_range(-2.0..2.0f64);
        let theta_j = 2.0 * (-eta).exp().atan();
        let primary = [0.0, 0.0, 30.0 * self.normal()];
        let p_b: f64 = self.rng.random_range(20.0..150.0);
        let mean_len = p_b / B_MASS * B_CTAU;
        let len = Exp::new(1.0 / mean_len)
            .expect("positive rate")
            .sample(&mut self.rng);
        let dir = [
            theta_j.sin() * phi_j.cos(),
            theta_j.sin() * phi_j.sin(),
            theta_j.cos(),
        ];
        let secondary = std::array::from_fn(|k| primary[k] + len * dir[k]);
        let n_sv = 2 + self.poisson(self.cfg.extra_decay_tracks);
        let n_pv = self.poisson(self.cfg.prompt_tracks);
        let mut tracks = Vec::with_capacity(n_sv + n_pv);
        let mut from_secondary = Vec::with_capacity(n_sv + n_pv);
        for i in 0..n_sv + n_pv {
            let origin = if i < n_sv { secondary } else { primary };
            tracks.push(self.track_from(origin, phi_j, theta_j));
            from_secondary.push(i < n_sv);
        }
        ToyJet {
            primary,
            secondary,
            tracks,
            from_secondary,
        }
    }

    fn track_from(&mut self, origin: [f64; 3], phi_j: f64, theta_j: f64) -> Track<f64> {
        let phi = phi_j + 0.1 * self.normal();
        let theta = (theta_j + 0.1 * self.normal()).clamp(0.15, std::f64::consts::PI - 0.15);
        let p: f64 = self.rng.random_range(1.0..20.0);
        let q = if self.rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let truth = perigee_through(origin, phi, theta, q / p, self.cfg.model);
        let cov = resolution(p, theta, q / p);
        // Correlated smearing with the Cholesky factor of the covariance.
        let l = cholesky5(&cov);
        let z: [f64; 5] = std::array::from_fn(|_| self.normal());
        let mut params = truth;
        for i in 0..5 {
            for k in 0..=i {
                params[i] += l[i][k] * z[k];
            }
        }
        params[THETA] = params[THETA].clamp(1e-3, std::f64::consts::PI - 1e-3);
        if params[QOP] == 0.0 {
            params[QOP] = truth[QOP];
        }
        Track::new(params, cov, self.cfg.model).expect("toy covariance is positive definite")
    }

    /// `n` jets.
    pub fn jets(&mut self, n: usize) -> Vec<ToyJet> {
        (0..n).map(|_| self.jet()).collect()
    }
}

/// The smearing covariance of a track of momentum `p` (GeV) and polar angle `theta` (see the
/// [module documentation](self)).
pub fn resolution(p: f64, theta: f64, qop: f64) -> [[f64; 5]; 5] {
    let st = theta.sin();
    let ms = 1.0 / (p * st.powf(1.5));
    let sig = [
        0.010f64.hypot(0.070 * ms),
        0.020f64.hypot(0.100 * ms) / st,
        1e-4f64.hypot(1e-3 / p),
        1e-4f64.hypot(1e-3 / p),
        0.01 * qop.abs(),
    ];
    let mut c = [[0.0; 5]; 5];
    for i in 0..5 {
        c[i][i] = sig[i] * sig[i];
    }
    c[0][2] = -0.3 * sig[0] * sig[2];
    c[2][0] = c[0][2];
    c[1][3] = -0.3 * sig[1] * sig[3];
    c[3][1] = c[1][3];
    c
}

fn cholesky5(c: &[[f64; 5]; 5]) -> [[f64; 5]; 5] {
    let mut l = [[0.0; 5]; 5];
    for i in 0..5 {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (c[i][i] - s).sqrt();
            } else {
                l[i][j] = (c[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sample_and_variable_sizes() {
        let a = ToyGenerator::new(ToyConfig::default(), 7).jets(50);
        let b = ToyGenerator::new(ToyConfig::default(), 7).jets(50);
        let c = ToyGenerator::new(ToyConfig::default(), 8).jets(1);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.secondary, y.secondary);
            assert_eq!(x.tracks.len(), y.tracks.len());
            for (s, t) in x.tracks.iter().zip(&y.tracks) {
                assert_eq!(s.params, t.params);
            }
        }
        assert_ne!(a[0].secondary, c[0].secondary);
        let sizes: std::collections::BTreeSet<usize> = a.iter().map(|j| j.tracks.len()).collect();
        assert!(sizes.len() > 3, "track multiplicities vary: {sizes:?}");
        assert!(a.iter().all(|j| j.secondary_tracks().len() >= 2));
    }

    #[test]
    fn decay_length_has_the_exponential_mean() {
        // Mean flight distance over the sample: E[βγ] cτ with p uniform in 20–150 GeV, so
        // E[L] = cτ (20 + 150)/2 / m. Standard error from the sample itself.
        let jets = ToyGenerator::new(ToyConfig::default(), 11).jets(4000);
        let l: Vec<f64> = jets
            .iter()
            .map(|j| {
                let d: Vec<f64> = (0..3).map(|k| j.secondary[k] - j.primary[k]).collect();
                (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
            })
            .collect();
        let n = l.len() as f64;
        let mean = l.iter().sum::<f64>() / n;
        let var = l.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let expected = B_CTAU * 85.0 / B_MASS;
        assert!(
            (mean - expected).abs() < 4.0 * (var / n).sqrt(),
            "{mean} vs {expected}"
        );
    }

    #[test]
    fn smearing_pulls_are_standard_normal() {
        // Transverse impact-parameter pulls w.r.t. the true secondary vertex, with the transported
        // covariance: mean 0, variance 1 (4σ bounds from the sample size).
        let mut gen = ToyGenerator::new(
            ToyConfig {
                model: TrackModel::StraightLine,
                ..ToyConfig::default()
            },
            3,
        );
        let mut pulls = Vec::new();
        for j in gen.jets(1500) {
            for t in j.secondary_tracks() {
                let imp = t.impact(&j.secondary);
                let sigma = t.impact_covariance(&j.secondary, &imp.s);
                pulls.push(imp.eps[0] / sigma[0][0].sqrt());
            }
        }
        let n = pulls.len() as f64;
        let mean = pulls.iter().sum::<f64>() / n;
        let var = pulls.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(mean.abs() < 4.0 / n.sqrt(), "mean pull {mean}");
        assert!(
            (var - 1.0).abs() < 4.0 * (2.0 / n).sqrt(),
            "pull variance {var}"
        );
    }
}
