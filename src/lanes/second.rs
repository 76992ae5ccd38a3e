//! Second-order lane duals: value, gradient and Hessian blocks, for exact Hessians of event sums.
//!
//! A [`LaneDual2<N>`] carries, per lane, the value, `N` first derivatives and the `N×N` matrix of
//! second derivatives along the seeded directions (a truncated Taylor polynomial of order 2).
//! For a unary `f`: `g ← f'·g`, `H ← f'·H + f''·g gᵀ`; for a binary `f(a, b)`:
//! `H ← f_a H_a + f_b H_b + f_aa a aᵀ + f_ab (a bᵀ + b aᵀ) + f_bb b bᵀ` (Griewank & Walther 2008,
//! ch. 13). The same elementary-function table ([`super::math`]) supplies `f, f', f''`.

use super::{fill, impl_lane_scalar, math, opaque, Block, LaneJet, LANES};

/// Second-order forward-mode number over a block of [`LANES`] events: per lane the value, `N`
/// first derivatives and the `N×N` second derivatives along the seeded directions. A unary `f`
/// maps `g ← f'·g`, `H ← f'·H + f''·g gᵀ`; binary operations use the analogous formula with the
/// second partials of `f` (Griewank & Walther 2008, ch. 13).
#[derive(Clone, Copy, Debug)]
pub struct LaneDual2<const N: usize> {
    /// Values, one lane per event.
    pub re: Block,
    /// First derivatives along each seeded direction.
    pub grad: [Block; N],
    /// Second derivatives: `hess[i][j]` = ∂²/∂dᵢ∂dⱼ (symmetric).
    pub hess: [[Block; N]; N],
}

impl<const N: usize> LaneDual2<N> {
    /// A value block with zero derivatives.
    #[inline(always)]
    pub fn from_block(re: Block) -> Self {
        LaneDual2 {
            re,
            grad: [Block::ZERO; N],
            hess: [[Block::ZERO; N]; N],
        }
    }

    /// Up to [`LANES`] values with zero derivatives, padded as [`super::load_block`].
    #[inline(always)]
    pub fn load(src: &[f64]) -> Self {
        let re = super::load_block(src);
        LaneDual2 {
            re,
            grad: opaque([Block::ZERO; N]),
            hess: opaque([[Block::ZERO; N]; N]),
        }
    }

    /// A shared parameter broadcast to all lanes, seeded as direction `k`.
    ///
    /// # Panics
    /// If `k >= N`.
    #[inline(always)]
    pub fn variable(value: f64, k: usize) -> Self {
        Self::variable_block(Block::splat(value), k)
    }

    /// Per-event variables, seeded as direction `k`.
    ///
    /// # Panics
    /// If `k >= N`.
    #[inline(always)]
    pub fn variable_block(re: Block, k: usize) -> Self {
        assert!(
            k < N,
            "lane dual has {N} directions, direction {k} requested"
        );
        let mut x = Self::from_block(re);
        x.grad[k] = Block::splat(1.0);
        x.grad = opaque(x.grad);
        x.hess = opaque(x.hess);
        x
    }

    /// Values per lane.
    pub fn value(&self) -> [f64; LANES] {
        self.re.to_array()
    }

    /// First derivative along direction `k`, per lane.
    pub fn gradient(&self, k: usize) -> [f64; LANES] {
        self.grad[k].to_array()
    }

    /// Second derivative along directions `i, j`, per lane.
    pub fn hessian(&self, i: usize, j: usize) -> [f64; LANES] {
        self.hess[i][j].to_array()
    }
}

