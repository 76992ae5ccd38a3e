//! `diffhep me`: |M|² of any tree-level process at given phase-space points, with its gradient
//! w.r.t. the momenta and every param-card parameter; `diffhep processes`: what a process
//! string builds (`diffhep_physics::collider::amplitude`).

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use diffhep_physics::collider::amplitude::matrix_element::MatrixElement;
use diffhep_physics::collider::amplitude::model::{Gauge, WidthScheme};
use diffhep_physics::collider::sm::{SmParams, PARAM_NAMES};
use diffhep_physics::lorentz::FourVector;
use serde_json::json;

use crate::checks::representable;

/// Arguments of `diffhep me`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Process in MadGraph syntax, e.g. "g g > t t~ g" or "e+ e- > t t~, t > w+ b, t~ > w- b~".
    #[arg(long)]
    process: String,
    /// JSON file: a list of points, each a list of [E, px, py, pz] in process-string order
    /// (decay products in place of their parent).
    #[arg(long)]
    momenta: PathBuf,
    /// Which subprocess when the string has several (see `diffhep processes`), 0-based.
    #[arg(long, default_value_t = 0)]
    subprocess: usize,
    /// Param card (SLHA param_card.dat, TOML, or JSON); MadGraph `sm` defaults otherwise.
    #[arg(long)]
    param_card: Option<PathBuf>,
    /// Also print ∂|M|²/∂(momentum components) and ∂|M|²/∂(every card parameter).
    #[arg(long)]
    gradient: bool,
    /// Complex-mass scheme for the widths of W, Z, t and H (fixed widths otherwise).
    #[arg(long)]
    complex_mass: bool,
    /// Gauge of the massive vector bosons: unitary, or feynman (with Goldstone bosons); the
    /// same |M|².
    #[arg(long, default_value = "unitary")]
    gauge: Gauge,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `diffhep processes`.
#[derive(clap::Args, Debug)]
pub struct ProcessesArgs {
    /// Process in MadGraph syntax.
    #[arg(long)]
    process: String,
    /// Gauge of the massive vector bosons: unitary, or feynman (with Goldstone bosons).
    #[arg(long, default_value = "unitary")]
    gauge: Gauge,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn read_points(path: &PathBuf) -> anyhow::Result<Vec<Vec<FourVector<f64>>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--momenta {}", path.display()))?;
    let raw: Vec<Vec<[f64; 4]>> = serde_json::from_str(&text).with_context(|| {
        format!(
            "--momenta {}: expected a JSON list of points, each a list of [E, px, py, pz]",
            path.display()
        )
    })?;
    if raw.is_empty() {
        bail!("--momenta {}: no points", path.display());
    }
    Ok(raw
        .into_iter()
        .map(|pt| {
            pt.into_iter()
                .map(|[e, x, y, z]| FourVector::new(e, x, y, z))
                .collect()
        })
        .collect())
}

