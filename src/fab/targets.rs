//! Benchmark targets of the FAB paper with exact normalisers and exact samples.
//!
//! - [`Gmm`]: mixture of K unit-variance Gaussians in 2-D with equal weights and means uniform in
//!   [−40, 40]² (the 40-mode problem of Midgley et al. 2023, as in fab-jax); it is normalised, so
//!   log Z = 0.
//! - [`ManyWell`]: copies of the 2-D double well p̃(x, y) = exp(−x⁴ + 6x² + 0.5x − ½y²)
//!   (Noé et al. 2019; Midgley et al. 2023 use 16 copies: 32-D, 2¹⁶ modes). The x-normaliser
//!   ∫exp(−x⁴ + 6x² + 0.5x)dx = 11784.509265, so log Z(32-D) = 16·(ln 11784.509265 + ½ ln 2π)
//!   = 164.69568.
//! - [`Scaled`]: a fixed rescaling x = s·x′ of any real-space target with the Jacobian folded in,
//!   p̃′(x′) = p̃(s x′) sᵈ, which leaves Z unchanged; it lets a flow with a unit-scale base
//!   distribution start on a target spread over [−40, 40]².

use super::ais::std_normal;
use super::Target;
use crate::flows::Domain;
use crate::stochastic::rng::counter_uniform;

const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// Equal-weight mixture of unit-variance Gaussians.
#[derive(Clone, Debug)]
pub struct Gmm {
    dim: usize,
    means: Vec<f64>,
}

impl Gmm {
    /// `modes` components in `dim` dimensions with means uniform in [−`loc_scale`, `loc_scale`]ᵈ
    /// drawn from `seed`.
    pub fn new(modes: usize, dim: usize, loc_scale: f64, seed: u64) -> Self {
        let means = (0..modes * dim)
            .map(|i| loc_scale * (2.0 * counter_uniform(seed, 0x6d6d, i as u64, 0) - 1.0))
            .collect();
        Gmm { dim, means }
    }

    /// The 40-mode 2-D problem: means uniform in [−40, 40]² (seed 0), unit variance.
    pub fn gmm40() -> Self {
        Self::new(40, 2, 40.0, 0)
    }

    /// The component means, flat.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    fn modes(&self) -> usize {
        self.means.len() / self.dim
    }
}

impl Target for Gmm {
    fn name(&self) -> String {
        format!("gmm{}", self.modes())
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn domain(&self) -> Domain {
        Domain::Real
    }
    fn log_prob(&self, x: &[f64]) -> f64 {
        let mut g = vec![0.0; self.dim];
        self.log_prob_and_grad(x, &mut g)
    }
    fn log_prob_and_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.dim;
        let k = self.modes();
        let logs: Vec<f64> = self
            .means
            .chunks(d)
            .map(|m| -0.5 * m.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
            .collect();
        let lse = super::logsumexp(&logs);
        grad.iter_mut().for_each(|g| *g = 0.0);
        for (m, l) in self.means.chunks(d).zip(&logs) {
            let r = (l - lse).exp();
            for j in 0..d {
                grad[j] += r * (m[j] - x[j]);
            }
        }
        lse - 0.5 * d as f64 * LN_2PI - (k as f64).ln()
    }
    fn log_z(&self) -> Option<f64> {
        Some(0.0)
    }
    fn exact_samples(&self, n: usize, seed: u64) -> Option<Vec<f64>> {
        let (d, k) = (self.dim, self.modes());
        let mut out = Vec::with_capacity(n * d);
        for i in 0..n as u64 {
            let c = ((counter_uniform(seed, 0x6d70, i, 0) * k as f64) as usize).min(k - 1);
            for j in 0..d {
                out.push(self.means[c * d + j] + std_normal(seed, 0x6d71, i, j as u64));
            }
        }
        Some(out)
    }
}

/// ∫exp(−x⁴ + 6x² + 0.5x) dx (fab-jax's Many-Well normaliser along x).
pub const MANY_WELL_X_NORMALISER: f64 = 11784.509265;

/// Copies of the 2-D double well exp(−x⁴ + 6x² + 0.5x − ½y²).
#[derive(Clone, Debug)]
pub struct ManyWell {
    pairs: usize,
    /// Grid and CDF of the x-marginal for exact sampling by inversion.
    grid: Vec<f64>,
    cdf: Vec<f64>,
}

/// Unnormalised log density of one double well's x-coordinate.
fn well_x(x: f64) -> f64 {
    -x.powi(4) + 6.0 * x * x + 0.5 * x
}

impl ManyWell {
    const GRID_LO: f64 = -4.0;
    const GRID_HI: f64 = 4.0;
    const GRID_N: usize = 40_001;

