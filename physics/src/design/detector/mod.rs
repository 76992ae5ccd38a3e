//! End-to-end detector design study: a tracker and a sampling calorimeter optimised together
//! with gradients.
//!
//! # The detector and the objective
//! The design `θ = [r0, x, t_1 … t_L]` is the inner radius (mm) and per-layer material (X₀) of a
//! two-layer pixel tracker ([`tracker`]) and the absorber thicknesses (X₀) of the sampling
//! calorimeter of [`crate::detector::shower`]. The objective is
//!
//! ```text
//! J(θ) = w_v σ_v(r0, x) / s_v + w_E σ_E(t) / s_E + cost(θ)
//! σ_v  = √E|v̂ − v_true|²                      heavy-flavour vertex resolution (μm)
//! σ_E  = √E[(Ê/E₀ − 1)²]                      relative energy error (resolution and leakage)
//! cost = c_r (r_ref/r0)² + c_x x_ref/x + c_t Σ t_j
//! ```
//!
//! A small inner radius and thin layers give a better vertex but cost more (radiation-hard
//! sensors close to the beam, light mechanics); thick absorbers contain the shower but cost
//! material.
//!
//! That weighted sum is the `resolution` objective. The configuration can instead ask for what
//! a downstream analysis gains from the resolutions ([`objectives`]): `significance` minimises
//! `−Z_A + cost` for a b-tagged resonance search, `eig` minimises `−EIG + cost` for the
//! information the same search gives about its physics parameters.
//!
//! # Gradients
//! - vertex term: exact per jet — pathwise through the reparameterised smearing and the implicit
//!   derivatives of the vertex fit ([`tracker`]);
//! - energy term: the shower branches discretely, so its gradient comes from stochastic triples
//!   ([`diffhep::stochastic::EstimatorKind::Triple`]) of `E[r]` and `E[r²]`
//!   ([`crate::design::calorimeter::SummedSignal`]), chained as in
//!   [`crate::design::calorimeter::Objective`];
//! - cost: closed form.
//!
//! The optimizer is the project's one design loop ([`diffhep::optim::DesignLoop`]) with Adam
//! ([`diffhep::nn::Adam`]) acting on `ln θ` ([`diffhep::optim::BoundMode::Logarithmic`]), so the
//! learning rate is a relative step, with a projection on the configured bounds. After each step
//! the objective is evaluated on a fixed evaluation sample (common random numbers across steps).
//!
//! # Determinism and parallelism
//! Every jet and shower sample has its own random stream keyed by `(seed, step, index)`; work is
//! split into fixed blocks evaluated in parallel with rayon and reduced in block order, so the
//! same seed gives the same numbers at any thread count. The optimizer state, design and history
//! form a [`Checkpoint`] (serde); resuming from one continues bit-identically.
//!
//! Across processes ([`Study::with_exchange`], MPI behind the cargo feature `mpi`), each rank
//! computes a contiguous share of the jet blocks and shower samples, the per-unit results are
//! gathered on every rank in unit order and reduced in that order, so 1 and 2 ranks give the same
//! numbers ([`exchange`]). The evaluation's shower runs are repeated on every rank.

use std::sync::Arc;

use diffhep::interrupt::StopFlag;
use diffhep::nn::{Adam, AdamConfig};
use diffhep::optim::{
    BoundMode, Bounds, DesignLoop, Objective, Observer, OptimError, Stepper, StopRule,
};
use diffhep::stochastic::estimators::SampleTerms;
use diffhep::stochastic::rng::child_key;
use diffhep::stochastic::{GradientEstimator, StochasticError, StochasticTriples};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::design::calorimeter::{self, SummedSignal};
use crate::detector::shower::{Shower, ShowerConfig};
use crate::detector::tracks::TrackModel;

pub mod baseline;
pub mod config;
pub mod exchange;
pub mod objectives;
pub mod results;
pub mod surrogate;
pub mod tracker;

pub use config::{StudyConfig, DEFAULT_TOML};
pub use exchange::{Exchange, Serial};
pub use tracker::Tracker;

