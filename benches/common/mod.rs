//! Timing helpers shared by the benches: a robust ns-per-call figure measured in the same process
//! as its baseline, so ratios printed by a bench compare like with like.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

/// Median over 7 rounds of the time per call of `f`, in ns; each round lasts about `round_ms`.
pub fn ns_per_call<R>(round_ms: f64, mut f: impl FnMut() -> R) -> f64 {
    // Calibrate the number of calls per round.
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        let el = t.elapsed().as_secs_f64() * 1e3;
        if el > round_ms / 4.0 || n > 1 << 30 {
            n = ((n as f64) * round_ms / el.max(1e-6)).ceil().max(1.0) as u64;
            break;
        }
        n *= 4;
    }
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                black_box(f());
            }
            t.elapsed().as_secs_f64() * 1e9 / n as f64
        })
        .collect();
    rounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
    rounds[3]
}

/// Print a table of `(name, value, unit, ratio, target)` rows.
pub fn print_table(title: &str, rows: &[(String, f64, &str, Option<f64>, &str)]) {
    println!("\n== {title} ==");
    println!(
        "{:<58} {:>12} {:<10} {:>8}  target",
        "measurement", "value", "unit", "ratio"
    );
    for (name, v, unit, ratio, target) in rows {
        let r = ratio.map(|r| format!("{r:.2}")).unwrap_or_default();
        println!("{name:<58} {v:>12.3} {unit:<10} {r:>8}  {target}");
    }
}
