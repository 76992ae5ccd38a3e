//! The design loop: gradient steps on bounded parameters with stopping rules, history,
//! observers and serde checkpoints.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bounds::{BoundMode, Bounds};
use super::error::{check_len, OptimError};
use super::observe::Observer;
use crate::nn::{Adam, Sgd};

/// An objective to minimise: value and gradient at `θ`.
///
/// `step` is the loop's step counter. A stochastic objective must draw its randomness from a
/// generator seeded by its own seed and `step` (e.g. [`crate::stochastic::rng`] streams), so the
/// value at a given step is reproducible; that is what makes a resumed run bit-identical.
pub trait Objective {
    /// `(f(θ), ∇f(θ))` at step `step`.
    fn evaluate(&mut self, theta: &[f64], step: usize) -> (f64, Vec<f64>);
}

impl<F: FnMut(&[f64], usize) -> (f64, Vec<f64>)> Objective for F {
    fn evaluate(&mut self, theta: &[f64], step: usize) -> (f64, Vec<f64>) {
        self(theta, step)
    }
}

/// The update rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stepper {
    /// Adam or AdamW.
    Adam(Adam),
    /// SGD with momentum.
    Sgd(Sgd),
}

impl Stepper {
    fn num_params(&self) -> usize {
        match self {
            Stepper::Adam(a) => a.num_params(),
            Stepper::Sgd(s) => s.num_params(),
        }
    }

    fn step(&mut self, p: &mut [f64], g: &[f64]) -> Result<(), OptimError> {
        match self {
            Stepper::Adam(a) => a.step(p, g)?,
            Stepper::Sgd(s) => s.step(p, g)?,
        }
        Ok(())
    }
}

/// When to stop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopRule {
    /// Largest number of gradient steps.
    pub max_steps: usize,
    /// Stop when the gradient norm (w.r.t. the external parameters θ) falls below this.
    pub grad_tol: Option<f64>,
    /// `(w, tol)`: stop when the mean objective over the last `w` steps differs from the mean
    /// over the `w` steps before by less than `tol` (robust to noisy objectives).
    pub stall: Option<(usize, f64)>,
}

impl StopRule {
    /// Only a step limit.
    pub fn steps(max_steps: usize) -> Self {
        StopRule {
            max_steps,
            grad_tol: None,
            stall: None,
        }
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// `max_steps` reached.
    MaxSteps,
    /// Gradient norm below `grad_tol`.
    GradientNorm,
    /// Objective stalled (see [`StopRule::stall`]).
    Stalled,
}

/// One evaluated step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step number (0-based).
    pub step: usize,
    /// Objective at `params`.
    pub objective: f64,
    /// Euclidean norm of the gradient w.r.t. θ at `params`.
    pub grad_norm: f64,
    /// The parameters θ at which the objective was evaluated.
    pub params: Vec<f64>,
}

/// All step records of a run, in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One record per step.
    pub records: Vec<StepRecord>,
}

impl History {
    /// Objective values per step.
    pub fn objectives(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.objective).collect()
    }
}

/// Result of [`DesignLoop::run`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Final parameters θ.
    pub params: Vec<f64>,
    /// Objective at the last evaluated step.
    pub objective: f64,
    /// Steps taken in total.
    pub steps: usize,
    /// Why it stopped.
    pub reason: StopReason,
}

/// A resumable gradient-descent loop over bounded design parameters.
///
/// The whole state is serde data: [`DesignLoop::save`] after any step and [`DesignLoop::load`]
/// continue exactly where the run left off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignLoop {
    bounds: Bounds,
    mode: BoundMode,
    /// Parameters the stepper works on: θ under projection, u under reparameterisation.
    internal: Vec<f64>,
    stepper: Stepper,
    stop: StopRule,
    step: usize,
    history: History,
    finished: Option<StopReason>,
}

impl DesignLoop {
    /// A loop starting at `theta0` (inside `bounds`; strictly inside finite bounds under
    /// reparameterisation).
    pub fn new(
        theta0: &[f64],
        bounds: Bounds,
        mode: BoundMode,
        stepper: Stepper,
        stop: StopRule,
    ) -> Result<Self, OptimError> {
        check_len(
            "number of parameters (optimizer)",
            stepper.num_params(),
            theta0.len(),
        )?;
        bounds.check_inside(theta0, mode == BoundMode::Reparameterisation)?;
        let internal = match mode {
            BoundMode::Projection => theta0.to_vec(),
            BoundMode::Reparameterisation => bounds.to_internal(theta0),
        };
        Ok(DesignLoop {
            bounds,
            mode,
            internal,
            stepper,
            stop,
            step: 0,
            history: History::default(),
            finished: None,
        })
    }

