//! The results folder of a detector design run, written by the library so that every front end
//! (`diffhep design`, MPI runs, examples) produces the same folder:
//!
//! - `config.toml`: the configuration of the run;
//! - `checkpoint.json`: after every step (resume with `diffhep design --resume`);
//! - `history.jsonl`: one [`StepRecord`] per step;
//! - `final_design.json`: final and initial design with their evaluations;
//! - `objective.svg`, `parameters.svg`, `resolution.svg`, `resolution_vs_step.svg`;
//! - `report.md`: a summary with links to the rest.
//!
//! Every file is written atomically ([`crate::design::output`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use diffhep::optim::{DesignLoop, Observer, OptimError, Outcome};
use serde_json::json;

use super::objectives::ObjectiveKind;
use super::tracker::sigmas;
use super::{Checkpoint, Evaluation, StepRecord, Study, StudyConfig};
use crate::design::output::{create_dir, write_atomic, WriteError};
use crate::design::plot::{line_plot, Series};

/// An [`Observer`] of a run that keeps its results folder: the configuration at the start, the
/// checkpoint after every step, and history, final design, plots and report at the end. With
/// `writer = false` (MPI ranks other than 0) it writes nothing.
pub struct ResultsFolder<'a> {
    study: &'a Study,
    dir: PathBuf,
    writer: bool,
    started: Instant,
    seconds: Option<f64>,
}

impl<'a> ResultsFolder<'a> {
    /// The folder `dir` of a run of `study` (created if missing; the configuration is written
    /// at once when `writer`).
    pub fn new(study: &'a Study, dir: &Path, writer: bool) -> Result<Self, WriteError> {
        if writer {
            create_dir(dir)?;
            write_atomic(dir, "config.toml", &study.config().to_toml())?;
        }
        Ok(ResultsFolder {
            study,
            dir: dir.to_path_buf(),
            writer,
            started: Instant::now(),
            seconds: None,
        })
    }

    /// Wall time of the run in seconds, once it has finished.
    pub fn seconds(&self) -> Option<f64> {
        self.seconds
    }

    fn checkpoint(&self, state: &DesignLoop<Evaluation>) -> Checkpoint {
        Checkpoint {
            version: super::CHECKPOINT_VERSION,
            config: self.config().clone(),
            design_loop: state.clone(),
        }
    }

    fn config(&self) -> &StudyConfig {
        self.study.config()
    }
}

fn io(e: WriteError) -> OptimError {
    OptimError::Io(e.to_string())
}

impl Observer<Evaluation> for ResultsFolder<'_> {
    fn on_step(&mut self, state: &DesignLoop<Evaluation>) -> Result<(), OptimError> {
        if self.writer {
            // The checkpoint after every step: an interrupted run resumes from here.
            let ck = self.checkpoint(state);
            write_atomic(&self.dir, "checkpoint.json", &ck.to_json()).map_err(io)?;
        }
        Ok(())
    }

    fn on_finish(
        &mut self,
        state: &DesignLoop<Evaluation>,
        _outcome: &Outcome,
    ) -> Result<(), OptimError> {
        let seconds = self.started.elapsed().as_secs_f64();
        self.seconds = Some(seconds);
        if self.writer {
            let ck = self.checkpoint(state);
            write_atomic(&self.dir, "checkpoint.json", &ck.to_json()).map_err(io)?;
            write_results(self.study, &ck, &self.dir, seconds).map_err(io)?;
        }
        Ok(())
    }
}

/// `σ(d0)` (μm) vs p at θ = 90° for a design.
fn d0_curve(study: &Study, design: &[f64]) -> Vec<(f64, f64)> {
    (0..=38)
        .map(|i| {
            let p = 1.0 + 0.5 * i as f64;
            let s = sigmas(
                study.tracker(),
                &[design[0], design[1]],
                p,
                std::f64::consts::FRAC_PI_2,
            );
            (p, s[0] * 1e3)
        })
        .collect()
}

