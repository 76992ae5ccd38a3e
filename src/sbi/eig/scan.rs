//! A dense nested Monte Carlo scan of the EIG over a one-dimensional design range, to locate the
//! optimum of a task (and its local maxima) as the reference for design optimisation.

use super::error::{EigError, Result};
use super::estimate::EigEstimate;
use super::nested_mc::{eig_nested_mc, NmcConfig};
use super::simulator::DesignSimulator;

/// `EIG(ξ)` on an evenly spaced grid, every point with the same random numbers (so the scan is a
/// smooth function of ξ and differences between points are much more precise than each point's
/// standard error).
#[derive(Clone, Debug, PartialEq)]
pub struct Scan1d {
    /// The grid.
    pub designs: Vec<f64>,
    /// The estimate at each grid point.
    pub estimates: Vec<EigEstimate>,
}

impl Scan1d {
    /// Scan a simulator with one design component on `points ≥ 2` points of `[lower, upper]`.
    pub fn nested_mc<D: DesignSimulator + ?Sized>(
        sim: &D,
        lower: f64,
        upper: f64,
        points: usize,
        cfg: &NmcConfig,
    ) -> Result<Self> {
        if points < 2 || !(lower.is_finite() && upper.is_finite() && lower < upper) {
            return Err(EigError::Config(format!(
                "scan: need at least 2 points on a finite range lower < upper (got {points} on \
                 [{lower}, {upper}])"
            )));
        }
        let designs: Vec<f64> = (0..points)
            .map(|i| lower + (upper - lower) * i as f64 / (points - 1) as f64)
            .collect();
        let estimates = designs
            .iter()
            .map(|&d| eig_nested_mc(sim, &[d], cfg))
            .collect::<Result<_>>()?;
        Ok(Scan1d { designs, estimates })
    }

    /// Index of the largest estimate (the first on ties).
    pub fn argmax(&self) -> usize {
        let mut best = 0;
        for (i, e) in self.estimates.iter().enumerate() {
            if e.value > self.estimates[best].value {
                best = i;
            }
        }
        best
    }

    /// The largest estimate.
    pub fn max(&self) -> f64 {
        self.estimates[self.argmax()].value
    }

    /// Indices of the interior local maxima.
    pub fn local_maxima(&self) -> Vec<usize> {
        let v: Vec<f64> = self.estimates.iter().map(|e| e.value).collect();
        (1..v.len() - 1)
            .filter(|&i| v[i] > v[i - 1] && v[i] >= v[i + 1])
            .collect()
    }

    /// The scan at `x`, interpolated linearly (clamped to the range).
    pub fn value_at(&self, x: f64) -> f64 {
        let (lo, hi) = (self.designs[0], self.designs[self.designs.len() - 1]);
        let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0) * (self.designs.len() - 1) as f64;
        let i = (t.floor() as usize).min(self.designs.len() - 2);
        let f = t - i as f64;
        (1.0 - f) * self.estimates[i].value + f * self.estimates[i + 1].value
    }
}
