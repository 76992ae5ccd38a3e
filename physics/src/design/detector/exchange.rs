//! How ranks share the work of a gradient estimate: [`Serial`] on one process, `Mpi` across
//! processes (cargo feature `mpi`).
//!
//! Work is cut into ordered units (blocks of jets, shower samples); rank `r` of `n` takes the
//! contiguous share [`share`]`(units, r, n)`, computes per-unit results, and every rank gathers
//! all of them in rank order — which is unit order — and reduces them in that order. The numbers
//! are therefore the same for any number of ranks (and threads).

use std::fmt;
use std::ops::Range;

/// A group of ranks that can gather vectors of `f64`.
pub trait Exchange: Send + Sync + fmt::Debug {
    /// This rank's index, `0 ≤ rank < size`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// Every rank's `local` concatenated in rank order, on every rank; `counts[r]` is the length
    /// rank `r` contributes. Collective: every rank must call it with the same `counts`.
    fn all_gather(&self, local: &[f64], counts: &[usize]) -> Vec<f64>;
}

/// Rank `rank`'s contiguous share of `units` ordered units among `size` ranks.
pub fn share(units: usize, rank: usize, size: usize) -> Range<usize> {
    units * rank / size..units * (rank + 1) / size
}

/// Lengths every rank contributes when each unit gives `per_unit` numbers.
pub fn counts(units: usize, size: usize, per_unit: usize) -> Vec<usize> {
    (0..size)
        .map(|r| share(units, r, size).len() * per_unit)
        .collect()
}

/// One process: gathering is the identity.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl Exchange for Serial {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather(&self, local: &[f64], _counts: &[usize]) -> Vec<f64> {
        local.to_vec()
    }
}

#[cfg(feature = "mpi")]
pub use mpi_exchange::Mpi;

#[cfg(feature = "mpi")]
mod mpi_exchange {
    use mpi::datatype::PartitionMut;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::{Communicator, CommunicatorCollectives};
    use mpi::Count;

    use super::Exchange;

    /// The MPI world communicator. Build it with [`Mpi::world`] after initialising MPI with
    /// `Threading::Multiple` (see `examples/design_mpi.rs`), so any thread may call the
    /// collective.
    pub struct Mpi {
        world: SimpleCommunicator,
    }

    impl std::fmt::Debug for Mpi {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Mpi {{ rank: {}, size: {} }}", self.rank(), self.size())
        }
    }

    // SAFETY: the communicator is only a handle; `Mpi::world` requires MPI to run with
    // `Threading::Multiple`, under which MPI calls on it are safe from any thread. The study
    // calls the collective from one thread at a time, in the same order on every rank.
    unsafe impl Send for Mpi {}
    // SAFETY: as for `Send`.
    unsafe impl Sync for Mpi {}

    impl Mpi {
        /// The world communicator of an MPI environment initialised with
        /// `Threading::Multiple`; `None` with a weaker threading level.
        pub fn world(universe: &mpi::environment::Universe) -> Option<Self> {
            (mpi::environment::threading_support() == mpi::Threading::Multiple).then(|| Mpi {
                world: universe.world(),
            })
        }

        /// Initialise MPI with `Threading::Multiple` and take its world communicator; keep the
        /// returned universe alive for the run (MPI is finalised when it is dropped).
        pub fn initialize() -> Result<(mpi::environment::Universe, Self), String> {
            let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Multiple)
                .ok_or("MPI is already initialised")?;
            let world = Mpi::world(&universe)
                .ok_or("the MPI library does not support Threading::Multiple")?;
            Ok((universe, world))
        }
    }

    impl Exchange for Mpi {
        fn rank(&self) -> usize {
            self.world.rank() as usize
        }
        fn size(&self) -> usize {
            self.world.size() as usize
        }
        fn all_gather(&self, local: &[f64], counts: &[usize]) -> Vec<f64> {
            let c: Vec<Count> = counts.iter().map(|&n| n as Count).collect();
            let displs: Vec<Count> = c
                .iter()
                .scan(0, |acc, &n| {
                    let d = *acc;
                    *acc += n;
                    Some(d)
                })
                .collect();
            let mut out = vec![0.0; counts.iter().sum()];
            let mut part = PartitionMut::new(&mut out[..], c, &displs[..]);
            self.world.all_gather_varcount_into(local, &mut part);
            out
        }
    }
}
