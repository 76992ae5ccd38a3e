//! `diffhep design`: the end-to-end detector design study of
//! [`diffhep_physics::design::detector`], configured by TOML (the default is embedded), with a
//! results folder (history, final design, checkpoint, SVG plots, `report.md`) and resume.
//! `diffhep design calorimeter` keeps the calorimeter-only estimator comparison.

use anyhow::Context as _;
use std::path::{Path, PathBuf};

use clap::{Args as ClapArgs, Subcommand};
use diffhep::optim::ProgressObserver;
use diffhep_physics::design::detector::baseline::BaselineResult;
#[cfg(feature = "mpi")]
use diffhep_physics::design::detector::exchange;
use diffhep_physics::design::detector::objectives::ObjectiveKind;
use diffhep_physics::design::detector::results::{self, ResultsFolder};
use diffhep_physics::design::detector::{
    Checkpoint, DesignError, Study, StudyConfig, DEFAULT_TOML,
};

use crate::design_calorimeter;
use crate::interrupt::Interrupted;

/// Arguments of `diffhep design`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// A study other than the detector study.
    #[command(subcommand)]
    study: Option<Sub>,
    /// Study configuration (TOML); the embedded default when absent.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the embedded default configuration and exit.
    #[arg(long)]
    print_default_config: bool,
    /// Results folder. A folder that already holds files is refused (unless it is the folder of
    /// the checkpoint being resumed, or with `--force`).
    #[arg(long, default_value = "design-results")]
    out: PathBuf,
    /// Overwrite the files of an earlier run in `--out`.
    #[arg(long)]
    force: bool,
    /// Continue from a checkpoint written by an earlier run (its configuration is used).
    #[arg(long, conflicts_with = "config")]
    resume: Option<PathBuf>,
    /// Override the configuration's optimizer.steps (total steps, also when resuming).
    #[arg(long)]
    steps: Option<usize>,
    /// Override the configuration's objective.kind: resolution, significance or eig.
    #[arg(long, conflicts_with = "resume")]
    objective: Option<String>,
    /// After the run, also run the gradient-free baseline (Nelder–Mead) on the same objective at
    /// the same number of evaluations, and add it to report.md (and baseline.json).
    #[arg(long)]
    baseline: bool,
    /// Run every objective (resolution, significance, eig) from the configuration, each with its
    /// baseline, into `<out>/<objective>/`, and write `<out>/report.md` side by side.
    #[arg(long, conflicts_with_all = ["resume", "objective"])]
    compare: bool,
}

/// Studies other than the default one.
#[derive(Subcommand, Debug)]
enum Sub {
    /// Optimise the absorber thicknesses of the sampling calorimeter, comparing estimators.
    Calorimeter(design_calorimeter::Args),
}

/// The results folder must be writable and hold no earlier results, unless this run resumes the
/// checkpoint in it (or `--force`).
fn check_out(args: &Args) -> anyhow::Result<()> {
    crate::output::resumable_folder(&args.out, args.resume.as_deref(), args.force)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| path.display().to_string())
}

/// The configuration of a fresh run: the file or the embedded default, with the command-line
/// overrides.
fn fresh_config(args: &Args) -> anyhow::Result<StudyConfig> {
    let mut config = match &args.config {
        Some(p) => StudyConfig::from_toml(&read(p)?).with_context(|| p.display().to_string())?,
        None => StudyConfig::from_toml(DEFAULT_TOML)?,
    };
    if let Some(s) = args.steps {
        config.optimizer.steps = s;
    }
    if let Some(k) = &args.objective {
        config.objective.kind = ObjectiveKind::parse(k).map_err(anyhow::Error::msg)?;
    }
    Ok(config)
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(Sub::Calorimeter(a)) = &args.study {
        return design_calorimeter::run(a);
    }
    if args.print_default_config {
        print!("{DEFAULT_TOML}");
        return Ok(());
    }
    let ranks = Ranks::start()?;
    if args.compare {
        return compare(args, &ranks);
    }
    let ck = match &args.resume {
        Some(path) => {
            let ck =
                Checkpoint::from_json(&read(path)?).with_context(|| path.display().to_string())?;
            if ranks.writes() {
                check_out(args)?;
            }
            ck
        }
        None => {
            let study = ranks.study(fresh_config(args)?)?;
            if ranks.writes() {
                check_out(args)?;
            }
            study.start()?
        }
    };
    run_one(args, &ranks, ck, &args.out, args.baseline)?;
    Ok(())
}

