//! Arguments shared by the subcommands that run a physics process (`xsec`, `events`).

use std::path::PathBuf;

use anyhow::Context as _;
use diffhep_physics::collider::amplitude::model::WidthScheme;
use diffhep_physics::collider::cuts::Cuts;
use diffhep_physics::collider::process::{Process, ProcessError};
use diffhep_physics::collider::sm::ParamCard;

/// Process, energy and model parameters.
#[derive(clap::Args, Debug)]
pub struct ProcessArgs {
    /// Process: ee_mumu, ee_ttbar, ee_ttbar_wbwb, or any MadGraph-style process string with two
    /// massless beams, e.g. "e+ e- > mu+ mu- a" or "u u~ > e+ e- g" (all tree diagrams).
    #[arg(long)]
    pub process: String,
    /// Generation cut NAME=VALUE for a process string (MadGraph run-card names: ptj, ptb, pta,
    /// ptl, etaj, etab, etaa, etal, drjj, drbb, drll, draa, drbj, draj, drjl, dral, mmjj, mmll);
    /// repeatable; applied after --run-card. Defaults: MadGraph's LO run card.
    #[arg(long = "cut", value_name = "NAME=VALUE")]
    pub cuts: Vec<String>,
    /// Run card (TOML with cut names as keys, e.g. `ptj = 30.0`) for a process string.
    #[arg(long)]
    pub run_card: Option<PathBuf>,
    /// Complex-mass scheme for the widths of W, Z, t and H (process strings; fixed widths
    /// otherwise).
    #[arg(long)]
    pub complex_mass: bool,
    /// Centre-of-mass energy in GeV (finite, > 0, above the process threshold).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    pub sqrt_s: f64,
    /// Param card (SLHA param_card.dat, TOML, or JSON if the name ends in .json); MadGraph `sm`
    /// defaults otherwise.
    #[arg(long)]
    pub param_card: Option<PathBuf>,
}

/// The param card of `--param-card`, or MadGraph's `sm` defaults without one.
pub fn read_card(path: Option<&std::path::Path>) -> anyhow::Result<ParamCard> {
    Ok(match path {
        Some(p) => {
            ParamCard::from_path(p).with_context(|| format!("--param-card {}", p.display()))?
        }
        None => ParamCard::default(),
    })
}

impl ProcessArgs {
    /// The process and the validated parameters, or a one-line error: the card is read and
    /// validated, and √s is checked against the process threshold for those parameters, before
    /// any point is sampled.
    pub fn resolve(&self) -> anyhow::Result<(Process, ParamCard)> {
        let process: Process = if self.process.contains('>') {
            let mut cuts = match &self.run_card {
                Some(p) => Cuts::from_path(p)?,
                None => Cuts::default(),
            };
            for c in &self.cuts {
                cuts.apply(c).context("--cut")?;
            }
            let scheme = if self.complex_mass {
                WidthScheme::ComplexMass
            } else {
                WidthScheme::Fixed
            };
            Process::from_string(&self.process, cuts)?.with_width_scheme(scheme)
        } else {
            if !self.cuts.is_empty() || self.run_card.is_some() || self.complex_mass {
                anyhow::bail!(
                    "--cut, --run-card and --complex-mass apply to process strings; {} is a hand-written process",
                    self.process
                );
            }
            self.process.parse()?
        };
        let card = read_card(self.param_card.as_deref())?;
        let threshold = process.threshold(&card.to_params::<f64>());
        if self.sqrt_s <= threshold {
            return Err(ProcessError::BelowThreshold {
                process: process.name().to_string(),
                sqrt_s: self.sqrt_s,
                threshold,
            })
            .context("--sqrt-s");
        }
        Ok((process, card))
    }
}
