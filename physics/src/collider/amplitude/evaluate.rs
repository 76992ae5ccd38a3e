//! Running a compiled [`Program`]: external wavefunctions, the currents in order, the dual
//! amplitudes of each colour flow and the colour- and helicity-summed |M|², in any number type.

use diffhep::{Complex, RealScalar, Scalar};

use super::model::{CouplingExpr, Gauge, Mass, Model, ModelPoint, Spin};
use super::program::{line_of, Op, Program};
use super::vertices::{self as vx, Current, LineKind};
use crate::collider::helicity;
use crate::lorentz::FourVector;

/// The wavefunction of external leg `leg` (momentum `p`, helicity `hel`).
fn wavefunction<S: RealScalar>(
    prog: &Program,
    model: &Model,
    point: &ModelPoint<S>,
    leg: usize,
    p: &FourVector<S>,
    hel: i8,
) -> Current<S> {
    let l = prog.legs[leg];
    let part = &model.particles[l.particle];
    let m = point.mass(part.mass);
    match part.spin {
        Spin::Scalar => vx::scalar(Complex::one()),
        Spin::Vector => {
            let e = helicity::polarisation(p, m, hel);
            if l.incoming {
                e
            } else {
                helicity::conj_vec(&e)
            }
        }
        Spin::Fermion => match (l.incoming, part.pdg > 0) {
            (true, true) => helicity::u(p, m, hel),
            (true, false) => helicity::bar(&helicity::v(p, m, hel)),
            (false, true) => helicity::bar(&helicity::u(p, m, hel)),
            (false, false) => helicity::v(p, m, hel),
        },
    }
}

/// Couplings of the program at one parameter point: `[c_L, c_R, unused]` or the three
/// four-vector coefficients.
fn couplings<S: Scalar>(
    prog: &Program,
    model: &Model,
    point: &ModelPoint<S>,
) -> Vec<[Complex<S>; 3]> {
    prog.couplings
        .iter()
        .map(|c| match c {
            CouplingExpr::Ewk4(legs) => point.ewk4(model, *legs),
            c => {
                let [a, b] = point.coupling(model, c);
                [a, b, Complex::zero()]
            }
        })
        .collect()
}

fn scale<S: Scalar>(x: Current<S>, k: f64) -> Current<S> {
    if k == 1.0 {
        return x;
    }
    x.map(|z| z.scale_f64(k))
}

/// A current's propagator at one point: the denominator i/(P² − μ²), the numerator mass and
/// whether the particle is massive.
type Propagator<S> = (Complex<S>, Complex<S>, bool);

/// The per-point state of an evaluation: momenta of the currents, propagator denominators,
/// couplings and every external wavefunction, ready to run any helicity configuration.
pub struct Evaluator<'a, S> {
    prog: &'a Program,
    node_p: Vec<[S; 4]>,
    props: Vec<Option<Propagator<S>>>,
    coup: Vec<[Complex<S>; 3]>,
    hels: Vec<&'static [i8]>,
    wfs: Vec<Vec<Current<S>>>,
    /// Per node: its legs' helicity strides `(leg, stride)` and its number of variants.
    layout: Vec<(Vec<(usize, usize)>, usize)>,
    /// Per node, its value for every helicity configuration of its own legs (filled once).
    values: Vec<Vec<Current<S>>>,
    /// Per root-level node, its values computed so far (only live configurations are asked).
    root_values: Vec<Vec<Option<Current<S>>>>,
    filled: bool,
    root_line: LineKind,
}

impl<'a, S: RealScalar> Evaluator<'a, S> {
    /// Prepare the evaluation of `prog` at the momenta of the legs in process order. With
    /// `gauge_leg`, that leg's polarisation vectors are replaced by its momentum divided by its
    /// energy (a gauge-invariance check: every amplitude must then vanish).
    pub fn new(
        prog: &'a Program,
        model: &Model,
        point: &ModelPoint<S>,
        momenta: &[FourVector<S>],
        gauge_leg: Option<usize>,
    ) -> Self {
        let flow = flow_momenta(prog, momenta);
        let wfs = external_wavefunctions(prog, model, point, momenta, gauge_leg);
        Evaluator::from_parts(prog, model, point, flow, wfs)
    }
}

