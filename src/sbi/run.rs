//! One benchmark run: simulate, train an estimator, sample the posterior of the task's reference
//! observations, and score it (C2ST against the reference posterior, calibration, timings).
//! Used by the `diffhep sbi` command, the `sbi_table` example and the bench.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use serde::Serialize;

use super::c2st::{c2st, C2stConfig};
use super::calibration::calibrate;
use super::checkpoint::{
    CalibrationPhase, ObservationPhase, RunCheckpoint, RunSettings, TrainedPhase,
};
use super::error::{Result, SbiError};
use super::estimator::Estimator;
use super::flow_estimators::{FlowEstimator, FlowEstimatorConfig, NleEstimator, NpeEstimator};
use super::mdn::{MdnConfig, MdnEstimator};
use super::posterior::Posterior;
use super::prior::Prior;
use super::ratio::{RatioConfig, RatioEstimator};
use super::task::{simulate_set, SimulationSet, Task};
use crate::interrupt::StopFlag;

/// The estimators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Flow NPE.
    Npe,
    /// Flow NLE with SMC–MALA posterior sampling.
    Nle,
    /// Classifier NRE with SMC–MALA posterior sampling.
    Nre,
    /// Mixture-density NPE (the plain counterpart of SCANDAL).
    Mdn,
    /// Mixture-density NPE with the joint-score term.
    Scandal,
    /// NRE with the joint-score term.
    Rascal,
}

/// The method names, in the order of [`Method::ALL`] (as accepted by [`FromStr`]).
pub const METHOD_NAMES: [&str; 6] = ["npe", "nle", "nre", "mdn", "scandal", "rascal"];

impl FromStr for Method {
    type Err = SbiError;

    /// Parse a method name; an unknown name is an error listing [`METHOD_NAMES`].
    fn from_str(s: &str) -> Result<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                SbiError::Unknown(format!("method {s:?} (known: {})", METHOD_NAMES.join(", ")))
            })
    }
}

impl fmt::Display for Method {
    /// The name ([`Method::name`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Method {
    /// Every method, in the order of [`METHOD_NAMES`].
    pub const ALL: [Method; 6] = [
        Method::Npe,
        Method::Nle,
        Method::Nre,
        Method::Mdn,
        Method::Scandal,
        Method::Rascal,
    ];

    /// The name (as accepted by [`FromStr`]).
    pub fn name(self) -> &'static str {
        METHOD_NAMES[self as usize]
    }

    /// Default weight λ of the score term (dimensionless, θ z-scored), chosen on the Galton
    /// board (examples/sbi_gradients.rs: λ ∈ {0.1, 1, 10}, 5 seeds, 30–1000 simulations):
    /// 1 for SCANDAL, 0.1 for RASCAL; 0 for the plain methods.
    pub fn default_score_weight(self) -> f64 {
        match self {
            Method::Scandal => 1.0,
            Method::Rascal => 0.1,
            _ => 0.0,
        }
    }

    /// Whether the method needs the simulator's joint scores.
    pub fn needs_joint_score(self) -> bool {
        matches!(self, Method::Scandal | Method::Rascal)
    }
}

/// Settings of [`run`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The estimator.
    pub method: Method,
    /// Simulation budget.
    pub sims: usize,
    /// Seed of simulations, training and sampling.
    pub seed: u64,
    /// Reference observations to evaluate (1-based).
    pub observations: Vec<usize>,
    /// Posterior samples per observation (and reference samples) for C2ST.
    pub posterior_samples: usize,
    /// Test pairs for SBC / expected coverage (0: skip).
    pub calibration_pairs: usize,
    /// Weight λ of the score term for SCANDAL / RASCAL (`None`: the method's default,
    /// [`Method::default_score_weight`]).
    pub score_weight: Option<f64>,
    /// Maximum training epochs.
    pub max_epochs: usize,
    /// Candidate architectures of the flow estimators (NPE, NLE), of which the one with the
    /// lowest validation loss is kept; their seeds and epoch limits are overridden by `seed`
    /// and `max_epochs`.
    pub flow_candidates: Vec<FlowEstimatorConfig>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            method: Method::Npe,
            sims: 10_000,
            seed: 0,
            observations: vec![1],
            posterior_samples: 10_000,
            calibration_pairs: 0,
            score_weight: None,
            max_epochs: 1000,
            flow_candidates: FlowEstimatorConfig::default_candidates(),
        }
    }
}

