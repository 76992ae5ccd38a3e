//! The element-wise bijections of coupling layers, with their exact partial derivatives.
//!
//! Each transform maps one coordinate `x ↦ y = τ(x; θ)` given the raw conditioner outputs `θ`
//! for that coordinate, and reports `ℓ = log τ'(x; θ)`. Backward passes need the vector–Jacobian
//! product `(g_y, g_ℓ) ↦ (g_x, g_θ)` and the local partials `∂y/∂x`, `∂ℓ/∂x`; from those alone the
//! flow assembles both the normalizing-direction gradient and the pathwise gradient through the
//! inverse (see [`super::flow`]).
//!
//! The spline's bin formula is written once, generic over [`Scalar`], and evaluated either as
//! `f64` or with 7-direction forward-mode duals for its partials with respect to
//! `(x, x_k, w_k, y_k, h_k, d_k, d_{k+1})`; the softmax / softplus parametrisation of the knots is
//! back-propagated by hand.

use nalgebra::SVector;
use num_dual::{Derivative, DualSVec64};

use super::spec::{Domain, FlowSpec, Transform};
use crate::scalar::sigmoid;
use crate::Scalar;

/// Largest number of spline bins supported (knot buffers live on the stack).
pub const MAX_BINS: usize = 64;
/// Smallest bin width as a fraction of the interval.
const MIN_BIN_WIDTH: f64 = 1e-3;
/// Smallest bin height as a fraction of the interval.
const MIN_BIN_HEIGHT: f64 = 1e-3;
/// Smallest knot derivative.
const MIN_DERIVATIVE: f64 = 1e-3;
/// Soft clamp of the affine log-scale.
const AFFINE_CLAMP: f64 = 3.0;

/// Value and local partials of one transformed coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Local {
    /// `y = τ(x)`.
    pub y: f64,
    /// `ℓ = log τ'(x)`.
    pub logd: f64,
    /// `∂y/∂x = τ'(x)`.
    pub dy_dx: f64,
    /// `∂ℓ/∂x`.
    pub dl_dx: f64,
}

/// An element-wise transform family (affine or rational-quadratic spline).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Elementwise {
    /// `y = x·exp(s) + t`, `s = c·tanh(a/c)`; raw parameters `(a, t)`.
    Affine,
    /// Rational-quadratic spline; in damped flows on ℝ preceded by an element-wise affine map
    /// `u = x·exp(s) + t` (raw parameters `(a, t)` first), so that a layer can also shift and
    /// scale mass that lies beyond the spline's interval.
    Spline(Spline),
}

/// A rational-quadratic spline on `[lo, hi]` with `bins` bins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spline {
    bins: usize,
    lo: f64,
    hi: f64,
    /// Identity tails outside `[lo, hi]` with unit boundary derivatives (ℝ); otherwise the
    /// boundary derivatives are learned (unit cube).
    tails: bool,
    /// An element-wise affine map before the spline (damped flows on ℝ).
    premap: bool,
}

/// Shift making `softplus(0 + c) + MIN_DERIVATIVE = 1`, so zero raw outputs give the identity.
fn derivative_shift() -> f64 {
    ((1.0 - MIN_DERIVATIVE).exp() - 1.0).ln()
}

fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// Numerically stable softmax into `out[..u.len()]`.
fn softmax(u: &[f64], out: &mut [f64]) {
    let m = u.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for (o, &v) in out.iter_mut().zip(u) {
        *o = (v - m).exp();
        s += *o;
    }
    for o in out[..u.len()].iter_mut() {
        *o /= s;
    }
}

/// The knots of the bin containing a point, and the softmax weights (for back-propagation).
struct Bin {
    k: usize,
    /// `(x_k, w_k, y_k, h_k, d_k, d_{k+1})`.
    q: [f64; 6],
    pw: [f64; MAX_BINS],
    ph: [f64; MAX_BINS],
}