/// Why a study cannot run.
///
/// Not `PartialEq`: [`DesignError::Checkpoint`] can hold the JSON parser's error, which has no
/// equality.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DesignError {
    /// A configuration value out of range.
    #[error("config field {field}: {message}")]
    Config {
        /// The field, as `section.name`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The TOML could not be read into a configuration (the message names the field); the
    /// parser's error is the source.
    #[error("config: {0}")]
    Parse(#[source] toml::de::Error),
    /// A checkpoint could not be read or does not fit; the [`CheckpointError`] is the source.
    #[error("checkpoint: {0}")]
    Checkpoint(#[source] CheckpointError),
    /// The shower simulation or its estimator failed.
    #[error("calorimeter: {0}")]
    Stochastic(#[from] StochasticError),
    /// No vertex fit of a sample converged.
    #[error("no vertex fit converged in {jets} jets")]
    NoVertices {
        /// Jets tried.
        jets: usize,
    },
    /// The design loop failed (bounds, a non-finite value or gradient, a checkpoint file).
    #[error("design loop: {0}")]
    Optim(#[from] OptimError),
}

/// What is wrong with a checkpoint ([`DesignError::Checkpoint`]).
#[derive(Clone, Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The JSON could not be read into a checkpoint; printed as the parser prints it (shared,
    /// so that [`DesignError`] stays `Clone`).
    #[error(transparent)]
    Json(Arc<serde_json::Error>),
    /// The checkpoint does not fit the study, or a fit on its data failed (from no error type).
    #[error("{0}")]
    Invalid(String),
}

impl From<serde_json::Error> for CheckpointError {
    fn from(e: serde_json::Error) -> Self {
        CheckpointError::Json(Arc::new(e))
    }
}

/// Jets per parallel block (the reduction runs over blocks in order).
const BLOCK: usize = 32;

/// The objective's pieces at one design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// `J`.
    pub objective: f64,
    /// `σ_v` (μm).
    pub vertex_resolution_um: f64,
    /// `σ_E` (relative).
    pub energy_resolution: f64,
    /// Cost term.
    pub cost: f64,
    /// Jets whose vertex fit failed (left out of `σ_v`).
    pub failed_fits: usize,
    /// Expected discovery significance Z_A of the downstream search at these resolutions
    /// (reported whatever the objective; [`objectives::significance`]).
    #[serde(default)]
    pub significance: f64,
    /// Expected information gain (nats) about the configured physics parameters
    /// ([`objectives::information_gain`]).
    #[serde(default)]
    pub information_gain: f64,
}

/// A gradient estimate at one design.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignGradient {
    /// `∂J/∂θ`.
    pub gradient: Vec<f64>,
    /// `σ_v` on the gradient sample (μm).
    pub vertex_resolution_um: f64,
    /// `σ_E` on the gradient sample.
    pub energy_resolution: f64,
    /// Jets whose fit failed.
    pub failed_fits: usize,
    /// Shower program runs spent.
    pub shower_runs: usize,
}

/// One record of the study's history (a line of `history.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step (0 = initial design).
    pub step: usize,
    /// Design after the step.
    pub design: Vec<f64>,
    /// Objective on the evaluation sample.
    pub evaluation: Evaluation,
    /// Gradient used for the step (empty at step 0).
    pub gradient: Vec<f64>,
}

/// The format version of [`Checkpoint`] files written by this build.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Everything needed to continue a run: the configuration and the design loop's state
/// (optimizer variables `ln θ`, Adam's moments, history).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version ([`CHECKPOINT_VERSION`]; files without one are version 1).
    #[serde(default = "diffhep::files::first_version")]
    pub version: u32,
    /// The study's configuration.
    pub config: StudyConfig,
    /// The design loop ([`diffhep::optim::DesignLoop`] on `ln θ` with Adam).
    pub design_loop: DesignLoop<Evaluation>,
}

