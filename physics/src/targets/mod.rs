//! What the learning side consumes: physics problems packaged as targets and tasks.
//!
//! This folder holds the matrix-element targets of FAB on the unit hypercube ([`fab`], with the
//! reports of FAB runs in [`fab_report`]) and the
//! e+e- → μ+μ- simulation-based-inference task ([`sbi_ee_mumu`]), which
//! [`register_sbi_tasks`] adds to an engine [`TaskRegistry`]. It is the top layer of the
//! physics crate: it may import every other folder and the engine; no other folder imports it.

pub mod fab;
pub mod fab_report;
pub mod sbi_ee_mumu;

use diffhep::sbi::TaskRegistry;

/// Add this crate's SBI tasks to `registry`: `ee_mumu` ([`sbi_ee_mumu::EeMuMuTask`]).
pub fn register_sbi_tasks(registry: &mut TaskRegistry) -> &mut TaskRegistry {
    registry.register("ee_mumu", || Box::new(sbi_ee_mumu::EeMuMuTask::new()))
}

/// The engine's SBI tasks together with this crate's ([`register_sbi_tasks`]).
pub fn sbi_tasks() -> TaskRegistry {
    let mut registry = TaskRegistry::new();
    register_sbi_tasks(&mut registry);
    registry
}

#[cfg(test)]
mod tests {
    use super::sbi_tasks;

    #[test]
    fn the_registry_has_the_engine_tasks_and_ee_mumu() {
        let tasks = sbi_tasks();
        assert_eq!(
            tasks.names(),
            ["two_moons", "gaussian_linear", "slcp", "galton", "ee_mumu"]
        );
        assert_eq!(tasks.create("ee_mumu").unwrap().name(), "ee_mumu");
    }
}