/// Write history, final design, plots and report of a finished run into `out`.
pub fn write_results(
    study: &Study,
    ck: &Checkpoint,
    out: &Path,
    seconds: f64,
) -> Result<(), WriteError> {
    let h = &ck.history();
    let mut lines = String::new();
    for r in h {
        lines.push_str(&serde_json::to_string(r).expect("a record serialises"));
        lines.push('\n');
    }
    write_atomic(out, "history.jsonl", &lines)?;
    let names = ck.config.parameter_names();
    let first = &h[0];
    let last = h.last().expect("history");
    let named = |d: &[f64]| -> serde_json::Map<String, serde_json::Value> {
        names
            .iter()
            .zip(d)
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect()
    };
    let improvement = relative_improvement(ck);
    let final_doc = json!({
        "steps": last.step,
        "design": named(&last.design),
        "evaluation": last.evaluation,
        "initial_design": named(&first.design),
        "initial_evaluation": first.evaluation,
        "relative_improvement": improvement,
        "seconds": seconds,
        "seed": ck.config.seed,
    });
    write_atomic(
        out,
        "final_design.json",
        &serde_json::to_string_pretty(&final_doc).expect("a JSON value serialises"),
    )?;

    let step_series = |label: &str, f: &dyn Fn(&StepRecord) -> f64| Series {
        label: label.to_string(),
        points: h.iter().map(|r| (r.step as f64, f(r))).collect(),
    };
    let kind = ck.config.objective.kind.name();
    let objective = vec![
        step_series("objective J", &|r| r.evaluation.objective),
        step_series(&format!("physics term ({kind})"), &|r| {
            r.evaluation.objective - r.evaluation.cost
        }),
        step_series("cost", &|r| r.evaluation.cost),
    ];
    write_atomic(
        out,
        "objective.svg",
        &line_plot("design study: objective", "Adam step", "J", &objective),
    )?;
    let params: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(k, n)| step_series(n, &|r| r.design[k] / first.design[k]))
        .collect();
    write_atomic(
        out,
        "parameters.svg",
        &line_plot(
            "design parameters relative to the initial design",
            "Adam step",
            "parameter / initial value",
            &params,
        ),
    )?;
    let res = vec![
        Series {
            label: format!(
                "initial (r0 = {:.1} mm, x = {:.4} X0)",
                first.design[0], first.design[1]
            ),
            points: d0_curve(study, &first.design),
        },
        Series {
            label: format!(
                "final (r0 = {:.1} mm, x = {:.4} X0)",
                last.design[0], last.design[1]
            ),
            points: d0_curve(study, &last.design),
        },
    ];
    write_atomic(
        out,
        "resolution.svg",
        &line_plot(
            "impact-parameter resolution at 90 degrees, before and after",
            "p [GeV]",
            "sigma(d0) [um]",
            &res,
        ),
    )?;
    let vs = vec![
        step_series("vertex resolution / initial", &|r| {
            r.evaluation.vertex_resolution_um / first.evaluation.vertex_resolution_um
        }),
        step_series("energy resolution / initial", &|r| {
            r.evaluation.energy_resolution / first.evaluation.energy_resolution
        }),
    ];
    write_atomic(
        out,
        "resolution_vs_step.svg",
        &line_plot(
            "vertex and energy resolution relative to the initial design",
            "Adam step",
            "resolution / initial",
            &vs,
        ),
    )?;
    write_atomic(out, "report.md", &report(ck, improvement, seconds))
}

