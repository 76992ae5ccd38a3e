//! The lane kernels of the batched tape: column/broadcast views of a node's values, the macros
//! that compile one tight loop per column/scalar combination, and the adjoint deposit and
//! fixed-order reductions over lanes.

/// Values of one lane, either a column or a scalar broadcast to all lanes.
pub(super) trait Lane: Copy {
    fn at(self, i: usize) -> f64;
}

#[derive(Clone, Copy)]
pub(super) struct Col<'a>(pub(super) &'a [f64]);
#[derive(Clone, Copy)]
pub(super) struct Bc(pub(super) f64);

impl Lane for Col<'_> {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        at(self.0, i)
    }
}

/// Unchecked lane read for the kernels' inner loops (bounds checks there block vectorisation).
/// Every slice read this way is cut to exactly the loop length `n` where it is made
/// (`&s[..n]`, which panics if too short) and every loop runs over `0..n`.
#[inline(always)]
pub(super) fn at(s: &[f64], i: usize) -> f64 {
    debug_assert!(i < s.len());
    // SAFETY: see the function documentation: callers index with i < n = s.len().
    unsafe { *s.get_unchecked(i) }
}
impl Lane for Bc {
    #[inline(always)]
    fn at(self, _: usize) -> f64 {
        self.0
    }
}

/// Call `$body` with `$a`/`$b` bound to `Col` or `Bc` views of nodes `$ia`/`$ib` (operands of an
/// output of width `$n`), so each combination is compiled to its own tight loop.
macro_rules! with_lanes2 {
    ($d:expr, $n:expr, $ia:expr, $ib:expr, |$a:ident, $b:ident| $body:expr) => {{
        let sa = $d.slice($ia);
        let sb = $d.slice($ib);
        assert!(sa.len() == 1 || sa.len() >= $n);
        assert!(sb.len() == 1 || sb.len() >= $n);
        match (sa.len() == $n, sb.len() == $n) {
            (true, true) => {
                let ($a, $b) = (Col(&sa[..$n]), Col(&sb[..$n]));
                $body
            }
            (true, false) => {
                let ($a, $b) = (Col(&sa[..$n]), Bc(sb[0]));
                $body
            }
            (false, true) => {
                let ($a, $b) = (Bc(sa[0]), Col(&sb[..$n]));
                $body
            }
            (false, false) => {
                let ($a, $b) = (Bc(sa[0]), Bc(sb[0]));
                $body
            }
        }
    }};
}
pub(super) use with_lanes2;

macro_rules! with_lanes1 {
    ($d:expr, $n:expr, $ia:expr, |$a:ident| $body:expr) => {{
        let sa = $d.slice($ia);
        if sa.len() == $n {
            let $a = Col(&sa[..$n]);
            $body
        } else {
            let $a = Bc(sa[0]);
            $body
        }
    }};
}
pub(super) use with_lanes1;

#[inline(always)]
pub(super) fn fill(out: &mut [f64], f: impl Fn(usize) -> f64) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
}

/// Write (`init`) or add the contributions `v(i)` into a parent adjoint: lane-wise for a column
/// parent, summed over lanes (8 fixed partial sums, fixed order) for a scalar parent.
#[inline(always)]
pub(super) fn deposit(
    dst: &mut [f64],
    parent_col: bool,
    init: bool,
    n: usize,
    v: impl Fn(usize) -> f64,
) {
    if parent_col {
        let dst = &mut dst[..n];
        if init {
            for (i, d) in dst.iter_mut().enumerate() {
                *d = v(i);
            }
        } else {
            for (i, d) in dst.iter_mut().enumerate() {
                *d += v(i);
            }
        }
    } else {
        let s = reduce_sum_by(n, v);
        if init {
            dst[0] = s;
        } else {
            dst[0] += s;
        }
    }
}

/// The adjoint columns of two distinct column nodes at offsets `a` and `b` (each `n` lanes)
/// of the adjoint arena `lo`, borrowed together.
#[inline(always)]
pub(super) fn two_columns(
    lo: &mut [f64],
    a: usize,
    b: usize,
    n: usize,
) -> (&mut [f64], &mut [f64]) {
    if a < b {
        let (x, y) = lo.split_at_mut(b);
        (&mut x[a..a + n], &mut y[..n])
    } else {
        let (x, y) = lo.split_at_mut(a);
        (&mut y[..n], &mut x[b..b + n])
    }
}

/// [`deposit`] into two distinct column parents in one loop: `v(i)` gives lane `i`'s
/// contributions to `a` and to `b`, written (`init_*`) or added.
#[inline(always)]
pub(super) fn deposit2(
    a: &mut [f64],
    init_a: bool,
    b: &mut [f64],
    init_b: bool,
    v: impl Fn(usize) -> (f64, f64),
) {
    let b = &mut b[..a.len()];
    let lanes = a.iter_mut().zip(b.iter_mut()).enumerate();
    match (init_a, init_b) {
        (true, true) => lanes.for_each(|(i, (x, y))| (*x, *y) = v(i)),
        (true, false) => lanes.for_each(|(i, (x, y))| {
            let (p, q) = v(i);
            *x = p;
            *y += q;
        }),
        (false, true) => lanes.for_each(|(i, (x, y))| {
            let (p, q) = v(i);
            *x += p;
            *y = q;
        }),
        (false, false) => lanes.for_each(|(i, (x, y))| {
            let (p, q) = v(i);
            *x += p;
            *y += q;
        }),
    }
}

/// `Σᵢ v(i)` for `i < n` in a fixed order: 8 partial sums over full groups of 8 lanes, combined
/// as `((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))`, then the tail lanes in order. (Accumulating into
/// `lanes::Block`s vectorises better but, instantiated at every deposit on every SIMD path, made
/// the crate's release build take 228 s instead of 65 s.)
///
/// The combination is the halving order of a vector register (upper half onto lower, twice),
/// as in `lanes::Block::reduce_add`, so LLVM keeps the 8 partial sums in one vector: with the
/// previous order `((a0+a4)+(a1+a5)) + ((a2+a6)+(a3+a7))` it split them into 2-lane pairs and
/// shuffled every group (1152 `vunpcklpd` in a binary using the tape, 138 after).
#[inline(always)]
pub(super) fn reduce_sum_by(n: usize, v: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let full = n / 8 * 8;
    let mut i = 0;
    while i < full {
        for (j, a) in acc.iter_mut().enumerate() {
            *a += v(i + j);
        }
        i += 8;
    }
    let mut s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    for k in full..n {
        s += v(k);
    }
    s
}

/// `Σᵢ v[i]` in the fixed order of [`reduce_sum_by`].
#[inline(always)]
pub(super) fn reduce_sum(v: &[f64]) -> f64 {
    reduce_sum_by(v.len(), |i| v[i])
}
