//! `cloudwatch-forwarder`: CloudWatch Logs subscription events (`{"awslogs":{"data":"…"}}`).
//!
//! | situation | outcome |
//! |---|---|
//! | `DATA_MESSAGE` | one document per log event |
//! | `CONTROL_MESSAGE` | no document; counted as skipped |
//! | `awslogs.data` that is not base64, not gzip, over `LOGPIPE_MAX_PAYLOAD_BYTES` inflated, not a payload | one error document (`invalid_payload`), success |
//! | an event without `awslogs` | invocation error (`InvalidEvent`) |
//! | records neither deliverable nor storable, deadline | invocation error (`Retryable`) |

use super::report::InvocationReport;
use super::{Deps, HandlerError, Invocation};
use crate::delivery::{ObjectStore, RecordSink};
use crate::document::Source;
use crate::formats::cloudwatch;
use crate::pipeline::Summary;
use serde_json::{json, Value};
use std::time::Instant;

/// Handles one subscription event.
pub async fn handle<S: RecordSink, O: ObjectStore + Clone, R>(
    event: Value,
    invocation: &Invocation,
    deps: &Deps<S, O, R>,
) -> Result<Value, HandlerError> {
    let started = Instant::now();
    if event.get("awslogs").and_then(|a| a.get("data")).is_none() {
        return Err(HandlerError::InvalidEvent(
            "expected a CloudWatch Logs subscription event: {\"awslogs\":{\"data\":…}}".into(),
        ));
    }
    let bytes = serde_json::to_vec(&event).map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
    // Lambda keeps the request id across its retries of an asynchronous event, so error documents
    // of a retried event keep their ids.
    let name = format!("lambda://{}/{}", invocation.function, invocation.request_id);
    let limits = deps.config.limits;
    let shipper = deps.shipper(invocation);
    let ((result, summary), shipped) = shipper
        .ship(move |sink| {
            sink.set_item(0, &name);
            let mut summary = Summary {
                inputs: 1,
                ..Summary::default()
            };
            let result = cloudwatch::process_input(&bytes, &Source::new(name), &limits, sink, &mut summary);
            (result, summary)
        })
        .await?;
    let mut report = InvocationReport {
        source: "cloudwatch_logs",
        records_in: summary.log_events,
        parsed: summary,
        duration: started.elapsed(),
        ..InvocationReport::default()
    };
    report += shipped;
    report.publish(&invocation.function);
    result.map_err(|e| HandlerError::Deadline(e.to_string()))?;
    Ok(json!({
        "log_events": summary.log_events,
        "control_messages": summary.control_messages,
        "documents": report.shipped.documents,
        "error_documents": summary.error_documents,
        "delivered": report.shipped.delivered,
        "failed_stored": report.shipped.failed_stored,
    }))
}
