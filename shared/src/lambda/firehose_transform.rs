//! `firehose-transform`: the data-transformation Lambda of a Firehose delivery stream into which
//! applications put their JSON events directly (`PutRecord`/`PutRecordBatch`, or a Kinesis data
//! stream as the delivery stream's source). Firehose invokes it synchronously with a batch of
//! records and expects one answer per record: `recordId`, `result` (`Ok`, `Dropped`,
//! `ProcessingFailed`) and `data` (base64), in the Firehose developer guide's "Required parameters
//! for data transformation".
//!
//! # What each record becomes
//!
//! The record's `data` is base64-decoded; gzip (magic `1f 8b`) is inflated, bounded by
//! `LOGPIPE_MAX_PAYLOAD_BYTES`. Then:
//!
//! | record | result | `data` answered |
//! |---|---|---|
//! | a JSON object (an application event) | `Ok` | one `application` document, as kinesis-relay writes it |
//! | a CloudWatch Logs `DATA_MESSAGE` payload (gzip'd or plain) | `Ok` | its documents (`cloudwatch`, see `formats::cloudwatch`), NDJSON |
//! | a payload that gives no document (`CONTROL_MESSAGE`, no log events) | `Dropped` | empty |
//! | UTF-8 text that is not a JSON object, at most 32 KiB (`MAX_RAW_MESSAGE_BYTES`) | `Ok` | one error document (`application`, `error.kind` = `not_json_object`) holding the whole text |
//! | invalid base64, corrupt or over-limit gzip, binary (not UTF-8), text that is not JSON and longer than 32 KiB | `ProcessingFailed` | the record's original `data` (for `data` that is not base64, which Firehose never sends, the base64 of its text) |
//! | a CloudWatch Logs payload whose documents exceed 1,000 KiB | `Dropped` after its log events were re-ingested as smaller gzip'd payloads | empty |
//! | a record past the response budget | `Dropped` after the original record was re-ingested | empty |
//!
//! Every input `recordId` is answered exactly once, in input order. `ProcessingFailed` makes
//! Firehose write the record (`rawData`, base64 of the original) under the stream's
//! `processing-failed` S3 prefix: nothing is lost, and nothing that could only be kept in part
//! (binary data, a long text the 32 KiB error document would cut) is turned into a document.
//! Text that fits whole becomes an error document instead, following the project's rule that bad
//! input becomes an error document, searchable in OpenSearch.
//!
//! Documents (fields in `docs/schema.md`):
//!
//! | # | input | JSON field | type |
//! |---|---|---|---|
//! | 1 | the event's `@timestamp`, `timestamp` or `time` (RFC 3339 UTC, or epoch ms), else the record's `approximateArrivalTimestamp` | `@timestamp` | RFC 3339 string |
//! | 2 | — | `log_type` | `"application"` (`"cloudwatch"` for payload documents) |
//! | 3 | XXH3-128 of `<delivery stream name>/<recordId>` | `event_id` | string, `<32 hex>-1` |
//! | 4 | the event, compact | `message` | string |
//! | 5 | the event | `json` | object |
//!
//! Error documents carry `@timestamp` = the arrival time, `error.kind` = `not_json_object`,
//! `error.message` (why: not JSON, or JSON that is not an object), `error.source` =
//! `<delivery stream name>/<recordId>`, and the text as `message`. The same record (as Firehose
//! retries it after a failed invocation) gets the same `event_id`s.
//!
//! # One record in, one record out: CloudWatch Logs payloads
//!
//! Firehose's transformation answers each record with one record, so a payload's documents are
//! concatenated as NDJSON (each line one document, ≤ 1,000 KiB, larger ones replaced by their
//! truncated form as `delivery::batch` does). That suits an **S3 destination** only: an OpenSearch
//! destination indexes each record as one document, and AWS states that Firehose does not support
//! delivering CloudWatch Logs to OpenSearch Service for exactly this reason (Firehose developer
//! guide, "Writing to Firehose using CloudWatch Logs"; its built-in CloudWatch Logs decompression
//! and message extraction are documented for S3 destinations, not OpenSearch). So:
//! - a stream with an **OpenSearch destination** (the template's optional `logs-application`) must
//!   carry application events only: subscribe CloudWatch Logs to `cloudwatch-forwarder` or
//!   `kinesis-relay`, which deliver one document per record;
//! - a stream with an **S3 destination** may carry both; its objects are NDJSON.
//!
//! To keep every output record within Firehose's 1,000 KiB record size, a payload whose documents
//! exceed it is split: its log events are re-ingested as 2 or more gzip'd payloads (the envelope
//! repeated, each at most 1,000 KiB), which later invocations transform, and the record is
//! answered `Dropped` (as AWS's CloudWatch Logs processor blueprint does for records that are too
//! large). Log event `id`s are kept, so the documents keep their `event_id`s.
//!
//! # The 6 MB response limit
//!
//! Lambda's synchronous invocations return at most 6 MB, and Firehose's buffer (up to 3 MiB of
//! records) can transform into more than that: an application event's document holds the event
//! twice (`message` and `json`), CloudWatch Logs payloads inflate, and base64 adds a third. The
//! Firehose developer guide asks that the response stay under 6 MB; AWS's blueprints re-ingest the
//! records that do not fit into the same stream with `PutRecordBatch` and answer them `Dropped`.
//! This function does the same, with [`MAX_RESPONSE_BYTES`] = 6,000,000 bytes of response JSON
//! (computed exactly, envelope included) against Lambda's 6 MiB (6,291,456 bytes), a margin of
//! about 290 KB:
//! 1. `Dropped` and `ProcessingFailed` answers are counted first (Firehose's buffer bounds the
//!    originals far below the budget);
//! 2. `Ok` answers are taken in input order while they fit; from the first that does not, every
//!    later `Ok` record is re-ingested instead (its original bytes, unchanged, so the next
//!    invocation transforms it again);
//! 3. re-ingestion goes through the function's [`RecordSink`] (`LOGPIPE_DELIVERY_STREAM`, which must
//!    name the stream itself) with its retries, within the invocation's deadline;
//! 4. a record is answered `Dropped` only once all its parts were accepted by Firehose or written
//!    to the failed-record store (reason `retries_exhausted`/`deadline`/`not_retryable`,
//!    `raw_base64` = the part, `source` = `<stream>/<recordId>`);
//! 5. if the store cannot be written either, the invocation fails (`Retryable`): Firehose retries
//!    the whole batch (3 times by default) and then writes every record under `processing-failed`.
//!    Records re-ingested before the failure are then transformed twice; their documents keep the
//!    same `event_id`s (CloudWatch Logs events) or are new records (re-ingested originals get new
//!    `recordId`s), so duplicates stay findable.
//!
//! Metrics (`report`): `RecordsIn` = records; `Documents`, `ErrorDocuments`, `Truncated` = what the
//! `Ok` answers hold plus what was dropped for re-ingestion; `Skipped` = `Dropped` records that had
//! nothing to deliver; `Delivered`, `Resent`, `FailedStored` = re-ingested parts.

