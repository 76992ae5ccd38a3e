//! Multi-start stochastic gradient ascent over designs.
//!
//! `K` starts drawn uniformly in a box (a pure function of the seed) each run Adam on a
//! stochastic EIG objective — any function returning an [`EigGradient`] for a design and a seed,
//! e.g. [`super::eig_nested_mc_grad`] or the pathwise gradients of the SBI bounds — with fresh
//! random numbers at every step (a Robbins–Monro ascent), projecting onto the box. The starts run
//! in parallel (rayon); each start's steps depend only on its own seeds and results are
//! collected in start order, so the outcome does not depend on the number of threads. At the end
//! every final design is scored by a `select` estimate with **common random numbers** (one seed
//! for all starts, typically more samples than a step uses) and the best is returned, with every
//! trajectory. EIG landscapes are typically multimodal (a local
//! maximum per source in [`super::SourceLocation`]), which is why several starts help.

use rayon::prelude::*;

use super::error::{EigError, Result};
use super::estimate::{EigEstimate, EigGradient};
use super::nested_mc::{eig_nested_mc, eig_nested_mc_grad, NmcConfig};
use super::simulator::DesignSimulator;
use crate::nn::{Adam, AdamConfig};
use crate::optim::Bounds;
use crate::stochastic::rng::{counter_bits, counter_uniform};

/// Stream of the start designs.
const START_STREAM: u64 = 0xa5c_0001;
/// Stream of the per-step objective seeds.
const STEP_STREAM: u64 = 0xa5c_0002;

/// Settings of [`multi_start_ascent`].
#[derive(Clone, Debug, PartialEq)]
pub struct AscentConfig {
    /// Number of starts `K` (1 = single start).
    pub starts: usize,
    /// Adam steps per start.
    pub steps: usize,
    /// Adam learning rate (design units per step, roughly).
    pub lr: f64,
    /// Lower corner of the design box (finite).
    pub lower: Vec<f64>,
    /// Upper corner of the design box (finite).
    pub upper: Vec<f64>,
    /// Seed of the starts and of every objective evaluation.
    pub seed: u64,
}

/// One start's path.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// Designs: the start, then the design after each step.
    pub designs: Vec<Vec<f64>>,
    /// The objective's estimate at each design it was evaluated at (before each step).
    pub values: Vec<f64>,
    /// The final design's `select` estimate (common random numbers across starts).
    pub final_estimate: EigEstimate,
}

/// What [`multi_start_ascent`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct AscentResult {
    /// Index of the best start.
    pub best: usize,
    /// Its final design.
    pub best_design: Vec<f64>,
    /// Its final `select` estimate.
    pub best_estimate: EigEstimate,
    /// Every start's trajectory, in start order.
    pub trajectories: Vec<Trajectory>,
}

impl AscentConfig {
    fn check(&self) -> Result<Bounds> {
        if self.starts == 0 {
            return Err(EigError::ZeroSamples("number of starts"));
        }
        if self.steps == 0 {
            return Err(EigError::ZeroSamples("number of ascent steps"));
        }
        if self.lower.is_empty() {
            return Err(EigError::ZeroSamples("design dimension"));
        }
        if let Some(index) = self
            .lower
            .iter()
            .chain(&self.upper)
            .position(|v| !v.is_finite())
        {
            let all: Vec<f64> = self.lower.iter().chain(&self.upper).copied().collect();
            return Err(EigError::Config(format!(
                "ascent: the design box must be finite (bound {index} is {})",
                all[index]
            )));
        }
        AdamConfig::with_lr(self.lr).validate()?;
        Ok(Bounds::new(self.lower.clone(), self.upper.clone())?)
    }

    /// The start design of start `k`, uniform in the box.
    pub fn start(&self, k: usize) -> Vec<f64> {
        self.lower
            .iter()
            .zip(&self.upper)
            .enumerate()
            .map(|(j, (l, h))| {
                l + (h - l) * counter_uniform(self.seed, START_STREAM, k as u64, j as u64)
            })
            .collect()
    }
}

/// Gradient ascent from `cfg.starts` random designs on the stochastic objective
/// `objective(design, seed)`; the final designs are scored by `select(design)` (which should use
/// the same random numbers for every design) and the best is returned with all trajectories
/// (ties: the first start). Deterministic in `cfg.seed`, independent of the number of threads.
pub fn multi_start_ascent<F, G>(objective: F, select: G, cfg: &AscentConfig) -> Result<AscentResult>
where
    F: Fn(&[f64], u64) -> Result<EigGradient> + Sync,
    G: Fn(&[f64]) -> Result<EigEstimate> + Sync,
{
    let bounds = cfg.check()?;
    let dd = cfg.lower.len();
    let run = |k: usize| -> Result<Trajectory> {
        let mut d = cfg.start(k);
        let mut adam = Adam::new(dd, AdamConfig::with_lr(cfg.lr))?;
        let mut designs = vec![d.clone()];
        let mut values = Vec::with_capacity(cfg.steps);
        for t in 0..cfg.steps {
            let seed = counter_bits(cfg.seed, STEP_STREAM, k as u64, t as u64);
            let g = objective(&d, seed)?;
            crate::error::check_len("objective gradient", dd, g.gradient.len())?;
            values.push(g.estimate.value);
            let descent: Vec<f64> = g.gradient.iter().map(|v| -v).collect();
            adam.step(&mut d, &descent)?;
            bounds.project(&mut d);
            designs.push(d.clone());
        }
        let final_estimate = select(&d)?;
        Ok(Trajectory {
            designs,
            values,
            final_estimate,
        })
    };
    let trajectories: Vec<Trajectory> = (0..cfg.starts)
        .into_par_iter()
        .map(run)
        .collect::<Result<_>>()?;
    let mut best = 0;
    for (k, t) in trajectories.iter().enumerate() {
        if t.final_estimate.value > trajectories[best].final_estimate.value {
            best = k;
        }
    }
    let tb = &trajectories[best];
    Ok(AscentResult {
        best,
        best_design: tb.designs.last().expect("start design").clone(),
        best_estimate: tb.final_estimate,
        trajectories,
    })
}

/// [`multi_start_ascent`] on the nested Monte Carlo EIG of a simulator with a known likelihood:
/// each step uses `step` with a fresh seed (`step.seed` is replaced), the final designs are
/// compared by [`eig_nested_mc`] with `select` (its seed common to all starts).
pub fn ascend_nested_mc<D: DesignSimulator + ?Sized>(
    sim: &D,
    step: &NmcConfig,
    select: &NmcConfig,
    cfg: &AscentConfig,
) -> Result<AscentResult> {
    crate::error::check_len("design box dimension", sim.design_dim(), cfg.lower.len())?;
    multi_start_ascent(
        |d, seed| eig_nested_mc_grad(sim, d, &NmcConfig { seed, ..*step }),
        |d| eig_nested_mc(sim, d, select),
        cfg,
    )
}