    /// Current parameters θ.
    pub fn params(&self) -> Vec<f64> {
        match self.mode {
            BoundMode::Projection => self.internal.clone(),
            BoundMode::Reparameterisation => self.bounds.to_external(&self.internal),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The stopping rule.
    pub fn stop_rule(&self) -> &StopRule {
        &self.stop
    }

    /// Why the run stopped, if it has.
    pub fn finished(&self) -> Option<StopReason> {
        self.finished
    }

    /// Evaluate at the current point, record the step, and (unless a stopping rule fires)
    /// update the parameters. Returns the record and the stop reason if the run is over.
    pub fn step_once(
        &mut self,
        objective: &mut impl Objective,
    ) -> Result<(StepRecord, Option<StopReason>), OptimError> {
        let theta = self.params();
        let (f, g) = objective.evaluate(&theta, self.step);
        check_len("gradient length", theta.len(), g.len())?;
        if !f.is_finite() {
            return Err(OptimError::NonFinite {
                step: self.step,
                what: "objective",
            });
        }
        if g.iter().any(|v| !v.is_finite()) {
            return Err(OptimError::NonFinite {
                step: self.step,
                what: "gradient",
            });
        }
        let grad_norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        let record = StepRecord {
            step: self.step,
            objective: f,
            grad_norm,
            params: theta,
        };
        self.history.records.push(record.clone());
        let mut reason = None;
        if self.stop.grad_tol.is_some_and(|tol| grad_norm < tol) {
            reason = Some(StopReason::GradientNorm);
        } else {
            match self.mode {
                BoundMode::Projection => {
                    self.stepper.step(&mut self.internal, &g)?;
                    self.bounds.project(&mut self.internal);
                }
                BoundMode::Reparameterisation => {
                    let d = self.bounds.jacobian_diag(&self.internal);
                    let gu: Vec<f64> = g.iter().zip(&d).map(|(a, b)| a * b).collect();
                    self.stepper.step(&mut self.internal, &gu)?;
                }
            }
            self.step += 1;
            if self.step >= self.stop.max_steps {
                reason = Some(StopReason::MaxSteps);
            } else if let Some((w, tol)) = self.stop.stall {
                let o = &self.history.records;
                if w > 0 && o.len() >= 2 * w {
                    let n = o.len();
                    let mean =
                        |r: &[StepRecord]| r.iter().map(|s| s.objective).sum::<f64>() / w as f64;
                    if (mean(&o[n - w..]) - mean(&o[n - 2 * w..n - w])).abs() < tol {
                        reason = Some(StopReason::Stalled);
                    }
                }
            }
        }
        self.finished = reason;
        Ok((record, reason))
    }

    /// Run at most `n` more steps (fewer if a stopping rule fires); returns the stop reason if
    /// the run is over.
    pub fn run_for(
        &mut self,
        n: usize,
        objective: &mut impl Objective,
        observers: &mut [&mut dyn Observer],
    ) -> Result<Option<StopReason>, OptimError> {
        if self.finished.is_some() {
            return Ok(self.finished);
        }
        for _ in 0..n {
            let (rec, reason) = self.step_once(objective)?;
            for o in observers.iter_mut() {
                o.on_step(&rec, self.stop.max_steps)?;
            }
            if reason.is_some() {
                return Ok(reason);
            }
        }
        Ok(None)
    }

    /// Run until a stopping rule fires.
    pub fn run(
        &mut self,
        objective: &mut impl Objective,
        observers: &mut [&mut dyn Observer],
    ) -> Result<Outcome, OptimError> {
        let remaining = self.stop.max_steps.saturating_sub(self.step).max(1);
        let reason = self
            .run_for(remaining, objective, observers)?
            .unwrap_or(StopReason::MaxSteps);
        let outcome = Outcome {
            params: self.params(),
            objective: self
                .history
                .records
                .last()
                .map_or(f64::NAN, |r| r.objective),
            steps: self.step,
            reason,
        };
        for o in observers.iter_mut() {
            o.on_finish(&outcome)?;
        }
        Ok(outcome)
    }

    /// The state as JSON (floats round-trip exactly).
    pub fn to_json(&self) -> Result<String, OptimError> {
        serde_json::to_string(self).map_err(|e| OptimError::Io(e.to_string()))
    }

    /// Restore from [`DesignLoop::to_json`].
    pub fn from_json(s: &str) -> Result<Self, OptimError> {
        serde_json::from_str(s).map_err(|e| OptimError::Io(e.to_string()))
    }

    /// Write a checkpoint file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), OptimError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()?)
            .map_err(|e| OptimError::Io(format!("{}: {e}", path.display())))
    }

    /// Read a checkpoint file written by [`DesignLoop::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, OptimError> {
        let path = path.as_ref();
        let s = std::fs::read_to_string(path)
            .map_err(|e| OptimError::Io(format!("{}: {e}", path.display())))?;
        Self::from_json(&s)
    }
}
