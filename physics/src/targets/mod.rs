//! What the learning side consumes: physics problems packaged as targets and tasks.
//!
//! This folder holds the matrix-element targets of FAB on the unit hypercube ([`fab`]) and the
//! e+e- → μ+μ- simulation-based-inference task ([`sbi_ee_mumu`]). It is the top layer of the
//! physics crate: it may import every other folder and the engine; no other folder imports it.

pub mod fab;
pub mod sbi_ee_mumu;