/// What [`run`] measured: printed as text by its [`Display`](fmt::Display) and as JSON by its
/// [`Serialize`] (the two outputs of `diffhep sbi`).
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Task name.
    pub task: String,
    /// Method name.
    pub method: String,
    /// Simulation budget.
    pub sims: usize,
    /// Seed.
    pub seed: u64,
    /// Observations evaluated.
    pub observations: Vec<usize>,
    /// Mean C2ST over the observations.
    pub c2st: f64,
    /// C2ST per observation.
    pub c2st_per_observation: Vec<f64>,
    /// Seconds spent simulating.
    pub simulate_seconds: f64,
    /// Seconds spent training.
    pub train_seconds: f64,
    /// Epochs trained (by the kept candidate, for the flow estimators).
    pub epochs: usize,
    /// The flow architecture kept by model selection (NPE, NLE).
    pub selected_flow: Option<String>,
    /// Seconds spent drawing the estimated posterior samples (all observations).
    pub sample_seconds: f64,
    /// Estimated-posterior samples per second.
    pub samples_per_second: f64,
    /// Seconds spent on reference posteriors.
    pub reference_seconds: f64,
    /// Largest |expected coverage − credibility| over levels 0.05…0.95 (if calibrated).
    pub coverage_error: Option<f64>,
    /// Expected coverage at levels 0.05, 0.10, …, 0.95 (if calibrated).
    pub coverage: Option<Vec<f64>>,
    /// SBC rank Kolmogorov–Smirnov statistic (if calibrated).
    pub sbc_ks: Option<f64>,
}

impl fmt::Display for RunReport {
    /// The text report of `diffhep sbi` (several lines, no final newline): C2ST per observation
    /// and their mean, the kept flow, calibration when measured, and timings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "task {}  method {}  sims {}  seed {}",
            self.task, self.method, self.sims, self.seed
        )?;
        for (k, c) in self.observations.iter().zip(&self.c2st_per_observation) {
            writeln!(f, "  observation {k:>2}: C2ST {c:.3}")?;
        }
        writeln!(
            f,
            "C2ST (mean over observations) {:.3}   (0.5 = indistinguishable from the reference)",
            self.c2st
        )?;
        if let Some(flow) = &self.selected_flow {
            writeln!(f, "flow kept by validation loss: {flow}")?;
        }
        if let (Some(e), Some(ks)) = (self.coverage_error, self.sbc_ks) {
            writeln!(
                f,
                "expected coverage: max |coverage − level| {e:.3}; SBC rank KS statistic {ks:.3}"
            )?;
        }
        write!(
            f,
            "timings: simulate {:.2} s, train {:.2} s ({} epochs), sample {:.2} s ({:.0} samples/s), reference {:.2} s",
            self.simulate_seconds,
            self.train_seconds,
            self.epochs,
            self.sample_seconds,
            self.samples_per_second,
            self.reference_seconds
        )
    }
}

/// A trained estimator.
pub struct TrainedEstimator {
    /// The posterior it provides.
    pub posterior: Box<dyn Posterior>,
    /// Epochs trained (by the kept candidate, for the flow estimators).
    pub epochs: usize,
    /// The flow architecture kept by model selection (NPE, NLE).
    pub selected_flow: Option<String>,
}

/// Train the chosen estimator on `cfg.sims` simulations of `task`.
pub fn train_estimator(task: &dyn Task, cfg: &RunConfig) -> Result<TrainedEstimator> {
    let set = simulate_set(task, cfg.sims, cfg.seed, cfg.method.needs_joint_score())?;
    train_on(task, &set, cfg)
}

impl TrainedEstimator {
    /// Train estimator `E` with one configuration.
    fn fit<E: Estimator + 'static>(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &E::Config,
    ) -> Result<Self> {
        let (e, report) = E::fit(set, prior, x_dim, cfg)?;
        Ok(TrainedEstimator {
            epochs: E::epochs(&report),
            posterior: Box::new(e),
            selected_flow: None,
        })
    }

    /// Train flow estimator `E` on every candidate and keep the best.
    fn fit_selected<E: FlowEstimator + 'static>(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        candidates: &[FlowEstimatorConfig],
    ) -> Result<Self> {
        let (e, sel) = E::fit_selected(set, prior, x_dim, candidates)?;
        Ok(TrainedEstimator {
            epochs: E::epochs(&sel.report),
            posterior: Box::new(e),
            selected_flow: Some(candidates[sel.chosen].describe()),
        })
    }
}

