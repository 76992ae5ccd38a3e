//! `diffhep events`: generate weighted or unweighted events of a process into a Les Houches
//! Event file (`diffhep_physics::events::generate`).

use std::path::PathBuf;

use anyhow::Context as _;

use diffhep::files::AtomicFile;

use diffhep_physics::events::generate::generate;
use diffhep_physics::events::lhe::write_lhe;

use crate::checks::number;
use crate::process_args::ProcessArgs;

/// Arguments of `diffhep events`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: ProcessArgs,
    /// Number of points sampled (unweighting keeps a subset; 2 to 10⁷, the events are held in
    /// memory before the file is written).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    events: u64,
    /// Keep only hit-or-miss unweighted events.
    #[arg(long)]
    unweighted: bool,
    /// Write each particle's helicity (SPINUP), drawn per event ∝ |M|² of the configuration
    /// (process strings only).
    #[arg(long)]
    helicities: bool,
    /// Random seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// Output LHE file (written atomically; an existing file is refused without `--force`).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite an existing output file.
    #[arg(long)]
    force: bool,
}

/// Run the subcommand.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let (process, card) = args.target.resolve()?;
    if args.helicities && !matches!(process, diffhep_physics::Process::String(_)) {
        anyhow::bail!(
            "--helicities applies to process strings; {} has no helicity information",
            process.name()
        );
    }
    let process = process.with_lhe_helicities(args.helicities);
    crate::output::new_file("--out", &args.out, args.force)?;
    let sample = generate(
        process.clone(),
        &card,
        args.target.sqrt_s,
        args.events as usize,
        args.seed,
        args.unweighted,
    )
    .with_context(|| {
        format!(
            "{} at √s = {} GeV",
            process.name(),
            number(args.target.sqrt_s)
        )
    })?;
    let mut file = AtomicFile::create(&args.out)?;
    let n = sample.events.len();
    let p = &sample.init.processes[0];
    let (xsec, err) = (p.xsec, p.xsec_err);
    write_lhe(&mut file, &sample)?;
    file.commit()?;
    println!(
        "wrote {n} {} events of {} at √s = {} GeV to {} (σ = {xsec:.6e} ± {err:.2e} pb)",
        if args.unweighted {
            "unweighted"
        } else {
            "weighted"
        },
        process.name(),
        number(args.target.sqrt_s),
        args.out.display()
    );
    Ok(())
}