/// The bin formula: `(y, log dy/dx)` from `(x, x_k, w_k, y_k, h_k, d_k, d_{k+1})`.
fn rq_core<S: Scalar>(x: S, xk: S, wk: S, yk: S, hk: S, dk: S, dk1: S) -> (S, S) {
    let xi = (x - xk) / wk.clone();
    let s = hk.clone() / wk;
    let one_m = xi.rsub(1.0);
    let t = xi.clone() * one_m.clone();
    let den = s.clone() + (dk.clone() + dk1.clone() - s.clone() * 2.0) * t.clone();
    let y = yk + hk * (s.clone() * xi.clone() * xi.clone() + dk.clone() * t.clone()) / den.clone();
    let num =
        s.clone() * s.clone() * (dk1 * xi.clone() * xi + s * t * 2.0 + dk * one_m.clone() * one_m);
    let logd = num.ln() - den.ln() * 2.0;
    (y, logd)
}

impl Spline {
    fn n_params(&self) -> usize {
        if self.tails {
            3 * self.bins - 1
        } else {
            3 * self.bins + 1
        }
    }

    fn derivative(&self, ud: &[f64], i: usize) -> f64 {
        if self.tails {
            if i == 0 || i == self.bins {
                1.0
            } else {
                MIN_DERIVATIVE + softplus(ud[i - 1] + derivative_shift())
            }
        } else {
            MIN_DERIVATIVE + softplus(ud[i] + derivative_shift())
        }
    }

    /// Locate the bin of `v` (in x if `inverse` is false, else in y).
    fn bin(&self, theta: &[f64], v: f64, inverse: bool) -> Bin {
        let k = self.bins;
        let span = self.hi - self.lo;
        let mut pw = [0.0; MAX_BINS];
        let mut ph = [0.0; MAX_BINS];
        softmax(&theta[..k], &mut pw);
        softmax(&theta[k..2 * k], &mut ph);
        let sw = 1.0 - MIN_BIN_WIDTH * k as f64;
        let sh = 1.0 - MIN_BIN_HEIGHT * k as f64;
        let (mut xk, mut yk) = (self.lo, self.lo);
        let mut b = 0;
        let (mut wk, mut hk) = (0.0, 0.0);
        for i in 0..k {
            wk = span * (MIN_BIN_WIDTH + sw * pw[i]);
            hk = span * (MIN_BIN_HEIGHT + sh * ph[i]);
            b = i;
            let edge = if inverse { yk + hk } else { xk + wk };
            if i + 1 == k || v < edge {
                break;
            }
            xk += wk;
            yk += hk;
        }
        let ud = &theta[2 * k..];
        Bin {
            k: b,
            q: [
                xk,
                wk,
                yk,
                hk,
                self.derivative(ud, b),
                self.derivative(ud, b + 1),
            ],
            pw,
            ph,
        }
    }

    fn inside(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }

    fn forward(&self, x: f64, theta: &[f64]) -> (f64, f64) {
        if self.tails && !self.inside(x) {
            return (x, 0.0);
        }
        let b = self.bin(theta, x, false);
        let [xk, wk, yk, hk, dk, dk1] = b.q;
        rq_core(x, xk, wk, yk, hk, dk, dk1)
    }

    fn inverse(&self, y: f64, theta: &[f64]) -> f64 {
        if self.tails && !self.inside(y) {
            return y;
        }
        let b = self.bin(theta, y, true);
        let [xk, wk, yk, hk, dk, dk1] = b.q;
        let s = hk / wk;
        let dy = y - yk;
        let c2 = dk1 + dk - 2.0 * s;
        let a = hk * (s - dk) + dy * c2;
        let bq = hk * dk - dy * c2;
        let c = -s * dy;
        let disc = (bq * bq - 4.0 * a * c).max(0.0);
        let xi = (2.0 * c / (-bq - disc.sqrt())).clamp(0.0, 1.0);
        xk + xi * wk
    }

