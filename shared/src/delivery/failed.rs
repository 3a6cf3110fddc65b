//! The failed-record store: what could not be delivered, kept as gzip NDJSON in S3.
//!
//! Objects are written to `<prefix>YYYY/MM/DD/HH/<name>-<run>-NNNN.ndjson.gz` (UTC hour of writing),
//! one line per record:
//!
//! ```json
//! {"failed_at":"2026-11-22T05:10:00.000Z","reason":"retries_exhausted","error_code":"ServiceUnavailableException",
//!  "error_message":"Slow down.","attempts":8,"source":"s3://bucket/key","item":0,"event_id":"…","log_type":"alb",
//!  "document":{…the document…}}
//! ```
//!
//! Input that never became a document (a Kinesis record that is neither gzip nor JSON, a payload
//! from an account that is not allowed) is kept whole as `raw_base64` instead of `document`.
//! Entries are buffered and written once [`FLUSH_BYTES`] accumulate, so memory stays bounded during
//! a long outage; [`FailedRecordStore::flush`] writes the rest. If a write fails, the caller must
//! fail the invocation so AWS retries it: the store is the last place a record can go.

use crate::json::ObjectWriter;
use crate::timestamp::Timestamp;
use base64::Engine;
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::BTreeSet;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::Mutex;

/// Uncompressed bytes of entries buffered before an object is written.
pub const FLUSH_BYTES: usize = 8 << 20;

/// Why a record is in the failed-record store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// Firehose kept rejecting it until the attempts ran out.
    RetriesExhausted,
    /// The Lambda deadline came before Firehose accepted it.
    Deadline,
    /// Firehose refused the call in a way that retrying cannot fix (no such stream, access denied).
    NotRetryable,
    /// Input that cannot be processed at all (not gzip, not JSON).
    Unprocessable,
    /// A CloudWatch Logs payload whose `owner` is not in `LOGPIPE_ALLOWED_ACCOUNTS`.
    ForeignOwner,
}

impl FailureReason {
    /// The `reason` written in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::RetriesExhausted => "retries_exhausted",
            FailureReason::Deadline => "deadline",
            FailureReason::NotRetryable => "not_retryable",
            FailureReason::Unprocessable => "unprocessable",
            FailureReason::ForeignOwner => "foreign_owner",
        }
    }
}

/// What is kept of the failed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A logpipe document (JSON, with or without its trailing newline).
    Document(Bytes),
    /// Input bytes that never became a document.
    Raw(Bytes),
}

/// One record for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    /// Why.
    pub reason: FailureReason,
    /// The last error code, if there was one.
    pub error_code: Option<String>,
    /// The last error message or a description.
    pub error_message: String,
    /// Delivery attempts made (0 for input that was never sent).
    pub attempts: u32,
    /// The input it came from (`s3://bucket/key`, a Kinesis `eventID`).
    pub source: String,
    /// Index of the input item.
    pub item: usize,
    /// The document's `event_id`, when there is a document.
    pub event_id: Option<String>,
    /// The document's `log_type`, when there is a document.
    pub log_type: Option<&'static str>,
    /// The record itself.
    pub payload: Payload,
}

impl FailedEntry {
    /// Appends this entry as one JSON line.
    pub fn write_line(&self, failed_at: &Timestamp, out: &mut Vec<u8>) {
        let mut w = ObjectWriter::begin(out);
        w.str("failed_at", failed_at.as_str());
        w.str("reason", self.reason.as_str());
        w.opt_str("error_code", self.error_code.as_deref());
        w.str("error_message", &self.error_message);
        w.u64("attempts", u64::from(self.attempts));
        w.str("source", &self.source);
        w.u64("item", self.item as u64);
        w.opt_str("event_id", self.event_id.as_deref());
        w.opt_str("log_type", self.log_type);
        match &self.payload {
            Payload::Document(doc) => match std::str::from_utf8(doc.trim_ascii_end()) {
                // Our own documents are valid JSON: embed them as they are.
                Ok(json) if json.starts_with('{') => w.raw("document", json),
                _ => w.str("raw_base64", &base64::engine::general_purpose::STANDARD.encode(doc)),
            },
            Payload::Raw(raw) => w.str("raw_base64", &base64::engine::general_purpose::STANDARD.encode(raw)),
        }
        w.end();
        out.push(b'\n');
    }
}

/// Writing to the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No bucket configured (`LOGPIPE_FAILED_BUCKET`), and something needed storing.
    #[error(
        "{records} records could not be delivered and no failed-record bucket is configured (LOGPIPE_FAILED_BUCKET)"
    )]
    NotConfigured { records: u64 },
    /// The object could not be written.
    #[error("writing s3://{bucket}/{key} failed: {message}")]
    Write {
        bucket: String,
        key: String,
        message: String,
    },
}

/// Writes whole objects: S3 in production, a local folder for the CLI, fakes in tests.
pub trait ObjectStore: Send + Sync + 'static {
    /// Writes `body` (gzip'd NDJSON) at `bucket`/`key`.
    fn put_object(&self, bucket: &str, key: &str, body: Bytes) -> impl Future<Output = Result<(), String>> + Send;
}

/// Entries that could not be written, and the input items they came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{records} records from {} input items could not be stored: {error}", items.len())]
pub struct StoreFailure {
    /// Why.
    pub error: StoreError,
    /// Items whose records were lost for this run (AWS must retry them).
    pub items: BTreeSet<usize>,
    /// How many records.
    pub records: u64,
}

