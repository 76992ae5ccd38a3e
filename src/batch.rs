//! Batch gradients: per-event functions over many events, with derivatives.
//!
//! A per-event function is written once against [`Scalar`] as an [`EventFn`]: shared parameters
//! θ and one event's data columns x in, one value `f(θ, x)` out. Over a data set given as
//! structure of arrays ([`Events`]: one slice per column) this module computes
//! - [`values`]: `f(θ, xₑ)` for every event e;
//! - [`jacobian`]: values and per-event partials with respect to chosen inputs ([`Wrt`]:
//!   parameters and/or event columns);
//! - [`sum_gradient`]: `Σₑ f(θ, xₑ)` and its gradient with respect to chosen parameters (a
//!   log-likelihood and its score);
//! - [`sum_hessian`]: the same plus the exact Hessian (second-order lane duals).
//!
//! # Engines and the rule that picks one
//! - **Lane duals** ([`crate::lanes`]): forward mode over blocks of 8 events; the cost grows with
//!   the number of derivative directions d (one tangent block each), but there is no tape and
//!   no memory traffic per operation. More than 8 directions run in several passes of ≤ 8.
//! - **Batched tape** ([`crate::tape::BatchTape`]): reverse mode, one recorded node per operation
//!   holding a column of events; the cost is independent of the number of parameters.
//!
//! [`Engine::Auto`] takes lane duals when `d ≤` [`LANE_DUAL_MAX_DIRECTIONS`] (= 8, one pass)
//! and the batched tape otherwise. The lane-dual cost grows linearly with d, the tape's hardly
//! at all; on the e+e-→μ+μ- |M|² (`benches/batch.rs`, `docs/lanes.md`, default build on the
//! AVX-512 path) lane duals are ≈ 3× faster than the tape at d = 4, 1.7× at d = 8, 0.86× at
//! d = 16 and 0.45× at d = 32, so 8 is a conservative switch. Override with
//! [`BatchOptions::engine`]. Hessians always use second-order lane duals (d ≤ 8).
//!
//! The tape engine records the first block of each length on each worker thread and replays
//! the recording on later blocks ([`crate::tape::BatchedActive::replay`]: same numbers, none of
//! the per-node bookkeeping of recording).
//!
//! # Blocks, tails, threads, determinism
//! Events are split into fixed blocks of [`BatchOptions::block`] events (lane duals; a multiple
//! of 8) or [`BatchOptions::tape_block`] events (tape), processed in parallel on rayon's current
//! pool — from [`BatchOptions::parallel_min_events`] events on ([`PARALLEL_MIN_EVENTS`] by
//! default, measured); smaller inputs run on the calling thread, where a thread wake-up would
//! cost more than the work. Inside a
//! lane block, the last group of fewer than 8 events is loaded with its missing lanes repeating
//! the last real event ([`crate::lanes::load_block`]) — never reading past the slices — and those
//! lanes are masked out of sums and never written to outputs; the tape simply records a shorter
//! last block. Each block's sum is formed in a fixed order, and block results are added in block
//! order on one thread, so results are bit-identical at any thread count.
//!
//! # Errors
//! Mismatched column lengths, wrong numbers of parameters or columns, out-of-range derivative
//! indices, bad block sizes and non-finite inputs are returned as [`BatchError`] naming the bad
//! value; a sum whose value or gradient is not finite is reported too. Per-event outputs
//! ([`values`], [`jacobian`]) are returned as computed: an event where the function itself is
//! undefined (say `ln` of a negative number) shows NaN in its own entry, visible to the caller.
//!
//! ```
//! use diffhep::batch::{sum_gradient, BatchOptions, EventFn, Events};
//! use diffhep::Scalar;
//! /// Gaussian negative log-likelihood (up to a constant) of events x with mean μ, width σ.
//! struct Gauss;
//! impl EventFn for Gauss {
//!     type Shared<S: Scalar> = Vec<S>;
//!     fn n_params(&self) -> usize { 2 }
//!     fn n_columns(&self) -> usize { 1 }
//!     fn shared<S: Scalar>(&self, p: &[S]) -> Vec<S> { p.to_vec() }
//!     fn eval<S: Scalar>(&self, p: &Vec<S>, x: &[S]) -> S {
//!         let z = (x[0].clone() - p[0].clone()) / p[1].clone();
//!         z.clone() * z * 0.5 + p[1].ln()
//!     }
//! }
//! let x: Vec<f64> = (0..100).map(|i| i as f64 / 10.0).collect();
//! let events = Events::new(&[&x]).unwrap();
//! let g = sum_gradient(&Gauss, &[4.95, 1.0], &events, &[0, 1], &BatchOptions::default()).unwrap();
//! // ∂/∂μ Σ (xᵢ − μ)²/2 = −Σ (xᵢ − μ) = 0 at the sample mean 4.95.
//! assert!(g.gradient[0].abs() < 1e-10);
//! ```

use thiserror::Error;

use nalgebra::DMatrix;
use rayon::prelude::*;