/// Run (or continue) one study into `out`, optionally followed by its gradient-free baseline.
fn run_one(
    args: &Args,
    ranks: &Ranks,
    mut ck: Checkpoint,
    out: &Path,
    baseline: bool,
) -> anyhow::Result<(Checkpoint, Option<BaselineResult>)> {
    if let Some(s) = args.steps {
        ck.set_steps(s);
    }
    let study = ranks.study(ck.config.clone())?;
    let writer = ranks.writes();
    let stop = crate::interrupt::install()?;
    let mut folder = ResultsFolder::new(&study, out, writer)?;
    let mut bar = if writer {
        ProgressObserver::new()
    } else {
        ProgressObserver::hidden()
    };
    let finished = study.run_until_stopped(&mut ck, &mut [&mut folder, &mut bar], &stop)?;
    if !finished {
        drop(bar);
        let checkpoint = out.join("checkpoint.json");
        return Err(Interrupted {
            at: format!(
                "after step {} of {}",
                ck.design_loop.steps(),
                ck.config.optimizer.steps
            ),
            resume: format!(
                "diffhep design --resume {} --out {}",
                checkpoint.display(),
                out.display()
            ),
            checkpoint: checkpoint.display().to_string(),
        }
        .into());
    }
    if writer {
        let h = ck.history();
        let first = &h[0].evaluation;
        let last = &h.last().expect("history").evaluation;
        println!(
            "{}: objective {:.4} -> {:.4} ({:+.1} %) in {} steps, {:.1} s; results in {}/report.md",
            ck.config.objective.kind.name(),
            first.objective,
            last.objective,
            100.0 * (last.objective - first.objective) / first.objective.abs(),
            h.len() - 1,
            folder.seconds().unwrap_or(0.0),
            out.display()
        );
    }
    let mut base = None;
    if baseline {
        let b = study.gradient_free_baseline()?;
        if writer {
            results::write_baseline(&ck, &b, out)?;
            println!(
                "{}: gradient-free baseline (Nelder–Mead, {} evaluations): objective {:.4}",
                ck.config.objective.kind.name(),
                b.evaluations,
                b.evaluation.objective,
            );
        }
        base = Some(b);
    }
    Ok((ck, base))
}

/// `--compare`: every objective from the same configuration, each with its baseline, in
/// `out/<objective>/`, and `out/report.md` side by side.
fn compare(args: &Args, ranks: &Ranks) -> anyhow::Result<()> {
    let config = fresh_config(args)?;
    if ranks.writes() {
        check_out(args)?;
    }
    let mut done = Vec::new();
    for kind in ObjectiveKind::ALL {
        let mut c = config.clone();
        c.objective.kind = kind;
        let ck = ranks.study(c)?.start()?;
        let (ck, base) = run_one(args, ranks, ck, &args.out.join(kind.name()), true)?;
        done.push((kind, ck, base.expect("the baseline runs in a comparison")));
    }
    if ranks.writes() {
        let runs: Vec<results::ComparedRun<'_>> = done
            .iter()
            .map(|(kind, ck, base)| results::ComparedRun {
                kind: *kind,
                checkpoint: ck,
                baseline: base,
            })
            .collect();
        diffhep::files::write_atomic(&args.out.join("report.md"), results::comparison(&runs))?;
        println!("comparison in {}/report.md", args.out.display());
    }
    Ok(())
}

/// The processes sharing the study: one, or the ranks of an MPI run (feature `mpi`), of which
/// rank 0 writes the results folder.
struct Ranks {
    #[cfg(feature = "mpi")]
    mpi: Option<(mpi::environment::Universe, std::sync::Arc<exchange::Mpi>)>,
}

impl Ranks {
    #[cfg(not(feature = "mpi"))]
    fn start() -> anyhow::Result<Self> {
        Ok(Ranks {})
    }

    #[cfg(feature = "mpi")]
    fn start() -> anyhow::Result<Self> {
        let (universe, ex) = exchange::Mpi::initialize().map_err(anyhow::Error::msg)?;
        Ok(Ranks {
            mpi: Some((universe, std::sync::Arc::new(ex))),
        })
    }

    fn study(&self, config: StudyConfig) -> Result<Study, DesignError> {
        let study = Study::new(config)?;
        #[cfg(feature = "mpi")]
        if let Some((_, ex)) = &self.mpi {
            return Ok(study.with_exchange(ex.clone()));
        }
        Ok(study)
    }

    fn writes(&self) -> bool {
        #[cfg(feature = "mpi")]
        if let Some((_, ex)) = &self.mpi {
            use diffhep_physics::design::detector::Exchange;
            return ex.rank() == 0;
        }
        true
    }
}
