//! A one-dimensional source-location task (after Foster, Ivanova, Malik & Rainforth, "Deep
//! adaptive design", ICML 2021, whose sources live in 2-D): `K` point sources at unknown
//! positions `θₖ` on a line, one intensity measurement at position `ξ`,
//!
//! `x = ln(b + Σₖ αₖ / (m + (θₖ − ξ)²)) + σ ε`.
//!
//! With well-separated priors on the sources, `EIG(ξ)` has local maxima on either side of each
//! source (a measurement next to a source locates it; at the prior mean itself the intensity is
//! flat in θ) — the two around the same source nearly equal by the symmetry of its prior — and
//! low plateaus in between and outside, so gradient ascent from a random start reaches the
//! global maximum only from part of the design range. The optimum is located by a dense nested
//! Monte Carlo scan ([`super::Scan1d`]).

use super::error::{EigError, Result};
use super::gaussian_noise::GaussianMeanModel;
use crate::sbi::prior::Prior;
use crate::RealScalar;

/// `K` sources on a line with independent Gaussian priors, one measurement at `ξ`.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceLocation {
    prior: Prior,
    strength: Vec<f64>,
    background: f64,
    floor: f64,
    noise_sd: f64,
}

impl SourceLocation {
    /// Sources with prior means `mean`, prior standard deviations `sd` and strengths `αₖ`;
    /// background `b > 0`, regulator `m > 0`, noise `σ > 0`.
    pub fn new(
        mean: Vec<f64>,
        sd: Vec<f64>,
        strength: Vec<f64>,
        background: f64,
        floor: f64,
        noise_sd: f64,
    ) -> Result<Self> {
        let k = mean.len();
        crate::error::check_len("source prior standard deviations", k, sd.len())?;
        crate::error::check_len("source strengths", k, strength.len())?;
        if k == 0 {
            return Err(EigError::ZeroSamples("number of sources"));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(sd.iter().chain(&strength).all(|&v| positive(v))
            && mean.iter().all(|v| v.is_finite())
            && positive(background)
            && positive(floor)
            && positive(noise_sd))
        {
            return Err(EigError::Config(
                "source location: means must be finite; standard deviations, strengths, \
                 background, regulator and noise finite and positive"
                    .into(),
            ));
        }
        Ok(SourceLocation {
            prior: Prior::Gaussian { mean, sd },
            strength,
            background,
            floor,
            noise_sd,
        })
    }

    /// The task of `docs/eig.md` and `examples/eig_design.rs`: two sources of strength 1 with
    /// priors `N(−1, 0.6²)` and `N(2.5, 0.2²)`, `b = 0.1`, `m = 0.05`, `σ = 0.5`. Its EIG has two
    /// nearly equal global maxima on either side of the uncertain source (about ξ = −1.65 and
    /// −0.5, ≈ 0.86 nats), two lower ones around the well-known source (≈ 0.51 nats) and flat
    /// low ground in between and outside.
    pub fn two_sources() -> Self {
        SourceLocation::new(
            vec![-1.0, 2.5],
            vec![0.6, 0.2],
            vec![1.0, 1.0],
            0.1,
            0.05,
            0.5,
        )
        .expect("valid constants")
    }
}

impl GaussianMeanModel for SourceLocation {
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn design_dim(&self) -> usize {
        1
    }
    fn x_dim(&self) -> usize {
        1
    }
    fn noise_sd(&self) -> f64 {
        self.noise_sd
    }
    fn mean<S: RealScalar>(&self, theta: &[f64], design: &[S]) -> Vec<S> {
        let mut total = S::from_f64(self.background);
        for (t, a) in theta.iter().zip(&self.strength) {
            let r = design[0].rsub(*t);
            total += (r.clone() * r + self.floor).rdiv(*a);
        }
        vec![total.ln()]
    }
}
