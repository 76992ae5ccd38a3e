//! Design optimisation of the toy sampling calorimeter with stochastic gradients.
//!
//! Objective at design θ (absorber thicknesses in X₀): the active signal `S = Σ_j D_j` of
//! [`Shower`] calibrated with the sampling fraction, `Ê = S/f_s`, estimates the beam energy
//! `E₀`; energy leaking out of the back (thin absorbers) makes it low and fluctuating. With
//! `r = Ê/E₀`,
//!
//! `J(θ) = √E[(r − 1)²] + λ·Σ_j θ_j`,
//!
//! the relative RMS error of the energy measurement (resolution and leakage bias together) plus
//! a material-cost penalty of `λ` per radiation length. (`σ(S)/E[S]` alone is no good target:
//! a calorimeter too thin to start a shower has a constant, useless signal with zero spread.)
//! `J` is a function of two expectations, `m = E[r]` and `q = E[r²]`; the program
//! [`SummedSignal`] returns `[r, r²]`, any [`GradientEstimator`](diffhep::stochastic::GradientEstimator)
//! estimates their gradients, and the chain rule gives `∂J = (∂q − 2∂m)/(2√(q − 2m + 1)) + λ`.
//!
//! [`optimize`] minimises `J` with a small projected Adam (Kingma & Ba, ICLR 2015;
//! thicknesses are kept ≥ `min_thickness`), giving each estimator the same budget of program
//! runs per step, and evaluates the objective after every step on a fixed set of plain `f64`
//! runs (common random numbers across steps and estimators), so the curves are comparable.

use diffhep::interrupt::StopFlag;
use diffhep::nn::{Adam, AdamConfig};
use diffhep::optim::{
    self, BoundMode, Bounds, DesignLoop, History, Observer, OptimError, Stepper, StopRule,
};
use diffhep::stochastic::{
    plain_run, EstimatorKind, Result, Sampler, StochasticError, StochasticProgram,
};
use diffhep::RealScalar;
use rayon::prelude::*;

use crate::design::detector::DesignError;
use crate::detector::shower::Shower;

/// The calibrated summed signal relative to the beam energy and its square: outputs `[r, r²]`,
/// `r = Σ_j D_j / (f_s·E₀)`.
#[derive(Clone, Debug)]
pub struct SummedSignal {
    /// The calorimeter.
    pub shower: Shower,
}

impl StochasticProgram for SummedSignal {
    fn num_params(&self) -> usize {
        self.shower.num_params()
    }
    fn num_outputs(&self) -> usize {
        2
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let d = self.shower.run(theta, rng)?;
        let c = self.shower.config();
        let scale = 1.0 / (c.sampling_fraction * c.beam_energy);
        let r = d.into_iter().fold(S::zero(), |a, x| a + x) * scale;
        Ok(vec![r.clone(), r.clone() * r])
    }
}

/// The objective `√E[(r − 1)²] + λ·Σθ` and its gradient from `m = E[r]`, `q = E[r²]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// Material cost λ per radiation length.
    pub cost_per_x0: f64,
}

impl Objective {
    /// `(J, relative RMS error √(q − 2m + 1), cost λΣθ)`.
    pub fn value(&self, m: f64, q: f64, theta: &[f64]) -> (f64, f64, f64) {
        let rms = (q - 2.0 * m + 1.0).max(0.0).sqrt();
        let cost = self.cost_per_x0 * theta.iter().sum::<f64>();
        (rms + cost, rms, cost)
    }

    /// `∂J/∂θ_j` from `m, q` and their gradients.
    pub fn gradient(&self, m: f64, q: f64, dm: &[f64], dq: &[f64]) -> Vec<f64> {
        let rms = (q - 2.0 * m + 1.0).max(1e-300).sqrt();
        dm.iter()
            .zip(dq)
            .map(|(&a, &b)| (b - 2.0 * a) / (2.0 * rms) + self.cost_per_x0)
            .collect()
    }
}

/// Settings of a design run.
#[derive(Clone, Debug)]
pub struct DesignSettings {
    /// Number of Adam steps.
    pub steps: usize,
    /// Program runs per step (each estimator gets as many samples as fit in this budget).
    pub runs_per_step: usize,
    /// Plain runs used to evaluate the objective after each step.
    pub eval_samples: usize,
    /// Adam learning rate (X₀ per step, roughly).
    pub learning_rate: f64,
    /// Lower bound on each thickness (projection after every step).
    pub min_thickness: f64,
    /// Objective.
    pub objective: Objective,
    /// Seed.
    pub seed: u64,
}