use crate::lanes::{load_block, opaque, Block, LaneDual, LaneDual2, LaneJet, LaneMask, LANES};
use crate::scalar::Scalar;
use crate::simd::{self, SimdError, SimdPath};
use crate::tape::{BVar, BatchTape, BatchValue, BatchedActive, TapeError};

/// Up to this many derivative directions [`Engine::Auto`] uses lane duals; above, the batched
/// tape.
pub const LANE_DUAL_MAX_DIRECTIONS: usize = 8;

/// Most directions of one lane-dual pass (and of [`sum_hessian`]).
pub const LANE_DUAL_PASS: usize = 8;

/// A per-event function of shared parameters and one event's data, written against [`Scalar`]
/// (branch-free: use `select`/`min`/`max` for case distinctions).
///
/// `shared` computes the parameter-only part once per block (hoisting couplings, squared masses
/// …); `eval` is called per event (per block of 8 events for lane duals, per column block on the
/// tape). Without anything to hoist, use `type Shared<S: Scalar> = Vec<S>` and
/// `fn shared(..) { params.to_vec() }`.
pub trait EventFn: Sync {
    /// The parameter-only intermediate results.
    type Shared<S: Scalar>;
    /// Number of shared parameters θ.
    fn n_params(&self) -> usize;
    /// Number of per-event data columns x.
    fn n_columns(&self) -> usize;
    /// Parameter-only part; `params.len() == n_params()`.
    fn shared<S: Scalar>(&self, params: &[S]) -> Self::Shared<S>;
    /// The value for one event (or a block of events); `event.len() == n_columns()`.
    fn eval<S: Scalar>(&self, shared: &Self::Shared<S>, event: &[S]) -> S;
}

/// Errors of the batch API; each names the offending value.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum BatchError {
    /// A data column's length differs from the first column's.
    #[error("column {column} has {got} events but column 0 has {expected}")]
    ColumnLength {
        /// Index of the column.
        column: usize,
        /// Length of column 0.
        expected: usize,
        /// Length of this column.
        got: usize,
    },
    /// The number of data columns differs from [`EventFn::n_columns`].
    #[error("function reads {expected} columns, {got} given")]
    ColumnCount {
        /// Columns the function reads.
        expected: usize,
        /// Columns supplied.
        got: usize,
    },
    /// The number of parameters differs from [`EventFn::n_params`].
    #[error("function takes {expected} parameters, {got} given")]
    ParamCount {
        /// Parameters the function takes.
        expected: usize,
        /// Parameters supplied.
        got: usize,
    },
    /// A derivative was requested with respect to a parameter or column that does not exist.
    #[error("derivative with respect to {wrt:?}, but only {len} exist")]
    WrtOutOfRange {
        /// The request.
        wrt: Wrt,
        /// Number of parameters (for `Param`) or columns (for `Column`).
        len: usize,
    },
    /// A block size that is zero (or, for lane blocks, not a multiple of 8).
    #[error("block size {got}: must be positive (and a multiple of 8 for lane blocks)")]
    BlockSize {
        /// The size given.
        got: usize,
    },
    /// More directions than second-order lane duals support.
    #[error("{got} derivative directions requested, at most {max}")]
    TooManyDirections {
        /// Directions requested.
        got: usize,
        /// The most supported.
        max: usize,
    },
    /// A parameter is NaN or infinite.
    #[error("parameter {index} is {value}")]
    NonFiniteParam {
        /// Its index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// An event's data value is NaN or infinite.
    #[error("column {column}, event {event} is {value}")]
    NonFiniteData {
        /// The column.
        column: usize,
        /// The event.
        event: usize,
        /// The value.
        value: f64,
    },
    /// The sum over events or one of its derivatives is NaN or infinite.
    #[error("sum over events: {what} is {value}")]
    NonFiniteResult {
        /// Which part: `value`, `gradient[k]` or `hessian[i][j]`.
        what: String,
        /// The value.
        value: f64,
    },
    /// A requested SIMD path this CPU lacks.
    #[error("{0}")]
    Simd(#[from] SimdError),
    /// An error from the batched tape.
    #[error("batched tape: {0}")]
    Tape(#[from] TapeError),
}

/// Event data as structure of arrays: one slice per column, all of the same length.
#[derive(Clone, Debug)]
pub struct Events<'a> {
    cols: Vec<&'a [f64]>,
    len: usize,
}

impl<'a> Events<'a> {
    /// Columns of equal length; an error names the first column whose length differs.
    pub fn new(columns: &[&'a [f64]]) -> Result<Self, BatchError> {
        let len = columns.first().map_or(0, |c| c.len());
        for (j, c) in columns.iter().enumerate() {
            if c.len() != len {
                return Err(BatchError::ColumnLength {
                    column: j,
                    expected: len,
                    got: c.len(),
                });
            }
        }
        Ok(Events {
            cols: columns.to_vec(),
            len,
        })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are no events.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.cols.len()
    }

    /// Column `j`.
    pub fn column(&self, j: usize) -> &'a [f64] {
        self.cols[j]
    }

    fn slice(&self, start: usize, end: usize) -> Vec<&'a [f64]> {
        self.cols.iter().map(|c| &c[start..end]).collect()
    }
}

