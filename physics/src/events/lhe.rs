//! Les Houches Event files: writing, reading and hit-or-miss unweighting.
//!
//! Format: J. Alwall et al., "A standard format for Les Houches Event Files", Comput. Phys.
//! Commun. 176 (2007) 300, hep-ph/0609017 (version 1.0), with the version-3.0 envelope
//! `<LesHouchesEvents version="3.0">` (J. R. Andersen et al., arXiv:1405.1067). A file is
//!
//! ```text
//! <LesHouchesEvents version="3.0">
//! <header> … </header>                        (optional, skipped on reading)
//! <init>
//! IDBMUP(1) IDBMUP(2) EBMUP(1) EBMUP(2) PDFGUP(1) PDFGUP(2) PDFSUP(1) PDFSUP(2) IDWTUP NPRUP
//! XSECUP XERRUP XMAXUP LPRUP                   (NPRUP lines, cross sections in pb)
//! </init>
//! <event>
//! NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP
//! IDUP ISTUP MOTHUP(1) MOTHUP(2) ICOLUP(1) ICOLUP(2) PUP(1..5) VTIMUP SPINUP   (NUP lines)
//! </event>
//! …
//! </LesHouchesEvents>
//! ```
//! with PUP = (px, py, pz, E, m) in GeV, mothers as 1-based indices (0 = none), status −1
//! incoming, +1 outgoing, +2 intermediate resonance, and SPINUP = 9 for "unknown". IDWTUP is the
//! weighting strategy: ±1, ±2 weighted events; ±3 unweighted (all weights equal); ±4 weighted,
//! the weights' average being the cross section.
//!
//! Floating-point numbers are written with 17 significant digits, so reading a file back gives
//! the same events bit for bit. Reading accepts Fortran `D` exponents, comment lines (`#`) and
//! extra tags inside `<init>` and `<event>` blocks (e.g. `<rwgt>` in version 3.0), and reports a
//! malformed file with the 1-based line number and what was expected there.

use std::fmt;
use std::io::{BufRead, Write};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::lorentz::FourVector;

