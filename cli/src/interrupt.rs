//! Ctrl-C in a long job: SIGINT (or SIGTERM) asks the running job to stop at its next step
//! boundary, where it writes its checkpoint and says how to resume; a second Ctrl-C exits at
//! once (the last checkpoint on disk stays intact, every file being written atomically).

use diffhep::interrupt::StopFlag;
use signal_hook::consts::{SIGINT, SIGTERM};

/// Exit status of a run stopped by a signal (128 + SIGINT, the shell convention).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Install the handlers and return the flag they set.
pub fn install() -> anyhow::Result<StopFlag> {
    let flag = StopFlag::new();
    for sig in [SIGINT, SIGTERM] {
        // The first registration exits if the flag is already set (a second signal), the
        // second sets it.
        signal_hook::flag::register_conditional_shutdown(
            sig,
            EXIT_INTERRUPTED.into(),
            flag.shared(),
        )?;
        signal_hook::flag::register(sig, flag.shared())?;
    }
    Ok(flag)
}

/// A job that stopped at a step boundary because a stop was requested: what was saved and the
/// command that continues it.
#[derive(Debug, thiserror::Error)]
#[error("interrupted {at}; checkpoint {checkpoint}; resume with: {resume}")]
pub struct Interrupted {
    /// Where the job stopped (e.g. "after step 12 of 40").
    pub at: String,
    /// The checkpoint written.
    pub checkpoint: String,
    /// The command line that continues the run.
    pub resume: String,
}
