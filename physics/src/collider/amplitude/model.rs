//! The Standard Model as data: particles, vertices and the couplings of each vertex as
//! expressions of the param card.
//!
//! # Conventions
//! Peskin & Schroeder's: covariant derivative D_μ = ∂_μ − i g_s t^a G^a_μ − i g t^i W^i_μ − i g′ Y B_μ,
//! W^3 = c_W Z + s_W A, B = −s_W Z + c_W A, W^± = (W^1 ∓ i W^2)/√2 (the field W⁺ annihilates an
//! incoming W⁺). Every vertex is given with all particles *incoming*; its Feynman rule (the
//! factor i included) is
//! - fermion–fermion–vector `ψ̄ γ^μ (c_L P_L + c_R P_R) ψ V_μ`: i γ^μ (c_L P_L + c_R P_R) with
//!   c = e Q for the photon, (g/c_W)(T₃ − Q s_W²) and −(g/c_W) Q s_W² (left, right) for the Z,
//!   g/√2 (left only, unit CKM) for the W, g_s t^a for the gluon;
//! - fermion–fermion–Higgs: −i m_f/v (the Yukawa masses `ymb`, `ymt`, `ymtau`);
//! - three vectors (X, Y, Z), momenta k₁, k₂, k₃ incoming:
//!   C [g^{μν}(k₁ − k₂)^ρ + g^{νρ}(k₂ − k₃)^μ + g^{ρμ}(k₃ − k₁)^ν] with
//!   C = g Σ ε^{abc} U_{aX} U_{bY} U_{cZ}, U the map from the physical fields to W^{1,2,3};
//! - four vectors: −i g² Σ_e [F^{12,34}(g₁₃g₂₄ − g₁₄g₂₃) + F^{13,24}(g₁₂g₃₄ − g₁₄g₂₃)
//!   + F^{14,23}(g₁₂g₃₄ − g₁₃g₂₄)] with F^{ij,kl} = Σ ε^{abe} ε^{cde} U_{ai} U_{bj} U_{ck} U_{dl};
//! - Higgs–vector–vector i g m_W g^{μν} (W⁺W⁻), i g m_Z/c_W g^{μν} (ZZ); HHVV i g²/2 and
//!   i g²/(2c_W²); HHH −3i m_H²/v; HHHH −3i m_H²/v².
//!
//! Gluon self-interactions are handled in the colour-flow decomposition by the engine (colour
//! ordered vertices), not through ε^{abc}; see [`super::colour`].
//!
//! Massive vector bosons are in unitary gauge ([`Model::sm`]) or in Feynman gauge
//! ([`Model::sm_in`] with [`Gauge::Feynman`]): propagators −i g^{μν}/(P² − M²) and the
//! Goldstone bosons G⁰, G± (masses M_Z, M_W) as internal lines, with every vertex of the
//! Higgs doublet Φ = (G⁺, (v + h + iG⁰)/√2) derived here from (D_μΦ)†(D^μΦ), the potential
//! λ(Φ†Φ − v²/2)² and the Yukawa terms in the conventions above (rules with all legs incoming;
//! for a vector–scalar–scalar vertex [V, S_a, S_b] the rule is K (p_a − p_b)^μ):
//! - V S S: K = i e for [A, G⁺, G⁻], i g (c_W² − s_W²)/(2c_W) for [Z, G⁺, G⁻], g/(2c_W) for
//!   [Z, G⁰, h], i g/2 for [W⁺, h, G⁻] and [W⁻, G⁺, h], g/2 for [W⁺, G⁻, G⁰] and [W⁻, G⁺, G⁰];
//! - V V S: i e m_W g^{μν} for A W^± G^∓, −i e m_W s_W/c_W for Z W^± G^∓;
//! - V V S S: i g²/2 for W⁺W⁻G⁰G⁰ and W⁺W⁻G⁺G⁻, i g²/(2c_W²) for ZZG⁰G⁰, 2i e² for AAG⁺G⁻,
//!   i e g (c_W² − s_W²)/c_W for AZG⁺G⁻, i g² (c_W² − s_W²)²/(2c_W²) for ZZG⁺G⁻, i e g/2 for
//!   A W^± G^∓ h, ∓e g/2 for A W^± G^∓ G⁰, and the Z ones −s_W/c_W times the A ones;
//! - S S S: −i m_H²/v for h G⁰G⁰ and h G⁺G⁻; S S S S: −3i m_H²/v² for G⁰⁴, −i m_H²/v² for
//!   hhG⁰G⁰, hhG⁺G⁻, G⁰G⁰G⁺G⁻, −2i m_H²/v² for G⁺G⁻G⁺G⁻;
//! - fermions (Yukawa masses): G⁰ f̄f (c_L, c_R) = (∓m_f/v, ±m_f/v) for down (up) type,
//!   ū d G⁺ = (i√2 m_u/v, −i√2 m_d/v), d̄ u G⁻ = (−i√2 m_d/v, i√2 m_u/v).
//!
//! Both gauges give the same |M|² (tested to 1e-10 with zero widths and in the complex-mass
//! scheme). Widths enter in one of two schemes
//! ([`WidthScheme`]): fixed widths in every propagator denominator (MadGraph's default), or the
//! complex-mass scheme (Denner, Dittmaier, Roth & Wieders, Nucl. Phys. B 724 (2005) 247):
//! μ² = m² − i m Γ for W, Z, t and H everywhere — propagator denominators and numerators,
//! c_W² = μ_W²/μ_Z², and every coupling derived from them — which keeps gauge invariance exact
//! with finite widths.

use diffhep::{Complex, Scalar};

use crate::collider::sm::SmParams;

/// Spin of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spin {
    /// Spin 0.
    Scalar,
    /// Spin ½ (Dirac).
    Fermion,
    /// Spin 1.
    Vector,
}

