//! Writing result files: every file goes to a temporary name in its folder and is renamed into
//! place, so an interrupted run never leaves a truncated file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A results file that could not be written, with its path and the I/O error.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The file (or folder) being written.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Write `text` to `dir/name` atomically (temporary file, flush, rename).
pub fn write_atomic(dir: &Path, name: &str, text: &str) -> Result<(), WriteError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let err = |source| WriteError {
        path: path.clone(),
        source,
    };
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(err)
}

/// Create the folder `dir` (and its parents) if it does not exist.
pub fn create_dir(dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })
}
