//! Writing result files: every file goes to a temporary name in its folder and is renamed into
//! place ([`diffhep::files`]), so an interrupted run never leaves a truncated file behind.

use std::path::Path;

pub use diffhep::files::{create_dir, WriteError};

/// Write `text` to `dir/name` atomically (temporary file, flush, rename).
pub fn write_atomic(dir: &Path, name: &str, text: &str) -> Result<(), WriteError> {
    diffhep::files::write_atomic(&dir.join(name), text)
}
