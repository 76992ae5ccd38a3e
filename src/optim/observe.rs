//! Observers of a design loop: a terminal progress bar and a JSON-lines log.

use std::io::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::design::{DesignLoop, Outcome};
use super::error::OptimError;

/// Sees a [`DesignLoop`] run: after every update, and once more when the last design has been
/// evaluated.
///
/// The state it is given is a consistent checkpoint ([`DesignLoop::save`] it to make a run
/// resumable); its last history record is the one just completed.
pub trait Observer<R> {
    /// Called after each update (and after the final evaluation) with the loop's state.
    fn on_step(&mut self, state: &DesignLoop<R>) -> Result<(), OptimError>;
    /// Called once when [`DesignLoop::run`] ends.
    fn on_finish(&mut self, _state: &DesignLoop<R>, _outcome: &Outcome) -> Result<(), OptimError> {
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

impl<R> Observer<R> for ProgressObserver {
    fn on_step(&mut self, state: &DesignLoop<R>) -> Result<(), OptimError> {
        let max_steps = state.stop_rule().max_steps;
        let Some(r) = state.history().records.last() else {
            return Ok(());
        };
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
        bar.set_position(state.steps() as u64);
        bar.set_message(format!(
            "f = {:.6e}  |g| = {:.3e}",
            r.objective, r.grad_norm
        ));
        Ok(())
    }

    fn on_finish(&mut self, _state: &DesignLoop<R>, outcome: &Outcome) -> Result<(), OptimError> {
        if let Some(b) = &self.bar {
            b.finish_with_message(format!(
                "f = {:.6e} after {} steps ({:?})",
                outcome.objective, outcome.steps, outcome.reason
            ));
        }
        Ok(())
    }
}

/// Writes one JSON object per record (`{"step":…,"objective":…,"grad_norm":…,"params":[…],…}`,
/// when the record is complete) and one final `{"outcome":…}` line.
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

impl<W: Write, R: serde::Serialize> Observer<R> for JsonLinesObserver<W> {
    fn on_step(&mut self, state: &DesignLoop<R>) -> Result<(), OptimError> {
        match state.history().records.last() {
            Some(r) => self.line(r),
            None => Ok(()),
        }
    }

    fn on_finish(&mut self, _state: &DesignLoop<R>, outcome: &Outcome) -> Result<(), OptimError> {
        self.line(&serde_json::json!({ "outcome": outcome }))?;
        self.out.flush().map_err(|e| OptimError::Io(e.to_string()))
    }
}