impl Checkpoint {
    /// The checkpoint as JSON (floats round-trip exactly).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a checkpoint serialises")
    }

    /// Read a checkpoint written by [`Checkpoint::to_json`]; checks its configuration and sizes.
    pub fn from_json(text: &str) -> Result<Self, DesignError> {
        let ck: Checkpoint =
            serde_json::from_str(text).map_err(|e| DesignError::Checkpoint(e.into()))?;
        diffhep::files::check_version("the design checkpoint", ck.version, CHECKPOINT_VERSION)
            .map_err(|e| DesignError::Checkpoint(CheckpointError::Invalid(e.to_string())))?;
        ck.config.validate()?;
        let n = ck.config.initial_design().len();
        let got = ck.design_loop.params().len();
        if got != n {
            return Err(DesignError::Checkpoint(CheckpointError::Invalid(format!(
                "the design has {got} parameters, the configuration {n}"
            ))));
        }
        Ok(ck)
    }

    /// The current design.
    pub fn design(&self) -> Vec<f64> {
        self.design_loop.params()
    }

    /// The history so far in the study's format: record `k` holds the design after `k` steps,
    /// its evaluation and the gradient of the step that produced it.
    pub fn history(&self) -> Vec<StepRecord> {
        let h = self.design_loop.history();
        h.records
            .iter()
            .enumerate()
            .map(|(k, r)| StepRecord {
                step: r.step,
                design: r.params.clone(),
                evaluation: r.report.clone(),
                gradient: h.update_gradient(k).to_vec(),
            })
            .collect()
    }

    /// Set the total number of steps (also of a resumed run).
    pub fn set_steps(&mut self, steps: usize) {
        self.config.optimizer.steps = steps;
        self.design_loop.set_max_steps(steps);
    }
}

/// The study as a [`diffhep::optim::Objective`]: evaluation on the fixed sample, gradients from
/// a fresh sample per step.
struct StudyObjective<'a>(&'a Study);

impl Objective for StudyObjective<'_> {
    type Report = Evaluation;
    type Error = DesignError;

    fn value(&mut self, theta: &[f64], _step: usize) -> Result<(f64, Evaluation), DesignError> {
        let e = self.0.evaluate(theta)?;
        Ok((e.objective, e))
    }

    fn gradient(&mut self, theta: &[f64], step: usize) -> Result<Vec<f64>, DesignError> {
        // The gradient that produces record `step + 1` draws from the stream of that step.
        let key = child_key(self.0.config.seed, step as u64 + 1);
        Ok(self.0.gradient(theta, key)?.gradient)
    }
}

/// The study: detector models built from a checked configuration.
#[derive(Clone, Debug)]
pub struct Study {
    config: StudyConfig,
    tracker: Tracker,
    calorimeter: SummedSignal,
    exchange: Arc<dyn Exchange>,
}

impl Study {
    /// Check the configuration and build the detector.
    pub fn new(config: StudyConfig) -> Result<Self, DesignError> {
        config.validate()?;
        let t = &config.tracker;
        let model = if t.magnetic_field_t > 0.0 {
            TrackModel::Helix {
                bz: t.magnetic_field_t,
            }
        } else {
            TrackModel::StraightLine
        };
        let tracker = Tracker {
            lever_arm: t.lever_arm_mm,
            hit_resolution: t.hit_resolution_um * 1e-3,
            model,
        };
        let c = &config.calorimeter;
        let shower = Shower::new(ShowerConfig::new(c.layers, c.beam_energy_gev))?;
        Ok(Study {
            config,
            tracker,
            calorimeter: SummedSignal { shower },
            exchange: Arc::new(Serial),
        })
    }

    /// Share gradient estimation with other ranks (default: [`Serial`]).
    pub fn with_exchange(mut self, exchange: Arc<dyn Exchange>) -> Self {
        self.exchange = exchange;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &StudyConfig {
        &self.config
    }

    /// The tracker model.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    fn check(&self, theta: &[f64]) -> Result<(), DesignError> {
        let n = self.config.initial_design().len();
        if theta.len() != n {
            return Err(DesignError::Config {
                field: "design".into(),
                message: format!("{} parameters given, {n} expected", theta.len()),
            });
        }
        for (i, &t) in theta.iter().enumerate() {
            if !(t > 0.0 && t.is_finite()) {
                return Err(DesignError::Config {
                    field: format!("design[{i}]"),
                    message: format!("{t} must be positive and finite"),
                });
            }
        }
        Ok(())
    }