/// The momentum flowing into the diagram along each leg (p incoming, −p outgoing).
pub fn flow_momenta<S: Scalar>(prog: &Program, momenta: &[FourVector<S>]) -> Vec<[S; 4]> {
    momenta
        .iter()
        .zip(&prog.legs)
        .map(|(p, l)| {
            let v = [p.e.clone(), p.px.clone(), p.py.clone(), p.pz.clone()];
            if l.incoming {
                v
            } else {
                v.map(|x| -x)
            }
        })
        .collect()
}

/// Every leg's wavefunction for each of its helicities (see [`Evaluator::new`] for
/// `gauge_leg`).
pub fn external_wavefunctions<S: RealScalar>(
    prog: &Program,
    model: &Model,
    point: &ModelPoint<S>,
    momenta: &[FourVector<S>],
    gauge_leg: Option<usize>,
) -> Vec<Vec<Current<S>>> {
    (0..prog.legs.len())
        .map(|k| {
            model.particles[prog.legs[k].particle]
                .helicities()
                .iter()
                .map(|&h| {
                    if gauge_leg == Some(k) {
                        let p = &momenta[k];
                        let c = |x: &S| Complex::real(x.clone() / p.e.clone());
                        [c(&p.e), c(&p.px), c(&p.py), c(&p.pz)]
                    } else {
                        wavefunction(prog, model, point, k, &momenta[k], h)
                    }
                })
                .collect()
        })
        .collect()
}

impl<'a, S: Scalar> Evaluator<'a, S> {
    /// Prepare an evaluation from the flow momenta of the legs ([`flow_momenta`]) and their
    /// wavefunctions ([`external_wavefunctions`]), in any number type (lane-batched events
    /// build these per event and pack them).
    pub fn from_parts(
        prog: &'a Program,
        model: &Model,
        point: &ModelPoint<S>,
        flow: Vec<[S; 4]>,
        wfs: Vec<Vec<Current<S>>>,
    ) -> Self {
        let node_p: Vec<[S; 4]> = prog
            .nodes
            .iter()
            .map(|node| {
                let mut s: [S; 4] = std::array::from_fn(|_| S::zero());
                for (k, f) in flow.iter().enumerate() {
                    if node.mask >> k & 1 == 1 {
                        for m in 0..4 {
                            s[m] = s[m].clone() + f[m].clone();
                        }
                    }
                }
                s
            })
            .collect();
        let props = prog
            .nodes
            .iter()
            .zip(&node_p)
            .map(|(node, p)| {
                if !node.propagate {
                    return None;
                }
                let part = &model.particles[node.particle];
                let k = part.mass as usize;
                let den = vx::denominator(p, &point.pole2[k]);
                // In Feynman gauge massive vectors propagate with −g^{μν} only.
                let unitary_vector = part.spin == Spin::Vector && model.gauge == Gauge::Unitary;
                let massive =
                    part.mass != Mass::Zero && (part.spin != Spin::Vector || unitary_vector);
                Some((den, point.num_mass[k].clone(), massive))
            })
            .collect();
        let hels: Vec<&'static [i8]> = prog
            .legs
            .iter()
            .map(|l| model.particles[l.particle].helicities())
            .collect();
        let root_line = line_of(model, prog.emitted[0]);
        // Mixed-radix layout of each node's variants over the helicities of its legs.
        let layout = prog
            .nodes
            .iter()
            .map(|node| {
                let mut strides = Vec::new();
                let mut size = 1;
                for (k, h) in hels.iter().enumerate() {
                    if node.mask >> k & 1 == 1 {
                        strides.push((k, size));
                        size *= h.len();
                    }
                }
                (strides, size)
            })
            .collect();
        Evaluator {
            prog,
            node_p,
            props,
            coup: couplings(prog, model, point),
            hels,
            wfs,
            layout,
            values: vec![Vec::new(); prog.nodes.len()],
            root_values: vec![Vec::new(); prog.nodes.len()],
            filled: false,
            root_line,
        }
    }

