//! `diffhep events`: generate weighted or unweighted events of a process into a Les Houches
//! Event file (`diffhep_physics::events::generate`).

use anyhow::Context as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use diffhep_physics::events::generate::generate;
use diffhep_physics::events::lhe::write_lhe;

use crate::process_args::ProcessArgs;

/// Arguments of `diffhep events`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: ProcessArgs,
    /// Number of points sampled (unweighting keeps a subset).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    events: u64,
    /// Keep only hit-or-miss unweighted events.
    #[arg(long)]
    unweighted: bool,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output LHE file.
    #[arg(long)]
    out: PathBuf,
}

/// Run the subcommand.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let (process, card) = args.target.resolve()?;
    let sample = generate(
        process,
        &card,
        args.target.sqrt_s,
        args.events as usize,
        args.seed,
        args.unweighted,
    )?;
    let file = File::create(&args.out).with_context(|| args.out.display().to_string())?;
    let n = sample.events.len();
    let p = &sample.init.processes[0];
    let (xsec, err) = (p.xsec, p.xsec_err);
    write_lhe(BufWriter::new(file), &sample)?;
    println!(
        "wrote {n} {} events of {} at √s = {} GeV to {} (σ = {xsec:.6e} ± {err:.2e} pb)",
        if args.unweighted {
            "unweighted"
        } else {
            "weighted"
        },
        process.name(),
        args.target.sqrt_s,
        args.out.display()
    );
    Ok(())
}
