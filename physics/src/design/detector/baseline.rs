//! The gradient-free baseline of the design loop (the comparison of the L-GSO paper, S. Shirobokov
//! et al., "Black-box optimization with local generative surrogates", NeurIPS 2020, on our own
//! detector): Nelder–Mead ([`diffhep::optim::nelder_mead_budget`]) on the same objective `J`, on
//! `ln θ` projected onto the bounds, with as many objective evaluations as Adam takes gradient
//! steps, each on a sample of the gradient step's size (the same jets and plain shower runs at
//! every evaluation, so the simplex compares designs on common random numbers). A gradient step
//! also runs the stochastic-triple shower branches, so in shower runs the baseline's budget is
//! the smaller; the report states both counts.

use diffhep::optim::nelder_mead_budget;
use diffhep::stochastic::rng::child_key;

use super::{calorimeter, DesignError, Evaluation, Study};

/// What the baseline reached.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineResult {
    /// The best design evaluated.
    pub design: Vec<f64>,
    /// That design on the study's fixed evaluation sample.
    pub evaluation: Evaluation,
    /// Objective evaluations used.
    pub evaluations: usize,
    /// Jets simulated (vertex fits).
    pub jets: usize,
    /// Plain shower runs.
    pub shower_runs: usize,
}

impl Study {
    /// `J` at `theta` on the baseline's fixed sample (`None` if no vertex fit converged).
    fn sample_objective(&self, theta: &[f64]) -> Result<f64, DesignError> {
        let s = &self.config.sample;
        let seed = child_key(self.config.seed, 0xba5e);
        let (sum, _, ok) = self.vertex_sums([theta[0], theta[1]], seed, s.vertex_events, false);
        if ok == 0 {
            return Err(DesignError::NoVertices {
                jets: s.vertex_events,
            });
        }
        let (energy, _, _) = calorimeter::evaluate(
            &self.calorimeter,
            &theta[2..],
            s.shower_samples,
            seed,
            calorimeter::Objective { cost_per_x0: 0.0 },
        )?;
        Ok(self.combine((sum / ok as f64).sqrt() * 1e3, energy, self.cost(theta).0))
    }

    /// Run the baseline from the initial design with `optimizer.steps` evaluations.
    pub fn gradient_free_baseline(&self) -> Result<BaselineResult, DesignError> {
        let (lo, hi) = self.config.bounds();
        let to_design = |u: &[f64]| -> Vec<f64> {
            u.iter()
                .zip(lo.iter().zip(&hi))
                .map(|(v, (l, h))| v.exp().clamp(*l, *h))
                .collect()
        };
        let u0: Vec<f64> = self
            .config
            .initial_design()
            .iter()
            .map(|v| v.ln())
            .collect();
        let budget = self.config.optimizer.steps;
        // An evaluation that fails (no vertex converged) ranks worst.
        let best = nelder_mead_budget(
            |u| {
                self.sample_objective(&to_design(u))
                    .unwrap_or(f64::INFINITY)
            },
            &u0,
            0.3,
            budget,
        )?;
        let design = to_design(&best.params);
        let evaluation = self.evaluate(&design)?;
        let s = &self.config.sample;
        Ok(BaselineResult {
            design,
            evaluation,
            evaluations: best.evaluations,
            jets: best.evaluations * s.vertex_events,
            shower_runs: best.evaluations * s.shower_samples,
        })
    }
}