/// Train the chosen estimator on a given simulation set of `task`.
pub fn train_on(task: &dyn Task, set: &SimulationSet, cfg: &RunConfig) -> Result<TrainedEstimator> {
    let prior = task.prior();
    let xd = task.x_dim();
    // The score-term weight of a gradient-augmented method (0 for its plain counterpart).
    let score_weight = |augmented: Method| {
        if cfg.method == augmented {
            cfg.score_weight.unwrap_or(augmented.default_score_weight())
        } else {
            0.0
        }
    };
    match cfg.method {
        Method::Npe | Method::Nle => {
            let candidates: Vec<FlowEstimatorConfig> = cfg
                .flow_candidates
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c.seed = cfg.seed;
                    c.fit.seed = cfg.seed;
                    c.fit.epochs = cfg.max_epochs;
                    c
                })
                .collect();
            if cfg.method == Method::Npe {
                TrainedEstimator::fit_selected::<NpeEstimator>(set, prior, xd, &candidates)
            } else {
                TrainedEstimator::fit_selected::<NleEstimator>(set, prior, xd, &candidates)
            }
        }
        Method::Nre | Method::Rascal => {
            let mut rc = RatioConfig {
                seed: cfg.seed,
                score_weight: score_weight(Method::Rascal),
                ..RatioConfig::default()
            };
            rc.train.epochs = cfg.max_epochs;
            rc.train.seed = cfg.seed;
            TrainedEstimator::fit::<RatioEstimator>(set, prior, xd, &rc)
        }
        Method::Mdn | Method::Scandal => {
            let mut mc = MdnConfig {
                seed: cfg.seed,
                score_weight: score_weight(Method::Scandal),
                ..MdnConfig::default()
            };
            mc.train.epochs = cfg.max_epochs;
            mc.train.seed = cfg.seed;
            TrainedEstimator::fit::<MdnEstimator>(set, prior, xd, &mc)
        }
    }
}

/// Simulate, train, sample and score.
pub fn run(task: &dyn Task, cfg: &RunConfig) -> Result<RunReport> {
    let mut ck = RunCheckpoint::new(task.name(), cfg);
    let report = run_resumable(task, cfg, &mut ck, &StopFlag::new(), &mut |_| Ok(()))?;
    Ok(report.expect("a run that is never asked to stop finishes"))
}

/// Check `cfg` on `task` before any simulation: budgets, the observations (they must exist),
/// the score weight, and that a gradient-augmented method has joint scores.
pub fn validate(task: &dyn Task, cfg: &RunConfig) -> Result<()> {
    if cfg.sims < 10 {
        return Err(SbiError::Config(format!(
            "at least 10 simulations needed, got {}",
            cfg.sims
        )));
    }
    if cfg.observations.is_empty() || cfg.posterior_samples < 10 {
        return Err(SbiError::Config(
            "need at least one observation and 10 posterior samples".into(),
        ));
    }
    if cfg.max_epochs == 0 {
        return Err(SbiError::Config("at least 1 training epoch needed".into()));
    }
    if let Some(w) = cfg.score_weight {
        if !(w.is_finite() && w >= 0.0) {
            return Err(SbiError::Config(format!(
                "score weight {w}: must be finite and ≥ 0"
            )));
        }
    }
    for &k in &cfg.observations {
        task.observation(k)?;
    }
    if cfg.method.needs_joint_score()
        && task
            .simulate_with_joint_score(&task.prior().sample(1, 0), 0, 0)
            .is_none()
    {
        return Err(SbiError::Config(format!(
            "method {} needs joint scores; task {} has none (use galton or ee_mumu)",
            cfg.method.name(),
            task.name()
        )));
    }
    Ok(())
}

