//! Monte Carlo cross sections with pathwise gradients.
//!
//! σ(θ) = ∫ w(x; θ) dx over the unit hypercube (see [`crate::collider::process`]). Each point is evaluated
//! once with dual numbers carrying one tangent per differentiable input — MZ, WZ, aEWM1, Gf, MT,
//! WT and √s — so the value and all derivatives use the *same* random points (pathwise, or
//! reparameterisation, gradients): ∂σ/∂θ = E[∂w/∂θ], each with its own MC standard error.
//!
//! Optionally an adaptive VEGAS grid ([`crate::integrate::vegas`], Lepage 1978) is trained on the plain f64
//! integrand first; the frozen grid then maps uniform u to x with Jacobian J and the estimator
//! becomes E[w(x(u)) J(u)] — the grid does not depend on θ, so gradients stay pathwise.
//!
//! Points are processed in fixed blocks, in parallel with rayon; each block has its own generator
//! seeded from (seed, block index), and block sums are reduced in block order, so the result is
//! bit-identical for a given seed at any thread count. Points the phase-space map rejects (an x
//! exactly on the hypercube boundary) count as zero weight and are reported in `rejected_points`.
//!
//! The Fisher information per event, I_ij = E_p[∂ᵢ ln p ∂ⱼ ln p] with p = w/σ the normalised
//! event density, is estimated from the same points for the parameters that do not move the
//! phase-space map (the electroweak inputs MZ, WZ, aEWM1, Gf for the 2 → 2 processes).

use nalgebra::SVector;
use num_dual::{Derivative, DualSVec64};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

use diffhep::error::{check_finite, check_normal, NotRepresentable};

use crate::collider::process::{Process, ProcessError};
use crate::collider::sm::{ParamCard, ParamError};
use crate::integrate::vegas::{Vegas, VegasConfig, VegasError, VegasGrid};

/// The differentiable inputs, in the order of [`XsecResult::gradient`].
pub const GRAD_PARAMS: [&str; 7] = ["MZ", "WZ", "aEWM1", "Gf", "MT", "WT", "sqrt_s"];
const NG: usize = 7;
const NF: usize = 4;
type D = DualSVec64<NG>;

/// Settings of [`cross_section`].
#[derive(Clone, Debug)]
pub struct XsecConfig {
    /// Number of points of the final integration.
    pub events: usize,
    /// Seed of every random number used.
    pub seed: u64,
    /// Points per block (the unit of parallel work and of the fixed-order reduction).
    pub block: usize,
    /// VEGAS training iterations before the final integration (0: plain MC).
    pub vegas_iterations: usize,
    /// Points per VEGAS training iteration.
    pub vegas_calls: usize,
}

impl Default for XsecConfig {
    fn default() -> Self {
        XsecConfig {
            events: 100_000,
            seed: 1,
            block: 1000,
            vegas_iterations: 0,
            vegas_calls: 10_000,
        }
    }
}

/// A Monte Carlo estimate with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub error: f64,
}