impl Default for DesignSettings {
    fn default() -> Self {
        DesignSettings {
            steps: 40,
            runs_per_step: 2000,
            eval_samples: 4000,
            learning_rate: 0.1,
            min_thickness: 0.05,
            objective: Objective { cost_per_x0: 0.01 },
            seed: 2024,
        }
    }
}

/// One step of a design run.
#[derive(Clone, Debug)]
pub struct StepRecord {
    /// Step number (0 = initial design, before any update).
    pub step: usize,
    /// Objective J on the evaluation runs.
    pub objective: f64,
    /// Relative RMS error of the energy measurement on the evaluation runs.
    pub resolution: f64,
    /// Material cost λΣθ.
    pub cost: f64,
    /// Design.
    pub theta: Vec<f64>,
    /// Gradient estimate used for the update (empty at step 0).
    pub gradient: Vec<f64>,
    /// Program runs spent on gradients so far.
    pub runs: usize,
}

/// Objective on `n` plain runs with a fixed evaluation seed.
pub fn evaluate(
    program: &SummedSignal,
    theta: &[f64],
    n: usize,
    seed: u64,
    obj: Objective,
) -> Result<(f64, f64, f64)> {
    if n < 2 {
        return Err(StochasticError::Setting {
            what: "evaluation samples",
            value: n as f64,
        });
    }
    let eval_seed = seed ^ 0xE7A1_5EED;
    let outs: Vec<Vec<f64>> = (0..n as u64)
        .into_par_iter()
        .map(|i| plain_run(program, theta, eval_seed, i))
        .collect::<Result<_>>()?;
    let m = outs.iter().map(|o| o[0]).sum::<f64>() / n as f64;
    let q = outs.iter().map(|o| o[1]).sum::<f64>() / n as f64;
    Ok(obj.value(m, q, theta))
}

/// The calorimeter study as a [`diffhep::optim::Objective`]: the objective on the fixed
/// evaluation runs, gradients from `kind` with a fresh seed per step.
struct CalorimeterObjective<'a> {
    program: SummedSignal,
    kind: EstimatorKind,
    samples: usize,
    settings: &'a DesignSettings,
    /// Program runs spent on gradients so far.
    runs: usize,
}

/// What the history keeps of each evaluation of the calorimeter study.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Pieces {
    resolution: f64,
    cost: f64,
    runs: usize,
}

impl optim::Objective for CalorimeterObjective<'_> {
    type Report = Pieces;
    type Error = DesignError;

    fn value(
        &mut self,
        theta: &[f64],
        _step: usize,
    ) -> std::result::Result<(f64, Pieces), DesignError> {
        let s = self.settings;
        let (j, resolution, cost) =
            evaluate(&self.program, theta, s.eval_samples, s.seed, s.objective)?;
        Ok((
            j,
            Pieces {
                resolution,
                cost,
                runs: self.runs,
            },
        ))
    }

    fn gradient(
        &mut self,
        theta: &[f64],
        step: usize,
    ) -> std::result::Result<Vec<f64>, DesignError> {
        // The gradient that produces record `step + 1` uses that step's seed.
        let seed = self.settings.seed.wrapping_add((step as u64 + 1) * 0x9E37);
        let est = self
            .kind
            .estimate(&self.program, theta, self.samples, seed)?;
        self.runs += est.runs;
        Ok(self.settings.objective.gradient(
            est.value[0],
            est.value[1],
            &est.gradient[0],
            &est.gradient[1],
        ))
    }
}

/// Hands each completed record of the loop to the caller's callback in the study's format.
struct RecordCallback<F> {
    observe: F,
}

impl<F: FnMut(&StepRecord)> Observer<Pieces> for RecordCallback<F> {
    fn on_step(&mut self, state: &DesignLoop<Pieces>) -> std::result::Result<(), OptimError> {
        let h = state.history();
        if let Some(k) = h.records.len().checked_sub(1) {
            (self.observe)(&record(h, k));
        }
        Ok(())
    }
}