/// An input to differentiate with respect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrt {
    /// Shared parameter `i`.
    Param(usize),
    /// Event column `j` (a per-event partial derivative).
    Column(usize),
}

/// Which engine computes derivatives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// Lane duals for at most [`LANE_DUAL_MAX_DIRECTIONS`] directions, else the batched tape.
    #[default]
    Auto,
    /// Always lane duals (several passes above 8 directions).
    LaneDual,
    /// Always the batched tape.
    BatchedTape,
}

impl Engine {
    /// The engine actually used for `directions` derivative directions.
    pub fn resolve(self, directions: usize) -> Engine {
        match self {
            Engine::Auto if directions <= LANE_DUAL_MAX_DIRECTIONS => Engine::LaneDual,
            Engine::Auto => Engine::BatchedTape,
            e => e,
        }
    }
}

/// Options of the batch functions.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Engine choice (default [`Engine::Auto`]).
    pub engine: Engine,
    /// Events per parallel block for lane duals (a multiple of 8; default 2048).
    pub block: usize,
    /// Events per block (= lanes) of the batched tape (default 256).
    pub tape_block: usize,
    /// SIMD path for the lane kernels and the batched tape's loops (default `None`:
    /// [`crate::simd::active`], the best path of the CPU unless `DIFFHEP_SIMD` forces one).
    /// Every path gives the same bits.
    pub simd: Option<SimdPath>,
    /// Inputs with fewer events than this run on the calling thread, without rayon (default
    /// [`PARALLEL_MIN_EVENTS`]). `usize::MAX` keeps every call on the calling thread; `0`
    /// hands every call with more than one block to rayon's current pool. A pool of one thread
    /// always runs on the calling thread. The results are bit-identical either way.
    pub parallel_min_events: usize,
}

/// Default [`BatchOptions::parallel_min_events`]: below this many events a call stays on the
/// calling thread. Handing work to rayon costs a thread wake-up of ~10–20 µs on the 2-core
/// machine where it was measured (`cargo bench --bench batch -- summary`, "parallel
/// threshold": with 2 threads forced on e+e-→μ+μ-, 2 threads lost below 8192 events, won or
/// lost by turns at 8192–16384, and won in 5 of 6 measurements from 32768 on).
pub const PARALLEL_MIN_EVENTS: usize = 32_768;

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            engine: Engine::Auto,
            block: 2048,
            tape_block: 256,
            simd: None,
            parallel_min_events: PARALLEL_MIN_EVENTS,
        }
    }
}

impl BatchOptions {
    /// Whether a call over `events` events in `blocks` blocks hands its blocks to rayon.
    fn parallel(&self, events: usize, blocks: usize) -> bool {
        blocks > 1 && events >= self.parallel_min_events && rayon::current_num_threads() > 1
    }
}

/// `f` over the blocks `jobs`, in order: in parallel on rayon's current pool or in a plain loop
/// on the calling thread, with `init` making each worker's scratch state (one for the loop).
fn map_blocks<I, T, S>(
    jobs: Vec<I>,
    parallel: bool,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, I) -> T + Sync + Send,
) -> Vec<T>
where
    I: Send,
    T: Send,
{
    if parallel {
        jobs.into_par_iter().map_init(init, f).collect()
    } else {
        let mut state = init();
        jobs.into_iter().map(|j| f(&mut state, j)).collect()
    }
}

/// Per-event values and partial derivatives from [`jacobian`].
#[derive(Clone, Debug, PartialEq)]
pub struct EventJacobian {
    /// `f(θ, xₑ)` per event.
    pub values: Vec<f64>,
    /// `partials[k][e]` = ∂f(θ, xₑ)/∂`wrt[k]`.
    pub partials: Vec<Vec<f64>>,
}

/// Sum over events and its derivatives from [`sum_gradient`] / [`sum_hessian`].
#[derive(Clone, Debug, PartialEq)]
pub struct SumDerivatives {
    /// `Σₑ f(θ, xₑ)`.
    pub value: f64,
    /// `∂/∂θ_{wrt[k]}` of the sum.
    pub gradient: Vec<f64>,
    /// Second derivatives of the sum (only from [`sum_hessian`]; else `None`).
    pub hessian: Option<DMatrix<f64>>,
}

/// Check shapes, indices, block sizes and parameters; with `scan_data`, also scan every data
/// value for NaN/∞ (the lane kernels instead check each group they load, see `first_non_finite`).
fn validate<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[Wrt],
    opts: &BatchOptions,
    scan_data: bool,
) -> Result<(), BatchError> {
    if params.len() != f.n_params() {
        return Err(BatchError::ParamCount {
            expected: f.n_params(),
            got: params.len(),
        });
    }
    if events.n_columns() != f.n_columns() {
        return Err(BatchError::ColumnCount {
            expected: f.n_columns(),
            got: events.n_columns(),
        });
    }
    for &w in wrt {
        let (i, len) = match w {
            Wrt::Param(i) => (i, params.len()),
            Wrt::Column(j) => (j, events.n_columns()),
        };
        if i >= len {
            return Err(BatchError::WrtOutOfRange { wrt: w, len });
        }
    }
    if opts.block == 0 || !opts.block.is_multiple_of(LANES) {
        return Err(BatchError::BlockSize { got: opts.block });
    }
    if opts.tape_block == 0 {
        return Err(BatchError::BlockSize {
            got: opts.tape_block,
        });
    }
    if let Some((index, &value)) = params.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(BatchError::NonFiniteParam { index, value });
    }
    if scan_data && !events.cols.iter().all(|c| all_finite(c)) {
        return Err(first_non_finite(&events.cols, 0).expect("a non-finite value exists"));
    }
    Ok(())
}

