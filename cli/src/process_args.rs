//! Arguments shared by the subcommands that run a physics process (`xsec`, `events`).

use std::path::PathBuf;

use anyhow::Context as _;
use diffhep_physics::collider::process::{Process, ProcessError};
use diffhep_physics::collider::sm::ParamCard;

/// Process, energy and model parameters.
#[derive(clap::Args, Debug)]
pub struct ProcessArgs {
    /// Process: ee_mumu, ee_ttbar or ee_ttbar_wbwb.
    #[arg(long)]
    pub process: String,
    /// Centre-of-mass energy in GeV (finite, > 0, above the process threshold).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    pub sqrt_s: f64,
    /// Param card (TOML, or JSON if the name ends in .json); MadGraph `sm` defaults otherwise.
    #[arg(long)]
    pub param_card: Option<PathBuf>,
}

impl ProcessArgs {
    /// The process and the validated parameters, or a one-line error: the card is read and
    /// validated, and √s is checked against the process threshold for those parameters, before
    /// any point is sampled.
    pub fn resolve(&self) -> anyhow::Result<(Process, ParamCard)> {
        let process: Process = self.process.parse()?;
        let card = match &self.param_card {
            Some(p) => {
                ParamCard::from_path(p).with_context(|| format!("--param-card {}", p.display()))?
            }
            None => ParamCard::default(),
        };
        let threshold = process.threshold(&card.to_params::<f64>());
        if self.sqrt_s <= threshold {
            return Err(ProcessError::BelowThreshold {
                process: process.name(),
                sqrt_s: self.sqrt_s,
                threshold,
            })
            .context("--sqrt-s");
        }
        Ok((process, card))
    }
}
