//! Reading Les Houches Event files ([`read_lhe`]): Fortran `D` exponents, comments and extra tags
//! are accepted; a malformed file is reported with its 1-based line number and what was expected.

use std::io::BufRead;

use super::{LheError, LheEvent, LheFile, LheInit, LheParticle, LheProcess};

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
        // The count comes from the file: reserve no more than a sane amount up front.
        processes: Vec::with_capacity(nprup.min(1024)),
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
        // The count comes from the file: reserve no more than a sane amount up front.
        particles: Vec::with_capacity(nup.min(1024)),
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
