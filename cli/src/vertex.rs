//! `diffhep vertex`: fit the secondary vertices of the toy jet sample
//! (`diffhep_physics::detector::toy`) with the weighted vertex fit and report the 3-D vertex resolution,
//! the fit success rate, the mean χ²/ndf and the time per fit (and per fit + implicit gradient
//! with respect to the track weights).

use std::hint::black_box;
use std::time::Instant;

use clap::ValueEnum;
use diffhep::implicit::ImplicitOptions;
use diffhep_physics::detector::toy::{ToyConfig, ToyGenerator};
use diffhep_physics::detector::tracks::TrackModel;
use diffhep_physics::detector::vertex::{fit, fit_with_derivatives, FitConfig, Wrt};

use crate::checks::representable;

/// Track model of the toy sample.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Model {
    /// Helices in a 2 T field.
    Helix,
    /// Straight lines.
    Straight,
}

/// Arguments of `diffhep vertex`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of jets to generate and fit (1 to 10⁶; the sample is held in memory, about 3 kB
    /// per jet).
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    jets: u64,
    /// Seed of the toy generator.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// Track model.
    #[arg(long, value_enum, default_value_t = Model::Helix)]
    model: Model,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Run the subcommand.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let model = match args.model {
        Model::Helix => TrackModel::Helix { bz: 2.0 },
        Model::Straight => TrackModel::StraightLine,
    };
    let jets = ToyGenerator::new(
        ToyConfig {
            model,
            ..ToyConfig::default()
        },
        args.seed,
    )
    .jets(args.jets as usize);
    let samples: Vec<_> = jets
        .iter()
        .map(|j| {
            let t = j.secondary_tracks();
            let w = vec![1.0; t.len()];
            (t, w)
        })
        .collect();
    let cfg = FitConfig::default();

    let start = Instant::now();
    let fits: Vec<_> = samples
        .iter()
        .map(|(t, w)| black_box(fit(t, w, &cfg)))
        .collect();
    let fit_time = start.elapsed().as_secs_f64();

    let opts = ImplicitOptions::default();
    let start = Instant::now();
    let mut grad_ok = 0usize;
    for (t, w) in &samples {
        if let Ok((_, d)) = fit_with_derivatives(t, w, &cfg, Wrt::WEIGHTS, &opts) {
            black_box(d.vjp([1.0, 1.0, 1.0]));
            grad_ok += 1;
        }
    }
    let grad_time = start.elapsed().as_secs_f64();

    let mut residuals = Vec::new();
    let mut chi2ndf = Vec::new();
    let mut failures = 0usize;
    let mut first_failure: Option<String> = None;
    for (jet, f) in jets.iter().zip(&fits) {
        match f {
            Ok(f) => {
                let d2: f64 = (0..3)
                    .map(|k| (f.position[k] - jet.secondary[k]).powi(2))
                    .sum();
                residuals.push(d2.sqrt());
                chi2ndf.push(f.chi2 / f.ndf);
            }
            Err(e) => {
                failures += 1;
                first_failure.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if residuals.is_empty() {
        anyhow::bail!(
            "every one of the {} vertex fits failed (first: {}); no resolution to report",
            jets.len(),
            first_failure.as_deref().unwrap_or("no failure recorded")
        );
    }
    let n = jets.len() as f64;
    let ok = residuals.len() as f64;
    // Both lists hold one entry per successful fit, and there is at least one.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let res_mean = mean(&residuals);
    let res_rms = (residuals.iter().map(|r| r * r).sum::<f64>() / ok).sqrt();
    let tracks_mean = samples.iter().map(|(t, _)| t.len() as f64).sum::<f64>() / n;
    let us_fit = fit_time / n * 1e6;
    let us_grad = grad_time / n * 1e6;
    let mean_chi2ndf = mean(&chi2ndf);
    representable("the mean 3-D residual", &[res_mean])?;
    representable("the RMS 3-D residual", &[res_rms])?;
    representable("the mean χ²/ndf", &[mean_chi2ndf])?;
    if args.json {
        let out = serde_json::json!({
            "jets": args.jets,
            "seed": args.seed,
            "model": format!("{:?}", args.model).to_lowercase(),
            "mean_tracks_per_vertex": tracks_mean,
            "success_rate": ok / n,
            "failures": failures,
            "residual_3d_mean_mm": res_mean,
            "residual_3d_rms_mm": res_rms,
            "mean_chi2_per_ndf": mean_chi2ndf,
            "time_per_fit_us": us_fit,
            "time_per_fit_and_weight_gradient_us": us_grad,
            "gradients_ok": grad_ok,
            "first_failure": first_failure,
        });
        println!("{out}");
    } else {
        println!(
            "toy jets            {} (seed {}, {:?} tracks, {:.2} secondary tracks per jet)",
            args.jets, args.seed, args.model, tracks_mean
        );
        println!("fit success rate    {:.4} ({} failed)", ok / n, failures);
        println!(
            "3-D residual        mean {:.1} µm, RMS {:.1} µm",
            res_mean * 1e3,
            res_rms * 1e3
        );
        if let Some(f) = &first_failure {
            println!("first failure       {f}");
        }
        println!("mean χ²/ndf         {mean_chi2ndf:.3}");
        println!("time per fit        {us_fit:.2} µs");
        println!("fit + ∂v/∂w (VJP)   {us_grad:.2} µs");
    }
    Ok(())
}
