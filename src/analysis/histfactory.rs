//! HistFactory binned likelihoods read from pyhf JSON workspaces (see [`model`] for the
//! conventions, which follow pyhf so that numbers agree with it).

pub mod cls;
pub mod fisher;
pub mod fit;
pub mod gradients;
pub mod interpolation;
pub mod model;
pub mod test_statistics;
pub mod workspace;

pub use cls::{cls, ClsResult};
pub use fisher::{fisher_information, signal_strength_variance};
pub use fit::{fit, Fit};
pub use gradients::{
    asimov_cls_gradient, cls_gradient, fit_jacobian, qmu_tilde_gradient, ClsGradient, InputGradient,
};
pub use model::{Constraint, Model, ParameterSet};
pub use test_statistics::{q0, qmu, qmu_tilde};
pub use workspace::Workspace;

/// Invalid workspace or input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HistFactoryError {
    /// The JSON could not be read as a workspace.
    #[error("workspace JSON: {0}")]
    Json(String),
    /// The workspace is inconsistent (the message names what).
    #[error("workspace: {0}")]
    Invalid(String),
    /// A fit failed (the message says why).
    #[error("fit: {0}")]
    Fit(String),
    /// The derivatives of a fit could not be formed (e.g. a flat direction at the best fit).
    #[error("implicit derivatives of a fit")]
    Implicit(#[source] crate::implicit::ImplicitError),
}

impl Workspace {
    /// Read a workspace from pyhf's JSON.
    pub fn from_json(text: &str) -> Result<Self, HistFactoryError> {
        serde_json::from_str(text).map_err(|e| HistFactoryError::Json(e.to_string()))
    }
}
