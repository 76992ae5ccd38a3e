//! Building the recursion: the Berends–Giele off-shell currents of one process, in the
//! colour-flow decomposition, as a flat program that [`super::evaluate`] runs per phase-space
//! point and helicity.
//!
//! # Method
//! Berends & Giele, "Recursive calculations for processes with n gluons", Nucl. Phys. B 306
//! (1988) 759, generalised to every vertex of the model: leg 0 is the root; for every subset S of
//! the other legs the current J_f(S) of each field f is the sum over the splittings of S into two
//! (three) non-empty subsets of the vertex joining their currents, times the propagator of f.
//! The amplitude is the current of all legs but the root, amputated and contracted with the
//! root's wavefunction. Each diagram is counted once because the splittings are unordered and
//! every vertex rule is symmetric under exchange of identical legs.
//!
//! Colour is kept exact in the colour-flow basis (see [`super::colour`]): a current carries its
//! open colour slots and the colour connections already made, so currents with different
//! colour histories are different nodes and the root collects one dual amplitude per colour flow
//! σ. Sub-currents are shared between all flows, helicities are summed outside the program.
//!
//! Fermion signs: the amplitude's sign is the parity of the permutation of the external
//! fermion operators; each vertex contributes the parity of interleaving the fermion legs of
//! its input blocks (row block first for a ψ̄…ψ contraction).
//!
//! Coupling orders, excluded particles (`/`), excluded and required s-channels (`$`, `> X >`)
//! and decay-chain resonances are applied while building, so the program only holds the
//! selected diagrams.

use std::collections::HashMap;

use super::colour::{colour_matrix, Flow, LegColour, Open, NC};
use super::model::{ColourRep, CouplingExpr, Lorentz, Model, Spin};
use super::vertices::LineKind;

/// One external leg of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    /// The particle (index into the model) as written in the process string.
    pub particle: usize,
    /// Incoming (initial state) or outgoing.
    pub incoming: bool,
}

/// Restrictions on the diagrams (all empty: every diagram at the minimal weighted order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Particles that may not propagate (either charge).
    pub excluded_any: Vec<usize>,
    /// Particles that may not appear as s-channel propagators.
    pub excluded_s_channel: Vec<usize>,
    /// Particles of which each diagram must have an s-channel propagator.
    pub required_s_channel: Vec<usize>,
    /// Decay-chain resonances: the legs (bit mask) that must come from one propagator of the
    /// given particle (as written in the decay, i.e. the outgoing particle).
    pub resonances: Vec<(u32, usize)>,
    /// Upper limits on (QCD, QED) orders.
    pub max_orders: [Option<u8>; 2],
    /// Exact (QCD, QED) orders.
    pub exact_orders: [Option<u8>; 2],
}

/// The operation that computes one term of a current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// An external wavefunction (input 0 holds the leg).
    External,
    /// Fermion–fermion–vector, column out: inputs [column, vector].
    FfvCol,
    /// Fermion–fermion–vector, row out: inputs [row, vector].
    FfvRow,
    /// Fermion–fermion–vector, vector out: inputs [row, column].
    FfvVec,
    /// Fermion–fermion–scalar, column out: inputs [column, scalar].
    FfsCol,
    /// Fermion–fermion–scalar, row out: inputs [row, scalar].
    FfsRow,
    /// Fermion–fermion–scalar, scalar out: inputs [row, column].
    FfsScalar,
    /// Three vectors: inputs [vector 1, vector 2] in the rule's order.
    Vvv,
    /// Four electroweak vectors: three vector inputs.
    Vvvv,
    /// Colour-ordered four gluons: three vector inputs in colour order.
    Gluon4,
    /// Two vectors to a scalar.
    VvScalar,
    /// Two vectors and a scalar to a scalar.
    VvsScalar,
    /// A vector and a scalar to a vector.
    VsVector,
    /// A vector and two scalars to a vector.
    VssVector,
    /// Two scalars to a vector through their momenta (V S_a S_b): inputs [S_a, S_b].
    SsVector,
    /// A vector and a scalar to a scalar through the momenta (V S_a S_b with S_a out): inputs
    /// [V, S_b]; the program negates the term when S_b is the output.
    VsScalar,
    /// Two scalars to a scalar.
    Sss,
    /// Three scalars to a scalar.
    Ssss,
}