/// The error for the first non-finite value of the block `cols` (first column, then first event;
/// events numbered from `start`), if any. The slow path after a kernel saw one.
fn first_non_finite(cols: &[&[f64]], start: usize) -> Option<BatchError> {
    cols.iter().enumerate().find_map(|(column, c)| {
        c.iter()
            .position(|v| !v.is_finite())
            .map(|e| BatchError::NonFiniteData {
                column,
                event: start + e,
                value: c[e],
            })
    })
}

/// The first error of per-block results, in block order (deterministic at any thread count).
fn first_error<T>(results: Vec<Result<T, BatchError>>) -> Result<Vec<T>, BatchError> {
    results.into_iter().collect()
}

/// True if no value is NaN or infinite (one SIMD pass, no early exit).
fn all_finite(c: &[f64]) -> bool {
    let mut ok = Block::from([f64::from_bits(!0); LANES]);
    let chunks = c.chunks_exact(LANES);
    let rest = chunks.remainder();
    for ch in chunks {
        ok &= load_block(ch).is_finite();
    }
    ok.all() && rest.iter().all(|v| v.is_finite())
}

/// Call `$body` with `const $n: usize` equal to the runtime `$d` (0..=8).
macro_rules! with_directions {
    ($d:expr, |$n:ident| $body:expr) => {
        with_directions!(@arms $d, $n, $body, 0 1 2 3 4 5 6 7 8)
    };
    (@arms $d:expr, $n:ident, $body:expr, $($k:literal)*) => {
        match $d {
            $($k => {
                const $n: usize = $k;
                $body
            })*
            d => unreachable!("{d} directions in one lane pass"),
        }
    };
}

/// One parallel job of [`jacobian`]: first event, its values slice, its partials slices.
type BlockOutput<'a> = (usize, &'a mut [f64], Vec<&'a mut [f64]>);

/// Values of `f` for every event.
pub fn values<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    opts: &BatchOptions,
) -> Result<Vec<f64>, BatchError> {
    Ok(jacobian(f, params, events, &[], opts)?.values)
}

/// Per-event values and partial derivatives with respect to `wrt`.
pub fn jacobian<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[Wrt],
    opts: &BatchOptions,
) -> Result<EventJacobian, BatchError> {
    let mut out = EventJacobian {
        values: Vec::new(),
        partials: Vec::new(),
    };
    jacobian_into(f, params, events, wrt, opts, &mut out)?;
    Ok(out)
}

/// As [`jacobian`], writing into `out` and reusing its memory (resized to fit): repeated calls
/// on the same buffers avoid allocating and first-touching fresh pages, which for cheap
/// functions costs as much as the derivatives.
pub fn jacobian_into<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[Wrt],
    opts: &BatchOptions,
    out: &mut EventJacobian,
) -> Result<(), BatchError> {
    let engine = opts.engine.resolve(wrt.len());
    validate(f, params, events, wrt, opts, engine == Engine::BatchedTape)?;
    let path = simd::resolve(opts.simd)?;
    let n = events.len();
    out.values.resize(n, 0.0);
    out.partials.resize_with(wrt.len(), Vec::new);
    for p in &mut out.partials {
        p.resize(n, 0.0);
    }
    let (values, partials) = (&mut out.values, &mut out.partials);
    let block = match engine {
        Engine::BatchedTape => opts.tape_block,
        _ => opts.block,
    };
    // One job per fixed block, owning its disjoint output slices.
    let mut part_chunks: Vec<_> = partials.iter_mut().map(|p| p.chunks_mut(block)).collect();
    let jobs: Vec<BlockOutput> = values
        .chunks_mut(block)
        .enumerate()
        .map(|(b, v)| {
            let ps = part_chunks
                .iter_mut()
                .map(|it| it.next().expect("same block count"))
                .collect();
            (b * block, v, ps)
        })
        .collect();
    let parallel = opts.parallel(n, jobs.len());
    let results: Vec<Result<(), BatchError>> = match engine {
        Engine::BatchedTape => map_blocks(
            jobs,
            parallel,
            TapeWorker::new(block, path),
            |worker, (start, v, mut ps)| {
                let cols = events.slice(start, start + v.len());
                tape_jacobian_block(f, worker, params, &cols, wrt, v, &mut ps)
            },
        ),
        _ => map_blocks(
            jobs,
            parallel,
            || (),
            |_, (start, v, mut ps)| {
                let cols = events.slice(start, start + v.len());
                simd::on_path(
                    path,
                    #[inline(always)]
                    || {
                        let mut first = true;
                        let mut k0 = 0;
                        // Directions in passes of at most 8; values from the first pass.
                        for chunk in wrt
                            .chunks(LANE_DUAL_PASS)
                            .chain(wrt.is_empty().then_some(&[][..]))
                        {
                            let out_v = if first { Some(&mut *v) } else { None };
                            let out_p = &mut ps[k0..k0 + chunk.len()];
                            let clean = with_directions!(chunk.len(), |N| {
                                lane_jacobian_block::<F, N>(f, params, &cols, chunk, out_v, out_p)
                            });
                            if !clean {
                                return Err(first_non_finite(&cols, start).expect("kernel saw one"));
                            }
                            first = false;
                            k0 += chunk.len();
                        }
                        Ok(())
                    },
                )
            },
        ),
    };
    first_error(results)?;
    Ok(())
}

