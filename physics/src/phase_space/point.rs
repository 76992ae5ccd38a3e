//! The result type of every phase-space map ([`Point`]), its errors ([`PhaseSpaceError`]) and the
//! input and output checks the maps share (unit-hypercube coordinates, masses, the
//! centre-of-mass frame, on-shell momenta).

use diffhep::RealScalar;

use crate::lorentz::FourVector;

/// Errors of the phase-space maps; each names the offending value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PhaseSpaceError {
    /// Fewer than two final-state particles.
    #[error("phase space needs at least 2 particles, got {n}")]
    TooFewParticles {
        /// The number asked for.
        n: usize,
    },
    /// A mass (or width) that is negative or not finite.
    #[error("{name} = {value} must be finite and non-negative")]
    InvalidMass {
        /// Which parameter.
        name: String,
        /// Its value.
        value: f64,
    },
    /// The number of hypercube coordinates does not match the map's dimension.
    ///
    /// Not a [`diffhep::error::DimensionMismatch`]: its message names no quantity.
    #[error("expected {expected} hypercube coordinates, got {got}")]
    WrongDimension {
        /// The map's dimension.
        expected: usize,
        /// The length supplied.
        got: usize,
    },
    /// A coordinate outside [0, 1] or NaN.
    #[error("coordinate x[{index}] = {value} is outside [0, 1]")]
    OutOfRange {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A coordinate exactly 0 or 1: the maps are defined on the open hypercube.
    #[error(
        "coordinate x[{index}] = {value} is on the boundary of the hypercube; the map is \
         defined on the open cube (0, 1)"
    )]
    OnBoundary {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// √s not above the sum of the final-state masses (or not finite).
    #[error("sqrt(s) = {sqrt_s} GeV is not above the threshold {threshold} GeV")]
    BelowThreshold {
        /// The centre-of-mass energy.
        sqrt_s: f64,
        /// The sum of masses it must exceed.
        threshold: f64,
    },
    /// The number of momenta given to an inverse does not match the map.
    ///
    /// Not a [`diffhep::error::DimensionMismatch`]: its message names no quantity.
    #[error("expected {expected} momenta, got {got}")]
    WrongMultiplicity {
        /// Particles the map has.
        expected: usize,
        /// Momenta supplied.
        got: usize,
    },
    /// The momenta given to an inverse do not sum to (√s, 0, 0, 0).
    #[error("momenta do not sum to (sqrt(s), 0, 0, 0): largest deviation {residual} GeV")]
    NotInCmFrame {
        /// Largest |component| of Σpᵢ − (√s, 0, 0, 0), in GeV.
        residual: f64,
    },
    /// A momentum given to an inverse is not on its mass shell.
    #[error("momentum {index} has mass {mass} GeV, expected {expected} GeV")]
    OffShell {
        /// Index of the momentum.
        index: usize,
        /// Its invariant mass (NaN if space-like).
        mass: f64,
        /// The mass the map expects.
        expected: f64,
    },
    /// A momentum given to an inverse lies where the map is singular (e.g. at rest, or a
    /// vanishing intermediate mass): the preimage is on the boundary of the hypercube.
    #[error("degenerate kinematics: {what}")]
    Degenerate {
        /// What is degenerate.
        what: String,
    },
}

/// One phase-space point: momenta and the density of the map there.
#[derive(Clone, Debug)]
pub struct Point<S> {
    /// Final-state momenta in the centre-of-mass frame, in the map's particle order.
    pub momenta: Vec<FourVector<S>>,
    /// dΦₙ per unit hypercube volume (see the [module docs](self)).
    pub weight: S,
    /// ln of `weight`, computed as a sum of logarithms (no underflow for large n).
    pub log_weight: S,
}

