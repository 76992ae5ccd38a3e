//! `diffhep xsec`: Monte Carlo cross section of a process with its gradient with respect to every
//! free parameter (`diffhep_physics::integrate::xsec`).

use anyhow::Context as _;
use diffhep_physics::integrate::xsec::{cross_section, XsecConfig};
use serde_json::json;

use crate::checks::number;
use crate::process_args::ProcessArgs;
use crate::progress;

/// Arguments of `diffhep xsec`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: ProcessArgs,
    /// Number of Monte Carlo points.
    #[arg(long, default_value_t = 100_000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(2..=1_000_000_000))]
    events: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// VEGAS training iterations before integrating (0 = plain Monte Carlo, at most 1000).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(0..=1000))]
    vegas: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Run the subcommand.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let (process, card) = args.target.resolve()?;
    let cfg = XsecConfig {
        events: args.events as usize,
        seed: args.seed,
        vegas_iterations: args.vegas as usize,
        ..XsecConfig::default()
    };
    let pb = progress::bar(args.events, !args.json, "integrating");
    let tick = |done: usize| {
        if let Some(pb) = &pb {
            pb.set_position(done as u64);
        }
    };
    let r = cross_section(
        process.clone(),
        &card,
        args.target.sqrt_s,
        &cfg,
        Some(&tick),
    )
    .with_context(|| {
        format!(
            "{} at √s = {} GeV",
            process.name(),
            number(args.target.sqrt_s)
        )
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    // The library gives A_FB for every process that defines it (or an error), so a missing A_FB
    // below means the process has none, never that it could not be computed.
    if r.afb.is_none() && process.has_afb() {
        anyhow::bail!("A_FB of {} was not computed", r.process);
    }
    if args.json {
        let grad: serde_json::Map<String, serde_json::Value> = r
            .gradient
            .iter()
            .map(|(n, e)| (n.to_string(), json!(e.value)))
            .collect();
        let grad_err: serde_json::Map<String, serde_json::Value> = r
            .gradient
            .iter()
            .map(|(n, e)| (n.to_string(), json!(e.error)))
            .collect();
        let out = json!({
            "process": r.process,
            "sqrt_s_gev": r.sqrt_s_gev,
            "sigma_pb": r.sigma_pb,
            "sigma_err_pb": r.sigma_err_pb,
            "afb": r.afb.map(|a| a.value),
            "afb_err": r.afb.map(|a| a.error),
            "gradient": grad,
            "gradient_err": grad_err,
            "fisher_per_event": r.fisher.map(|f| json!({"params": ["MZ", "WZ", "aEWM1", "Gf"], "matrix": f})),
            "events": r.events,
            "seed": args.seed,
            "rejected_points": r.rejected_points,
        });
        println!("{out}");
    } else {
        println!("process      {}", r.process);
        println!("√s           {} GeV", number(r.sqrt_s_gev));
        println!(
            "σ            {:.6e} ± {:.2e} pb  ({} points, seed {})",
            r.sigma_pb, r.sigma_err_pb, r.events, args.seed
        );
        match r.afb {
            Some(a) => println!("A_FB         {:.5} ± {:.5}", a.value, a.error),
            None => println!(
                "A_FB         (not defined for {}: no single forward final-state particle)",
                r.process
            ),
        }
        println!("∂σ/∂param    (pb per unit)");
        for (name, e) in &r.gradient {
            println!("  {name:<8} {:>14.6e} ± {:.2e}", e.value, e.error);
        }
    }
    Ok(())
}
