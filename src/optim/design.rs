//! The design loop: gradient steps on bounded parameters with stopping rules, history,
//! observers and serde checkpoints — the one loop every design study of the project runs.
//!
//! # One step
//! Record `k` holds the design `θ_k`, the objective's value there ([`Objective::value`], with a
//! report of its pieces) and, once computed, the gradient at `θ_k` ([`Objective::gradient`])
//! that produces `θ_{k+1}`:
//!
//! ```text
//! record 0:   θ_0 (as given), value(θ_0, 0)
//! step k → k+1: g = gradient(θ(u_k), k); u_{k+1} = stepper(u_k, g·dθ/du); bounds; θ_{k+1} = θ(u_{k+1})
//! record k+1: θ_{k+1}, value(θ_{k+1}, k+1)
//! ```
//!
//! The stepper works on internal variables `u` ([`BoundMode`]: θ itself, a sigmoid/exponential
//! reparameterisation, or `ln θ`). The last record is evaluated but has no gradient: the run
//! ends with the value of the design it returns.
//!
//! # Checkpoints
//! The loop is plain serde data. Observers ([`Observer`]) are called after every update with the
//! whole state, which is then a consistent checkpoint: [`DesignLoop::load`] and another `run`
//! continue bit-identically, because stochastic objectives draw their randomness from
//! `(seed, step)`.

use std::fmt::Debug;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::bounds::{BoundMode, Bounds};
use super::error::{check_len, OptimError};
use super::observe::Observer;
use crate::interrupt::StopFlag;
use crate::nn::{Adam, Sgd};

/// An objective to minimise: its value (with a report of its pieces) and its gradient at `θ`.
///
/// `step` is the index of the record at `θ`. A stochastic objective must draw its randomness
/// from a generator seeded by its own seed and `step` (e.g. [`crate::stochastic::rng`]
/// streams), so that a resumed run is bit-identical. Value and gradient are separate calls, so
/// an objective may evaluate on a fixed sample (common random numbers across steps) and take
/// gradients from a fresh sample per step.
///
/// A closure `FnMut(&[f64], usize) -> (f64, Vec<f64>)` is an objective with no report; it is
/// called once for the value and once for the gradient at each record.
pub trait Objective {
    /// What the history keeps of each evaluation beyond the value (`()` for none).
    type Report: Clone + Debug + PartialEq + Serialize + DeserializeOwned;
    /// The objective's error; the loop's own errors convert into it.
    type Error: From<OptimError>;
    /// `f(θ)` and its report for record `step`.
    fn value(&mut self, theta: &[f64], step: usize) -> Result<(f64, Self::Report), Self::Error>;
    /// `∇f(θ)` at record `step`, used for the update to record `step + 1`.
    fn gradient(&mut self, theta: &[f64], step: usize) -> Result<Vec<f64>, Self::Error>;
}

impl<F: FnMut(&[f64], usize) -> (f64, Vec<f64>)> Objective for F {
    type Report = ();
    type Error = OptimError;
    fn value(&mut self, theta: &[f64], step: usize) -> Result<(f64, ()), OptimError> {
        Ok((self(theta, step).0, ()))
    }
    fn gradient(&mut self, theta: &[f64], step: usize) -> Result<Vec<f64>, OptimError> {
        Ok(self(theta, step).1)
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

/// One evaluated design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord<R = ()> {
    /// Record number: the number of updates before it (0 = the initial design).
    pub step: usize,
    /// Objective at `params`.
    pub objective: f64,
    /// Euclidean norm of `gradient` (0 until it is computed).
    pub grad_norm: f64,
    /// The parameters θ at which the objective was evaluated.
    pub params: Vec<f64>,
    /// Gradient w.r.t. θ at `params`, used for the next update (empty for the last record).
    pub gradient: Vec<f64>,
    /// The objective's report of this evaluation.
    pub report: R,
}

/// All step records of a run, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History<R = ()> {
    /// One record per evaluated design.
    pub records: Vec<StepRecord<R>>,
}

impl<R> Default for History<R> {
    fn default() -> Self {
        History {
            records: Vec::new(),
        }
    }
}

impl<R> History<R> {
    /// The gradient of the update that produced record `k` (the gradient at record `k − 1`;
    /// empty for the initial record).
    pub fn update_gradient(&self, k: usize) -> &[f64] {
        match k.checked_sub(1) {
            Some(j) => &self.records[j].gradient,
            None => &[],
        }
    }

