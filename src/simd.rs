//! Run-time SIMD dispatch: the fast vector path of the CPU, in a default build.
//!
//! # Method
//! A default `cargo build --release` targets the x86-64 baseline (SSE2), and code compiled for
//! it cannot use AVX2 or AVX-512 instructions. Instead of asking users to rebuild with
//! `-C target-cpu=native`, diffhep compiles its hot loops several times: [`dispatch`] calls a
//! closure from inside a function compiled with `#[target_feature(enable = "avx2,fma")]` or
//! `#[target_feature(enable = "avx512f,…")]`, chosen once at run time from what the CPU reports
//! (`is_x86_feature_detected!`). Everything *inlined* into that function — the lane-dual
//! operations and the plain per-lane loops of [`crate::lanes::Block`] are all
//! `#[inline(always)]` — is compiled for the wider instructions. This is function
//! multiversioning by hand, as in the `multiversion` and `pulp` crates.
//!
//! What the caller must do: keep the hot code inlinable into the closure. The batch API
//! ([`crate::batch`]) dispatches its block kernels itself; an [`crate::batch::EventFn`]'s `eval`
//! and the generic helpers it calls should be `#[inline(always)]`, so that they are compiled
//! into each path rather than called as portable code (a call that is not inlined still gives
//! the same numbers, at the portable speed). Code that uses lane duals directly wraps its loop
//! in an always-inlined closure: `diffhep::simd::dispatch(#[inline(always)] || my_loop(..))`
//! (the attribute matters: without it LLVM may keep the closure out of line, compiled once for
//! the baseline).
//!
//! # Choosing a path
//! [`active`] is the best path the CPU supports, unless the environment variable
//! `DIFFHEP_SIMD` = `portable` | `avx2` | `avx512` forces one (for comparing paths in one binary;
//! read once). A forced path the CPU lacks, or an unknown name, is reported by [`env_choice`]
//! (the CLI refuses to start); [`active`] then falls back to detection. [`run_on`] runs a closure
//! on a named path and returns an error if the CPU lacks it.
//!
//! # Same numbers on every path
//! The block operations are correctly rounded IEEE operations lane by lane and never fuse a
//! multiply with an add, so every path computes the same bits (tested for each supported path
//! in `tests/simd_paths.rs`).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use thiserror::Error;

/// The environment variable that forces a dispatch path.
pub const ENV_VAR: &str = "DIFFHEP_SIMD";

/// A compiled code path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SimdPath {
    /// The build's own target (x86-64 baseline: SSE2, 2 lanes per instruction).
    Portable,
    /// AVX2 with FMA: 4 lanes per instruction.
    Avx2,
    /// AVX-512 (F, DQ, VL): 8 lanes per instruction.
    Avx512,
}

/// All paths, slowest first.
pub const ALL_PATHS: [SimdPath; 3] = [SimdPath::Portable, SimdPath::Avx2, SimdPath::Avx512];

/// Errors of path selection.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SimdError {
    /// A name that is not a path.
    #[error("unknown SIMD path '{0}' (known: portable, avx2, avx512)")]
    Unknown(String),
    /// A path this CPU cannot run.
    #[error("SIMD path {0} is not supported by this CPU (supported: {1})")]
    Unsupported(SimdPath, String),
}

impl SimdPath {
    /// The path's name as accepted by `DIFFHEP_SIMD`.
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Portable => "portable",
            SimdPath::Avx2 => "avx2",
            SimdPath::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            SimdPath::Portable => true,
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => {
                SimdPath::Avx2.is_supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The paths this CPU supports, slowest first.
    pub fn supported() -> Vec<SimdPath> {
        ALL_PATHS.into_iter().filter(|p| p.is_supported()).collect()
    }

    /// The fastest path this CPU supports.
    pub fn best() -> SimdPath {
        *Self::supported()
            .last()
            .expect("portable is always supported")
    }
}

impl fmt::Display for SimdPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SimdPath {
    type Err = SimdError;
    fn from_str(s: &str) -> Result<Self, SimdError> {
        ALL_PATHS
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SimdError::Unknown(s.to_string()))
    }
}

