//! A process string turned into matrix elements: the subprocesses it stands for, each compiled
//! once, and |M|² with checked momenta.
//!
//! # From string to subprocesses
//! [`MatrixElement::new`] parses the string ([`super::syntax`]), replaces each decayed particle
//! of the final state by its products *in place* (recursively, so `"e+ e- > t t~, t > w+ b,
//! t~ > w- b~"` has the final state `w+ b w- b~`), expands the multiparticle labels into every
//! combination, drops the combinations that violate charge or have no diagram at the requested
//! orders (as MadGraph does) and keeps one subprocess per distinct initial state and final-state
//! multiset. A decay given once for a label that occurs several times decays every copy.
//!
//! Diagram selection follows MadGraph: `QCD=n`/`QED=n` (at most), `==` (exactly); with no order
//! given, the diagrams of minimal weighted order QCD + 2·QED are kept. `/ X` removes X (and its
//! antiparticle) from every propagator, `$ X` from s-channel propagators, `> X >` requires an
//! s-channel X, and each decay requires its products to come from one propagator of the parent
//! (the diagrams MadGraph's decay-chain syntax keeps; the parent's Breit–Wigner stays in).

use diffhep::RealScalar;

use super::model::{Gauge, Model, WidthScheme};
use super::program::Selection;
use super::subprocess::{Subprocess, SubprocessError};
use super::syntax::{self, DecaySpec, OrderKind, SyntaxError};
use crate::collider::sm::SmParams;
use crate::lorentz::FourVector;

/// At most this many label combinations are expanded.
pub const MAX_COMBINATIONS: usize = 10_000;

/// What is wrong with a process string.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProcessStringError {
    /// The string does not parse.
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// A name that is neither a particle nor a multiparticle label.
    #[error("unknown particle '{0}' (the sm model names: d u s c b t with ~ for antiquarks, e- e+ mu- mu+ ta- ta+, ve vm vt with ~, a z w+ w- g h; multiparticles p j l+ l- vl vl~)")]
    UnknownParticle(String),
    /// A coupling order other than QCD and QED.
    #[error("unknown coupling order '{0}' (the sm model has QCD and QED)")]
    UnknownOrder(String),
    /// A coupling order above 255.
    #[error("coupling order {0} is too large")]
    OrderTooLarge(u32),
    /// A decay parent that is a multiparticle label.
    #[error("decay parent '{0}' must be a single particle")]
    MultiparticleParent(String),
    /// Every combination failed; the reason of the first is kept.
    #[error("no subprocess of '{text}' can be built: {first}")]
    NoSubprocess {
        /// The process string.
        text: String,
        /// Why the first combination was dropped.
        #[source]
        first: SubprocessError,
    },
}

/// Why a set of momenta was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MomentaError {
    /// Not one momentum per external particle.
    #[error("{got} momenta given, the process {process} has {want} particles")]
    Count {
        /// Given.
        got: usize,
        /// Needed.
        want: usize,
        /// The subprocess.
        process: String,
    },
    /// A component is NaN or infinite.
    #[error("momentum {index} ({name}) has a non-finite component")]
    NotFinite {
        /// Which momentum (0-based, process order).
        index: usize,
        /// Its particle.
        name: String,
    },
    /// A momentum is off its mass shell beyond the tolerance.
    #[error("momentum {index} ({name}) is off shell: p² = {p2:.6e}, m² = {m2:.6e} (tolerance {tol:.1e} relative to E²)")]
    OffShell {
        /// Which momentum.
        index: usize,
        /// Its particle.
        name: String,
        /// Its p².
        p2: f64,
        /// The particle's mass squared.
        m2: f64,
        /// The relative tolerance.
        tol: f64,
    },
    /// Σ incoming ≠ Σ outgoing beyond the tolerance.
    #[error("four-momentum is not conserved: Σin − Σout = ({:.3e}, {:.3e}, {:.3e}, {:.3e}) GeV (tolerance {tol:.1e} relative to Σ E)", .diff[0], .diff[1], .diff[2], .diff[3])]
    NotConserved {
        /// Σin − Σout.
        diff: [f64; 4],
        /// The relative tolerance.
        tol: f64,
    },
    /// An energy not positive (or, for an incoming particle, below its mass).
    #[error("momentum {index} ({name}) has non-positive energy {e}")]
    Energy {
        /// Which momentum.
        index: usize,
        /// Its particle.
        name: String,
        /// Its energy.
        e: f64,
    },
    /// √s below the sum of the final-state masses.
    #[error("√s = {sqrt_s} GeV is below the threshold {threshold} GeV of {process}")]
    BelowThreshold {
        /// √s of the momenta.
        sqrt_s: f64,
        /// Σ final masses.
        threshold: f64,
        /// The subprocess.
        process: String,
    },
}