    /// Objective values per record.
    pub fn objectives(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.objective).collect()
    }
}

/// Result of [`DesignLoop::run`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Final parameters θ.
    pub params: Vec<f64>,
    /// Objective at the final parameters.
    pub objective: f64,
    /// Updates taken in total.
    pub steps: usize,
    /// Why it stopped.
    pub reason: StopReason,
}

/// A resumable gradient-descent loop over bounded design parameters.
///
/// The whole state is serde data: [`DesignLoop::save`] after any step (or from an
/// [`Observer`]) and [`DesignLoop::load`] continue exactly where the run left off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "R: Serialize", deserialize = "R: DeserializeOwned"))]
pub struct DesignLoop<R = ()> {
    bounds: Bounds,
    mode: BoundMode,
    /// The initial design, recorded as given.
    theta0: Vec<f64>,
    /// Variables the stepper works on: θ, u or ln θ (see [`BoundMode`]).
    internal: Vec<f64>,
    stepper: Stepper,
    stop: StopRule,
    /// Updates taken.
    step: usize,
    history: History<R>,
    finished: Option<StopReason>,
}

impl<R> DesignLoop<R> {
    /// Current parameters θ (the initial design as given before the first update).
    pub fn params(&self) -> Vec<f64> {
        if self.step == 0 {
            self.theta0.clone()
        } else {
            self.bounds.external(self.mode, &self.internal)
        }
    }

    /// Updates taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// The history so far.
    pub fn history(&self) -> &History<R> {
        &self.history
    }

    /// The stopping rule.
    pub fn stop_rule(&self) -> &StopRule {
        &self.stop
    }

    /// Change the step limit (e.g. to continue a finished run for more steps).
    pub fn set_max_steps(&mut self, max_steps: usize) {
        self.stop.max_steps = max_steps;
        if self.finished == Some(StopReason::MaxSteps) && self.step < max_steps {
            self.finished = None;
        }
    }

    /// Why the run stopped, if it has.
    pub fn finished(&self) -> Option<StopReason> {
        self.finished
    }
}

