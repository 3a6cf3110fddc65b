//! Running the functions on a laptop: records go to a local folder instead of Firehose.

use crate::delivery::{BatchResult, Outcome, Record, RecordSink};
use crate::document::Doc;
use crate::sink::{DocSink, LocalDirSink};
use crate::timestamp::Timestamp;
use std::sync::Mutex;
use tokio::time::Instant;

/// A [`RecordSink`] writing into a [`LocalDirSink`] (archive + `_bulk` files). Every record is
/// "delivered" unless the disk write fails.
pub struct LocalRecordSink {
    inner: Mutex<LocalDirSink>,
}

impl LocalRecordSink {
    /// Wraps a local folder sink.
    pub fn new(inner: LocalDirSink) -> Self {
        LocalRecordSink {
            inner: Mutex::new(inner),
        }
    }

    /// Flushes the files and says what was written.
    pub fn finish(&self) -> Result<crate::sink::LocalDirSummary, crate::sink::SinkError> {
        let mut sink = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        sink.finish()?;
        Ok(sink.summary().clone())
    }
}

/// The `@timestamp` at the start of a logpipe document.
fn leading_timestamp(json: &[u8]) -> Option<Timestamp> {
    let rest = json.strip_prefix(b"{\"@timestamp\":\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    Timestamp::parse_rfc3339_utc(std::str::from_utf8(&rest[..end]).ok()?)
}

impl RecordSink for LocalRecordSink {
    async fn deliver(&self, records: &[Record], _deadline: Instant) -> BatchResult {
        let mut sink = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let outcomes = records
            .iter()
            .map(|r| {
                let json = r.data.strip_suffix(b"\n").unwrap_or(&r.data);
                let doc = Doc {
                    json,
                    log_type: r.log_type,
                    timestamp: leading_timestamp(json).unwrap_or_else(Timestamp::now),
                    event_id: &r.event_id,
                    is_error: false,
                };
                match sink.accept(doc) {
                    Ok(()) => Outcome::Delivered,
                    Err(e) => Outcome::Failed {
                        reason: crate::delivery::FailureReason::NotRetryable,
                        code: "LocalWriteFailed".into(),
                        message: e.to_string(),
                        attempts: 1,
                    },
                }
            })
            .collect();
        BatchResult {
            outcomes,
            calls: 1,
            resent: 0,
        }
    }
}