/// Relative tolerance of the on-shell check (|p² − m²| ≤ tol · E²).
pub const ON_SHELL_TOLERANCE: f64 = 1e-6;
/// Relative tolerance of momentum conservation (per component, relative to Σ E).
pub const CONSERVATION_TOLERANCE: f64 = 1e-9;

/// The matrix elements of a process string.
#[derive(Clone, Debug)]
pub struct MatrixElement {
    /// The process string as given.
    pub text: String,
    /// The model.
    pub model: Model,
    /// Its subprocesses.
    pub subprocesses: Vec<Subprocess>,
}

/// A final state with decays applied: labels in place, and the resonances as (first index,
/// length, parent label) over the final-state list.
fn apply_decays(
    fin: &[String],
    decays: &[DecaySpec],
    out: &mut Vec<String>,
    res: &mut Vec<(usize, usize, String)>,
) {
    let mut assigned: Vec<Option<&DecaySpec>> = vec![None; fin.len()];
    for d in decays {
        if let Some(k) = (0..fin.len()).find(|&k| assigned[k].is_none() && fin[k] == d.parent) {
            assigned[k] = Some(d);
        }
    }
    // A label decayed once decays every copy (MadGraph).
    for k in 0..fin.len() {
        if assigned[k].is_none() {
            assigned[k] = decays.iter().rev().find(|d| d.parent == fin[k]);
        }
    }
    for (k, label) in fin.iter().enumerate() {
        match assigned[k] {
            None => out.push(label.clone()),
            Some(d) => {
                let start = out.len();
                apply_decays(&d.products, &d.decays, out, res);
                res.push((start, out.len() - start, label.clone()));
            }
        }
    }
}

impl MatrixElement {
    /// Build every subprocess of `text` in the `sm` model (unitary gauge).
    pub fn new(text: &str) -> Result<Self, ProcessStringError> {
        Self::new_in(text, Gauge::Unitary)
    }