/// SU(3) representation of a particle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColourRep {
    /// Colourless.
    Singlet,
    /// Quark (3).
    Triplet,
    /// Antiquark (3̄).
    AntiTriplet,
    /// Gluon (8).
    Octet,
}

/// A mass parameter of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mass {
    /// Massless.
    Zero,
    /// `MZ`.
    Z,
    /// The W mass derived in the `sm` scheme.
    W,
    /// `MT`.
    T,
    /// `MB`.
    B,
    /// `MTA`.
    Ta,
    /// `MH`.
    H,
}

/// A width parameter of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// Stable.
    Zero,
    /// `WZ`.
    Z,
    /// `WW`.
    W,
    /// `WT`.
    T,
    /// `WH`.
    H,
}

/// One particle (a particle and its antiparticle are two entries unless self-conjugate).
#[derive(Clone, Debug, PartialEq)]
pub struct Particle {
    /// MadGraph name (`u`, `u~`, `e-`, `w+`, `a`, `g`, ...).
    pub name: &'static str,
    /// PDG code (negative for antiparticles).
    pub pdg: i32,
    /// Spin.
    pub spin: Spin,
    /// Colour representation.
    pub colour: ColourRep,
    /// Electric charge in units of e/3.
    pub charge3: i8,
    /// Mass parameter.
    pub mass: Mass,
    /// Width parameter.
    pub width: Width,
    /// Index of the antiparticle in [`Model::particles`] (itself if self-conjugate).
    pub anti: usize,
}

impl Particle {
    /// Whether this is a fermion with positive PDG code (its field ψ annihilates it).
    pub fn is_fermion(&self) -> bool {
        self.spin == Spin::Fermion && self.pdg > 0
    }
    /// Whether this is an antifermion.
    pub fn is_antifermion(&self) -> bool {
        self.spin == Spin::Fermion && self.pdg < 0
    }
    /// Whether this is a Goldstone boson (Feynman gauge only; never external).
    pub fn is_goldstone(&self) -> bool {
        matches!(self.pdg, 250 | 251 | -251)
    }
    /// Colour dimension (1, 3 or 8).
    pub fn colour_dim(&self) -> u32 {
        match self.colour {
            ColourRep::Singlet => 1,
            ColourRep::Triplet | ColourRep::AntiTriplet => 3,
            ColourRep::Octet => 8,
        }
    }
    /// Number of helicity states (massless vectors have two).
    pub fn helicities(&self) -> &'static [i8] {
        match (self.spin, self.mass) {
            (Spin::Scalar, _) => &[0],
            (Spin::Fermion, _) => &[-1, 1],
            (Spin::Vector, Mass::Zero) => &[-1, 1],
            (Spin::Vector, _) => &[-1, 0, 1],
        }
    }
}

/// The Lorentz structure of a vertex (see the module documentation for the Feynman rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lorentz {
    /// ψ̄ γ^μ (c_L P_L + c_R P_R) ψ V_μ; legs `[ψ̄ side, ψ side, V]`.
    Ffv,
    /// ψ̄ (c_L P_L + c_R P_R) ψ S; legs `[ψ̄ side, ψ side, S]`.
    Ffs,
    /// Three vectors (antisymmetric structure; for gluons colour ordered).
    Vvv,
    /// Four vectors (for gluons colour ordered).
    Vvvv,
    /// V S_a S_b: K (p_a − p_b)^μ; legs `[V, S_a, S_b]`.
    Vss,
    /// V·V S.
    Vvs,
    /// V·V S S.
    Vvss,
    /// Three scalars.
    Sss,
    /// Four scalars.
    Ssss,
}

/// What a vertex's coupling is, as an expression of the model parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CouplingExpr {
    /// Photon–fermion: c_L = c_R = e Q (charge in units of e/3).
    Photon {
        /// 3Q of the fermion.
        charge3: i8,
    },
    /// Z–fermion: (g/c_W)(T₃ − Q s_W²), −(g/c_W) Q s_W².
    Zboson {
        /// 2T₃ of the left-handed fermion.
        t3x2: i8,
        /// 3Q of the fermion.
        charge3: i8,
    },
    /// W–fermion: g/√2, left-handed.
    Wboson,
    /// Quark–gluon g_s (the colour factor is handled by the engine).
    Strong,
    /// Yukawa −m_f/v (times i in the rule), for the fermion with this mass.
    Yukawa(Mass),
    /// Three electroweak vectors, fields as particle indices in leg order.
    Ewk3([usize; 3]),
    /// Four electroweak vectors, fields in leg order.
    Ewk4([usize; 4]),
    /// Three gluons (colour-ordered rule g_s (−i/√2) × structure).
    Gluon3,
    /// Four gluons (colour-ordered rule i g_s²/2 × structure).
    Gluon4,
    /// H W⁺ W⁻ or H Z Z.
    HiggsVv {
        /// Z (true) or W (false).
        z: bool,
    },
    /// H H W⁺ W⁻ or H H Z Z.
    HiggsHiggsVv {
        /// Z (true) or W (false).
        z: bool,
    },
    /// H H H.
    Higgs3,
    /// H H H H.
    Higgs4,
    /// A vertex with Goldstone bosons (Feynman gauge).
    Goldstone(GoldstoneCoupling),
}

