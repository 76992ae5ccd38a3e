//! Pathwise design gradients of estimators whose network is held fixed: the per-sample term
//! `fₙ(xₙ)` depends on the design only through the simulation `xₙ = g(θₙ, εₙ, d)`, so
//! `∂fₙ/∂d = (∂fₙ/∂x)ᵀ ∂xₙ/∂d` — the network's input gradient times the simulator's design
//! Jacobian (dual numbers, [`super::simulator::design_jacobians`]).

use super::error::{EigError, Result};
use super::estimate::{mean_and_se_rows, EigEstimate, EigGradient, EigKind};
use super::simulator::{design_jacobians, simulate_draws, DesignSimulator, Draws};

/// Per-sample terms and, when asked for, their gradients w.r.t. `xₙ` (rows of `x_dim`).
pub(crate) type Critic<'a> = dyn FnOnce(&[f64], bool) -> Result<(Vec<f64>, Option<Vec<f64>>)> + 'a;

/// Simulate the outer draws at `design`, evaluate the critic on them and, with `with_grad`,
/// chain its x-gradients with the design Jacobians. Without `with_grad` the gradient (and its
/// standard error) is empty.
pub(crate) fn pathwise<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    draws: &Draws,
    kind: EigKind,
    with_grad: bool,
    critic: Box<Critic<'_>>,
) -> Result<EigGradient> {
    let x = simulate_draws(sim, design, draws)?;
    let (terms, gx) = critic(&x, with_grad)?;
    let estimate = EigEstimate::from_terms(&terms, kind)?;
    let (gradient, gradient_std_error) = match (with_grad, gx) {
        (false, _) => (Vec::new(), Vec::new()),
        (true, Some(gx)) => {
            let (dx, dd) = (sim.x_dim(), sim.design_dim());
            crate::error::check_len("critic x-gradient", draws.n * dx, gx.len())?;
            let jac = design_jacobians(sim, design, draws)?;
            let mut per = vec![0.0; draws.n * dd];
            for n in 0..draws.n {
                for r in 0..dx {
                    for j in 0..dd {
                        per[n * dd + j] += gx[n * dx + r] * jac[(n * dx + r) * dd + j];
                    }
                }
            }
            let (g, se) = mean_and_se_rows(&per, draws.n, dd);
            if g.iter().any(|v| !v.is_finite()) {
                return Err(EigError::NonFinite("design gradient"));
            }
            (g, se)
        }
        (true, None) => return Err(EigError::NonFinite("critic returned no x-gradient")),
    };
    Ok(EigGradient {
        estimate,
        gradient,
        gradient_std_error,
    })
}

/// Settings of the estimators evaluated on a trained network (posterior bound, contrastive
/// bounds): the number of outer samples and the seed of their draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalConfig {
    /// Outer samples `N` (fresh `(θₙ, εₙ)`, independent of the training set for a different
    /// seed).
    pub samples: usize,
    /// Seed of the draws; the same seed at two designs gives common random numbers.
    pub seed: u64,
}

impl Default for EvalConfig {
    /// 2000 samples, seed 1.
    fn default() -> Self {
        EvalConfig {
            samples: 2000,
            seed: 1,
        }
    }
}