/// One term of a current: `coef · coupling · op(inputs)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The operation.
    pub op: Op,
    /// Input node indices (unused slots are 0); for [`Op::External`] the leg.
    pub inputs: [u32; 3],
    /// Index into [`Program::couplings`].
    pub coupling: u32,
    /// Real factor: fermion sign and colour-flow weights (1/√2, −1/N).
    pub coef: f64,
}

/// One current.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The external legs it contains.
    pub mask: u32,
    /// The particle it emits into the rest of the diagram.
    pub particle: usize,
    /// Spinor, vector or scalar.
    pub line: LineKind,
    /// Whether the propagator is applied (false for externals and the root-level currents).
    pub propagate: bool,
    /// Its terms.
    pub terms: Vec<Term>,
}

/// One contribution to a dual amplitude: `coef ×` (node contracted with the root leg).
#[derive(Clone, Debug, PartialEq)]
pub struct RootTerm {
    /// The root-level node.
    pub node: u32,
    /// Real factor.
    pub coef: f64,
}

/// The compiled recursion of one process.
#[derive(Clone, Debug)]
pub struct Program {
    /// The legs, leg 0 is the root.
    pub legs: Vec<Leg>,
    /// The field each leg emits into the diagram (the particle if incoming, its antiparticle if
    /// outgoing).
    pub emitted: Vec<usize>,
    /// Currents in evaluation order.
    pub nodes: Vec<Node>,
    /// The distinct couplings the terms use.
    pub couplings: Vec<CouplingExpr>,
    /// The colour flows with a nonzero dual amplitude.
    pub flows: Vec<Flow>,
    /// For each flow, the root terms of its dual amplitude.
    pub amplitudes: Vec<Vec<RootTerm>>,
    /// The colour slots of each leg (for the colour matrix).
    pub leg_colours: Vec<LegColour>,
    /// The colour matrix of the flows, computed on first use ([`Program::colour`]).
    colour: std::sync::OnceLock<Vec<Vec<f64>>>,
    /// The (QCD, QED) orders of the diagrams kept.
    pub orders: Vec<[u8; 2]>,
}

impl Program {
    /// The colour matrix of [`Program::flows`] (computed once, on first use).
    pub fn colour(&self) -> &[Vec<f64>] {
        self.colour
            .get_or_init(|| colour_matrix(&self.leg_colours, &self.flows))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    mask: u32,
    particle: usize,
    open: Open,
    conns: Vec<(u8, u8)>,
    orders: [u8; 2],
    required: u8,
}

/// Where a vertex can be used: for the sorted input fields, the vertex, the output slot and the
/// slots of the inputs (in the order of the sorted fields).
#[derive(Clone, Debug)]
struct Use {
    vertex: usize,
    out: usize,
    slots: Vec<usize>,
}

/// How a current emitting `particle` is stored: column or row spinor, vector or scalar.
pub fn line_of(model: &Model, particle: usize) -> LineKind {
    let p = &model.particles[particle];
    match p.spin {
        Spin::Fermion if p.pdg > 0 => LineKind::Column,
        Spin::Fermion => LineKind::Row,
        Spin::Vector => LineKind::Vector,
        Spin::Scalar => LineKind::Scalar,
    }
}

fn leg_colour(model: &Model, emitted: usize) -> LegColour {
    match model.particles[emitted].colour {
        ColourRep::Singlet => LegColour::None,
        ColourRep::Triplet => LegColour::Colour,
        ColourRep::AntiTriplet => LegColour::Anticolour,
        ColourRep::Octet => LegColour::Both,
    }
}

/// Parity (±1) of interleaving the fermion legs of `blocks` (in this order) into sorted order.
fn fermion_sign(blocks: &[u32], fermions: u32) -> f64 {
    let mut inversions = 0u32;
    for (i, &a) in blocks.iter().enumerate() {
        for &b in &blocks[i + 1..] {
            let (fa, fb) = (a & fermions, b & fermions);
            for x in 0..32 {
                if fa >> x & 1 == 1 {
                    // legs of the later block below x
                    inversions += (fb & ((1u32 << x) - 1)).count_ones();
                }
            }
        }
    }
    if inversions.is_multiple_of(2) {
        1.0
    } else {
        -1.0
    }
}

/// What went wrong building a process.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// More legs than the engine supports.
    #[error("{0} external legs: at most 12 are supported")]
    TooManyLegs(usize),
    /// No diagram survives the selection.
    #[error("no diagram for this process at the requested coupling orders and restrictions")]
    NoDiagram,
    /// The recursion grows beyond what can be evaluated in reasonable time and memory.
    #[error("the process is too large for this engine: more than {MAX_TERMS} vertex terms (gg → 6 g has 212 359)")]
    TooLarge,
}