    /// Back-propagate adjoints `g = (g_{x_k}, g_{w_k}, g_{y_k}, g_{h_k}, g_{d_k}, g_{d_{k+1}})` of
    /// the bin quantities to the raw parameters (written into `out`).
    fn knot_vjp(&self, b: &Bin, theta: &[f64], g: [f64; 6], out: &mut [f64]) {
        let k = self.bins;
        let span = self.hi - self.lo;
        // x_k = lo + Σ_{i<k} w_i and w_k = w_{bin}; the same for the heights.
        let scatter = |g_pos: f64, g_size: f64, p: &[f64], min: f64, out: &mut [f64]| {
            let s = span * (1.0 - min * k as f64);
            let mut gp = [0.0; MAX_BINS];
            for v in gp[..b.k].iter_mut() {
                *v = s * g_pos;
            }
            gp[b.k] = s * g_size;
            let dot: f64 = (0..k).map(|i| gp[i] * p[i]).sum();
            for i in 0..k {
                out[i] = p[i] * (gp[i] - dot);
            }
        };
        scatter(g[0], g[1], &b.pw, MIN_BIN_WIDTH, &mut out[..k]);
        scatter(g[2], g[3], &b.ph, MIN_BIN_HEIGHT, &mut out[k..2 * k]);
        let ud = 2 * k;
        out[ud..].iter_mut().for_each(|v| *v = 0.0);
        for (j, gd) in [(b.k, g[4]), (b.k + 1, g[5])] {
            let idx = match (self.tails, j) {
                (true, 0) => continue,
                (true, j) if j == k => continue,
                (true, j) => j - 1,
                (false, j) => j,
            };
            out[ud + idx] += gd * sigmoid(theta[ud + idx] + derivative_shift());
        }
    }

    fn partials(&self, x: f64, theta: &[f64], dy_dt: &mut [f64], dl_dt: &mut [f64]) -> Local {
        if self.tails && !self.inside(x) {
            dy_dt.iter_mut().for_each(|g| *g = 0.0);
            dl_dt.iter_mut().for_each(|g| *g = 0.0);
            return Local {
                y: x,
                logd: 0.0,
                dy_dx: 1.0,
                dl_dx: 0.0,
            };
        }
        let b = self.bin(theta, x, false);
        let var = |v: f64, i: usize| {
            DualSVec64::<7>::new(v, Derivative::some(SVector::<f64, 7>::ith(i, 1.0)))
        };
        let [xk, wk, yk, hk, dk, dk1] = b.q;
        let (y, l) = rq_core(
            var(x, 0),
            var(xk, 1),
            var(wk, 2),
            var(yk, 3),
            var(hk, 4),
            var(dk, 5),
            var(dk1, 6),
        );
        let dy = y.eps.unwrap_generic(nalgebra::Const::<7>, nalgebra::U1);
        let dl = l.eps.unwrap_generic(nalgebra::Const::<7>, nalgebra::U1);
        self.knot_vjp(&b, theta, std::array::from_fn(|i| dy[i + 1]), dy_dt);
        self.knot_vjp(&b, theta, std::array::from_fn(|i| dl[i + 1]), dl_dt);
        Local {
            y: y.re,
            logd: l.re,
            dy_dx: dy[0],
            dl_dx: dl[0],
        }
    }
}

impl Elementwise {
    /// The transform family of a flow architecture.
    pub(crate) fn of_spec(spec: &FlowSpec) -> Self {
        match spec.transform {
            Transform::Affine => Elementwise::Affine,
            Transform::Spline { bins } => {
                let (lo, hi, tails) = match spec.domain {
                    Domain::Real => (-spec.tail_bound, spec.tail_bound, true),
                    Domain::UnitCube => (0.0, 1.0, false),
                };
                Elementwise::Spline(Spline {
                    bins,
                    lo,
                    hi,
                    tails,
                    premap: tails && spec.damped,
                })
            }
        }
    }