/// Errors of reading, writing and unweighting event files.
#[derive(Debug)]
pub enum LheError {
    /// The underlying reader or writer failed.
    Io(std::io::Error),
    /// A malformed file: the 1-based line number and what was expected there.
    Parse {
        /// Line number (1-based).
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A value that cannot be written or unweighted, named.
    Invalid {
        /// What is wrong, with the value.
        message: String,
    },
}

impl fmt::Display for LheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LheError::Io(e) => write!(f, "I/O error: {e}"),
            LheError::Parse { line, message } => write!(f, "line {line}: {message}"),
            LheError::Invalid { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for LheError {}

impl From<std::io::Error> for LheError {
    fn from(e: std::io::Error) -> Self {
        LheError::Io(e)
    }
}

/// One process of the `<init>` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LheProcess {
    /// Cross section XSECUP in pb.
    pub xsec: f64,
    /// Its statistical error XERRUP in pb.
    pub xsec_err: f64,
    /// Maximum event weight XMAXUP.
    pub max_weight: f64,
    /// Process identifier LPRUP.
    pub id: i32,
}

/// The `<init>` block: beams, PDFs, weighting strategy and processes.
#[derive(Clone, Debug, PartialEq)]
pub struct LheInit {
    /// PDG ids of the two beams (IDBMUP), e.g. (11, −11) for e⁻e⁺.
    pub beam_ids: [i32; 2],
    /// Beam energies in GeV (EBMUP).
    pub beam_energies: [f64; 2],
    /// PDF author groups (PDFGUP; 0 for lepton beams / no PDF).
    pub pdf_groups: [i32; 2],
    /// PDF set ids (PDFSUP; 0 for none).
    pub pdf_sets: [i32; 2],
    /// Weighting strategy IDWTUP (±1…±4, see the module docs).
    pub weight_strategy: i32,
    /// The processes (NPRUP = their number, at least one).
    pub processes: Vec<LheProcess>,
}

impl LheInit {
    /// The `<init>` block of a symmetric e⁻e⁺ collider at `sqrt_s` GeV with one process of
    /// cross section `xsec ± xsec_err` pb: unweighted events (IDWTUP = 3, maximum weight σ) or
    /// weighted ones (IDWTUP = 4, maximum weight `max_weight`).
    pub fn electron_positron(
        sqrt_s: f64,
        xsec: f64,
        xsec_err: f64,
        unweighted: bool,
        max_weight: f64,
    ) -> Self {
        LheInit {
            beam_ids: [11, -11],
            beam_energies: [sqrt_s / 2.0, sqrt_s / 2.0],
            pdf_groups: [0, 0],
            pdf_sets: [0, 0],
            weight_strategy: if unweighted { 3 } else { 4 },
            processes: vec![LheProcess {
                xsec,
                xsec_err,
                max_weight: if unweighted { xsec } else { max_weight },
                id: 1,
            }],
        }
    }
}

/// One particle line of an event.
#[derive(Clone, Debug, PartialEq)]
pub struct LheParticle {
    /// PDG id (IDUP).
    pub pdg_id: i32,
    /// Status (ISTUP): −1 incoming, 1 outgoing, 2 intermediate resonance, …
    pub status: i32,
    /// 1-based indices of the first and last mother (0 = none).
    pub mothers: [usize; 2],
    /// Colour and anticolour tags (0 = none).
    pub colors: [i32; 2],
    /// (px, py, pz, E) in GeV.
    pub momentum: [f64; 4],
    /// Mass in GeV.
    pub mass: f64,
    /// Proper lifetime cτ in mm (VTIMUP).
    pub lifetime: f64,
    /// Cosine of the spin–momentum angle in the mother's frame (9 = unknown).
    pub spin: f64,
}

impl LheParticle {
    /// A particle with momentum `p` and mass `mass` (GeV; pass the generated mass rather than
    /// √(p²), which rounding spoils for light particles), no colour, zero lifetime and unknown
    /// spin (9).
    pub fn new(
        pdg_id: i32,
        status: i32,
        mothers: [usize; 2],
        p: &FourVector<f64>,
        mass: f64,
    ) -> Self {
        LheParticle {
            pdg_id,
            status,
            mothers,
            colors: [0, 0],
            momentum: [p.px, p.py, p.pz, p.e],
            mass,
            lifetime: 0.0,
            spin: 9.0,
        }
    }

    /// The momentum as a [`FourVector`].
    pub fn four_vector(&self) -> FourVector<f64> {
        let [px, py, pz, e] = self.momentum;
        FourVector::new(e, px, py, pz)
    }
}

/// One `<event>` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LheEvent {
    /// Process id IDPRUP (one of the `<init>` processes).
    pub process_id: i32,
    /// Event weight XWGTUP.
    pub weight: f64,
    /// Scale SCALUP in GeV.
    pub scale: f64,
    /// α_QED used (AQEDUP).
    pub alpha_qed: f64,
    /// α_s used (AQCDUP).
    pub alpha_qcd: f64,
    /// The particles (NUP = their number).
    pub particles: Vec<LheParticle>,
}

/// A whole file: `<init>` and events.
#[derive(Clone, Debug, PartialEq)]
pub struct LheFile {
    /// The `<init>` block.
    pub init: LheInit,
    /// The events in file order.
    pub events: Vec<LheEvent>,
}

fn invalid(message: String) -> LheError {
    LheError::Invalid { message }
}

fn check_finite(what: &str, v: f64) -> Result<(), LheError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!("{what} = {v} is not finite")))
    }
}

fn validate_init(init: &LheInit) -> Result<(), LheError> {
    if !(1..=4).contains(&init.weight_strategy.abs()) {
        return Err(invalid(format!(
            "weighting strategy IDWTUP = {} must be ±1, ±2, ±3 or ±4",
            init.weight_strategy
        )));
    }
    if init.processes.is_empty() {
        return Err(invalid(
            "the <init> block needs at least one process".into(),
        ));
    }
    for (i, e) in init.beam_energies.iter().enumerate() {
        check_finite(&format!("beam energy {}", i + 1), *e)?;
    }
    for p in &init.processes {
        check_finite(&format!("cross section of process {}", p.id), p.xsec)?;
        check_finite(
            &format!("cross-section error of process {}", p.id),
            p.xsec_err,
        )?;
        check_finite(&format!("maximum weight of process {}", p.id), p.max_weight)?;
    }
    Ok(())
}

