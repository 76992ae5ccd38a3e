//! Gradient checks: reverse mode, forward mode and finite differences side by side.
//!
//! [`check_gradient`] evaluates a [`ScalarFn`] three ways at a point — the reverse-mode tape, num-dual
//! forward mode, and central finite differences refined by Richardson extrapolation (Ridders'
//! method: a tableau of central differences with steps shrinking by 1.4, extrapolated to step 0,
//! keeping the entry with the smallest estimated error; C. J. F. Ridders, *Adv. Eng. Software* 4
//! (1982) 75) — and reports, per component, the three values, the finite-difference error
//! estimate, the largest absolute and relative disagreement and which mode disagrees.
//!
//! A component passes when
//! - forward and reverse agree to `ad_rel_tol` (both are exact up to rounding), measured
//!   norm-wise: relative to the largest magnitude in the gradient (or Hessian), because a tiny
//!   component produced by cancellation carries rounding errors of the size of the large ones, and
//! - each agrees with the finite difference within `abs_tol + rel_tol·max(|ad|, |fd|) +
//!   fd_err_factor·(fd error estimate)`.
//!
//! [`check_hessian`] does the same for second derivatives: exact forward Hessian (second-order
//! duals), forward-over-reverse Hessian–vector products on the tape, and finite differences of the
//! reverse gradient.
//!
//! For users' unit tests, one line:
//! ```
//! use diffhep::{scalar_fn, Scalar};
//! scalar_fn!(Gauss, |x: &[S]| (-(x[0].clone() * x[0].clone()) * 0.5).exp() * x[1].clone());
//! diffhep::gradcheck::assert_gradient(&Gauss, &[0.3, 2.0]);
//! ```

use std::fmt;

use nalgebra::DMatrix;

use crate::forward;
use crate::function::ScalarFn;
use crate::tape;

/// Tolerances and steps of a gradient check.
#[derive(Clone, Debug)]
pub struct GradCheckConfig {
    /// Relative tolerance between AD and finite differences.
    pub rel_tol: f64,
    /// Absolute tolerance between AD and finite differences.
    pub abs_tol: f64,
    /// Relative tolerance between forward and reverse mode.
    pub ad_rel_tol: f64,
    /// Multiple of Ridders' error estimate added to the AD-vs-FD tolerance.
    pub fd_err_factor: f64,
    /// Initial finite-difference step relative to `max(1, |xᵢ|)`; keep it inside the function's
    /// domain (e.g. smaller near a singularity).
    pub initial_step: f64,
}

impl Default for GradCheckConfig {
    fn default() -> Self {
        GradCheckConfig {
            rel_tol: 1e-6,
            abs_tol: 1e-8,
            ad_rel_tol: 1e-10,
            fd_err_factor: 10.0,
            initial_step: 1e-2,
        }
    }
}

/// Which evaluation of a derivative disagrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reverse mode (tape).
    Reverse,
    /// Forward mode (num-dual).
    Forward,
    /// Forward and reverse agree with each other but not with finite differences.
    FiniteDifference,
}

/// Result of checking one component of the gradient.
#[derive(Clone, Debug)]
pub struct ComponentCheck {
    /// Index of the input.
    pub index: usize,
    /// Reverse-mode derivative.
    pub reverse: f64,
    /// Forward-mode derivative.
    pub forward: f64,
    /// Richardson-extrapolated central difference.
    pub finite_diff: f64,
    /// Ridders' estimate of the finite difference's error.
    pub fd_error: f64,
    /// Largest |AD − FD|.
    pub abs_err: f64,
    /// Largest |AD − FD| / max(|AD|, |FD|, tiny).
    pub rel_err: f64,
    /// The modes that disagree (empty if the component passes).
    pub disagree: Vec<Mode>,
}

/// Report of [`check_gradient`].
#[derive(Clone, Debug)]
pub struct GradCheckReport {
    /// Function value (from the f64 evaluation).
    pub value: f64,
    /// One entry per input.
    pub components: Vec<ComponentCheck>,
    /// Largest absolute AD-vs-FD error over components.
    pub max_abs_err: f64,
    /// Largest relative AD-vs-FD error over components.
    pub max_rel_err: f64,
    /// Largest forward-vs-reverse difference relative to the gradient's largest magnitude.
    pub max_ad_rel_diff: f64,
}

impl GradCheckReport {
    /// True if every component passes.
    pub fn passed(&self) -> bool {
        self.components.iter().all(|c| c.disagree.is_empty())
    }

    /// Panic with the report as a table if any component fails.
    pub fn assert_ok(&self) {
        if !self.passed() {
            panic!("gradient check failed:\n{self}");
        }
    }
}

