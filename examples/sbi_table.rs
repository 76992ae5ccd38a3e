//! C2ST table of the SBI estimators against sbibm's reference values.
//!
//! `cargo run --release --example sbi_table -- <task> <method> <sims> [observations] [seed] [transform layers decay batch]`
//! runs one cell (observations as `1` or `1-10`); without arguments it runs the two_moons NPE
//! and NRE cells at 10³ simulations on observation 1. Prints one JSON line per cell.

use diffhep::sbi::run::{run, RunConfig};
use diffhep::sbi::TaskRegistry;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cells: Vec<(String, String, usize, Vec<usize>, u64)> = if args.len() >= 3 {
        let obs = match args.get(3).map(String::as_str) {
            None => vec![1],
            Some(s) => match s.split_once('-') {
                Some((a, b)) => (a.parse()?..=b.parse()?).collect(),
                None => vec![s.parse()?],
            },
        };
        let seed = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(0);
        vec![(
            args[0].clone(),
            args[1].clone(),
            args[2].parse()?,
            obs,
            seed,
        )]
    } else {
        vec![
            ("two_moons".into(), "npe".into(), 1000, vec![1], 0),
            ("two_moons".into(), "nre".into(), 1000, vec![1], 0),
        ]
    };
    for (task, method, sims, observations, seed) in cells {
        let t = TaskRegistry::new().create(&task)?;
        let cfg = RunConfig {
            method: method.parse()?,
            sims,
            seed,
            observations,
            ..RunConfig::default()
        };
        let mut cfg = cfg;
        // Optional: one flow architecture instead of the default candidates — transform
        // (`affine` or `splineK`), layers, weight decay, batch size.
        if let Some(t) = args.get(5) {
            let mut f = diffhep::sbi::FlowEstimatorConfig {
                transform: match t.strip_prefix("spline") {
                    Some(b) => diffhep::flows::Transform::Spline { bins: b.parse()? },
                    None => diffhep::flows::Transform::Affine,
                },
                ..Default::default()
            };
            if let Some(l) = args.get(6) {
                f.layers = l.parse()?;
            }
            if let Some(w) = args.get(7) {
                f.fit.weight_decay = w.parse()?;
            }
            if let Some(b) = args.get(8) {
                f.fit.batch_size = b.parse()?;
            }
            cfg.flow_candidates = vec![f];
        }
        let r = run(t.as_ref(), &cfg)?;
        println!("{}", serde_json::to_string(&r)?);
    }
    Ok(())
}