    /// `pairs` copies (dimension 2·pairs).
    pub fn new(pairs: usize) -> Self {
        let h = (Self::GRID_HI - Self::GRID_LO) / (Self::GRID_N - 1) as f64;
        let grid: Vec<f64> = (0..Self::GRID_N)
            .map(|i| Self::GRID_LO + i as f64 * h)
            .collect();
        let dens: Vec<f64> = grid.iter().map(|&x| well_x(x).exp()).collect();
        let mut cdf = vec![0.0; Self::GRID_N];
        for i in 1..Self::GRID_N {
            cdf[i] = cdf[i - 1] + 0.5 * h * (dens[i] + dens[i - 1]);
        }
        ManyWell { pairs, grid, cdf }
    }

    /// The 32-D problem (16 pairs).
    pub fn manywell32() -> Self {
        Self::new(16)
    }

    /// ∫exp(−x⁴ + 6x² + 0.5x) dx by the trapezoid rule on the sampling grid.
    pub fn x_normaliser_on_grid(&self) -> f64 {
        self.cdf[Self::GRID_N - 1]
    }

    /// Inverse CDF of the x-marginal by linear interpolation in the tabulated CDF.
    fn x_quantile(&self, u: f64) -> f64 {
        let t = u * self.x_normaliser_on_grid();
        let i = self
            .cdf
            .partition_point(|&c| c < t)
            .clamp(1, Self::GRID_N - 1);
        let (c0, c1) = (self.cdf[i - 1], self.cdf[i]);
        let f = if c1 > c0 { (t - c0) / (c1 - c0) } else { 0.5 };
        self.grid[i - 1] + f * (self.grid[i] - self.grid[i - 1])
    }
}

impl Target for ManyWell {
    fn name(&self) -> String {
        format!("manywell{}", 2 * self.pairs)
    }
    fn dim(&self) -> usize {
        2 * self.pairs
    }
    fn domain(&self) -> Domain {
        Domain::Real
    }
    fn log_prob(&self, x: &[f64]) -> f64 {
        x.chunks(2).map(|p| well_x(p[0]) - 0.5 * p[1] * p[1]).sum()
    }
    fn log_prob_and_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        for (p, g) in x.chunks(2).zip(grad.chunks_mut(2)) {
            g[0] = -4.0 * p[0].powi(3) + 12.0 * p[0] + 0.5;
            g[1] = -p[1];
        }
        self.log_prob(x)
    }
    fn log_z(&self) -> Option<f64> {
        Some(self.pairs as f64 * (MANY_WELL_X_NORMALISER.ln() + 0.5 * LN_2PI))
    }
    fn exact_samples(&self, n: usize, seed: u64) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(n * self.dim());
        for i in 0..n as u64 {
            for k in 0..self.pairs as u64 {
                out.push(self.x_quantile(counter_uniform(seed, 0x6d77, i, k)));
                out.push(std_normal(seed, 0x6d78, i, k));
            }
        }
        Some(out)
    }
}

/// A real-space target seen in coordinates x′ = x/s: p̃′(x′) = p̃(s x′)·sᵈ, same Z.
#[derive(Clone, Debug)]
pub struct Scaled<T> {
    inner: T,
    scale: f64,
}

impl<T: Target> Scaled<T> {
    /// Rescale `inner` by `scale` (> 0, finite); `inner` must live on ℝᵈ.
    pub fn new(inner: T, scale: f64) -> Result<Self, super::FabError> {
        if matches!(inner.domain(), Domain::UnitCube) {
            return Err(super::FabError::Config(format!(
                "target {} lives on the unit cube and cannot be rescaled",
                inner.name()
            )));
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(super::FabError::Config(format!(
                "scale = {scale} must be positive and finite"
            )));
        }
        Ok(Scaled { inner, scale })
    }

    /// The scale s.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The wrapped target.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    fn log_jac(&self) -> f64 {
        self.inner.dim() as f64 * self.scale.ln()
    }
}

impl<T: Target> Target for Scaled<T> {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn domain(&self) -> Domain {
        self.inner.domain()
    }
    fn log_prob(&self, x: &[f64]) -> f64 {
        let xs: Vec<f64> = x.iter().map(|v| v * self.scale).collect();
        self.inner.log_prob(&xs) + self.log_jac()
    }
    fn log_prob_and_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let xs: Vec<f64> = x.iter().map(|v| v * self.scale).collect();
        let lp = self.inner.log_prob_and_grad(&xs, grad);
        grad.iter_mut().for_each(|g| *g *= self.scale);
        lp + self.log_jac()
    }
    fn log_z(&self) -> Option<f64> {
        self.inner.log_z()
    }
    fn exact_samples(&self, n: usize, seed: u64) -> Option<Vec<f64>> {
        self.inner
            .exact_samples(n, seed)
            .map(|v| v.into_iter().map(|x| x / self.scale).collect())
    }
}
