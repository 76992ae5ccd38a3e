//! `diffhep`: command-line front end. One module per subcommand; `main` only parses and
//! dispatches.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod design_calorimeter;
mod shower;
mod svg_plot;

#[derive(Parser)]
#[command(name = "diffhep", version, about = "Differentiable physics simulators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Expected per-layer deposits of the toy EM shower and their gradient w.r.t. each thickness.
    Shower(shower::Args),
    /// Design optimisation with stochastic gradients.
    #[command(subcommand)]
    Design(Design),
}

#[derive(Subcommand)]
enum Design {
    /// Optimise the absorber thicknesses of the sampling calorimeter.
    Calorimeter(design_calorimeter::Args),
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
            // One line: clap's first line, without its usage block.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {first} (see diffhep --help)");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Shower(args) => shower::run(&args),
        Command::Design(Design::Calorimeter(args)) => design_calorimeter::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
