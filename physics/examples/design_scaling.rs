//! Throughput of the design study's gradient estimation at 1 and 2 rayon threads.
//!
//! `cargo run --release -p diffhep-physics --example design_scaling`
//!
//! Times [`Study::gradient`] at the default configuration's initial design in thread pools of
//! 1 and 2 threads and prints jets/s (vertex fits with implicit derivatives) and shower
//! samples/s (stochastic triples), and checks that both thread counts give the same gradient.

use std::time::Instant;

use diffhep_physics::design::detector::{Study, StudyConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = StudyConfig::default_study();
    let study = Study::new(config.clone())?;
    let theta = config.initial_design();
    let repeats = 3;
    let mut reference: Option<Vec<f64>> = None;
    println!("threads  jets/s (vertex fit + implicit gradient)  shower samples/s (triples)  gradient estimates/s");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let (jets_s, showers_s, total_s, grad) = pool.install(|| {
            let jets = config.sample.vertex_events;
            let t = Instant::now();
            for r in 0..repeats {
                std::hint::black_box(study.vertex_sums([theta[0], theta[1]], r, jets, true));
            }
            let jets_s = (repeats as usize * jets) as f64 / t.elapsed().as_secs_f64();
            let t = Instant::now();
            let mut grad = Vec::new();
            for r in 0..repeats {
                grad = study.gradient(&theta, r).expect("gradient").gradient;
            }
            let total = t.elapsed().as_secs_f64();
            let vertex_time = (repeats as usize * jets) as f64 / jets_s;
            let showers = (repeats as usize * config.sample.shower_samples) as f64;
            (
                jets_s,
                showers / (total - vertex_time),
                repeats as f64 / total,
                grad,
            )
        });
        println!("{threads:>7}  {jets_s:>38.0}  {showers_s:>26.0}  {total_s:>20.2}");
        match &reference {
            None => reference = Some(grad),
            Some(g) => assert_eq!(g, &grad, "same gradient at every thread count"),
        }
    }
    println!("gradients identical at 1 and 2 threads");
    Ok(())
}
