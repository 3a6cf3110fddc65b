//! Delivery of documents to Amazon Data Firehose, with nothing lost.
//!
//! ```text
//! pipeline thread                      async side (tokio)
//! DocSink ── BatchingSink ── batches ──▶ Shipper ── ≤ N calls in flight ──▶ RecordSink (FirehoseSink)
//!            (one per stream,                │                               each batch to its stream,
//!             ≤ 500 records, ≤ 4 MiB,        │                               retries only failed entries
//!             each ≤ 1,000 KiB)              └── what stays undeliverable ──▶ FailedRecordStore (S3, gzip NDJSON)
//! ```
//!
//! Documents go to the delivery stream of their `log_type` ([`route`]: `LOGPIPE_DELIVERY_STREAMS`,
//! else `LOGPIPE_DELIVERY_STREAM`); a batch only ever holds records of one stream.
//!
//! Every document ends delivered or in the failed-record store; if the store cannot be written
//! either, [`ship::ShipError`] says which input items are affected so the caller fails the
//! invocation (or reports those items) and AWS retries.

pub mod batch;
pub mod failed;
pub mod firehose;
pub mod retry;
pub mod route;
pub mod ship;

pub use batch::{BatchBuilder, MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES};
pub use failed::{
    FailedEntry, FailedRecordStore, FailureReason, MemoryStore, ObjectStore, Payload, StoreError, StoreFailure,
};
pub use firehose::{CallError, EntryError, FirehoseApi, FirehoseSink};
pub use retry::RetryPolicy;
pub use route::{StreamMap, StreamMapError, StreamRouter};
pub use ship::{BatchingSink, ShipError, ShipReport, Shipper, MAX_HELD_BYTES};

use bytes::Bytes;
use std::future::Future;
use std::sync::Arc;
use tokio::time::Instant;

/// One Firehose record: a document (with its trailing `\n`) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The document's JSON followed by `\n`, so that Firehose's S3 backup holds NDJSON.
    pub data: Bytes,
    /// The document's `event_id`.
    pub event_id: String,
    /// The document's `log_type`.
    pub log_type: &'static str,
    /// Index of the input item the document came from (the S3 object, the Kinesis record), so a
    /// failure can be traced back to the item AWS should retry.
    pub item: usize,
    /// The input's name (`s3://bucket/key`, a Kinesis `eventID`).
    pub source: Arc<str>,
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Firehose accepted it.
    Delivered,
    /// Firehose did not accept it, after `attempts` tries; it goes to the failed-record store.
    Failed {
        /// Why delivery stopped.
        reason: FailureReason,
        /// The last error code (`ServiceUnavailableException`, …).
        code: String,
        /// The last error message.
        message: String,
        /// How many times it was sent.
        attempts: u32,
    },
}

/// The result of delivering one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResult {
    /// One outcome per record, in the batch's order.
    pub outcomes: Vec<Outcome>,
    /// PutRecordBatch calls made.
    pub calls: u32,
    /// Records sent again after a failure.
    pub resent: u64,
}

/// Where batches go: Firehose in production, a local folder for `logpipe invoke`, fakes in tests.
pub trait RecordSink: Send + Sync + 'static {
    /// The time one delivery call may take; producers stop this long before the deadline so that
    /// what they produced can still be sent.
    fn call_budget(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// Which batch a record of `log_type` belongs to: the batching side never puts records of two
    /// routes into one batch, so that a sink can send each batch to one destination (the
    /// [`FirehoseSink`] to the route's delivery stream). One route (0) unless the sink routes.
    fn route(&self, log_type: &str) -> usize {
        let _ = log_type;
        0
    }

    /// Delivers one batch (at most [`MAX_BATCH_RECORDS`] records and [`MAX_BATCH_BYTES`]), retrying
    /// as it sees fit but giving up in time to finish before `deadline`. Returns one outcome per
    /// record; it never drops one.
    fn deliver(&self, records: &[Record], deadline: Instant) -> impl Future<Output = BatchResult> + Send;
}