    /// The helicity values allowed for each leg.
    pub fn helicities(&self) -> &[&'static [i8]] {
        &self.hels
    }

    /// Number of helicity configurations.
    pub fn configurations(&self) -> usize {
        self.hels.iter().map(|h| h.len()).product()
    }

    /// The indices into [`Self::helicities`] of configuration `config` (mixed radix, last leg
    /// fastest).
    pub fn configuration(&self, mut config: usize) -> Vec<usize> {
        let mut choice = vec![0usize; self.hels.len()];
        for k in (0..self.hels.len()).rev() {
            choice[k] = config % self.hels[k].len();
            config /= self.hels[k].len();
        }
        choice
    }

    /// Compute every current for every helicity configuration of its own legs: a current
    /// depends only on the helicities of the legs it contains, so it is computed
    /// Π_{k ∈ legs} (helicities of k) times instead of once per configuration of the process.
    fn fill(&mut self) {
        let prog = self.prog;
        let mut choice = vec![0usize; self.hels.len()];
        for (i, node) in prog.nodes.iter().enumerate() {
            let (strides, size) = &self.layout[i];
            if !node.propagate && node.terms.iter().all(|t| t.op != Op::External) {
                // a root-level current: computed on demand for the live configurations only
                self.values[i] = Vec::new();
                self.root_values[i] = vec![None; *size];
                continue;
            }
            let mut out = Vec::with_capacity(*size);
            for v in 0..*size {
                // decode the variant into the helicity indices of the node's legs
                let mut rest = v;
                for &(k, _) in strides {
                    let r = self.hels[k].len();
                    choice[k] = rest % r;
                    rest /= r;
                }
                out.push(self.node_value(i, &choice));
            }
            self.values[i] = out;
        }
        self.filled = true;
    }

    /// The variant index of node `j` for the helicity indices `choice`.
    fn index(&self, j: usize, choice: &[usize]) -> usize {
        self.layout[j].0.iter().map(|&(k, st)| choice[k] * st).sum()
    }

