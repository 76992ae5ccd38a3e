//! VEGAS: adaptive importance sampling on a separable grid.
//!
//! G. P. Lepage, "A new algorithm for adaptive multidimensional integration", J. Comput. Phys.
//! 27 (1978) 192. Each of the d dimensions of [0,1]ᵈ is cut into N bins of adjustable widths
//! Δyᵢ. A uniform u ∈ [0,1)ᵈ falls in bin i = ⌊uN⌋ of each dimension and is mapped linearly
//! into that bin, y = yᵢ + (uN − i) Δyᵢ, with Jacobian J = ∏ N Δyᵢ; then
//! ∫ f(y) dᵈy = ∫ f(y(u)) J(u) dᵈu, and the estimate is the mean of f·J over uniform u. Every bin
//! receives the same probability 1/N, so narrow bins concentrate points where they sit.
//!
//! **Training** ([`Vegas::adapt`]): during an iteration each dimension accumulates
//! dᵢ = Σ (f J)² over the points falling in its bin i. After smoothing over neighbours
//! (dᵢ ← (dᵢ₋₁ + dᵢ + dᵢ₊₁)/3) and normalising (rᵢ = dᵢ/Σd), the bins get the damped importance
//! wᵢ = ((1 − rᵢ)/ln(1/rᵢ))^α (Lepage's eq. for m_i; α ≈ 1.5, larger adapts faster), and new edges
//! are placed so that every new bin holds an equal share of Σw, w being spread uniformly inside
//! each old bin. Bins shrink where f·J fluctuates most, which drives the sampling density
//! towards |f| for separable integrands.
//!
//! **Estimates**: iteration k gives Iₖ ± σₖ (sample mean and its standard error); the cumulative
//! result is the inverse-variance weighted mean Ī = Σ(Iₖ/σₖ²)/Σ(1/σₖ²) with
//! σ = (Σ 1/σₖ²)^(−½), and χ²/ndf = Σ(Iₖ − Ī)²/σₖ² / (K − 1) tells whether the iterations
//! agree (≈ 1 if they do; large values signal an unreliable early grid — discard those
//! iterations with [`Vegas::reset_estimates`] after training).
//!
//! **Frozen grid and gradients**: [`Vegas::integrate`] samples without changing the grid, and
//! [`VegasGrid::map`] exposes the map u → (y, J) itself. With the grid frozen the estimator
//! mean(f_θ(y(u)) J(u)) is a smooth function of parameters θ of the integrand at fixed u, so
//! its pathwise derivative (differentiate f_θ with any `diffhep` number type at the same points)
//! is an unbiased estimate of ∂I/∂θ.
//!
//! Random numbers come from ChaCha8 seeded by [`VegasConfig::seed`]: the same seed and calls
//! give the same numbers on every run. Only importance sampling is implemented (no
//! stratification).

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Errors of the VEGAS integrator; each names the bad value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VegasError {
    /// A configuration value out of its range.
    #[error("invalid VEGAS setting {name} = {value}")]
    InvalidConfig {
        /// Which setting.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A point of the wrong dimension was given to the grid.
    ///
    /// Not a [`diffhep::error::DimensionMismatch`]: its message names no quantity.
    #[error("expected a point of dimension {expected}, got {got}")]
    WrongDimension {
        /// The grid's dimension.
        expected: usize,
        /// The length supplied.
        got: usize,
    },
    /// A coordinate of u outside [0, 1) or NaN.
    #[error("u[{index}] = {value} is outside [0, 1)")]
    OutOfRange {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The integrand returned NaN or ±∞.
    #[error("integrand returned {value} at {point:?}")]
    NonFinite {
        /// The value returned.
        value: f64,
        /// Where (y, in the integrand's coordinates).
        point: Vec<f64>,
    },
}

/// A separable grid on [0,1]ᵈ: per dimension N bins with adjustable edges.
#[derive(Clone, Debug, PartialEq)]
pub struct VegasGrid {
    dim: usize,
    bins: usize,
    /// `dim` rows of `bins + 1` edges, from 0 to 1.
    edges: Vec<f64>,
}

impl VegasGrid {
    /// Uniform grid with `bins` (≥ 1) bins in each of `dim` (≥ 1) dimensions.
    pub fn uniform(dim: usize, bins: usize) -> Result<Self, VegasError> {
        if dim == 0 {
            return Err(VegasError::InvalidConfig {
                name: "dim",
                value: 0.0,
            });
        }
        if bins == 0 {
            return Err(VegasError::InvalidConfig {
                name: "bins",
                value: 0.0,
            });
        }
        let row: Vec<f64> = (0..=bins).map(|i| i as f64 / bins as f64).collect();
        Ok(VegasGrid {
            dim,
            bins,
            edges: row.repeat(dim),
        })
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Bins per dimension.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// The `bins + 1` edges of dimension `d` (increasing from 0 to 1).
    pub fn edges(&self, d: usize) -> &[f64] {
        &self.edges[d * (self.bins + 1)..(d + 1) * (self.bins + 1)]
    }

    /// Map u ∈ [0,1)ᵈ to y (written into `y`) and return the Jacobian ∏ N Δyᵢ.
    pub fn map(&self, u: &[f64], y: &mut [f64]) -> Result<f64, VegasError> {
        if u.len() != self.dim || y.len() != self.dim {
            return Err(VegasError::WrongDimension {
                expected: self.dim,
                got: if u.len() != self.dim {
                    u.len()
                } else {
                    y.len()
                },
            });
        }
        for (index, &value) in u.iter().enumerate() {
            if !(0.0..1.0).contains(&value) {
                return Err(VegasError::OutOfRange { index, value });
            }
        }
        Ok(self.map_unchecked(u, y, None))
    }

    /// The map without checks; records the bin of each dimension in `bins_out` if given.
    fn map_unchecked(&self, u: &[f64], y: &mut [f64], mut bins_out: Option<&mut [usize]>) -> f64 {
        let n = self.bins as f64;
        let mut jac = 1.0;
        for d in 0..self.dim {
            let e = self.edges(d);
            let t = u[d] * n;
            let i = (t as usize).min(self.bins - 1);
            let width = e[i + 1] - e[i];
            y[d] = e[i] + (t - i as f64) * width;
            jac *= n * width;
            if let Some(b) = bins_out.as_deref_mut() {
                b[d] = i;
            }
        }
        jac
    }

    /// Move the edges of every dimension according to the accumulated Σ(fJ)² per bin
    /// (`dim` rows of `bins` values) with damping exponent `alpha` (see the module docs).
    fn refine(&mut self, accum: &[f64], alpha: f64) {
        let nb = self.bins;
        for d in 0..self.dim {
            let raw = &accum[d * nb..(d + 1) * nb];
            // Smooth over neighbours.
            let smooth: Vec<f64> = (0..nb)
                .map(|i| {
                    let lo = i.saturating_sub(1);
                    let hi = (i + 1).min(nb - 1);
                    raw[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64
                })
                .collect();
            let total: f64 = smooth.iter().sum();
            if !(total > 0.0 && total.is_finite()) {
                continue; // f ≡ 0 in this iteration: nothing to learn.
            }
            let w: Vec<f64> = smooth
                .iter()
                .map(|&s| {
                    let r = s / total;
                    if r <= 0.0 {
                        0.0
                    } else if r >= 1.0 {
                        1.0
                    } else {
                        ((1.0 - r) / -r.ln()).powf(alpha)
                    }
                })
                .collect();
            let w_total: f64 = w.iter().sum();
            if w_total.is_nan() || w_total <= 0.0 {
                continue;
            }
            let share = w_total / nb as f64;
            let old = self.edges(d).to_vec();
            let row = &mut self.edges[d * (nb + 1)..(d + 1) * (nb + 1)];
            let (mut i, mut cum) = (0usize, 0.0f64);
            for (k, edge) in row.iter_mut().enumerate().take(nb).skip(1) {
                let target = k as f64 * share;
                while i < nb - 1 && cum + w[i] < target {
                    cum += w[i];
                    i += 1;
                }
                let frac = if w[i] > 0.0 {
                    ((target - cum) / w[i]).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                *edge = old[i] + frac * (old[i + 1] - old[i]);
            }
        }
    }
}

/// Settings of [`Vegas`].
#[derive(Clone, Debug, PartialEq)]
pub struct VegasConfig {
    /// Bins per dimension (default 50).
    pub bins: usize,
    /// Damping exponent α of the rebinning (default 1.5; 0 freezes the grid).
    pub alpha: f64,
    /// Seed of the random generator.
    pub seed: u64,
}

impl Default for VegasConfig {
    fn default() -> Self {
        VegasConfig {
            bins: 50,
            alpha: 1.5,
            seed: 0,
        }
    }
}

/// One iteration's estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct IterationResult {
    /// Mean of f·J.
    pub integral: f64,
    /// Standard error of that mean.
    pub error: f64,
    /// Number of integrand calls.
    pub calls: usize,
}

/// Cumulative estimate over the recorded iterations.
#[derive(Clone, Debug, PartialEq)]
pub struct VegasEstimate {
    /// Inverse-variance weighted mean of the iterations.
    pub integral: f64,
    /// Its standard error.
    pub error: f64,
    /// χ²/ndf of the iterations about the mean (`None` with fewer than two iterations or when
    /// an iteration has zero error).
    pub chi2_per_dof: Option<f64>,
    /// The iterations combined.
    pub iterations: Vec<IterationResult>,
}

/// The VEGAS integrator: a grid, a seeded generator and the iterations recorded so far.
///
/// ```
/// use diffhep_physics::integrate::vegas::{Vegas, VegasConfig};
/// let mut v = Vegas::new(2, VegasConfig { seed: 7, ..Default::default() }).unwrap();
/// let f = |y: &[f64]| 4.0 * y[0] * y[1]; // ∫ = 1
/// v.adapt(5, 2000, f).unwrap();
/// v.reset_estimates();
/// let est = v.integrate(3, 5000, f).unwrap();
/// assert!((est.integral - 1.0).abs() < 5.0 * est.error);
/// ```
#[derive(Debug)]
pub struct Vegas {
    grid: VegasGrid,
    alpha: f64,
    rng: ChaCha8Rng,
    history: Vec<IterationResult>,
}

impl Vegas {
    /// A uniform grid in `dim` dimensions.
    pub fn new(dim: usize, config: VegasConfig) -> Result<Self, VegasError> {
        if !(config.alpha.is_finite() && config.alpha >= 0.0) {
            return Err(VegasError::InvalidConfig {
                name: "alpha",
                value: config.alpha,
            });
        }
        Ok(Vegas {
            grid: VegasGrid::uniform(dim, config.bins)?,
            alpha: config.alpha,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            history: Vec::new(),
        })
    }

    /// The current grid.
    pub fn grid(&self) -> &VegasGrid {
        &self.grid
    }

    /// Draw u from the generator and map it: writes y and returns the Jacobian. Use it to
    /// evaluate a differentiable integrand on the frozen grid.
    pub fn draw(&mut self, y: &mut [f64]) -> Result<f64, VegasError> {
        let u: Vec<f64> = (0..self.grid.dim).map(|_| self.rng.random()).collect();
        self.grid.map(&u, y)
    }

    /// Run `iterations` iterations of `calls` points each, refining the grid after each one.
    /// Returns the cumulative estimate over all iterations recorded so far.
    pub fn adapt(
        &mut self,
        iterations: usize,
        calls: usize,
        mut f: impl FnMut(&[f64]) -> f64,
    ) -> Result<VegasEstimate, VegasError> {
        self.run_iterations(iterations, calls, &mut f, true)
    }

    /// Run `iterations` iterations of `calls` points each on the frozen grid.
    pub fn integrate(
        &mut self,
        iterations: usize,
        calls: usize,
        mut f: impl FnMut(&[f64]) -> f64,
    ) -> Result<VegasEstimate, VegasError> {
        self.run_iterations(iterations, calls, &mut f, false)
    }

    fn run_iterations(
        &mut self,
        iterations: usize,
        calls: usize,
        f: &mut impl FnMut(&[f64]) -> f64,
        refine: bool,
    ) -> Result<VegasEstimate, VegasError> {
        check_iterations(iterations)?;
        for _ in 0..iterations {
            self.iteration(calls, f, refine)?;
        }
        Ok(combine(&self.history))
    }

    /// Forget the recorded iterations (keep the grid), e.g. after training.
    pub fn reset_estimates(&mut self) {
        self.history.clear();
    }

    /// The cumulative estimate over the recorded iterations (`None` if there are none).
    pub fn estimate(&self) -> Option<VegasEstimate> {
        (!self.history.is_empty()).then(|| combine(&self.history))
    }

    fn iteration(
        &mut self,
        calls: usize,
        f: &mut impl FnMut(&[f64]) -> f64,
        refine: bool,
    ) -> Result<(), VegasError> {
        if calls < 2 {
            return Err(VegasError::InvalidConfig {
                name: "calls",
                value: calls as f64,
            });
        }
        let (dim, nb) = (self.grid.dim, self.grid.bins);
        let mut accum = vec![0.0; dim * nb];
        let (mut u, mut y, mut bins) = (vec![0.0; dim], vec![0.0; dim], vec![0usize; dim]);
        let (mut sum, mut sum2) = (0.0, 0.0);
        for _ in 0..calls {
            for ui in u.iter_mut() {
                *ui = self.rng.random();
            }
            let jac = self.grid.map_unchecked(&u, &mut y, Some(&mut bins));
            let value = f(&y);
            if !value.is_finite() {
                return Err(VegasError::NonFinite { value, point: y });
            }
            let fj = value * jac;
            sum += fj;
            sum2 += fj * fj;
            for (d, &b) in bins.iter().enumerate() {
                accum[d * nb + b] += fj * fj;
            }
        }
        let n = calls as f64;
        let mean = sum / n;
        let var = ((sum2 / n - mean * mean) / (n - 1.0)).max(0.0);
        self.history.push(IterationResult {
            integral: mean,
            error: var.sqrt(),
            calls,
        });
        if refine && self.alpha > 0.0 {
            self.grid.refine(&accum, self.alpha);
        }
        Ok(())
    }
}

fn check_iterations(iterations: usize) -> Result<(), VegasError> {
    if iterations == 0 {
        return Err(VegasError::InvalidConfig {
            name: "iterations",
            value: 0.0,
        });
    }
    Ok(())
}

/// Inverse-variance weighted combination of (at least one) iterations.
fn combine(its: &[IterationResult]) -> VegasEstimate {
    let iterations = its.to_vec();
    if its.iter().any(|r| r.error == 0.0) {
        // Exact iterations (e.g. a constant integrand on a matching grid): average those.
        let exact: Vec<f64> = its
            .iter()
            .filter(|r| r.error == 0.0)
            .map(|r| r.integral)
            .collect();
        return VegasEstimate {
            integral: exact.iter().sum::<f64>() / exact.len() as f64,
            error: 0.0,
            chi2_per_dof: None,
            iterations,
        };
    }
    let wsum: f64 = its.iter().map(|r| 1.0 / (r.error * r.error)).sum();
    let integral = its
        .iter()
        .map(|r| r.integral / (r.error * r.error))
        .sum::<f64>()
        / wsum;
    let chi2: f64 = its
        .iter()
        .map(|r| ((r.integral - integral) / r.error).powi(2))
        .sum();
    VegasEstimate {
        integral,
        error: wsum.recip().sqrt(),
        chi2_per_dof: (its.len() > 1).then(|| chi2 / (its.len() - 1) as f64),
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::{RealScalar, ScalarFn};
    use std::f64::consts::PI;

    const SIGMA: f64 = 0.03;

    /// Normalised Gaussian of width σ = 0.03 in 4-D centred at (0.5, 0.4, 0.6, 0.45). Its
    /// integral over the unit cube is ∏ ½[erf((1−cᵢ)/(σ√2)) + erf(cᵢ/(σ√2))]; the nearest edge is
    /// 0.4/σ ≈ 13σ away, so each factor differs from 1 by less than erfc(9.4)/2 < 1e-39: the
    /// exact integral is 1 to double precision.
    fn gauss4(y: &[f64]) -> f64 {
        let c = [0.5, 0.4, 0.6, 0.45];
        let r2: f64 = y.iter().zip(c).map(|(a, b)| (a - b).powi(2)).sum();
        (-r2 / (2.0 * SIGMA * SIGMA)).exp() / (2.0 * PI * SIGMA * SIGMA).powi(2)
    }

    fn flat_mc(n: usize, seed: u64, f: impl Fn(&[f64]) -> f64, dim: usize) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut s1, mut s2) = (0.0, 0.0);
        let mut y = vec![0.0; dim];
        for _ in 0..n {
            for yi in y.iter_mut() {
                *yi = rng.random();
            }
            let v = f(&y);
            s1 += v;
            s2 += v * v;
        }
        let mean = s1 / n as f64;
        (
            mean,
            ((s2 / n as f64 - mean * mean) / (n - 1) as f64).sqrt(),
        )
    }

    #[test]
    fn narrow_gaussian_in_4d() {
        let mut v = Vegas::new(
            4,
            VegasConfig {
                seed: 42,
                ..Default::default()
            },
        )
        .unwrap();
        v.adapt(10, 10_000, gauss4).unwrap();
        v.reset_estimates();
        let est = v.integrate(5, 10_000, gauss4).unwrap();
        assert!((est.integral - 1.0).abs() < 4.0 * est.error, "{est:?}");
        let chi2 = est.chi2_per_dof.unwrap();
        assert!(chi2.is_finite() && chi2 >= 0.0);
        // Flat sampling with the same number of calls (training included: 150 000).
        let (flat, flat_err) = flat_mc(150_000, 43, gauss4, 4);
        assert!((flat - 1.0).abs() < 4.0 * flat_err);
        assert!(
            est.error < 0.02 * flat_err,
            "VEGAS {} vs flat {}",
            est.error,
            flat_err
        );
        // The trained bins are narrow at the peak of each dimension.
        let e = v.grid().edges(0);
        let widths: Vec<f64> = e.windows(2).map(|w| w[1] - w[0]).collect();
        let narrowest = widths.iter().cloned().fold(f64::INFINITY, f64::min);
        let at_peak = e
            .windows(2)
            .position(|w| w[0] <= 0.5 && 0.5 < w[1])
            .unwrap();
        assert!(widths[at_peak] < 2.0 * narrowest && widths[0] > 10.0 * narrowest);
    }

    #[test]
    fn breit_wigner_in_1d() {
        // f = (Γ/2π)/((y − ½)² + Γ²/4): ∫₀¹ f = (2/π) atan(1/Γ) (closed form).
        let g = 1e-3;
        let f = |y: &[f64]| g / (2.0 * PI) / ((y[0] - 0.5).powi(2) + g * g / 4.0);
        let exact = 2.0 / PI * (1.0 / g).atan();
        let mut v = Vegas::new(
            1,
            VegasConfig {
                bins: 100,
                seed: 5,
                ..Default::default()
            },
        )
        .unwrap();
        v.adapt(10, 5_000, f).unwrap();
        v.reset_estimates();
        let est = v.integrate(5, 5_000, f).unwrap();
        assert!((est.integral - exact).abs() < 4.0 * est.error, "{est:?}");
        let (flat, flat_err) = flat_mc(75_000, 6, f, 1);
        assert!((flat - exact).abs() < 4.0 * flat_err);
        assert!(est.error < 0.05 * flat_err, "{} vs {flat_err}", est.error);
    }

    /// f_θ(y) = exp(−θ r²/(2σ²))/(2πσ²)², r = |y − c| in 4-D: I(θ) = θ⁻², I′(θ) = −2θ⁻³ (tails
    /// beyond the cube are < 1e-39 as for `gauss4`). Input: θ; the point is fixed.
    struct Param<'a>(&'a [f64]);

    impl ScalarFn for Param<'_> {
        fn eval<S: RealScalar>(&self, th: &[S]) -> S {
            let c = [0.5, 0.4, 0.6, 0.45];
            let r2: f64 = self.0.iter().zip(c).map(|(a, b)| (a - b).powi(2)).sum();
            (th[0].clone() * (-r2 / (2.0 * SIGMA * SIGMA))).exp()
                / (2.0 * PI * SIGMA * SIGMA).powi(2)
        }
    }

    #[test]
    fn pathwise_gradient_on_the_frozen_grid() {
        let mut v = Vegas::new(
            4,
            VegasConfig {
                seed: 9,
                ..Default::default()
            },
        )
        .unwrap();
        v.adapt(10, 10_000, gauss4).unwrap();
        let theta = 1.3;
        let n = 20_000;
        let (mut s, mut s2, mut d, mut d2) = (0.0, 0.0, 0.0, 0.0);
        let mut y = vec![0.0; 4];
        for _ in 0..n {
            let jac = v.draw(&mut y).unwrap();
            let (val, der) = diffhep::forward::derivative(&Param(&y), theta);
            s += val * jac;
            s2 += (val * jac).powi(2);
            d += der * jac;
            d2 += (der * jac).powi(2);
        }
        let nf = n as f64;
        let (m, md) = (s / nf, d / nf);
        let err = ((s2 / nf - m * m) / (nf - 1.0)).sqrt();
        let derr = ((d2 / nf - md * md) / (nf - 1.0)).sqrt();
        assert!((m - theta.powi(-2)).abs() < 4.0 * err, "{m} ± {err}");
        assert!(
            (md + 2.0 * theta.powi(-3)).abs() < 4.0 * derr,
            "{md} ± {derr}"
        );
        diffhep::gradcheck::assert_gradient(&Param(&y), &[theta]);
    }

    #[test]
    fn same_seed_same_numbers() {
        let run = |seed| {
            let mut v = Vegas::new(
                3,
                VegasConfig {
                    bins: 20,
                    seed,
                    ..Default::default()
                },
            )
            .unwrap();
            let f = |y: &[f64]| (y[0] * 3.0).sin() + y[1] * y[2];
            v.adapt(3, 500, f).unwrap()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1).integral, run(2).integral);
    }

    #[test]
    fn grid_map_and_combination() {
        let mut g = VegasGrid::uniform(2, 4).unwrap();
        // Put all importance in the first bin of dimension 0.
        let mut acc = vec![0.0; 8];
        acc[0] = 1.0;
        acc[4..].fill(1.0);
        g.refine(&acc, 1.5);
        let e0 = g.edges(0).to_vec();
        assert!(e0.windows(2).all(|w| w[1] > w[0]) && e0[0] == 0.0 && e0[4] == 1.0);
        assert!(e0[1] < 0.25, "{e0:?}");
        // Uniform accumulations keep the uniform grid.
        assert_eq!(g.edges(1), &[0.0, 0.25, 0.5, 0.75, 1.0]);
        // y(u) is linear inside a bin and J = N Δy; the map is exact at bin edges.
        let mut y = [0.0; 2];
        let j = g.map(&[0.25, 0.5], &mut y).unwrap();
        assert_eq!(y, [e0[1], 0.5]);
        assert!((j - 4.0 * (e0[2] - e0[1]) * 1.0).abs() < 1e-15);
        // A constant integrand on a uniform grid is integrated exactly (up to rounding in J).
        let mut v = Vegas::new(2, VegasConfig::default()).unwrap();
        let est = v.integrate(2, 100, |_| 2.5).unwrap();
        assert!(
            (est.integral - 2.5).abs() < 1e-14 && est.error < 1e-14,
            "{est:?}"
        );
        // Combination: inverse-variance weights and χ² (hand-computed: weights 4 and 1,
        // mean (4·1 + 1·2)/5 = 1.2, error 1/√5, χ² = 0.04·4 + 0.64 = 0.8).
        let its = [
            IterationResult {
                integral: 1.0,
                error: 0.5,
                calls: 10,
            },
            IterationResult {
                integral: 2.0,
                error: 1.0,
                calls: 10,
            },
        ];
        let c = combine(&its);
        assert!((c.integral - 1.2).abs() < 1e-15 && (c.error - 0.2f64.sqrt()).abs() < 1e-15);
        assert!((c.chi2_per_dof.unwrap() - 0.8).abs() < 1e-14);
    }

    #[test]
    fn bad_input_gives_named_errors() {
        assert_eq!(
            Vegas::new(0, VegasConfig::default()).unwrap_err(),
            VegasError::InvalidConfig {
                name: "dim",
                value: 0.0
            }
        );
        let bad_alpha = VegasConfig {
            alpha: -1.0,
            ..Default::default()
        };
        assert!(matches!(
            Vegas::new(2, bad_alpha),
            Err(VegasError::InvalidConfig { name: "alpha", value }) if value == -1.0
        ));
        let no_bins = VegasConfig {
            bins: 0,
            ..Default::default()
        };
        assert!(Vegas::new(2, no_bins).is_err());
        let mut v = Vegas::new(2, VegasConfig::default()).unwrap();
        let err = v.adapt(1, 100, |y| 1.0 / (y[0] - y[0])).unwrap_err();
        assert!(matches!(err, VegasError::NonFinite { value, .. } if value.is_infinite()));
        assert!(err.to_string().contains("inf"));
        assert!(matches!(
            v.integrate(1, 1, |_| 1.0),
            Err(VegasError::InvalidConfig { name: "calls", .. })
        ));
        let mut y = [0.0; 2];
        assert_eq!(
            v.grid().map(&[0.5, 1.0], &mut y).unwrap_err(),
            VegasError::OutOfRange {
                index: 1,
                value: 1.0
            }
        );
        assert!(matches!(
            v.grid().map(&[0.5], &mut y),
            Err(VegasError::WrongDimension {
                expected: 2,
                got: 1
            })
        ));
        assert!(matches!(
            v.adapt(0, 100, |_| 1.0),
            Err(VegasError::InvalidConfig {
                name: "iterations",
                ..
            })
        ));
        assert_eq!(
            Vegas::new(2, VegasConfig::default()).unwrap().estimate(),
            None
        );
    }

    #[test]
    fn error_messages_are_unchanged() {
        let e = VegasError::InvalidConfig {
            name: "alpha",
            value: -0.5,
        };
        assert_eq!(e.to_string(), "invalid VEGAS setting alpha = -0.5");
        let e = VegasError::WrongDimension {
            expected: 2,
            got: 3,
        };
        assert_eq!(e.to_string(), "expected a point of dimension 2, got 3");
        let e = VegasError::OutOfRange {
            index: 1,
            value: 1.0,
        };
        assert_eq!(e.to_string(), "u[1] = 1 is outside [0, 1)");
        let e = VegasError::NonFinite {
            value: f64::NAN,
            point: vec![0.5, 0.25],
        };
        assert_eq!(e.to_string(), "integrand returned NaN at [0.5, 0.25]");
    }
}
