//! Les Houches Event files (in progress).
