//! Thread pools for batch work with each worker pinned to its own CPU.
//!
//! # Why pin
//! The batch API ([`crate::batch`]) runs its blocks on rayon's current pool. Whether two
//! workers actually run on two CPUs is the operating system's choice, and on a virtual machine
//! it is often the wrong one for short calls: a woken thread is placed near the thread that
//! woke it, so for the first milliseconds of a call both workers of a freshly woken pool may
//! share one CPU. Measured on the project's 2-vCPU KVM guest (e+e-→μ+μ- fit gradient, 10⁶
//! events, a timing loop of 30 calls, three rounds, twice): with rayon's default pool about
//! half of the calls ran at one-thread speed (round medians 2.3–3.4 ns/event against 3.3 on one
//! thread, fastest 1.67); with [`pinned_pool`] every round's median was 1.69–1.73 ns/event
//! (1.9×). `cargo bench --bench batch -- summary` prints both pools side by side.
//!
//! # What pinning does
//! Worker `i` is restricted to the `i`-th CPU of the set the calling thread may run on (so a
//! `taskset` or cgroup restriction is respected); with more workers than CPUs, workers wrap
//! around. Pin only when the pool has the CPUs to itself: two pinned pools, or a pinned pool
//! beside other busy threads, can do worse than the scheduler. Results do not depend on the
//! pool: the batch API's sums are bit-identical at any thread count.
//!
//! [`pinned_pool`] makes a pool to run calls in ([`rayon::ThreadPool::install`]);
//! [`pin_global_pool`] makes rayon's global pool a pinned one, once, at the start of a program
//! (the Python package's `diffhep.pin_threads`). Linux only (`sched_setaffinity`); elsewhere
//! both return [`PoolError::Unsupported`] and rayon's own pool is the one to use.
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! use diffhep::batch::{sum_gradient, BatchOptions, EventFn, Events};
//! use diffhep::Scalar;
//!
//! struct Square;
//! impl EventFn for Square {
//!     type Shared<S: Scalar> = Vec<S>;
//!     fn n_params(&self) -> usize { 1 }
//!     fn n_columns(&self) -> usize { 1 }
//!     fn shared<S: Scalar>(&self, p: &[S]) -> Vec<S> { p.to_vec() }
//!     fn eval<S: Scalar>(&self, p: &Vec<S>, x: &[S]) -> S {
//!         (x[0].clone() - p[0].clone()) * (x[0].clone() - p[0].clone())
//!     }
//! }
//!
//! let x: Vec<f64> = (0..100_000).map(|i| i as f64 * 1e-5).collect();
//! let events = Events::new(&[&x]).unwrap();
//! let pool = diffhep::threads::pinned_pool(2).unwrap();
//! // Parallel from 32 768 events on (`BatchOptions::parallel_min_events`).
//! let g = pool
//!     .install(|| sum_gradient(&Square, &[0.5], &events, &[0], &BatchOptions::default()))
//!     .unwrap();
//! // d/dp Σ (x − p)² = −2 (Σx − N p), here 1.0 (up to rounding).
//! let exact = -2.0 * (x.iter().sum::<f64>() - 0.5 * x.len() as f64);
//! assert!((g.gradient[0] - exact).abs() < 1e-9);
//! // The same bits as on the calling thread alone.
//! let serial = BatchOptions { parallel_min_events: usize::MAX, ..BatchOptions::default() };
//! assert_eq!(g, sum_gradient(&Square, &[0.5], &events, &[0], &serial).unwrap());
//! # }
//! ```

use std::io;

use thiserror::Error;

