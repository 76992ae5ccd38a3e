//! L-GSO on the calorimeter design, with the surrogate gradient compared against unbiased
//! stochastic-AD (triple) gradients of the same simulator.
//!
//! The black box is one shower run at thicknesses `ψ` (in X₀, clipped below at
//! `min_thickness`), returning `y = (r − 1)² + λ·Σψ` with `r` the calibrated summed signal
//! ([`SummedSignal`]); L-GSO minimises `E[y]`, the mean squared relative energy error plus the
//! material cost (the square of the RMS part of [`crate::design::calorimeter`]'s objective).

use diffhep::optim::lgso::{BlackBox, Lgso, LgsoConfig};
use diffhep::optim::{GradientBias, OptimError};
use diffhep::stochastic::{
    plain_run, EstimatorKind, Result as SResult, Sampler, StochasticProgram,
};
use diffhep::RealScalar;
use serde::{Deserialize, Serialize};

use crate::design::calorimeter::SummedSignal;
use crate::detector::shower::{Shower, ShowerConfig};

/// The per-run objective `y = (r − 1)² + λ·Σθ` as a stochastic program (one output).
#[derive(Clone, Debug)]
pub struct SquaredError {
    /// The calibrated signal.
    pub signal: SummedSignal,
    /// Material cost per X₀.
    pub cost_per_x0: f64,
}

impl StochasticProgram for SquaredError {
    fn num_params(&self) -> usize {
        self.signal.num_params()
    }
    fn num_outputs(&self) -> usize {
        1
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> SResult<Vec<S>> {
        let r = self.signal.run(theta, rng)?[0].clone() - 1.0;
        let cost = theta.iter().fold(S::zero(), |a, t| a + t.clone()) * self.cost_per_x0;
        Ok(vec![r.clone() * r + cost])
    }
}

/// The calorimeter as an L-GSO black box (no conditioning inputs).
#[derive(Clone, Debug)]
pub struct CalorimeterBox {
    /// The per-run objective.
    pub program: SquaredError,
    /// Lower bound on each thickness (X₀).
    pub min_thickness: f64,
}

impl CalorimeterBox {
    /// A calorimeter of `layers` layers, beam energy `energy` GeV, cost `λ` per X₀.
    pub fn new(layers: usize, energy: f64, cost_per_x0: f64) -> SResult<Self> {
        let shower = Shower::new(ShowerConfig::new(layers, energy))?;
        Ok(CalorimeterBox {
            program: SquaredError {
                signal: SummedSignal { shower },
                cost_per_x0,
            },
            min_thickness: 0.05,
        })
    }

    fn clip(&self, psi: &[f64]) -> Vec<f64> {
        psi.iter().map(|&t| t.max(self.min_thickness)).collect()
    }

    /// Unbiased estimate of `∇E[y]` at `psi` by stochastic triples, with its standard errors.
    pub fn triple_gradient(
        &self,
        psi: &[f64],
        samples: usize,
        seed: u64,
    ) -> SResult<(Vec<f64>, Vec<f64>)> {
        let est = EstimatorKind::Triple.estimate(&self.program, &self.clip(psi), samples, seed)?;
        Ok((est.gradient[0].clone(), est.gradient_se[0].clone()))
    }

    /// Plain-run estimate of `E[y]` at `psi` (fixed seed: common random numbers across designs).
    pub fn mean_objective(&self, psi: &[f64], samples: usize, seed: u64) -> SResult<f64> {
        let th = self.clip(psi);
        let mut s = 0.0;
        for i in 0..samples as u64 {
            s += plain_run(&self.program, &th, seed, i)?[0];
        }
        Ok(s / samples as f64)
    }
}

impl BlackBox for CalorimeterBox {
    fn design_dim(&self) -> usize {
        self.program.num_params()
    }
    fn input_dim(&self) -> usize {
        0
    }
    fn simulate(&self, psi: &[f64], seed: u64, call: u64) -> (Vec<f64>, f64) {
        let y = plain_run(&self.program, &self.clip(psi), seed, call)
            .map(|v| v[0])
            .unwrap_or(f64::NAN);
        (Vec::new(), y)
    }
}

/// One row of [`CalorimeterLgso::steps`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalorimeterLgsoStep {
    /// Design before the step.
    pub psi: Vec<f64>,
    /// `E[y]` there (plain runs, common random numbers).
    pub objective: f64,
    /// Simulator calls so far.
    pub sim_calls: u64,
    /// Surrogate gradient vs the triple estimate.
    pub bias: GradientBias,
    /// Largest |surrogate − triple| / (triple standard error) over components.
    pub max_z: f64,
}