use super::kinesis_relay::{application_event, Probe};
use super::report::InvocationReport;
use super::{Deps, HandlerError, Invocation};
use crate::decode::{inflate_to_vec, is_gzip};
use crate::delivery::batch::record_from_doc;
use crate::delivery::{
    BatchBuilder, FailedEntry, FailedRecordStore, ObjectStore, Outcome, Payload, Record, RecordSink, ShipError,
    ShipReport, MAX_RECORD_BYTES,
};
use crate::document::{write_error_document, Doc, ErrorOrigin, Source, MAX_RAW_MESSAGE_BYTES};
use crate::error::InputError;
use crate::formats::cloudwatch;
use crate::pipeline::{Limits, Summary};
use crate::sink::{DocSink, SinkError};
use crate::timestamp::Timestamp;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// Bytes of response JSON one invocation returns at most: under Lambda's 6 MB (6 MiB) limit for a
/// synchronous response, with a margin of about 290 KB.
pub const MAX_RESPONSE_BYTES: usize = 6_000_000;

/// The `log_type` of application documents and of error documents for records that are not JSON.
const LOG_TYPE: &str = "application";

/// `error.kind` of a record that is text but not a JSON object.
const NOT_JSON_OBJECT: &str = "not_json_object";

/// `Record::log_type` of re-ingested records (they are raw input, not documents).
const REINGESTED: &str = "reingested";

/// The event Firehose sends. The `aws_lambda_events` type is not used: its `data` is decoded while
/// the event is deserialized, so one record that is not base64 would fail the whole batch, and its
/// Kinesis metadata requires a numeric `subsequenceNumber`; each record here is decoded on its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirehoseTransformEvent {
    /// The invocation's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// `arn:aws:firehose:<region>:<account>:deliverystream/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_stream_arn: Option<String>,
    /// The Kinesis data stream, when it is the delivery stream's source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kinesis_stream_arn: Option<String>,
    /// The region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The records, in delivery order.
    pub records: Vec<FirehoseInputRecord>,
}

/// One record of a [`FirehoseTransformEvent`]. Other keys (`kinesisRecordMetadata`) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirehoseInputRecord {
    /// Firehose's id of the record, to be answered once.
    pub record_id: String,
    /// When Firehose received it, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_arrival_timestamp: Option<serde_json::Number>,
    /// The record, base64.
    pub data: String,
}

impl FirehoseInputRecord {
    /// A record as Firehose sends it: `data` base64-encoded.
    pub fn new(record_id: impl Into<String>, arrival_ms: Option<i64>, data: &[u8]) -> Self {
        FirehoseInputRecord {
            record_id: record_id.into(),
            approximate_arrival_timestamp: arrival_ms.map(Into::into),
            data: STANDARD.encode(data),
        }
    }
}

