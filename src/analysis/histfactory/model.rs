//! A HistFactory model compiled from a [`Workspace`]: parameters, expected yields and the log
//! likelihood, generic over [`RealScalar`] so every quantity is differentiable w.r.t. the
//! parameters.
//!
//! Conventions are pyhf's (so that numbers agree with it): channels, samples and parameter sets
//! are sorted by name; the flat parameter vector is the parameter sets in that order; the
//! expected yield of a bin is `Σ_samples (nominal + Σ histosys shifts) × Π factors` (normfactor,
//! normsys, staterror, shapesys, shapefactor, lumi); the log likelihood is
//! `Σ_bins [n ln ν − ν − ln Γ(n + 1)] + Σ constraints`, with Gaussian constraints
//! `N(aux | θ, σ)` (normsys and histosys: aux 0, σ 1; staterror: aux 1, σ the relative
//! statistical uncertainty of the bin summed over the samples that carry it; lumi: from the
//! measurement) and Poisson constraints `Poisson(τ | γ τ)` for shapesys (τ = (nominal/σ)²).
//! Default inits and bounds are pyhf's: factors 1 in [0, 10], systematics 0 in [−5, 5], γ 1 in
//! [1e-10, 10]; a measurement's parameter settings override them.

use std::collections::BTreeMap;

use statrs::function::gamma::ln_gamma;

use super::interpolation::{code4p, Code4};
use super::workspace::{ModifierKind, Workspace};
use super::HistFactoryError as E;
use crate::RealScalar;

/// The constraint of a parameter set.
#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    /// Free (normfactor, shapefactor).
    Free,
    /// `N(aux | θ, σ)` per parameter.
    Normal {
        /// Auxiliary data.
        aux: Vec<f64>,
        /// Widths.
        sigma: Vec<f64>,
    },
    /// `Poisson(τ | γ τ)` per parameter.
    Poisson {
        /// τ per parameter (also the auxiliary data).
        tau: Vec<f64>,
    },
}

/// One parameter set (one name, one or more parameters).
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterSet {
    /// The name.
    pub name: String,
    /// Its constraint.
    pub constraint: Constraint,
    /// Initial values.
    pub inits: Vec<f64>,
    /// Bounds.
    pub bounds: Vec<(f64, f64)>,
    /// Fixed in fits (per parameter).
    pub fixed: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
enum Effect {
    Factor(usize),
    PerBin(usize),
    Normsys(usize, Code4),
    /// Parameter, and the template offsets of the hi and lo histograms.
    Histosys(usize, usize, usize),
}

#[derive(Clone, Debug, PartialEq)]
struct SampleModel {
    /// Template offset of the nominal histogram.
    nominal: usize,
    effects: Vec<Effect>,
}

#[derive(Clone, Debug, PartialEq)]
struct ChannelModel {
    name: String,
    bins: usize,
    samples: Vec<SampleModel>,
    observed: Option<Vec<f64>>,
}

/// A compiled HistFactory model.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The parameter sets, sorted by name.
    pub sets: Vec<ParameterSet>,
    offsets: Vec<usize>,
    channels: Vec<ChannelModel>,
    templates: Vec<f64>,
    template_labels: Vec<String>,
    /// Flat index of the parameter of interest.
    pub poi: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Factor,
    Lumi,
    Normsys,
    Histosys,
    Staterror,
    Shapesys,
    Shapefactor,
}

