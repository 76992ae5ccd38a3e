//! Rust errors as Python exceptions: the message is the error's own text followed by each cause
//! that the text does not already contain, so nothing of the chain is lost.

use std::error::Error;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;

/// The error's message with its causes appended (`outer: cause: root cause`).
pub fn message(e: &(dyn Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let m = c.to_string();
        if !text.contains(&m) {
            text.push_str(": ");
            text.push_str(&m);
        }
        cause = c.source();
    }
    text
}

/// `ValueError("{context}: {message}")` — bad input.
pub fn value_error(context: &str, e: &(dyn Error + 'static)) -> PyErr {
    PyValueError::new_err(format!("{context}: {}", message(e)))
}

/// `RuntimeError("{context}: {message}")` — a computation that failed on valid input.
pub fn runtime_error(context: &str, e: &(dyn Error + 'static)) -> PyErr {
    PyRuntimeError::new_err(format!("{context}: {}", message(e)))
}

/// `ValueError(text)`.
pub fn invalid(text: impl Into<String>) -> PyErr {
    PyValueError::new_err(text.into())
}