/// The largest recursion built (vertex terms); beyond it, [`BuildError::TooLarge`].
pub const MAX_TERMS: usize = 500_000;

struct Builder<'a> {
    model: &'a Model,
    sel: &'a Selection,
    legs: Vec<Leg>,
    emitted: Vec<usize>,
    finals: u32,
    fermions: u32,
    nodes: Vec<Node>,
    keys: Vec<Key>,
    index: HashMap<Key, u32>,
    by_mask: HashMap<u32, Vec<u32>>,
    couplings: Vec<CouplingExpr>,
    uses: HashMap<Vec<usize>, Vec<Use>>,
}

/// A term being added: its op, inputs (node ids), coupling, coefficient, and the colour result.
struct Candidate {
    op: Op,
    inputs: Vec<u32>,
    coupling: CouplingExpr,
    coef: f64,
    open: Open,
    new_conns: Vec<(u8, u8)>,
}

impl<'a> Builder<'a> {
    fn coupling_index(&mut self, c: CouplingExpr) -> u32 {
        if let Some(i) = self.couplings.iter().position(|x| *x == c) {
            return i as u32;
        }
        self.couplings.push(c);
        (self.couplings.len() - 1) as u32
    }

    fn add_term(
        &mut self,
        mask: u32,
        particle: usize,
        vertex: usize,
        cand: Candidate,
        propagate: bool,
    ) {
        let mut conns: Vec<(u8, u8)> = cand.new_conns.clone();
        let mut orders = [0u8; 2];
        let mut required = 0u8;
        for &i in &cand.inputs {
            let k = &self.keys[i as usize];
            conns.extend_from_slice(&k.conns);
            orders[0] += k.orders[0];
            orders[1] += k.orders[1];
            required |= k.required;
        }
        let v = &self.model.vertices[vertex];
        orders[0] += v.qcd;
        orders[1] += v.qed;
        for (o, max) in orders.iter().zip(self.sel.max_orders) {
            if max.is_some_and(|m| *o > m) {
                return;
            }
        }
        conns.sort_unstable();
        if mask & !self.finals == 0 && mask.count_ones() >= 2 {
            for (r, &p) in self.sel.required_s_channel.iter().enumerate() {
                if p == particle || self.model.particles[p].anti == particle {
                    required |= 1 << r;
                }
            }
        }
        let key = Key {
            mask,
            particle,
            open: cand.open,
            conns,
            orders,
            required,
        };
        let coupling = self.coupling_index(cand.coupling);
        let mut inputs = [0u32; 3];
        for (slot, &i) in inputs.iter_mut().zip(&cand.inputs) {
            *slot = i;
        }
        let term = Term {
            op: cand.op,
            inputs,
            coupling,
            coef: cand.coef,
        };
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.nodes.len() as u32;
                self.nodes.push(Node {
                    mask,
                    particle,
                    line: line_of(self.model, particle),
                    propagate,
                    terms: Vec::new(),
                });
                self.keys.push(key.clone());
                self.index.insert(key, id);
                self.by_mask.entry(mask).or_default().push(id);
                id
            }
        };
        self.nodes[id as usize].terms.push(term);
    }

    /// Whether a current of `particle` may exist on `mask`.
    fn allowed(&self, mask: u32, particle: usize, full: u32) -> bool {
        if mask == full {
            return true;
        }
        let anti = self.model.particles[particle].anti;
        let is = |list: &[usize]| list.iter().any(|&p| p == particle || p == anti);
        if is(&self.sel.excluded_any) {
            return false;
        }
        if mask & !self.finals == 0 && is(&self.sel.excluded_s_channel) {
            return false;
        }
        for &(r, p) in &self.sel.resonances {
            if mask == r && particle != self.model.particles[p].anti {
                return false;
            }
        }
        true
    }

    /// The candidates joining the currents `ins` (node ids, in split order) through `u`.
    fn candidates(&self, ins: &[u32], u: &Use, masks: &[u32]) -> Vec<Candidate> {
        let v = &self.model.vertices[u.vertex];
        // slot of each input current
        let fields: Vec<usize> = ins
            .iter()
            .map(|&i| self.nodes[i as usize].particle)
            .collect();
        let mut sorted: Vec<(usize, usize)> = fields.iter().copied().zip(0..).collect();
        sorted.sort();
        let mut slot_of = vec![0usize; ins.len()];
        for (k, &(_, which)) in sorted.iter().enumerate() {
            slot_of[which] = u.slots[k];
        }
        // inputs ordered by slot
        let mut by_slot: Vec<(usize, usize)> = slot_of.iter().copied().zip(0..).collect();
        by_slot.sort();
        let at = |slot: usize| by_slot.iter().find(|(s, _)| *s == slot).map(|&(_, w)| w);
        let open = |w: usize| self.keys[ins[w] as usize].open;
        let gluon = |p: usize| self.model.particles[p].colour == ColourRep::Octet;
        let mut out = Vec::new();
        let fsign = |order: &[usize]| {
            let blocks: Vec<u32> = order.iter().map(|&w| masks[w]).collect();
            fermion_sign(&blocks, self.fermions)
        };
        match v.lorentz {
            Lorentz::Ffv | Lorentz::Ffs => {
                let boson_coloured = gluon(v.legs[2]);
                let scalar = v.lorentz == Lorentz::Ffs;
                let r2 = std::f64::consts::FRAC_1_SQRT_2;
                match u.out {
                    0 | 1 => {
                        let (f, b) = if u.out == 0 {
                            (at(1).unwrap(), at(2).unwrap())
                        } else {
                            (at(0).unwrap(), at(2).unwrap())
                        };
                        let op = match (u.out, scalar) {
                            (0, false) => Op::FfvCol,
                            (0, true) => Op::FfsCol,
                            (_, false) => Op::FfvRow,
                            (_, true) => Op::FfsRow,
                        };
                        let sign = fsign(&[f, b]);
                        let (fo, bo) = (open(f), open(b));
                        let res = if !boson_coloured {
                            Some((fo, vec![], 1.0))
                        } else {
                            match (fo, bo) {
                                (Open::Colour(c), Open::Gluon(gc, ga)) => {
                                    Some((Open::Colour(gc), vec![(c, ga)], r2))
                                }
                                (Open::Anticolour(a), Open::Gluon(gc, ga)) => {
                                    Some((Open::Anticolour(ga), vec![(gc, a)], r2))
                                }
                                (o @ (Open::Colour(_) | Open::Anticolour(_)), Open::Singlet) => {
                                    Some((o, vec![], r2))
                                }
                                _ => None,
                            }
                        };
                        if let Some((o, conns, k)) = res {
                            out.push(Candidate {
                                op,
                                inputs: vec![ins[f], ins[b]],
                                coupling: v.coupling,
                                coef: sign * k,
                                open: o,
                                new_conns: conns,
                            });
                        }
                    }
                    _ => {
                        let (row, col) = (at(0).unwrap(), at(1).unwrap());
                        let op = if scalar { Op::FfsScalar } else { Op::FfvVec };
                        let sign = fsign(&[row, col]);
                        let mk = |open, conns, coef| Candidate {
                            op,
                            inputs: vec![ins[row], ins[col]],
                            coupling: v.coupling,
                            coef: sign * coef,
                            open,
                            new_conns: conns,
                        };
                        match (open(row), open(col)) {
                            (Open::Anticolour(a), Open::Colour(c)) => {
                                if boson_coloured {
                                    out.push(mk(Open::Gluon(c, a), vec![], r2));
                                    out.push(mk(Open::Singlet, vec![(c, a)], -r2 / NC));
                                } else {
                                    out.push(mk(Open::None, vec![(c, a)], 1.0));
                                }
                            }
                            (Open::None, Open::None) => out.push(mk(Open::None, vec![], 1.0)),
                            _ => {}
                        }
                    }
                }
            }
            Lorentz::Vvv if v.coupling == CouplingExpr::Gluon3 => {
                if let (Open::Gluon(c1, a1), Open::Gluon(c2, a2)) = (open(0), open(1)) {
                    let s = fsign(&[0, 1]);
                    for (x, y, o, conn) in [
                        (0, 1, Open::Gluon(c1, a2), (c2, a1)),
                        (1, 0, Open::Gluon(c2, a1), (c1, a2)),
                    ] {
                        out.push(Candidate {
                            op: Op::Vvv,
                            inputs: vec![ins[x], ins[y]],
                            coupling: CouplingExpr::Gluon3,
                            coef: s,
                            open: o,
                            new_conns: vec![conn],
                        });
                    }
                }
            }
            Lorentz::Vvvv if v.coupling == CouplingExpr::Gluon4 => {
                let g: Vec<(u8, u8)> = (0..3)
                    .filter_map(|w| match open(w) {
                        Open::Gluon(c, a) => Some((c, a)),
                        _ => None,
                    })
                    .collect();
                if g.len() == 3 {
                    let s = fsign(&[0, 1, 2]);
                    for p in [
                        [0, 1, 2],
                        [0, 2, 1],
                        [1, 0, 2],
                        [1, 2, 0],
                        [2, 0, 1],
                        [2, 1, 0],
                    ] {
                        out.push(Candidate {
                            op: Op::Gluon4,
                            inputs: p.iter().map(|&w| ins[w]).collect(),
                            coupling: CouplingExpr::Gluon4,
                            coef: s,
                            open: Open::Gluon(g[p[0]].0, g[p[2]].1),
                            new_conns: vec![(g[p[1]].0, g[p[0]].1), (g[p[2]].0, g[p[1]].1)],
                        });
                    }
                }
            }
            _ => {
                // Colourless bosonic vertices: inputs in slot order.
                let order: Vec<usize> = by_slot.iter().map(|&(_, w)| w).collect();
                if order.iter().any(|&w| open(w) != Open::None) {
                    return out;
                }
                let in_slots: Vec<usize> = by_slot.iter().map(|&(s, _)| s).collect();
                let spin = |s: usize| self.model.particles[v.legs[s]].spin;
                let coupling = match v.coupling {
                    CouplingExpr::Ewk3(_) => CouplingExpr::Ewk3([
                        v.legs[in_slots[0]],
                        v.legs[in_slots[1]],
                        v.legs[u.out],
                    ]),
                    CouplingExpr::Ewk4(_) => CouplingExpr::Ewk4([
                        v.legs[in_slots[0]],
                        v.legs[in_slots[1]],
                        v.legs[in_slots[2]],
                        v.legs[u.out],
                    ]),
                    c => c,
                };
                // For mixed vector/scalar vertices, vectors first.
                let mut order = order;
                order.sort_by_key(|&w| (spin(slot_of[w]) == Spin::Scalar, slot_of[w]));
                let out_scalar = spin(u.out) == Spin::Scalar;
                let nv = order
                    .iter()
                    .filter(|&&w| spin(slot_of[w]) == Spin::Vector)
                    .count();
                let op = match (v.lorentz, out_scalar, nv) {
                    (Lorentz::Vvv, ..) => Op::Vvv,
                    (Lorentz::Vvvv, ..) => Op::Vvvv,
                    (Lorentz::Vss, true, _) => Op::VsScalar,
                    (Lorentz::Vss, false, _) => Op::SsVector,
                    (Lorentz::Vvs, true, _) => Op::VvScalar,
                    (Lorentz::Vvs, false, _) => Op::VsVector,
                    (Lorentz::Vvss, true, _) => Op::VvsScalar,
                    (Lorentz::Vvss, false, _) => Op::VssVector,
                    (Lorentz::Sss, ..) => Op::Sss,
                    (Lorentz::Ssss, ..) => Op::Ssss,
                    _ => return out,
                };
                // V S_a S_b with S_b out: K (p_a − p_b) = −(the S_a-out form).
                let antisym = if op == Op::VsScalar && u.out == 2 {
                    -1.0
                } else {
                    1.0
                };
                let s = fsign(&order) * antisym;
                out.push(Candidate {
                    op,
                    inputs: order.iter().map(|&w| ins[w]).collect(),
                    coupling,
                    coef: s,
                    open: Open::None,
                    new_conns: vec![],
                });
            }
        }
        out
    }
}