/// The couplings of the Goldstone bosons (see the module documentation for their values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoldstoneCoupling {
    /// [A, G⁺, G⁻]: i e.
    AChargedPair,
    /// [Z, G⁺, G⁻]: i g (c² − s²)/(2c).
    ZChargedPair,
    /// [Z, G⁰, h]: g/(2c).
    ZNeutralHiggs,
    /// [W^±, h, G^∓] / [W^∓, G^±, h]: i g/2.
    WHiggs,
    /// [W^±, G^∓, G⁰]: g/2.
    WNeutral,
    /// A W^± G^∓: i e m_W.
    AW,
    /// Z W^± G^∓: −i e m_W s/c.
    ZW,
    /// A A G⁺ G⁻: 2i e².
    AAPair,
    /// A Z G⁺ G⁻: i e g (c² − s²)/c.
    AZPair,
    /// Z Z G⁺ G⁻: i g² (c² − s²)²/(2c²).
    ZZPair,
    /// A W^± G^∓ h: i e g/2 (`z`: times −s/c, for Z W^± G^∓ h).
    VWHiggs {
        /// Z instead of A.
        z: bool,
    },
    /// A W^± G^∓ G⁰: ∓e g/2 (`plus`: W⁺; `z`: times −s/c).
    VWNeutral {
        /// Z instead of A.
        z: bool,
        /// W⁺ (sign −) or W⁻ (sign +).
        plus: bool,
    },
    /// h G G: −i m_H²/v.
    Cubic,
    /// hhG⁰G⁰, hhG⁺G⁻, G⁰G⁰G⁺G⁻: −i m_H²/v² times `n` (1, or 2 for G⁺G⁻G⁺G⁻, 3 for G⁰⁴).
    Quartic(u8),
    /// G⁰ f̄ f with the fermion's Yukawa mass; `up` for up-type (T₃ > 0).
    FermionNeutral {
        /// Mass of the fermion.
        mass: Mass,
        /// Up type.
        up: bool,
    },
    /// ū d G⁺ (`plus`) or d̄ u G⁻, with the Yukawa masses of both.
    FermionCharged {
        /// Mass of the up-type fermion.
        up: Mass,
        /// Mass of the down-type fermion.
        down: Mass,
        /// G⁺ (ū d) or G⁻ (d̄ u).
        plus: bool,
    },
}

/// How massive vector bosons are quantised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gauge {
    /// Unitary gauge: no Goldstones, propagators −i(g^{μν} − P^μP^ν/M²)/(P² − M²).
    #[default]
    Unitary,
    /// Feynman gauge (ξ = 1): −i g^{μν}/(P² − M²) and Goldstone bosons of mass M_Z, M_W.
    Feynman,
}

impl std::str::FromStr for Gauge {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "unitary" => Ok(Gauge::Unitary),
            "feynman" => Ok(Gauge::Feynman),
            other => Err(format!(
                "unknown gauge '{other}' (expected unitary or feynman)"
            )),
        }
    }
}

/// A vertex: its incoming legs (particle indices), structure, coupling and coupling orders.
#[derive(Clone, Debug, PartialEq)]
pub struct Vertex {
    /// Incoming particles (3 or 4), in the order the Lorentz structure names them.
    pub legs: Vec<usize>,
    /// Lorentz structure.
    pub lorentz: Lorentz,
    /// Coupling.
    pub coupling: CouplingExpr,
    /// Powers of g_s.
    pub qcd: u8,
    /// Powers of e.
    pub qed: u8,
}

/// Particles and vertices of a model.
#[derive(Clone, Debug)]
pub struct Model {
    /// Every particle and antiparticle.
    pub particles: Vec<Particle>,
    /// Every vertex.
    pub vertices: Vec<Vertex>,
    /// The gauge of the massive vector bosons.
    pub gauge: Gauge,
}

/// Fermion data for building the Standard Model: (name, antiname, pdg, 3Q, 2T₃, colour, mass, width).
type FermionRow = (&'static str, &'static str, i32, i8, i8, bool, Mass, Width);

const FERMIONS: [FermionRow; 12] = [
    ("d", "d~", 1, -1, -1, true, Mass::Zero, Width::Zero),
    ("u", "u~", 2, 2, 1, true, Mass::Zero, Width::Zero),
    ("s", "s~", 3, -1, -1, true, Mass::Zero, Width::Zero),
    ("c", "c~", 4, 2, 1, true, Mass::Zero, Width::Zero),
    ("b", "b~", 5, -1, -1, true, Mass::B, Width::Zero),
    ("t", "t~", 6, 2, 1, true, Mass::T, Width::T),
    ("e-", "e+", 11, -3, -1, false, Mass::Zero, Width::Zero),
    ("ve", "ve~", 12, 0, 1, false, Mass::Zero, Width::Zero),
    ("mu-", "mu+", 13, -3, -1, false, Mass::Zero, Width::Zero),
    ("vm", "vm~", 14, 0, 1, false, Mass::Zero, Width::Zero),
    ("ta-", "ta+", 15, -3, -1, false, Mass::Ta, Width::Zero),
    ("vt", "vt~", 16, 0, 1, false, Mass::Zero, Width::Zero),
];

impl Model {
    /// MadGraph's `sm` model (default restrictions: massless u, d, s, c, e, μ and neutrinos; massive
    /// b, t, τ; Yukawa couplings of b, t, τ only; unit CKM), unitary gauge.
    pub fn sm() -> Self {
        Self::sm_in(Gauge::Unitary)
    }

