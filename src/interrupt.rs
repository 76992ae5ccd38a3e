//! Stopping a long run cleanly.
//!
//! A [`StopFlag`] is shared between whoever wants a run to stop (the command line's Ctrl-C
//! handler, a test, a notebook) and the loops of the long jobs (the design loop, FAB training,
//! SBI training). The loops look at it only at their step boundaries, so a requested stop ends
//! the run after the current step, with its checkpoint written, and a resumed run continues
//! bit-identically to one that was never interrupted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A request to stop at the next step boundary (cheap to clone; clones share the request).
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag with no stop requested.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the run to stop at its next step boundary.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop has been requested.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The shared boolean, for signal handlers that set an `AtomicBool` (e.g. `signal-hook`).
    pub fn shared(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_request() {
        let a = StopFlag::new();
        let b = a.clone();
        assert!(!b.is_requested());
        a.request();
        assert!(b.is_requested());
        assert!(a.shared().load(Ordering::SeqCst));
    }
}
