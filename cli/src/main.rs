//! `diffhep`: command-line front end. One module per subcommand; `main` only parses and
//! dispatches.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod checks;
mod cls;
mod design;
mod design_calorimeter;
mod events;
mod fab;
mod interrupt;
mod invariants;
mod lgso;
mod me;
mod output;
mod process_args;
mod progress;
mod sbi;
mod shower;
mod vertex;
mod weightnet;
mod xsec;

#[derive(Parser)]
#[command(name = "diffhep", version, about = "Differentiable physics simulators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit the toy heavy-flavour vertex sample; report resolution, success rate, χ²/ndf and speed.
    Vertex(vertex::Args),
    /// Monte Carlo cross section of a process with A_FB and the gradient w.r.t. every parameter.
    Xsec(xsec::Args),
    /// |M|² of any tree-level process (MadGraph syntax) at given momenta, with its gradient.
    Me(me::Args),
    /// List the subprocesses a process string builds: currents, colour flows, orders.
    Processes(me::ProcessesArgs),
    /// Asymptotic CLs of a signal strength for a pyhf JSON workspace (observed, expected band,
    /// best fit and profiled nuisance parameters).
    Cls(cls::Args),
    /// Generate weighted or unweighted events of a process into a Les Houches Event file.
    Events(events::Args),
    /// Expected per-layer deposits of the toy EM shower and their gradient w.r.t. each thickness.
    Shower(shower::Args),
    /// Detector design study (tracker + calorimeter, TOML config); `design calorimeter` for the
    /// calorimeter-only estimator comparison.
    Design(design::Args),
    /// L-GSO (local generative surrogates) on the stochastic Rosenbrock benchmark.
    Lgso(lgso::Args),
    /// Regress a muon pair's pT and mass from raw four-vectors with small MLPs.
    Invariants(invariants::Args),
    /// Train a per-track weight network through the implicit vertex fit.
    Weightnet(weightnet::Args),
    /// Simulation-based inference (NPE, NLE, NRE, SCANDAL, RASCAL) on a benchmark task, scored
    /// by C2ST against the reference posterior.
    Sbi(sbi::Args),
    /// Train a normalizing flow to sample a target by FAB (annealed importance sampling with
    /// HMC) or a baseline; write the flow, metrics and, for matrix elements, LHE events.
    Fab(fab::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("error: missing subcommand (see diffhep --help)");
            return ExitCode::from(2);
        }
        Err(e) => {
            // One line: clap's message up to its usage block, joined.
            let text = e.to_string();
            let msg: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let msg = msg.join(" ");
            let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
            eprintln!("error: {msg} (see diffhep --help)");
            return ExitCode::from(2);
        }
    };
    // A bad DIFFHEP_SIMD (unknown name, or a path this CPU lacks) is refused before any work.
    if let Err(e) = diffhep::simd::env_choice() {
        eprintln!("error: {}: {e}", diffhep::simd::ENV_VAR);
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Vertex(args) => vertex::run(&args),
        Command::Xsec(args) => xsec::run(&args),
        Command::Events(args) => events::run(&args),
        Command::Me(args) => me::run(&args),
        Command::Processes(args) => me::run_processes(&args),
        Command::Cls(args) => cls::run(&args),
        Command::Shower(args) => shower::run(&args),
        Command::Design(args) => design::run(&args),
        Command::Lgso(args) => lgso::run(&args),
        Command::Invariants(args) => invariants::run(&args),
        Command::Weightnet(args) => weightnet::run(&args),
        Command::Sbi(args) => sbi::run(&args),
        Command::Fab(args) => fab::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<interrupt::Interrupted>() => {
            eprintln!("{e}");
            ExitCode::from(interrupt::EXIT_INTERRUPTED)
        }
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `context: error: cause`, leaving out a cause whose text
/// its parent's message already ends with (our error enums print their inner error). A cause
/// printed on several lines (a TOML parse error quotes the source under a `|` gutter) keeps its
/// message lines, joined by `: `, and drops the quoted source.
fn one_line(e: &anyhow::Error) -> String {
    let mut out: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = flatten(&cause.to_string());
        if out.last().is_some_and(|prev| prev.ends_with(&text)) {
            continue;
        }
        out.push(text);
    }
    out.join(": ")
}

/// `text` on one line: its non-empty lines joined by `: `, without the lines of a quoted source
/// snippet (`  |`, `1 | MZ = "heavy"`, `  |      ^^^^`).
fn flatten(text: &str) -> String {
    let snippet = |l: &str| {
        let digits = l.trim_start_matches(|c: char| c.is_ascii_digit());
        l.starts_with('|') || (digits.len() < l.len() && digits.starts_with(" |"))
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !snippet(l))
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_causes_are_flattened_without_their_source_snippet() {
        let toml = "TOML parse error at line 1, column 6\n  |\n1 | MZ = \"heavy\"\n  |      ^^^^^^^\ninvalid type: string \"heavy\", expected f64\n";
        assert_eq!(
            flatten(toml),
            "TOML parse error at line 1, column 6: invalid type: string \"heavy\", expected f64"
        );
        assert_eq!(flatten("one line"), "one line");
        let e = anyhow::anyhow!("inner\n  |\n12 | x\nwhy").context("--param-card c.toml");
        assert_eq!(one_line(&e), "--param-card c.toml: inner: why");
    }
}