    /// The cost term and its gradient (closed form).
    pub fn cost(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let o = &self.config.objective;
        let (r0, x) = (theta[0], theta[1]);
        let rr = o.radius_reference_mm / r0;
        let xr = o.material_reference_x0 / x;
        let value = o.radius_cost * rr * rr
            + o.material_cost * xr
            + o.absorber_cost_per_x0 * theta[2..].iter().sum::<f64>();
        let mut g = vec![o.absorber_cost_per_x0; theta.len()];
        g[0] = -2.0 * o.radius_cost * rr * rr / r0;
        g[1] = -o.material_cost * xr / x;
        (value, g)
    }

    /// `J` from its pieces.
    pub fn combine(&self, vertex_um: f64, energy: f64, cost: f64) -> f64 {
        objectives::physics_term(&self.config.objective, &vertex_um, &energy) + cost
    }

    /// `∂physics/∂σ_v` (per μm) and `∂physics/∂σ_E` of the configured objective.
    pub fn physics_slopes(&self, vertex_um: f64, energy: f64) -> [f64; 2] {
        struct Term<'a>(&'a config::ObjectiveConfig);
        impl diffhep::ScalarFn for Term<'_> {
            fn eval<S: diffhep::RealScalar>(&self, x: &[S]) -> S {
                objectives::physics_term(self.0, &x[0], &x[1])
            }
        }
        diffhep::forward::gradient_fixed(&Term(&self.config.objective), &[vertex_um, energy]).1
    }

    /// Sum over `jets` jets of `seed` of the squared vertex error (mm²), with its gradient
    /// w.r.t. `[r0, x]` when `gradient` is set: `(sum, gradient sum, converged fits)`.
    pub fn vertex_sums(
        &self,
        design: [f64; 2],
        seed: u64,
        jets: usize,
        gradient: bool,
    ) -> (f64, [f64; 2], usize) {
        let ex = &self.exchange;
        let units = jets.div_ceil(BLOCK);
        let tracker = &self.tracker;
        let local: Vec<[f64; 4]> = exchange::share(units, ex.rank(), ex.size())
            .into_par_iter()
            .map(|b| {
                let mut acc = [0.0; 4];
                for i in b * BLOCK..((b + 1) * BLOCK).min(jets) {
                    let jet = tracker.jet(seed, i as u64);
                    let term = if gradient {
                        tracker.squared_error_gradient(&design, &jet)
                    } else {
                        tracker.squared_error(&design, &jet).map(|v| (v, [0.0; 2]))
                    };
                    if let Some((v, g)) = term {
                        acc[0] += v;
                        acc[1] += g[0];
                        acc[2] += g[1];
                        acc[3] += 1.0;
                    }
                }
                acc
            })
            .collect();
        let flat: Vec<f64> = local.concat();
        let all = ex.all_gather(&flat, &exchange::counts(units, ex.size(), 4));
        all.chunks(4).fold((0.0, [0.0; 2], 0), |a, b| {
            (
                a.0 + b[0],
                [a.1[0] + b[1], a.1[1] + b[2]],
                a.2 + b[3] as usize,
            )
        })
    }

    /// The objective on the fixed evaluation sample.
    pub fn evaluate(&self, theta: &[f64]) -> Result<Evaluation, DesignError> {
        self.check(theta)?;
        let s = &self.config.sample;
        let seed = child_key(self.config.seed, u64::MAX);
        let (sum, _, ok) =
            self.vertex_sums([theta[0], theta[1]], seed, s.eval_vertex_events, false);
        if ok == 0 {
            return Err(DesignError::NoVertices {
                jets: s.eval_vertex_events,
            });
        }
        let vertex_um = (sum / ok as f64).sqrt() * 1e3;
        let (energy, _, _) = calorimeter::evaluate(
            &self.calorimeter,
            &theta[2..],
            s.eval_shower_samples,
            self.config.seed,
            calorimeter::Objective { cost_per_x0: 0.0 },
        )?;
        let (cost, _) = self.cost(theta);
        let a = &self.config.objective.analysis;
        Ok(Evaluation {
            objective: self.combine(vertex_um, energy, cost),
            vertex_resolution_um: vertex_um,
            energy_resolution: energy,
            cost,
            failed_fits: s.eval_vertex_events - ok,
            significance: objectives::significance(a, &vertex_um, &energy),
            information_gain: objectives::information_gain(a, &vertex_um, &energy),
        })
    }

    /// `∂J/∂θ` estimated on the sample of `seed`: vertex and cost parts exact for that sample,
    /// the energy part from stochastic triples.
    pub fn gradient(&self, theta: &[f64], seed: u64) -> Result<DesignGradient, DesignError> {
        self.check(theta)?;
        let s = &self.config.sample;
        let (sum, gsum, ok) = self.vertex_sums(
            [theta[0], theta[1]],
            child_key(seed, 0),
            s.vertex_events,
            true,
        );
        if ok == 0 {
            return Err(DesignError::NoVertices {
                jets: s.vertex_events,
            });
        }
        let mse = sum / ok as f64;
        let sigma = mse.sqrt();
        let t = &theta[2..];
        let cal = calorimeter::Objective { cost_per_x0: 0.0 };
        let (energy, de, shower_runs) = if self.config.calorimeter.black_box {
            self.surrogate_gradient(t, child_key(seed, 2))?
        } else {
            let est = self.shower_estimate(t, s.shower_samples, child_key(seed, 1))?;
            let (energy, _, _) = cal.value(est.value[0], est.value[1], t);
            let de = cal.gradient(
                est.value[0],
                est.value[1],
                &est.gradient[0],
                &est.gradient[1],
            );
            (energy, de, est.runs)
        };
        let (_, mut g) = self.cost(theta);
        // σ_v in μm = 1e3 √mse; ∂σ_v = 1e3 ∂mse / (2√mse); the physics term's slopes in σ_v
        // and σ_E chain onto ∂σ/∂θ.
        let [dv, de_phys] = self.physics_slopes(sigma * 1e3, energy);
        let wv = dv * 1e3 / (2.0 * sigma.max(1e-300));
        g[0] += wv * gsum[0] / ok as f64;
        g[1] += wv * gsum[1] / ok as f64;
        for (gj, d) in g[2..].iter_mut().zip(&de) {
            *gj += de_phys * d;
        }
        Ok(DesignGradient {
            gradient: g,
            vertex_resolution_um: sigma * 1e3,
            energy_resolution: energy,
            failed_fits: s.vertex_events - ok,
            shower_runs,
        })
    }

    /// Stochastic-triple estimate of `E[r], E[r²]` and their gradients, the samples shared among
    /// the ranks and reduced in sample order (the same numbers as
    /// [`diffhep::stochastic::EstimatorKind::Triple`] on one rank).
    fn shower_estimate(
        &self,
        t: &[f64],
        samples: usize,
        seed: u64,
    ) -> Result<diffhep::stochastic::GradientEstimate, DesignError> {
        self.calorimeter.shower.check_design(t)?;
        let ex = &self.exchange;
        let l = t.len();
        let per = 3 + 2 * l;
        let program = &self.calorimeter;
        let local: Vec<SampleTerms> = exchange::share(samples, ex.rank(), ex.size())
            .into_par_iter()
            .map(|i| StochasticTriples.sample_terms(program, t, seed, i as u64))
            .collect::<Result<_, _>>()?;
        let mut flat = Vec::with_capacity(local.len() * per);
        for term in &local {
            flat.extend_from_slice(&term.values);
            flat.extend_from_slice(&term.gradient);
            flat.push(term.runs as f64);
        }
        let all = ex.all_gather(&flat, &exchange::counts(samples, ex.size(), per));
        let terms: Vec<SampleTerms> = all
            .chunks(per)
            .map(|c| SampleTerms {
                values: c[..2].to_vec(),
                gradient: c[2..2 + 2 * l].to_vec(),
                score: Vec::new(),
                runs: c[per - 1] as usize,
            })
            .collect();
        Ok(StochasticTriples.reduce(&terms, 2, l))
    }

    /// Black-box energy term: `(σ_E, ∂σ_E/∂t, runs)` from the local linear surrogate of
    /// `E[(r − 1)²]` ([`surrogate`]); every design point uses the same shower seeds.
    fn surrogate_gradient(
        &self,
        t: &[f64],
        seed: u64,
    ) -> Result<(f64, Vec<f64>, usize), DesignError> {
        let c = &self.config.calorimeter;
        let n = self.config.sample.shower_samples;
        let obj = calorimeter::Objective { cost_per_x0: 0.0 };
        let deltas =
            surrogate::perturbations(c.surrogate_points, t.len(), c.surrogate_spread, seed);
        let mut ys = Vec::with_capacity(deltas.len());
        for d in &deltas {
            let p: Vec<f64> = t.iter().zip(d).map(|(a, b)| a * b.exp()).collect();
            let (rms, _, _) = calorimeter::evaluate(&self.calorimeter, &p, n, seed, obj)?;
            ys.push(rms * rms);
        }
        let (energy, _, _) = calorimeter::evaluate(&self.calorimeter, t, n, seed, obj)?;
        let (_, slope) = surrogate::local_linear_fit(&deltas, &ys)?;
        // y = σ_E²: ∂σ_E/∂t_j = (∂y/∂ln t_j) / (t_j · 2σ_E).
        let de = slope
            .iter()
            .zip(t)
            .map(|(g, tj)| g / (tj * 2.0 * energy.max(1e-300)))
            .collect();
        Ok((energy, de, (deltas.len() + 1) * n))
    }

    /// A fresh run: the initial design evaluated as step 0.
    pub fn start(&self) -> Result<Checkpoint, DesignError> {
        let theta = self.config.initial_design();
        let (lo, hi) = self.config.bounds();
        let adam = Adam::new(
            theta.len(),
            AdamConfig::with_lr(self.config.optimizer.learning_rate),
        )
        .map_err(OptimError::from)?;
        let mut design_loop = DesignLoop::new(
            &theta,
            Bounds::new(lo, hi)?,
            BoundMode::Logarithmic,
            Stepper::Adam(adam),
            StopRule::steps(self.config.optimizer.steps),
        )?;
        design_loop.record_current(&mut StudyObjective(self))?;
        Ok(Checkpoint {
            version: CHECKPOINT_VERSION,
            config: self.config.clone(),
            design_loop,
        })
    }

    fn check_checkpoint(&self, ck: &Checkpoint) -> Result<(), DesignError> {
        if ck.config != self.config {
            return Err(DesignError::Checkpoint(CheckpointError::Invalid(
                "the checkpoint was written with another configuration".into(),
            )));
        }
        Ok(())
    }

    /// One Adam step on `ln θ` with projection on the bounds, then evaluation.
    pub fn step(&self, ck: &mut Checkpoint) -> Result<(), DesignError> {
        self.check_checkpoint(ck)?;
        let mut objective = StudyObjective(self);
        ck.design_loop.step_once(&mut objective)?;
        ck.design_loop.record_current(&mut objective)?;
        Ok(())
    }

    /// Step until the configured number of steps is done. Observers see the loop after every
    /// step (a consistent checkpoint together with the configuration) and once at the end.
    pub fn run(
        &self,
        ck: &mut Checkpoint,
        observers: &mut [&mut dyn Observer<Evaluation>],
    ) -> Result<(), DesignError> {
        self.check_checkpoint(ck)?;
        ck.design_loop.run(&mut StudyObjective(self), observers)?;
        Ok(())
    }

    /// Like [`Study::run`], but stops at the next step boundary once `stop` is requested
    /// (Ctrl-C): returns `Ok(false)` then, with the state in `ck` (and in the checkpoint an
    /// observer such as [`results::ResultsFolder`] wrote after the last step) ready to resume
    /// to the same answer; `Ok(true)` when the run finished.
    pub fn run_until_stopped(
        &self,
        ck: &mut Checkpoint,
        observers: &mut [&mut dyn Observer<Evaluation>],
        stop: &StopFlag,
    ) -> Result<bool, DesignError> {
        self.check_checkpoint(ck)?;
        let out = ck
            .design_loop
            .run_until_stopped(&mut StudyObjective(self), observers, stop)?;
        Ok(out.is_some())
    }
}

#[cfg(test)]
mod tests;