impl Model {
    /// Compile `ws` with the measurement named `measurement` (the first if `None`).
    pub fn new(ws: &Workspace, measurement: Option<&str>) -> Result<Self, E> {
        let meas = match measurement {
            Some(m) => ws
                .measurements
                .iter()
                .find(|x| x.name == m)
                .ok_or_else(|| E::Invalid(format!("no measurement named '{m}'")))?,
            None => ws
                .measurements
                .first()
                .ok_or_else(|| E::Invalid("the workspace has no measurement".into()))?,
        };
        let mut channels: Vec<_> = ws.channels.iter().collect();
        channels.sort_by(|a, b| a.name.cmp(&b.name));
        // Parameter sets: (kind, size) by name, with the nominal sums staterror needs.
        let mut kinds: BTreeMap<String, (Kind, usize)> = BTreeMap::new();
        let mut stat: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        let mut shapesys_tau: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for ch in &channels {
            let nb = ch.samples.first().map_or(0, |s| s.data.len());
            if nb == 0 {
                return Err(E::Invalid(format!("channel '{}' has no bins", ch.name)));
            }
            for s in &ch.samples {
                if s.data.len() != nb {
                    return Err(E::Invalid(format!(
                        "channel '{}': sample '{}' has {} bins, the channel {nb}",
                        ch.name,
                        s.name,
                        s.data.len()
                    )));
                }
                if let Some(v) = s.data.iter().find(|v| !v.is_finite()) {
                    return Err(E::Invalid(format!("sample '{}': yield {v}", s.name)));
                }
                for m in &s.modifiers {
                    let (kind, n) = match &m.kind {
                        ModifierKind::Normfactor(_) => (Kind::Factor, 1),
                        ModifierKind::Lumi(_) => (Kind::Lumi, 1),
                        ModifierKind::Normsys { hi, lo } => {
                            if !(*hi > 0.0 && *lo > 0.0 && hi.is_finite() && lo.is_finite()) {
                                return Err(E::Invalid(format!(
                                    "normsys '{}': factors must be positive, got hi {hi}, lo {lo}",
                                    m.name
                                )));
                            }
                            (Kind::Normsys, 1)
                        }
                        ModifierKind::Histosys { hi_data, lo_data } => {
                            if hi_data.len() != nb || lo_data.len() != nb {
                                return Err(E::Invalid(format!(
                                    "histosys '{}' of sample '{}': {} and {} bins, the sample {nb}",
                                    m.name,
                                    s.name,
                                    hi_data.len(),
                                    lo_data.len()
                                )));
                            }
                            (Kind::Histosys, 1)
                        }
                        ModifierKind::Staterror(err) | ModifierKind::Shapesys(err) => {
                            if err.len() != nb {
                                return Err(E::Invalid(format!(
                                    "modifier '{}' of sample '{}': {} uncertainties for {nb} bins",
                                    m.name,
                                    s.name,
                                    err.len()
                                )));
                            }
                            if let ModifierKind::Staterror(_) = m.kind {
                                let e = stat
                                    .entry(m.name.clone())
                                    .or_insert_with(|| (vec![0.0; nb], vec![0.0; nb]));
                                for ((nom, e2), (y, u)) in
                                    e.0.iter_mut()
                                        .zip(e.1.iter_mut())
                                        .zip(s.data.iter().zip(err))
                                {
                                    *nom += y;
                                    *e2 += u * u;
                                }
                                (Kind::Staterror, nb)
                            } else {
                                // A bin without yield or uncertainty gets τ = 1 and a fixed
                                // γ (pyhf).
                                let tau = s
                                    .data
                                    .iter()
                                    .zip(err)
                                    .map(|(n, e)| {
                                        if *e > 0.0 && *n > 0.0 {
                                            (n / e).powi(2)
                                        } else {
                                            f64::NAN
                                        }
                                    })
                                    .collect();
                                shapesys_tau.insert(m.name.clone(), tau);
                                (Kind::Shapesys, nb)
                            }
                        }
                        ModifierKind::Shapefactor(_) => (Kind::Shapefactor, nb),
                    };
                    match kinds.get(&m.name) {
                        Some(&(k, size)) if k != kind || size != n => {
                            return Err(E::Invalid(format!(
                                "parameter '{}' used by modifiers of different types or sizes",
                                m.name
                            )))
                        }
                        _ => {
                            kinds.insert(m.name.clone(), (kind, n));
                        }
                    }
                }
            }
        }
        let settings: BTreeMap<&str, _> = meas
            .config
            .parameters
            .iter()
            .map(|p| (p.name.as_str(), p))
            .collect();
        let mut sets = Vec::new();
        for (name, &(kind, n)) in &kinds {
            let (constraint, init, bound) = match kind {
                Kind::Factor | Kind::Shapefactor => (Constraint::Free, 1.0, (0.0, 10.0)),
                Kind::Normsys | Kind::Histosys => (
                    Constraint::Normal {
                        aux: vec![0.0],
                        sigma: vec![1.0],
                    },
                    0.0,
                    (-5.0, 5.0),
                ),
                Kind::Staterror => {
                    let (nom, err2) = &stat[name];
                    // A bin without uncertainty gets σ = NaN here, then σ = 1 and a fixed γ
                    // (pyhf).
                    let sigma = nom
                        .iter()
                        .zip(err2)
                        .map(|(n, e2)| {
                            let s = if *n > 0.0 { e2.sqrt() / n } else { 0.0 };
                            if s > 0.0 {
                                s
                            } else {
                                f64::NAN
                            }
                        })
                        .collect();
                    (
                        Constraint::Normal {
                            aux: vec![1.0; n],
                            sigma,
                        },
                        1.0,
                        (1e-10, 10.0),
                    )
                }
                Kind::Shapesys => (
                    Constraint::Poisson {
                        tau: shapesys_tau[name].clone(),
                    },
                    1.0,
                    (1e-10, 10.0),
                ),
                Kind::Lumi => {
                    let s = settings.get(name.as_str()).ok_or_else(|| {
                        E::Invalid(format!(
                            "lumi '{name}' needs auxdata and sigmas in the measurement"
                        ))
                    })?;
                    let (Some(aux), Some(sigma)) = (&s.auxdata, &s.sigmas) else {
                        return Err(E::Invalid(format!(
                            "lumi '{name}' needs auxdata and sigmas in the measurement"
                        )));
                    };
                    (
                        Constraint::Normal {
                            aux: aux.clone(),
                            sigma: sigma.clone(),
                        },
                        aux[0],
                        (0.0, 10.0),
                    )
                }
            };
            // Parameters without an uncertainty (marked NaN above) are fixed at 1 with a unit
            // σ or τ, whose constraint term stays in the likelihood (as in pyhf).
            let mut constraint = constraint;
            let mut fixed = vec![false; n];
            match &mut constraint {
                Constraint::Normal { sigma: v, .. } | Constraint::Poisson { tau: v } => {
                    for (x, f) in v.iter_mut().zip(fixed.iter_mut()) {
                        if x.is_nan() {
                            *x = 1.0;
                            *f = true;
                        }
                    }
                }
                Constraint::Free => {}
            }
            let mut set = ParameterSet {
                name: name.clone(),
                constraint,
                inits: vec![init; n],
                bounds: vec![bound; n],
                fixed: std::mem::take(&mut fixed),
            };
            if let Some(s) = settings.get(name.as_str()) {
                if let Some(i) = &s.inits {
                    set.inits = i.clone();
                }
                if let Some(b) = &s.bounds {
                    set.bounds = b.iter().map(|x| (x[0], x[1])).collect();
                }
                if s.fixed == Some(true) {
                    set.fixed = vec![true; n];
                }
            }
            if set.inits.len() != n || set.bounds.len() != n {
                return Err(E::Invalid(format!(
                    "parameter '{name}': {} inits and {} bounds for {n} parameters",
                    set.inits.len(),
                    set.bounds.len()
                )));
            }
            sets.push(set);
        }
        let mut offsets = Vec::with_capacity(sets.len());
        let mut total = 0;
        for s in &sets {
            offsets.push(total);
            total += s.inits.len();
        }
        let index: BTreeMap<&str, usize> = sets
            .iter()
            .zip(&offsets)
            .map(|(s, &o)| (s.name.as_str(), o))
            .collect();
        let poi = *index.get(meas.config.poi.as_str()).ok_or_else(|| {
            E::Invalid(format!(
                "the parameter of interest '{}' is not a parameter",
                meas.config.poi
            ))
        })?;
        let mut compiled = Vec::new();
        let mut templates = Vec::new();
        let mut template_labels = Vec::new();
        let mut push = |label: String, data: &[f64]| {
            let at = templates.len();
            templates.extend_from_slice(data);
            template_labels.extend((0..data.len()).map(|b| format!("{label}[{b}]")));
            at
        };
        for ch in &channels {
            let mut samples: Vec<_> = ch.samples.iter().collect();
            samples.sort_by(|a, b| a.name.cmp(&b.name));
            let mut compiled_samples = Vec::with_capacity(samples.len());
            for s in samples {
                let label = format!("{}/{}", ch.name, s.name);
                let nominal = push(format!("{label}/nominal"), &s.data);
                let effects = s
                    .modifiers
                    .iter()
                    .map(|m| {
                        let p = index[m.name.as_str()];
                        match &m.kind {
                            ModifierKind::Normfactor(_) | ModifierKind::Lumi(_) => {
                                Effect::Factor(p)
                            }
                            ModifierKind::Normsys { hi, lo } => {
                                Effect::Normsys(p, Code4::new(*lo, *hi))
                            }
                            ModifierKind::Histosys { hi_data, lo_data } => {
                                let hi = push(format!("{label}/{}/hi", m.name), hi_data);
                                let lo = push(format!("{label}/{}/lo", m.name), lo_data);
                                Effect::Histosys(p, hi, lo)
                            }
                            _ => Effect::PerBin(p),
                        }
                    })
                    .collect();
                compiled_samples.push(SampleModel { nominal, effects });
            }
            let observed = ws
                .observations
                .iter()
                .find(|o| o.name == ch.name)
                .map(|o| o.data.clone());
            compiled.push(ChannelModel {
                name: ch.name.clone(),
                bins: ch.samples[0].data.len(),
                samples: compiled_samples,
                observed,
            });
        }
        Ok(Model {
            sets,
            offsets,
            channels: compiled,
            templates,
            template_labels,
            poi,
        })
    }