/// Result of [`cross_section`].
#[derive(Clone, Debug)]
pub struct XsecResult {
    /// Process name.
    pub process: String,
    /// √s in GeV.
    pub sqrt_s_gev: f64,
    /// σ in pb.
    pub sigma_pb: f64,
    /// Its MC standard error.
    pub sigma_err_pb: f64,
    /// Forward–backward asymmetry of the first final-state particle, where defined.
    pub afb: Option<Estimate>,
    /// ∂σ/∂θ in pb per unit of each parameter of [`GRAD_PARAMS`], with errors.
    pub gradient: Vec<(&'static str, Estimate)>,
    /// Fisher information per event for (MZ, WZ, aEWM1, Gf), for the 2 → 2 processes.
    pub fisher: Option<[[f64; NF]; NF]>,
    /// Points used.
    pub events: usize,
    /// Points rejected by the phase-space map (counted with zero weight).
    pub rejected_points: usize,
}

/// Errors of [`cross_section`].
#[derive(Debug, thiserror::Error)]
pub enum XsecError {
    /// Bad model parameters (printed as the [`ParamError`] itself).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Bad process or kinematics (printed as the [`ProcessError`] itself).
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// VEGAS failed; the [`VegasError`] is the source.
    #[error("VEGAS: {0}")]
    Vegas(#[from] VegasError),
    /// A setting is out of range (the message is built here, from no other error).
    #[error("invalid setting: {0}")]
    Config(String),
    /// The integrand or one of its derivatives is NaN or ∞ at a point.
    #[error("{quantity} is not finite at a point of block {block}")]
    NonFinite {
        /// Block of the point.
        block: usize,
        /// What is not finite: `the integrand` or `∂(integrand)/∂MZ`, ….
        quantity: String,
    },
    /// A result (σ, its error, A_FB, a derivative, a Fisher entry) is NaN, overflowed, or
    /// underflowed to 0 where it cannot vanish; printed as the [`NotRepresentable`] itself.
    #[error(transparent)]
    NotRepresentable(#[from] NotRepresentable),
}

fn seeded(i: usize) -> D {
    D::new(
        0.0,
        Derivative::some(SVector::<f64, NG>::from_fn(
            |r, _| if r == i { 1.0 } else { 0.0 },
        )),
    )
}

fn dual(x: f64, i: usize) -> D {
    let mut d = seeded(i);
    d.re = x;
    d
}

/// Per-block sums (fixed layout so blocks reduce in order).
#[derive(Clone)]
struct Sums {
    w: f64,
    w2: f64,
    g: [f64; NG],
    g2: [f64; NG],
    wf: f64,
    wf2: f64,
    wwf: f64,
    fisher: [[f64; NF]; NF],
    rejected: usize,
}

impl Sums {
    fn zero() -> Self {
        Sums {
            w: 0.0,
            w2: 0.0,
            g: [0.0; NG],
            g2: [0.0; NG],
            wf: 0.0,
            wf2: 0.0,
            wwf: 0.0,
            fisher: [[0.0; NF]; NF],
            rejected: 0,
        }
    }
    fn add(&mut self, o: &Sums) {
        self.w += o.w;
        self.w2 += o.w2;
        for i in 0..NG {
            self.g[i] += o.g[i];
            self.g2[i] += o.g2[i];
        }
        self.wf += o.wf;
        self.wf2 += o.wf2;
        self.wwf += o.wwf;
        for i in 0..NF {
            for j in 0..NF {
                self.fisher[i][j] += o.fisher[i][j];
            }
        }
        self.rejected += o.rejected;
    }
}

fn block_seed(seed: u64, block: usize) -> u64 {
    // SplitMix64 of (seed, block): independent, reproducible streams per block.
    let mut z = seed ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Integrate `process` at `sqrt_s` for the parameters of `card`. `progress` is called with the
/// number of points done after each block (from worker threads).
///
/// Every number of the result is representable: σ is a normal positive number, every
/// derivative the process depends on ([`Process::depends_on`]) is finite and non-zero, and the
/// errors, A_FB and the Fisher matrix are finite — otherwise the result is
/// [`XsecError::NotRepresentable`] naming the quantity (e.g. σ underflows to 0 at √s = 1e300 GeV,
/// where 1/s is below the smallest double).
#[allow(clippy::needless_range_loop)] // index loops over several parallel arrays
pub fn cross_section(
    process: Process,
    card: &ParamCard,
    sqrt_s: f64,
    cfg: &XsecConfig,
    progress: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<XsecResult, XsecError> {
    card.validate().map_err(XsecError::Param)?;
    if cfg.events < 2 || cfg.block == 0 {
        return Err(XsecError::Config(format!(
            "events = {} (need ≥ 2) and block = {} (need ≥ 1)",
            cfg.events, cfg.block
        )));
    }
    if !(sqrt_s.is_finite() && sqrt_s > 0.0) {
        return Err(XsecError::Config(format!(
            "sqrt_s = {sqrt_s} must be a positive number"
        )));
    }
    let p64 = card.to_params::<f64>();
    let threshold = process.threshold(&p64);
    if sqrt_s <= threshold {
        return Err(ProcessError::BelowThreshold {
            process: process.name().to_string(),
            sqrt_s,
            threshold,
        }
        .into());
    }
    let dim = process.dim();
    let grid = if cfg.vegas_iterations > 0 {
        let mut vegas = Vegas::new(
            dim,
            VegasConfig {
                seed: cfg.seed,
                ..VegasConfig::default()
            },
        )
        .map_err(XsecError::Vegas)?;
        vegas
            .adapt(cfg.vegas_iterations, cfg.vegas_calls, |x| {
                process
                    .point(&p64, &sqrt_s, x)
                    .map(|p| p.weight)
                    .unwrap_or(0.0)
            })
            .map_err(XsecError::Vegas)?;
        vegas.grid().clone()
    } else {
        VegasGrid::uniform(dim, 1).map_err(XsecError::Vegas)?
    };

    let mut pd = card.to_params::<D>();
    for (i, name) in GRAD_PARAMS.iter().take(6).enumerate() {
        pd.set(name, dual(card.get(name).map_err(XsecError::Param)?, i))
            .map_err(XsecError::Param)?;
    }
    let rs = dual(sqrt_s, 6);
    let n_blocks = cfg.events.div_ceil(cfg.block);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let blocks: Vec<Result<Sums, XsecError>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let n = cfg.block.min(cfg.events - b * cfg.block);
            let mut rng = ChaCha8Rng::seed_from_u64(block_seed(cfg.seed, b));
            let mut sums = Sums::zero();
            let (mut u, mut y) = (vec![0.0; dim], vec![0.0; dim]);
            for _ in 0..n {
                for ui in u.iter_mut() {
                    *ui = rng.random();
                }
                let jac = grid.map(&u, &mut y).map_err(XsecError::Vegas)?;
                let x: Vec<D> = y.iter().map(|&v| D::from(v)).collect();
                let pt = match process.point(&pd, &rs, &x) {
                    Ok(pt) => pt,
                    Err(ProcessError::PhaseSpace(_)) => {
                        sums.rejected += 1;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                let w = pt.weight.re * jac;
                let g = pt
                    .weight
                    .eps
                    .unwrap_generic(nalgebra::Const::<NG>, nalgebra::U1)
                    * jac;
                if !w.is_finite() {
                    return Err(XsecError::NonFinite {
                        block: b,
                        quantity: "the integrand".into(),
                    });
                }
                if let Some(i) = g.iter().position(|v| !v.is_finite()) {
                    return Err(XsecError::NonFinite {
                        block: b,
                        quantity: format!("∂(integrand)/∂{}", GRAD_PARAMS[i]),
                    });
                }
                sums.w += w;
                sums.w2 += w * w;
                for i in 0..NG {
                    sums.g[i] += g[i];
                    sums.g2[i] += g[i] * g[i];
                }
                if process.has_afb() {
                    let f = if pt.momenta[2].pz.re > 0.0 { w } else { -w };
                    sums.wf += f;
                    sums.wf2 += f * f;
                    sums.wwf += w * f;
                    if w > 0.0 {
                        for i in 0..NF {
                            for j in 0..NF {
                                sums.fisher[i][j] += g[i] * g[j] / w;
                            }
                        }
                    }
                }
            }
            if let Some(cb) = progress {
                cb(done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n);
            }
            Ok(sums)
        })
        .collect();
    let mut t = Sums::zero();
    for b in blocks {
        t.add(&b?);
    }
    let n = cfg.events as f64;
    let mean_err = |s: f64, s2: f64| {
        let m = s / n;
        (m, ((s2 / n - m * m).max(0.0) / (n - 1.0)).sqrt())
    };
    let (sigma, sigma_err) = mean_err(t.w, t.w2);
    let gradient = GRAD_PARAMS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (v, e) = mean_err(t.g[i], t.g2[i]);
            (*name, Estimate { value: v, error: e })
        })
        .collect();
    let (afb, fisher) = if process.has_afb() && sigma > 0.0 {
        let a = t.wf / t.w;
        // Ratio estimator: var(A) ≈ var(w f − A w)/(n mean(w)²).
        let var = (t.wf2 - 2.0 * a * t.wwf + a * a * t.w2) / n;
        let afb = Estimate {
            value: a,
            error: (var.max(0.0) / (n - 1.0)).sqrt() / (t.w / n),
        };
        // I = (1/σ) E_x[∂w ∂wᵀ / w] − (∂σ/σ)(∂σ/σ)ᵀ
        let mut f = [[0.0; NF]; NF];
        for i in 0..NF {
            for j in 0..NF {
                let (gi, gj) = (t.g[i] / n, t.g[j] / n);
                f[i][j] = t.fisher[i][j] / n / sigma - gi * gj / (sigma * sigma);
            }
        }
        (Some(afb), Some(f))
    } else {
        (None, None)
    };
    let result = XsecResult {
        process: process.name().to_string(),
        sqrt_s_gev: sqrt_s,
        sigma_pb: sigma,
        sigma_err_pb: sigma_err,
        afb,
        gradient,
        fisher,
        events: cfg.events,
        rejected_points: t.rejected,
    };
    check_representable(process, &result)?;
    Ok(result)
}

/// The rule of [`cross_section`]: every number of `r` is representable (see there).
fn check_representable(process: Process, r: &XsecResult) -> Result<(), NotRepresentable> {
    check_normal("σ", r.sigma_pb)?;
    check_finite("the error of σ", r.sigma_err_pb)?;
    for (name, e) in &r.gradient {
        if process.depends_on(name) {
            check_normal(format_args!("∂σ/∂{name}"), e.value)?;
        } else {
            check_finite(format_args!("∂σ/∂{name}"), e.value)?;
        }
        check_finite(format_args!("the error of ∂σ/∂{name}"), e.error)?;
    }
    if let Some(a) = &r.afb {
        check_finite("A_FB", a.value)?;
        check_finite("the error of A_FB", a.error)?;
    }
    if let Some(f) = &r.fisher {
        for (i, row) in f.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                check_finite(
                    format_args!(
                        "Fisher information [{}][{}]",
                        GRAD_PARAMS[i], GRAD_PARAMS[j]
                    ),
                    *v,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
