//! The interpolations of HistFactory's systematic modifiers, as pyhf defines them by default
//! (pyhf ≥ 0.5: `normsys` code 4, `histosys` code 4p; Cranmer et al., "HistFactory: A tool for
//! creating statistical models for use with RooFit and RooStats", CERN-OPEN-2012-016).
//!
//! - code 4 (multiplicative, `normsys` with factors κ₊ = `hi`, κ₋ = `lo`): `κ₊^α` for α ≥ 1,
//!   `κ₋^{−α}` for α ≤ −1, and in between the polynomial `1 + Σ_{i=1}^6 a_i α^i` whose value and
//!   first two derivatives match the exponentials at α = ±1 (the six conditions are solved once
//!   per modifier and bin).
//! - code 4p (additive, `histosys` with shifts Δ₊ = hi − nominal, Δ₋ = nominal − lo): `α Δ₊` for
//!   α > 1, `α Δ₋` for α < −1, and `α S + α² A (15 − 10 α² + 3 α⁴)` in between, with
//!   S = (Δ₊ + Δ₋)/2 and A = (Δ₊ − Δ₋)/16 (continuous with its first two derivatives).

use nalgebra::{Matrix6, Vector6};

use crate::RealScalar;

/// Code 4 for one modifier and bin.
#[derive(Clone, Debug, PartialEq)]
pub struct Code4 {
    ln_hi: f64,
    ln_lo: f64,
    a: [f64; 6],
}

impl Code4 {
    /// The interpolation between the factors `lo` (α = −1) and `hi` (α = +1), both > 0.
    pub fn new(lo: f64, hi: f64) -> Self {
        let (lu, ld) = (hi.ln(), lo.ln());
        // Rows: value, first and second derivative of Σ a_i α^i at α = +1 and α = −1.
        let mut m = Matrix6::zeros();
        let mut rhs = Vector6::zeros();
        for (row, alpha, targets) in [
            (0, 1.0f64, [hi - 1.0, hi * lu, hi * lu * lu]),
            (3, -1.0f64, [lo - 1.0, -lo * ld, lo * ld * ld]),
        ] {
            for i in 1..=6usize {
                let p = |k: i32| alpha.powi(k);
                m[(row, i - 1)] = p(i as i32);
                m[(row + 1, i - 1)] = i as f64 * p(i as i32 - 1);
                m[(row + 2, i - 1)] = (i * (i - 1)) as f64 * p(i as i32 - 2);
            }
            for (k, t) in targets.into_iter().enumerate() {
                rhs[row + k] = t;
            }
        }
        let a = m.lu().solve(&rhs).expect("the code-4 system is regular");
        Code4 {
            ln_hi: lu,
            ln_lo: ld,
            a: std::array::from_fn(|i| a[i]),
        }
    }

    /// The factor at `alpha`.
    pub fn factor<S: RealScalar>(&self, alpha: &S) -> S {
        let x = alpha.value();
        if x >= 1.0 {
            (alpha.clone() * self.ln_hi).exp()
        } else if x <= -1.0 {
            (alpha.clone() * (-self.ln_lo)).exp()
        } else {
            // Horner: 1 + α (a1 + α (a2 + …)).
            let mut p = S::from_f64(self.a[5]);
            for i in (0..5).rev() {
                p = p * alpha.clone() + self.a[i];
            }
            p * alpha.clone() + 1.0
        }
    }
}

/// Code 4p for one modifier and bin: the additive shift at `alpha`.
/// `up` and `down` are the shifts `hi − nominal` and `nominal − lo`, of any number type so that
/// the shift can be differentiated w.r.t. the templates too.
pub fn code4p<S: RealScalar>(alpha: &S, up: &S, down: &S) -> S {
    let x = alpha.value();
    if x > 1.0 {
        alpha.clone() * up.clone()
    } else if x < -1.0 {
        alpha.clone() * down.clone()
    } else {
        let s = (up.clone() + down.clone()) * 0.5;
        let a = (up.clone() - down.clone()) * 0.0625;
        let a2 = alpha.clone() * alpha.clone();
        let poly = (a2.clone() * (a2.clone() * 3.0 - 10.0) + 15.0) * a2;
        poly * a + alpha.clone() * s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code4_is_smooth_at_the_joins_and_exponential_outside() {
        let c = Code4::new(0.8, 1.3);
        assert!((c.factor(&0.0f64) - 1.0).abs() < 1e-15);
        assert!((c.factor(&2.0f64) - 1.3f64.powi(2)).abs() < 1e-14);
        assert!((c.factor(&-2.0f64) - 0.8f64.powi(2)).abs() < 1e-14);
        // Value, slope and curvature continuous at ±1 (finite differences across the join).
        for x in [1.0f64, -1.0] {
            let h = 1e-4;
            let (l, m, r) = (c.factor(&(x - h)), c.factor(&x), c.factor(&(x + h)));
            let (ll, rr) = (c.factor(&(x - 2.0 * h)), c.factor(&(x + 2.0 * h)));
            assert!(((r - m) / h - (m - l) / h).abs() < 1e-3, "slope at {x}");
            let curv_l = (m - 2.0 * l + ll) / (h * h);
            let curv_r = (rr - 2.0 * r + m) / (h * h);
            assert!(
                (curv_l - curv_r).abs() < 1e-2,
                "curvature at {x}: {curv_l} {curv_r}"
            );
        }
    }

    #[test]
    fn code4p_is_linear_outside_and_joins_smoothly() {
        let (up, down) = (3.0, 1.0);
        let at = |a: f64| code4p(&a, &up, &down);
        assert_eq!(at(2.0), 6.0);
        assert_eq!(at(-2.0), -2.0);
        assert!((at(1.0) - 3.0).abs() < 1e-15);
        assert!((at(-1.0) + 1.0).abs() < 1e-15);
        assert_eq!(at(0.0), 0.0);
    }
}
