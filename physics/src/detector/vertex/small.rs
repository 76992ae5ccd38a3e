//! Generic 2×2 and 3×3 symmetric linear algebra over any [`RealScalar`] (nalgebra's
//! factorisations need its own scalar traits, which tape variables do not implement).

use diffhep::RealScalar;

/// Inverse of a symmetric 2×2 matrix, `None` unless positive definite (by value).
pub(crate) fn inverse2<S: RealScalar>(m: &[[S; 2]; 2]) -> Option<[[S; 2]; 2]> {
    let det = m[0][0].clone() * m[1][1].clone() - m[0][1].clone() * m[0][1].clone();
    if !(m[0][0].value() > 0.0 && det.value() > 0.0) {
        return None;
    }
    let r = det.recip();
    let off = -m[0][1].clone() * r.clone();
    Some([
        [m[1][1].clone() * r.clone(), off.clone()],
        [off, m[0][0].clone() * r],
    ])
}

/// Cholesky factor `L` (lower) of a symmetric 3×3 matrix, `None` unless positive definite.
pub(crate) fn cholesky3<S: RealScalar>(m: &[[S; 3]; 3]) -> Option<[[S; 3]; 3]> {
    let mut l: [[S; 3]; 3] = std::array::from_fn(|_| std::array::from_fn(|_| S::zero()));
    for i in 0..3 {
        for j in 0..=i {
            let mut s = m[i][j].clone();
            for k in 0..j {
                s -= l[i][k].clone() * l[j][k].clone();
            }
            if i == j {
                if s.value().is_nan() || s.value() <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j].clone();
            }
        }
    }
    Some(l)
}

/// Solve `L Lᵀ x = b` given the Cholesky factor.
pub(crate) fn cholesky_solve3<S: RealScalar>(l: &[[S; 3]; 3], b: &[S; 3]) -> [S; 3] {
    let mut y: [S; 3] = b.clone();
    for i in 0..3 {
        for k in 0..i {
            let t = l[i][k].clone() * y[k].clone();
            y[i] -= t;
        }
        y[i] = y[i].clone() / l[i][i].clone();
    }
    for i in (0..3).rev() {
        for k in (i + 1)..3 {
            let t = l[k][i].clone() * y[k].clone();
            y[i] -= t;
        }
        y[i] = y[i].clone() / l[i][i].clone();
    }
    y
}

/// Inverse from the Cholesky factor (three solves).
pub(crate) fn cholesky_inverse3<S: RealScalar>(l: &[[S; 3]; 3]) -> [[S; 3]; 3] {
    let cols: [[S; 3]; 3] = std::array::from_fn(|j| {
        let e: [S; 3] = std::array::from_fn(|i| if i == j { S::one() } else { S::zero() });
        cholesky_solve3(l, &e)
    });
    std::array::from_fn(|i| std::array::from_fn(|j| cols[j][i].clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_inverse_is_an_inverse() {
        let m = [[4.0, 1.0, 0.5], [1.0, 3.0, -0.2], [0.5, -0.2, 2.0]];
        let inv = cholesky_inverse3(&cholesky3(&m).unwrap());
        for i in 0..3 {
            for j in 0..3 {
                let p: f64 = (0..3).map(|k| m[i][k] * inv[k][j]).sum();
                assert!((p - if i == j { 1.0 } else { 0.0 }).abs() < 1e-15);
            }
        }
        assert!(cholesky3(&[[1.0f64, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).is_none());
        let i2 = inverse2(&[[2.0f64, 0.5], [0.5, 1.0]]).unwrap();
        assert!((i2[0][0] - 1.0 / 1.75).abs() < 1e-15 && (i2[0][1] + 0.5 / 1.75).abs() < 1e-15);
        assert!(inverse2(&[[1.0f64, 2.0], [2.0, 1.0]]).is_none());
    }
}
