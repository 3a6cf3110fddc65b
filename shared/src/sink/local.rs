//! Local folder sink (being written).
use super::{DocSink, SinkError};
use crate::document::Doc;

/// Counts of what a local sink wrote.
#[derive(Debug, Default, Clone)]
pub struct LocalDirSummary {}

/// Writes an archive and `_bulk` files under a folder.
#[derive(Debug)]
pub struct LocalDirSink {}

impl DocSink for LocalDirSink {
    fn accept(&mut self, _doc: Doc<'_>) -> Result<(), SinkError> {
        Ok(())
    }
}