/// What became of a record (`result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum TransformResult {
    /// Transformed: `data` holds the documents.
    Ok,
    /// Nothing to deliver, or re-ingested: Firehose counts it as processed.
    Dropped,
    /// Could not be transformed: Firehose writes it under its `processing-failed` prefix.
    ProcessingFailed,
}

impl TransformResult {
    /// The name Firehose expects.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformResult::Ok => "Ok",
            TransformResult::Dropped => "Dropped",
            TransformResult::ProcessingFailed => "ProcessingFailed",
        }
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirehoseOutputRecord {
    /// The input record's id.
    pub record_id: String,
    /// What became of it.
    pub result: TransformResult,
    /// Base64: the documents (`Ok`), empty (`Dropped`), the original `data` (`ProcessingFailed`).
    pub data: String,
}

impl FirehoseOutputRecord {
    /// `data` decoded: the documents of an `Ok` answer (NDJSON); `None` if it is not base64.
    pub fn decoded_data(&self) -> Option<Vec<u8>> {
        STANDARD.decode(&self.data).ok()
    }
}

/// The response: one answer per input record, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct FirehoseTransformResponse {
    /// The answers.
    pub records: Vec<FirehoseOutputRecord>,
}

/// Bytes of `{"records":[]}`.
const ENVELOPE_BYTES: usize = 14;

/// The exact size of one answer in the response JSON (without the separating comma).
pub fn answer_bytes(record_id: &str, result: TransformResult, data_base64_len: usize) -> usize {
    let mut id = Vec::with_capacity(record_id.len() + 2);
    crate::json::write_str(&mut id, record_id);
    r#"{"recordId":,"result":"","data":""}"#.len() + id.len() + result.as_str().len() + data_base64_len
}

/// What one record turned into.
enum Output {
    /// Documents, NDJSON.
    Documents(Vec<u8>),
    /// Nothing to deliver.
    Nothing,
    /// Cannot be transformed (why).
    Failed(String),
    /// Too large for one record: re-ingest these gzip'd payloads instead.
    Split(Vec<Vec<u8>>),
}

struct Transformed {
    record_id: String,
    /// `<stream>/<recordId>`.
    source: Arc<str>,
    /// The original `data`, as received.
    data: String,
    /// Whether `data` is base64 (Firehose always sends base64; anything else is answered as the
    /// base64 of its text, so that the response stays valid).
    data_is_base64: bool,
    /// The decoded record (empty when `data` is not base64).
    decoded: Vec<u8>,
    output: Output,
}

impl Transformed {
    /// Length of `data` in a `ProcessingFailed` answer.
    fn failed_data_len(&self) -> usize {
        if self.data_is_base64 {
            self.data.len()
        } else {
            base64::encoded_len(self.data.len(), true).unwrap_or(usize::MAX)
        }
    }
}

/// Counts of one transformation.
#[derive(Default)]
struct Counts {
    summary: Summary,
    /// Documents written, error documents included.
    documents: u64,
    truncated: u64,
    nothing: u64,
}

/// Handles one Firehose transformation invocation.
pub async fn handle<S: RecordSink, O: ObjectStore + Clone, R>(
    event: FirehoseTransformEvent,
    invocation: &Invocation,
    deps: &Deps<S, O, R>,
) -> Result<FirehoseTransformResponse, HandlerError> {
    handle_with_budget(event, invocation, deps, MAX_RESPONSE_BYTES).await
}

/// [`handle`] with another response budget than [`MAX_RESPONSE_BYTES`] (tests).
pub async fn handle_with_budget<S: RecordSink, O: ObjectStore + Clone, R>(
    event: FirehoseTransformEvent,
    invocation: &Invocation,
    deps: &Deps<S, O, R>,
    budget: usize,
) -> Result<FirehoseTransformResponse, HandlerError> {
    let started = std::time::Instant::now();
    let stream = event
        .delivery_stream_arn
        .as_deref()
        .and_then(|arn| arn.rsplit_once('/').map(|(_, name)| name.to_owned()))
        .unwrap_or_default();
    if !stream.is_empty() && stream != deps.config.delivery_stream {
        tracing::warn!(
            event_stream = %stream,
            configured = %deps.config.delivery_stream,
            "Records that do not fit the response are re-ingested into LOGPIPE_DELIVERY_STREAM, which is not the stream that invoked the function."
        );
    }
    let records_in = event.records.len() as u64;
    let limits = deps.config.limits;
    let (items, counts) = tokio::task::spawn_blocking(move || transform_all(event.records, &stream, &limits))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));

    let plan = plan(&items, budget);
    let mut report = InvocationReport {
        source: "firehose",
        records_in,
        parsed: counts.summary,
        skipped: counts.nothing,
        ..InvocationReport::default()
    };
    report.shipped.documents = counts.documents;
    report.shipped.truncated = counts.truncated;
    let shipped = reingest(&items, &plan, invocation, deps).await;
    let result = match shipped {
        Ok(shipped) => {
            report.shipped.delivered = shipped.delivered;
            report.shipped.failed_stored = shipped.failed_stored;
            report.shipped.resent = shipped.resent;
            report.shipped.calls = shipped.calls;
            Ok(respond(items, &plan))
        }
        Err(e) => {
            tracing::error!(error = %e, "Re-ingested records could be neither delivered nor stored; failing so Firehose retries the batch.");
            report.retry_items = records_in;
            Err(HandlerError::from(e))
        }
    };
    report.duration = started.elapsed();
    report.publish(&invocation.function);
    result
}

