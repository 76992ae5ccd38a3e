//! Writing files so that nothing is lost.
//!
//! Every output file of diffhep (checkpoints, flows, networks, LHE files, reports) goes through
//! [`write_atomic`] or [`AtomicFile`]: the bytes are written to a temporary file in the same
//! folder, flushed to disk and renamed over the destination. A rename within one file system is
//! atomic, so a reader (or a run killed half way, even by `SIGKILL`) sees either the old file or
//! the complete new one, never a truncated file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file (or folder) that could not be written, with its path and the I/O error.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The file (or folder) being written.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    fn at(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
        move |source| WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The temporary name beside `path` (hidden, unique per process) that is renamed into place.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Write `bytes` to `path` atomically: temporary file, flush and `fsync`, rename.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), WriteError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes.as_ref()).map_err(WriteError::at(path))?;
    f.commit()
}

/// A file being written under a temporary name, renamed to its destination by
/// [`AtomicFile::commit`]. Dropped without a commit (an error half way), the temporary file is
/// removed and the destination is untouched.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Start writing `path` (nothing is visible at `path` until [`AtomicFile::commit`]).
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        let tmp = temporary(path);
        let f = File::create(&tmp).map_err(WriteError::at(path))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            out: Some(BufWriter::new(f)),
        })
    }

    /// Flush, `fsync` and rename the file into place.
    pub fn commit(mut self) -> Result<(), WriteError> {
        let err = WriteError::at(&self.path);
        let out = self.out.take().expect("an uncommitted file has its writer");
        let f = out.into_inner().map_err(|e| err(e.into_error()))?;
        f.sync_all().map_err(&err)?;
        drop(f);
        std::fs::rename(&self.tmp, &self.path).map_err(&err)?;
        // Make the rename itself durable where the platform allows it.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("writer").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("writer").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Create the folder `dir` (and its parents) if it does not exist.
pub fn create_dir(dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(WriteError::at(dir))
}

/// A file written by another version of diffhep (a checkpoint whose format this build does not
/// read), with the versions involved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} has format version {found}, this build of diffhep reads version {reads}: it was written by another diffhep version; rerun it with this one")]
pub struct VersionError {
    /// What the file is (e.g. "the checkpoint").
    pub what: &'static str,
    /// The version the file states.
    pub found: u32,
    /// The version this build reads.
    pub reads: u32,
}

/// The format version stated by files written before versions were stated (serde default of
/// the `version` fields): the first one.
pub fn first_version() -> u32 {
    1
}

/// Check that a file's format version `found` is the one this build reads.
pub fn check_version(what: &'static str, found: u32, reads: u32) -> Result<(), VersionError> {
    if found == reads {
        Ok(())
    } else {
        Err(VersionError { what, found, reads })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("diffhep-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        create_dir(&d).unwrap();
        d
    }

    #[test]
    fn write_replaces_the_whole_file_and_leaves_no_temporary() {
        let d = scratch("replace");
        let p = d.join("a.json");
        write_atomic(&p, "first, longer content").unwrap();
        write_atomic(&p, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn an_uncommitted_file_leaves_the_old_one_untouched() {
        let d = scratch("abort");
        let p = d.join("b.txt");
        write_atomic(&p, "old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"half of the new").unwrap();
            // dropped without commit: an error half way
        }
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    }

    #[test]
    fn another_format_version_is_an_error_naming_both() {
        assert_eq!(check_version("the checkpoint", 1, 1), Ok(()));
        let e = check_version("the checkpoint", 7, 1).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("version 7") && m.contains("reads version 1"),
            "{m}"
        );
    }

    #[test]
    fn an_unwritable_destination_is_an_error_naming_it() {
        let d = scratch("bad");
        let p = d.join("no-such-folder").join("c.txt");
        let e = write_atomic(&p, "x").unwrap_err();
        assert!(e.to_string().contains("no-such-folder"), "{e}");
    }
}