/// Lane-dual pass over one block: values (if asked) and the partials along `wrt` (≤ 8).
/// Inlined into the dispatched closure so it is compiled for each SIMD path.
#[inline(always)]
fn lane_jacobian_block<F: EventFn, const N: usize>(
    f: &F,
    params: &[f64],
    cols: &[&[f64]],
    wrt: &[Wrt],
    out_v: Option<&mut [f64]>,
    out_p: &mut [&mut [f64]],
) -> bool {
    let param_dirs: Vec<[bool; N]> = (0..params.len())
        .map(|i| std::array::from_fn(|k| wrt[k] == Wrt::Param(i)))
        .collect();
    // Seeds hidden from the optimizer once per block (see `lanes::opaque`).
    let p: Vec<LaneDual<N>> = params
        .iter()
        .zip(&param_dirs)
        .map(|(&v, d)| opaque(LaneDual::seeded(Block::splat(v), d)))
        .collect();
    let shared = f.shared(&p);
    let column = |j: usize| {
        let dirs: [bool; N] = std::array::from_fn(|k| wrt[k] == Wrt::Column(j));
        opaque(LaneDual::<N>::seeded(Block::ZERO, &dirs))
    };
    // One seeded number per column, built once per block; per group only the value blocks
    // are replaced. (A slice, not fixed-size arrays per column count as in the sums: with 9
    // direction counts and 3 SIMD paths, more variants multiply the compile time.)
    let mut ev: Vec<LaneDual<N>> = (0..cols.len()).map(column).collect();
    lane_jacobian_groups(f, &shared, cols, &mut ev, JacobianOut { out_v, out_p })
}

/// Where [`lane_jacobian_groups`] writes: the values (if asked) and one slice per direction.
struct JacobianOut<'a, 'b> {
    out_v: Option<&'a mut [f64]>,
    out_p: &'a mut [&'b mut [f64]],
}

/// The groups of 8 events of one block through `f`, values and tangents stored per event
/// (`false` if a data value is not finite). `ev` holds one seeded number per column. Full groups
/// run in a loop without tail logic; the tail group follows it.
#[inline(always)]
fn lane_jacobian_groups<F: EventFn, const N: usize>(
    f: &F,
    shared: &F::Shared<LaneDual<N>>,
    cols: &[&[f64]],
    ev: &mut [LaneDual<N>],
    mut out: JacobianOut,
) -> bool {
    let len = cols.first().map_or(0, |c| c.len());
    let full = len - len % LANES;
    // Lane-wise "all data finite so far" (padded lanes repeat real events).
    let mut finite = LaneMask::first(LANES).0;
    // The outputs as chunks of 8 events (no bounds checks in the loop); N of them, one per
    // direction, in a fixed-size array so the store loop unrolls.
    let out_p: &mut [&mut [f64]; N] = (&mut *out.out_p).try_into().expect("N directions");
    let mut parts = out_p.each_mut().map(|o| o.chunks_exact_mut(LANES));
    let mut values = out.out_v.as_deref_mut().map(|v| v.chunks_exact_mut(LANES));
    let store = |dst: &mut [f64], b: &Block| dst.copy_from_slice(&b.as_array()[..dst.len()]);
    // Full groups: fixed-size loads and stores, no tail logic in the loop.
    for g in (0..full).step_by(LANES) {
        load_full_group(ev, cols, g, &mut finite);
        let y = f.eval(shared, ev);
        if let Some(v) = values.as_mut() {
            store(v.next().expect("one chunk per group"), &y.re);
        }
        for (p, e) in parts.iter_mut().zip(&y.eps) {
            store(p.next().expect("one chunk per group"), e);
        }
    }
    // The tail: only its real lanes are stored.
    if full < len {
        load_tail_group(ev, cols, full, &mut finite);
        let y = f.eval(shared, ev);
        if let Some(v) = values {
            store(v.into_remainder(), &y.re);
        }
        for (p, e) in parts.into_iter().zip(&y.eps) {
            store(p.into_remainder(), e);
        }
    }
    finite.all()
}

