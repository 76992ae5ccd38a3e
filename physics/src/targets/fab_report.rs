//! Reports of FAB runs on the problems of [`super::fab`]: [`FabRunReport`], what `diffhep fab`
//! prints (text by [`Display`](fmt::Display), JSON by [`Serialize`]) and writes to
//! `metrics.json`, and [`FabComparisonRow`], one row of the comparison table of the `fab_table`
//! example.

use std::fmt;

use diffhep::fab::WeightMetrics;
use serde::Serialize;

use super::fab::ProcessTarget;

/// What one FAB training run and its importance-sampling evaluation measured.
///
/// The fields are in alphabetical order so that the serialised keys keep the order `diffhep
/// fab --json` and `metrics.json` have always had. The matrix-element fields (`lhe`,
/// `sigma_pb`, `sigma_err_pb`, `sqrt_s_gev`, `unweighted_events`) are set for the
/// matrix-element problems only and left out of the JSON otherwise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FabRunReport {
    /// Path of the written checkpoint.
    pub checkpoint: String,
    /// Flow draws of the evaluation.
    pub eval_points: usize,
    /// The exact log Z, when the target knows it.
    pub exact_log_z: Option<f64>,
    /// Loss of the last training iteration (none without iterations).
    pub final_loss: Option<f64>,
    /// Path of the written flow.
    pub flow: String,
    /// Training iterations run so far (including those before a resume).
    pub iterations: usize,
    /// Path of the written LHE file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lhe: Option<String>,
    /// Estimated log Z.
    pub log_z: f64,
    /// Standard error of log Z.
    pub log_z_err: f64,
    /// Training method name.
    pub method: String,
    /// Sampling efficiency (Σw)²/(NΣw²) of the evaluation.
    pub sampling_efficiency: f64,
    /// Training seed.
    pub seed: u64,
    /// Error of σ in pb.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_err_pb: Option<f64>,
    /// Cross section σ in pb.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_pb: Option<f64>,
    /// Training steps skipped for a non-finite gradient.
    pub skipped_steps: usize,
    /// Centre-of-mass energy in GeV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqrt_s_gev: Option<f64>,
    /// Problem name.
    pub target: String,
    /// Training wall time in seconds.
    pub train_wall_s: f64,
    /// Target evaluations spent on training.
    pub training_target_evals: u64,
    /// Events in the LHE file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unweighted_events: Option<usize>,
    /// Unweighting efficiency mean(w)/max(w) of the evaluation.
    pub unweighting_efficiency: f64,
}

impl fmt::Display for FabRunReport {
    /// The text report of `diffhep fab` (several lines, no final newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "target                 {}", self.target)?;
        writeln!(
            f,
            "method                 {} ({} iterations, seed {})",
            self.method, self.iterations, self.seed
        )?;
        writeln!(
            f,
            "training               {:.1} s, {} target evaluations",
            self.train_wall_s, self.training_target_evals
        )?;
        match self.exact_log_z {
            Some(z) => writeln!(
                f,
                "log Z                  {:.5} ± {:.5}  (exact {z:.5})",
                self.log_z, self.log_z_err
            )?,
            None => writeln!(
                f,
                "log Z                  {:.5} ± {:.5}",
                self.log_z, self.log_z_err
            )?,
        }
        // As in the JSON, where a non-finite number is null, σ is shown only when finite.
        if let (Some(s), Some(e)) = (self.sigma_pb, self.sigma_err_pb) {
            if s.is_finite() && e.is_finite() {
                writeln!(f, "σ                      {s:.6e} ± {e:.2e} pb")?;
            }
        }
        writeln!(
            f,
            "sampling efficiency    {:.4}  ({} flow draws)",
            self.sampling_efficiency, self.eval_points
        )?;
        write!(
            f,
            "unweighting efficiency {:.4}",
            self.unweighting_efficiency
        )
    }
}

/// One row of a comparison of samplers at equal training budgets (the `fab_table` example):
/// method, training target evaluations, wall time, efficiencies and the estimate (σ in pb for
/// matrix elements, log Z otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct FabComparisonRow {
    /// Sampler name.
    pub method: String,
    /// Target evaluations (or exact samples) spent on training.
    pub target_evals: u64,
    /// Training wall time in seconds.
    pub wall_s: f64,
    /// Importance-weight diagnostics of the evaluation.
    pub metrics: WeightMetrics,
    /// Whether the target is a matrix element (estimate shown as σ in pb).
    pub matrix_element: bool,
}