/// Build the program of one process.
pub fn build(model: &Model, legs: &[Leg], sel: &Selection) -> Result<Program, BuildError> {
    let n = legs.len();
    if n > 12 {
        return Err(BuildError::TooManyLegs(n));
    }
    let emitted: Vec<usize> = legs
        .iter()
        .map(|l| {
            if l.incoming {
                l.particle
            } else {
                model.particles[l.particle].anti
            }
        })
        .collect();
    let mut finals = 0u32;
    let mut fermions = 0u32;
    for (k, l) in legs.iter().enumerate() {
        if !l.incoming {
            finals |= 1 << k;
        }
        if model.particles[l.particle].spin == Spin::Fermion {
            fermions |= 1 << k;
        }
    }
    // Where each vertex can be used, keyed by its sorted input fields.
    let mut uses: HashMap<Vec<usize>, Vec<Use>> = HashMap::new();
    for (vi, v) in model.vertices.iter().enumerate() {
        for out in 0..v.legs.len() {
            let mut ins: Vec<(usize, usize)> = (0..v.legs.len())
                .filter(|&s| s != out)
                .map(|s| (v.legs[s], s))
                .collect();
            ins.sort();
            let key: Vec<usize> = ins.iter().map(|x| x.0).collect();
            let list = uses.entry(key).or_default();
            // identical vertex use (same out field and inputs) only once: the rule is symmetric
            let out_field = v.legs[out];
            if list
                .iter()
                .any(|u| u.vertex == vi && model.vertices[vi].legs[u.out] == out_field)
            {
                continue;
            }
            list.push(Use {
                vertex: vi,
                out,
                slots: ins.iter().map(|x| x.1).collect(),
            });
        }
    }
    let mut b = Builder {
        model,
        sel,
        legs: legs.to_vec(),
        emitted: emitted.clone(),
        finals,
        fermions,
        nodes: Vec::new(),
        keys: Vec::new(),
        index: HashMap::new(),
        by_mask: HashMap::new(),
        couplings: Vec::new(),
        uses,
    };
    let full: u32 = ((1u32 << n) - 1) & !1;
    for (k, &field) in emitted.iter().enumerate().skip(1) {
        let open = match leg_colour(model, field) {
            LegColour::None => Open::None,
            LegColour::Colour => Open::Colour(k as u8),
            LegColour::Anticolour => Open::Anticolour(k as u8),
            LegColour::Both => Open::Gluon(k as u8, k as u8),
        };
        let key = Key {
            mask: 1 << k,
            particle: field,
            open,
            conns: vec![],
            orders: [0, 0],
            required: 0,
        };
        let id = b.nodes.len() as u32;
        b.nodes.push(Node {
            mask: 1 << k,
            particle: field,
            line: line_of(model, field),
            propagate: false,
            terms: vec![Term {
                op: Op::External,
                inputs: [k as u32, 0, 0],
                coupling: 0,
                coef: 1.0,
            }],
        });
        b.keys.push(key.clone());
        b.index.insert(key, id);
        b.by_mask.entry(1 << k).or_default().push(id);
    }
    let mut masks: Vec<u32> = (1..=full).filter(|m| m & !full == 0 && *m != 0).collect();
    masks.sort_by_key(|m| (m.count_ones(), *m));
    for &mask in masks.iter().filter(|m| m.count_ones() >= 2) {
        let crosses = b
            .sel
            .resonances
            .iter()
            .any(|&(r, _)| mask & r != 0 && mask & r != r && mask & r != mask);
        if crosses {
            continue;
        }
        let low = mask & mask.wrapping_neg();
        let rest = mask ^ low;
        // two-way splits: S1 ∋ lowest leg
        let mut sub = rest;
        let mut splits2 = Vec::new();
        let mut splits3 = Vec::new();
        loop {
            let s1 = low | sub;
            if s1 != mask {
                splits2.push((s1, mask ^ s1));
                // three-way: S2 ∋ lowest leg of the remainder
                let r = mask ^ s1;
                let low2 = r & r.wrapping_neg();
                let rest2 = r ^ low2;
                let mut sub2 = rest2;
                loop {
                    let s2 = low2 | sub2;
                    if s2 != r {
                        splits3.push((s1, s2, r ^ s2));
                    }
                    if sub2 == 0 {
                        break;
                    }
                    sub2 = (sub2 - 1) & rest2;
                }
            }
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & rest;
        }
        let propagate = mask != full;
        let mut pending: Vec<(usize, usize, Candidate)> = Vec::new();
        for (s1, s2) in splits2 {
            let (n1, n2) = (
                b.by_mask.get(&s1).cloned().unwrap_or_default(),
                b.by_mask.get(&s2).cloned().unwrap_or_default(),
            );
            for &x in &n1 {
                for &y in &n2 {
                    let (fx, fy) = (b.nodes[x as usize].particle, b.nodes[y as usize].particle);
                    let mut key = vec![fx, fy];
                    key.sort();
                    let Some(list) = b.uses.get(&key) else {
                        continue;
                    };
                    for u in list.clone() {
                        let particle = model.particles[model.vertices[u.vertex].legs[u.out]].anti;
                        if !b.allowed(mask, particle, full) {
                            continue;
                        }
                        for c in b.candidates(&[x, y], &u, &[s1, s2]) {
                            pending.push((particle, u.vertex, c));
                        }
                    }
                }
            }
        }
        for (s1, s2, s3) in splits3 {
            let (n1, n2, n3) = (
                b.by_mask.get(&s1).cloned().unwrap_or_default(),
                b.by_mask.get(&s2).cloned().unwrap_or_default(),
                b.by_mask.get(&s3).cloned().unwrap_or_default(),
            );
            for &x in &n1 {
                for &y in &n2 {
                    for &z in &n3 {
                        let mut key: Vec<usize> = [x, y, z]
                            .iter()
                            .map(|&i| b.nodes[i as usize].particle)
                            .collect();
                        key.sort();
                        let Some(list) = b.uses.get(&key) else {
                            continue;
                        };
                        for u in list.clone() {
                            let particle =
                                model.particles[model.vertices[u.vertex].legs[u.out]].anti;
                            if !b.allowed(mask, particle, full) {
                                continue;
                            }
                            for c in b.candidates(&[x, y, z], &u, &[s1, s2, s3]) {
                                pending.push((particle, u.vertex, c));
                            }
                        }
                    }
                }
            }
        }
        for (particle, vertex, c) in pending {
            b.add_term(mask, particle, vertex, c, propagate);
        }
        if b.nodes.iter().map(|n| n.terms.len()).sum::<usize>() > MAX_TERMS {
            return Err(BuildError::TooLarge);
        }
    }
    finish(b, full)
}