fn tape_jacobian_block<F: EventFn>(
    f: &F,
    worker: &mut Result<TapeWorker, TapeError>,
    params: &[f64],
    cols: &[&[f64]],
    wrt: &[Wrt],
    out_v: &mut [f64],
    out_p: &mut [&mut [f64]],
) -> Result<(), BatchError> {
    let n = out_v.len();
    // A parameter differentiated per event is a differentiable broadcast column, recorded
    // before the event columns.
    let broadcast: Vec<Vec<f64>> = (0..params.len())
        .filter(|&i| wrt.contains(&Wrt::Param(i)))
        .map(|i| vec![params[i]; n])
        .collect();
    let data: Vec<&[f64]> = broadcast
        .iter()
        .map(|c| &c[..])
        .chain(cols.iter().copied())
        .collect();
    let (t, &Recorded { ref p, ref ev, y }) = record_or_replay(worker, n, &data, |t| {
        let mut p = Vec::with_capacity(params.len());
        let mut broadcast = broadcast.iter();
        for (i, &v) in params.iter().enumerate() {
            p.push(if wrt.contains(&Wrt::Param(i)) {
                t.column(broadcast.next().expect("one column per such parameter"))?
            } else {
                BVar::from_f64(v)
            });
        }
        let mut ev = Vec::with_capacity(cols.len());
        for (j, c) in cols.iter().enumerate() {
            ev.push(if wrt.contains(&Wrt::Column(j)) {
                t.column(c)?
            } else {
                t.constant_column(c)?
            });
        }
        let y = f.eval(&f.shared(&p), &ev);
        Ok(Recorded { p, ev, y })
    })?;
    let mut t = t;
    let yv = t.value(y)?;
    for (e, o) in out_v.iter_mut().enumerate() {
        *o = yv.lane(e);
    }
    let adj = t.backward(y)?;
    for (k, w) in wrt.iter().enumerate() {
        let node = match *w {
            Wrt::Param(i) => p[i],
            Wrt::Column(j) => ev[j],
        };
        let d = adj.wrt(node)?;
        for (e, o) in out_p[k].iter_mut().enumerate() {
            *o = d.lane(e);
        }
    }
    Ok(())
}

/// `Σₑ f(θ, xₑ)` and its gradient with respect to the parameters `wrt` (indices into `params`).
pub fn sum_gradient<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[usize],
    opts: &BatchOptions,
) -> Result<SumDerivatives, BatchError> {
    let dirs: Vec<Wrt> = wrt.iter().map(|&i| Wrt::Param(i)).collect();
    let d = wrt.len();
    let engine = opts.engine.resolve(d);
    validate(
        f,
        params,
        events,
        &dirs,
        opts,
        engine == Engine::BatchedTape,
    )?;
    let parts = match engine {
        Engine::BatchedTape => tape_sum(f, params, events, wrt, opts)?,
        _ => {
            let mut value = 0.0;
            let mut gradient = vec![0.0; d];
            for (pass, chunk) in wrt.chunks(LANE_DUAL_PASS).enumerate() {
                let k0 = pass * LANE_DUAL_PASS;
                let out = with_directions!(chunk.len(), |N| lane_sum::<F, LaneDual<N>, N>(
                    f, params, events, chunk, opts
                ))?;
                if pass == 0 {
                    value = out[0];
                }
                gradient[k0..k0 + chunk.len()].copy_from_slice(&out[1..]);
            }
            if d == 0 {
                value = lane_sum::<F, LaneDual<0>, 0>(f, params, events, &[], opts)?[0];
            }
            let mut parts = vec![value];
            parts.extend(gradient);
            parts
        }
    };
    finish(parts, d, false)
}

/// `Σₑ f(θ, xₑ)`, its gradient and its exact Hessian with respect to the parameters `wrt`
/// (at most [`LANE_DUAL_PASS`] of them), by second-order lane duals.
pub fn sum_hessian<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[usize],
    opts: &BatchOptions,
) -> Result<SumDerivatives, BatchError> {
    let dirs: Vec<Wrt> = wrt.iter().map(|&i| Wrt::Param(i)).collect();
    validate(f, params, events, &dirs, opts, false)?;
    let d = wrt.len();
    if d > LANE_DUAL_PASS {
        return Err(BatchError::TooManyDirections {
            got: d,
            max: LANE_DUAL_PASS,
        });
    }
    let parts = with_directions!(d, |N| lane_sum::<F, LaneDual2<N>, N>(
        f, params, events, wrt, opts
    ))?;
    finish(parts, d, true)
}

/// Check finiteness and unpack `[value, gradient…, hessian… (row-major)]`.
fn finish(parts: Vec<f64>, d: usize, hessian: bool) -> Result<SumDerivatives, BatchError> {
    for (i, &v) in parts.iter().enumerate() {
        if !v.is_finite() {
            let what = if i == 0 {
                "value".to_string()
            } else if i <= d {
                format!("gradient[{}]", i - 1)
            } else {
                format!("hessian[{}][{}]", (i - 1 - d) / d, (i - 1 - d) % d)
            };
            return Err(BatchError::NonFiniteResult { what, value: v });
        }
    }
    Ok(SumDerivatives {
        value: parts[0],
        gradient: parts[1..=d].to_vec(),
        hessian: hessian.then(|| DMatrix::from_row_slice(d, d, &parts[1 + d..])),
    })
}

