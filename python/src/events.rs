//! Batches of events: input arrays as slices (borrowed when C-contiguous), shape checks with
//! clear messages, and the parallel map over events.
//!
//! Events are independent, so the map hands them to rayon in blocks of [`BLOCK`] and collects
//! the results in event order: the output is the same at any thread count. When events fail, the
//! error reported is that of the first failing event in event order (not the first to fail in
//! time), so it is deterministic too. Batches of at most [`BLOCK`] events run on the calling
//! thread (no thread-pool round trip for a single event).

use std::borrow::Cow;

use numpy::ndarray::Dimension;
use numpy::{Element, PyReadonlyArray};
use pyo3::PyResult;
use rayon::prelude::*;

use crate::errors::invalid;

/// Events per parallel block.
pub const BLOCK: usize = 64;

/// The array's data in C order: borrowed if contiguous, copied otherwise.
pub fn data<'a, T: Element + Copy, D: Dimension>(a: &'a PyReadonlyArray<'_, T, D>) -> Cow<'a, [T]> {
    match a.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
    }
}

/// Check that `shape` matches `want` (`None` = any size on that axis); the message names the
/// argument and both shapes.
pub fn check_shape(name: &str, shape: &[usize], want: &[Option<usize>]) -> PyResult<()> {
    match shape_mismatch(name, shape, want) {
        None => Ok(()),
        Some(m) => Err(invalid(m)),
    }
}

/// The message of [`check_shape`], or `None` when the shape fits.
pub fn shape_mismatch(name: &str, shape: &[usize], want: &[Option<usize>]) -> Option<String> {
    let fits = shape.len() == want.len()
        && shape
            .iter()
            .zip(want)
            .all(|(s, w)| w.is_none_or(|w| w == *s));
    if fits {
        return None;
    }
    let want: Vec<String> = want
        .iter()
        .enumerate()
        .map(|(k, w)| w.map_or_else(|| format!("n{k}"), |w| w.to_string()))
        .collect();
    Some(format!(
        "{name}: expected an array of shape ({}), got {:?}",
        want.join(", "),
        shape
    ))
}

/// Check that every number is finite; the message names the argument and the first bad entry.
pub fn check_finite(name: &str, values: &[f64]) -> PyResult<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(invalid(format!(
            "{name}: entry {k} (flat index) is {}",
            values[k]
        ))),
    }
}

/// `f(i)` for every event `i < n`, in parallel blocks, in event order; the first error in event
/// order is returned with its event index.
pub fn map<T: Send, E: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T, E> + Sync + Send,
) -> Result<Vec<T>, (usize, E)> {
    map_init(n, || (), |_, i| f(i))
}

/// `f(i)` for every event `i < n` that cannot fail, in parallel blocks, in event order.
pub fn map_infallible<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    match map(n, |i| Ok::<T, std::convert::Infallible>(f(i))) {
        Ok(v) => v,
        Err((_, never)) => match never {},
    }
}

/// [`map`] with per-worker state made by `init` (e.g. a reusable tape).
pub fn map_init<T: Send, E: Send, S>(
    n: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize) -> Result<T, E> + Sync + Send,
) -> Result<Vec<T>, (usize, E)> {
    let results: Vec<Result<T, E>> = if n <= BLOCK {
        let mut state = init();
        (0..n).map(|i| f(&mut state, i)).collect()
    } else {
        (0..n)
            .into_par_iter()
            .with_min_len(BLOCK)
            .map_init(&init, |s, i| f(s, i))
            .collect()
    };
    let mut out = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        out.push(r.map_err(|e| (i, e))?);
    }
    Ok(out)
}
