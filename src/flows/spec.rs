//! Architecture of a flow ([`FlowSpec`]) and the errors of the flow layer ([`FlowError`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::DimensionMismatch;
use crate::nn::{Activation, NnError};

/// The space a flow lives on, which also fixes its base distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Domain {
    /// `ℝᵈ` with a standard normal base `N(0, I)`.
    Real,
    /// The unit hypercube `[0, 1]ᵈ` (the domain of a phase-space map) with a uniform base.
    /// Only spline couplings keep points inside it; points outside have `log q = −∞`.
    UnitCube,
}

/// The element-wise bijection of each coupling layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transform {
    /// RealNVP affine coupling `y = x·exp(s) + t` (Dinh, Sohl-Dickstein, Bengio 2017), with the
    /// log-scale softly clamped to `±3` by `s = 3·tanh(a/3)`.
    Affine,
    /// Rational-quadratic spline coupling with `bins` bins (Durkan, Bekasov, Murray, Papamakarios,
    /// "Neural Spline Flows", NeurIPS 2019). On [`Domain::Real`] the spline covers
    /// `[−tail_bound, tail_bound]` with identity (linear) tails; on [`Domain::UnitCube`] it covers
    /// `[0, 1]` and the boundary derivatives are learned too.
    Spline {
        /// Number of bins (at least 2).
        bins: usize,
    },
}

/// Architecture of a [`super::Flow`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowSpec {
    /// Dimension `d` of the modelled variable.
    pub dim: usize,
    /// Dimension of the conditioning context (0 for an unconditional flow).
    pub context_dim: usize,
    /// Number of coupling layers.
    pub layers: usize,
    /// Hidden widths of each layer's conditioner network.
    pub hidden: Vec<usize>,
    /// Element-wise transform of the coupling layers.
    pub transform: Transform,
    /// Domain and base distribution.
    pub domain: Domain,
    /// Half-width of the spline interval on [`Domain::Real`] (ignored otherwise).
    pub tail_bound: f64,
    /// Hidden activation of the conditioner networks.
    pub activation: Activation,
    /// Damped parametrisation: raw conditioner outputs are divided by `√(last hidden width)`
    /// (as the reference neural-spline-flow code divides its bin logits by √hidden), and on
    /// [`Domain::Real`] each spline is preceded by an element-wise affine map. Adam's fixed step
    /// then moves the transforms less per step, which cuts the overfitting of flows fitted to
    /// samples (see `docs/flows.md`). Off by default (the FAB presets were tuned without it).
    #[serde(default)]
    pub damped: bool,
}

impl FlowSpec {
    /// A flow of dimension `dim` with defaults: 4 coupling layers, conditioners with two hidden
    /// layers of 64 ReLU units, no context, spline tail bound 5.
    pub fn new(dim: usize, transform: Transform, domain: Domain) -> Self {
        FlowSpec {
            dim,
            context_dim: 0,
            layers: 4,
            hidden: vec![64, 64],
            transform,
            domain,
            tail_bound: 5.0,
            activation: Activation::Relu,
            damped: false,
        }
    }

    /// Use the damped parametrisation (see [`FlowSpec::damped`]).
    pub fn with_damping(mut self, damped: bool) -> Self {
        self.damped = damped;
        self
    }

    /// Condition on a context vector of `context_dim` values.
    pub fn with_context(mut self, context_dim: usize) -> Self {
        self.context_dim = context_dim;
        self
    }

    /// Use `layers` coupling layers.
    pub fn with_layers(mut self, layers: usize) -> Self {
        self.layers = layers;
        self
    }

    /// Use conditioner networks with these hidden widths.
    pub fn with_hidden(mut self, hidden: Vec<usize>) -> Self {
        self.hidden = hidden;
        self
    }

    /// Use this hidden activation in the conditioners.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Use this spline tail bound (on [`Domain::Real`]).
    pub fn with_tail_bound(mut self, tail_bound: f64) -> Self {
        self.tail_bound = tail_bound;
        self
    }

    /// Check the architecture; the error names the offending field.
    pub fn validate(&self) -> Result<(), FlowError> {
        let bad = |m: String| Err(FlowError::Config(m));
        if self.dim == 0 {
            return bad("dim must be at least 1".into());
        }
        if self.layers == 0 {
            return bad("layers must be at least 1".into());
        }
        if self.hidden.contains(&0) {
            return bad("hidden widths must be positive".into());
        }
        match self.transform {
            Transform::Spline { bins } if bins < 2 => {
                return bad(format!("spline bins must be at least 2, got {bins}"))
            }
            Transform::Affine if self.domain == Domain::UnitCube => {
                return bad(
                    "affine couplings do not keep points in the unit cube; use a spline".into(),
                )
            }
            _ => {}
        }
        if self.domain == Domain::Real && !(self.tail_bound.is_finite() && self.tail_bound > 0.0) {
            return bad(format!(
                "tail_bound must be positive and finite, got {}",
                self.tail_bound
            ));
        }
        Ok(())
    }
}

/// Bad input to a flow.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum FlowError {
    /// A length that does not match what the flow expects.
    #[error("{0}")]
    Dimension(#[from] DimensionMismatch),
    /// An invalid architecture or training setting.
    #[error("flow configuration: {0}")]
    Config(String),
    /// An error of a conditioner network or the optimizer.
    #[error("conditioner network: {0}")]
    Nn(#[from] NnError),
    /// A flow file that cannot be read, written or parsed.
    #[error("flow file: {0}")]
    File(String),
    /// Input values that are not finite.
    #[error("{0} contains NaN or infinite values")]
    NonFinite(&'static str),
}
