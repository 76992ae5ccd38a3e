//! The design-dependent simulator `x = g(θ, ε, d)`: a prior, a reparameterised simulator written
//! once against [`RealScalar`] (so the same code gives `x` as `f64` and its
//! design Jacobian `∂x/∂d` with dual numbers) and, where tractable, the log-likelihood
//! `log p(x|θ, d)`.

use num_dual::Dual64;
use rayon::prelude::*;

use super::error::{EigError, Result};
use crate::error::check_len;
use crate::sbi::prior::{std_normal, Prior};
use crate::sbi::task::SimulationSet;
use crate::RealScalar;

/// Stream of the simulator noise ε (one stream per noise component).
const NOISE_STREAM: u64 = 0xe16_0000;

/// A simulator whose output depends on a design `d ∈ ℝᵏ` (where and how to measure).
///
/// The randomness is reparameterised: `x = g(θ, ε, d)` with `ε ~ N(0, I)` of dimension
/// [`noise_dim`](Self::noise_dim) drawn outside the simulator, so `x` is a differentiable
/// function of `d` at fixed `(θ, ε)` — the pathwise design gradients of this module evaluate `g`
/// with forward-mode dual numbers in `d`. Generic methods make the trait not object-safe; use it
/// as a type parameter.
pub trait DesignSimulator: Sync {
    /// The prior `p(θ)` (independent of the design).
    fn prior(&self) -> &Prior;
    /// Dimension of θ (the prior's).
    fn theta_dim(&self) -> usize {
        self.prior().dim()
    }
    /// Dimension of the design `d`.
    fn design_dim(&self) -> usize;
    /// Dimension of the observation `x`.
    fn x_dim(&self) -> usize;
    /// Number of standard-normal noise components `ε` one simulation consumes.
    fn noise_dim(&self) -> usize;
    /// `x = g(θ, ε, d)`, generic in the number type of the design (and hence of `x`).
    fn simulate<S: RealScalar>(&self, theta: &[f64], noise: &[f64], design: &[S]) -> Vec<S>;
    /// `log p(x|θ, d)` where it is tractable (`None` otherwise, the default), generic in the
    /// number type of `x` and `d` so that the nested Monte Carlo gradient can differentiate it.
    fn log_likelihood<S: RealScalar>(&self, _theta: &[f64], _x: &[S], _design: &[S]) -> Option<S> {
        None
    }
}

/// Check a design: its length and that every component is finite.
pub fn check_design<D: DesignSimulator + ?Sized>(sim: &D, design: &[f64]) -> Result<()> {
    check_len("design dimension", sim.design_dim(), design.len())?;
    match design.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(EigError::NonFiniteDesign {
            index,
            value: design[index],
        }),
        None => Ok(()),
    }
}

/// Outer draws `(θₙ, εₙ)`, `n = 0 … N−1`, a pure function of the seed (flat, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct Draws {
    /// θ rows, `N · theta_dim`.
    pub theta: Vec<f64>,
    /// ε rows, `N · noise_dim`.
    pub noise: Vec<f64>,
    /// Number of rows `N`.
    pub n: usize,
}

impl Draws {
    /// `n` prior draws of θ and `n` noise vectors for `sim`, keyed by `seed`.
    pub fn new<D: DesignSimulator + ?Sized>(sim: &D, n: usize, seed: u64) -> Result<Self> {
        if n == 0 {
            return Err(EigError::ZeroSamples("number of outer samples"));
        }
        let k = sim.noise_dim();
        let theta = sim.prior().sample(n, seed);
        let noise = (0..n)
            .flat_map(|i| (0..k).map(move |j| std_normal(seed, NOISE_STREAM + j as u64, i as u64)))
            .collect();
        Ok(Draws { theta, noise, n })
    }
}

/// `x` of every outer draw at `design` (rows of `x_dim`), in parallel, in row order.
pub fn simulate_draws<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    draws: &Draws,
) -> Result<Vec<f64>> {
    check_design(sim, design)?;
    let (dt, k, dx) = (sim.theta_dim(), sim.noise_dim(), sim.x_dim());
    let rows: Vec<Vec<f64>> = (0..draws.n)
        .into_par_iter()
        .map(|i| {
            sim.simulate(
                &draws.theta[i * dt..(i + 1) * dt],
                &draws.noise[i * k..(i + 1) * k],
                design,
            )
        })
        .collect();
    let mut x = Vec::with_capacity(draws.n * dx);
    for r in rows {
        check_len("simulator output (x dimension)", dx, r.len())?;
        x.extend(r);
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(EigError::NonFinite("simulator output"));
    }
    Ok(x)
}

/// The design with component `j` seeded as the dual direction.
pub(crate) fn dual_design(design: &[f64], j: usize) -> Vec<Dual64> {
    design
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i == j {
                Dual64::from(v).derivative()
            } else {
                Dual64::from(v)
            }
        })
        .collect()
}

/// The design Jacobians `∂xₙ/∂d` of every outer draw (rows `n`, then `x_dim × design_dim`
/// row-major per draw), one forward-mode pass per design component.
pub fn design_jacobians<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    draws: &Draws,
) -> Result<Vec<f64>> {
    check_design(sim, design)?;
    let (dt, k, dx, dd) = (
        sim.theta_dim(),
        sim.noise_dim(),
        sim.x_dim(),
        sim.design_dim(),
    );
    let rows: Vec<Vec<f64>> = (0..draws.n)
        .into_par_iter()
        .map(|i| {
            let mut jac = vec![0.0; dx * dd];
            for j in 0..dd {
                let x = sim.simulate(
                    &draws.theta[i * dt..(i + 1) * dt],
                    &draws.noise[i * k..(i + 1) * k],
                    &dual_design(design, j),
                );
                for (r, xr) in x.iter().take(dx).enumerate() {
                    jac[r * dd + j] = xr.eps;
                }
            }
            jac
        })
        .collect();
    let jac: Vec<f64> = rows.concat();
    if jac.iter().any(|v| !v.is_finite()) {
        return Err(EigError::NonFinite("design Jacobian of the simulator"));
    }
    Ok(jac)
}

/// A training set of `n` prior-predictive pairs `(θᵢ, xᵢ)` at a fixed design, for fitting the
/// NPE, NLE or NRE estimators of [`crate::sbi`] (`Estimator::fit(&set, sim.prior(), sim.x_dim(),
/// …)`). Deterministic in `seed`.
pub fn simulate_design_set<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    n: usize,
    seed: u64,
) -> Result<SimulationSet> {
    let draws = Draws::new(sim, n, seed)?;
    let x = simulate_draws(sim, design, &draws)?;
    Ok(SimulationSet {
        theta: draws.theta,
        x,
        joint_score: None,
    })
}
