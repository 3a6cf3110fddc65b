//! `s3-access-logs`: Elastic Load Balancing logs (ALB access and connection logs, NLB, Classic ELB),
//! CloudFront standard logs and, with `LOGPIPE_LOG_FORMAT=auto`, any other format the content
//! reveals (S3 server access, VPC flow, …), announced by S3 event notifications (directly, through
//! SQS or SNS, or as EventBridge "Object Created" events).
//!
//! Each object is streamed: GetObject body → multi-member gzip (on a second thread) → lines →
//! documents → batches → Firehose, with bounded memory whatever the object size.
//!
//! | situation | outcome |
//! |---|---|
//! | `s3:TestEvent`, not an object-created event, folder marker | skipped, logged, counted |
//! | ALB connection log (`conn_log_`), NLB or Classic ELB file | parsed as its file name says, whatever `LOGPIPE_LOG_FORMAT` (documents `alb_connection`, `nlb`, `clb`) |
//! | object deleted before it was read (`NoSuchKey`) | error document `object_not_found`, success |
//! | empty object | error document `empty_object`, success |
//! | corrupt or truncated gzip, decompression bomb | the lines read are kept, one error document (`corrupt_gzip`, `inflated_size_limit`), success |
//! | key suffix that does not match the content | ignored: gzip is recognised by its magic bytes |
//! | object cannot be read (access denied, throttling, network) | invocation error (`Retryable`); with SQS, that message is a batch item failure |
//! | deadline reached mid-object | invocation error (`Retryable`), before Lambda would kill it |
//! | records neither deliverable nor storable | invocation error (`Retryable`) |
//!
//! `LOGPIPE_LOG_FORMAT=auto` decides from the key (Elastic Load Balancing and CloudFront file
//! names), then from the content; see [`choose_format`]. Documents go to the delivery stream of
//! their `log_type` (`LOGPIPE_DELIVERY_STREAMS`, else `LOGPIPE_DELIVERY_STREAM`), error documents
//! included.

use super::report::InvocationReport;
use super::s3_event::{self, classify_key, KeyKind, ObjectRef};
use super::{Deps, HandlerError, Invocation};
use crate::delivery::{ObjectStore, RecordSink, Shipper};
use crate::document::Source;
use crate::error::InputError;
use crate::formats::{Format, FormatChoice};
use crate::objects::{GetError, ObjectSource};
use crate::pipeline::{self, PipelineError};
use crate::sink::SinkError;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Instant;