/// Sum over events of a lane-dual number type `J` with `N` directions along parameters `wrt`:
/// fixed blocks in parallel, each summed lane-wise then across lanes, blocks added in order.
fn lane_sum<F: EventFn, J, const N: usize>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[usize],
    opts: &BatchOptions,
) -> Result<Vec<f64>, BatchError>
where
    J: LaneJet + Scalar<Mask = LaneMask>,
{
    let path = simd::resolve(opts.simd)?;
    let block = opts.block;
    let n = events.len();
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    let parallel = opts.parallel(n, starts.len());
    let blocks: Vec<Result<Vec<f64>, BatchError>> = map_blocks(
        starts,
        parallel,
        || (),
        |_, start| {
            let cols = events.slice(start, (start + block).min(n));
            simd::on_path(
                path,
                #[inline(always)]
                || lane_sum_block::<F, J, N>(f, params, &cols, wrt),
            )
            .ok_or_else(|| first_non_finite(&cols, start).expect("kernel saw one"))
        },
    );
    let mut total = vec![0.0; J::PARTS];
    for b in &first_error(blocks)? {
        for (t, v) in total.iter_mut().zip(b) {
            *t += v;
        }
    }
    Ok(total)
}

/// One block of [`lane_sum`]; inlined into the dispatched closure (compiled per SIMD path).
#[inline(always)]
fn lane_sum_block<F: EventFn, J, const N: usize>(
    f: &F,
    params: &[f64],
    cols: &[&[f64]],
    wrt: &[usize],
) -> Option<Vec<f64>>
where
    J: LaneJet + Scalar<Mask = LaneMask>,
{
    let p: Vec<J> = params
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let dirs: [bool; N] = std::array::from_fn(|k| wrt[k] == i);
            // Seeds hidden from the optimizer once per block (see `lanes::opaque`).
            opaque(J::seeded(Block::splat(v), &dirs))
        })
        .collect();
    let shared = f.shared(&p);
    let zero = || opaque(J::constant_block(Block::ZERO));
    let acc = match cols {
        [a] => lane_sum_groups(f, &shared, &[*a], [zero()]),
        [a, b] => lane_sum_groups(f, &shared, &[*a, *b], [zero(); 2]),
        [a, b, c] => lane_sum_groups(f, &shared, &[*a, *b, *c], [zero(); 3]),
        [a, b, c, d] => lane_sum_groups(f, &shared, &[*a, *b, *c, *d], [zero(); 4]),
        _ => lane_sum_groups(f, &shared, cols, vec![zero(); cols.len()]),
    }?;
    let mut out = vec![0.0; J::PARTS];
    acc.add_lane_sums(&mut out);
    Some(out)
}

/// Set the value blocks of `slots` (one per column) to the 8 events from `start` on, and-ing
/// their lane-wise finiteness into `finite`. A fixed-size copy: LLVM sees 8 real lanes, where a
/// length-checked load with padding (as [`load_block`]) made it treat the last lane apart and
/// split every later vector operation into pieces.
#[inline(always)]
fn load_full_group<J: LaneJet>(slots: &mut [J], cols: &[&[f64]], start: usize, finite: &mut Block) {
    for (slot, c) in slots.iter_mut().zip(cols) {
        let lanes: &[f64; LANES] = c[start..start + LANES].try_into().expect("8 lanes");
        let x = Block::from(*lanes);
        *finite &= x.is_finite();
        slot.set_re(x);
    }
}

/// As [`load_full_group`] for the last, short group from `start` to the end of the columns:
/// missing lanes repeat the last event ([`load_block`]).
#[inline(always)]
fn load_tail_group<J: LaneJet>(slots: &mut [J], cols: &[&[f64]], start: usize, finite: &mut Block) {
    for (slot, c) in slots.iter_mut().zip(cols) {
        let x = load_block(&c[start..]);
        *finite &= x.is_finite();
        slot.set_re(x);
    }
}

/// The lane-wise sum of `f` over the groups of 8 events of one block (`None` if a data value is
/// not finite), with `ev` holding one number per column. Up to 4 columns come as fixed-size
/// arrays, so after inlining the column loop unrolls and the group's inputs stay in registers.
#[inline(always)]
fn lane_sum_groups<F, J, B>(f: &F, shared: &F::Shared<J>, cols: &[&[f64]], mut ev: B) -> Option<J>
where
    F: EventFn,
    J: LaneJet + Scalar<Mask = LaneMask>,
    B: AsRef<[J]> + AsMut<[J]>,
{
    let len = cols.first().map_or(0, |c| c.len());
    let full = len - len % LANES;
    let mut acc = J::from_f64(0.0);
    // Lane-wise "all data finite so far"; checked once at the end of the block.
    let mut finite = LaneMask::first(LANES).0;
    let mut g = 0;
    while g < full {
        load_full_group(ev.as_mut(), cols, g, &mut finite);
        acc += f.eval(shared, ev.as_ref());
        g += LANES;
    }
    if full < len {
        load_tail_group(ev.as_mut(), cols, full, &mut finite);
        let y = f.eval(shared, ev.as_ref());
        // Padded lanes repeat a real event but must not count.
        acc += J::pick(LaneMask::first(len - full).0, &y, &J::from_f64(0.0));
    }
    finite.all().then_some(acc)
}