/// Transforms every record (CPU only).
fn transform_all(records: Vec<FirehoseInputRecord>, stream: &str, limits: &Limits) -> (Vec<Transformed>, Counts) {
    let mut counts = Counts::default();
    let items = records
        .into_iter()
        .map(|r| {
            counts.summary.inputs += 1;
            transform(r, stream, limits, &mut counts)
        })
        .collect();
    (items, counts)
}

/// A sink gathering one record's documents as NDJSON, each within Firehose's record size.
struct RecordDocs<'c> {
    out: Vec<u8>,
    documents: u64,
    source: Arc<str>,
    counts: &'c mut u64,
}

impl DocSink for RecordDocs<'_> {
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError> {
        let record = record_from_doc(&doc, 0, &self.source);
        if record.data.len() != doc.json.len() + 1 {
            *self.counts += 1;
        }
        self.out.extend_from_slice(&record.data);
        self.documents += 1;
        Ok(())
    }
}

fn transform(record: FirehoseInputRecord, stream: &str, limits: &Limits, counts: &mut Counts) -> Transformed {
    let FirehoseInputRecord {
        record_id,
        approximate_arrival_timestamp,
        data,
    } = record;
    let name = if stream.is_empty() {
        record_id.clone()
    } else {
        format!("{stream}/{record_id}")
    };
    let source = Source::new(name);
    let mut transformed = Transformed {
        source: Arc::from(source.name()),
        record_id,
        decoded: Vec::new(),
        output: Output::Nothing,
        data,
        data_is_base64: true,
    };
    let failed = Output::Failed;
    transformed.decoded = match STANDARD.decode(transformed.data.as_bytes()) {
        Ok(bytes) => bytes,
        Err(e) => {
            transformed.data_is_base64 = false;
            transformed.output = failed(format!("data is not base64: {e}"));
            return transformed;
        }
    };
    // Firehose always sends the arrival time; without one, now.
    let arrival_ms = approximate_arrival_timestamp
        .as_ref()
        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
        .filter(|ms| Timestamp::from_epoch_millis(*ms).is_some())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64)
        });
    let arrival = Timestamp::from_epoch_millis(arrival_ms).unwrap_or_else(Timestamp::now);

    let raw = &transformed.decoded;
    let inflated;
    let payload: &[u8] = if is_gzip(raw) {
        match inflate_to_vec(raw, limits.max_payload_bytes) {
            Ok(bytes) => {
                counts.summary.bytes_inflated += bytes.len() as u64;
                inflated = bytes;
                &inflated
            }
            Err(e) => {
                transformed.output = failed(format!("record is not readable gzip: {e}"));
                return transformed;
            }
        }
    } else {
        raw
    };
    let mut docs = RecordDocs {
        out: Vec::new(),
        documents: 0,
        source: Arc::clone(&transformed.source),
        counts: &mut counts.truncated,
    };
    let mut event_id = String::with_capacity(40);
    source.event_id(1, &mut event_id);
    let probe = match serde_json::from_slice::<Probe>(payload) {
        Ok(p) if payload.trim_ascii_start().starts_with(b"{") => Some(p),
        _ => None,
    };
    let done = match probe {
        Some(p) if p.is_payload() => {
            cloudwatch::process_input(payload, &source, limits, &mut docs, &mut counts.summary)
        }
        Some(_) => application_event(payload, arrival_ms, &event_id, &mut docs, &mut counts.summary),
        None => match not_json_object(payload, &arrival, &event_id, &source, &mut docs) {
            Some(done) => {
                counts.summary.error_documents += 1;
                done
            }
            None => {
                transformed.output = failed(format!(
                    "record is neither a JSON object nor UTF-8 text of at most {MAX_RAW_MESSAGE_BYTES} bytes ({} bytes)",
                    payload.len()
                ));
                return transformed;
            }
        },
    };
    let RecordDocs { out, documents, .. } = docs;
    counts.documents += documents;
    transformed.output = match done {
        // RecordDocs never refuses a document.
        Err(e) => failed(e.to_string()),
        Ok(()) if documents == 0 => {
            counts.nothing += 1;
            Output::Nothing
        }
        Ok(()) if out.len() > MAX_RECORD_BYTES => match split_payload(payload, out.len()) {
            Some(parts) => {
                tracing::info!(
                    record = %source.name(),
                    documents,
                    bytes = out.len(),
                    parts = parts.len(),
                    "Documents exceed one Firehose record: re-ingesting the payload in parts."
                );
                Output::Split(parts)
            }
            None => failed(format!(
                "{documents} documents of {} bytes exceed one Firehose record, and the input cannot be split",
                out.len()
            )),
        },
        Ok(()) => Output::Documents(out),
    };
    transformed
}