impl fmt::Display for GradCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "value = {:e}", self.value)?;
        writeln!(
            f,
            "{:>4} {:>22} {:>22} {:>22} {:>10} {:>10}  status",
            "i", "reverse", "forward", "finite diff", "abs err", "rel err"
        )?;
        for c in &self.components {
            let status = if c.disagree.is_empty() {
                "ok".to_string()
            } else {
                format!("DISAGREE: {:?}", c.disagree)
            };
            writeln!(
                f,
                "{:>4} {:>22.15e} {:>22.15e} {:>22.15e} {:>10.2e} {:>10.2e}  {}",
                c.index, c.reverse, c.forward, c.finite_diff, c.abs_err, c.rel_err, status
            )?;
        }
        write!(
            f,
            "max abs err {:.2e}, max rel err {:.2e}, max forward/reverse rel diff {:.2e}",
            self.max_abs_err, self.max_rel_err, self.max_ad_rel_diff
        )
    }
}

/// Derivative of a 1-D function by Ridders' extrapolation of central differences.
/// Returns `(estimate, error estimate)`.
pub fn ridders(mut f: impl FnMut(f64) -> f64, x: f64, h0: f64) -> (f64, f64) {
    const CON: f64 = 1.4;
    const CON2: f64 = CON * CON;
    const NTAB: usize = 12;
    const SAFE: f64 = 2.0;
    let mut a = [[0.0f64; NTAB]; NTAB];
    let mut h = h0;
    let mut central = |h: f64| (f(x + h) - f(x - h)) / (2.0 * h);
    a[0][0] = central(h);
    let mut best = a[0][0];
    let mut err = f64::INFINITY;
    for i in 1..NTAB {
        h /= CON;
        a[0][i] = central(h);
        let mut fac = CON2;
        for j in 1..=i {
            a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1.0);
            fac *= CON2;
            let e = (a[j][i] - a[j - 1][i])
                .abs()
                .max((a[j][i] - a[j - 1][i - 1]).abs());
            if e <= err {
                err = e;
                best = a[j][i];
            }
        }
        if (a[i][i] - a[i - 1][i - 1]).abs() >= SAFE * err {
            break;
        }
    }
    (best, err)
}

fn rel(a: f64, b: f64) -> f64 {
    rel_scaled(a, b, 0.0)
}

/// |a − b| relative to max(|a|, |b|, scale).
fn rel_scaled(a: f64, b: f64, scale: f64) -> f64 {
    let d = (a - b).abs();
    if d == 0.0 {
        0.0
    } else {
        d / a.abs().max(b.abs()).max(scale).max(f64::MIN_POSITIVE)
    }
}

/// Compare reverse mode, forward mode and finite differences for `f` at `x`.
pub fn check_gradient<F: ScalarFn>(f: &F, x: &[f64], cfg: &GradCheckConfig) -> GradCheckReport {
    let value: f64 = f.eval(x);
    let (_, rev) = tape::gradient(|v| f.eval(v), x);
    let (_, fwd) = forward::gradient(f, x);
    let mut components = Vec::with_capacity(x.len());
    let (mut max_abs, mut max_rel, mut max_ad) = (0.0f64, 0.0f64, 0.0f64);
    let scale = rev.iter().chain(&fwd).fold(0.0f64, |m, v| m.max(v.abs()));
    for i in 0..x.len() {
        let h0 = cfg.initial_step * x[i].abs().max(1.0);
        let mut xs = x.to_vec();
        let (fd, fd_err) = ridders(
            |t| {
                xs[i] = t;
                let y: f64 = f.eval(&xs);
                y
            },
            x[i],
            h0,
        );
        let (r, fw) = (rev[i], fwd[i]);
        let ad_diff = rel_scaled(r, fw, scale);
        let abs_err = (r - fd).abs().max((fw - fd).abs());
        let rel_err = rel(r, fd).max(rel(fw, fd));
        let tol = cfg.abs_tol + cfg.rel_tol * r.abs().max(fd.abs()) + cfg.fd_err_factor * fd_err;
        let mut disagree = Vec::new();
        let ok_r = (r - fd).abs() <= tol;
        let ok_f = (fw - fd).abs() <= tol;
        let nan = !(r.is_finite() && fw.is_finite() && fd.is_finite());
        if ad_diff > cfg.ad_rel_tol || nan {
            if !ok_r || r.is_nan() {
                disagree.push(Mode::Reverse);
            }
            if !ok_f || fw.is_nan() {
                disagree.push(Mode::Forward);
            }
            if disagree.is_empty() {
                // The two AD modes disagree but both are within FD tolerance: name both.
                disagree.extend([Mode::Reverse, Mode::Forward]);
            }
        } else if !(ok_r && ok_f) {
            disagree.push(Mode::FiniteDifference);
        }
        max_abs = max_abs.max(abs_err);
        max_rel = max_rel.max(rel_err);
        max_ad = max_ad.max(ad_diff);
        components.push(ComponentCheck {
            index: i,
            reverse: r,
            forward: fw,
            finite_diff: fd,
            fd_error: fd_err,
            abs_err,
            rel_err,
            disagree,
        });
    }
    GradCheckReport {
        value,
        components,
        max_abs_err: max_abs,
        max_rel_err: max_rel,
        max_ad_rel_diff: max_ad,
    }
}