/// Check a requested path name against this CPU.
fn parse_supported(name: &str) -> Result<SimdPath, SimdError> {
    let p: SimdPath = name.parse()?;
    if p.is_supported() {
        Ok(p)
    } else {
        let names: Vec<&str> = SimdPath::supported().iter().map(|p| p.name()).collect();
        Err(SimdError::Unsupported(p, names.join(", ")))
    }
}

/// The path forced by `DIFFHEP_SIMD`, if set: `Ok(None)` when unset or empty, an error for an
/// unknown name or a path this CPU lacks.
pub fn env_choice() -> Result<Option<SimdPath>, SimdError> {
    match std::env::var(ENV_VAR) {
        Ok(v) if !v.trim().is_empty() => parse_supported(&v).map(Some),
        _ => Ok(None),
    }
}

/// The path [`dispatch`] runs: `DIFFHEP_SIMD` if it names a supported path, else the best one
/// the CPU supports. Determined once per process.
pub fn active() -> SimdPath {
    static ACTIVE: OnceLock<SimdPath> = OnceLock::new();
    *ACTIVE.get_or_init(|| env_choice().ok().flatten().unwrap_or_else(SimdPath::best))
}

/// Run `f` compiled for the [`active`] path.
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    on_path(active(), f)
}

/// Run `f` compiled for `path`; an error if this CPU lacks it.
#[inline(always)]
pub fn run_on<R>(path: SimdPath, f: impl FnOnce() -> R) -> Result<R, SimdError> {
    parse_supported(path.name())?;
    Ok(on_path(path, f))
}

/// Run `f` compiled for `path`, which must be supported (checked by the callers).
#[inline(always)]
pub(crate) fn on_path<R>(path: SimdPath, f: impl FnOnce() -> R) -> R {
    match path {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `path` is supported (checked by `active`/`run_on`/`resolve`), so the CPU has
        // the features these functions are compiled for.
        SimdPath::Avx2 => unsafe { x86::avx2(f) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        SimdPath::Avx512 => unsafe { x86::avx512(f) },
        _ => f(),
    }
}

/// A requested path (`None`: the active one), checked against the CPU.
pub fn resolve(requested: Option<SimdPath>) -> Result<SimdPath, SimdError> {
    match requested {
        None => Ok(active()),
        Some(p) => parse_supported(p.name()),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    /// `f` compiled with AVX2 and FMA enabled (inlined callees included).
    // `#[inline]` places a copy in each codegen unit that calls it, beside the closure, so
    // LLVM can inline the closure (and what it calls) into this function.
    #[inline]
    #[target_feature(enable = "avx,avx2,fma")]
    pub(super) unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// `f` compiled with AVX-512 F/DQ/VL enabled (inlined callees included).
    #[inline]
    #[target_feature(enable = "avx,avx2,fma,avx512f,avx512dq,avx512vl")]
    pub(super) unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_are_errors() {
        for p in ALL_PATHS {
            assert_eq!(p.name().parse::<SimdPath>().unwrap(), p);
            assert_eq!(p.to_string(), p.name());
        }
        assert_eq!(" AVX2 ".parse::<SimdPath>().unwrap(), SimdPath::Avx2);
        let e = "sse9".parse::<SimdPath>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown SIMD path 'sse9' (known: portable, avx2, avx512)"
        );
    }

    #[test]
    fn portable_always_runs_and_best_is_supported() {
        assert!(SimdPath::Portable.is_supported());
        assert!(SimdPath::best().is_supported());
        assert_eq!(run_on(SimdPath::Portable, || 41 + 1).unwrap(), 42);
        for p in ALL_PATHS {
            match run_on(p, || 7) {
                Ok(v) => assert!(p.is_supported() && v == 7),
                Err(e) => {
                    assert!(!p.is_supported());
                    assert!(e.to_string().contains("not supported by this CPU"), "{e}");
                }
            }
        }
    }
}