    /// Raw conditioner outputs per transformed coordinate.
    pub(crate) fn n_params(&self) -> usize {
        match self {
            Elementwise::Affine => 2,
            Elementwise::Spline(s) => s.n_params() + if s.premap { 2 } else { 0 },
        }
    }

    /// `(y, log τ'(x))`.
    pub(crate) fn forward(&self, x: f64, theta: &[f64]) -> (f64, f64) {
        let (s, _, t) = affine_parts(theta);
        let u = x * s.exp() + t;
        match self {
            Elementwise::Affine => (u, s),
            Elementwise::Spline(sp) if sp.premap => {
                let (y, l) = sp.forward(u, &theta[2..]);
                (y, l + s)
            }
            Elementwise::Spline(sp) => sp.forward(x, theta),
        }
    }

    /// `x = τ⁻¹(y)`.
    pub(crate) fn inverse(&self, y: f64, theta: &[f64]) -> f64 {
        let (s, _, t) = affine_parts(theta);
        match self {
            Elementwise::Affine => (y - t) * (-s).exp(),
            Elementwise::Spline(sp) if sp.premap => (sp.inverse(y, &theta[2..]) - t) * (-s).exp(),
            Elementwise::Spline(sp) => sp.inverse(y, theta),
        }
    }

    /// Writes `∂y/∂θ` and `∂ℓ/∂θ` into `dy_dt`, `dl_dt` and returns the value and the partials
    /// with respect to `x`.
    pub(crate) fn partials(
        &self,
        x: f64,
        theta: &[f64],
        dy_dt: &mut [f64],
        dl_dt: &mut [f64],
    ) -> Local {
        let (s, ds_da, t) = affine_parts(theta);
        let es = s.exp();
        let u = x * es + t;
        // The spline (identity for an affine coupling) after the affine map u = x·eˢ + t.
        let inner = match self {
            Elementwise::Affine => Local {
                y: u,
                logd: 0.0,
                dy_dx: 1.0,
                dl_dx: 0.0,
            },
            Elementwise::Spline(sp) if sp.premap => {
                sp.partials(u, &theta[2..], &mut dy_dt[2..], &mut dl_dt[2..])
            }
            Elementwise::Spline(sp) => return sp.partials(x, theta, dy_dt, dl_dt),
        };
        let du_da = x * es * ds_da;
        dy_dt[0] = inner.dy_dx * du_da;
        dy_dt[1] = inner.dy_dx;
        dl_dt[0] = inner.dl_dx * du_da + ds_da;
        dl_dt[1] = inner.dl_dx;
        Local {
            y: inner.y,
            logd: inner.logd + s,
            dy_dx: inner.dy_dx * es,
            dl_dx: inner.dl_dx * es,
        }
    }
}