    /// The `sm` model in the given gauge.
    pub fn sm_in(gauge: Gauge) -> Self {
        let mut particles = Vec::new();
        let mut push = |p: Particle| {
            particles.push(p);
            particles.len() - 1
        };
        let mut fermions = Vec::new();
        for (name, anti, pdg, q3, t3x2, coloured, mass, width) in FERMIONS {
            let i = push(Particle {
                name,
                pdg,
                spin: Spin::Fermion,
                colour: if coloured {
                    ColourRep::Triplet
                } else {
                    ColourRep::Singlet
                },
                charge3: q3,
                mass,
                width,
                anti: 0,
            });
            let j = push(Particle {
                name: anti,
                pdg: -pdg,
                spin: Spin::Fermion,
                colour: if coloured {
                    ColourRep::AntiTriplet
                } else {
                    ColourRep::Singlet
                },
                charge3: -q3,
                mass,
                width,
                anti: 0,
            });
            fermions.push((i, j, q3, t3x2, coloured, mass));
        }
        let boson = |name, pdg, spin, colour, charge3, mass, width| Particle {
            name,
            pdg,
            spin,
            colour,
            charge3,
            mass,
            width,
            anti: 0,
        };
        let g = push(boson(
            "g",
            21,
            Spin::Vector,
            ColourRep::Octet,
            0,
            Mass::Zero,
            Width::Zero,
        ));
        let a = push(boson(
            "a",
            22,
            Spin::Vector,
            ColourRep::Singlet,
            0,
            Mass::Zero,
            Width::Zero,
        ));
        let z = push(boson(
            "z",
            23,
            Spin::Vector,
            ColourRep::Singlet,
            0,
            Mass::Z,
            Width::Z,
        ));
        let wp = push(boson(
            "w+",
            24,
            Spin::Vector,
            ColourRep::Singlet,
            3,
            Mass::W,
            Width::W,
        ));
        let wm = push(boson(
            "w-",
            -24,
            Spin::Vector,
            ColourRep::Singlet,
            -3,
            Mass::W,
            Width::W,
        ));
        let h = push(boson(
            "h",
            25,
            Spin::Scalar,
            ColourRep::Singlet,
            0,
            Mass::H,
            Width::H,
        ));
        for (i, p) in particles.iter_mut().enumerate() {
            p.anti = i;
        }
        for &(f, fb, ..) in &fermions {
            particles[f].anti = fb;
            particles[fb].anti = f;
        }
        particles[wp].anti = wm;
        particles[wm].anti = wp;

        let mut vertices = Vec::new();
        let mut v = |legs: Vec<usize>, lorentz, coupling, qcd, qed| {
            vertices.push(Vertex {
                legs,
                lorentz,
                coupling,
                qcd,
                qed,
            })
        };
        for &(f, fb, q3, t3x2, coloured, mass) in &fermions {
            if q3 != 0 {
                v(
                    vec![fb, f, a],
                    Lorentz::Ffv,
                    CouplingExpr::Photon { charge3: q3 },
                    0,
                    1,
                );
            }
            v(
                vec![fb, f, z],
                Lorentz::Ffv,
                CouplingExpr::Zboson { t3x2, charge3: q3 },
                0,
                1,
            );
            if coloured {
                v(vec![fb, f, g], Lorentz::Ffv, CouplingExpr::Strong, 1, 0);
            }
            if matches!(mass, Mass::B | Mass::T | Mass::Ta) {
                v(
                    vec![fb, f, h],
                    Lorentz::Ffs,
                    CouplingExpr::Yukawa(mass),
                    0,
                    1,
                );
            }
        }
        // W couplings of each doublet (up-type = T₃ > 0 partner listed right after the down type).
        for pair in fermions.chunks(2) {
            let (dn, dnb, ..) = pair[0];
            let (up, upb, ..) = pair[1];
            // ū γ W⁺ d and d̄ γ W⁻ u (leptons: ν̄ W⁺ ℓ⁻, ℓ̄ W⁻ ν).
            v(vec![upb, dn, wp], Lorentz::Ffv, CouplingExpr::Wboson, 0, 1);
            v(vec![dnb, up, wm], Lorentz::Ffv, CouplingExpr::Wboson, 0, 1);
        }
        v(vec![g, g, g], Lorentz::Vvv, CouplingExpr::Gluon3, 1, 0);
        v(vec![g, g, g, g], Lorentz::Vvvv, CouplingExpr::Gluon4, 2, 0);
        for n in [a, z] {
            v(
                vec![wp, wm, n],
                Lorentz::Vvv,
                CouplingExpr::Ewk3([wp, wm, n]),
                0,
                1,
            );
        }
        for legs in [
            [wp, wm, wp, wm],
            [wp, wm, a, a],
            [wp, wm, z, z],
            [wp, wm, a, z],
        ] {
            v(legs.to_vec(), Lorentz::Vvvv, CouplingExpr::Ewk4(legs), 0, 2);
        }
        v(
            vec![wp, wm, h],
            Lorentz::Vvs,
            CouplingExpr::HiggsVv { z: false },
            0,
            1,
        );
        v(
            vec![z, z, h],
            Lorentz::Vvs,
            CouplingExpr::HiggsVv { z: true },
            0,
            1,
        );
        v(
            vec![wp, wm, h, h],
            Lorentz::Vvss,
            CouplingExpr::HiggsHiggsVv { z: false },
            0,
            2,
        );
        v(
            vec![z, z, h, h],
            Lorentz::Vvss,
            CouplingExpr::HiggsHiggsVv { z: true },
            0,
            2,
        );
        v(vec![h, h, h], Lorentz::Sss, CouplingExpr::Higgs3, 0, 1);
        v(vec![h, h, h, h], Lorentz::Ssss, CouplingExpr::Higgs4, 0, 2);
        let mut model = Model {
            particles,
            vertices,
            gauge,
        };
        if gauge == Gauge::Feynman {
            model.add_goldstones(&fermions, [a, z, wp, wm, h]);
        }
        model
    }

