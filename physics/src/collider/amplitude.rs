//! A general tree-level amplitude engine: any Standard-Model process from a MadGraph-style
//! process string, differentiable in every number type.
//!
//! The pieces: the model as data ([`model`]), the Lorentz rules ([`vertices`]), colour flows and
//! the colour matrix ([`colour`]), the Berends–Giele recursion compiled into a program
//! ([`program`]), its evaluation ([`evaluate`]), one subprocess with its averages
//! ([`subprocess`]), the process-string syntax ([`syntax`]) and the subprocesses of a process string
//! ([`matrix_element`]).

pub mod collision;
pub mod colour;
pub mod evaluate;
pub mod lanes;
pub mod matrix_element;
pub mod model;
pub mod program;
pub mod subprocess;
pub mod syntax;
#[cfg(test)]
mod validation;
pub mod vertices;
