//! `kinesis-relay`: Kinesis records holding gzip'd CloudWatch Logs payloads from a cross-account
//! destination, or plain JSON application events.
//!
//! | record | outcome |
//! |---|---|
//! | gzip'd (or plain) CloudWatch Logs `DATA_MESSAGE` | one document per log event |
//! | `CONTROL_MESSAGE` | no document; counted |
//! | payload whose `owner` is not in `LOGPIPE_ALLOWED_ACCOUNTS` | failed-record store (`foreign_owner`); not retried |
//! | a JSON object that is not a payload | one `application` document |
//! | CloudFront real-time log records (tab-separated text, fields from `LOGPIPE_CLOUDFRONT_REALTIME_FIELDS`) | one `cloudfront_realtime` document per line; a line that does not parse, an error document |
//! | not gzip and not JSON, corrupt gzip, over `LOGPIPE_MAX_PAYLOAD_BYTES` | failed-record store (`unprocessable`); not retried, so it cannot block the shard |
//! | records neither deliverable nor storable, deadline | partial batch response |
//!
//! The response is a partial batch response: `batchItemFailures` holds the sequence number of the
//! first record that could not be delivered (or stored), and Lambda retries from there. Records
//! after it are retried too, so they may be delivered twice; their `event_id`s make that visible.
//! The event source mapping must enable `ReportBatchItemFailures`.

use super::report::InvocationReport;
use super::{Deps, HandlerError, Invocation};
use crate::decode::{inflate_to_vec, is_gzip};
use crate::delivery::{BatchingSink, FailedEntry, FailureReason, ObjectStore, Payload, RecordSink};
use crate::document::{begin_document, Doc, Source};
use crate::formats::{cloudfront_realtime, cloudwatch, Format, FormatChoice};
use crate::pipeline::{self, Limits, PipelineError, Summary};
use crate::sink::{DocSink, SinkError};
use crate::timestamp::Timestamp;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use bytes::Bytes;
use serde::Deserialize;
use std::time::Instant;

/// One Kinesis record, as the relay needs it.
struct Item {
    data: Vec<u8>,
    sequence_number: String,
    event_id: String,
    arrival_ms: i64,
}

/// Handles one batch of Kinesis records.
pub async fn handle<S: RecordSink, O: ObjectStore + Clone, R>(
    event: KinesisEvent,
    invocation: &Invocation,
    deps: &Deps<S, O, R>,
) -> Result<KinesisEventResponse, HandlerError> {
    let started = Instant::now();
    let items: Vec<Item> = event
        .records
        .into_iter()
        .map(|r| {
            let sequence_number = r.kinesis.sequence_number;
            Item {
                event_id: r.event_id.unwrap_or_else(|| format!("kinesis:{sequence_number}")),
                data: r.kinesis.data.0,
                arrival_ms: r.kinesis.approximate_arrival_timestamp.0.timestamp_millis(),
                sequence_number,
            }
        })
        .collect();
    let sequence_numbers: Vec<String> = items.iter().map(|i| i.sequence_number.clone()).collect();
    let limits = deps.config.limits;
    let allowed = deps.config.allowed_accounts.clone();
    let shipper = deps.shipper(invocation);
    let shipped = shipper
        .ship(move |sink| {
            let mut summary = Summary::default();
            let mut skipped = 0;
            for (i, item) in items.iter().enumerate() {
                sink.set_item(i, &item.event_id);
                summary.inputs += 1;
                match relay(item, i, sink, &limits, allowed.as_deref(), &mut summary) {
                    Ok(true) => {}
                    Ok(false) => skipped += 1,
                    Err(e) => return (summary, skipped, Some((i, e))),
                }
            }
            (summary, skipped, None)
        })
        .await;
    let mut report = InvocationReport {
        source: "kinesis",
        records_in: sequence_numbers.len() as u64,
        ..InvocationReport::default()
    };
    let first_failed = match shipped {
        Ok(((summary, skipped, stopped), shipped)) => {
            report.parsed = summary;
            report.skipped = skipped;
            report += shipped;
            stopped.map(|(i, e)| {
                tracing::error!(record = i, error = %e, "Stopped before the end of the batch.");
                i
            })
        }
        Err(e) => {
            tracing::error!(error = %e, "Records could be neither delivered nor stored.");
            report += e.report;
            e.failure.items.first().copied()
        }
    };
    let mut response = KinesisEventResponse::default();
    if let Some(i) = first_failed {
        response.add_failure(sequence_numbers[i].clone());
        report.retry_items = (sequence_numbers.len() - i) as u64;
    }
    report.duration = started.elapsed();
    report.publish(&invocation.function);
    Ok(response)
}

/// The keys that tell a CloudWatch Logs payload from an application event (also used by
/// `firehose-transform`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe<'a> {
    #[serde(borrow)]
    pub(crate) owner: Option<std::borrow::Cow<'a, str>>,
    pub(crate) message_type: Option<serde::de::IgnoredAny>,
    pub(crate) log_events: Option<serde::de::IgnoredAny>,
}