/// Contract the root-level currents with the root, select orders, prune, build the colour matrix.
fn finish(b: Builder, full: u32) -> Result<Program, BuildError> {
    let model = b.model;
    let root_field = b.emitted[0];
    let want = model.particles[root_field].anti;
    let root_open = leg_colour(model, root_field);
    // (flow, node, orders)
    let mut found: Vec<(Flow, u32, [u8; 2])> = Vec::new();
    let nreq = b.sel.required_s_channel.len();
    for &id in b.by_mask.get(&full).map(|v| v.as_slice()).unwrap_or(&[]) {
        let key = &b.keys[id as usize];
        if key.particle != want || key.required != ((1u16 << nreq) - 1) as u8 {
            continue;
        }
        let extra: Option<Vec<(u8, u8)>> = match (root_open, key.open) {
            (LegColour::None, Open::None) => Some(vec![]),
            (LegColour::Colour, Open::Anticolour(a)) => Some(vec![(0, a)]),
            (LegColour::Anticolour, Open::Colour(c)) => Some(vec![(c, 0)]),
            (LegColour::Both, Open::Gluon(c, a)) => Some(vec![(0, a), (c, 0)]),
            _ => None,
        };
        let Some(extra) = extra else { continue };
        let mut flow = key.conns.clone();
        flow.extend(extra);
        flow.sort_unstable();
        found.push((flow, id, key.orders));
    }
    // Orders: exact limits, else (no limits at all) the minimal weighted order QCD + 2 QED.
    let sel = b.sel;
    found.retain(|(_, _, o)| {
        o.iter()
            .zip(sel.exact_orders)
            .all(|(x, e)| e.is_none_or(|e| *x == e))
    });
    let any_limit = sel
        .max_orders
        .iter()
        .chain(&sel.exact_orders)
        .any(|x| x.is_some());
    if !any_limit {
        if let Some(min) = found.iter().map(|(_, _, o)| o[0] + 2 * o[1]).min() {
            found.retain(|(_, _, o)| o[0] + 2 * o[1] == min);
        }
    }
    if found.is_empty() {
        return Err(BuildError::NoDiagram);
    }
    let mut flows: Vec<Flow> = found.iter().map(|f| f.0.clone()).collect();
    flows.sort();
    flows.dedup();
    let mut orders: Vec<[u8; 2]> = found.iter().map(|f| f.2).collect();
    orders.sort();
    orders.dedup();
    // Prune to the nodes the amplitudes need, renumbering in order.
    let mut live = vec![false; b.nodes.len()];
    let mut stack: Vec<u32> = found.iter().map(|f| f.1).collect();
    while let Some(i) = stack.pop() {
        if live[i as usize] {
            continue;
        }
        live[i as usize] = true;
        for t in &b.nodes[i as usize].terms {
            if t.op == Op::External {
                continue;
            }
            let arity = match t.op {
                Op::Vvvv | Op::Gluon4 | Op::VvsScalar | Op::VssVector | Op::Ssss => 3,
                _ => 2,
            };
            stack.extend_from_slice(&t.inputs[..arity]);
        }
    }
    let mut new_id = vec![u32::MAX; b.nodes.len()];
    let mut nodes = Vec::new();
    for (i, node) in b.nodes.iter().enumerate() {
        if live[i] {
            new_id[i] = nodes.len() as u32;
            let mut node = node.clone();
            for t in &mut node.terms {
                if t.op != Op::External {
                    for x in &mut t.inputs {
                        if *x != u32::MAX && live[*x as usize] {
                            *x = new_id[*x as usize];
                        }
                    }
                }
            }
            nodes.push(node);
        }
    }
    let mut amplitudes = vec![Vec::new(); flows.len()];
    for (flow, id, _) in &found {
        let f = flows.binary_search(flow).expect("flow listed");
        amplitudes[f].push(RootTerm {
            node: new_id[*id as usize],
            coef: 1.0,
        });
    }
    let leg_colours: Vec<LegColour> = b.emitted.iter().map(|&e| leg_colour(model, e)).collect();
    Ok(Program {
        legs: b.legs,
        emitted: b.emitted,
        nodes,
        couplings: b.couplings,
        flows,
        amplitudes,
        leg_colours,
        colour: std::sync::OnceLock::new(),
        orders,
    })
}