    /// The Goldstone bosons and their vertices (Feynman gauge; see the module documentation).
    fn add_goldstones(&mut self, fermions: &[(usize, usize, i8, i8, bool, Mass)], b: [usize; 5]) {
        let [a, z, wp, wm, h] = b;
        let n = self.particles.len();
        let (g0, gp, gm) = (n, n + 1, n + 2);
        for (name, pdg, charge3, mass, width, anti) in [
            ("G0", 250, 0, Mass::Z, Width::Z, g0),
            ("G+", 251, 3, Mass::W, Width::W, gm),
            ("G-", -251, -3, Mass::W, Width::W, gp),
        ] {
            self.particles.push(Particle {
                name,
                pdg,
                spin: Spin::Scalar,
                colour: ColourRep::Singlet,
                charge3,
                mass,
                width,
                anti,
            });
        }
        use GoldstoneCoupling as G;
        let vertices = &mut self.vertices;
        let mut push = |legs: Vec<usize>, lorentz, coupling, qed| {
            vertices.push(Vertex {
                legs,
                lorentz,
                coupling,
                qcd: 0,
                qed,
            })
        };
        let mut v = |legs: Vec<usize>, lorentz, c: GoldstoneCoupling, qed| {
            push(legs, lorentz, CouplingExpr::Goldstone(c), qed)
        };
        v(vec![a, gp, gm], Lorentz::Vss, G::AChargedPair, 1);
        v(vec![z, gp, gm], Lorentz::Vss, G::ZChargedPair, 1);
        v(vec![z, g0, h], Lorentz::Vss, G::ZNeutralHiggs, 1);
        v(vec![wp, h, gm], Lorentz::Vss, G::WHiggs, 1);
        v(vec![wm, gp, h], Lorentz::Vss, G::WHiggs, 1);
        v(vec![wp, gm, g0], Lorentz::Vss, G::WNeutral, 1);
        v(vec![wm, gp, g0], Lorentz::Vss, G::WNeutral, 1);
        for (w, g) in [(wp, gm), (wm, gp)] {
            v(vec![a, w, g], Lorentz::Vvs, G::AW, 1);
            v(vec![z, w, g], Lorentz::Vvs, G::ZW, 1);
        }
        v(vec![a, a, gp, gm], Lorentz::Vvss, G::AAPair, 2);
        v(vec![a, z, gp, gm], Lorentz::Vvss, G::AZPair, 2);
        v(vec![z, z, gp, gm], Lorentz::Vvss, G::ZZPair, 2);
        // The Goldstone pairs couple to W⁺W⁻ and ZZ as the Higgs pair does.
        let hhvv = |z: bool| CouplingExpr::HiggsHiggsVv { z };
        for (legs, c) in [
            (vec![wp, wm, g0, g0], hhvv(false)),
            (vec![z, z, g0, g0], hhvv(true)),
            (vec![wp, wm, gp, gm], hhvv(false)),
        ] {
            push(legs, Lorentz::Vvss, c, 2);
        }
        let mut v = |legs: Vec<usize>, lorentz, c: GoldstoneCoupling, qed| {
            push(legs, lorentz, CouplingExpr::Goldstone(c), qed)
        };
        for (vb, zb) in [(a, false), (z, true)] {
            v(vec![vb, wp, gm, h], Lorentz::Vvss, G::VWHiggs { z: zb }, 2);
            v(vec![vb, wm, gp, h], Lorentz::Vvss, G::VWHiggs { z: zb }, 2);
            let vwn = |plus| G::VWNeutral { z: zb, plus };
            v(vec![vb, wp, gm, g0], Lorentz::Vvss, vwn(true), 2);
            v(vec![vb, wm, gp, g0], Lorentz::Vvss, vwn(false), 2);
        }
        v(vec![h, g0, g0], Lorentz::Sss, G::Cubic, 1);
        v(vec![h, gp, gm], Lorentz::Sss, G::Cubic, 1);
        v(vec![g0, g0, g0, g0], Lorentz::Ssss, G::Quartic(3), 2);
        v(vec![h, h, g0, g0], Lorentz::Ssss, G::Quartic(1), 2);
        v(vec![h, h, gp, gm], Lorentz::Ssss, G::Quartic(1), 2);
        v(vec![g0, g0, gp, gm], Lorentz::Ssss, G::Quartic(1), 2);
        v(vec![gp, gm, gp, gm], Lorentz::Ssss, G::Quartic(2), 2);
        for &(f, fb, _, t3x2, _, mass) in fermions {
            if mass != Mass::Zero {
                let c = G::FermionNeutral { mass, up: t3x2 > 0 };
                v(vec![fb, f, g0], Lorentz::Ffs, c, 1);
            }
        }
        for pair in fermions.chunks(2) {
            let (dn, dnb, .., md) = pair[0];
            let (up, upb, .., mu) = pair[1];
            if md == Mass::Zero && mu == Mass::Zero {
                continue;
            }
            let ch = |plus| G::FermionCharged {
                up: mu,
                down: md,
                plus,
            };
            v(vec![upb, dn, gp], Lorentz::Ffs, ch(true), 1);
            v(vec![dnb, up, gm], Lorentz::Ffs, ch(false), 1);
        }
    }

    /// The index of the particle named `name` (MadGraph spelling).
    /// Goldstone bosons are internal only and are not found.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.particles
            .iter()
            .position(|p| p.name == name && !p.is_goldstone())
    }
}

/// How widths enter (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WidthScheme {
    /// Fixed widths in the propagator denominators, real masses and couplings elsewhere.
    #[default]
    Fixed,
    /// The complex-mass scheme.
    ComplexMass,
}

/// The square root with non-negative real part of `z`, for `z` off the negative real axis with
/// Re √z > 0 (used for μ = √(m² − i m Γ) and c_W, s_W: no branch, so it runs on every number
/// type).
fn csqrt<S: Scalar>(z: &Complex<S>) -> Complex<S> {
    let r = z.abs();
    let re = ((r + z.re.clone()) * 0.5).sqrt();
    let im = z.im.clone() / (re.clone() * 2.0);
    Complex::new(re, im)
}