fn record(h: &History<Pieces>, k: usize) -> StepRecord {
    let r = &h.records[k];
    StepRecord {
        step: r.step,
        objective: r.objective,
        resolution: r.report.resolution,
        cost: r.report.cost,
        theta: r.params.clone(),
        gradient: h.update_gradient(k).to_vec(),
        runs: r.report.runs,
    }
}

/// Minimise the objective from `initial` with gradients from `kind` on the project's design
/// loop ([`diffhep::optim::DesignLoop`]: Adam, thicknesses projected on `min_thickness`);
/// `observe` sees each record.
pub fn optimize(
    shower: &Shower,
    kind: EstimatorKind,
    initial: &[f64],
    settings: &DesignSettings,
    observe: impl FnMut(&StepRecord),
) -> std::result::Result<Vec<StepRecord>, DesignError> {
    let mut run = Optimization::start(shower, kind, initial, settings)?;
    let finished =
        run.run_until_stopped::<DesignError>(shower, settings, observe, &StopFlag::new(), |_| {
            Ok(())
        })?;
    Ok(finished.expect("a run that is never asked to stop finishes"))
}

/// One estimator's optimisation in progress, which can stop at a step boundary and resume to
/// the records of an uninterrupted run: the design loop's state (design, Adam moments, history)
/// and the program runs spent on gradients. Serialisable, so a caller can checkpoint it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Optimization {
    /// The estimator's name ([`EstimatorKind::name`]).
    pub estimator: String,
    design_loop: DesignLoop<Pieces>,
    runs: usize,
}

impl Optimization {
    /// A run of estimator `kind` from `initial` (nothing evaluated yet).
    pub fn start(
        shower: &Shower,
        kind: EstimatorKind,
        initial: &[f64],
        settings: &DesignSettings,
    ) -> std::result::Result<Self, DesignError> {
        shower.check_design(initial)?;
        if settings.steps == 0 {
            return Err(StochasticError::Setting {
                what: "number of steps",
                value: 0.0,
            }
            .into());
        }
        let l = initial.len();
        let adam =
            Adam::new(l, AdamConfig::with_lr(settings.learning_rate)).map_err(OptimError::from)?;
        let bounds = Bounds::new(vec![settings.min_thickness; l], vec![f64::INFINITY; l])?;
        let design_loop = DesignLoop::new(
            initial,
            bounds,
            BoundMode::Projection,
            Stepper::Adam(adam),
            StopRule::steps(settings.steps),
        )?;
        Ok(Optimization {
            estimator: kind.name().to_string(),
            design_loop,
            runs: 0,
        })
    }

    /// The records so far.
    pub fn history(&self) -> Vec<StepRecord> {
        let h = self.design_loop.history();
        (0..h.records.len()).map(|k| record(h, k)).collect()
    }

    /// Whether the run has reached its last step.
    pub fn is_finished(&self) -> bool {
        self.design_loop.finished().is_some()
    }

    /// Run on until the last step (returning every record) or until `stop` is requested
    /// (returning `Ok(None)` at a step boundary). `observe` sees each new record, `save` the
    /// state after every step (to checkpoint it).
    /// A failed `save` ends the run with its error (`E` holds the run's own errors too).
    pub fn run_until_stopped<E: From<DesignError>>(
        &mut self,
        shower: &Shower,
        settings: &DesignSettings,
        observe: impl FnMut(&StepRecord),
        stop: &StopFlag,
        mut save: impl FnMut(&Optimization) -> std::result::Result<(), E>,
    ) -> std::result::Result<Option<Vec<StepRecord>>, E> {
        let kind: EstimatorKind = self.estimator.parse().map_err(DesignError::from)?;
        let l = self.design_loop.params().len();
        let mut objective = CalorimeterObjective {
            program: SummedSignal {
                shower: shower.clone(),
            },
            kind,
            samples: (settings.runs_per_step / kind.runs_per_sample(l).max(1)).max(2),
            settings,
            runs: self.runs,
        };
        let mut callback = RecordCallback { observe };
        loop {
            if stop.is_requested() {
                return Ok(None);
            }
            let reason = self
                .design_loop
                .run_for(1, &mut objective, &mut [&mut callback])
                .map_err(E::from)?;
            self.runs = objective.runs;
            save(self)?;
            if reason.is_some() {
                return Ok(Some(self.history()));
            }
        }
    }
}