/// Check the gradient of `f` at `x` with default tolerances; panic with a readable table if any
/// component disagrees. Meant for unit tests.
pub fn assert_gradient<F: ScalarFn>(f: &F, x: &[f64]) {
    check_gradient(f, x, &GradCheckConfig::default()).assert_ok();
}

/// Report of [`check_hessian`].
#[derive(Clone, Debug)]
pub struct HessianReport {
    /// Exact Hessian from second-order dual numbers.
    pub forward: DMatrix<f64>,
    /// Hessian assembled from forward-over-reverse Hessian–vector products on the tape.
    pub reverse: DMatrix<f64>,
    /// Finite differences (Ridders) of the reverse-mode gradient.
    pub finite_diff: DMatrix<f64>,
    /// Largest relative forward-vs-reverse difference.
    pub max_ad_rel_diff: f64,
    /// Largest |forward − FD| relative to max(1, |H|).
    pub max_fd_err: f64,
    /// Whether all three agree within the tolerances.
    pub passed: bool,
}

impl HessianReport {
    /// Panic with the three matrices if the check failed.
    pub fn assert_ok(&self) {
        if !self.passed {
            panic!(
                "Hessian check failed (max AD rel diff {:.2e}, max FD err {:.2e})\nforward:{}\nreverse (HVP):{}\nfinite diff:{}",
                self.max_ad_rel_diff, self.max_fd_err, self.forward, self.reverse, self.finite_diff
            );
        }
    }
}

/// Compare the Hessian from second-order duals, from tape HVPs and from finite differences of the
/// gradient.
pub fn check_hessian<F: ScalarFn>(f: &F, x: &[f64], cfg: &GradCheckConfig) -> HessianReport {
    let n = x.len();
    let (_, _, hf) = forward::hessian(f, x);
    let hr = tape::hessian(|v| f.eval(v), x);
    let mut hd = DMatrix::zeros(n, n);
    let mut max_fd = 0.0f64;
    let mut ok = true;
    for j in 0..n {
        let h0 = cfg.initial_step * x[j].abs().max(1.0);
        for i in 0..n {
            let mut xs = x.to_vec();
            let (d, e) = ridders(
                |t| {
                    xs[j] = t;
                    tape::gradient(|v| f.eval(v), &xs).1[i]
                },
                x[j],
                h0,
            );
            hd[(i, j)] = d;
            let err = (hf[(i, j)] - d).abs();
            let tol =
                cfg.abs_tol + cfg.rel_tol * hf[(i, j)].abs().max(d.abs()) + cfg.fd_err_factor * e;
            ok &= err <= tol;
            max_fd = max_fd.max(err / hf[(i, j)].abs().max(1.0));
        }
    }
    let mut max_ad = 0.0f64;
    let scale = hf.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in hf.iter().zip(hr.iter()) {
        max_ad = max_ad.max(rel_scaled(*a, *b, scale));
    }
    ok &= max_ad <= cfg.ad_rel_tol && hf.iter().all(|v| v.is_finite());
    HessianReport {
        forward: hf,
        reverse: hr,
        finite_diff: hd,
        max_ad_rel_diff: max_ad,
        max_fd_err: max_fd,
        passed: ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scalar_fn, RealScalar};

    scalar_fn!(Smooth, |x: &[S]| x[0].sin() * x[1].exp()
        + x[0].clone() * x[1].powi(3));

    /// A deliberately wrong derivative: value of `x²` but its tape/dual derivative is `x`
    /// (made by mixing a constant copy of x into the product).
    struct Wrong;
    impl ScalarFn for Wrong {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            x[0].clone() * S::from_f64(x[0].value())
        }
    }

    #[test]
    fn ridders_matches_closed_form() {
        let (d, e) = ridders(f64::exp, 1.0, 0.1);
        assert!((d - 1f64.exp()).abs() < 1e-12, "{d}");
        assert!(e < 1e-10);
    }

    #[test]
    fn smooth_function_passes() {
        let r = check_gradient(&Smooth, &[0.4, -0.3], &GradCheckConfig::default());
        r.assert_ok();
        assert!(r.max_rel_err < 1e-9, "{r}");
        check_hessian(&Smooth, &[0.4, -0.3], &GradCheckConfig::default()).assert_ok();
    }

    #[test]
    fn wrong_derivative_is_reported_readably() {
        let r = check_gradient(&Wrong, &[1.5], &GradCheckConfig::default());
        assert!(!r.passed());
        assert_eq!(r.components[0].disagree, vec![Mode::FiniteDifference]);
        let msg = std::panic::catch_unwind(|| r.assert_ok()).unwrap_err();
        let msg = msg.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("DISAGREE") && msg.contains("finite diff"),
            "{msg}"
        );
    }
}