fn validate_event(ev: &LheEvent, index: usize) -> Result<(), LheError> {
    let n = ev.particles.len();
    if n == 0 {
        return Err(invalid(format!("event {index} has no particles")));
    }
    for (what, v) in [
        ("weight", ev.weight),
        ("scale", ev.scale),
        ("alpha_qed", ev.alpha_qed),
        ("alpha_qcd", ev.alpha_qcd),
    ] {
        check_finite(&format!("event {index}: {what}"), v)?;
    }
    for (j, p) in ev.particles.iter().enumerate() {
        if p.mothers.iter().any(|&m| m > n) {
            return Err(invalid(format!(
                "event {index}, particle {}: mother index {:?} exceeds the {n} particles",
                j + 1,
                p.mothers
            )));
        }
        for v in p.momentum.iter().chain([&p.mass, &p.lifetime, &p.spin]) {
            check_finite(&format!("event {index}, particle {}", j + 1), *v)?;
        }
    }
    Ok(())
}

/// Writes an LHE file: the envelope and `<init>` on creation, events one by one, the closing
/// tag on [`finish`](Self::finish).
pub struct LheWriter<W: Write> {
    out: W,
    events: usize,
}

impl<W: Write> LheWriter<W> {
    /// Write the opening tag, a short header and the `<init>` block.
    pub fn new(mut out: W, init: &LheInit) -> Result<Self, LheError> {
        validate_init(init)?;
        writeln!(out, "<LesHouchesEvents version=\"3.0\">")?;
        writeln!(out, "<header>")?;
        writeln!(out, "<!-- written by diffhep-physics -->")?;
        writeln!(out, "</header>")?;
        writeln!(out, "<init>")?;
        writeln!(
            out,
            "{} {} {:.16e} {:.16e} {} {} {} {} {} {}",
            init.beam_ids[0],
            init.beam_ids[1],
            init.beam_energies[0],
            init.beam_energies[1],
            init.pdf_groups[0],
            init.pdf_groups[1],
            init.pdf_sets[0],
            init.pdf_sets[1],
            init.weight_strategy,
            init.processes.len()
        )?;
        for p in &init.processes {
            writeln!(
                out,
                "{:.16e} {:.16e} {:.16e} {}",
                p.xsec, p.xsec_err, p.max_weight, p.id
            )?;
        }
        writeln!(out, "</init>")?;
        Ok(LheWriter { out, events: 0 })
    }

    /// Append one event.
    pub fn write_event(&mut self, ev: &LheEvent) -> Result<(), LheError> {
        validate_event(ev, self.events + 1)?;
        let out = &mut self.out;
        writeln!(out, "<event>")?;
        writeln!(
            out,
            "{} {} {:.16e} {:.16e} {:.16e} {:.16e}",
            ev.particles.len(),
            ev.process_id,
            ev.weight,
            ev.scale,
            ev.alpha_qed,
            ev.alpha_qcd
        )?;
        for p in &ev.particles {
            let [px, py, pz, e] = p.momentum;
            writeln!(
                out,
                "{} {} {} {} {} {} {:.16e} {:.16e} {:.16e} {:.16e} {:.16e} {:.16e} {:.16e}",
                p.pdg_id,
                p.status,
                p.mothers[0],
                p.mothers[1],
                p.colors[0],
                p.colors[1],
                px,
                py,
                pz,
                e,
                p.mass,
                p.lifetime,
                p.spin
            )?;
        }
        writeln!(out, "</event>")?;
        self.events += 1;
        Ok(())
    }

    /// Number of events written so far.
    pub fn events_written(&self) -> usize {
        self.events
    }

