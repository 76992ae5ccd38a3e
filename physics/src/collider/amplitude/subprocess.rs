//! One subprocess: its external particles, its compiled recursion and the spin/colour average.

use diffhep::RealScalar;

use super::evaluate::{live_configurations, msq_summed};
use super::model::{Model, ModelPoint, Spin, WidthScheme};
use super::program::{build, BuildError, Leg, Program, Selection};
use crate::collider::sm::SmParams;
use crate::lorentz::FourVector;

/// What is wrong with a subprocess.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubprocessError {
    /// A particle name that the model does not have.
    #[error("unknown particle '{0}' (the sm model names: d u s c b t with ~ for antiquarks, e- e+ mu- mu+ ta- ta+, ve vm vt with ~, a z w+ w- g h)")]
    UnknownParticle(String),
    /// Fewer than one initial or final particle, or more than two initial ones.
    #[error("a process needs 1 or 2 initial particles and at least 1 final particle (got {initial} > {fin})")]
    Multiplicity {
        /// Initial particles.
        initial: usize,
        /// Final particles.
        fin: usize,
    },
    /// Electric charge is not conserved.
    #[error("electric charge is not conserved: initial {initial}/3, final {fin}/3")]
    Charge {
        /// 3 × initial charge.
        initial: i32,
        /// 3 × final charge.
        fin: i32,
    },
    /// Building the recursion failed (no diagram, too many legs).
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// A subprocess ready to evaluate.
#[derive(Clone, Debug)]
pub struct Subprocess {
    /// Particle names in process order (initial, then final).
    pub names: Vec<String>,
    /// Number of initial particles.
    pub n_initial: usize,
    /// The compiled recursion.
    pub program: Program,
    /// 1 / (initial spin states × initial colour states).
    pub average: f64,
    /// The identical-particle factor 1/Π n_i! of the final state (not included in [`Self::msq`]).
    pub identical: f64,
    /// The helicity configurations that contribute ([`live_configurations`]).
    pub helicities: Vec<usize>,
    /// How widths enter (fixed widths unless set).
    pub scheme: WidthScheme,
}

impl Subprocess {
    /// Build `initial > final` with the diagram selection `sel`.
    pub fn new(
        model: &Model,
        initial: &[&str],
        fin: &[&str],
        sel: &Selection,
    ) -> Result<Self, SubprocessError> {
        if initial.is_empty() || initial.len() > 2 || fin.is_empty() {
            return Err(SubprocessError::Multiplicity {
                initial: initial.len(),
                fin: fin.len(),
            });
        }
        let mut legs = Vec::new();
        for (names, incoming) in [(initial, true), (fin, false)] {
            for &name in names {
                let particle = model
                    .find(name)
                    .ok_or_else(|| SubprocessError::UnknownParticle(name.to_string()))?;
                legs.push(Leg { particle, incoming });
            }
        }
        let charge = |inc: bool| -> i32 {
            legs.iter()
                .filter(|l| l.incoming == inc)
                .map(|l| model.particles[l.particle].charge3 as i32)
                .sum()
        };
        if charge(true) != charge(false) {
            return Err(SubprocessError::Charge {
                initial: charge(true),
                fin: charge(false),
            });
        }
        let program = build(model, &legs, sel)?;
        let helicities = live_configurations(&program, model);
        let mut states = 1.0;
        for l in legs.iter().filter(|l| l.incoming) {
            let p = &model.particles[l.particle];
            let spins = match p.spin {
                Spin::Scalar => 1,
                _ => p.helicities().len(),
            };
            states *= (spins as u32 * p.colour_dim()) as f64;
        }
        let mut identical = 1.0;
        let finals: Vec<usize> = legs
            .iter()
            .filter(|l| !l.incoming)
            .map(|l| l.particle)
            .collect();
        let mut seen: Vec<usize> = Vec::new();
        for &f in &finals {
            if seen.contains(&f) {
                continue;
            }
            seen.push(f);
            let k = finals.iter().filter(|&&x| x == f).count();
            identical /= (1..=k).product::<usize>() as f64;
        }
        Ok(Subprocess {
            names: initial.iter().chain(fin).map(|s| s.to_string()).collect(),
            n_initial: initial.len(),
            program,
            average: 1.0 / states,
            identical,
            helicities,
            scheme: WidthScheme::Fixed,
        })
    }