impl<const N: usize> LaneJet for LaneDual2<N> {
    #[inline(always)]
    fn re(&self) -> Block {
        self.re
    }
    #[inline(always)]
    fn set_re(&mut self, re: Block) {
        self.re = re;
    }
    #[inline(always)]
    fn constant_block(re: Block) -> Self {
        Self::from_block(re)
    }
    #[inline(always)]
    fn map_parts(&self, f: impl Fn(Block) -> Block) -> Self {
        LaneDual2 {
            re: f(self.re),
            grad: fill(Block::ZERO, |i| f(self.grad[i])),
            hess: fill([Block::ZERO; N], |i| {
                fill(Block::ZERO, |j| f(self.hess[i][j]))
            }),
        }
    }
    #[inline(always)]
    fn zip_parts(&self, o: &Self, f: impl Fn(Block, Block) -> Block) -> Self {
        LaneDual2 {
            re: f(self.re, o.re),
            grad: fill(Block::ZERO, |i| f(self.grad[i], o.grad[i])),
            hess: fill([Block::ZERO; N], |i| {
                fill(Block::ZERO, |j| f(self.hess[i][j], o.hess[i][j]))
            }),
        }
    }
    #[inline(always)]
    fn shift(&self, k: Block) -> Self {
        LaneDual2 {
            re: self.re + k,
            ..*self
        }
    }
    #[inline(always)]
    fn chain<F: FnOnce() -> Block>(&self, u: math::Unary<F>) -> Self {
        let d2 = (u.d2)();
        let g = &self.grad;
        LaneDual2 {
            re: u.f,
            grad: fill(Block::ZERO, |i| g[i] * u.d1),
            hess: fill([Block::ZERO; N], |i| {
                fill(Block::ZERO, |j| {
                    self.hess[i][j].mul_add(u.d1, d2 * g[i] * g[j])
                })
            }),
        }
    }
    #[inline(always)]
    fn chain2<F: FnOnce() -> [Block; 3]>(&self, o: &Self, b: math::Binary<F>) -> Self {
        let [aa, ab, bb] = (b.d2)();
        let (x, y) = (&self.grad, &o.grad);
        LaneDual2 {
            re: b.f,
            grad: fill(Block::ZERO, |i| x[i].mul_add(b.da, y[i] * b.db)),
            hess: fill([Block::ZERO; N], |i| {
                fill(Block::ZERO, |j| {
                    self.hess[i][j] * b.da
                        + o.hess[i][j] * b.db
                        + aa * x[i] * x[j]
                        + ab * (x[i] * y[j] + x[j] * y[i])
                        + bb * y[i] * y[j]
                })
            }),
        }
    }
    #[inline(always)]
    fn pick(mask: Block, t: &Self, f: &Self) -> Self {
        t.zip_parts(f, |a, b| mask.select(a, b))
    }
    const PARTS: usize = 1 + N + N * N;
    #[inline(always)]
    fn seeded(re: Block, dirs: &[bool]) -> Self {
        let mut x = Self::from_block(re);
        for (g, &d) in x.grad.iter_mut().zip(dirs) {
            if d {
                *g = Block::splat(1.0);
            }
        }
        x
    }
    fn add_lane_sums(&self, out: &mut [f64]) {
        out[0] += self.re.reduce_add();
        for i in 0..N {
            out[1 + i] += self.grad[i].reduce_add();
            for j in 0..N {
                out[1 + N + i * N + j] += self.hess[i][j].reduce_add();
            }
        }
    }
}

impl_lane_scalar!(LaneDual2);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scalar;

    #[test]
    fn hessian_of_product_and_quotient_closed_form() {
        // f = x·y + x/y: f_xx = 0, f_xy = 1 − 1/y², f_yy = 2x/y³ (closed form).
        let x = LaneDual2::<2>::variable(1.5, 0);
        let y = LaneDual2::<2>::variable(0.5, 1);
        let f = x * y + x / y;
        assert_eq!(f.hessian(0, 0)[0], 0.0);
        assert!((f.hessian(0, 1)[0] - (1.0 - 4.0)).abs() < 1e-14);
        assert!((f.hessian(1, 0)[0] - (1.0 - 4.0)).abs() < 1e-14);
        assert!((f.hessian(1, 1)[0] - 2.0 * 1.5 * 8.0).abs() < 1e-13);
        // Unary chain: g = exp(x·y): g_xy = exp(xy)(1 + xy).
        let g = (x * y).exp();
        let e = 0.75f64.exp();
        assert!((g.hessian(0, 1)[3] - e * 1.75).abs() < 1e-14 * e);
        assert!((g.gradient(1)[7] - e * 1.5).abs() < 1e-14 * e);
        let s = LaneDual2::select(&x.gt_mask(&y), x, y);
        assert_eq!(s.value(), [1.5; LANES]);
    }
}
