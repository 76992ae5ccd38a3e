//! A process string as a collider process: beams along ±z at fixed √s, the flat RAMBO phase
//! space, generation cuts, the cross-section integrand, and per-event colour flows for LHE.
//!
//! All subprocesses of the string must share the final-state masses (so one phase-space point
//! serves them all); the integrand sums their |M|², each with its identical-particle factor.
//! Colour flows for LHE follow MadGraph: a flow is chosen with probability proportional to its
//! leading-colour weight Σ_hel |A_σ|² (the diagonal of the colour sum), and each colour
//! connection becomes one colour tag (501, 502, …). With LHE helicities switched on, a helicity
//! configuration is drawn first ∝ its colour-summed |M|², written in the SPINUP column (±1, 0),
//! and the flow is drawn from that configuration's |A_σ|².

use diffhep::RealScalar;

use super::colour::LegColour;
use super::evaluate::{colour_sum, Evaluator};
use super::matrix_element::{MatrixElement, ProcessStringError};
use super::model::{Mass, ModelPoint};
use crate::collider::cuts::Cuts;
use crate::collider::ee_ffbar::HBARC2_PB;
use crate::collider::sm::SmParams;
use crate::lorentz::FourVector;
use crate::phase_space::{PhaseSpace, PhaseSpaceError};

/// Why a process string cannot be a collider process.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CollisionError {
    /// The string itself is wrong.
    #[error(transparent)]
    String(#[from] ProcessStringError),
    /// Not two incoming particles.
    #[error("'{0}': a collider process needs two incoming particles")]
    NotTwoToN(String),
    /// A massive incoming particle (the beams are massless along ±z).
    #[error("'{text}': incoming {name} is massive; the beams are massless")]
    MassiveBeam {
        /// The process string.
        text: String,
        /// The particle.
        name: String,
    },
    /// Subprocesses with different final-state masses.
    #[error("'{0}': its subprocesses have different final-state masses; give them separately")]
    MixedMasses(String),
    /// A single final-state particle (no phase space at fixed √s).
    #[error("'{0}': at least two final-state particles are needed")]
    OneParticle(String),
}

/// A process string with its cuts, ready to integrate and to write events.
#[derive(Clone, Debug)]
pub struct StringProcess {
    /// The matrix elements.
    pub me: MatrixElement,
    /// Generation cuts.
    pub cuts: Cuts,
    /// Whether LHE events carry helicities (SPINUP), see the module documentation.
    pub lhe_helicities: bool,
    masses: Vec<Mass>,
}

impl PartialEq for StringProcess {
    fn eq(&self, other: &Self) -> bool {
        self.me.text == other.me.text
            && self.cuts == other.cuts
            && self.lhe_helicities == other.lhe_helicities
    }
}

impl StringProcess {
    /// Build `text` with `cuts`.
    pub fn new(text: &str, cuts: Cuts) -> Result<Self, CollisionError> {
        let me = MatrixElement::new(text)?;
        let mut masses: Option<Vec<Mass>> = None;
        for sp in &me.subprocesses {
            if sp.n_initial != 2 {
                return Err(CollisionError::NotTwoToN(text.to_string()));
            }
            let legs = &sp.program.legs;
            for l in &legs[..2] {
                if me.model.particles[l.particle].mass != Mass::Zero {
                    return Err(CollisionError::MassiveBeam {
                        text: text.to_string(),
                        name: me.model.particles[l.particle].name.to_string(),
                    });
                }
            }
            let m: Vec<Mass> = legs[2..]
                .iter()
                .map(|l| me.model.particles[l.particle].mass)
                .collect();
            if m.len() < 2 {
                return Err(CollisionError::OneParticle(text.to_string()));
            }
            match &masses {
                None => masses = Some(m),
                Some(prev) if *prev != m => {
                    return Err(CollisionError::MixedMasses(text.to_string()))
                }
                _ => {}
            }
        }
        Ok(StringProcess {
            me,
            cuts,
            lhe_helicities: false,
            masses: masses.expect("at least one subprocess"),
        })
    }

    /// The process string.
    pub fn text(&self) -> &str {
        &self.me.text
    }

    /// PDG codes of the incoming particles of subprocess `sub`.
    pub fn pdg_initial(&self, sub: usize) -> Vec<i32> {
        self.pdg(sub)[..2].to_vec()
    }

    /// PDG codes of the final state of subprocess `sub`.
    pub fn pdg_final(&self, sub: usize) -> Vec<i32> {
        self.pdg(sub)[2..].to_vec()
    }

    fn pdg(&self, sub: usize) -> Vec<i32> {
        self.me.subprocesses[sub]
            .program
            .legs
            .iter()
            .map(|l| self.me.model.particles[l.particle].pdg)
            .collect()
    }

    /// Final-state masses.
    pub fn final_masses<S: RealScalar>(&self, p: &SmParams<S>) -> Vec<S> {
        let point = ModelPoint::new(p);
        self.masses.iter().map(|&m| point.mass(m).clone()).collect()
    }

