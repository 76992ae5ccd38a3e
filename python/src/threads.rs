//! `pin_threads`: the thread pool every batched function runs on, with its workers pinned one
//! per CPU ([`diffhep::threads::pin_global_pool`]; the reason and the measurements are in that
//! module's documentation).

use diffhep::threads::{pin_global_pool, PoolError};
use pyo3::prelude::*;

use crate::errors;

/// Make the thread pool that every batched function uses `threads` workers, each pinned to its
/// own CPU (Linux). Call it once, before the first batched call: the pool is set up at its first
/// use and only once, so a later call raises ``RuntimeError``. ``threads = 0`` raises
/// ``ValueError``; on other systems it raises ``RuntimeError``. Pin only when the process has
/// the CPUs to itself. Results do not depend on the pool.
#[pyfunction]
pub fn pin_threads(threads: usize) -> PyResult<()> {
    pin_global_pool(threads).map_err(|e| match e {
        PoolError::NoThreads => errors::value_error("pin_threads", &e),
        _ => errors::runtime_error("pin_threads", &e),
    })
}
