//! Observers of a design loop: a terminal progress bar and a JSON-lines log.

use std::io::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::design::{Outcome, StepRecord};
use super::error::OptimError;

/// Receives every step record of a [`super::DesignLoop`] run.
pub trait Observer {
    /// Called after each step with its record and the run's step limit.
    fn on_step(&mut self, record: &StepRecord, max_steps: usize) -> Result<(), OptimError>;
    /// Called once when [`super::DesignLoop::run`] ends.
    fn on_finish(&mut self, _outcome: &Outcome) -> Result<(), OptimError> {
        Ok(())
    }
}

/// A progress bar on standard error showing the step, objective and gradient norm; it draws
/// nothing when standard error is not a terminal.
pub struct ProgressObserver {
    bar: Option<ProgressBar>,
    hidden: bool,
}

impl ProgressObserver {
    /// A bar on standard error.
    pub fn new() -> Self {
        ProgressObserver {
            bar: None,
            hidden: false,
        }
    }

    /// A bar that never draws (for tests and `--json` runs).
    pub fn hidden() -> Self {
        ProgressObserver {
            bar: None,
            hidden: true,
        }
    }

    /// Position of the bar (steps observed), if any step has been observed.
    pub fn position(&self) -> Option<u64> {
        self.bar.as_ref().map(|b| b.position())
    }
}

impl Default for ProgressObserver {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for ProgressObserver {
    fn on_step(&mut self, r: &StepRecord, max_steps: usize) -> Result<(), OptimError> {
        let hidden = self.hidden;
        let bar = self.bar.get_or_insert_with(|| {
            let target = if hidden {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            };
            let b = ProgressBar::with_draw_target(Some(max_steps as u64), target);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed_precise}] {msg}")
            {
                b.set_style(style);
            }
            b
        });
        bar.set_position(r.step as u64 + 1);
        bar.set_message(format!(
            "f = {:.6e}  |g| = {:.3e}",
            r.objective, r.grad_norm
        ));
        Ok(())
    }

    fn on_finish(&mut self, outcome: &Outcome) -> Result<(), OptimError> {
        if let Some(b) = &self.bar {
            b.finish_with_message(format!(
                "f = {:.6e} after {} steps ({:?})",
                outcome.objective, outcome.steps, outcome.reason
            ));
        }
        Ok(())
    }
}

/// Writes one JSON object per step (`{"step":…,"objective":…,"grad_norm":…,"params":[…]}`) and
/// one final `{"outcome":…}` line.
pub struct JsonLinesObserver<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesObserver<W> {
    /// Log to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesObserver { out }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn line(&mut self, v: &impl serde::Serialize) -> Result<(), OptimError> {
        serde_json::to_writer(&mut self.out, v).map_err(|e| OptimError::Io(e.to_string()))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| OptimError::Io(e.to_string()))
    }
}

impl<W: Write> Observer for JsonLinesObserver<W> {
    fn on_step(&mut self, r: &StepRecord, _max_steps: usize) -> Result<(), OptimError> {
        self.line(r)
    }

    fn on_finish(&mut self, outcome: &Outcome) -> Result<(), OptimError> {
        self.line(&serde_json::json!({ "outcome": outcome }))?;
        self.out.flush().map_err(|e| OptimError::Io(e.to_string()))
    }
}