/// Handles one event; the response is a batch response for SQS events, a summary otherwise.
pub async fn handle<S: RecordSink, O: ObjectStore + Clone, R: ObjectSource>(
    event: Value,
    invocation: &Invocation,
    deps: &Deps<S, O, R>,
) -> Result<Value, HandlerError> {
    let started = Instant::now();
    let parsed = s3_event::objects(&event).map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
    let is_sqs = event["Records"][0]["eventSource"] == "aws:sqs";
    let mut report = InvocationReport {
        source: "s3",
        ..InvocationReport::default()
    };
    for skipped in &parsed.skipped {
        tracing::info!(reason = %skipped, "Skipped a message that names no object to process.");
        report.skipped += 1;
    }
    let mut failed_messages = BTreeSet::new();
    for bad in &parsed.bad_messages {
        tracing::error!(message_id = %bad.message_id, error = %bad.error, "Could not read an SQS message.");
        failed_messages.insert(bad.message_id.clone());
    }
    let shipper = deps.shipper(invocation);
    let mut first_error = None;
    for (item, object) in parsed.objects.iter().enumerate() {
        let message_id = object.origin.message_id();
        if message_id.is_some_and(|m| failed_messages.contains(m)) {
            continue; // the whole message will be retried
        }
        report.records_in += 1;
        if let Err(e) = process_object(object, item, deps, &shipper, &mut report).await {
            tracing::error!(object = %object.s3_uri(), error = %e, "Could not process an object; AWS will retry it.");
            match message_id {
                Some(m) => {
                    failed_messages.insert(m.to_owned());
                }
                None => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    report.retry_items = failed_messages.len() as u64;
    report.duration = started.elapsed();
    report.publish(&invocation.function);
    if let Some(e) = first_error {
        return Err(e);
    }
    if is_sqs {
        let failures: Vec<Value> = failed_messages.iter().map(|m| json!({ "itemIdentifier": m })).collect();
        return Ok(json!({ "batchItemFailures": failures }));
    }
    Ok(json!({
        "objects": report.records_in,
        "skipped": report.skipped,
        "documents": report.shipped.documents,
        "error_documents": report.parsed.error_documents,
        "delivered": report.shipped.delivered,
        "failed_stored": report.shipped.failed_stored,
    }))
}

/// The format to parse an object with, from its key ([`classify_key`]) and the configured choice.
///
/// | file name | `auto` | a fixed format |
/// |---|---|---|
/// | ALB connection log (`conn_log_…`) | ALB connection | ALB connection |
/// | NLB access log (`…_net.…`) | NLB | NLB |
/// | Classic ELB access log | Classic ELB | Classic ELB |
/// | ALB access log | ALB | the fixed one |
/// | CloudFront standard log | CloudFront | the fixed one |
/// | VPC flow log, CloudTrail log file, WAF log, S3 server access log | that format | the fixed one |
/// | CloudTrail digest file | skipped (not events) | skipped |
/// | anything else | from the content | the fixed one |
///
/// Elastic Load Balancing writes every load balancer's logs under the same
/// `AWSLogs/<account>/elasticloadbalancing/` prefix and the file names tell them apart, so a
/// function pointed at that bucket with `alb` still parses each file with its own parser, rather
/// than turning every line of a connection log into an ALB error document.
pub fn choose_format(configured: FormatChoice, key: &str) -> FormatChoice {
    match (classify_key(key), configured) {
        (KeyKind::AlbConnection, _) => FormatChoice::Fixed(Format::AlbConnection),
        (KeyKind::Nlb, _) => FormatChoice::Fixed(Format::Nlb),
        (KeyKind::ClassicElb, _) => FormatChoice::Fixed(Format::Clb),
        (KeyKind::AlbAccess, FormatChoice::Auto) => FormatChoice::Fixed(Format::Alb),
        (KeyKind::CloudFront, FormatChoice::Auto) => FormatChoice::Fixed(Format::CloudFront),
        (KeyKind::VpcFlow, FormatChoice::Auto) => FormatChoice::Fixed(Format::VpcFlow),
        (KeyKind::CloudTrail, FormatChoice::Auto) => FormatChoice::Fixed(Format::CloudTrail),
        (KeyKind::Waf, FormatChoice::Auto) => FormatChoice::Fixed(Format::Waf),
        (KeyKind::S3Access, FormatChoice::Auto) => FormatChoice::Fixed(Format::S3Access),
        (_, choice) => choice,
    }
}

async fn process_object<S: RecordSink, O: ObjectStore + Clone, R: ObjectSource>(
    object: &ObjectRef,
    item: usize,
    deps: &Deps<S, O, R>,
    shipper: &Shipper<S, O>,
    report: &mut InvocationReport,
) -> Result<(), HandlerError> {
    let name = object.s3_uri();
    if classify_key(&object.key) == KeyKind::CloudTrailDigest {
        tracing::info!(object = %name, "Skipped a CloudTrail digest file (integrity hashes, no events).");
        report.skipped += 1;
        return Ok(());
    }
    let choice = choose_format(deps.config.log_format, &object.key);
    let log_type = match choice {
        FormatChoice::Fixed(f) => f.log_type(),
        FormatChoice::Auto => "unknown",
    };
    let problem = match deps.objects.get(&object.bucket, &object.key).await {
        Err(GetError::NotFound) => Some(InputError {
            kind: "object_not_found",
            message: format!("{name} does not exist (deleted before it could be read?)"),
        }),
        Err(GetError::Other { code, message }) => {
            return Err(HandlerError::Read {
                source_name: name,
                message: format!("{code}: {message}"),
            })
        }
        Ok(body) if body.size == Some(0) => Some(InputError {
            kind: "empty_object",
            message: format!("{name} is empty"),
        }),
        Ok(body) => {
            let limits = deps.config.limits;
            let (result, shipped) = shipper
                .ship(move |sink| {
                    sink.set_item(item, &name);
                    pipeline::process(body.reader, &Source::new(name), choice, &limits, sink)
                })
                .await?;
            *report += shipped;
            return match result {
                Ok(summary) => {
                    report.parsed += summary;
                    Ok(())
                }
                Err(PipelineError::Read { source_name, error }) => Err(HandlerError::Read {
                    source_name,
                    message: error.to_string(),
                }),
                Err(PipelineError::Sink(SinkError::Deadline { source_name })) => Err(HandlerError::Deadline(format!(
                    "stopped reading {source_name} before the Lambda deadline; AWS will retry the object"
                ))),
                Err(PipelineError::Sink(e)) => Err(HandlerError::Deadline(e.to_string())),
            };
        }
    };
    if let Some(problem) = problem {
        tracing::warn!(object = %object.s3_uri(), kind = problem.kind, "{}", problem.message);
        let name = object.s3_uri();
        let (result, shipped) = shipper
            .ship(move |sink| {
                sink.set_item(item, &name);
                pipeline::emit_input_error(sink, &Source::new(name.clone()), log_type, 0, None, &problem, "")
            })
            .await?;
        *report += shipped;
        report.parsed.error_documents += 1;
        result.map_err(|e| HandlerError::Deadline(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELB: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22";

    #[test]
    fn load_balancer_file_names_choose_their_parser() {
        let alb = format!("{ELB}/123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz");
        let conn = format!("{ELB}/conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20261122T0505Z_192.0.2.10_5k2hq9wz.log.gz");
        let nlb = format!("{ELB}/123456789012_elasticloadbalancing_us-east-2_net.my-nlb.1234567890abcdef_20261122T0505Z_abcd1234.log.gz");
        let clb =
            format!("{ELB}/123456789012_elasticloadbalancing_us-east-2_my-lb_20261122T0505Z_10.0.0.1_abcd1234.log");
        let cloudfront = "cloudfront/E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz";
        let other = "manual uploads/alb copy+1.log.gz";
        let fixed = FormatChoice::Fixed;
        let auto = FormatChoice::Auto;
        for (key, configured, want) in [
            // auto: the file name decides when it can.
            (&alb[..], auto, fixed(Format::Alb)),
            (&conn, auto, fixed(Format::AlbConnection)),
            (&nlb, auto, fixed(Format::Nlb)),
            (&clb, auto, fixed(Format::Clb)),
            (cloudfront, auto, fixed(Format::CloudFront)),
            (
                "AWSLogs/123456789012/vpcflowlogs/us-east-2/2026/11/22/123456789012_vpcflowlogs_us-east-2_fl-1234abcd_20261122T0505Z_fe123456.log.gz",
                auto,
                fixed(Format::VpcFlow),
            ),
            (
                "AWSLogs/123456789012/CloudTrail/us-east-2/2026/11/22/123456789012_CloudTrail_us-east-2_20261122T0505Z_EXAMPLEa1b2c3d4.json.gz",
                auto,
                fixed(Format::CloudTrail),
            ),
            ("s3-logs/2026-11-22-05-00-03-0A1B2C3D4E5F6A7B", auto, fixed(Format::S3Access)),
            (other, auto, auto),
            // A fixed format: connection, NLB and Classic ELB names still decide…
            (&conn, fixed(Format::Alb), fixed(Format::AlbConnection)),
            (&nlb, fixed(Format::Alb), fixed(Format::Nlb)),
            (&clb, fixed(Format::CloudFront), fixed(Format::Clb)),
            // … the others keep the configured one.
            (&alb, fixed(Format::Alb), fixed(Format::Alb)),
            (&alb, fixed(Format::S3Access), fixed(Format::S3Access)),
            (cloudfront, fixed(Format::CloudFrontV2), fixed(Format::CloudFrontV2)),
            (other, fixed(Format::VpcFlow), fixed(Format::VpcFlow)),
        ] {
            assert_eq!(choose_format(configured, key), want, "{configured:?} {key}");
        }
    }
}