    /// Build every subprocess of `text` in the `sm` model in the given gauge (Feynman gauge
    /// adds the Goldstone bosons as internal lines; |M|² is the same).
    pub fn new_in(text: &str, gauge: Gauge) -> Result<Self, ProcessStringError> {
        let model = Model::sm_in(gauge);
        let spec = syntax::parse(text)?;
        let mut sel = Selection::default();
        for o in &spec.orders {
            let which = match o.name.as_str() {
                "QCD" => 0,
                "QED" => 1,
                other => return Err(ProcessStringError::UnknownOrder(other.to_string())),
            };
            let v =
                u8::try_from(o.value).map_err(|_| ProcessStringError::OrderTooLarge(o.value))?;
            match o.kind {
                OrderKind::AtMost => sel.max_orders[which] = Some(v),
                OrderKind::Exactly => {
                    sel.max_orders[which] = Some(v);
                    sel.exact_orders[which] = Some(v);
                }
            }
        }
        let particles = |labels: &[String]| -> Result<Vec<usize>, ProcessStringError> {
            let mut out = Vec::new();
            for l in labels {
                match syntax::multiparticle(l) {
                    Some(list) => out.extend(list.iter().map(|n| model.find(n).expect("sm name"))),
                    None => out.push(
                        model
                            .find(l)
                            .ok_or_else(|| ProcessStringError::UnknownParticle(l.clone()))?,
                    ),
                }
            }
            Ok(out)
        };
        sel.excluded_any = particles(&spec.excluded_any)?;
        fn decay_exclusions(ds: &[DecaySpec], out: &mut Vec<String>) {
            for d in ds {
                out.extend(d.excluded_any.iter().cloned());
                decay_exclusions(&d.decays, out);
            }
        }
        let mut dex = Vec::new();
        decay_exclusions(&spec.decays, &mut dex);
        sel.excluded_any.extend(particles(&dex)?);
        sel.excluded_s_channel = particles(&spec.excluded_s_channel)?;
        sel.required_s_channel = particles(&spec.required_s_channel)?;
        let mut fin = Vec::new();
        let mut res = Vec::new();
        apply_decays(&spec.final_state, &spec.decays, &mut fin, &mut res);
        let n_in = spec.initial.len();
        for (start, len, parent) in &res {
            if syntax::multiparticle(parent).is_some() {
                return Err(ProcessStringError::MultiparticleParent(parent.clone()));
            }
            let p = model
                .find(parent)
                .ok_or_else(|| ProcessStringError::UnknownParticle(parent.clone()))?;
            let mask = ((1u32 << len) - 1) << (start + n_in);
            sel.resonances.push((mask, p));
        }
        let labels: Vec<String> = spec.initial.iter().chain(&fin).cloned().collect();
        for l in &labels {
            if syntax::multiparticle(l).is_none() && model.find(l).is_none() {
                return Err(ProcessStringError::UnknownParticle(l.clone()));
            }
        }
        let combos = syntax::expand(&labels, MAX_COMBINATIONS)?;
        let mut subprocesses: Vec<Subprocess> = Vec::new();
        let mut seen: Vec<Vec<String>> = Vec::new();
        let mut first_error = None;
        for combo in combos {
            let (ini, fi) = combo.split_at(n_in);
            let mut key: Vec<String> = ini.to_vec();
            let mut tail = fi.to_vec();
            if res.is_empty() {
                tail.sort();
            }
            key.push(">".into());
            key.extend(tail);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let ini: Vec<&str> = ini.iter().map(String::as_str).collect();
            let fi: Vec<&str> = fi.iter().map(String::as_str).collect();
            match Subprocess::new(&model, &ini, &fi, &sel) {
                Ok(s) => subprocesses.push(s),
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        if subprocesses.is_empty() {
            return Err(ProcessStringError::NoSubprocess {
                text: text.to_string(),
                first: first_error.expect("at least one combination"),
            });
        }
        Ok(MatrixElement {
            text: text.to_string(),
            model,
            subprocesses,
        })
    }

    /// Check momenta for subprocess `sub`: count, finiteness, positive energies, mass shells,
    /// four-momentum conservation and the threshold.
    pub fn check_momenta(
        &self,
        sub: usize,
        params: &SmParams<f64>,
        momenta: &[FourVector<f64>],
    ) -> Result<(), MomentaError> {
        let sp = &self.subprocesses[sub];
        let name = |k: usize| sp.names[k].clone();
        if momenta.len() != sp.names.len() {
            return Err(MomentaError::Count {
                got: momenta.len(),
                want: sp.names.len(),
                process: sp.label(),
            });
        }
        let point = super::model::ModelPoint::new(params);
        let mut diff = [0.0; 4];
        let mut esum = 0.0;
        let mut threshold = 0.0;
        for (k, p) in momenta.iter().enumerate() {
            let c = [p.e, p.px, p.py, p.pz];
            if c.iter().any(|x| !x.is_finite()) {
                return Err(MomentaError::NotFinite {
                    index: k,
                    name: name(k),
                });
            }
            if p.e <= 0.0 {
                return Err(MomentaError::Energy {
                    index: k,
                    name: name(k),
                    e: p.e,
                });
            }
            let leg = sp.program.legs[k];
            let m = *point.mass(self.model.particles[leg.particle].mass);
            let p2 = p.m2();
            if (p2 - m * m).abs() > ON_SHELL_TOLERANCE * p.e * p.e {
                return Err(MomentaError::OffShell {
                    index: k,
                    name: name(k),
                    p2,
                    m2: m * m,
                    tol: ON_SHELL_TOLERANCE,
                });
            }
            let sign = if leg.incoming { 1.0 } else { -1.0 };
            for (d, x) in diff.iter_mut().zip(c) {
                *d += sign * x;
            }
            esum += p.e;
            if !leg.incoming {
                threshold += m;
            }
        }
        if diff.iter().any(|d| d.abs() > CONSERVATION_TOLERANCE * esum) {
            return Err(MomentaError::NotConserved {
                diff,
                tol: CONSERVATION_TOLERANCE,
            });
        }
        let total = momenta[..sp.n_initial]
            .iter()
            .fold(FourVector::new(0.0, 0.0, 0.0, 0.0), |a, b| a + b.clone());
        let sqrt_s = total.m2().max(0.0).sqrt();
        if sqrt_s < threshold {
            return Err(MomentaError::BelowThreshold {
                sqrt_s,
                threshold,
                process: sp.label(),
            });
        }
        Ok(())
    }

    /// The same matrix elements in the width scheme `scheme` (fixed widths by default).
    pub fn with_scheme(mut self, scheme: WidthScheme) -> Self {
        for s in &mut self.subprocesses {
            s.scheme = scheme;
        }
        self
    }

    /// |M|² of subprocess `sub` (see [`Subprocess::msq`]); momenta are not checked, see
    /// [`Self::check_momenta`].
    pub fn msq<S: RealScalar>(
        &self,
        sub: usize,
        params: &SmParams<S>,
        momenta: &[FourVector<S>],
    ) -> S {
        self.subprocesses[sub].msq(&self.model, params, momenta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collider::sm::ParamCard;

    #[test]
    fn multiparticles_expand_into_distinct_subprocesses() {
        let me = MatrixElement::new("e+ e- > j j").unwrap();
        let names: Vec<String> = me.subprocesses.iter().map(|s| s.label()).collect();
        // One per quark flavour (u u~, c c~, d d~, s s~); gg has no tree diagram at QED=2.
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names.contains(&"e+ e- > u u~".to_string()), "{names:?}");
        let me = MatrixElement::new("e+ e- > l+ l-").unwrap();
        // e+e- → e+e- and μ+μ-; mixed flavours violate lepton number: no diagram.
        assert_eq!(me.subprocesses.len(), 2);
    }

    #[test]
    fn decay_chains_put_products_in_place() {
        let me = MatrixElement::new("e+ e- > t t~, t > w+ b, t~ > w- b~").unwrap();
        assert_eq!(me.subprocesses.len(), 1);
        assert_eq!(me.subprocesses[0].label(), "e+ e- > w+ b w- b~");
    }

    #[test]
    fn bad_strings_and_momenta_get_named_errors() {
        let e = MatrixElement::new("e+ e- > mu+ x").unwrap_err();
        assert_eq!(e, ProcessStringError::UnknownParticle("x".into()));
        let e = MatrixElement::new("e+ e- > mu+ mu+").unwrap_err();
        assert!(e.to_string().contains("charge"), "{e}");
        let e = MatrixElement::new("u u~ > g g QCD=1").unwrap_err();
        assert!(e.to_string().contains("no diagram"), "{e}");
        let e = MatrixElement::new("g g > g g g g g g g").unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        let e = MatrixElement::new("e+ e- > mu+ mu- NP=1").unwrap_err();
        assert_eq!(e, ProcessStringError::UnknownOrder("NP".into()));
        assert!(matches!(
            MatrixElement::new("e+ e- >").unwrap_err(),
            ProcessStringError::Syntax(_)
        ));
        let me = MatrixElement::new("e+ e- > mu+ mu-").unwrap();
        let p = ParamCard::default().to_params::<f64>();
        let good = vec![
            FourVector::new(50.0, 0.0, 0.0, 50.0),
            FourVector::new(50.0, 0.0, 0.0, -50.0),
            FourVector::new(50.0, 30.0, 0.0, 40.0),
            FourVector::new(50.0, -30.0, 0.0, -40.0),
        ];
        me.check_momenta(0, &p, &good).unwrap();
        let e = me.check_momenta(0, &p, &good[..3]).unwrap_err();
        assert!(
            matches!(
                e,
                MomentaError::Count {
                    got: 3,
                    want: 4,
                    ..
                }
            ),
            "{e}"
        );
        let mut bad = good.clone();
        bad[2].px = f64::NAN;
        assert!(matches!(
            me.check_momenta(0, &p, &bad),
            Err(MomentaError::NotFinite { index: 2, .. })
        ));
        let mut bad = good.clone();
        bad[2] = FourVector::new(50.0, 30.0, 0.0, 41.0);
        assert!(matches!(
            me.check_momenta(0, &p, &bad),
            Err(MomentaError::OffShell { index: 2, .. })
        ));
        let mut bad = good.clone();
        bad[3] = FourVector::new(50.0, 40.0, 0.0, -30.0);
        assert!(matches!(
            me.check_momenta(0, &p, &bad),
            Err(MomentaError::NotConserved { .. })
        ));
        let tt = MatrixElement::new("e+ e- > t t~").unwrap();
        let low = two(100.0);
        let e = tt.check_momenta(0, &p, &low).unwrap_err();
        assert!(
            matches!(
                e,
                MomentaError::OffShell { .. } | MomentaError::BelowThreshold { .. }
            ),
            "{e}"
        );
    }

    fn two(sqrt_s: f64) -> Vec<FourVector<f64>> {
        let e = sqrt_s / 2.0;
        vec![
            FourVector::new(e, 0.0, 0.0, e),
            FourVector::new(e, 0.0, 0.0, -e),
            FourVector::new(e, 0.0, 0.0, e),
            FourVector::new(e, 0.0, 0.0, -e),
        ]
    }
}
