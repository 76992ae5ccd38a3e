//! The state of a benchmark run ([`super::run::run_resumable`]) saved at its phase boundaries —
//! after training, after each observation, after calibration — so that an interrupted run
//! resumes to the report of an uninterrupted one.
//!
//! What is kept is what each finished phase measured (the epochs and kept flow of training,
//! C2ST per observation, calibration). The trained estimator itself is not stored: a resumed run
//! that still has observations or calibration to do simulates and trains again, which with the
//! same seed reproduces the same estimator bit for bit (checked: the epochs must agree with the
//! saved ones). Timings are those of each phase's first completion.

use serde::{Deserialize, Serialize};

use super::error::{Result, SbiError};
use super::run::RunConfig;

/// The format version of [`RunCheckpoint`] files written by this build.
pub const CHECKPOINT_VERSION: u32 = 1;

/// The settings of a run, as stored in its checkpoint (everything of [`RunConfig`] that changes
/// the numbers, with the flow candidates as their debug text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Task name.
    pub task: String,
    /// Method name.
    pub method: String,
    /// Simulation budget.
    pub sims: usize,
    /// Seed.
    pub seed: u64,
    /// Observations to evaluate (1-based).
    pub observations: Vec<usize>,
    /// Posterior samples per observation.
    pub posterior_samples: usize,
    /// Calibration pairs (0: none).
    pub calibration_pairs: usize,
    /// Score-term weight (`None`: the method's default).
    pub score_weight: Option<f64>,
    /// Maximum training epochs.
    pub max_epochs: usize,
    /// The flow candidates of model selection, as debug text (compared, not parsed).
    pub flow_candidates: Vec<String>,
}

impl RunSettings {
    /// The settings of `cfg` on task `task`.
    pub fn of(task: &str, cfg: &RunConfig) -> Self {
        RunSettings {
            task: task.to_string(),
            method: cfg.method.name().to_string(),
            sims: cfg.sims,
            seed: cfg.seed,
            observations: cfg.observations.clone(),
            posterior_samples: cfg.posterior_samples,
            calibration_pairs: cfg.calibration_pairs,
            score_weight: cfg.score_weight,
            max_epochs: cfg.max_epochs,
            flow_candidates: cfg
                .flow_candidates
                .iter()
                .map(|c| format!("{c:?}"))
                .collect(),
        }
    }

    /// The run configuration these settings describe (with the default flow candidates, which
    /// must be the ones stored).
    pub fn to_config(&self) -> Result<RunConfig> {
        let base = RunConfig::default();
        let cfg = RunConfig {
            method: self.method.parse()?,
            sims: self.sims,
            seed: self.seed,
            observations: self.observations.clone(),
            posterior_samples: self.posterior_samples,
            calibration_pairs: self.calibration_pairs,
            score_weight: self.score_weight,
            max_epochs: self.max_epochs,
            flow_candidates: base.flow_candidates,
        };
        if RunSettings::of(&self.task, &cfg) != *self {
            return Err(SbiError::Config(
                "the checkpoint's flow candidates are not this build's defaults; it was written by another diffhep version or program".into(),
            ));
        }
        Ok(cfg)
    }
}

/// What training measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainedPhase {
    /// Seconds spent simulating.
    pub simulate_seconds: f64,
    /// Seconds spent training.
    pub train_seconds: f64,
    /// Epochs trained (by the kept candidate, for the flow estimators).
    pub epochs: usize,
    /// The flow architecture kept by model selection (NPE, NLE).
    pub selected_flow: Option<String>,
}

/// What one observation measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservationPhase {
    /// The observation (1-based).
    pub observation: usize,
    /// C2ST accuracy against the reference posterior.
    pub c2st: f64,
    /// Seconds drawing the estimated posterior.
    pub sample_seconds: f64,
    /// Seconds drawing the reference posterior.
    pub reference_seconds: f64,
}

/// What calibration measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationPhase {
    /// Largest |expected coverage − credibility|.
    pub coverage_error: f64,
    /// Expected coverage at levels 0.05, 0.10, …, 0.95.
    pub coverage: Vec<f64>,
    /// SBC rank Kolmogorov–Smirnov statistic.
    pub sbc_ks: f64,
}

/// The saved state of a run: its settings and the phases it has finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunCheckpoint {
    /// Format version ([`CHECKPOINT_VERSION`]).
    pub version: u32,
    /// The run's settings.
    pub settings: RunSettings,
    /// Training, once finished.
    pub trained: Option<TrainedPhase>,
    /// The observations finished, in the order of `settings.observations`.
    pub observations: Vec<ObservationPhase>,
    /// Calibration, once finished (stays `None` when `calibration_pairs` is 0).
    pub calibration: Option<CalibrationPhase>,
}

impl RunCheckpoint {
    /// A run of `cfg` on task `task` that has finished nothing.
    pub fn new(task: &str, cfg: &RunConfig) -> Self {
        RunCheckpoint {
            version: CHECKPOINT_VERSION,
            settings: RunSettings::of(task, cfg),
            trained: None,
            observations: Vec::new(),
            calibration: None,
        }
    }