struct Buffer {
    gz: GzEncoder<Vec<u8>>,
    raw_bytes: usize,
    records: u64,
    items: BTreeSet<usize>,
    line: Vec<u8>,
}

impl Buffer {
    fn new() -> Self {
        Buffer {
            gz: GzEncoder::new(Vec::new(), Compression::default()),
            raw_bytes: 0,
            records: 0,
            items: BTreeSet::new(),
            line: Vec::new(),
        }
    }
}

/// Buffers failed entries and writes them as gzip NDJSON objects.
pub struct FailedRecordStore<O> {
    store: O,
    bucket: Option<String>,
    prefix: String,
    name: String,
    run: String,
    seq: AtomicU32,
    buffer: Mutex<Buffer>,
    stored: std::sync::atomic::AtomicU64,
}

impl<O: ObjectStore> FailedRecordStore<O> {
    /// A store writing to `bucket` under `prefix` (`failed/` when empty); objects are named after
    /// `name` (the function) and `run` (the request id). Without a bucket, storing anything fails.
    pub fn new(store: O, bucket: Option<String>, prefix: &str, name: &str, run: &str) -> Self {
        let mut prefix = if prefix.is_empty() {
            "failed/".to_owned()
        } else {
            prefix.to_owned()
        };
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        FailedRecordStore {
            store,
            bucket,
            prefix,
            name: name.to_owned(),
            run: run.to_owned(),
            seq: AtomicU32::new(0),
            buffer: Mutex::new(Buffer::new()),
            stored: Default::default(),
        }
    }

    /// Adds entries; writes an object when enough are buffered.
    pub async fn add(&self, entries: impl IntoIterator<Item = FailedEntry>) -> Result<(), StoreFailure> {
        let now = Timestamp::now();
        let full = {
            let mut buf = self.buffer.lock().await;
            for entry in entries {
                let b = &mut *buf;
                b.line.clear();
                entry.write_line(&now, &mut b.line);
                b.raw_bytes += b.line.len();
                b.records += 1;
                b.items.insert(entry.item);
                let Buffer { gz, line, .. } = b;
                // Writing into a Vec cannot fail.
                let _ = gz.write_all(line);
            }
            if buf.raw_bytes >= FLUSH_BYTES {
                Some(std::mem::replace(&mut *buf, Buffer::new()))
            } else {
                None
            }
        };
        match full {
            Some(buf) => self.write(buf).await,
            None => Ok(()),
        }
    }

    /// Writes whatever is buffered.
    pub async fn flush(&self) -> Result<(), StoreFailure> {
        let buf = std::mem::replace(&mut *self.buffer.lock().await, Buffer::new());
        if buf.records == 0 {
            return Ok(());
        }
        self.write(buf).await
    }

    /// Records written to the store so far.
    pub fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    async fn write(&self, buf: Buffer) -> Result<(), StoreFailure> {
        let Buffer { gz, records, items, .. } = buf;
        let fail = |error| StoreFailure {
            error,
            items: items.clone(),
            records,
        };
        let Some(bucket) = &self.bucket else {
            return Err(fail(StoreError::NotConfigured { records }));
        };
        let body = gz.finish().map_err(|e| {
            fail(StoreError::Write {
                bucket: bucket.clone(),
                key: String::new(),
                message: e.to_string(),
            })
        })?;
        let now = Timestamp::now();
        let t = now.as_str();
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let key = format!(
            "{}{}/{}/{}/{}/{}-{}-{n:04}.ndjson.gz",
            self.prefix,
            &t[..4],
            &t[5..7],
            &t[8..10],
            &t[11..13],
            self.name,
            self.run
        );
        self.store
            .put_object(bucket, &key, Bytes::from(body))
            .await
            .map_err(|message| {
                fail(StoreError::Write {
                    bucket: bucket.clone(),
                    key: key.clone(),
                    message,
                })
            })?;
        self.stored.fetch_add(records, Ordering::Relaxed);
        tracing::warn!(bucket = %bucket, key = %key, records, "Wrote undeliverable records to the failed-record store.");
        Ok(())
    }
}

/// An [`ObjectStore`] in memory, for tests: keeps every object written, or fails every write
/// ([`MemoryStore::failing`], as S3 answering 500 would).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    objects: std::sync::Arc<std::sync::Mutex<Vec<(String, String, Bytes)>>>,
    puts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    fail: bool,
}

impl MemoryStore {
    /// A store whose every write fails.
    pub fn failing() -> Self {
        MemoryStore {
            fail: true,
            ..Self::default()
        }
    }

    /// The objects written: (bucket, key, body).
    pub fn objects(&self) -> Vec<(String, String, Bytes)> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Write attempts, failed ones included.
    pub fn puts(&self) -> usize {
        self.puts.load(Ordering::Relaxed)
    }

    /// Every stored line (objects gunzipped), parsed.
    pub fn entries(&self) -> Vec<serde_json::Value> {
        let mut entries = Vec::new();
        for (_, _, body) in self.objects() {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&body[..]), &mut text);
            entries.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
        entries
    }
}

impl ObjectStore for MemoryStore {
    async fn put_object(&self, bucket: &str, key: &str, body: Bytes) -> Result<(), String> {
        self.puts.fetch_add(1, Ordering::Relaxed);
        if self.fail {
            return Err("InternalError: We encountered an internal error. Please try again. (injected)".into());
        }
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((bucket.to_owned(), key.to_owned(), body));
        Ok(())
    }
}
