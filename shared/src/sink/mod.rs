//! Where documents go. The pipeline hands every document to a [`DocSink`]; sinks decide how to
//! frame, batch and deliver them.

mod local;
mod ndjson;

pub use local::{LocalDirSink, LocalDirSummary};
pub use ndjson::NdjsonSink;

use crate::document::Doc;
use std::io;

/// A sink could not take a document.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing to a local file or stream failed.
    #[error("writing {target} failed: {source}")]
    Io { target: String, source: io::Error },
    /// The invocation's deadline is near: stop reading, so the invocation can end cleanly and be
    /// retried instead of being killed.
    #[error("stopped reading {source_name}: the invocation's deadline is near")]
    Deadline { source_name: String },
    /// The delivery side stopped taking documents.
    #[error("the delivery side stopped taking documents")]
    Closed,
}

/// Receives finished documents, one at a time, in input order.
pub trait DocSink {
    /// Takes one document. The bytes are only borrowed: copy what must be kept.
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError>;

    /// Called once after the last document; flushes buffers.
    fn finish(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Keeps every document in memory, for tests and small tools.
#[derive(Debug, Default)]
pub struct MemorySink {
    /// The documents' JSON, in order.
    pub docs: Vec<Vec<u8>>,
}

impl MemorySink {
    /// The documents parsed back into JSON values.
    pub fn values(&self) -> Vec<serde_json::Value> {
        self.docs
            .iter()
            .map(|d| serde_json::from_slice(d).expect("sink holds valid JSON"))
            .collect()
    }
}

impl DocSink for MemorySink {
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError> {
        self.docs.push(doc.json.to_vec());
        Ok(())
    }
}
