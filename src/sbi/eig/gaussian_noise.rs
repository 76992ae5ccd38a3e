//! Simulators with a known likelihood: a differentiable mean `μ(θ, d)` observed with Gaussian
//! noise, `x = μ(θ, d) + σ ε`. Implementing [`GaussianMeanModel`] gives a [`DesignSimulator`]
//! with its exact log-likelihood, so [`super::eig_nested_mc`] and the ascent of
//! [`super::ascent`] work on it directly — the quickest way to put a physics observable into a
//! design loop.

use super::simulator::DesignSimulator;
use crate::sbi::prior::Prior;
use crate::RealScalar;

/// `x = μ(θ, d) + σ ε` with `ε ~ N(0, I)` and a known, design-independent noise scale σ.
pub trait GaussianMeanModel: Sync {
    /// The prior `p(θ)`.
    fn prior(&self) -> &Prior;
    /// Dimension of the design.
    fn design_dim(&self) -> usize;
    /// Dimension of x (= of the noise).
    fn x_dim(&self) -> usize;
    /// The noise standard deviation σ (> 0), the same for every component.
    fn noise_sd(&self) -> f64;
    /// The mean `μ(θ, d)`, generic in the number type of the design.
    fn mean<S: RealScalar>(&self, theta: &[f64], design: &[S]) -> Vec<S>;
}

impl<M: GaussianMeanModel> DesignSimulator for M {
    fn prior(&self) -> &Prior {
        GaussianMeanModel::prior(self)
    }
    fn design_dim(&self) -> usize {
        GaussianMeanModel::design_dim(self)
    }
    fn x_dim(&self) -> usize {
        GaussianMeanModel::x_dim(self)
    }
    fn noise_dim(&self) -> usize {
        GaussianMeanModel::x_dim(self)
    }
    fn simulate<S: RealScalar>(&self, theta: &[f64], noise: &[f64], design: &[S]) -> Vec<S> {
        let s = self.noise_sd();
        self.mean(theta, design)
            .into_iter()
            .zip(noise)
            .map(|(m, &e)| m + s * e)
            .collect()
    }
    fn log_likelihood<S: RealScalar>(&self, theta: &[f64], x: &[S], design: &[S]) -> Option<S> {
        let s = self.noise_sd();
        let mu = self.mean(theta, design);
        let norm = x.len() as f64 * (s.ln() + 0.5 * std::f64::consts::TAU.ln());
        let mut ll = S::from_f64(-norm);
        for (xi, mi) in x.iter().zip(mu) {
            let r = (xi.clone() - mi) / s;
            ll -= r.clone() * r * 0.5;
        }
        Some(ll)
    }
}