/// An error document for text that is not a JSON object, when it can hold the text whole; `None`
/// for binary input or longer text.
fn not_json_object(
    payload: &[u8],
    arrival: &Timestamp,
    event_id: &str,
    source: &Source,
    sink: &mut RecordDocs<'_>,
) -> Option<Result<(), SinkError>> {
    let text = std::str::from_utf8(payload).ok()?;
    // A producer's record delimiter is not part of the text.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.len() > MAX_RAW_MESSAGE_BYTES {
        return None;
    }
    let message = match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => "the record is JSON, but not an object".to_owned(),
        Err(e) => format!("the record is not JSON: {e}"),
    };
    let error = InputError {
        kind: NOT_JSON_OBJECT,
        message,
    };
    let mut out = Vec::with_capacity(text.len() + 256);
    let origin = ErrorOrigin {
        source: source.name(),
        line: None,
    };
    write_error_document(&mut out, arrival, LOG_TYPE, event_id, &error, origin, text);
    Some(sink.accept(Doc {
        json: &out,
        log_type: LOG_TYPE,
        timestamp: *arrival,
        event_id,
        is_error: true,
    }))
}

/// Splits a CloudWatch Logs payload (one JSON object) into gzip'd payloads with the same envelope
/// and consecutive runs of its log events, each at most [`MAX_RECORD_BYTES`], aiming at half that
/// much of documents per part. `None` when the input is not one payload object with at least two
/// log events, or a single event cannot fit.
fn split_payload(payload: &[u8], documents_bytes: usize) -> Option<Vec<Vec<u8>>> {
    // Raw values keep every byte of the envelope and the events (ids larger than u64 included).
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(payload).ok()?;
    let events: Vec<Box<RawValue>> = serde_json::from_str(fields.get("logEvents")?.get()).ok()?;
    if events.len() < 2 {
        return None;
    }
    let parts = documents_bytes.div_ceil(MAX_RECORD_BYTES / 2).clamp(2, events.len());
    let per_part = events.len().div_ceil(parts);
    let mut out = Vec::with_capacity(parts);
    for chunk in events.chunks(per_part) {
        pack(&fields, chunk, &mut out)?;
    }
    Some(out)
}

/// Appends the gzip'd payload of `events`, halving the run until each part fits a record.
fn pack(fields: &BTreeMap<String, Box<RawValue>>, events: &[Box<RawValue>], out: &mut Vec<Vec<u8>>) -> Option<()> {
    let mut json = Vec::new();
    json.push(b'{');
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        crate::json::write_str(&mut json, key);
        json.push(b':');
        if key == "logEvents" {
            json.push(b'[');
            for (j, e) in events.iter().enumerate() {
                if j > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(e.get().as_bytes());
            }
            json.push(b']');
        } else {
            json.extend_from_slice(value.get().as_bytes());
        }
    }
    json.push(b'}');
    let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::default());
    gz.write_all(&json).ok()?;
    let gz = gz.finish().ok()?;
    if gz.len() <= MAX_RECORD_BYTES {
        out.push(gz);
        return Some(());
    }
    if events.len() < 2 {
        return None;
    }
    let (a, b) = events.split_at(events.len() / 2);
    pack(fields, a, out)?;
    pack(fields, b, out)
}

/// Which records are answered `Ok` and which are re-ingested.
struct Plan {
    /// Per record: true when it is re-ingested (and answered `Dropped`).
    reingest: Vec<bool>,
}

/// Fits the answers into `budget` bytes of response JSON (see the module docs). Every answer is
/// first counted at its smallest (`Dropped` for records with documents), so whatever is decided
/// later cannot push the total past the budget.
fn plan(items: &[Transformed], budget: usize) -> Plan {
    let mut size = ENVELOPE_BYTES + items.len().saturating_sub(1);
    let mut reingest = vec![false; items.len()];
    for (i, t) in items.iter().enumerate() {
        size += match &t.output {
            Output::Documents(_) | Output::Nothing => answer_bytes(&t.record_id, TransformResult::Dropped, 0),
            Output::Split(_) => {
                reingest[i] = true;
                answer_bytes(&t.record_id, TransformResult::Dropped, 0)
            }
            Output::Failed(_) => answer_bytes(&t.record_id, TransformResult::ProcessingFailed, t.failed_data_len()),
        };
    }
    let mut full = false;
    for (i, t) in items.iter().enumerate() {
        if let Output::Documents(docs) = &t.output {
            let data_len = base64::encoded_len(docs.len(), true).unwrap_or(usize::MAX);
            // The Ok answer replaces the Dropped one already counted.
            let more = data_len + TransformResult::Ok.as_str().len() - TransformResult::Dropped.as_str().len();
            if !full && size.saturating_add(more) <= budget {
                size += more;
            } else {
                full = true;
                reingest[i] = true;
            }
        }
    }
    Plan { reingest }
}