/// The `report.md` of a finished run.
pub fn report(ck: &Checkpoint, improvement: f64, seconds: f64) -> String {
    let h = &ck.history();
    let (a, b) = (&h[0], h.last().expect("history"));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Detector design study (objective: {})\n",
        ck.config.objective.kind.name()
    );
    let _ = writeln!(
        s,
        "{} Adam steps from seed {} took {seconds:.1} s. The objective went from **{:.4}** to \
         **{:.4}**: **{:.1} % lower** than the initial design's (both evaluated on the same fixed \
         sample).\n",
        b.step,
        ck.config.seed,
        a.evaluation.objective,
        b.evaluation.objective,
        100.0 * improvement
    );
    let _ = writeln!(s, "| | initial | final |\n| --- | ---: | ---: |");
    let row = |s: &mut String, n: &str, x: f64, y: f64| {
        let _ = writeln!(s, "| {n} | {x:.4} | {y:.4} |");
    };
    row(
        &mut s,
        "objective J",
        a.evaluation.objective,
        b.evaluation.objective,
    );
    row(
        &mut s,
        "vertex resolution (μm)",
        a.evaluation.vertex_resolution_um,
        b.evaluation.vertex_resolution_um,
    );
    row(
        &mut s,
        "relative energy error",
        a.evaluation.energy_resolution,
        b.evaluation.energy_resolution,
    );
    row(&mut s, "cost", a.evaluation.cost, b.evaluation.cost);
    row(
        &mut s,
        "expected significance Z_A",
        a.evaluation.significance,
        b.evaluation.significance,
    );
    row(
        &mut s,
        "expected information gain (nats)",
        a.evaluation.information_gain,
        b.evaluation.information_gain,
    );
    for (k, n) in ck.config.parameter_names().iter().enumerate() {
        row(&mut s, n, a.design[k], b.design[k]);
    }
    let _ = writeln!(
        s,
        "\n## Plots\n\n\
         - [objective and its terms vs step](objective.svg)\n\
         - [design parameters vs step](parameters.svg)\n\
         - [impact-parameter resolution before/after](resolution.svg)\n\
         - [vertex and energy resolution vs step](resolution_vs_step.svg)\n\n\
         ## Files\n\n\
         - [history.jsonl](history.jsonl): one record per step (design, evaluation, gradient)\n\
         - [final_design.json](final_design.json): final design and its evaluation\n\
         - [config.toml](config.toml): the configuration of this run\n\
         - [checkpoint.json](checkpoint.json): resume with `diffhep design --resume checkpoint.json`"
    );
    s
}

/// Add the gradient-free baseline to a finished run's folder: `baseline.json` and a section of
/// `report.md` comparing it with the gradient run at the same number of evaluations.
pub fn write_baseline(
    ck: &Checkpoint,
    base: &super::baseline::BaselineResult,
    out: &Path,
) -> Result<(), WriteError> {
    let h = ck.history();
    let last = h.last().expect("history");
    let names = ck.config.parameter_names();
    let doc = json!({
        "method": "Nelder–Mead on ln θ (argmin), projected on the bounds",
        "evaluations": base.evaluations,
        "jets": base.jets,
        "shower_runs": base.shower_runs,
        "design": names.iter().zip(&base.design).map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "evaluation": base.evaluation,
    });
    write_atomic(
        out,
        "baseline.json",
        &serde_json::to_string_pretty(&doc).expect("a JSON value serialises"),
    )?;
    // The run's own report (with its timing line) when present, else one made from the run.
    let mut s = std::fs::read_to_string(out.join("report.md"))
        .unwrap_or_else(|_| report(ck, relative_improvement(ck), 0.0));
    let _ = writeln!(
        s,
        "\n## Gradient-free baseline at the same budget\n\n\
         Nelder–Mead (argmin) on ln θ from the same initial design, {} objective evaluations \
         (Adam took {} gradient steps), each on {} jets and {} plain shower runs with common \
         random numbers; both final designs evaluated on the same fixed sample.\n",
        base.evaluations,
        last.step,
        ck.config.sample.vertex_events,
        ck.config.sample.shower_samples
    );
    let _ = writeln!(
        s,
        "| | Adam (gradients) | Nelder–Mead |\n| --- | ---: | ---: |"
    );
    let (a, b) = (&last.evaluation, &base.evaluation);
    for (n, x, y) in [
        ("objective J", a.objective, b.objective),
        (
            "vertex resolution (μm)",
            a.vertex_resolution_um,
            b.vertex_resolution_um,
        ),
        (
            "relative energy error",
            a.energy_resolution,
            b.energy_resolution,
        ),
        ("cost", a.cost, b.cost),
        ("expected significance Z_A", a.significance, b.significance),
        (
            "expected information gain (nats)",
            a.information_gain,
            b.information_gain,
        ),
    ] {
        let _ = writeln!(s, "| {n} | {x:.4} | {y:.4} |");
    }
    for (k, n) in names.iter().enumerate() {
        let _ = writeln!(s, "| {n} | {:.4} | {:.4} |", last.design[k], base.design[k]);
    }
    write_atomic(out, "report.md", &s)
}