/// A worker's batched tape and the program it last recorded. A batched-tape program has no
/// data-dependent control flow, so the first block of a given length is recorded and later
/// blocks of that length replay it on their data ([`BatchedActive::replay`]: the same numbers
/// without the bookkeeping of recording).
struct TapeWorker {
    tape: BatchTape,
    recorded: Option<(usize, Recorded)>,
}

impl TapeWorker {
    /// The `init` of [`map_blocks`]: a worker with a tape of `block` lanes on SIMD `path`.
    fn new(
        block: usize,
        path: SimdPath,
    ) -> impl Fn() -> Result<TapeWorker, TapeError> + Sync + Send {
        move || {
            let mut tape = BatchTape::new(block)?;
            tape.set_simd(path)
                .expect("the path was checked against the CPU by `simd::resolve`");
            Ok(TapeWorker {
                tape,
                recorded: None,
            })
        }
    }
}

/// The variables of a recorded block: parameters, event columns and the output.
struct Recorded {
    p: Vec<BVar>,
    ev: Vec<BVar>,
    y: BVar,
}

/// Activate the worker's tape for a block of `lanes` events whose data columns, in recording
/// order, are `data`: replay the recorded program if it was recorded for `lanes` events, else
/// record it with `record`.
fn record_or_replay<'w>(
    worker: &'w mut Result<TapeWorker, TapeError>,
    lanes: usize,
    data: &[&[f64]],
    record: impl FnOnce(&mut BatchedActive<'_>) -> Result<Recorded, BatchError>,
) -> Result<(BatchedActive<'w>, &'w Recorded), BatchError> {
    let TapeWorker { tape, recorded } = worker.as_mut().map_err(|e| e.clone())?;
    let mut t = tape.activate();
    if matches!(recorded, Some((l, _)) if *l == lanes) {
        t.replay(data)?;
    } else {
        t.set_lanes(lanes)?;
        *recorded = Some((lanes, record(&mut t)?));
    }
    let (_, r) = recorded.as_ref().expect("recorded above");
    Ok((t, r))
}

/// Sum and gradient on the batched tape, fixed blocks of `block` events in parallel.
fn tape_sum<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    wrt: &[usize],
    opts: &BatchOptions,
) -> Result<Vec<f64>, BatchError> {
    let n = events.len();
    let block = opts.tape_block;
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    let parallel = opts.parallel(n, starts.len());
    let blocks: Vec<Vec<f64>> = map_blocks(
        starts,
        parallel,
        TapeWorker::new(block, simd::resolve(opts.simd)?),
        |worker, start| -> Result<Vec<f64>, BatchError> {
            let end = (start + block).min(n);
            let cols = events.slice(start, end);
            let (mut t, &Recorded { ref p, y, .. }) =
                record_or_replay(worker, end - start, &cols, |t| {
                    let p: Vec<BVar> = params.iter().map(|&v| t.param(v)).collect();
                    let mut ev = Vec::with_capacity(cols.len());
                    for c in &cols {
                        ev.push(t.constant_column(c)?);
                    }
                    let y = f.eval(&f.shared(&p), &ev);
                    Ok(Recorded { p, ev, y })
                })?;
            // `backward` seeds every lane with 1: the gradient of the sum over events (a
            // result that does not depend on the events is one lane, counted n times).
            let mut out = vec![match t.value(y)? {
                BatchValue::Column(v) => v.iter().sum(),
                BatchValue::Scalar(v) => v * (end - start) as f64,
            }];
            let adj = t.backward(y)?;
            for &i in wrt {
                out.push(adj.scalar(p[i])?);
            }
            Ok(out)
        },
    )
    .into_iter()
    .collect::<Result<_, _>>()?;
    let mut total = vec![0.0; 1 + wrt.len()];
    for b in &blocks {
        for (t, v) in total.iter_mut().zip(b) {
            *t += v;
        }
    }
    Ok(total)
}

/// The sum over events `θ ↦ Σₑ f(θ, xₑ)` as a [`crate::ScalarFn`] of all parameters, evaluated
/// event by event with any per-event number type — so [`crate::gradcheck`] can check it (tape,
/// num-dual and finite differences) and the batch results can be compared with that check.
pub struct EventSum<'a, 'b, F> {
    /// The per-event function.
    pub f: &'a F,
    /// The events.
    pub events: &'a Events<'b>,
}

impl<F: EventFn> crate::ScalarFn for EventSum<'_, '_, F> {
    fn eval<S: crate::RealScalar>(&self, params: &[S]) -> S {
        let shared = self.f.shared(params);
        let mut total = S::zero();
        let mut ev: Vec<S> = Vec::with_capacity(self.events.n_columns());
        for e in 0..self.events.len() {
            ev.clear();
            ev.extend(self.events.cols.iter().map(|c| S::from_f64(c[e])));
            total += self.f.eval(&shared, &ev);
        }
        total
    }
}