    /// Σ final masses.
    pub fn threshold(&self, p: &SmParams<f64>) -> f64 {
        self.final_masses(p).iter().sum()
    }

    /// Dimension of the unit hypercube: 3n − 4 for n final particles.
    pub fn dim(&self) -> usize {
        3 * self.masses.len() - 4
    }

    /// The incoming momenta at √s: the first particle along +z.
    pub fn beams<S: RealScalar>(sqrt_s: &S) -> [FourVector<S>; 2] {
        let e = sqrt_s.clone() * 0.5;
        let z = S::zero();
        [
            FourVector::new(e.clone(), z.clone(), z.clone(), e.clone()),
            FourVector::new(e.clone(), z.clone(), z, -e),
        ]
    }

    /// |M|² of subprocess `sub` times its identical-particle factor.
    pub fn weighted_msq<S: RealScalar>(
        &self,
        sub: usize,
        p: &SmParams<S>,
        momenta: &[FourVector<S>],
    ) -> S {
        self.me.msq(sub, p, momenta) * self.me.subprocesses[sub].identical
    }

    /// Momenta (beams, then final state) and the integrand (ħc)²/(2s) Σ_sub |M|²·S_sub·dΦ·Θ_cuts
    /// in pb per unit hypercube volume at `x`.
    pub fn point<S: RealScalar>(
        &self,
        p: &SmParams<S>,
        sqrt_s: &S,
        x: &[S],
    ) -> Result<(Vec<FourVector<S>>, S), PhaseSpaceError> {
        let masses = self.final_masses(p);
        let pt = PhaseSpace::generate_with_masses(sqrt_s.clone(), &masses, x)?;
        let mut mom: Vec<FourVector<S>> = Self::beams(sqrt_s).to_vec();
        mom.extend(pt.momenta.iter().cloned());
        let s = sqrt_s.clone() * sqrt_s.clone();
        let flux = (s * 2.0).recip() * HBARC2_PB;
        if !self.cuts.pass(&self.pdg_final(0), &pt.momenta) {
            return Ok((mom, S::zero()));
        }
        let mut me2 = S::zero();
        for sub in 0..self.me.subprocesses.len() {
            me2 += self.weighted_msq(sub, p, &mom);
        }
        Ok((mom, flux * me2 * pt.weight))
    }

    /// For an event at `momenta`: the subprocess (chosen ∝ its weighted |M|² with `u[0]`), the
    /// LHE colour tags `[colour, anticolour]` of every particle (the flow chosen ∝ its
    /// leading-colour weight with `u[1]`) and, if [`Self::lhe_helicities`], the helicity of
    /// every particle (the configuration chosen ∝ its colour-summed |M|² with `u[2]`).
    pub fn event_colours(
        &self,
        p: &SmParams<f64>,
        momenta: &[FourVector<f64>],
        u: [f64; 3],
    ) -> EventLabels {
        let nsub = self.me.subprocesses.len();
        let sub = if nsub == 1 {
            0
        } else {
            let w: Vec<f64> = (0..nsub)
                .map(|s| self.weighted_msq(s, p, momenta))
                .collect();
            pick(&w, u[0])
        };
        let sp = &self.me.subprocesses[sub];
        let prog = &sp.program;
        let mut labels = EventLabels {
            subprocess: sub,
            colours: vec![[0, 0]; prog.legs.len()],
            helicities: None,
        };
        let coloured = !(prog.flows.len() == 1 && prog.flows[0].is_empty());
        if !coloured && !self.lhe_helicities {
            return labels;
        }
        let point = ModelPoint::with_scheme(p, sp.scheme);
        let mut ev = Evaluator::new(prog, &self.me.model, &point, momenta, None);
        let mut w = vec![0.0; prog.flows.len()];
        if self.lhe_helicities {
            let colour = prog.colour();
            let amps: Vec<_> = sp
                .helicities
                .iter()
                .map(|&c| ev.amplitudes(&ev.configuration(c)))
                .collect();
            let wh: Vec<f64> = amps.iter().map(|a| colour_sum(colour, a)).collect();
            let h = pick(&wh, u[2]);
            let choice = ev.configuration(sp.helicities[h]);
            labels.helicities = Some(
                choice
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| ev.helicities()[k][i])
                    .collect(),
            );
            for (wi, a) in w.iter_mut().zip(&amps[h]) {
                *wi = a.norm_sqr();
            }
        } else {
            for &c in &sp.helicities {
                let choice = ev.configuration(c);
                for (wi, a) in w.iter_mut().zip(ev.amplitudes(&choice)) {
                    *wi += a.norm_sqr();
                }
            }
        }
        if !coloured {
            return labels;
        }
        let flow = &prog.flows[pick(&w, u[1])];
        let tags = &mut labels.colours;
        for (t, &(c, a)) in flow.iter().enumerate() {
            let tag = 501 + t as i32;
            // colour slot c, anticolour slot a; LHE lists an incoming particle's own colour
            // and an outgoing particle's conjugate.
            let (c, a) = (c as usize, a as usize);
            let inc = |k: usize| prog.legs[k].incoming;
            if matches!(prog.leg_colours[c], LegColour::Colour | LegColour::Both) {
                tags[c][usize::from(!inc(c))] = tag;
            }
            if matches!(prog.leg_colours[a], LegColour::Anticolour | LegColour::Both) {
                tags[a][usize::from(inc(a))] = tag;
            }
        }
        labels
    }
}