/// Electroweak and strong couplings and masses at one parameter point, in any number type.
#[derive(Clone, Debug)]
pub struct ModelPoint<S> {
    /// e = √(4πα).
    pub e: S,
    /// g = e/s_W.
    pub g: S,
    /// s_W.
    pub sw: S,
    /// c_W.
    pub cw: S,
    /// g_s = √(4π α_s).
    pub gs: S,
    /// v = 2 m_W s_W/e.
    pub v: S,
    /// Masses in the order of [`Mass`] (Zero, Z, W, T, B, Ta, H).
    pub masses: [S; 7],
    /// Widths in the order of [`Width`] (Zero, Z, W, T, H).
    pub widths: [S; 5],
    /// Yukawa masses of b, t, τ.
    pub yukawa: [S; 3],
    /// The width scheme.
    pub scheme: WidthScheme,
    /// g, s_W, c_W and v as complex numbers (real in the fixed-width scheme).
    pub complex_ew: [Complex<S>; 4],
    /// m² − i m Γ per [`Mass`]: the pole of each propagator denominator.
    pub pole2: [Complex<S>; 7],
    /// The mass in propagator numerators and couplings per [`Mass`]: m (fixed widths) or
    /// μ = √(m² − i m Γ) (complex-mass scheme).
    pub num_mass: [Complex<S>; 7],
}

impl<S: Scalar> ModelPoint<S> {
    /// Couplings and masses from the parameters (`sm` scheme, see [`crate::collider::sm`]),
    /// fixed widths.
    pub fn new(p: &SmParams<S>) -> Self {
        Self::with_scheme(p, WidthScheme::Fixed)
    }

    /// As [`Self::new`], in the given width scheme.
    pub fn with_scheme(p: &SmParams<S>, scheme: WidthScheme) -> Self {
        let d = p.derived();
        let sw = d.sw2.sqrt();
        let cw = d.cw2.sqrt();
        let g = d.e.clone() / sw.clone();
        let gs = (p.alpha_s.clone() * (4.0 * std::f64::consts::PI)).sqrt();
        let v = d.mw.clone() * sw.clone() * 2.0 / d.e.clone();
        ModelPoint {
            e: d.e,
            g,
            sw,
            cw,
            gs,
            v,
            masses: [
                S::zero(),
                p.mz.clone(),
                d.mw,
                p.mt.clone(),
                p.mb.clone(),
                p.mta.clone(),
                p.mh.clone(),
            ],
            widths: [
                S::zero(),
                p.wz.clone(),
                p.ww.clone(),
                p.wt.clone(),
                p.wh.clone(),
            ],
            yukawa: [p.ymb.clone(), p.ymt.clone(), p.ymtau.clone()],
            scheme,
            complex_ew: [
                Complex::zero(),
                Complex::zero(),
                Complex::zero(),
                Complex::zero(),
            ],
            pole2: std::array::from_fn(|_| Complex::zero()),
            num_mass: std::array::from_fn(|_| Complex::zero()),
        }
        .with_complex_parts()
    }

    /// Fill the complex couplings and masses of the scheme from the real ones.
    fn with_complex_parts(mut self) -> Self {
        let width_of = [
            Width::Zero,
            Width::Z,
            Width::W,
            Width::T,
            Width::Zero,
            Width::Zero,
            Width::H,
        ];
        for (k, wk) in width_of.iter().enumerate() {
            let m = self.masses[k].clone();
            let w = self.widths[*wk as usize].clone();
            let pole = Complex::new(m.clone() * m.clone(), -(m.clone() * w));
            self.num_mass[k] = match (self.scheme, k) {
                (WidthScheme::ComplexMass, 1 | 2 | 3 | 6) => csqrt(&pole),
                _ => Complex::real(m),
            };
            self.pole2[k] = pole;
        }
        self.complex_ew = match self.scheme {
            WidthScheme::Fixed => [
                Complex::real(self.g.clone()),
                Complex::real(self.sw.clone()),
                Complex::real(self.cw.clone()),
                Complex::real(self.v.clone()),
            ],
            WidthScheme::ComplexMass => {
                let (mu_z2, mu_w2) = (self.pole2[1].clone(), self.pole2[2].clone());
                let cw2 = mu_w2 * mu_z2.recip();
                let sw2 = Complex::new(cw2.re.rsub(1.0), -cw2.im.clone());
                let (cw, sw) = (csqrt(&cw2), csqrt(&sw2));
                let e = Complex::real(self.e.clone());
                let g = e.clone() * sw.recip();
                let v = self.num_mass[2].clone() * sw.clone() * e.recip().scale_f64(2.0);
                [g, sw, cw, v]
            }
        };
        self
    }

    /// The value of a mass parameter.
    pub fn mass(&self, m: Mass) -> &S {
        &self.masses[m as usize]
    }

    /// The value of a width parameter.
    pub fn width(&self, w: Width) -> &S {
        &self.widths[w as usize]
    }