    /// Write the closing tag, flush, and return the output.
    pub fn finish(mut self) -> Result<W, LheError> {
        writeln!(self.out, "</LesHouchesEvents>")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Write a whole file.
pub fn write_lhe<W: Write>(out: W, file: &LheFile) -> Result<W, LheError> {
    let mut w = LheWriter::new(out, &file.init)?;
    for ev in &file.events {
        w.write_event(ev)?;
    }
    w.finish()
}

/// Line source with 1-based numbering.
struct Lines<R: BufRead> {
    inner: std::io::Lines<R>,
    line: usize,
}

impl<R: BufRead> Lines<R> {
    /// Next line, trimmed; `None` at end of file.
    fn next(&mut self) -> Result<Option<String>, LheError> {
        match self.inner.next() {
            None => Ok(None),
            Some(l) => {
                self.line += 1;
                Ok(Some(l?.trim().to_string()))
            }
        }
    }

    /// Next non-empty, non-comment line, or a parse error naming `expected` at end of file.
    fn expect(&mut self, expected: &str) -> Result<String, LheError> {
        loop {
            match self.next()? {
                None => {
                    return Err(self.error(format!("unexpected end of file, expected {expected}")))
                }
                Some(l) if l.is_empty() || l.starts_with('#') || l.starts_with("<!--") => {}
                Some(l) => return Ok(l),
            }
        }
    }

    fn error(&self, message: String) -> LheError {
        LheError::Parse {
            line: self.line,
            message,
        }
    }
}

/// Split a data line into exactly `n` fields, or an error naming `what`.
fn fields<'a, R: BufRead>(
    lines: &Lines<R>,
    text: &'a str,
    n: usize,
    what: &str,
) -> Result<Vec<&'a str>, LheError> {
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.len() != n {
        return Err(lines.error(format!(
            "expected {n} fields ({what}), found {}: {text:?}",
            f.len()
        )));
    }
    Ok(f)
}

fn parse_f64<R: BufRead>(lines: &Lines<R>, s: &str, what: &str) -> Result<f64, LheError> {
    s.replace(['D', 'd'], "E")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| lines.error(format!("expected a finite number for {what}, found {s:?}")))
}

fn parse_int<T: std::str::FromStr, R: BufRead>(
    lines: &Lines<R>,
    s: &str,
    what: &str,
) -> Result<T, LheError> {
    s.parse::<T>()
        .map_err(|_| lines.error(format!("expected an integer for {what}, found {s:?}")))
}

/// Read a whole LHE file (version 1.0 or 3.0).
pub fn read_lhe<R: BufRead>(input: R) -> Result<LheFile, LheError> {
    let mut lines = Lines {
        inner: input.lines(),
        line: 0,
    };
    let first = lines.expect("<LesHouchesEvents version=\"…\">")?;
    if !first.starts_with("<LesHouchesEvents") {
        return Err(lines.error(format!(
            "expected <LesHouchesEvents version=\"…\">, found {first:?}"
        )));
    }
    if !(first.contains("version=\"1.0\"") || first.contains("version=\"3.0\"")) {
        return Err(lines.error(format!(
            "expected version=\"1.0\" or version=\"3.0\", found {first:?}"
        )));
    }
    // Skip the header (and anything else) up to <init>.
    loop {
        let l = lines.expect("<init>")?;
        if l == "<init>" || l.starts_with("<init ") || l.starts_with("<init>") {
            break;
        }
        if l.starts_with("<event") || l.starts_with("</LesHouchesEvents") {
            return Err(lines.error(format!("expected <init> before {l:?}")));
        }
    }
    let init = read_init(&mut lines)?;
    let mut events = Vec::new();
    loop {
        let l = lines.expect("<event> or </LesHouchesEvents>")?;
        if l.starts_with("</LesHouchesEvents") {
            break;
        }
        if l == "<event>" || l.starts_with("<event ") {
            let ev = read_event(&mut lines)?;
            if !init.processes.iter().any(|p| p.id == ev.process_id) {
                return Err(lines.error(format!(
                    "event process id {} is not declared in <init>",
                    ev.process_id
                )));
            }
            events.push(ev);
        } else if l.starts_with('<') && !l.starts_with("<init") {
            // Other version-3 blocks between events are skipped up to their end tag.
            skip_block(&mut lines, &l)?;
        } else {
            return Err(lines.error(format!(
                "expected <event> or </LesHouchesEvents>, found {l:?}"
            )));
        }
    }
    Ok(LheFile { init, events })
}