/// Re-ingests what the plan says, storing what Firehose does not take.
async fn reingest<S: RecordSink, O: ObjectStore + Clone, R>(
    items: &[Transformed],
    plan: &Plan,
    invocation: &Invocation,
    deps: &Deps<S, O, R>,
) -> Result<ShipReport, ShipError> {
    let mut report = ShipReport::default();
    let mut records = Vec::new();
    for (i, t) in items.iter().enumerate().filter(|(i, _)| plan.reingest[*i]) {
        let parts: Vec<Bytes> = match &t.output {
            Output::Split(parts) => parts.iter().map(|p| Bytes::copy_from_slice(p)).collect(),
            _ => vec![Bytes::copy_from_slice(&t.decoded)],
        };
        for (k, data) in parts.into_iter().enumerate() {
            records.push(Record {
                data,
                event_id: format!("{}#{}", t.record_id, k + 1),
                log_type: REINGESTED,
                item: i,
                source: Arc::clone(&t.source),
            });
        }
    }
    if records.is_empty() {
        return Ok(report);
    }
    let now = tokio::time::Instant::now();
    let margin = deps.config.margin(invocation.deadline.saturating_duration_since(now));
    let deadline = invocation.deadline.checked_sub(margin).unwrap_or(now);
    let failed = FailedRecordStore::new(
        deps.store.clone(),
        deps.config.failed_bucket.clone(),
        &deps.config.failed_prefix,
        &invocation.function,
        &invocation.request_id,
    );
    tracing::info!(
        records = records.len(),
        items = plan.reingest.iter().filter(|r| **r).count(),
        "Re-ingesting records that do not fit the response."
    );
    let mut builder = BatchBuilder::default();
    let mut batches = Vec::new();
    for r in records {
        batches.extend(builder.push(r));
    }
    batches.extend(builder.take());
    let mut entries = Vec::new();
    for batch in batches {
        let result = deps.sink.deliver(&batch, deadline).await;
        report.calls += u64::from(result.calls);
        report.resent += result.resent;
        for (record, outcome) in batch.into_iter().zip(result.outcomes) {
            match outcome {
                Outcome::Delivered => report.delivered += 1,
                Outcome::Failed {
                    reason,
                    code,
                    message,
                    attempts,
                } => entries.push(FailedEntry {
                    reason,
                    error_code: Some(code),
                    error_message: message,
                    attempts,
                    source: record.source.to_string(),
                    item: record.item,
                    event_id: None,
                    log_type: None,
                    payload: Payload::Raw(record.data),
                }),
            }
        }
    }
    if !entries.is_empty() {
        tracing::warn!(
            records = entries.len(),
            "Firehose did not take re-ingested records; storing them."
        );
        let stored = match failed.add(entries).await {
            Ok(()) => failed.flush().await,
            Err(e) => Err(e),
        };
        if let Err(failure) = stored {
            return Err(ShipError { failure, report });
        }
        report.failed_stored = failed.stored();
    }
    Ok(report)
}

