//! Newline-delimited JSON to any writer: `logpipe parse` writes this to standard output.

use super::{DocSink, SinkError};
use crate::document::Doc;
use std::io::Write;

/// Writes each document followed by `\n`.
pub struct NdjsonSink<W: Write> {
    out: W,
    name: String,
}

impl<W: Write> NdjsonSink<W> {
    /// `name` names the target in error messages (`stdout`, a file path).
    pub fn new(out: W, name: impl Into<String>) -> Self {
        NdjsonSink { out, name: name.into() }
    }

    fn io(&self, source: std::io::Error) -> SinkError {
        SinkError::Io {
            target: self.name.clone(),
            source,
        }
    }
}

impl<W: Write> DocSink for NdjsonSink<W> {
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError> {
        let r = self.out.write_all(doc.json).and_then(|()| self.out.write_all(b"\n"));
        r.map_err(|e| self.io(e))
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(|e| self.io(e))
    }
}
