//! The design study on MPI ranks (cargo feature `mpi`): scaling measurements. The whole study
//! with its results folder runs from the CLI: `mpirun -n 2 diffhep design` (CLI feature `mpi`).
//!
//! ```sh
//! cargo build --release -p diffhep-physics --features mpi --example design_mpi
//! mpirun -n 2 target/release/examples/design_mpi check   # tiny study; rank 0 prints the history
//! RAYON_NUM_THREADS=1 mpirun -n 2 target/release/examples/design_mpi bench   # jets/s, samples/s
//! mpirun -n 2 target/release/examples/design_mpi run my.toml   # a whole study from a config
//! ```
//!
//! Every rank simulates its share of the jets and shower samples; the per-block results are
//! gathered in block order, so any number of ranks prints the same history for the same seed
//! (`.ci/run` compares 1 and 2 ranks). On a cluster, start it with your scheduler's MPI launcher
//! (e.g. `srun` or `mpirun --hostfile`), one rank per node with `RAYON_NUM_THREADS` set to the
//! node's cores.

use std::sync::Arc;
use std::time::Instant;

use diffhep_physics::design::detector::exchange::Mpi;
use diffhep_physics::design::detector::{Exchange, Study, StudyConfig};

fn tiny() -> StudyConfig {
    let mut c = StudyConfig::default_study();
    c.sample.vertex_events = 200;
    c.sample.shower_samples = 20;
    c.sample.eval_vertex_events = 300;
    c.sample.eval_shower_samples = 200;
    c.optimizer.steps = 3;
    c
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_universe, ex) = Mpi::initialize()?;
    let ex = Arc::new(ex);
    let (rank, size) = (ex.rank(), ex.size());
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("check", String::as_str);
    match mode {
        "check" | "run" => {
            let config = if mode == "run" {
                let path = args.get(2).ok_or("usage: design_mpi run CONFIG.toml")?;
                StudyConfig::from_toml(&std::fs::read_to_string(path)?)?
            } else {
                tiny()
            };
            let study = Study::new(config)?.with_exchange(ex);
            let t = Instant::now();
            let mut ck = study.start()?;
            study.run(&mut ck, &mut [])?;
            if rank == 0 {
                for r in &ck.history() {
                    println!("{}", serde_json::to_string(r)?);
                }
                eprintln!("{size} ranks: {:.2} s", t.elapsed().as_secs_f64());
            }
        }
        "bench" => {
            let config = StudyConfig::default_study();
            let study = Study::new(config.clone())?.with_exchange(ex);
            let theta = config.initial_design();
            let repeats = 3;
            let t = Instant::now();
            for r in 0..repeats {
                std::hint::black_box(study.vertex_sums(
                    [theta[0], theta[1]],
                    r,
                    config.sample.vertex_events,
                    true,
                ));
            }
            let vertex = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for r in 0..repeats {
                std::hint::black_box(study.gradient(&theta, r)?);
            }
            let total = t.elapsed().as_secs_f64();
            if rank == 0 {
                let jets = (repeats as usize * config.sample.vertex_events) as f64;
                let showers = (repeats as usize * config.sample.shower_samples) as f64;
                println!(
                    "{size} ranks x {} threads: {:.0} jets/s, {:.0} shower samples/s, {:.2} gradients/s",
                    rayon::current_num_threads(),
                    jets / vertex,
                    showers / (total - vertex),
                    repeats as f64 / total
                );
            }
        }
        other => return Err(format!("unknown mode {other:?} (check, run, bench)").into()),
    }
    Ok(())
}