impl<R: Clone + Debug + PartialEq + Serialize + DeserializeOwned> DesignLoop<R> {
    /// A loop starting at `theta0` (inside `bounds`; strictly inside finite bounds under
    /// reparameterisation; positive bounds under the logarithmic mode).
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
        if mode == BoundMode::Logarithmic {
            bounds.check_positive()?;
        }
        let internal = bounds.internal(mode, theta0);
        Ok(DesignLoop {
            bounds,
            mode,
            theta0: theta0.to_vec(),
            internal,
            stepper,
            stop,
            step: 0,
            history: History::default(),
            finished: None,
        })
    }

    /// Evaluate and record the current design if it is not recorded yet (the first thing
    /// [`DesignLoop::step_once`] does); returns a stop reason if the stall rule fires.
    pub fn record_current<O: Objective<Report = R>>(
        &mut self,
        objective: &mut O,
    ) -> Result<Option<StopReason>, O::Error> {
        if self.history.records.len() > self.step {
            return Ok(None);
        }
        let theta = self.params();
        let (f, report) = objective.value(&theta, self.step)?;
        if !f.is_finite() {
            return Err(OptimError::NonFinite {
                step: self.step,
                what: "objective",
            }
            .into());
        }
        self.history.records.push(StepRecord {
            step: self.step,
            objective: f,
            grad_norm: 0.0,
            params: theta,
            gradient: Vec::new(),
            report,
        });
        if let Some((w, tol)) = self.stop.stall {
            let o = &self.history.records;
            if w > 0 && o.len() >= 2 * w {
                let n = o.len();
                let mean =
                    |r: &[StepRecord<R>]| r.iter().map(|s| s.objective).sum::<f64>() / w as f64;
                if (mean(&o[n - w..]) - mean(&o[n - 2 * w..n - w])).abs() < tol {
                    return Ok(Some(StopReason::Stalled));
                }
            }
        }
        Ok(None)
    }

    /// Evaluate the current design if needed and, unless a stopping rule fires, take one
    /// update. Returns the stop reason if the run is over.
    pub fn step_once<O: Objective<Report = R>>(
        &mut self,
        objective: &mut O,
    ) -> Result<Option<StopReason>, O::Error> {
        if self.finished.is_some() {
            return Ok(self.finished);
        }
        if let Some(reason) = self.record_current(objective)? {
            self.finished = Some(reason);
            return Ok(self.finished);
        }
        if self.step >= self.stop.max_steps {
            self.finished = Some(StopReason::MaxSteps);
            return Ok(self.finished);
        }
        let at = self.bounds.external(self.mode, &self.internal);
        let g = objective.gradient(&at, self.step)?;
        check_len("gradient length", at.len(), g.len()).map_err(OptimError::from)?;
        if g.iter().any(|v| !v.is_finite()) {
            return Err(OptimError::NonFinite {
                step: self.step,
                what: "gradient",
            }
            .into());
        }
        let grad_norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        let record = self.history.records.last_mut().expect("recorded above");
        record.grad_norm = grad_norm;
        record.gradient = g.clone();
        if self.stop.grad_tol.is_some_and(|tol| grad_norm < tol) {
            self.finished = Some(StopReason::GradientNorm);
            return Ok(self.finished);
        }
        let gu = self.bounds.chain(self.mode, &self.internal, &g);
        self.stepper.step(&mut self.internal, &gu)?;
        self.bounds.project_internal(self.mode, &mut self.internal);
        self.step += 1;
        Ok(None)
    }

    /// Run at most `n` more updates (fewer if a stopping rule fires); observers see the state
    /// after every update. Returns the stop reason if the run is over.
    pub fn run_for<O: Objective<Report = R>>(
        &mut self,
        n: usize,
        objective: &mut O,
        observers: &mut [&mut dyn Observer<R>],
    ) -> Result<Option<StopReason>, O::Error> {
        for _ in 0..n {
            let before = self.step;
            let reason = self.step_once(objective)?;
            if self.step > before || reason.is_some() {
                for o in observers.iter_mut() {
                    o.on_step(self)?;
                }
            }
            if reason.is_some() {
                return Ok(reason);
            }
        }
        Ok(None)
    }

    /// Run until a stopping rule fires; the last record is the value at the returned design.
    pub fn run<O: Objective<Report = R>>(
        &mut self,
        objective: &mut O,
        observers: &mut [&mut dyn Observer<R>],
    ) -> Result<Outcome, O::Error> {
        let reason = loop {
            // `run_for` returns without a reason only after `usize::MAX` updates.
            if let Some(r) = self.run_for(usize::MAX, objective, observers)? {
                break r;
            }
        };
        self.finish(reason, observers)
    }

    /// Like [`DesignLoop::run`], but looks at `stop` before every update: when a stop has been
    /// requested it returns `Ok(None)` at once, at a step boundary, without finishing the run
    /// (the observers' `on_finish` is not called), so the state — saved by an observer after
    /// every step — resumes to the same answer as a run that was never stopped.
    pub fn run_until_stopped<O: Objective<Report = R>>(
        &mut self,
        objective: &mut O,
        observers: &mut [&mut dyn Observer<R>],
        stop: &StopFlag,
    ) -> Result<Option<Outcome>, O::Error> {
        let reason = loop {
            if stop.is_requested() {
                return Ok(None);
            }
            if let Some(r) = self.run_for(1, objective, observers)? {
                break r;
            }
        };
        self.finish(reason, observers).map(Some)
    }

    fn finish<E: From<OptimError>>(
        &mut self,
        reason: StopReason,
        observers: &mut [&mut dyn Observer<R>],
    ) -> Result<Outcome, E> {
        let last = self
            .history
            .records
            .last()
            .expect("a run records its design");
        let outcome = Outcome {
            params: last.params.clone(),
            objective: last.objective,
            steps: self.step,
            reason,
        };
        for o in observers.iter_mut() {
            o.on_finish(self, &outcome)?;
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
        crate::files::write_atomic(path, self.to_json()?).map_err(|e| OptimError::Io(e.to_string()))
    }

    /// Read a checkpoint file written by [`DesignLoop::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, OptimError> {
        let path = path.as_ref();
        let s = std::fs::read_to_string(path)
            .map_err(|e| OptimError::Io(format!("{}: {e}", path.display())))?;
        Self::from_json(&s)
    }
}
