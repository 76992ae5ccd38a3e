//! Arguments shared by the subcommands that run a physics process (`xsec`, `events`).

use std::path::PathBuf;

use diffhep_physics::collider::process::Process;
use diffhep_physics::collider::sm::ParamCard;

/// Process, energy and model parameters.
#[derive(clap::Args, Debug)]
pub struct ProcessArgs {
    /// Process: ee_mumu, ee_ttbar or ee_ttbar_wbwb.
    #[arg(long)]
    pub process: String,
    /// Centre-of-mass energy in GeV.
    #[arg(long)]
    pub sqrt_s: f64,
    /// Param card (TOML, or JSON if the name ends in .json); MadGraph `sm` defaults otherwise.
    #[arg(long)]
    pub param_card: Option<PathBuf>,
}

impl ProcessArgs {
    /// The process and the validated parameters, or a one-line error.
    pub fn resolve(&self) -> anyhow::Result<(Process, ParamCard)> {
        let process: Process = self.process.parse()?;
        let card = match &self.param_card {
            Some(p) => ParamCard::from_path(p)?,
            None => ParamCard::default(),
        };
        Ok((process, card))
    }
}