impl Probe<'_> {
    /// True when the object has `messageType` or `logEvents`: a CloudWatch Logs payload.
    pub(crate) fn is_payload(&self) -> bool {
        self.message_type.is_some() || self.log_events.is_some()
    }
}

/// Relays one record; `Ok(false)` when it was set aside (control message, rejected input).
fn relay(
    item: &Item,
    index: usize,
    sink: &mut BatchingSink,
    limits: &Limits,
    allowed: Option<&[String]>,
    summary: &mut Summary,
) -> Result<bool, SinkError> {
    let reject = |sink: &mut BatchingSink, reason: FailureReason, message: String| {
        tracing::warn!(record = %item.event_id, reason = reason.as_str(), "{message}");
        sink.reject(FailedEntry {
            reason,
            error_code: None,
            error_message: message,
            attempts: 0,
            source: item.event_id.clone(),
            item: index,
            event_id: None,
            log_type: None,
            payload: Payload::Raw(Bytes::copy_from_slice(&item.data)),
        })
        .map(|()| false)
    };
    let inflated;
    let payload: &[u8] = if is_gzip(&item.data) {
        match inflate_to_vec(&item.data, limits.max_payload_bytes) {
            Ok(bytes) => {
                inflated = bytes;
                &inflated
            }
            Err(e) => {
                return reject(
                    sink,
                    FailureReason::Unprocessable,
                    format!("record is not readable gzip: {e}"),
                )
            }
        }
    } else {
        &item.data
    };
    if !payload.trim_ascii_start().starts_with(b"{") && is_realtime_log(payload) {
        let source = Source::new(item.event_id.clone());
        let choice = FormatChoice::Fixed(Format::CloudFrontRealtime);
        return match pipeline::process(payload, &source, choice, limits, sink) {
            Ok(parsed) => {
                *summary += parsed;
                Ok(true)
            }
            Err(PipelineError::Sink(e)) => Err(e),
            // In-memory input cannot fail to read.
            Err(PipelineError::Read { error, .. }) => reject(sink, FailureReason::Unprocessable, error.to_string()),
        };
    }
    let probe = match serde_json::from_slice::<Probe>(payload) {
        Ok(p) if payload.trim_ascii_start().starts_with(b"{") => p,
        _ => {
            return reject(
                sink,
                FailureReason::Unprocessable,
                "record is neither gzip nor a JSON object".into(),
            )
        }
    };
    if !probe.is_payload() {
        return application_event(payload, item.arrival_ms, &item.event_id, sink, summary).map(|()| true);
    }
    if let (Some(allowed), Some(owner)) = (allowed, probe.owner.as_deref()) {
        if owner != "CloudwatchLogs" && !allowed.iter().any(|a| a == owner) {
            return reject(
                sink,
                FailureReason::ForeignOwner,
                format!("payload from account {owner}, which is not in LOGPIPE_ALLOWED_ACCOUNTS"),
            );
        }
    }
    let before = summary.control_messages;
    cloudwatch::process_input(payload, &Source::new(item.event_id.clone()), limits, sink, summary)?;
    Ok(summary.control_messages == before)
}

/// Whether a record holds CloudFront real-time log records (its first line passes the format's
/// strict check: epoch seconds with milliseconds, a tab, an IP address, …).
fn is_realtime_log(payload: &[u8]) -> bool {
    let first = payload.split(|&b| b == b'\n').next().unwrap_or_default();
    std::str::from_utf8(first).is_ok_and(|line| cloudfront_realtime::recognise(line.trim_end_matches('\r')))
}

/// An application's own JSON event (`payload`, a JSON object): kept whole in `json`, with
/// `@timestamp` from its `@timestamp`, `timestamp` or `time` field (RFC 3339 UTC, or epoch
/// milliseconds), else the record's arrival time (`arrival_ms`). Also used by `firehose-transform`.
pub(crate) fn application_event(
    payload: &[u8],
    arrival_ms: i64,
    event_id: &str,
    sink: &mut dyn DocSink,
    summary: &mut Summary,
) -> Result<(), SinkError> {
    let value: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    let own_time = ["@timestamp", "timestamp", "time"]
        .iter()
        .find_map(|k| match &value[*k] {
            serde_json::Value::String(s) => Timestamp::parse_rfc3339_utc(s),
            serde_json::Value::Number(n) => n.as_i64().and_then(Timestamp::from_epoch_millis),
            _ => None,
        });
    let timestamp = own_time
        .or_else(|| Timestamp::from_epoch_millis(arrival_ms))
        .unwrap_or_else(Timestamp::now);
    let compact = serde_json::to_string(&value).unwrap_or_default();
    let mut out = Vec::with_capacity(compact.len() * 2 + 128);
    let mut w = begin_document(&mut out, &timestamp, "application", event_id);
    w.str("message", &compact);
    w.raw("json", &compact);
    w.end();
    summary.documents += 1;
    sink.accept(Doc {
        json: &out,
        log_type: "application",
        timestamp,
        event_id,
        is_error: false,
    })
}
