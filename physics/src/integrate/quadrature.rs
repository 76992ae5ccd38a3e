//! Gauss–Legendre quadrature: n nodes integrate polynomials of degree 2n − 1 exactly on [a, b].
//!
//! Nodes are the roots of the Legendre polynomial P_n, found by Newton's method from the
//! Chebyshev-like initial guesses cos(π(i − ¼)/(n + ½)); weights w = 2/((1 − x²) P_n'(x)²)
//! (Abramowitz & Stegun 25.4.29).

/// Errors of the quadrature rule.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QuadratureError {
    /// At least one node is needed.
    #[error("Gauss–Legendre quadrature needs at least one node")]
    NoNodes,
}

/// Nodes and weights of the n-point rule on [−1, 1].
pub fn gauss_legendre(n: usize) -> Result<(Vec<f64>, Vec<f64>), QuadratureError> {
    if n == 0 {
        return Err(QuadratureError::NoNodes);
    }
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 0.0;
        for _ in 0..100 {
            // Recurrence for P_n(x) and its derivative.
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 1 { x } else { p1 };
            let pnm1 = if n == 1 { 1.0 } else { p0 };
            dp = n as f64 * (x * pn - pnm1) / (x * x - 1.0);
            let dx = pn / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        nodes[i] = -x;
        nodes[n - 1 - i] = x;
        let w = 2.0 / ((1.0 - x * x) * dp * dp);
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    Ok((nodes, weights))
}

/// ∫ₐᵇ f(x) dx with the n-point rule.
pub fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> Result<f64, QuadratureError> {
    let (x, w) = gauss_legendre(n)?;
    let (h, m) = (0.5 * (b - a), 0.5 * (b + a));
    Ok(x.iter()
        .zip(&w)
        .map(|(xi, wi)| wi * f(m + h * xi))
        .sum::<f64>()
        * h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomials_are_exact_and_weights_sum_to_two() {
        for n in 1..=12 {
            let (_, w) = gauss_legendre(n).unwrap();
            assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-14);
            // ∫₀² x^(2n−1) dx = 2^(2n)/(2n)
            let d = 2 * n - 1;
            let exact = 2f64.powi(d as i32 + 1) / (d as f64 + 1.0);
            let got = integrate(|x| x.powi(d as i32), 0.0, 2.0, n).unwrap();
            assert!(
                (got - exact).abs() < 1e-12 * exact,
                "n = {n}: {got} vs {exact}"
            );
        }
        assert!((integrate(f64::exp, 0.0, 1.0, 10).unwrap() - (1f64.exp() - 1.0)).abs() < 1e-15);
        assert_eq!(gauss_legendre(0).unwrap_err(), QuadratureError::NoNodes);
    }

    #[test]
    fn error_message_is_unchanged() {
        assert_eq!(
            QuadratureError::NoNodes.to_string(),
            "Gauss–Legendre quadrature needs at least one node"
        );
    }
}