/// What an LHE event records besides its momenta (see [`StringProcess::event_colours`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EventLabels {
    /// The subprocess.
    pub subprocess: usize,
    /// `[colour, anticolour]` tags per particle.
    pub colours: Vec<[i32; 2]>,
    /// Helicity per particle, when asked for.
    pub helicities: Option<Vec<i8>>,
}

/// The index i with Σ_{j<i} w_j ≤ u Σ w < Σ_{j≤i} w_j (0 if every weight is 0).
fn pick(w: &[f64], u: f64) -> usize {
    let total: f64 = w.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return 0;
    }
    let mut acc = 0.0;
    for (i, x) in w.iter().enumerate() {
        acc += x;
        if u * total < acc {
            return i;
        }
    }
    w.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collider::sm::ParamCard;

    #[test]
    fn colour_tags_join_quarks_and_gluons_as_lhe_expects() {
        let sp = StringProcess::new("e+ e- > u u~ g", Cuts::none()).unwrap();
        let p = ParamCard::default().to_params::<f64>();
        let x = [0.3, 0.6, 0.2, 0.9, 0.5];
        let (mom, w) = sp.point(&p, &500.0, &x).unwrap();
        assert!(w > 0.0);
        let labels = sp.event_colours(&p, &mom, [0.5, 0.5, 0.5]);
        assert_eq!(labels.subprocess, 0);
        assert!(labels.helicities.is_none());
        let tags = labels.colours;
        // e+ e- colourless; u carries colour c, g carries (anticolour c, colour d), ū (0, d):
        // one tag leaves the quark and enters the gluon, the other leaves the gluon for ū.
        assert_eq!(tags[0], [0, 0]);
        let (u, ub, g) = (tags[2], tags[3], tags[4]);
        assert!(
            u[0] != 0 && u[1] == 0 && ub[0] == 0 && ub[1] != 0,
            "{tags:?}"
        );
        assert_eq!(g[1], u[0], "{tags:?}");
        assert_eq!(g[0], ub[1], "{tags:?}");
    }

    #[test]
    fn helicities_are_drawn_in_proportion_to_their_weight() {
        // e+e- → μ+μ- just below the Z pole: four non-zero configurations with different
        // weights; a stratified set of uniforms must reproduce the weights to 1/n.
        let mut sp = StringProcess::new("e+ e- > mu+ mu-", Cuts::none()).unwrap();
        sp.lhe_helicities = true;
        let p = ParamCard::default().to_params::<f64>();
        let (mom, _) = sp.point(&p, &91.0, &[0.3, 0.6]).unwrap();
        let n = 4000;
        let mut counts = std::collections::HashMap::new();
        for i in 0..n {
            let u = (i as f64 + 0.5) / n as f64;
            let h = sp
                .event_colours(&p, &mom, [0.0, 0.0, u])
                .helicities
                .unwrap();
            // massless: e+ and e- have opposite helicities, so do μ+ and μ-
            assert_eq!(h[0], -h[1]);
            assert_eq!(h[2], -h[3]);
            *counts.entry(h).or_insert(0usize) += 1;
        }
        assert_eq!(counts.len(), 4, "{counts:?}");
        // stratified u: each share equals its weight up to 1/n
        let sub = &sp.me.subprocesses[0];
        let point = ModelPoint::new(&p);
        let mut ev = Evaluator::new(&sub.program, &sp.me.model, &point, &mom, None);
        let w: Vec<(Vec<i8>, f64)> = sub
            .helicities
            .iter()
            .map(|&c| {
                let ch = ev.configuration(c);
                let h: Vec<i8> = ch
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| ev.helicities()[k][i])
                    .collect();
                let a = ev.amplitudes(&ch);
                (h, colour_sum(sub.program.colour(), &a))
            })
            .collect();
        let total: f64 = w.iter().map(|x| x.1).sum();
        for (h, wi) in w {
            let share = counts[&h] as f64 / n as f64;
            assert!(
                (share - wi / total).abs() <= 1.0 / n as f64 + 1e-12,
                "{h:?}: {share} vs {}",
                wi / total
            );
        }
    }

    #[test]
    fn beams_must_be_massless_and_final_masses_equal() {
        assert!(matches!(
            StringProcess::new("t t~ > g g", Cuts::none()),
            Err(CollisionError::MassiveBeam { .. })
        ));
        assert!(matches!(
            StringProcess::new("e+ e- > z", Cuts::none()),
            Err(CollisionError::OneParticle(_))
        ));
        let sp = StringProcess::new("e+ e- > t t~", Cuts::none()).unwrap();
        assert_eq!(sp.dim(), 2);
        let p = ParamCard::default().to_params::<f64>();
        assert_eq!(sp.threshold(&p), 2.0 * p.mt);
    }
}