    /// The value of node `i` for the helicity indices `choice` (its inputs already filled).
    fn node_value(&self, i: usize, choice: &[usize]) -> Current<S> {
        let node = &self.prog.nodes[i];
        let mut acc = vx::zero();
        for t in &node.terms {
            let values = &self.values;
            let node_p = &self.node_p;
            let inp = |j: usize| {
                let n = t.inputs[j] as usize;
                &values[n][self.index(n, choice)]
            };
            let cp = &self.coup[t.coupling as usize];
            let cc = [cp[0].clone(), cp[1].clone()];
            let v = match t.op {
                Op::External => {
                    let leg = t.inputs[0] as usize;
                    self.wfs[leg][choice[leg]].clone()
                }
                Op::FfvCol => vx::ffv_col(inp(0), inp(1), &cc),
                Op::FfvRow => vx::ffv_row(inp(0), inp(1), &cc),
                Op::FfvVec => vx::ffv_vec(inp(0), inp(1), &cc),
                Op::FfsCol => vx::ffs_col(inp(0), inp(1), &cc),
                Op::FfsRow => vx::ffs_row(inp(0), inp(1), &cc),
                Op::FfsScalar => vx::ffs_scalar(inp(0), inp(1), &cc),
                Op::Vvv => {
                    let (a, b) = (t.inputs[0] as usize, t.inputs[1] as usize);
                    vx::vvv(inp(0), &node_p[a], inp(1), &node_p[b], &cp[0])
                }
                Op::Vvvv => vx::vvvv([inp(0), inp(1), inp(2)], cp),
                Op::Gluon4 => vx::gluon4([inp(0), inp(1), inp(2)], &cp[0]),
                Op::VvScalar => vx::vv_scalar(inp(0), inp(1), None, &cp[0]),
                Op::VvsScalar => vx::vv_scalar(inp(0), inp(1), Some(inp(2)), &cp[0]),
                Op::VsVector => vx::vs_vector(inp(0), inp(1), None, &cp[0]),
                Op::VssVector => vx::vs_vector(inp(0), inp(1), Some(inp(2)), &cp[0]),
                Op::SsVector => {
                    let (a, b) = (t.inputs[0] as usize, t.inputs[1] as usize);
                    vx::ss_vector(inp(0), &node_p[a], inp(1), &node_p[b], &cp[0])
                }
                Op::VsScalar => {
                    let (a, b) = (t.inputs[0] as usize, t.inputs[1] as usize);
                    vx::vs_scalar(inp(0), &node_p[a], inp(1), &node_p[b], &cp[0])
                }
                Op::Sss => vx::scalars(&[inp(0), inp(1)], &cp[0]),
                Op::Ssss => vx::scalars(&[inp(0), inp(1), inp(2)], &cp[0]),
            };
            let v = scale(v, t.coef);
            for (a, x) in acc.iter_mut().zip(v) {
                *a += x;
            }
        }
        match &self.props[i] {
            Some((den, m, massive)) => {
                vx::propagate(node.line, &acc, &self.node_p[i], m, *massive, den)
            }
            None => acc,
        }
    }

    /// The dual amplitude of every colour flow for one helicity configuration (`choice[k]`
    /// indexes the helicities of leg k). The currents are computed on the first call for every
    /// configuration at once; later calls only contract.
    pub fn amplitudes(&mut self, choice: &[usize]) -> Vec<Complex<S>> {
        if !self.filled {
            self.fill();
        }
        let prog = self.prog;
        for terms in &prog.amplitudes {
            for rt in terms {
                let n = rt.node as usize;
                let idx = self.index(n, choice);
                if self.root_values[n][idx].is_none() {
                    self.root_values[n][idx] = Some(self.node_value(n, choice));
                }
            }
        }
        let root = &self.wfs[0][choice[0]];
        prog.amplitudes
            .iter()
            .map(|terms| {
                let mut s = Complex::zero();
                for rt in terms {
                    let n = rt.node as usize;
                    let v = self.root_values[n][self.index(n, choice)]
                        .as_ref()
                        .expect("computed above");
                    let x = match self.root_line {
                        LineKind::Column => helicity::dot(v, root),
                        LineKind::Row => helicity::dot(root, v),
                        LineKind::Vector => helicity::mdot(v, root),
                        LineKind::Scalar => v[0].clone() * root[0].clone(),
                    };
                    s += x.scale_f64(rt.coef);
                }
                s
            })
            .collect()
    }
}

/// Σ_{σσ'} A_σ* C_{σσ'} A_σ' for one helicity configuration.
pub fn colour_sum<S: Scalar>(colour: &[Vec<f64>], amps: &[Complex<S>]) -> S {
    let mut total = S::zero();
    for (x, row) in colour.iter().enumerate() {
        let ax = &amps[x];
        total += ax.norm_sqr() * row[x];
        for (y, ay) in amps.iter().enumerate().skip(x + 1) {
            let re = ax.re.clone() * ay.re.clone() + ax.im.clone() * ay.im.clone();
            total += re * (2.0 * row[y]);
        }
    }
    total
}

