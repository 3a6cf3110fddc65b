//! Format detection from an input's first bytes (`--format auto`).
use super::Format;

/// The format of an input whose decoded content starts with `head`; `None` when nothing matches.
pub fn detect(_head: &[u8]) -> Option<Format> {
    None
}
