//! `diffhep cls`: the asymptotic CLs of a signal strength for a pyhf JSON workspace, in the
//! habit of `pyhf cls` (`diffhep::analysis::histfactory`).

use std::path::PathBuf;

use anyhow::Context as _;
use diffhep::analysis::histfactory::{cls, Model, Workspace};
use serde_json::json;

/// Arguments of `diffhep cls`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The workspace (pyhf JSON).
    workspace: PathBuf,
    /// The signal strength (POI value) to test.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    mu: f64,
    /// The measurement to use (the workspace's first by default).
    #[arg(long)]
    measurement: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Run `diffhep cls`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let path = &args.workspace;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("workspace {}", path.display()))?;
    let ws = Workspace::from_json(&text).with_context(|| path.display().to_string())?;
    let model =
        Model::new(&ws, args.measurement.as_deref()).with_context(|| path.display().to_string())?;
    let data = model.observed()?;
    let r = cls(&model, &data, args.mu)?;
    let named = |pars: &[f64]| -> serde_json::Map<String, serde_json::Value> {
        model
            .sets
            .iter()
            .map(|s| {
                let at = model.index(&s.name).expect("own set");
                let v = &pars[at..at + s.inits.len()];
                let value = if v.len() == 1 { json!(v[0]) } else { json!(v) };
                (s.name.clone(), value)
            })
            .collect()
    };
    let poi = &model
        .sets
        .iter()
        .find(|s| model.index(&s.name) == Some(model.poi));
    let poi_name = poi.map_or("poi".to_string(), |s| s.name.clone());
    if args.json {
        println!(
            "{}",
            json!({
                "mu": r.mu,
                "CLs_obs": r.cls,
                "CLsb": r.clsb,
                "CLb": r.clb,
                "CLs_exp": r.expected,
                "qmu_tilde": r.qmu_tilde,
                "qmu_tilde_asimov": r.qmu_tilde_asimov,
                "poi": poi_name,
                "best_fit": named(&r.best_fit.pars),
                "twice_nll_best_fit": r.best_fit.twice_nll,
                "conditional_fit": named(&r.conditional_fit.pars),
            })
        );
        return Ok(());
    }
    println!("workspace    {}", path.display());
    println!("test         {poi_name} = {} (q̃_μ, asymptotic)", r.mu);
    println!("CLs observed {:.6}", r.cls);
    println!(
        "CLs expected −2σ {:.6}  −1σ {:.6}  median {:.6}  +1σ {:.6}  +2σ {:.6}",
        r.expected[0], r.expected[1], r.expected[2], r.expected[3], r.expected[4]
    );
    println!(
        "CLs+b {:.6}  CLb {:.6}  q̃_μ {:.6}  q̃_μ,A {:.6}",
        r.clsb, r.clb, r.qmu_tilde, r.qmu_tilde_asimov
    );
    println!("best fit (−2 ln L = {:.6}):", r.best_fit.twice_nll);
    for (k, v) in named(&r.best_fit.pars) {
        println!("  {k:<28} {v}");
    }
    println!("nuisance parameters profiled at {poi_name} = {}:", r.mu);
    for (k, v) in named(&r.conditional_fit.pars) {
        println!("  {k:<28} {v}");
    }
    Ok(())
}