    /// The checkpoint as JSON (floats round-trip exactly).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an SBI checkpoint serialises")
    }

    /// Read a checkpoint written by [`RunCheckpoint::to_json`], checking its version and that
    /// its finished phases fit its settings.
    pub fn from_json(text: &str) -> Result<Self> {
        let ck: RunCheckpoint = serde_json::from_str(text)
            .map_err(|e| SbiError::Config(format!("SBI checkpoint: {e}")))?;
        crate::files::check_version("the SBI checkpoint", ck.version, CHECKPOINT_VERSION)
            .map_err(|e| SbiError::Config(e.to_string()))?;
        let s = &ck.settings;
        let done: Vec<usize> = ck.observations.iter().map(|o| o.observation).collect();
        if done.len() > s.observations.len() || done[..] != s.observations[..done.len()] {
            return Err(SbiError::Config(format!(
                "SBI checkpoint: finished observations {done:?} do not match the run's {:?}",
                s.observations
            )));
        }
        let numbers = ck
            .observations
            .iter()
            .map(|o| o.c2st)
            .chain(ck.calibration.iter().flat_map(|c| {
                c.coverage
                    .iter()
                    .copied()
                    .chain([c.coverage_error, c.sbc_ks])
            }));
        for v in numbers {
            if !v.is_finite() {
                return Err(SbiError::NonFinite("a result in the SBI checkpoint"));
            }
        }
        if (ck.calibration.is_some() && s.calibration_pairs == 0)
            || (!ck.observations.is_empty() && ck.trained.is_none())
        {
            return Err(SbiError::Config(
                "SBI checkpoint: its finished phases do not fit its settings".into(),
            ));
        }
        Ok(ck)
    }

    /// Whether a phase after training remains.
    pub fn needs_estimator(&self) -> bool {
        self.observations.len() < self.settings.observations.len()
            || (self.settings.calibration_pairs > 0 && self.calibration.is_none())
    }

    /// Whether every phase is finished.
    pub fn is_finished(&self) -> bool {
        self.trained.is_some() && !self.needs_estimator()
    }

    /// A one-line description of how far the run got (e.g. "after training and 3 of 10
    /// observations").
    pub fn progress(&self) -> String {
        if self.trained.is_none() {
            return "before training finished".to_string();
        }
        let mut s = format!(
            "after training and {} of {} observations",
            self.observations.len(),
            self.settings.observations.len()
        );
        if self.calibration.is_some() {
            s.push_str(" and calibration");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> RunCheckpoint {
        let cfg = RunConfig {
            observations: vec![1, 2, 3],
            calibration_pairs: 10,
            ..RunConfig::default()
        };
        let mut ck = RunCheckpoint::new("two_moons", &cfg);
        ck.trained = Some(TrainedPhase {
            simulate_seconds: 0.1,
            train_seconds: 1.0,
            epochs: 12,
            selected_flow: None,
        });
        ck.observations.push(ObservationPhase {
            observation: 1,
            c2st: 0.55,
            sample_seconds: 0.2,
            reference_seconds: 0.3,
        });
        ck
    }

    #[test]
    fn a_checkpoint_round_trips_and_its_settings_give_back_the_configuration() {
        let ck = checkpoint();
        let back = RunCheckpoint::from_json(&ck.to_json()).unwrap();
        assert_eq!(back, ck);
        let cfg = back.settings.to_config().unwrap();
        assert_eq!(RunSettings::of("two_moons", &cfg), ck.settings);
        assert!(back.needs_estimator() && !back.is_finished());
        assert_eq!(back.progress(), "after training and 1 of 3 observations");
    }

    #[test]
    fn inconsistent_or_foreign_checkpoints_are_errors_naming_the_problem() {
        let mut other_obs = checkpoint();
        other_obs.observations[0].observation = 2;
        let e = RunCheckpoint::from_json(&other_obs.to_json()).unwrap_err();
        assert!(e.to_string().contains("do not match"), "{e}");

        let mut newer = checkpoint();
        newer.version = CHECKPOINT_VERSION + 1;
        let e = RunCheckpoint::from_json(&newer.to_json()).unwrap_err();
        assert!(e.to_string().contains("another diffhep version"), "{e}");

        let mut nan = checkpoint();
        nan.observations[0].c2st = f64::NAN;
        // JSON has no NaN: serde writes null, which does not parse as a number.
        assert!(RunCheckpoint::from_json(&nan.to_json()).is_err());

        let mut untrained = checkpoint();
        untrained.trained = None;
        let e = RunCheckpoint::from_json(&untrained.to_json()).unwrap_err();
        assert!(e.to_string().contains("do not fit"), "{e}");

        let text = checkpoint().to_json();
        let e = RunCheckpoint::from_json(&text[..text.len() / 2]).unwrap_err();
        assert!(e.to_string().contains("SBI checkpoint"), "{e}");
    }
}