/// The answers, in input order.
fn respond(items: Vec<Transformed>, plan: &Plan) -> FirehoseTransformResponse {
    let records = items
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let (result, data) = match t.output {
                _ if plan.reingest[i] => (TransformResult::Dropped, String::new()),
                Output::Documents(docs) => (TransformResult::Ok, STANDARD.encode(docs)),
                Output::Nothing | Output::Split(_) => (TransformResult::Dropped, String::new()),
                Output::Failed(reason) => {
                    tracing::warn!(record = %t.source, %reason, "ProcessingFailed: Firehose keeps the record under its processing-failed prefix.");
                    let data = if t.data_is_base64 {
                        t.data
                    } else {
                        STANDARD.encode(t.data.as_bytes())
                    };
                    (TransformResult::ProcessingFailed, data)
                }
            };
            FirehoseOutputRecord {
                record_id: t.record_id,
                result,
                data,
            }
        })
        .collect();
    FirehoseTransformResponse { records }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn b64(data: &[u8]) -> String {
        STANDARD.encode(data)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    fn record(id: &str, data: &[u8]) -> FirehoseInputRecord {
        FirehoseInputRecord {
            record_id: id.into(),
            approximate_arrival_timestamp: Some(1_795_324_200_000i64.into()),
            data: b64(data),
        }
    }

    fn one(data: &[u8]) -> (Transformed, Counts) {
        let mut counts = Counts::default();
        let t = transform(record("r-1", data), "logs-application", &Limits::default(), &mut counts);
        (t, counts)
    }

    fn docs_of(t: &Transformed) -> Vec<Value> {
        match &t.output {
            Output::Documents(out) => out
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect(),
            _ => panic!("no documents"),
        }
    }

    #[test]
    fn answer_sizes_are_exact() {
        let response = FirehoseTransformResponse {
            records: vec![
                FirehoseOutputRecord {
                    record_id: "49546986683135544286507457936321625675700192471156785154".into(),
                    result: TransformResult::Ok,
                    data: b64(b"{\"a\":1}\n"),
                },
                FirehoseOutputRecord {
                    record_id: "id with \"quotes\" and \\".into(),
                    result: TransformResult::Dropped,
                    data: String::new(),
                },
                FirehoseOutputRecord {
                    record_id: "x".into(),
                    result: TransformResult::ProcessingFailed,
                    data: "not base64!".into(),
                },
            ],
        };
        let json = serde_json::to_string(&response).unwrap();
        let computed = ENVELOPE_BYTES + response.records.len() - 1
            + response
                .records
                .iter()
                .map(|r| answer_bytes(&r.record_id, r.result, r.data.len()))
                .sum::<usize>();
        assert_eq!(json.len(), computed, "{json}");
        assert!(json.contains(r#""result":"ProcessingFailed""#));
    }

    #[test]
    fn application_json_is_one_document() {
        let (t, c) = one(br#"{"level":"info","msg":"paid","time":"2026-11-22T05:10:00.123Z","n":3}"#);
        let docs = docs_of(&t);
        assert_eq!(docs.len(), 1);
        let d = &docs[0];
        assert_eq!(d["@timestamp"], "2026-11-22T05:10:00.123Z");
        assert_eq!(d["log_type"], "application");
        assert_eq!(d["json"]["n"], 3);
        // As kinesis-relay writes it: the compact event, keys in serde_json's (sorted) order.
        assert_eq!(
            d["message"],
            r#"{"level":"info","msg":"paid","n":3,"time":"2026-11-22T05:10:00.123Z"}"#
        );
        let id = d["event_id"].as_str().unwrap();
        assert!(id.ends_with("-1") && id.len() == 34, "{id}");
        assert_eq!(c.summary.documents, 1);
        // Same stream and record id, same event id; another record id, another one.
        let (again, _) = one(br#"{"other":true}"#);
        assert_eq!(docs_of(&again)[0]["event_id"], d["event_id"]);
        let mut counts = Counts::default();
        let other = transform(
            record("r-2", b"{}"),
            "logs-application",
            &Limits::default(),
            &mut counts,
        );
        assert_ne!(docs_of(&other)[0]["event_id"], d["event_id"]);
    }

    #[test]
    fn arrival_time_when_the_event_has_none() {
        let (t, _) = one(b"{\"msg\":\"no time\"}\n");
        assert_eq!(docs_of(&t)[0]["@timestamp"], "2026-11-22T05:10:00.000Z");
    }

    #[test]
    fn text_becomes_an_error_document_and_binary_fails() {
        let (t, c) = one(b"ERROR payment failed for order 42\n");
        let d = &docs_of(&t)[0];
        assert_eq!(d["error"]["kind"], "not_json_object");
        assert_eq!(d["message"], "ERROR payment failed for order 42");
        assert_eq!(d["error"]["source"], "logs-application/r-1");
        assert_eq!(d["@timestamp"], "2026-11-22T05:10:00.000Z");
        assert_eq!(c.summary.error_documents, 1);

        let (t, _) = one(b"[1,2,3]");
        assert_eq!(
            docs_of(&t)[0]["error"]["message"],
            "the record is JSON, but not an object"
        );
        let (t, _) = one(b"");
        assert_eq!(docs_of(&t)[0]["message"], "");
        // Two objects in one record are not one event.
        let (t, _) = one(b"{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(docs_of(&t)[0]["error"]["kind"], "not_json_object");

        for bad in [&b"\xff\xfe binary"[..], &[b'x'; MAX_RAW_MESSAGE_BYTES + 1][..]] {
            let (t, _) = one(bad);
            assert!(matches!(t.output, Output::Failed(_)), "{:?}", &bad[..10]);
        }
        let (t, _) = one(&[b'x'; MAX_RAW_MESSAGE_BYTES]);
        assert_eq!(docs_of(&t)[0]["message"].as_str().unwrap().len(), MAX_RAW_MESSAGE_BYTES);
        // Gzip that cannot be read.
        let mut gz = gzip(b"{\"a\":1}");
        gz.truncate(gz.len() - 6);
        let (t, _) = one(&gz);
        assert!(matches!(&t.output, Output::Failed(m) if m.contains("gzip")));
    }

    #[test]
    fn invalid_base64_fails_with_its_data() {
        let mut counts = Counts::default();
        let input = FirehoseInputRecord {
            record_id: "r".into(),
            approximate_arrival_timestamp: None,
            data: "not base64!".into(),
        };
        let t = transform(input, "s", &Limits::default(), &mut counts);
        assert!(matches!(&t.output, Output::Failed(m) if m.contains("base64")));
        let response = respond(vec![t], &Plan { reingest: vec![false] });
        assert_eq!(response.records[0].result, TransformResult::ProcessingFailed);
        // Answered as base64 of the text, so that the response stays valid.
        assert_eq!(response.records[0].data, b64(b"not base64!"));
    }

    fn payload(events: usize, message_bytes: usize) -> Value {
        let events: Vec<Value> = (0..events)
            .map(|i| {
                json!({"id": format!("{:056}", 37_000_000_000u64 + i as u64), "timestamp": 1_795_324_200_000i64 + i as i64,
                       "message": format!("{i:06} {}", "m".repeat(message_bytes))})
            })
            .collect();
        json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/app/payments",
               "logStream": "i-0abc", "subscriptionFilters": ["logpipe"], "logEvents": events})
    }

    #[test]
    fn cloudwatch_payload_gives_ndjson_and_control_messages_nothing() {
        let p = payload(3, 10);
        let (t, c) = one(&gzip(p.to_string().as_bytes()));
        let docs = docs_of(&t);
        assert_eq!(docs.len(), 3);
        assert!(docs.iter().all(|d| d["log_type"] == "cloudwatch"));
        assert_eq!(docs[2]["event_id"], format!("{:056}", 37_000_000_002u64));
        assert_eq!(c.summary.log_events, 3);

        let control = json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
                             "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1_795_324_200_000i64,
                             "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]});
        let (t, c) = one(&gzip(control.to_string().as_bytes()));
        assert!(matches!(t.output, Output::Nothing));
        assert_eq!((c.summary.control_messages, c.nothing), (1, 1));
    }

    #[test]
    fn a_payload_too_large_for_one_record_is_split_keeping_every_event() {
        // 400 events of 5 KB: about 4 MB of documents.
        let p = payload(400, 5000);
        let (t, _) = one(&gzip(p.to_string().as_bytes()));
        let Output::Split(parts) = &t.output else {
            panic!("not split")
        };
        // About 2.1 MB of documents, parts aimed at half a record each.
        assert!(parts.len() >= 4, "{}", parts.len());
        let mut ids = Vec::new();
        for part in parts {
            assert!(part.len() <= MAX_RECORD_BYTES);
            let (t, _) = one(part);
            let docs = docs_of(&t);
            let Output::Documents(out) = &t.output else {
                unreachable!()
            };
            assert!(out.len() <= MAX_RECORD_BYTES, "{}", out.len());
            for d in docs {
                assert_eq!(d["log_group"], "/app/payments");
                ids.push(d["event_id"].as_str().unwrap().to_owned());
            }
        }
        let want: Vec<String> = (0..400).map(|i| format!("{:056}", 37_000_000_000u64 + i)).collect();
        assert_eq!(ids, want);
    }

    #[test]
    fn the_plan_keeps_order_and_stops_at_the_first_answer_that_does_not_fit() {
        let mut counts = Counts::default();
        let items: Vec<Transformed> = (0..6)
            .map(|i| {
                let data = if i == 2 {
                    b"\xff".to_vec()
                } else {
                    format!("{{\"i\":{i},\"pad\":\"{}\"}}", "p".repeat(300)).into_bytes()
                };
                transform(record(&format!("r-{i}"), &data), "s", &Limits::default(), &mut counts)
            })
            .collect();
        let sizes: Vec<usize> = items
            .iter()
            .map(|t| match &t.output {
                Output::Documents(d) => answer_bytes(
                    &t.record_id,
                    TransformResult::Ok,
                    base64::encoded_len(d.len(), true).unwrap(),
                ),
                _ => answer_bytes(&t.record_id, TransformResult::ProcessingFailed, t.data.len()),
            })
            .collect();
        // Room for the failed answer, records 0 and 1 and records 4 and 5 as Dropped, and one byte
        // short of record 3.
        let dropped: usize = (4..6)
            .map(|i| answer_bytes(&format!("r-{i}"), TransformResult::Dropped, 0))
            .sum();
        let budget = ENVELOPE_BYTES + 5 + sizes[0] + sizes[1] + sizes[2] + sizes[3] + dropped - 1;
        assert_eq!(
            plan(&items, budget + 1).reingest,
            [false, false, false, false, true, true]
        );
        let plan = plan(&items, budget);
        assert_eq!(plan.reingest, [false, false, false, true, true, true]);
        let response = respond(items, &plan);
        let json = serde_json::to_string(&response).unwrap();
        assert!(json.len() <= budget, "{} > {budget}", json.len());
        assert_eq!(
            json.len(),
            budget + 1 - sizes[3] + answer_bytes("r-3", TransformResult::Dropped, 0)
        );
        let results: Vec<&str> = response.records.iter().map(|r| r.result.as_str()).collect();
        assert_eq!(
            results,
            ["Ok", "Ok", "ProcessingFailed", "Dropped", "Dropped", "Dropped"]
        );
        let ids: Vec<&str> = response.records.iter().map(|r| r.record_id.as_str()).collect();
        assert_eq!(ids, ["r-0", "r-1", "r-2", "r-3", "r-4", "r-5"]);
    }
}
