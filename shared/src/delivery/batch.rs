//! Packing records into PutRecordBatch calls, within Firehose's hard limits.

use super::Record;
use crate::document::{cap_at_char_boundary, Doc};
use crate::json::ObjectWriter;
use bytes::Bytes;
use std::sync::Arc;

/// Records per PutRecordBatch call (Firehose API reference, PutRecordBatch: "up to 500 records").
pub const MAX_BATCH_RECORDS: usize = 500;
/// Bytes of record data per PutRecordBatch call ("4 MiB per call").
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Bytes per record before base64 ("each record in the request can be as large as 1,000 KB").
pub const MAX_RECORD_BYTES: usize = 1000 * 1024;

/// Turns a document into a record: its JSON plus `\n`. A document too large for one Firehose record
/// is replaced by a smaller one that keeps its identity, says so (`truncated: true`, an `error` of
/// kind `document_too_large` with the original size) and carries as much of the original JSON text
/// as fits in `message`, so it is never sent oversized and never dropped.
pub fn record_from_doc(doc: &Doc<'_>, item: usize, source: &Arc<str>) -> Record {
    let data = if doc.json.len() < MAX_RECORD_BYTES {
        let mut data = Vec::with_capacity(doc.json.len() + 1);
        data.extend_from_slice(doc.json);
        data.push(b'\n');
        data
    } else {
        truncated(doc)
    };
    Record {
        data: Bytes::from(data),
        event_id: doc.event_id.to_owned(),
        log_type: doc.log_type,
        item,
        source: Arc::clone(source),
    }
}

fn truncated(doc: &Doc<'_>) -> Vec<u8> {
    let original = String::from_utf8_lossy(doc.json);
    let mut keep = MAX_RECORD_BYTES - 1024;
    loop {
        let mut out = Vec::with_capacity(MAX_RECORD_BYTES);
        let mut w = ObjectWriter::begin(&mut out);
        w.str("@timestamp", doc.timestamp.as_str());
        w.str("log_type", doc.log_type);
        w.str("event_id", doc.event_id);
        w.bool("truncated", true);
        let mut e = w.object("error");
        e.str("kind", "document_too_large");
        e.str(
            "message",
            "the document is larger than Firehose's 1,000 KiB record limit; the start of its JSON is kept in `message`",
        );
        e.u64("original_bytes", doc.json.len() as u64);
        e.end();
        w.str("message", cap_at_char_boundary(&original, keep));
        w.end();
        out.push(b'\n');
        if out.len() <= MAX_RECORD_BYTES {
            return out;
        }
        // Escaping made it longer than planned: keep proportionally less and try again.
        keep = (keep as u64 * (MAX_RECORD_BYTES as u64 - 4096) / out.len() as u64) as usize;
    }
}

/// Packs records into batches that respect [`MAX_BATCH_RECORDS`] and [`MAX_BATCH_BYTES`].
#[derive(Debug, Default)]
pub struct BatchBuilder {
    records: Vec<Record>,
    bytes: usize,
}

impl BatchBuilder {
    /// Adds a record (at most [`MAX_RECORD_BYTES`]); returns the batch it closed, if it did not fit.
    pub fn push(&mut self, record: Record) -> Option<Vec<Record>> {
        let full = !self.records.is_empty()
            && (self.records.len() == MAX_BATCH_RECORDS || self.bytes + record.data.len() > MAX_BATCH_BYTES);
        let closed = if full { self.take() } else { None };
        self.bytes += record.data.len();
        self.records.push(record);
        closed
    }

    /// Records in the batch being filled.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the batch being filled is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes of record data in the batch being filled.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The batch being filled, if any.
    pub fn take(&mut self) -> Option<Vec<Record>> {
        self.bytes = 0;
        (!self.records.is_empty()).then(|| std::mem::take(&mut self.records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn doc_of(json: &[u8]) -> Doc<'_> {
        Doc {
            json,
            log_type: "alb",
            timestamp: Timestamp::parse_rfc3339_utc("2026-11-22T05:00:00Z").unwrap(),
            event_id: "id-1",
            is_error: false,
        }
    }

    fn record(size: usize) -> Record {
        // {"m":"xxx…"} of exactly `size` bytes
        let json = format!("{{\"m\":\"{}\"}}", "x".repeat(size.saturating_sub(8)));
        assert_eq!(json.len(), size);
        record_from_doc(&doc_of(json.as_bytes()), 0, &Arc::from("s"))
    }

    #[test]
    fn batches_respect_count_and_byte_limits() {
        // 1,234 records, some of 999 KiB (reliability test plan row 6)
        let mut builder = BatchBuilder::default();
        let mut batches = Vec::new();
        for i in 0..1234 {
            let size = if i % 100 == 7 { 999 * 1024 } else { 300 };
            batches.extend(builder.push(record(size)));
        }
        batches.extend(builder.take());
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 1234);
        for b in &batches {
            assert!(b.len() <= MAX_BATCH_RECORDS);
            let bytes: usize = b.iter().map(|r| r.data.len()).sum();
            assert!(bytes <= MAX_BATCH_BYTES, "{bytes}");
            assert!(b.iter().all(|r| r.data.len() <= MAX_RECORD_BYTES));
        }
        assert!(batches.len() >= 3);
    }

    #[test]
    fn record_at_the_limit_is_kept_and_one_byte_more_is_truncated() {
        // reliability test plan row 7: 1,024,000 bytes with the delimiter is sent as is
        let exact = record(MAX_RECORD_BYTES - 1);
        assert_eq!(exact.data.len(), MAX_RECORD_BYTES);
        assert!(!exact.data.windows(9).any(|w| w == b"truncated"));
        let one_more = record(MAX_RECORD_BYTES);
        assert!(one_more.data.len() <= MAX_RECORD_BYTES);
        assert!(one_more.data.windows(9).any(|w| w == b"truncated"));

        let json = format!("{{\"m\":\"{}\"}}", "\\\"".repeat(MAX_RECORD_BYTES / 2 + 100));
        let over = record_from_doc(&doc_of(json.as_bytes()), 3, &Arc::from("s"));
        assert!(over.data.len() <= MAX_RECORD_BYTES, "{}", over.data.len());
        assert_eq!(over.item, 3);
        let v: serde_json::Value = serde_json::from_slice(&over.data).unwrap();
        assert_eq!(v["truncated"], true);
        assert_eq!(v["event_id"], "id-1");
        assert_eq!(v["error"]["kind"], "document_too_large");
        assert_eq!(v["error"]["original_bytes"], json.len());
        assert!(json.starts_with(v["message"].as_str().unwrap()));
        assert!(v["message"].as_str().unwrap().len() > 200_000);
    }
}