impl FabComparisonRow {
    /// The table's header (two lines of a Markdown table, no final newline).
    pub const HEADER: &'static str =
        "| method                 | trn evals | wall (s) | samp.  | unw.   | estimate |\n\
         | ---------------------- | --------- | -------- | ------ | ------ | -------- |";
}

impl fmt::Display for FabComparisonRow {
    /// One Markdown table row (no final newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.metrics;
        let z = if self.matrix_element {
            let (s, e) = ProcessTarget::sigma(m);
            format!("σ = {s:.5} ± {e:.5} pb")
        } else {
            format!("log Z = {:.4} ± {:.4}", m.log_z, m.log_z_err)
        };
        write!(
            f,
            "| {:<22} | {:>9} | {:>8.1} | {:>6.4} | {:>6.4} | {z} |",
            self.method,
            self.target_evals,
            self.wall_s,
            m.sampling_efficiency,
            m.unweighting_efficiency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> WeightMetrics {
        WeightMetrics {
            n: 2000,
            log_z: 7.649_745_993_740_074_5,
            log_z_err: 0.002_582_851_953_806_800_6,
            sampling_efficiency: 0.986_839_919_958_400_7,
            unweighting_efficiency: 0.696_302_419_289_149_6,
        }
    }

    fn report() -> FabRunReport {
        let m = metrics();
        FabRunReport {
            checkpoint: "out/checkpoint.json".into(),
            eval_points: m.n,
            exact_log_z: None,
            final_loss: Some(-0.0118),
            flow: "out/flow.json".into(),
            iterations: 20,
            lhe: Some("out/events.lhe".into()),
            log_z: m.log_z,
            log_z_err: m.log_z_err,
            method: "fab_buffer".into(),
            sampling_efficiency: m.sampling_efficiency,
            seed: 1,
            sigma_err_pb: Some(5.424_278_589_172_492),
            sigma_pb: Some(2_100.112_080_050_807_4),
            skipped_steps: 0,
            sqrt_s_gev: Some(91.188),
            target: "ee_mumu".into(),
            train_wall_s: 0.61,
            training_target_evals: 23040,
            unweighted_events: Some(1393),
            unweighting_efficiency: m.unweighting_efficiency,
        }
    }

    #[test]
    fn run_report_text_and_json() {
        let r = report();
        assert_eq!(
            r.to_string(),
            "target                 ee_mumu\n\
             method                 fab_buffer (20 iterations, seed 1)\n\
             training               0.6 s, 23040 target evaluations\n\
             log Z                  7.64975 ± 0.00258\n\
             σ                      2.100112e3 ± 5.42e0 pb\n\
             sampling efficiency    0.9868  (2000 flow draws)\n\
             unweighting efficiency 0.6963"
        );
        let keys: Vec<String> = match serde_json::to_value(&r).unwrap() {
            serde_json::Value::Object(o) => o.keys().cloned().collect(),
            _ => panic!("not an object"),
        };
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        // Serialised directly, the keys come in the same (sorted) order.
        let text = serde_json::to_string(&r).unwrap();
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        // Without matrix-element fields they are left out; the exact log Z is shown.
        let plain = FabRunReport {
            lhe: None,
            sigma_pb: None,
            sigma_err_pb: None,
            sqrt_s_gev: None,
            unweighted_events: None,
            exact_log_z: Some(0.0),
            ..r
        };
        let v = serde_json::to_value(&plain).unwrap();
        assert!(v.get("sigma_pb").is_none() && v["exact_log_z"] == 0.0);
        assert!(plain
            .to_string()
            .contains("log Z                  7.64975 ± 0.00258  (exact 0.00000)\nsampling"));
    }

    #[test]
    fn comparison_row_formats_the_estimate_by_target_kind() {
        let row = FabComparisonRow {
            method: "fab".into(),
            target_evals: 1234,
            wall_s: 2.3,
            metrics: metrics(),
            matrix_element: false,
        };
        assert_eq!(
            row.to_string(),
            "| fab                    |      1234 |      2.3 | 0.9868 | 0.6963 | log Z = 7.6497 ± 0.0026 |"
        );
        let me = FabComparisonRow {
            matrix_element: true,
            ..row
        };
        assert!(me.to_string().ends_with("| σ = 2100.11208 ± 5.42428 pb |"));
        assert_eq!(FabComparisonRow::HEADER.lines().count(), 2);
    }
}
