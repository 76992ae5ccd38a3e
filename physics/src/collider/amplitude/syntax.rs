//! MadGraph-style process strings: `"e+ e- > t t~ QED=2, t > w+ b, t~ > w- b~"`.
//!
//! The parser only reads the syntax; it does not know any model. Names are kept as written
//! (`"e+e-"` is one token, a single name) and must be validated by the caller against the model,
//! after expanding multiparticle labels with [`expand`].
//!
//! # Grammar
//!
//! Tokens are separated by whitespace; `>`, `$`, `/`, `,`, `(` and `)` are tokens on their own
//! even without surrounding spaces (`"t t~,"` is `t`, `t~`, `,`).
//!
//! ```text
//! process := core ( "," item )*
//! core    := name+ ">" [ name+ ">" ] name+ tail        initial > [required s-channel >] final
//! tail    := ( name | order | "$" name+ | "/" name+ )*
//! item    := decay | "(" decay ( "," item )* ")"
//! decay   := name ">" name+ ( "/" name+ )*
//! order   := NAME ( "=" | "<=" | "==" ) digits          NAME upper case: QCD, QED, NP, ...
//! name    := ( letter | digit | "+" | "-" | "~" | "_" )+
//! ```
//!
//! - `"e+ e- > mu+ mu- a"`: initial `e+ e-`, final `mu+ mu- a`.
//! - `"e+ e- > z > mu+ mu-"`: `z` is a required s-channel.
//! - `"p p > t t~ $ z a"`: no s-channel `z` or `a`; `"e+ e- > mu+ mu- / h"`: no `h` anywhere.
//!   A `$` or `/` list runs to the next `$`, `/`, `,` or the end; orders do not end it.
//! - `"u u~ > e+ e- g QCD=1 QED<=2 QED==2"`: coupling orders, anywhere after the last `>` of the
//!   core process (`"e+ e- > mu+ mu- QED=2 / h"` is fine). As in MadGraph, `NAME=n` and
//!   `NAME<=n` mean at most `n` ([`OrderKind::AtMost`]), `NAME==n` exactly `n`.
//! - `"e+ e- > t t~, t > w+ b, t~ > w- b~"`: each decay after a top-level `,` decays a particle of
//!   the core final state (a label may be decayed as often as it occurs there).
//! - `"e+ e- > t t~, (t > w+ b, w+ > e+ ve), t~ > w- b~"`: inside parentheses the first decay is
//!   the head; the items after it decay its products (and may nest further parentheses).
//!
//! Not supported, with an explicit error: `@N` process tags, `--options`, `$$`, `$` or coupling
//! orders inside a decay. Error positions are 0-based character (not byte) offsets.

use std::fmt;

/// A parsed process string, names as written (not yet resolved to particles).
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessSpec {
    /// Labels before the first `>` (particles or multiparticle labels).
    pub initial: Vec<String>,
    /// Labels after the last `>` of the core process.
    pub final_state: Vec<String>,
    /// Labels between the two `>` of `"e+ e- > z > mu+ mu-"` (required s-channel).
    pub required_s_channel: Vec<String>,
    /// Labels after `$`: no s-channel propagator of these.
    pub excluded_s_channel: Vec<String>,
    /// Labels after `/`: no propagator of these at all.
    pub excluded_any: Vec<String>,
    /// Coupling-order limits, in the order written.
    pub orders: Vec<OrderLimit>,
    /// Decay chains of the final-state particles, in the order written.
    pub decays: Vec<DecaySpec>,
}

/// A coupling-order limit such as `QCD=2` or `QED==2`.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderLimit {
    /// The coupling-order name (an upper-case identifier such as `QCD`).
    pub name: String,
    /// Whether the value is an upper bound or exact.
    pub kind: OrderKind,
    /// The order value.
    pub value: u32,
}

/// The comparison of an [`OrderLimit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// `NAME=n` or `NAME<=n`: at most `n` (MadGraph's meaning of `=`).
    AtMost,
    /// `NAME==n`: exactly `n`.
    Exactly,
}