/// Why a pinned pool could not be made.
#[derive(Debug, Error)]
pub enum PoolError {
    /// A pool needs at least one worker.
    #[error("a thread pool needs at least one thread (0 requested)")]
    NoThreads,
    /// This operating system has no CPU affinity call the crate uses.
    #[error("pinning threads to CPUs is supported on Linux only; use rayon's default pool")]
    Unsupported,
    /// The set of CPUs the calling thread may run on could not be read.
    #[error("could not read the CPUs this process may run on")]
    Affinity(#[source] io::Error),
    /// rayon could not start the pool.
    #[error("could not start the thread pool")]
    Build(#[from] rayon::ThreadPoolBuildError),
    /// A worker could not be restricted to its CPU.
    #[error("could not pin worker {worker} to CPU {cpu}")]
    Pin {
        /// The worker's index in the pool.
        worker: usize,
        /// The CPU it was to run on.
        cpu: usize,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// A rayon pool of `threads` workers, worker `i` pinned to the `i`-th CPU the calling thread may
/// run on (wrapping around with more workers than CPUs). Run batch calls inside it with
/// [`rayon::ThreadPool::install`]. See the [module documentation](self) for when pinning helps.
pub fn pinned_pool(threads: usize) -> Result<rayon::ThreadPool, PoolError> {
    if threads == 0 {
        return Err(PoolError::NoThreads);
    }
    affinity::pinned(threads)
}

/// Make rayon's global pool (the one every batch call uses unless run inside another pool)
/// `threads` workers pinned as in [`pinned_pool`]. Call it once, at the start of the program,
/// before anything uses rayon: rayon's global pool can be set up only once, and a later call
/// returns [`PoolError::Build`] with rayon's reason.
pub fn pin_global_pool(threads: usize) -> Result<(), PoolError> {
    if threads == 0 {
        return Err(PoolError::NoThreads);
    }
    affinity::pin_global(threads)
}

/// The CPUs the calling thread may run on, in increasing order (Linux only).
pub fn allowed_cpus() -> Result<Vec<usize>, PoolError> {
    affinity::allowed()
}

#[cfg(target_os = "linux")]
mod affinity {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::PoolError;

    /// The calling thread's CPU set.
    fn current_set() -> io::Result<libc::cpu_set_t> {
        // SAFETY: `cpu_set_t` is a plain bit array for which all zeros is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: pid 0 is the calling thread; `set` is a valid, writable `cpu_set_t` of the
        // size passed.
        let rc =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(set)
    }

    pub(super) fn allowed() -> Result<Vec<usize>, PoolError> {
        let set = current_set().map_err(PoolError::Affinity)?;
        let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: `CPU_ISSET` reads bit `c` of a valid set; `c` is below the set's size.
        let cpus: Vec<usize> = (0..max)
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .collect();
        if cpus.is_empty() {
            return Err(PoolError::Affinity(io::Error::other(
                "the CPU set is empty",
            )));
        }
        Ok(cpus)
    }

    /// Restrict the calling thread to `cpu`.
    fn pin_current(cpu: usize) -> io::Result<()> {
        // SAFETY: as in `current_set`; `CPU_SET` writes bit `cpu`, which is below the set's size
        // (it came from `allowed`).
        let rc = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// What a pinning start handler reports: the first worker that could not be pinned.
    type Failure = Arc<Mutex<Option<PoolError>>>;

    /// A builder of `threads` workers, each pinning itself when it starts (failures go to
    /// `failed`).
    fn builder(threads: usize, failed: &Failure) -> Result<rayon::ThreadPoolBuilder, PoolError> {
        let cpus = allowed()?;
        let report = Arc::clone(failed);
        Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            // Short enough for Linux's 15-character thread names (`/proc/…/comm`).
            .thread_name(|i| format!("diffhep-pin-{i}"))
            .start_handler(move |worker| {
                let cpu = cpus[worker % cpus.len()];
                if let Err(source) = pin_current(cpu) {
                    let mut slot = report.lock().unwrap_or_else(|e| e.into_inner());
                    slot.get_or_insert(PoolError::Pin {
                        worker,
                        cpu,
                        source,
                    });
                }
            }))
    }

    /// The first pinning failure reported to `failed`. Call it after a broadcast on the pool:
    /// a worker has run its start handler by the time it runs a broadcast job.
    fn first_failure(failed: &Failure) -> Result<(), PoolError> {
        let err = failed.lock().unwrap_or_else(|e| e.into_inner()).take();
        err.map_or(Ok(()), Err)
    }

    pub(super) fn pinned(threads: usize) -> Result<rayon::ThreadPool, PoolError> {
        let failed = Failure::default();
        let pool = builder(threads, &failed)?.build()?;
        pool.broadcast(|_| ());
        first_failure(&failed)?;
        Ok(pool)
    }

    pub(super) fn pin_global(threads: usize) -> Result<(), PoolError> {
        let failed = Failure::default();
        builder(threads, &failed)?.build_global()?;
        rayon::broadcast(|_| ());
        first_failure(&failed)
    }
}

#[cfg(not(target_os = "linux"))]
mod affinity {
    use super::PoolError;

    pub(super) fn allowed() -> Result<Vec<usize>, PoolError> {
        Err(PoolError::Unsupported)
    }

    pub(super) fn pinned(_threads: usize) -> Result<rayon::ThreadPool, PoolError> {
        Err(PoolError::Unsupported)
    }

    pub(super) fn pin_global(_threads: usize) -> Result<(), PoolError> {
        Err(PoolError::Unsupported)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The CPUs the current thread may run on, read inside a worker.
    fn worker_cpus(pool: &rayon::ThreadPool) -> Vec<Vec<usize>> {
        pool.broadcast(|_| allowed_cpus().expect("a worker can read its CPU set"))
    }

    #[test]
    fn each_worker_runs_on_its_own_cpu_and_extra_workers_wrap_around() {
        let cpus = allowed_cpus().unwrap();
        let n = cpus.len();
        let pool = pinned_pool(n + 1).unwrap();
        let got = worker_cpus(&pool);
        assert_eq!(got.len(), n + 1);
        for (i, set) in got.iter().enumerate() {
            assert_eq!(set, &vec![cpus[i % n]], "worker {i}");
        }
        // The calling thread is not restricted by making the pool.
        assert_eq!(allowed_cpus().unwrap(), cpus);
    }

    #[test]
    fn a_pool_of_no_threads_is_an_error() {
        assert!(matches!(pinned_pool(0), Err(PoolError::NoThreads)));
        assert!(matches!(pin_global_pool(0), Err(PoolError::NoThreads)));
    }
}