/// Result of [`calorimeter_lgso`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalorimeterLgso {
    /// Per-step records.
    pub steps: Vec<CalorimeterLgsoStep>,
    /// Final design.
    pub psi: Vec<f64>,
    /// `E[y]` at the final design.
    pub objective: f64,
    /// Simulator calls in total.
    pub sim_calls: u64,
}

/// The per-step table and the final line that `diffhep lgso --calorimeter` and the example
/// print.
impl std::fmt::Display for CalorimeterLgso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "step  calls   E[y]      cos(sur, triple)  rel.bias  max z"
        )?;
        for (k, s) in self.steps.iter().enumerate() {
            writeln!(
                f,
                "{k:>4} {:>6} {:>9.5} {:>12.3} {:>12.3} {:>8.1}",
                s.sim_calls, s.objective, s.bias.cosine, s.bias.relative_norm, s.max_z
            )?;
        }
        write!(
            f,
            "final E[y] = {:.5} after {} calls",
            self.objective, self.sim_calls
        )
    }
}

/// Run L-GSO on the calorimeter from thicknesses `psi0`, comparing each step's surrogate
/// gradient with a triple estimate from `triple_samples` runs.
pub fn calorimeter_lgso(
    bx: CalorimeterBox,
    psi0: &[f64],
    steps: usize,
    cfg: LgsoConfig,
    triple_samples: usize,
    eval_samples: usize,
) -> Result<CalorimeterLgso, OptimError> {
    let serr = |e: diffhep::stochastic::StochasticError| OptimError::Io(e.to_string());
    let mut opt = Lgso::new(bx.clone(), psi0, cfg.clone())?;
    let mut rows = Vec::with_capacity(steps);
    for k in 0..steps {
        let rec = opt.step()?;
        let (g, se) = bx
            .triple_gradient(&rec.psi, triple_samples, cfg.seed ^ (k as u64 + 1))
            .map_err(serr)?;
        let max_z = rec
            .surrogate_grad
            .iter()
            .zip(&g)
            .zip(&se)
            .map(|((a, b), s)| (a - b).abs() / s.max(1e-300))
            .fold(0.0, f64::max);
        rows.push(CalorimeterLgsoStep {
            objective: bx
                .mean_objective(&rec.psi, eval_samples, 77)
                .map_err(serr)?,
            psi: rec.psi,
            sim_calls: rec.sim_calls,
            bias: GradientBias::new(&rec.surrogate_grad, &g)?,
            max_z,
        });
    }
    let psi = opt.psi().to_vec();
    Ok(CalorimeterLgso {
        objective: bx.mean_objective(&psi, eval_samples, 77).map_err(serr)?,
        psi,
        sim_calls: opt.sim_calls(),
        steps: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::nn::AdamConfig;

    #[test]
    fn squared_error_program_gradient_matches_its_definition() {
        // ∂E[(r−1)² + λΣθ] = ∂q − 2∂m + λ, with m, q from the summed-signal program's triples
        // on the same seed.
        let bx = CalorimeterBox::new(3, 10.0, 0.01).unwrap();
        let th = [1.0, 1.5, 2.0];
        let (g, _) = bx.triple_gradient(&th, 400, 5).unwrap();
        let est = EstimatorKind::Triple
            .estimate(&bx.program.signal, &th, 400, 5)
            .unwrap();
        for (j, gj) in g.iter().enumerate() {
            let want = est.gradient[1][j] - 2.0 * est.gradient[0][j] + 0.01;
            assert!(
                (gj - want).abs() < 1e-9 * want.abs().max(1.0),
                "{j}: {gj} vs {want}"
            );
        }
    }

    #[test]
    fn lgso_on_the_calorimeter_runs_and_measures_bias() {
        let bx = CalorimeterBox::new(3, 10.0, 0.01).unwrap();
        let cfg = LgsoConfig {
            radius: 0.3,
            designs_per_step: 6,
            sims_per_design: 10,
            epochs_per_step: 30,
            design_adam: AdamConfig::with_lr(0.1),
            seed: 4,
            ..LgsoConfig::default()
        };
        let r = calorimeter_lgso(bx, &[0.5, 0.5, 0.5], 3, cfg, 200, 200).unwrap();
        assert_eq!(r.steps.len(), 3);
        assert_eq!(r.sim_calls, 3 * 6 * 10);
        for s in &r.steps {
            assert!(s.bias.cosine.abs() <= 1.0 + 1e-12 && s.max_z.is_finite());
        }
    }
}