    /// Number of parameters.
    pub fn n_parameters(&self) -> usize {
        self.sets.iter().map(|s| s.inits.len()).sum()
    }

    /// The flat index of the first parameter of the set `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.sets
            .iter()
            .position(|s| s.name == name)
            .map(|k| self.offsets[k])
    }

    /// Initial values, flat.
    pub fn inits(&self) -> Vec<f64> {
        self.sets.iter().flat_map(|s| s.inits.clone()).collect()
    }

    /// Bounds, flat.
    pub fn bounds(&self) -> Vec<(f64, f64)> {
        self.sets.iter().flat_map(|s| s.bounds.clone()).collect()
    }

    /// Whether each parameter is fixed in fits, flat.
    pub fn fixed(&self) -> Vec<bool> {
        self.sets.iter().flat_map(|s| s.fixed.clone()).collect()
    }

    /// Channel names in model order.
    pub fn channel_names(&self) -> Vec<&str> {
        self.channels.iter().map(|c| c.name.as_str()).collect()
    }

    /// Observed counts of every channel in model order (an error names a missing channel).
    pub fn observed(&self) -> Result<Vec<f64>, E> {
        let mut out = Vec::new();
        for c in &self.channels {
            let o = c
                .observed
                .as_ref()
                .ok_or_else(|| E::Invalid(format!("no observation for channel '{}'", c.name)))?;
            if o.len() != c.bins {
                return Err(E::Invalid(format!(
                    "observation of channel '{}' has {} bins, the channel {}",
                    c.name,
                    o.len(),
                    c.bins
                )));
            }
            out.extend_from_slice(o);
        }
        Ok(out)
    }

    /// Number of main-data bins (all channels).
    pub fn n_bins(&self) -> usize {
        self.channels.iter().map(|c| c.bins).sum()
    }

    /// The templates: every histogram the model is built from, flat — per channel (model
    /// order), per sample (sorted by name): the nominal bins, then for each histosys modifier of
    /// the sample its `hi_data` and `lo_data` bins. Derivatives "w.r.t. the yields"
    /// ([`super::gradients`]) are w.r.t. this vector.
    pub fn templates(&self) -> &[f64] {
        &self.templates
    }

    /// A label per template entry, `channel/sample/nominal[bin]` or
    /// `channel/sample/modifier/hi[bin]` (or `lo`).
    pub fn template_labels(&self) -> &[String] {
        &self.template_labels
    }

    /// The same model with other template values (same layout as [`Self::templates`]). The
    /// constraint widths of `staterror` and `shapesys` stay those of the workspace: they are
    /// auxiliary measurements, not functions of the templates.
    pub fn with_templates(&self, templates: &[f64]) -> Result<Model, E> {
        if templates.len() != self.templates.len() {
            return Err(E::Invalid(format!(
                "{} template values for a model with {}",
                templates.len(),
                self.templates.len()
            )));
        }
        if let Some(v) = templates.iter().find(|v| !v.is_finite()) {
            return Err(E::Invalid(format!("template value {v}")));
        }
        Ok(Model {
            templates: templates.to_vec(),
            ..self.clone()
        })
    }

    /// Expected yields of every bin (channels in model order, bins in order).
    pub fn expected<S: RealScalar>(&self, pars: &[S]) -> Vec<S> {
        self.expected_from(pars, |i| S::from_f64(self.templates[i]))
    }

    /// Expected yields with the template values `templates` (layout of [`Self::templates`]),
    /// generic so that yields can be differentiated w.r.t. the templates.
    pub fn expected_with<S: RealScalar>(&self, pars: &[S], templates: &[S]) -> Vec<S> {
        self.expected_from(pars, |i| templates[i].clone())
    }

    fn expected_from<S: RealScalar>(&self, pars: &[S], t: impl Fn(usize) -> S) -> Vec<S> {
        let mut out = Vec::with_capacity(self.n_bins());
        for c in &self.channels {
            let mut nu = vec![S::zero(); c.bins];
            for s in &c.samples {
                for (b, total) in nu.iter_mut().enumerate() {
                    let nominal = t(s.nominal + b);
                    let mut y = nominal.clone();
                    for e in &s.effects {
                        if let Effect::Histosys(p, hi, lo) = e {
                            let up = t(hi + b) - nominal.clone();
                            let down = nominal.clone() - t(lo + b);
                            y += code4p(&pars[*p], &up, &down);
                        }
                    }
                    for e in &s.effects {
                        y = match e {
                            Effect::Factor(p) => y * pars[*p].clone(),
                            Effect::PerBin(p) => y * pars[p + b].clone(),
                            Effect::Normsys(p, c4) => y * c4.factor(&pars[*p]),
                            Effect::Histosys(..) => y,
                        };
                    }
                    *total += y;
                }
            }
            out.extend(nu);
        }
        out
    }

    /// The auxiliary data of the constraints, flat in parameter order (pyhf's order).
    pub fn aux_data(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for s in &self.sets {
            match &s.constraint {
                Constraint::Free => {}
                Constraint::Normal { aux, .. } => out.extend_from_slice(aux),
                Constraint::Poisson { tau } => out.extend_from_slice(tau),
            }
        }
        out
    }

    /// The auxiliary data expected at `pars` (Gaussian constraints: the parameter; Poisson:
    /// γ τ), in the order of [`Self::aux_data`]: with [`Self::expected`], an Asimov data set.
    pub fn expected_aux<S: RealScalar>(&self, pars: &[S]) -> Vec<S> {
        let mut out = Vec::new();
        for (s, &off) in self.sets.iter().zip(&self.offsets) {
            match &s.constraint {
                Constraint::Free => {}
                Constraint::Normal { aux, .. } => {
                    out.extend((0..aux.len()).map(|j| pars[off + j].clone()));
                }
                Constraint::Poisson { tau } => {
                    out.extend(
                        tau.iter()
                            .enumerate()
                            .map(|(j, t)| pars[off + j].clone() * *t),
                    );
                }
            }
        }
        out
    }

    /// log L(pars | main data `n`, the model's auxiliary data): pyhf's `logpdf`.
    pub fn logpdf<S: RealScalar>(&self, pars: &[S], n: &[f64]) -> S {
        self.logpdf_with_aux(pars, n, &self.aux_data())
    }

    /// log L with the auxiliary data `aux` (as from [`Self::aux_data`], e.g. of an Asimov set).
    pub fn logpdf_with_aux<S: RealScalar>(&self, pars: &[S], n: &[f64], aux: &[f64]) -> S {
        let nu = self.expected(pars);
        let data: Vec<S> = n.iter().map(|&k| S::from_f64(k)).collect();
        let auxs: Vec<S> = aux.iter().map(|&x| S::from_f64(x)).collect();
        let mut ll = self.log_likelihood_kernel(pars, &nu, &data, &auxs);
        for k in n {
            ll -= ln_gamma(k + 1.0);
        }
        let mut a = aux.iter();
        for s in &self.sets {
            match &s.constraint {
                Constraint::Free => {}
                Constraint::Normal { sigma, .. } => a.by_ref().take(sigma.len()).for_each(drop),
                Constraint::Poisson { tau } => {
                    for x in a.by_ref().take(tau.len()) {
                        ll -= ln_gamma(x + 1.0);
                    }
                }
            }
        }
        ll
    }

    /// log L without the data-only terms `ln Γ(n + 1)` of the Poisson main and auxiliary
    /// terms, for expected yields `nu`, main data `n` and auxiliary data `aux`, generic in all of
    /// them: what the derivatives of fits and test statistics w.r.t. data need (the omitted
    /// terms cancel in every likelihood ratio).
    pub(super) fn log_likelihood_kernel<S: RealScalar>(
        &self,
        pars: &[S],
        nu: &[S],
        n: &[S],
        aux: &[S],
    ) -> S {
        let mut ll = S::zero();
        for (k, v) in n.iter().zip(nu) {
            ll += v.ln() * k.clone() - v.clone();
        }
        let mut a = aux.iter();
        for (s, &off) in self.sets.iter().zip(&self.offsets) {
            match &s.constraint {
                Constraint::Free => {}
                Constraint::Normal { sigma, .. } => {
                    for (j, sg) in sigma.iter().enumerate() {
                        let x = a.next().expect("aux data per constraint").clone();
                        let d = (pars[off + j].clone() - x) * sg.recip();
                        ll += d.clone() * d * (-0.5)
                            - (sg * (2.0 * std::f64::consts::PI).sqrt()).ln();
                    }
                }
                Constraint::Poisson { tau } => {
                    for (j, t) in tau.iter().enumerate() {
                        let x = a.next().expect("aux data per constraint").clone();
                        let rate = pars[off + j].clone() * *t;
                        ll += rate.ln() * x - rate;
                    }
                }
            }
        }
        ll
    }
}
