//! Differentiable analysis: soft histograms, soft cuts and Asimov significances, generic over
//! [`Scalar`](crate::Scalar), so that an analysis built on a simulator's output can be
//! differentiated end to end (the neos idea: N. Simpson, L. Heinrich, "neos: End-to-End-Optimised
//! Summary Statistics for High Energy Physics", J. Phys. Conf. Ser. 2438 (2023) 012105).
//!
//! - [`soft`]: a hard cut `x > c` becomes a logistic step of width `h`; a histogram becomes a
//!   kernel density integrated over each bin (a logistic kernel of bandwidth `h`), so bin
//!   contents are smooth functions of the events and their weights. As `h → 0` both return to
//!   their hard versions; the histogram's contents always add up to the total weight (the
//!   outermost bins extend to ±∞ unless the edges are finite, then what falls outside is
//!   reported separately).
//! - [`asimov`]: the median discovery significance of a counting experiment from the Asimov
//!   data set (G. Cowan, K. Cranmer, E. Gross, O. Vitells, "Asymptotic formulae for
//!   likelihood-based tests of new physics", Eur. Phys. J. C 71 (2011) 1554, eq. 97), with a
//!   background uncertainty (the on/off problem profiled in closed form), and for several
//!   independent bins.
//!
//! - [`histfactory`]: binned HistFactory likelihoods read from pyhf JSON workspaces (every
//!   modifier type, pyhf's interpolations and constraints), expected yields and log likelihood
//!   generic over the number type, equal to pyhf's; maximum-likelihood fits, q₀, q_μ, q̃_μ,
//!   the asymptotic CLs and the Fisher information; and the derivatives of fits (implicit
//!   differentiation), test statistics and CLs w.r.t. the templates and the data
//!   ([`histfactory::gradients`]), so that an analysis is a differentiable layer.
//!
//! The neos demonstration, a network trained through these pieces, is `crate::neos` (feature
//! `learn`).

pub mod asimov;
pub mod histfactory;
pub mod soft;

pub use asimov::{
    asimov_significance, asimov_significance_binned, asimov_significance_with_uncertainty,
};
pub use soft::{soft_cut, soft_histogram, SoftHistogram};

/// Invalid input to an analysis function.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// Bin edges must be finite (or ±∞ at the ends), strictly increasing, at least two.
    #[error("bin edges: {0}")]
    Edges(String),
    /// A bandwidth must be positive and finite.
    #[error("bandwidth {0}: must be positive and finite")]
    Bandwidth(f64),
    /// Lengths that must agree do not.
    #[error(transparent)]
    Length(#[from] crate::error::DimensionMismatch),
    /// A yield is out of its domain (named with its value).
    #[error("{what} = {value}: {rule}")]
    Yield {
        /// Which yield.
        what: String,
        /// Its value.
        value: f64,
        /// What it must satisfy.
        rule: &'static str,
    },
}
