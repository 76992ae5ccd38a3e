//! [`TaskRegistry`]: tasks by name, extensible by other crates.
//!
//! The registry holds named constructors. [`TaskRegistry::new`] has the engine's tasks
//! ([`super::tasks`]); a crate with more tasks adds them with [`TaskRegistry::register`] (the
//! physics crate's `diffhep_physics::targets::register_sbi_tasks` adds `ee_mumu`), and a command
//! line asks the registry for the task it was given.

use std::fmt;

use super::error::{Result, SbiError};
use super::task::Task;
use super::tasks::{Galton, GaussianLinear, Slcp, TwoMoons};

/// A constructor of a task.
pub type TaskFactory = dyn Fn() -> Box<dyn Task> + Send + Sync;

/// Named task constructors, in registration order.
pub struct TaskRegistry {
    entries: Vec<(&'static str, Box<TaskFactory>)>,
}

impl TaskRegistry {
    /// A registry without tasks.
    pub fn empty() -> Self {
        TaskRegistry {
            entries: Vec::new(),
        }
    }

    /// The engine's tasks: `two_moons`, `gaussian_linear`, `slcp` and `galton`.
    pub fn new() -> Self {
        let mut r = TaskRegistry::empty();
        r.register("two_moons", || Box::new(TwoMoons::new()))
            .register("gaussian_linear", || Box::new(GaussianLinear::new()))
            .register("slcp", || Box::new(Slcp::new()))
            .register("galton", || Box::new(Galton::new()));
        r
    }

    /// Register a task under `name` (which should be the task's [`Task::name`]). A name that is
    /// already registered keeps its place in [`TaskRegistry::names`] and gets the new
    /// constructor.
    pub fn register<F>(&mut self, name: &'static str, factory: F) -> &mut Self
    where
        F: Fn() -> Box<dyn Task> + Send + Sync + 'static,
    {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = Box::new(factory),
            None => self.entries.push((name, Box::new(factory))),
        }
        self
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|(n, _)| *n).collect()
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| *n == name)
    }

    /// A new instance of the task `name`; an unknown name is an [`SbiError::Unknown`] listing
    /// every registered task.
    pub fn create(&self, name: &str) -> Result<Box<dyn Task>> {
        match self.entries.iter().find(|(n, _)| *n == name) {
            Some((_, factory)) => Ok(factory()),
            None => Err(SbiError::Unknown(format!(
                "task {name:?} (known: {})",
                self.names().join(", ")
            ))),
        }
    }
}

impl Default for TaskRegistry {
    /// [`TaskRegistry::new`]: the engine's tasks.
    fn default() -> Self {
        TaskRegistry::new()
    }
}

impl fmt::Debug for TaskRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRegistry")
            .field("names", &self.names())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_creates_its_tasks_and_lists_them_for_unknown_names() {
        let mut r = TaskRegistry::new();
        assert_eq!(
            r.names(),
            ["two_moons", "gaussian_linear", "slcp", "galton"]
        );
        for name in r.names() {
            assert_eq!(r.create(name).unwrap().name(), name);
        }
        let e = r.create("abc").err().expect("unknown task").to_string();
        assert_eq!(
            e,
            "unknown task \"abc\" (known: two_moons, gaussian_linear, slcp, galton)"
        );
        // Re-registering keeps the order; a new name is appended.
        r.register("slcp", || Box::new(TwoMoons::new()))
            .register("moons_again", || Box::new(TwoMoons::new()));
        assert_eq!(r.create("slcp").unwrap().name(), "two_moons");
        assert_eq!(
            r.names(),
            [
                "two_moons",
                "gaussian_linear",
                "slcp",
                "galton",
                "moons_again"
            ]
        );
        assert!(r.contains("moons_again") && !r.contains("abc"));
        assert!(TaskRegistry::empty().create("two_moons").is_err());
    }
}