/// Skip a `<tag …>` block up to `</tag>` (a self-closing tag is skipped alone).
fn skip_block<R: BufRead>(lines: &mut Lines<R>, open: &str) -> Result<(), LheError> {
    if open.ends_with("/>") || open.starts_with("<!--") {
        return Ok(());
    }
    let name: String = open[1..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let close = format!("</{name}>");
    if open.contains(&close) {
        return Ok(());
    }
    loop {
        let l = lines.expect(&close)?;
        if l.contains(&close) {
            return Ok(());
        }
    }
}

fn read_init<R: BufRead>(lines: &mut Lines<R>) -> Result<LheInit, LheError> {
    let what = "IDBMUP(1,2) EBMUP(1,2) PDFGUP(1,2) PDFSUP(1,2) IDWTUP NPRUP";
    let l = lines.expect(what)?;
    let f = fields(lines, &l, 10, what)?;
    let weight_strategy: i32 = parse_int(lines, f[8], "IDWTUP")?;
    if !(1..=4).contains(&weight_strategy.abs()) {
        return Err(lines.error(format!("expected IDWTUP in ±1…±4, found {weight_strategy}")));
    }
    let nprup: usize = parse_int(lines, f[9], "NPRUP")?;
    if nprup == 0 {
        return Err(lines.error("expected NPRUP ≥ 1, found 0".into()));
    }
    let mut init = LheInit {
        beam_ids: [
            parse_int(lines, f[0], "IDBMUP(1)")?,
            parse_int(lines, f[1], "IDBMUP(2)")?,
        ],
        beam_energies: [
            parse_f64(lines, f[2], "EBMUP(1)")?,
            parse_f64(lines, f[3], "EBMUP(2)")?,
        ],
        pdf_groups: [
            parse_int(lines, f[4], "PDFGUP(1)")?,
            parse_int(lines, f[5], "PDFGUP(2)")?,
        ],
        pdf_sets: [
            parse_int(lines, f[6], "PDFSUP(1)")?,
            parse_int(lines, f[7], "PDFSUP(2)")?,
        ],
        weight_strategy,
        processes: Vec::with_capacity(nprup),
    };
    for i in 0..nprup {
        let what = format!("XSECUP XERRUP XMAXUP LPRUP of process {}", i + 1);
        let l = lines.expect(&what)?;
        if l.starts_with('<') {
            return Err(lines.error(format!(
                "expected {what} ({nprup} processes declared), found {l:?}"
            )));
        }
        let f = fields(lines, &l, 4, &what)?;
        init.processes.push(LheProcess {
            xsec: parse_f64(lines, f[0], "XSECUP")?,
            xsec_err: parse_f64(lines, f[1], "XERRUP")?,
            max_weight: parse_f64(lines, f[2], "XMAXUP")?,
            id: parse_int(lines, f[3], "LPRUP")?,
        });
    }
    loop {
        let l = lines.expect("</init>")?;
        if l.starts_with("</init>") {
            return Ok(init);
        }
        if l.starts_with('<') {
            skip_block(lines, &l)?;
        } else {
            return Err(lines.error(format!(
                "expected </init> after {nprup} process lines, found {l:?}"
            )));
        }
    }
}

fn read_event<R: BufRead>(lines: &mut Lines<R>) -> Result<LheEvent, LheError> {
    let what = "NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP";
    let l = lines.expect(what)?;
    let f = fields(lines, &l, 6, what)?;
    let nup: usize = parse_int(lines, f[0], "NUP")?;
    if nup == 0 {
        return Err(lines.error("expected NUP ≥ 1, found 0".into()));
    }
    let mut ev = LheEvent {
        process_id: parse_int(lines, f[1], "IDPRUP")?,
        weight: parse_f64(lines, f[2], "XWGTUP")?,
        scale: parse_f64(lines, f[3], "SCALUP")?,
        alpha_qed: parse_f64(lines, f[4], "AQEDUP")?,
        alpha_qcd: parse_f64(lines, f[5], "AQCDUP")?,
        particles: Vec::with_capacity(nup),
    };
    for i in 0..nup {
        let what = format!(
            "particle {} of {nup} (13 fields: IDUP ISTUP MOTHUP(2) ICOLUP(2) PUP(5) VTIMUP SPINUP)",
            i + 1
        );
        let l = lines.expect(&what)?;
        if l.starts_with('<') {
            return Err(lines.error(format!("expected {what}, found {l:?}")));
        }
        let f = fields(lines, &l, 13, &what)?;
        let mothers: [usize; 2] = [
            parse_int(lines, f[2], "MOTHUP(1)")?,
            parse_int(lines, f[3], "MOTHUP(2)")?,
        ];
        if mothers.iter().any(|&m| m > nup) {
            return Err(lines.error(format!(
                "expected mother indices ≤ NUP = {nup}, found {mothers:?}"
            )));
        }
        let mut v = [0.0; 7];
        for (k, name) in ["px", "py", "pz", "E", "m", "VTIMUP", "SPINUP"]
            .iter()
            .enumerate()
        {
            v[k] = parse_f64(lines, f[6 + k], name)?;
        }
        ev.particles.push(LheParticle {
            pdg_id: parse_int(lines, f[0], "IDUP")?,
            status: parse_int(lines, f[1], "ISTUP")?,
            mothers,
            colors: [
                parse_int(lines, f[4], "ICOLUP(1)")?,
                parse_int(lines, f[5], "ICOLUP(2)")?,
            ],
            momentum: [v[0], v[1], v[2], v[3]],
            mass: v[4],
            lifetime: v[5],
            spin: v[6],
        });
    }
    loop {
        let l = lines.expect("</event>")?;
        if l.starts_with("</event>") {
            return Ok(ev);
        }
        if l.starts_with('<') {
            skip_block(lines, &l)?;
        } else {
            return Err(lines.error(format!(
                "expected </event> after {nup} particle lines, found {l:?}"
            )));
        }
    }
}

/// Hit-or-miss unweighting: event i is kept with probability min(1, wᵢ/w_max), drawn from
/// ChaCha8 seeded by `seed`. Kept events get weight max(wᵢ, w_max), so that
/// Σ(kept weights)/N stays an unbiased estimate of Σwᵢ/N (events above `max_weight`, if one is
/// given, keep their own larger weight). `max_weight` defaults to the largest weight.
/// Weights must be finite and ≥ 0.
pub fn unweight(
    events: &[LheEvent],
    max_weight: Option<f64>,
    seed: u64,
) -> Result<Vec<LheEvent>, LheError> {
    let weights: Vec<f64> = events.iter().map(|e| e.weight).collect();
    let kept = hit_or_miss(&weights, max_weight, seed)?;
    let w_max = max_weight.unwrap_or_else(|| weights.iter().cloned().fold(0.0, f64::max));
    Ok(kept
        .into_iter()
        .map(|i| {
            let mut ev = events[i].clone();
            ev.weight = ev.weight.max(w_max);
            ev
        })
        .collect())
}

/// The indices kept by hit-or-miss unweighting of `weights` (see [`unweight`]).
pub fn hit_or_miss(
    weights: &[f64],
    max_weight: Option<f64>,
    seed: u64,
) -> Result<Vec<usize>, LheError> {
    for (i, &w) in weights.iter().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return Err(invalid(format!(
                "weight {i} = {w}: hit-or-miss unweighting needs finite, non-negative weights"
            )));
        }
    }
    let w_max = match max_weight {
        Some(m) => m,
        None => weights.iter().cloned().fold(0.0, f64::max),
    };
    if !(w_max.is_finite() && w_max > 0.0) {
        return Err(invalid(format!(
            "maximum weight {w_max} must be finite and positive"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok(weights
        .iter()
        .enumerate()
        .filter_map(|(i, &w)| {
            let u: f64 = rng.random();
            (u * w_max < w).then_some(i)
        })
        .collect())
}

#[cfg(test)]
mod tests;