    /// The coupling of a vertex, the factor i of the Feynman rule included; for fermion
    /// vertices `(c_L, c_R)`, for the others the single coupling in the first entry (the second
    /// is unused), for four-vector electroweak vertices the coefficients of the three metric
    /// structures are returned by [`ModelPoint::ewk4`] instead.
    pub fn coupling(&self, model: &Model, c: &CouplingExpr) -> [Complex<S>; 2] {
        let i = Complex::<S>::i;
        let zero = Complex::zero;
        let [g, sw, cw, v] = self.complex_ew.clone();
        let e = Complex::real(self.e.clone());
        match *c {
            CouplingExpr::Photon { charge3 } => {
                let q = i() * e.scale_f64(charge3 as f64 / 3.0);
                [q.clone(), q]
            }
            CouplingExpr::Zboson { t3x2, charge3 } => {
                let gz = g * cw.recip();
                let qs = (sw.clone() * sw).scale_f64(charge3 as f64 / 3.0);
                let left =
                    gz.clone() * (Complex::real(S::from_f64(t3x2 as f64 / 2.0)) - qs.clone());
                let right = -(gz * qs);
                [i() * left, i() * right]
            }
            CouplingExpr::Wboson => [i() * g.scale_f64(std::f64::consts::FRAC_1_SQRT_2), zero()],
            CouplingExpr::Strong => {
                let gs = i().scale(&self.gs);
                [gs.clone(), gs]
            }
            CouplingExpr::Yukawa(m) => {
                let y = match m {
                    Mass::B => &self.yukawa[0],
                    Mass::T => &self.yukawa[1],
                    _ => &self.yukawa[2],
                };
                let c = -(i().scale(y) * v.recip());
                [c.clone(), c]
            }
            CouplingExpr::Ewk3(legs) => [self.ewk3(model, legs), zero()],
            CouplingExpr::Ewk4(_) => [zero(), zero()],
            // g_s(−i/√2): the colour-ordered three-gluon rule.
            CouplingExpr::Gluon3 => [
                -(i()
                    .scale(&self.gs)
                    .scale_f64(std::f64::consts::FRAC_1_SQRT_2)),
                zero(),
            ],
            // i g_s²/2: the colour-ordered four-gluon rule.
            CouplingExpr::Gluon4 => [
                i().scale(&(self.gs.clone() * self.gs.clone() * 0.5)),
                zero(),
            ],
            CouplingExpr::HiggsVv { z } => {
                let c = if z {
                    g * self.num_mass[Mass::Z as usize].clone() * cw.recip()
                } else {
                    g * self.num_mass[Mass::W as usize].clone()
                };
                [i() * c, zero()]
            }
            CouplingExpr::HiggsHiggsVv { z } => {
                let g2 = (g.clone() * g).scale_f64(0.5);
                let c = if z {
                    g2 * (cw.clone() * cw).recip()
                } else {
                    g2
                };
                [i() * c, zero()]
            }
            CouplingExpr::Higgs3 => {
                let mh2 = self.pole2_if_complex(Mass::H);
                [-(i() * mh2.scale_f64(3.0) * v.recip()), zero()]
            }
            CouplingExpr::Higgs4 => {
                let mh2 = self.pole2_if_complex(Mass::H);
                [
                    -(i() * mh2.scale_f64(3.0) * (v.clone() * v).recip()),
                    zero(),
                ]
            }
            CouplingExpr::Goldstone(gc) => self.goldstone(gc),
        }
    }

    /// The Yukawa mass of a fermion (zero for the massless ones).
    fn yukawa_of(&self, m: Mass) -> Complex<S> {
        match m {
            Mass::B => Complex::real(self.yukawa[0].clone()),
            Mass::T => Complex::real(self.yukawa[1].clone()),
            Mass::Ta => Complex::real(self.yukawa[2].clone()),
            _ => Complex::zero(),
        }
    }

    /// The couplings of the Goldstone vertices (module documentation).
    fn goldstone(&self, gc: GoldstoneCoupling) -> [Complex<S>; 2] {
        use GoldstoneCoupling as G;
        let i = Complex::<S>::i;
        let zero = Complex::zero;
        let [g, sw, cw, v] = self.complex_ew.clone();
        let e = Complex::real(self.e.clone());
        let c2_s2 = cw.clone() * cw.clone() - sw.clone() * sw.clone();
        let mw = self.num_mass[Mass::W as usize].clone();
        let s_over_c = sw.clone() * cw.recip();
        let one = |x: Complex<S>| [x, zero()];
        match gc {
            G::AChargedPair => one(i() * e),
            G::ZChargedPair => one(i() * g * c2_s2 * cw.scale_f64(2.0).recip()),
            G::ZNeutralHiggs => one(g * cw.scale_f64(2.0).recip()),
            G::WHiggs => one(i() * g.scale_f64(0.5)),
            G::WNeutral => one(g.scale_f64(0.5)),
            G::AW => one(i() * e * mw),
            G::ZW => one(-(i() * e * mw * s_over_c)),
            G::AAPair => one(i() * (e.clone() * e).scale_f64(2.0)),
            G::AZPair => one(i() * e * g * c2_s2 * cw.recip()),
            G::ZZPair => {
                let x = g.clone() * c2_s2 * cw.recip();
                one(i() * (x.clone() * x).scale_f64(0.5))
            }
            G::VWHiggs { z } => {
                let c = i() * e * g.scale_f64(0.5);
                one(if z { -(c * s_over_c) } else { c })
            }
            G::VWNeutral { z, plus } => {
                let c = e * g.scale_f64(if plus { -0.5 } else { 0.5 });
                one(if z { -(c * s_over_c) } else { c })
            }
            G::Cubic => one(-(i() * self.pole2_if_complex(Mass::H) * v.recip())),
            G::Quartic(n) => one(-(i()
                * self.pole2_if_complex(Mass::H).scale_f64(n as f64)
                * (v.clone() * v).recip())),
            G::FermionNeutral { mass, up } => {
                let m = self.yukawa_of(mass) * v.recip();
                if up {
                    [m.clone(), -m]
                } else {
                    [-m.clone(), m]
                }
            }
            G::FermionCharged { up, down, plus } => {
                let k = i().scale_f64(std::f64::consts::SQRT_2) * v.recip();
                let (mu, md) = (self.yukawa_of(up) * k.clone(), self.yukawa_of(down) * k);
                if plus {
                    [mu, -md]
                } else {
                    [-md, mu]
                }
            }
        }
    }

    /// m² (fixed widths) or μ² (complex-mass scheme).
    fn pole2_if_complex(&self, m: Mass) -> Complex<S> {
        let mu = &self.num_mass[m as usize];
        mu.clone() * mu.clone()
    }

    /// U_{aX}: the component of W^a (a = 0, 1, 2 for W¹, W², W³) in the physical field X.
    fn mixing(&self, model: &Model, x: usize) -> [Complex<S>; 3] {
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let c = |re: f64, im: f64| Complex::new(S::from_f64(re), S::from_f64(im));
        match model.particles[x].pdg {
            24 => [c(r, 0.0), c(0.0, r), Complex::zero()],
            -24 => [c(r, 0.0), c(0.0, -r), Complex::zero()],
            23 => [
                Complex::zero(),
                Complex::zero(),
                Complex::real(self.cw.clone()),
            ],
            22 => [
                Complex::zero(),
                Complex::zero(),
                Complex::real(self.sw.clone()),
            ],
            _ => [Complex::zero(), Complex::zero(), Complex::zero()],
        }
    }