    /// The subprocess as a process string, `"e+ e- > mu+ mu-"`.
    pub fn label(&self) -> String {
        let (i, f) = self.names.split_at(self.n_initial);
        format!("{} > {}", i.join(" "), f.join(" "))
    }

    /// |M|² averaged over initial and summed over final helicities and colours, without the
    /// identical-particle factor, at the parameters `params` and the momenta of the legs in
    /// process order.
    pub fn msq<S: RealScalar>(
        &self,
        model: &Model,
        params: &SmParams<S>,
        momenta: &[FourVector<S>],
    ) -> S {
        let point = ModelPoint::with_scheme(params, self.scheme);
        msq_summed(
            &self.program,
            model,
            &point,
            momenta,
            Some(&self.helicities),
        ) * self.average
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collider::ee_ffbar::kinematics;
    use crate::collider::sm::ParamCard;

    /// The textbook table of spin- and colour-averaged |M|²/g_s⁴ for massless 2 → 2 QCD
    /// (Ellis, Stirling & Webber, "QCD and collider physics", Table 7.1; Combridge, Kripfganz &
    /// Ranft, Phys. Lett. B 70 (1977) 234).
    fn table(process: &str, s: f64, t: f64, u: f64) -> f64 {
        match process {
            "qq'>qq'" => 4.0 / 9.0 * (s * s + u * u) / (t * t),
            "qq>qq" => {
                4.0 / 9.0 * ((s * s + u * u) / (t * t) + (s * s + t * t) / (u * u))
                    - 8.0 / 27.0 * s * s / (u * t)
            }
            "qqb>q'qb'" => 4.0 / 9.0 * (t * t + u * u) / (s * s),
            "qqb>qqb" => {
                4.0 / 9.0 * ((s * s + u * u) / (t * t) + (t * t + u * u) / (s * s))
                    - 8.0 / 27.0 * u * u / (s * t)
            }
            "qqb>gg" => {
                32.0 / 27.0 * (t * t + u * u) / (t * u) - 8.0 / 3.0 * (t * t + u * u) / (s * s)
            }
            "gg>qqb" => {
                1.0 / 6.0 * (t * t + u * u) / (t * u) - 3.0 / 8.0 * (t * t + u * u) / (s * s)
            }
            "qg>qg" => -4.0 / 9.0 * (s * s + u * u) / (s * u) + (u * u + s * s) / (t * t),
            "gg>gg" => 4.5 * (3.0 - t * u / (s * s) - s * u / (t * t) - s * t / (u * u)),
            _ => unreachable!(),
        }
    }

    #[test]
    fn massless_qcd_two_to_two_matches_the_textbook_table() {
        let model = Model::sm();
        let card = ParamCard::default();
        let params = card.to_params::<f64>();
        let gs4 = (4.0 * std::f64::consts::PI * card.aS).powi(2);
        let cases: [(&str, [&str; 4]); 8] = [
            ("qq'>qq'", ["u", "d", "u", "d"]),
            ("qq>qq", ["u", "u", "u", "u"]),
            ("qqb>q'qb'", ["u", "u~", "d", "d~"]),
            ("qqb>qqb", ["u", "u~", "u", "u~"]),
            ("qqb>gg", ["u", "u~", "g", "g"]),
            ("gg>qqb", ["g", "g", "u", "u~"]),
            ("qg>qg", ["u", "g", "u", "g"]),
            ("gg>gg", ["g", "g", "g", "g"]),
        ];
        let sel = Selection {
            max_orders: [None, Some(0)],
            ..Selection::default()
        };
        for (name, legs) in cases {
            let sp = Subprocess::new(&model, &legs[..2], &legs[2..], &sel).unwrap();
            for (cos_t, phi) in [(0.3, 0.2), (-0.71, 2.0), (0.93, -1.1), (0.0, 0.5)] {
                let p = kinematics(&500.0, &0.0, &cos_t, &phi).to_vec();
                let s = (p[0].clone() + p[1].clone()).m2();
                let t = (p[0].clone() - p[2].clone()).m2();
                let u = (p[0].clone() - p[3].clone()).m2();
                let got = sp.msq(&model, &params, &p) / gs4;
                let want = table(name, s, t, u);
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs(),
                    "{name} at cos θ = {cos_t}: {got} vs {want}"
                );
            }
        }
    }
}