impl<S: RealScalar> Point<S> {
    /// The point with `momenta` and log-weight `log_weight` (weight = its exponential), checked
    /// by [`check_point`]: finite momenta with non-negative energies and a valid weight.
    pub(crate) fn checked(
        momenta: Vec<FourVector<S>>,
        log_weight: S,
    ) -> Result<Self, PhaseSpaceError> {
        let point = Point {
            momenta,
            weight: log_weight.exp(),
            log_weight,
        };
        check_point(&point)?;
        Ok(point)
    }
}

/// Check the hypercube coordinates: the right count, inside [0, 1], not on the boundary.
pub(crate) fn check_unit<S: RealScalar>(x: &[S], dim: usize) -> Result<(), PhaseSpaceError> {
    if x.len() != dim {
        return Err(PhaseSpaceError::WrongDimension {
            expected: dim,
            got: x.len(),
        });
    }
    for (index, xi) in x.iter().enumerate() {
        let value = xi.value();
        if !(0.0..=1.0).contains(&value) {
            return Err(PhaseSpaceError::OutOfRange { index, value });
        }
        if value == 0.0 || value == 1.0 {
            return Err(PhaseSpaceError::OnBoundary { index, value });
        }
    }
    Ok(())
}

/// Check a mass-like parameter: finite and non-negative.
pub(crate) fn check_mass(name: &str, value: f64) -> Result<(), PhaseSpaceError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PhaseSpaceError::InvalidMass {
            name: name.to_string(),
            value,
        })
    }
}

/// Largest deviation of Σpᵢ from (√s, 0, 0, 0), relative tolerance of the inverse maps.
pub(crate) fn check_cm_frame<S: RealScalar>(
    sqrt_s: f64,
    momenta: &[FourVector<S>],
) -> Result<(), PhaseSpaceError> {
    let mut sum = [0.0f64; 4];
    for p in momenta {
        sum[0] += p.e.value();
        sum[1] += p.px.value();
        sum[2] += p.py.value();
        sum[3] += p.pz.value();
    }
    let residual = (sum[0] - sqrt_s)
        .abs()
        .max(sum[1].abs())
        .max(sum[2].abs())
        .max(sum[3].abs());
    // Relative tolerance: momenta written and read back in double precision pass easily.
    if residual.is_nan() || residual > 1e-9 * sqrt_s {
        return Err(PhaseSpaceError::NotInCmFrame { residual });
    }
    Ok(())
}

/// Check that `p` has mass `expected` to a tolerance relative to its energy.
pub(crate) fn check_on_shell<S: RealScalar>(
    index: usize,
    p: &FourVector<S>,
    expected: f64,
) -> Result<(), PhaseSpaceError> {
    let (e, p3) = (p.e.value(), p.p().value());
    let m2 = (e - p3) * (e + p3);
    let scale = e * e;
    if !m2.is_finite() || (m2 - expected * expected).abs() > 1e-9 * scale.max(f64::MIN_POSITIVE) {
        return Err(PhaseSpaceError::OffShell {
            index,
            mass: m2.sqrt(),
            expected,
        });
    }
    Ok(())
}

/// Reject a point whose momenta or weight are not finite (only reachable within rounding of the
/// hypercube's boundary). A weight that underflows to exactly 0 (log-weight −∞) is accepted.
pub(crate) fn check_point<S: RealScalar>(point: &Point<S>) -> Result<(), PhaseSpaceError> {
    for (i, p) in point.momenta.iter().enumerate() {
        let c = [p.e.value(), p.px.value(), p.py.value(), p.pz.value()];
        if !(c.iter().all(|v| v.is_finite()) && c[0] >= 0.0) {
            return Err(PhaseSpaceError::Degenerate {
                what: format!(
                    "momentum {i} = {c:?} is not finite: the point is within rounding of the \
                     hypercube's boundary"
                ),
            });
        }
    }
    let (w, lw) = (point.weight.value(), point.log_weight.value());
    if !(w.is_finite() && w >= 0.0) || lw.is_nan() || lw == f64::INFINITY {
        return Err(PhaseSpaceError::Degenerate {
            what: format!("weight {w} (log {lw}) is not finite"),
        });
    }
    Ok(())
}