/// A generic reference point of the process: the incoming particles in their centre-of-mass
/// frame along ±z (one incoming particle at rest) and a RAMBO final state at
/// √s = 1.5 Σm + 100 GeV, or `None` where no such point exists (a massless decaying particle).
fn reference_momenta(
    prog: &Program,
    model: &Model,
    point: &ModelPoint<f64>,
) -> Option<Vec<FourVector<f64>>> {
    let mass = |k: usize| *point.mass(model.particles[prog.legs[k].particle].mass);
    let n_in = prog.legs.iter().filter(|l| l.incoming).count();
    let m_in: Vec<f64> = (0..n_in).map(mass).collect();
    let m_out: Vec<f64> = (n_in..prog.legs.len()).map(mass).collect();
    let sum_out: f64 = m_out.iter().sum();
    let sqrt_s = match n_in {
        1 => m_in[0],
        _ => 1.5 * (m_in.iter().sum::<f64>()).max(sum_out) + 100.0,
    };
    if m_out.len() < 2 || sqrt_s <= sum_out {
        return None;
    }
    let mut mom = Vec::new();
    if n_in == 1 {
        mom.push(FourVector::new(sqrt_s, 0.0, 0.0, 0.0));
    } else {
        let s = sqrt_s * sqrt_s;
        let (a, b) = (m_in[0], m_in[1]);
        let q = ((s - (a + b).powi(2)) * (s - (a - b).powi(2)))
            .max(0.0)
            .sqrt()
            / (2.0 * sqrt_s);
        mom.push(FourVector::new((q * q + a * a).sqrt(), 0.0, 0.0, q));
        mom.push(FourVector::new((q * q + b * b).sqrt(), 0.0, 0.0, -q));
    }
    let dim = 3 * m_out.len() - 4;
    let x: Vec<f64> = (0..dim)
        .map(|k| (0.31 + 0.618_034 * k as f64).fract())
        .collect();
    let pt = crate::phase_space::PhaseSpace::generate_with_masses(sqrt_s, &m_out, &x).ok()?;
    mom.extend(pt.momenta);
    Some(mom)
}

/// The helicity configurations that contribute: those with a dual amplitude that is not exactly
/// zero at a generic reference point with the default parameters (MadGraph's rule). Exact zeros
/// come from the massless fermions' chirality (their spinors have exact zero components), so
/// they are structural and hold at every point and parameter value. All configurations if no
/// reference point exists.
pub fn live_configurations(prog: &Program, model: &Model) -> Vec<usize> {
    let params = crate::collider::sm::ParamCard::default().to_params::<f64>();
    let point = ModelPoint::new(&params);
    let hels: usize = prog
        .legs
        .iter()
        .map(|l| model.particles[l.particle].helicities().len())
        .product();
    let Some(mom) = reference_momenta(prog, model, &point) else {
        return (0..hels).collect();
    };
    let mut ev = Evaluator::new(prog, model, &point, &mom, None);
    (0..hels)
        .filter(|&c| {
            let choice = ev.configuration(c);
            ev.amplitudes(&choice)
                .iter()
                .any(|a| a.re != 0.0 || a.im != 0.0)
        })
        .collect()
}

/// Σ over helicities and colours of |M|² (no averaging, no identical-particle factor) for the
/// momenta of the legs in process order, over the helicity configurations `live` (all if
/// `None`).
pub fn msq_summed<S: RealScalar>(
    prog: &Program,
    model: &Model,
    point: &ModelPoint<S>,
    momenta: &[FourVector<S>],
    live: Option<&[usize]>,
) -> S {
    let mut ev = Evaluator::new(prog, model, point, momenta, None);
    let colour = prog.colour();
    let mut total = S::zero();
    let all: Vec<usize>;
    let configs = match live {
        Some(l) => l,
        None => {
            all = (0..ev.configurations()).collect();
            &all
        }
    };
    for &config in configs {
        let choice = ev.configuration(config);
        let amps = ev.amplitudes(&choice);
        total += colour_sum(colour, &amps);
    }
    total
}