/// The element-wise affine map of affine couplings and the affine pre-map of spline couplings
/// on ℝ: `(s, ds/da, t)` with the log-scale `s = c·tanh(a/c)` softly clamped to `±c`.
fn affine_parts(theta: &[f64]) -> (f64, f64, f64) {
    let th = (theta[0] / AFFINE_CLAMP).tanh();
    (AFFINE_CLAMP * th, 1.0 - th * th, theta[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stochastic::rng::counter_uniform;

    fn spline(tails: bool) -> Elementwise {
        let (lo, hi) = if tails { (-3.0, 3.0) } else { (0.0, 1.0) };
        Elementwise::Spline(Spline {
            bins: 5,
            lo,
            hi,
            tails,
            premap: false,
        })
    }

    fn premapped_spline() -> Elementwise {
        Elementwise::Spline(Spline {
            bins: 5,
            lo: -3.0,
            hi: 3.0,
            tails: true,
            premap: true,
        })
    }

    fn theta(e: &Elementwise, seed: u64) -> Vec<f64> {
        (0..e.n_params())
            .map(|i| 2.0 * counter_uniform(seed, 0, i as u64, 0) - 1.0)
            .collect()
    }

    #[test]
    fn zero_parameters_give_the_identity() {
        for e in [
            Elementwise::Affine,
            spline(true),
            spline(false),
            premapped_spline(),
        ] {
            let th = vec![0.0; e.n_params()];
            for x in [0.05, 0.3, 0.77, 0.99] {
                let (y, l) = e.forward(x, &th);
                assert!(
                    (y - x).abs() < 1e-12 && l.abs() < 1e-12,
                    "{e:?} {x} {y} {l}"
                );
            }
        }
    }

    #[test]
    fn inverse_round_trips_and_logdet_matches_finite_differences() {
        for (e, xs) in [
            (Elementwise::Affine, vec![-2.0, 0.1, 1.7]),
            (spline(true), vec![-3.5, -2.9, -0.3, 0.8, 2.99, 4.0]),
            (premapped_spline(), vec![-3.5, -2.9, -0.3, 0.8, 2.99, 4.0]),
            (spline(false), vec![1e-4, 0.2, 0.5, 0.81, 0.9999]),
        ] {
            for seed in 0..4 {
                let th = theta(&e, seed);
                for &x in &xs {
                    let (y, l) = e.forward(x, &th);
                    let back = e.inverse(y, &th);
                    assert!((back - x).abs() < 1e-10, "{e:?}: {x} -> {y} -> {back}");
                    let h = 1e-6;
                    let fd = (e.forward(x + h, &th).0 - e.forward(x - h, &th).0) / (2.0 * h);
                    assert!(
                        (fd.ln() - l).abs() < 1e-6,
                        "{e:?} x={x}: fd {fd} vs {}",
                        l.exp()
                    );
                }
            }
        }
    }

    #[test]
    fn partials_match_central_differences() {
        for (e, xs) in [
            (Elementwise::Affine, vec![-2.0, 0.1, 1.7]),
            (spline(true), vec![-2.9, -0.3, 0.8, 2.5, 4.0]),
            (premapped_spline(), vec![-2.9, -0.3, 0.8, 2.5, 4.0]),
            (spline(false), vec![0.01, 0.2, 0.5, 0.81, 0.97]),
        ] {
            for seed in 0..3 {
                let th = theta(&e, seed);
                for &x in &xs {
                    let (gy, gl) = (0.7, -1.3);
                    let f = |x: f64, th: &[f64]| {
                        let (y, l) = e.forward(x, th);
                        gy * y + gl * l
                    };
                    let (mut dy_dt, mut dl_dt) = (vec![0.0; th.len()], vec![0.0; th.len()]);
                    let loc = e.partials(x, &th, &mut dy_dt, &mut dl_dt);
                    let g: Vec<f64> = (0..th.len())
                        .map(|i| gy * dy_dt[i] + gl * dl_dt[i])
                        .collect();
                    let h = 1e-6;
                    let fx = (f(x + h, &th) - f(x - h, &th)) / (2.0 * h);
                    let an = gy * loc.dy_dx + gl * loc.dl_dx;
                    assert!(
                        (fx - an).abs() < 1e-6 * (1.0 + fx.abs()),
                        "{e:?} x={x}: fd {fx} vs {an}"
                    );
                    let dy = (e.forward(x + h, &th).0 - e.forward(x - h, &th).0) / (2.0 * h);
                    assert!((dy - loc.dy_dx).abs() < 1e-6 * (1.0 + dy.abs()));
                    for i in 0..th.len() {
                        let (mut a, mut b) = (th.clone(), th.clone());
                        a[i] += h;
                        b[i] -= h;
                        let fd = (f(x, &a) - f(x, &b)) / (2.0 * h);
                        assert!(
                            (fd - g[i]).abs() < 1e-6,
                            "{e:?} x={x} θ{i}: fd {fd} vs {}",
                            g[i]
                        );
                    }
                }
            }
        }
    }
}