/// A decay `parent > products / excluded`, with the decays of its products.
#[derive(Clone, Debug, PartialEq)]
pub struct DecaySpec {
    /// The decaying label; a final-state label of the enclosing process or decay.
    pub parent: String,
    /// The decay products.
    pub products: Vec<String>,
    /// Labels after `/`: no propagator of these in the decay.
    pub excluded_any: Vec<String>,
    /// Decays of the products (from a parenthesised group).
    pub decays: Vec<DecaySpec>,
}

/// Where a [`SyntaxError`] is: the whole input, the offending token and its 0-based character
/// position. Displays as ``"`token` at character pos of `input`"``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The whole process string.
    pub input: String,
    /// The offending token (or character).
    pub token: String,
    /// Its 0-based character (not byte) position in `input`.
    pub pos: usize,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` at character {} of `{}`",
            self.token, self.pos, self.input
        )
    }
}

/// What is wrong with a process string; every message quotes the input, the token and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// The string (quoted) is empty or only whitespace.
    #[error("empty process string `{0}`")]
    Empty(String),
    /// A MadGraph feature this parser does not handle (`@N`, `--options`, `$$`, `$` or orders in
    /// a decay); the second field names it.
    #[error("{1} is not supported: {0}")]
    Unsupported(Located, &'static str),
    /// A character (the located token) that cannot appear in a particle name; the second field
    /// is the whole word.
    #[error("{0} cannot appear in a particle name (in `{1}`)")]
    InvalidCharacter(Located, String),
    /// The core process or a decay (the token, joined by spaces) has no `>`.
    #[error("no `>` in {0}")]
    MissingArrow(Located),
    /// No particle before the `>` of the core process.
    #[error("nothing before {0}")]
    NothingBefore(Located),
    /// No particle after a `>` of the core process.
    #[error("nothing after {0}")]
    NothingAfter(Located),
    /// More `>` than allowed; the second field says how many are (two in the core process, one
    /// in a decay).
    #[error("more than {1}: {0}")]
    TooManyArrows(Located, &'static str),
    /// `$` or `/` with no particle after it.
    #[error("no particle after {0}")]
    EmptyExclusion(Located),
    /// A coupling order that cannot be read; the second field says why.
    #[error("malformed coupling order {0}: {1}")]
    MalformedOrder(Located, String),
    /// A decay with nothing before its `>`.
    #[error("decay with no parent before {0}")]
    DecayNoParent(Located),
    /// A decay (of the located parent) with nothing after its `>`.
    #[error("decay of {0} has no products")]
    DecayNoProducts(Located),
    /// A `,` (or `(`) followed by no decay.
    #[error("no decay after {0}")]
    EmptyDecay(Located),
    /// A `(` never closed or a `)` never opened.
    #[error("unbalanced parenthesis {0}")]
    UnbalancedParentheses(Located),
    /// A decay parent that is not an undecayed final-state label of the enclosing process or
    /// decay; the second field lists those still available.
    #[error("decay parent {0} is not an undecayed particle of the final state `{1}` it decays")]
    UnknownParent(Located, String),
    /// A token where it cannot stand; the second field says why.
    #[error("unexpected {0}: {1}")]
    Unexpected(Located, &'static str),
    /// [`expand`] of the labels (joined by spaces) would give more combinations than the limit.
    #[error("expanding `{0}` gives more than the limit of {1} combinations")]
    TooManyCombinations(String, usize),
}

/// MadGraph's default multiparticle labels: p and j = g u c d s u~ c~ d~ s~; l+ = e+ mu+;
/// l- = e- mu-; vl = ve vm vt; vl~ = ve~ vm~ vt~. Returns None for a label that is not a
/// multiparticle.
pub fn multiparticle(label: &str) -> Option<&'static [&'static str]> {
    const PARTONS: &[&str] = &["g", "u", "c", "d", "s", "u~", "c~", "d~", "s~"];
    match label {
        "p" | "j" => Some(PARTONS),
        "l+" => Some(&["e+", "mu+"]),
        "l-" => Some(&["e-", "mu-"]),
        "vl" => Some(&["ve", "vm", "vt"]),
        "vl~" => Some(&["ve~", "vm~", "vt~"]),
        _ => None,
    }
}

/// Expand the multiparticle labels of a list of labels into every combination of particle names
/// (cartesian product, in order, the first label varying slowest; a plain name stays as it is).
/// More than `limit` combinations is an error, found before anything is built.
pub fn expand(labels: &[String], limit: usize) -> Result<Vec<Vec<String>>, SyntaxError> {
    let options: Vec<Vec<&str>> = labels
        .iter()
        .map(|l| match multiparticle(l) {
            Some(m) => m.to_vec(),
            None => vec![l.as_str()],
        })
        .collect();
    let count = options
        .iter()
        .try_fold(1usize, |n, o| n.checked_mul(o.len()));
    if count.is_none_or(|c| c > limit) {
        return Err(SyntaxError::TooManyCombinations(labels.join(" "), limit));
    }
    let mut out = vec![Vec::with_capacity(labels.len())];
    for opts in &options {
        out = out
            .into_iter()
            .flat_map(|prefix: Vec<String>| {
                opts.iter().map(move |o| {
                    let mut v = prefix.clone();
                    v.push(o.to_string());
                    v
                })
            })
            .collect();
    }
    Ok(out)
}

/// Parse a process string (see the module documentation for the grammar). Names are not
/// checked against any model: that is the caller's job.
pub fn parse(s: &str) -> Result<ProcessSpec, SyntaxError> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err(SyntaxError::Empty(s.to_string()));
    }
    Parser {
        input: s,
        toks,
        i: 0,
    }
    .process()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Name,
    Order,
    Gt,
    Dollar,
    Slash,
    Comma,
    LParen,
    RParen,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    text: String,
    pos: usize,
}

/// The one-character tokens.
const SINGLE: [(char, Kind); 6] = [
    ('>', Kind::Gt),
    ('$', Kind::Dollar),
    ('/', Kind::Slash),
    (',', Kind::Comma),
    ('(', Kind::LParen),
    (')', Kind::RParen),
];

fn at(input: &str, token: impl Into<String>, pos: usize) -> Located {
    let (input, token) = (input.to_string(), token.into());
    Located { input, token, pos }
}

fn is_upper_ident(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_uppercase())
        && w.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn lex(s: &str) -> Result<Vec<Tok>, SyntaxError> {
    let chars: Vec<char> = s.chars().collect();
    let word_at = |from: usize| -> String {
        let run = chars[from..].iter().take_while(|c| !c.is_whitespace());
        run.collect()
    };
    let unsupported = |pos, what| SyntaxError::Unsupported(at(s, word_at(pos), pos), what);
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let single = SINGLE.iter().find(|(s, _)| *s == c).map(|&(_, k)| k);
        if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '@' {
            return Err(unsupported(i, "an `@N` process tag"));
        } else if c == '$' && chars.get(i + 1) == Some(&'$') {
            return Err(unsupported(i, "`$$` (on-shell s-channel exclusion)"));
        } else if let Some(kind) = single {
            toks.push(Tok {
                kind,
                text: c.to_string(),
                pos: i,
            });
            i += 1;
            continue;
        }
        let (start, mut text) = (i, String::new());
        while let Some(&c) = chars.get(i) {
            if c.is_whitespace() || ",()$/@".contains(c) {
                break;
            }
            // `QED>=2`, `QED>2`: a comparison stays inside the (malformed) order token.
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let in_order = text.contains(['=', '<'])
                || (is_upper_ident(&text) && (next == '=' || next.is_ascii_digit()));
            if c == '>' && !in_order {
                break;
            }
            text.push(c);
            i += 1;
        }
        if text.starts_with("--") {
            return Err(unsupported(start, "a `--option`"));
        }
        let kind = if text.contains(['=', '<', '>']) {
            Kind::Order
        } else if let Some((k, ch)) = (text.chars().enumerate())
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || "+-~_".contains(*c)))
        {
            return Err(SyntaxError::InvalidCharacter(at(s, ch, start + k), text));
        } else {
            Kind::Name
        };
        toks.push(Tok {
            kind,
            text,
            pos: start,
        });
    }
    Ok(toks)
}

/// The sections of a core process or decay: the names between `>`s, exclusions and orders.
#[derive(Default)]
struct Chain {
    sections: Vec<Vec<String>>,
    excluded_s: Vec<String>,
    excluded_any: Vec<String>,
    orders: Vec<OrderLimit>,
}

struct Parser<'a> {
    input: &'a str,
    toks: Vec<Tok>,
    i: usize,
}

impl Parser<'_> {
    fn at(&self, t: &Tok) -> Located {
        at(self.input, t.text.as_str(), t.pos)
    }

    fn bad(&self, t: &Tok, why: &'static str) -> SyntaxError {
        SyntaxError::Unexpected(self.at(t), why)
    }

    fn kind(&self) -> Option<Kind> {
        self.toks.get(self.i).map(|t| t.kind)
    }

    fn process(mut self) -> Result<ProcessSpec, SyntaxError> {
        let end = (self.toks.iter()).position(|t| t.kind == Kind::Comma);
        let core = &self.toks[..end.unwrap_or(self.toks.len())];
        if let Some(t) = core
            .iter()
            .find(|t| matches!(t.kind, Kind::LParen | Kind::RParen))
        {
            return Err(match t.kind {
                Kind::RParen => SyntaxError::UnbalancedParentheses(self.at(t)),
                _ => self.bad(t, "`(` only groups decays after `,`"),
            });
        }
        if core.is_empty() {
            return Err(self.bad(&self.toks[0], "the core process comes before any `,`"));
        }
        let mut chain = self.chain(core, false)?;
        self.i = core.len();
        let final_state = chain.sections.pop().unwrap_or_default();
        let required_s_channel = match chain.sections.len() {
            2 => chain.sections.pop().unwrap_or_default(),
            _ => Vec::new(),
        };
        let initial = chain.sections.pop().unwrap_or_default();
        let mut available = final_state.clone();
        let mut decays = Vec::new();
        while let Some(t) = self.toks.get(self.i) {
            match t.kind {
                Kind::Comma => {
                    self.i += 1;
                    decays.push(self.item(&mut available)?);
                }
                Kind::RParen => return Err(SyntaxError::UnbalancedParentheses(self.at(t))),
                _ => return Err(self.bad(t, "expected `,` after `)`")),
            }
        }
        Ok(ProcessSpec {
            initial,
            final_state,
            required_s_channel,
            excluded_s_channel: chain.excluded_s,
            excluded_any: chain.excluded_any,
            orders: chain.orders,
            decays,
        })
    }

    /// A decay or a parenthesised group after the `,` at `self.i - 1`, decaying a label of
    /// `available` (which loses it).
    fn item(&mut self, available: &mut Vec<String>) -> Result<DecaySpec, SyntaxError> {
        if self.kind() != Some(Kind::LParen) {
            return self.decay(available);
        }
        let open = self.i;
        self.i += 1;
        let mut spec = self.decay(available)?;
        let mut products = spec.products.clone();
        loop {
            let Some(t) = self.toks.get(self.i) else {
                return Err(SyntaxError::UnbalancedParentheses(
                    self.at(&self.toks[open]),
                ));
            };
            match t.kind {
                Kind::Comma => {
                    self.i += 1;
                    let d = self.item(&mut products)?;
                    spec.decays.push(d);
                }
                Kind::RParen => {
                    self.i += 1;
                    return Ok(spec);
                }
                _ => return Err(self.bad(t, "expected `,` or `)`")),
            }
        }
    }

    /// A single decay `parent > products / excluded`, up to the next `,`, `(`, `)` or the end.
    fn decay(&mut self, available: &mut Vec<String>) -> Result<DecaySpec, SyntaxError> {
        let start = self.i;
        while self
            .kind()
            .is_some_and(|k| !matches!(k, Kind::Comma | Kind::LParen | Kind::RParen))
        {
            self.i += 1;
        }
        let seg = &self.toks[start..self.i];
        if let Some(t) = self.toks.get(self.i).filter(|t| t.kind == Kind::LParen) {
            return Err(self.bad(t, "`(` must directly follow `,`"));
        }
        if seg.is_empty() {
            return Err(SyntaxError::EmptyDecay(self.at(&self.toks[start - 1])));
        }
        let mut chain = self.chain(seg, true)?;
        if chain.sections[0].len() > 1 {
            return Err(self.bad(&seg[1], "a decay has one parent"));
        }
        let parent = chain.sections[0].remove(0);
        let Some(k) = available.iter().position(|a| *a == parent) else {
            return Err(SyntaxError::UnknownParent(
                self.at(&seg[0]),
                available.join(" "),
            ));
        };
        available.remove(k);
        Ok(DecaySpec {
            parent,
            products: chain.sections.pop().unwrap_or_default(),
            excluded_any: chain.excluded_any,
            decays: Vec::new(),
        })
    }

    /// Split the tokens of a core process (`decay == false`) or a decay at their `>`s.
    fn chain(&self, toks: &[Tok], decay: bool) -> Result<Chain, SyntaxError> {
        use SyntaxError as E;
        let mut c = Chain::default();
        c.sections.push(Vec::new());
        let (max_arrows, arrow_limit) = match decay {
            true => (1, "one `>` in a decay"),
            false => (2, "two `>` in the core process"),
        };
        let mut arrows: Vec<&Tok> = Vec::new();
        // The open `$` or `/` and how many names follow it.
        let mut list: Option<(&Tok, usize)> = None;
        let mut first_order: Option<&Tok> = None;
        let empty_after = |arrows: &[&Tok]| match (decay, arrows.last()) {
            (false, Some(t)) => E::NothingAfter(self.at(t)),
            _ => E::DecayNoProducts(self.at(&toks[0])),
        };
        let check_list = |list: Option<(&Tok, usize)>| match list {
            Some((t, 0)) => Err(E::EmptyExclusion(self.at(t))),
            _ => Ok(()),
        };
        for t in toks {
            let last_empty = c.sections.last().is_some_and(Vec::is_empty);
            match t.kind {
                Kind::Name => match &mut list {
                    None => c.sections[arrows.len()].push(t.text.clone()),
                    Some((sym, n)) => {
                        *n += 1;
                        let dollar = sym.kind == Kind::Dollar;
                        let target = if dollar {
                            &mut c.excluded_s
                        } else {
                            &mut c.excluded_any
                        };
                        target.push(t.text.clone());
                    }
                },
                Kind::Gt => {
                    if list.is_some() {
                        return Err(self.bad(t, "`>` after a `$` or `/` list"));
                    }
                    if let Some(o) = first_order {
                        return Err(self.bad(o, "orders come after the final state"));
                    }
                    if arrows.len() == max_arrows {
                        return Err(E::TooManyArrows(self.at(t), arrow_limit));
                    }
                    if last_empty {
                        return Err(match (arrows.is_empty(), decay) {
                            (true, true) => E::DecayNoParent(self.at(t)),
                            (true, false) => E::NothingBefore(self.at(t)),
                            (false, _) => empty_after(&arrows),
                        });
                    }
                    arrows.push(t);
                    c.sections.push(Vec::new());
                }
                Kind::Dollar | Kind::Slash => {
                    if arrows.is_empty() {
                        return Err(self.bad(t, "exclusions come after the final state"));
                    }
                    if decay && t.kind == Kind::Dollar {
                        return Err(E::Unsupported(self.at(t), "`$` in a decay"));
                    }
                    check_list(list)?;
                    if list.is_none() && last_empty {
                        return Err(empty_after(&arrows));
                    }
                    list = Some((t, 0));
                }
                Kind::Order if decay => {
                    return Err(E::Unsupported(self.at(t), "an order in a decay"))
                }
                Kind::Order if arrows.is_empty() => {
                    return Err(self.bad(t, "orders come after the final state"));
                }
                Kind::Order => {
                    first_order.get_or_insert(t);
                    c.orders.push(self.order(t)?);
                }
                Kind::Comma | Kind::LParen | Kind::RParen => {
                    return Err(self.bad(t, "misplaced"));
                }
            }
        }
        if arrows.is_empty() {
            let text: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
            return Err(E::MissingArrow(at(self.input, text.join(" "), toks[0].pos)));
        }
        check_list(list)?;
        if c.sections.last().is_some_and(Vec::is_empty) {
            return Err(empty_after(&arrows));
        }
        Ok(c)
    }

    fn order(&self, t: &Tok) -> Result<OrderLimit, SyntaxError> {
        let err = |reason: String| SyntaxError::MalformedOrder(self.at(t), reason);
        let text = t.text.as_str();
        let name_len = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        let (name, rest) = text.split_at(name_len.unwrap_or(text.len()));
        if !is_upper_ident(name) {
            return Err(err(format!(
                "`{name}` is not an upper-case name like `QCD`"
            )));
        }
        let op_len = rest.find(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '+');
        let (op, value) = rest.split_at(op_len.unwrap_or(rest.len()));
        let kind = match op {
            "=" | "<=" => OrderKind::AtMost,
            "==" => OrderKind::Exactly,
            _ => return Err(err(format!("unknown operator `{op}`, not `=`, `<=`, `==`"))),
        };
        if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(err(format!("`{value}` is not a non-negative integer")));
        }
        let value = value
            .parse()
            .map_err(|_| err(format!("`{value}` is too large")))?;
        let name = name.to_string();
        Ok(OrderLimit { name, kind, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn ok(s: &str) -> ProcessSpec {
        parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn spec(initial: &str, final_state: &str) -> ProcessSpec {
        let (initial, final_state) = (v(initial), v(final_state));
        let (required_s_channel, excluded_s_channel, excluded_any) = (vec![], vec![], vec![]);
        let (orders, decays) = (vec![], vec![]);
        ProcessSpec {
            initial,
            final_state,
            required_s_channel,
            excluded_s_channel,
            excluded_any,
            orders,
            decays,
        }
    }

    fn order(name: &str, kind: OrderKind, value: u32) -> OrderLimit {
        OrderLimit {
            name: name.into(),
            kind,
            value,
        }
    }

    fn decay(parent: &str, products: &str, decays: Vec<DecaySpec>) -> DecaySpec {
        let (parent, products, excluded_any) = (parent.into(), v(products), vec![]);
        DecaySpec {
            parent,
            products,
            excluded_any,
            decays,
        }
    }

    #[test]
    fn simple_processes() {
        assert_eq!(ok("e+ e- > mu+ mu- a"), spec("e+ e-", "mu+ mu- a"));
        assert_eq!(ok("g g > t t~ g"), spec("g g", "t t~ g"));
        assert_eq!(ok("  e+ e->mu+ mu-  "), spec("e+ e-", "mu+ mu-"));
        // Names are not validated: "e+e-" is one (unknown to the model) name.
        assert_eq!(ok("e+e- > mu+ mu-"), spec("e+e-", "mu+ mu-"));
    }

    #[test]
    fn orders() {
        use OrderKind::{AtMost, Exactly};
        let mut want = spec("u u~", "e+ e- g");
        want.orders = vec![order("QCD", AtMost, 1), order("QED", AtMost, 2)];
        assert_eq!(ok("u u~ > e+ e- g QCD=1 QED=2"), want);
        let mut want = spec("p p", "t t~");
        want.orders = vec![
            order("QCD", AtMost, 2),
            order("QED", AtMost, 0),
            order("QED", Exactly, 2),
        ];
        assert_eq!(ok("p p > t t~ QCD=2 QED<=0 QED==2"), want);
        let mut want = spec("e+ e-", "mu+ mu-");
        want.orders = vec![order("QED", AtMost, 2)];
        want.excluded_any = v("h");
        assert_eq!(ok("e+ e- > mu+ mu- QED=2 / h"), want);
    }

    #[test]
    fn s_channel_and_exclusions() {
        let mut want = spec("e+ e-", "mu+ mu-");
        want.required_s_channel = v("z");
        assert_eq!(ok("e+ e- > z > mu+ mu-"), want);
        let mut want = spec("p p", "t t~");
        want.excluded_s_channel = v("z");
        want.excluded_any = v("h");
        assert_eq!(ok("p p > t t~ $ z / h"), want);
        want.excluded_s_channel = v("z a");
        want.excluded_any = vec![];
        assert_eq!(ok("p p > t t~ $ z a"), want);
        let mut want = spec("p p", "e+ e-");
        want.excluded_any = v("h");
        assert_eq!(ok("p p > e+ e- / h"), want);
    }

    #[test]
    fn decay_chains() {
        let mut want = spec("e+ e-", "t t~");
        want.decays = vec![decay("t", "w+ b", vec![]), decay("t~", "w- b~", vec![])];
        assert_eq!(ok("e+ e- > t t~, t > w+ b, t~ > w- b~"), want);
        want.decays[0].decays = vec![decay("w+", "e+ ve", vec![])];
        assert_eq!(ok("e+ e- > t t~, (t > w+ b, w+ > e+ ve), t~ > w- b~"), want);
        // Two identical particles may get two decays; a decay may exclude propagators.
        let mut want = spec("p p", "w+ w+");
        want.decays = vec![decay("w+", "e+ ve", vec![]), decay("w+", "mu+ vm", vec![])];
        want.decays[1].excluded_any = v("h");
        assert_eq!(ok("p p > w+ w+, w+ > e+ ve, w+ > mu+ vm / h"), want);
    }

    #[test]
    fn multiparticles_and_expansion() {
        assert_eq!(multiparticle("vl~"), Some(&["ve~", "vm~", "vt~"][..]));
        assert_eq!(multiparticle("e+"), None);
        let p = ok("p p > e+ e-");
        let all = expand(&p.initial, 1000).unwrap();
        assert_eq!(all.len(), 81);
        assert_eq!(
            (&all[0], &all[1], &all[80]),
            (&v("g g"), &v("g u"), &v("s~ s~"))
        );
        assert_eq!(
            expand(&v("e+ l-"), 10).unwrap(),
            vec![v("e+ e-"), v("e+ mu-")]
        );
        assert_eq!(expand(&[], 1).unwrap(), vec![Vec::<String>::new()]);
        let err = expand(&p.initial, 80).unwrap_err();
        assert_eq!(err, SyntaxError::TooManyCombinations("p p".into(), 80));
        assert!(
            err.to_string().contains("`p p`") && err.to_string().contains("80"),
            "{err}"
        );
        // 9^40 overflows usize: still an error, not a panic or a hang.
        let many = vec!["j".to_string(); 40];
        assert!(matches!(
            expand(&many, usize::MAX),
            Err(SyntaxError::TooManyCombinations(..))
        ));
    }

    #[test]
    fn never_panics() {
        // Deterministic pseudo-random strings over the grammar's characters: Ok or Err, no panic.
        let alphabet: Vec<char> = "e+- >$/,()QCD=<2t~@ü*".chars().collect();
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            let s: String = (0..(x % 24))
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(x >> 33) as usize % alphabet.len()]
                })
                .collect();
            let _ = parse(&s);
            x = x.wrapping_add(7);
        }
    }

    #[test]
    fn errors() {
        // "input | variant | text the message must contain"
        let cases = [
            " | Empty | empty",
            "    | Empty | empty",
            "e+ e- mu+ mu- | MissingArrow | `e+ e- mu+ mu-` at character 0",
            "> mu+ mu- | NothingBefore | `>` at character 0",
            "e+ e- > | NothingAfter | `>` at character 6",
            "e+ e- > > mu+ mu- | NothingAfter | `>` at character 6",
            "e+ e- > z > h > mu+ mu- | TooManyArrows | `>` at character 14",
            "p p > t t~ $ | EmptyExclusion | `$` at character 11",
            "p p > t t~ / $ z | EmptyExclusion | `/` at character 11",
            "p p > t t~ QCD=x | MalformedOrder | `QCD=x` at character 11",
            "p p > t t~ QCD=-1 | MalformedOrder | `QCD=-1`",
            "p p > t t~ QCD= | MalformedOrder | `QCD=`",
            "p p > t t~ =2 | MalformedOrder | `=2`",
            "p p > t t~ QCD<2 | MalformedOrder | unknown operator `<`",
            "p p > t t~ QCD>=2 | MalformedOrder | unknown operator `>=`",
            "p p > t t~ qcd=2 | MalformedOrder | `qcd=2`",
            "p p > t t~ QCD=99999999999 | MalformedOrder | too large",
            "QED=2 e+ e- > mu+ mu- | Unexpected | `QED=2` at character 0",
            "e+ e- > z QED=2 > mu+ mu- | Unexpected | `QED=2`",
            "e+ e- / h > mu+ mu- | Unexpected | `/`",
            "e+ e- > (t t~) | Unexpected | `(`",
            "e+ e- > t t~, > w+ b | DecayNoParent | `>` at character 14",
            "e+ e- > t t~, t > | DecayNoProducts | `t` at character 14",
            "e+ e- > t t~, t | MissingArrow | `t` at character 14",
            "e+ e- > t t~, t > w+ > b | TooManyArrows | one `>` in a decay",
            "e+ e- > t t~, t t~ > w+ b | Unexpected | `t~` at character 16",
            ", t > w+ b | Unexpected | `,` at character 0",
            "e+ e- > t t~, ( | EmptyDecay | `(` at character 14",
            "e+ e- > t t~, | EmptyDecay | `,` at character 12",
            "e+ e- > t t~, (t > w+ b,) | EmptyDecay | `,` at character 23",
            "e+ e- > t t~, (t > w+ b | UnbalancedParentheses | `(` at character 14",
            "e+ e- > t t~, t > w+ b) | UnbalancedParentheses | `)` at character 22",
            "e+ e- > t t~, w+ > e+ ve | UnknownParent | `w+` at character 14",
            "e+ e- > t t~, (t > w+ b, w- > e- ve~) | UnknownParent | `w-`",
            "e+ e- > t t~, t > w+ b, t > w+ s | UnknownParent | `t` at character 24",
            "e+ e- > t t~, t > w+ b QED=1 | Unsupported | `QED=1`",
            "e+ e- > t t~, t > w+ b $ z | Unsupported | `$`",
            "p p > t t~ @1 | Unsupported | `@1` at character 11",
            "p p > t t~ --no_warning=duplicate | Unsupported | `--no_warning=duplicate`",
            "p p > t t~ $$ z | Unsupported | `$$`",
            "e+ e- > mu+ mu- * | InvalidCharacter | `*` at character 16",
            "e+ e- > mü+ mu- | InvalidCharacter | `ü` at character 9",
        ];
        for case in cases {
            let [input, variant, text] = case.split(" | ").collect::<Vec<_>>()[..] else {
                panic!("bad case {case:?}")
            };
            let err = parse(input).expect_err(input);
            assert!(
                format!("{err:?}").starts_with(variant),
                "{input:?} gave {err:?}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains(text),
                "{input:?}: message {msg:?} lacks {text:?}"
            );
            assert!(msg.contains(&format!("`{input}`")), "{msg}");
        }
    }
}