/// [`run`] in phases — simulate and train, each observation, calibration — continuing the
/// phases `ck` has not finished. After each finished phase `ck` is updated and passed to `save`;
/// if `stop` is requested, the run returns `Ok(None)` at the next phase boundary (with `ck`
/// saved). Resumed from a saved `ck`, the report equals the uninterrupted run's (timings of a
/// phase are those of its first completion); see [`super::checkpoint`].
pub fn run_resumable(
    task: &dyn Task,
    cfg: &RunConfig,
    ck: &mut RunCheckpoint,
    stop: &StopFlag,
    save: &mut dyn FnMut(&RunCheckpoint) -> Result<()>,
) -> Result<Option<RunReport>> {
    validate(task, cfg)?;
    if ck.settings != RunSettings::of(task.name(), cfg) {
        return Err(SbiError::Config(
            "the checkpoint was written by a run with other settings".into(),
        ));
    }
    let d = task.theta_dim();
    if ck.trained.is_none() || ck.needs_estimator() {
        if stop.is_requested() {
            return Ok(None);
        }
        let t0 = Instant::now();
        let set = simulate_set(task, cfg.sims, cfg.seed, cfg.method.needs_joint_score())?;
        let simulate_seconds = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let trained = train_on(task, &set, cfg)?;
        let train_seconds = t1.elapsed().as_secs_f64();
        match &ck.trained {
            Some(before) if before.epochs != trained.epochs => {
                return Err(SbiError::Config(format!(
                    "retraining on resume gave another estimator ({} epochs, {} before the interruption)",
                    trained.epochs, before.epochs
                )));
            }
            Some(_) => {}
            None => {
                ck.trained = Some(TrainedPhase {
                    simulate_seconds,
                    train_seconds,
                    epochs: trained.epochs,
                    selected_flow: trained.selected_flow.clone(),
                });
                save(ck)?;
            }
        }
        let post = trained.posterior;
        for &k in &cfg.observations[ck.observations.len()..] {
            if stop.is_requested() {
                return Ok(None);
            }
            let obs = task.observation(k)?;
            let t = Instant::now();
            let est = post.sample(&obs.x, cfg.posterior_samples, cfg.seed ^ (0x5a3 + k as u64))?;
            let sample_seconds = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let reference =
                task.reference_posterior(&obs.x, cfg.posterior_samples, 1000 + k as u64)?;
            let reference_seconds = t.elapsed().as_secs_f64();
            let c = c2st(&reference, &est, d, &C2stConfig::default())?;
            if !c.accuracy.is_finite() {
                return Err(SbiError::NonFinite("C2ST accuracy"));
            }
            ck.observations.push(ObservationPhase {
                observation: k,
                c2st: c.accuracy,
                sample_seconds,
                reference_seconds,
            });
            save(ck)?;
        }
        if cfg.calibration_pairs > 0 && ck.calibration.is_none() {
            if stop.is_requested() {
                return Ok(None);
            }
            let test = simulate_set(task, cfg.calibration_pairs, cfg.seed ^ 0xca11, false)?;
            let sample = |x: &[f64], n: usize, s: u64| post.sample(x, n, s);
            let lp = |t: &[f64], x: &[f64]| post.log_prob(t, x);
            let cal = calibrate(&test.theta, &test.x, d, 200, &sample, &lp, cfg.seed)?;
            let numbers = cal
                .coverage
                .iter()
                .chain([&cal.max_coverage_error, &cal.sbc_ks]);
            if numbers.into_iter().any(|v| !v.is_finite()) {
                return Err(SbiError::NonFinite("calibration (coverage or SBC)"));
            }
            ck.calibration = Some(CalibrationPhase {
                coverage_error: cal.max_coverage_error,
                coverage: cal.coverage,
                sbc_ks: cal.sbc_ks,
            });
            save(ck)?;
        }
    }
    Ok(Some(report_of(task, cfg, ck)))
}

/// The report of a finished run.
fn report_of(task: &dyn Task, cfg: &RunConfig, ck: &RunCheckpoint) -> RunReport {
    let trained = ck.trained.clone().expect("a finished run has trained");
    let c2s: Vec<f64> = ck.observations.iter().map(|o| o.c2st).collect();
    let sample_seconds: f64 = ck.observations.iter().map(|o| o.sample_seconds).sum();
    let reference_seconds = ck.observations.iter().map(|o| o.reference_seconds).sum();
    let n_samples = cfg.posterior_samples * cfg.observations.len();
    let cal = ck.calibration.clone();
    RunReport {
        task: task.name().to_string(),
        method: cfg.method.name().to_string(),
        sims: cfg.sims,
        seed: cfg.seed,
        observations: cfg.observations.clone(),
        c2st: c2s.iter().sum::<f64>() / c2s.len() as f64,
        c2st_per_observation: c2s,
        simulate_seconds: trained.simulate_seconds,
        train_seconds: trained.train_seconds,
        epochs: trained.epochs,
        selected_flow: trained.selected_flow,
        sample_seconds,
        samples_per_second: n_samples as f64 / sample_seconds.max(1e-12),
        reference_seconds,
        coverage_error: cal.as_ref().map(|c| c.coverage_error),
        coverage: cal.as_ref().map(|c| c.coverage.clone()),
        sbc_ks: cal.map(|c| c.sbc_ks),
    }
}
