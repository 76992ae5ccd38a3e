//! The linear-Gaussian design task with a closed-form EIG, for exact tests:
//! `θ ~ N(0, s²)` (scalar), `x = d θ + σ ε` with `d, x ∈ ℝᵏ`, so
//! `EIG(d) = ½ ln(1 + s² ‖d‖² / σ²)` (the mutual information of a Gaussian channel).

use super::error::{EigError, Result};
use super::gaussian_noise::GaussianMeanModel;
use super::simulator::check_design;
use crate::sbi::prior::Prior;
use crate::RealScalar;

/// `θ ~ N(0, s²)`, `x = d θ + σ ε`, design `d ∈ ℝᵏ`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearGaussian {
    prior: Prior,
    prior_sd: f64,
    noise_sd: f64,
    dim: usize,
}

impl LinearGaussian {
    /// Prior standard deviation `s`, noise standard deviation `σ`, design dimension `k ≥ 1`.
    pub fn new(prior_sd: f64, noise_sd: f64, dim: usize) -> Result<Self> {
        if !(prior_sd.is_finite() && prior_sd > 0.0 && noise_sd.is_finite() && noise_sd > 0.0) {
            return Err(EigError::Config(format!(
                "linear-Gaussian task: standard deviations s = {prior_sd}, σ = {noise_sd} must be \
                 finite and positive"
            )));
        }
        if dim == 0 {
            return Err(EigError::ZeroSamples("design dimension"));
        }
        Ok(LinearGaussian {
            prior: Prior::Gaussian {
                mean: vec![0.0],
                sd: vec![prior_sd],
            },
            prior_sd,
            noise_sd,
            dim,
        })
    }

    /// The exact `EIG(d) = ½ ln(1 + s² ‖d‖² / σ²)`.
    pub fn eig(&self, design: &[f64]) -> Result<f64> {
        check_design(self, design)?;
        Ok(0.5 * self.snr(design).ln_1p())
    }

    /// The exact gradient `∂EIG/∂dⱼ = (s²/σ²) dⱼ / (1 + s² ‖d‖² / σ²)`.
    pub fn eig_grad(&self, design: &[f64]) -> Result<Vec<f64>> {
        check_design(self, design)?;
        let r = (self.prior_sd / self.noise_sd).powi(2);
        let den = 1.0 + self.snr(design);
        Ok(design.iter().map(|d| r * d / den).collect())
    }

    fn snr(&self, design: &[f64]) -> f64 {
        let n2: f64 = design.iter().map(|d| d * d).sum();
        (self.prior_sd / self.noise_sd).powi(2) * n2
    }
}

impl GaussianMeanModel for LinearGaussian {
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn design_dim(&self) -> usize {
        self.dim
    }
    fn x_dim(&self) -> usize {
        self.dim
    }
    fn noise_sd(&self) -> f64 {
        self.noise_sd
    }
    fn mean<S: RealScalar>(&self, theta: &[f64], design: &[S]) -> Vec<S> {
        design.iter().map(|d| d.clone() * theta[0]).collect()
    }
}
