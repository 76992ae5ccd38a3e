//! VEGAS (in progress).