    /// C = g Σ ε^{abc} U_{aX} U_{bY} U_{cZ} for three electroweak vectors.
    pub fn ewk3(&self, model: &Model, legs: [usize; 3]) -> Complex<S> {
        let u = legs.map(|x| self.mixing(model, x));
        let mut sum = Complex::zero();
        for (a, b, c, sign) in EPSILON {
            let t = u[0][a].clone() * u[1][b].clone() * u[2][c].clone();
            sum += t.scale_f64(sign);
        }
        sum * self.complex_ew[0].clone()
    }

    /// The coefficients (−i g² F^{12,34}, −i g² F^{13,24}, −i g² F^{14,23}) of a four-vector
    /// electroweak vertex with legs in the given order.
    pub fn ewk4(&self, model: &Model, legs: [usize; 4]) -> [Complex<S>; 3] {
        let u = legs.map(|x| self.mixing(model, x));
        // F^{ij,kl} = Σ_e (Σ_ab ε^{abe} U_ai U_bj)(Σ_cd ε^{cde} U_ck U_dl).
        let cross = |i: usize, j: usize| -> [Complex<S>; 3] {
            let mut out = [Complex::zero(), Complex::zero(), Complex::zero()];
            for (a, b, e, sign) in EPSILON {
                out[e] += (u[i][a].clone() * u[j][b].clone()).scale_f64(sign);
            }
            out
        };
        let f = |i: usize, j: usize, k: usize, l: usize| {
            let (x, y) = (cross(i, j), cross(k, l));
            let mut s = Complex::zero();
            for e in 0..3 {
                s += x[e].clone() * y[e].clone();
            }
            s
        };
        let g = self.complex_ew[0].clone();
        let mi_g2 = -(Complex::i() * g.clone() * g);
        [
            f(0, 1, 2, 3) * mi_g2.clone(),
            f(0, 2, 1, 3) * mi_g2.clone(),
            f(0, 3, 1, 2) * mi_g2,
        ]
    }
}

/// The nonzero entries (a, b, c, ε^{abc}) of the Levi-Civita symbol.
const EPSILON: [(usize, usize, usize, f64); 6] = [
    (0, 1, 2, 1.0),
    (1, 2, 0, 1.0),
    (2, 0, 1, 1.0),
    (1, 0, 2, -1.0),
    (0, 2, 1, -1.0),
    (2, 1, 0, -1.0),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collider::sm::ParamCard;

    #[test]
    fn particles_pair_with_their_antiparticles() {
        let m = Model::sm();
        for (i, p) in m.particles.iter().enumerate() {
            let a = &m.particles[p.anti];
            assert_eq!(a.anti, i, "{}", p.name);
            assert_eq!(a.pdg, if p.anti == i { p.pdg } else { -p.pdg });
            assert_eq!(a.charge3, -p.charge3);
        }
        assert_eq!(m.find("t~").map(|i| m.particles[i].pdg), Some(-6));
        assert_eq!(m.find("w-").map(|i| m.particles[i].charge3), Some(-3));
        assert!(m.find("x").is_none());
    }

    #[test]
    fn every_vertex_conserves_charge_and_colour_triality() {
        let m = Model::sm();
        for v in &m.vertices {
            let q: i32 = v.legs.iter().map(|&l| m.particles[l].charge3 as i32).sum();
            assert_eq!(q, 0, "{v:?}");
            let tri: i32 = v
                .legs
                .iter()
                .map(|&l| match m.particles[l].colour {
                    ColourRep::Triplet => 1,
                    ColourRep::AntiTriplet => -1,
                    _ => 0,
                })
                .sum();
            assert_eq!(tri, 0, "{v:?}");
        }
    }

    #[test]
    fn gauge_self_couplings_follow_from_the_mixing() {
        // Closed forms of the P&S conventions: C(W⁺, W⁻, A) = −i e, C(W⁺, W⁻, Z) = −i g c_W.
        let m = Model::sm();
        let pt = ModelPoint::new(&ParamCard::default().to_params::<f64>());
        let (wp, wm, a, z) = (
            m.find("w+").unwrap(),
            m.find("w-").unwrap(),
            m.find("a").unwrap(),
            m.find("z").unwrap(),
        );
        let ca = pt.ewk3(&m, [wp, wm, a]);
        assert!(
            ca.re.abs() < 1e-15 && (ca.im + pt.e).abs() < 1e-15,
            "{ca:?}"
        );
        let cz = pt.ewk3(&m, [wp, wm, z]);
        assert!((cz.im + pt.g * pt.cw).abs() < 1e-15, "{cz:?}");
        // Antisymmetry under exchange of two legs.
        let swapped = pt.ewk3(&m, [wm, wp, a]);
        assert!((swapped.im - pt.e).abs() < 1e-15);
        // W⁺W⁻AA: F^{12,34} = 0 (no ε with two 3s), F^{13,24} = F^{14,23} = s_W², so the rule is
        // −i e² (2 g₁₂g₃₄ − g₁₃g₂₄ − g₁₄g₂₃), the textbook W⁺W⁻γγ vertex.
        let [f1, f2, f3] = pt.ewk4(&m, [wp, wm, a, a]);
        let e2 = pt.e * pt.e;
        assert!(f1.abs() < 1e-15);
        assert!(
            (f2.im + e2).abs() < 1e-14 && (f3.im + e2).abs() < 1e-14,
            "{f2:?} {f3:?}"
        );
    }
}
