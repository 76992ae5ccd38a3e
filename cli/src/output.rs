//! Output locations, checked before any expensive work, and the overwrite rule.
//!
//! A run never silently overwrites the results of an earlier run: a results folder that already
//! holds files, or an output file that already exists, is refused with an error saying how to
//! continue (resume, another `--out`) unless `--force` is given. Every file is then written
//! atomically ([`diffhep::files`]), so a killed run never leaves a truncated file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

/// Check that `dir` can take the results of a run and create it: it must not be a file, must
/// be writable, and — unless `force` — must not hold files already (`hint` says what to do
/// instead, e.g. how to resume).
pub fn results_folder(dir: &Path, force: bool, hint: &str) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!("--out {}: is a file, not a folder", dir.display());
    }
    if !force && holds_files(dir)? {
        bail!(
            "--out {}: the folder already holds results of an earlier run; {hint}, choose another --out, or pass --force to overwrite",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("--out {}", dir.display()))?;
    probe_writable(dir)
}

/// [`results_folder`] for a resumable job whose checkpoint is `out/checkpoint.json`: the folder
/// may hold files when it is the folder of the checkpoint being resumed (`resumed`); the error
/// for an occupied folder says how to resume it.
pub fn resumable_folder(out: &Path, resumed: Option<&Path>, force: bool) -> anyhow::Result<()> {
    let here = |p: &Path| std::fs::canonicalize(p).ok();
    let resumes_here = resumed.is_some_and(|ck| {
        let folder = parent_of(ck);
        here(&folder).is_some() && here(&folder) == here(out)
    });
    let hint = format!(
        "resume it with --resume {}",
        out.join("checkpoint.json").display()
    );
    results_folder(out, force || resumes_here, &hint)
}

/// Check that `path` can be written as a new output file: its folder exists and is writable,
/// it is not a folder, and — unless `force` — it does not exist yet.
pub fn new_file(flag: &str, path: &Path, force: bool) -> anyhow::Result<()> {
    if path.is_dir() {
        bail!("{flag} {}: is a folder, not a file", path.display());
    }
    if path.exists() && !force {
        bail!(
            "{flag} {}: the file already exists; choose another name or pass --force to overwrite",
            path.display()
        );
    }
    let parent = parent_of(path);
    if !parent.is_dir() {
        bail!(
            "{flag} {}: the folder {} does not exist",
            path.display(),
            parent.display()
        );
    }
    probe_writable(&parent).with_context(|| format!("{flag} {}", path.display()))
}

/// The folder holding `path` (`.` for a bare file name).
pub fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn holds_files(dir: &Path) -> anyhow::Result<bool> {
    if !dir.exists() {
        return Ok(false);
    }
    let mut entries = std::fs::read_dir(dir).with_context(|| format!("--out {}", dir.display()))?;
    Ok(entries.next().is_some())
}

/// Create and remove a hidden file in `dir`, so an unwritable folder fails now, not after the
/// run.
fn probe_writable(dir: &Path) -> anyhow::Result<()> {
    let probe = dir.join(format!(".diffhep-write-probe.{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("{}: cannot write into the folder", dir.display()))?;
    std::fs::remove_file(&probe).with_context(|| probe.display().to_string())
}