/// `(J₀ − J)/|J₀|` of a run (relative to |J₀|: the significance and information objectives are
/// negative).
fn relative_improvement(ck: &Checkpoint) -> f64 {
    let h = ck.history();
    let (a, b) = (&h[0].evaluation, &h.last().expect("history").evaluation);
    (a.objective - b.objective) / a.objective.abs()
}

/// One objective's run in a comparison: the objective, its finished run and its baseline.
pub struct ComparedRun<'a> {
    /// The objective.
    pub kind: ObjectiveKind,
    /// The finished gradient run.
    pub checkpoint: &'a Checkpoint,
    /// The gradient-free baseline on the same objective at the same budget.
    pub baseline: &'a super::baseline::BaselineResult,
}

/// The `report.md` of a `--compare` folder: which design each objective prefers, side by side, each against its
/// gradient-free baseline at the same number of evaluations.
pub fn comparison(runs: &[ComparedRun<'_>]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Detector design: objectives compared\n\n\
         The same detector optimised for each objective from the same initial design and seed \
         (Adam on ln θ), each beside Nelder–Mead on the same objective at the same number of \
         objective evaluations. Every design is evaluated on the same fixed sample; Z_A and EIG \
         are the downstream search's figures at that design whatever the objective. Each \
         run's own folder holds its report, history, plots and checkpoint.\n"
    );
    let Some(first) = runs.first() else {
        return s;
    };
    let names = first.checkpoint.config.parameter_names();
    let mut header = String::from("| | initial");
    let mut rule = String::from("| --- | ---:");
    for r in runs {
        let _ = write!(
            header,
            " | {} (Adam) | {} (Nelder–Mead)",
            r.kind.name(),
            r.kind.name()
        );
        rule.push_str(" | ---: | ---:");
    }
    let _ = writeln!(s, "{header} |\n{rule} |");
    let h0 = first.checkpoint.history();
    let init = &h0[0];
    let row = |s: &mut String, label: &str, f: &dyn Fn(&Evaluation, &[f64]) -> f64| {
        let _ = write!(s, "| {label} | {:.4}", f(&init.evaluation, &init.design));
        for r in runs {
            let h = r.checkpoint.history();
            let last = h.last().expect("history");
            let _ = write!(
                s,
                " | {:.4} | {:.4}",
                f(&last.evaluation, &last.design),
                f(&r.baseline.evaluation, &r.baseline.design)
            );
        }
        let _ = writeln!(s, " |");
    };
    row(&mut s, "own objective J", &|e, _| e.objective);
    // Every design under every objective (same weights and costs), to see which is preferred.
    for kind in ObjectiveKind::ALL {
        let mut o = first.checkpoint.config.objective.clone();
        o.kind = kind;
        row(&mut s, &format!("J under {}", kind.name()), &|e, _| {
            super::objectives::physics_term(&o, &e.vertex_resolution_um, &e.energy_resolution)
                + e.cost
        });
    }
    row(&mut s, "vertex resolution (μm)", &|e, _| {
        e.vertex_resolution_um
    });
    row(&mut s, "relative energy error", &|e, _| e.energy_resolution);
    row(&mut s, "cost", &|e, _| e.cost);
    row(&mut s, "expected significance Z_A", &|e, _| e.significance);
    row(&mut s, "expected information gain (nats)", &|e, _| {
        e.information_gain
    });
    for (k, n) in names.iter().enumerate() {
        row(&mut s, n, &|_, d| d[k]);
    }
    let _ = writeln!(
        s,
        "\n\"own objective J\" in the initial column is the first objective's; each run's \
         report.md gives its own initial J."
    );
    for r in runs {
        let h = r.checkpoint.history();
        let last = h.last().expect("history");
        let better = if last.evaluation.objective < r.baseline.evaluation.objective {
            "gradients lower"
        } else {
            "Nelder–Mead lower or equal"
        };
        let _ = writeln!(
            s,
            "- **{}**: J {:.4} with gradients ({} steps) vs {:.4} with Nelder–Mead ({} \
             evaluations): {better}; [report]({}/report.md)",
            r.kind.name(),
            last.evaluation.objective,
            last.step,
            r.baseline.evaluation.objective,
            r.baseline.evaluations,
            r.kind.name()
        );
    }
    s
}