/// Run `diffhep me`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let scheme = if args.complex_mass {
        WidthScheme::ComplexMass
    } else {
        WidthScheme::Fixed
    };
    let me = MatrixElement::new_in(&args.process, args.gauge)
        .with_context(|| "--process")?
        .with_scheme(scheme);
    if args.subprocess >= me.subprocesses.len() {
        bail!(
            "--subprocess {}: '{}' has {} subprocesses (0 to {}; see diffhep processes)",
            args.subprocess,
            args.process,
            me.subprocesses.len(),
            me.subprocesses.len() - 1
        );
    }
    let card = crate::process_args::read_card(args.param_card.as_deref())?;
    let params = card.to_params::<f64>();
    let points = read_points(&args.momenta)?;
    let sub = &me.subprocesses[args.subprocess];
    let mut rows = Vec::new();
    for (i, pt) in points.iter().enumerate() {
        me.check_momenta(args.subprocess, &params, pt)
            .with_context(|| format!("--momenta point {i}"))?;
        let card_values: Vec<f64> = PARAM_NAMES
            .iter()
            .map(|n| card.get(n).expect("listed parameter"))
            .collect();
        let (value, grad) = if args.gradient {
            let mut x = card_values.clone();
            for p in pt {
                x.extend([p.e, p.px, p.py, p.pz]);
            }
            let np = PARAM_NAMES.len();
            let (v, g) = diffhep::tape::gradient(
                |v| {
                    let mut sp: SmParams<_> = card.to_params();
                    for (name, x) in PARAM_NAMES.iter().zip(&v[..np]) {
                        sp.set(name, *x).expect("listed parameter");
                    }
                    let mom: Vec<FourVector<_>> = v[np..]
                        .chunks(4)
                        .map(|c| FourVector::new(c[0], c[1], c[2], c[3]))
                        .collect();
                    me.msq(args.subprocess, &sp, &mom)
                },
                &x,
            );
            (v, Some(g))
        } else {
            (me.msq(args.subprocess, &params, pt), None)
        };
        representable(&format!("|M|² at point {i}"), &[value])?;
        if let Some(g) = &grad {
            representable(&format!("gradient at point {i}"), g)?;
        }
        rows.push((value, grad));
    }
    let np = PARAM_NAMES.len();
    if args.json {
        let pts: Vec<serde_json::Value> = rows
            .iter()
            .map(|(v, g)| match g {
                None => json!({ "msq": v }),
                Some(g) => {
                    let params: serde_json::Map<String, serde_json::Value> = PARAM_NAMES
                        .iter()
                        .zip(&g[..np])
                        .map(|(n, d)| (n.to_string(), json!(d)))
                        .collect();
                    let mom: Vec<&[f64]> = g[np..].chunks(4).collect();
                    json!({ "msq": v, "d_momenta": mom, "d_params": params })
                }
            })
            .collect();
        println!(
            "{}",
            json!({
                "process": args.process,
                "subprocess": sub.label(),
                "identical_particle_factor": sub.identical,
                "points": pts,
            })
        );
    } else {
        println!("process      {}", args.process);
        println!("subprocess   {}", sub.label());
        println!(
            "|M|² averaged over initial, summed over final helicities and colours; identical-particle factor {} not included",
            sub.identical
        );
        for (i, (v, g)) in rows.iter().enumerate() {
            println!("point {i:<4} |M|² = {v:.12e}");
            if let Some(g) = g {
                for (k, d) in g[np..].chunks(4).enumerate() {
                    println!(
                        "  ∂/∂p{k} ({:<4}) [{:+.6e}, {:+.6e}, {:+.6e}, {:+.6e}]",
                        sub.names[k], d[0], d[1], d[2], d[3]
                    );
                }
                for (n, d) in PARAM_NAMES.iter().zip(&g[..np]) {
                    println!("  ∂/∂{n:<6} {d:+.6e}");
                }
            }
        }
    }
    Ok(())
}

/// Run `diffhep processes`.
pub fn run_processes(args: &ProcessesArgs) -> anyhow::Result<()> {
    let me = MatrixElement::new_in(&args.process, args.gauge).with_context(|| "--process")?;
    let rows: Vec<serde_json::Value> = me
        .subprocesses
        .iter()
        .map(|s| {
            let p = &s.program;
            let terms: usize = p.nodes.iter().map(|n| n.terms.len()).sum();
            let total: usize = p
                .legs
                .iter()
                .map(|l| me.model.particles[l.particle].helicities().len())
                .product();
            json!({
                "helicities": s.helicities.len(),
                "helicities_total": total,
                "subprocess": s.label(),
                "currents": p.nodes.len(),
                "vertex_terms": terms,
                "colour_flows": p.flows.len(),
                "orders_qcd_qed": p.orders,
                "identical_particle_factor": s.identical,
                "average_factor": s.average,
            })
        })
        .collect();
    if args.json {
        println!(
            "{}",
            json!({ "process": args.process, "subprocesses": rows })
        );
    } else {
        println!("process      {}", args.process);
        println!(
            "{:<4} {:<32} {:>8} {:>8} {:>6} {:>9} {:>10}  orders (QCD, QED)",
            "#", "subprocess", "currents", "terms", "flows", "hel", "identical"
        );
        for (i, r) in rows.iter().enumerate() {
            println!(
                "{:<4} {:<32} {:>8} {:>8} {:>6} {:>9} {:>10.4}  {}",
                i,
                r["subprocess"].as_str().unwrap_or(""),
                r["currents"].as_u64().unwrap_or(0),
                r["vertex_terms"].as_u64().unwrap_or(0),
                r["colour_flows"].as_u64().unwrap_or(0),
                format!(
                    "{}/{}",
                    r["helicities"].as_u64().unwrap_or(0),
                    r["helicities_total"].as_u64().unwrap_or(0)
                ),
                r["identical_particle_factor"].as_f64().unwrap_or(f64::NAN),
                r["orders_qcd_qed"]
            );
        }
    }
    Ok(())
}
