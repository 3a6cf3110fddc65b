//! `logpipe invoke`: a function's handler, in-process, on a Lambda event file. By default objects
//! come from `events/objects/` and documents go to a local folder, so every function can be tried
//! without Docker or an AWS account.

use crate::args::{Function, InvokeArgs};
use crate::targets::{runtime, AnyObjects, AnySink, Aws, SinkArg, StoreArg};
use anyhow::{Context, Result};
use logpipe::delivery::{BatchResult, Outcome, Record, RecordSink};
use logpipe::lambda::config::Config;
use logpipe::lambda::events::KinesisEvent;
use logpipe::lambda::firehose_transform::{
    self, FirehoseInputRecord, FirehoseTransformEvent, FirehoseTransformResponse, TransformResult,
};
use logpipe::lambda::{cloudwatch_forwarder, kinesis_relay, s3_access_logs, Deps, HandlerError, Invocation};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(args: &InvokeArgs) -> Result<ExitCode> {
    runtime()?.block_on(invoke(args))
}

async fn invoke(args: &InvokeArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.event).with_context(|| format!("cannot read {}", args.event.display()))?;
    let event: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", args.event.display()))?;
    let mut aws = Aws::default();
    let store_arg = args
        .failed_store
        .clone()
        .unwrap_or_else(|| StoreArg::Dir(args.sink.default_store_dir()));
    let (store, bucket, prefix) = AnyObjects::store(&store_arg, &mut aws).await;
    let deps = Deps {
        sink: Arc::new(AnySink::new(&args.sink, &mut aws).await?),
        store,
        objects: AnyObjects::source(&args.objects, &mut aws).await?,
        config: Config {
            delivery_stream: match &args.sink {
                SinkArg::Firehose(stream) => stream.clone(),
                SinkArg::Dir(dir) => dir.display().to_string(),
            },
            // The sink is made from --sink: one Firehose stream, or a folder split by log type.
            delivery_streams: Default::default(),
            log_format: args.log_format,
            failed_bucket: Some(bucket),
            failed_prefix: prefix,
            limits: args.input.limits(),
            allowed_accounts: args.allowed_accounts.as_ref().map(|list| {
                list.split(',')
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect()
            }),
            max_in_flight: 4,
            deadline_margin: None,
        },
    };
    let name = match args.function {
        Function::S3AccessLogs => "s3-access-logs",
        Function::CloudwatchForwarder => "cloudwatch-forwarder",
        Function::KinesisRelay => "kinesis-relay",
        Function::FirehoseTransform => "firehose-transform",
    };
    let invocation = Invocation::local(name, &crate::ship::run_id(), Duration::from_secs(args.timeout));
    let response = match args.function {
        Function::S3AccessLogs => Box::pin(s3_access_logs::handle(event, &invocation, &deps)).await,
        Function::CloudwatchForwarder => Box::pin(cloudwatch_forwarder::handle(event, &invocation, &deps)).await,
        Function::KinesisRelay => {
            let event: KinesisEvent = serde_json::from_value(event).context("not a Kinesis event")?;
            Box::pin(kinesis_relay::handle(event, &invocation, &deps))
                .await
                .and_then(|r| {
                    serde_json::to_value(r).map_err(|e| logpipe::lambda::HandlerError::InvalidEvent(e.to_string()))
                })
        }
        Function::FirehoseTransform => {
            let event: FirehoseTransformEvent =
                serde_json::from_value(event).context("not a Firehose data-transformation event")?;
            let response = match &*deps.sink {
                AnySink::Local(_) => Box::pin(play_firehose(event, &invocation, &deps)).await,
                AnySink::Firehose(_) => Box::pin(firehose_transform::handle(event, &invocation, &deps)).await,
            };
            response.and_then(|r| serde_json::to_value(r).map_err(|e| HandlerError::InvalidEvent(e.to_string())))
        }
    };
    let finished = deps.sink.finish()?;
    match response {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            for line in finished {
                eprintln!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            // What Lambda would report: errorType and errorMessage.
            println!(
                "{}",
                serde_json::json!({ "errorType": e.error_type(), "errorMessage": e.to_string() })
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Most invocations `play_firehose` makes for one event (re-ingested records are transformed again;
/// a split payload needs a few rounds at most).
const MAX_ROUNDS: usize = 10;

/// Keeps what the function re-ingests, for the next round.
#[derive(Default)]
struct Loopback(Mutex<Vec<Record>>);

impl RecordSink for Loopback {
    async fn deliver(&self, records: &[Record], _deadline: tokio::time::Instant) -> BatchResult {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(records);
        BatchResult {
            outcomes: vec![Outcome::Delivered; records.len()],
            calls: 1,
            resent: 0,
        }
    }
}

/// Runs `firehose-transform` as Firehose would with a local folder as the destination: the
/// documents of `Ok` answers are written to the folder, and re-ingested records make a new event,
/// until nothing is re-ingested. Returns the first invocation's response.
async fn play_firehose(
    event: FirehoseTransformEvent,
    invocation: &Invocation,
    deps: &Deps<AnySink, AnyObjects, AnyObjects>,
) -> Result<FirehoseTransformResponse, HandlerError> {
    let mut config = deps.config.clone();
    // Re-ingestion goes back into the stream named by the event, here the loopback.
    if let Some((_, stream)) = event
        .delivery_stream_arn
        .as_deref()
        .and_then(|arn| arn.rsplit_once('/'))
    {
        config.delivery_stream = stream.to_owned();
    }
    let loopback = Deps {
        sink: Arc::new(Loopback::default()),
        store: deps.store.clone(),
        objects: deps.objects.clone(),
        config,
    };
    let mut first = None;
    let mut event = event;
    for round in 1..=MAX_ROUNDS {
        let response = firehose_transform::handle(event.clone(), invocation, &loopback).await?;
        let written = write_documents(&response, &deps.sink).await;
        let again = std::mem::take(&mut *loopback.sink.0.lock().unwrap_or_else(|p| p.into_inner()));
        eprintln!(
            "invocation {round}: {} records, {written} documents to the folder, {} records re-ingested",
            response.records.len(),
            again.len()
        );
        first.get_or_insert(response);
        if again.is_empty() {
            break;
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        event.records = again
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let id = format!("{}-reingested-{round}-{i}", invocation.request_id);
                FirehoseInputRecord::new(id, Some(now_ms), &r.data)
            })
            .collect();
    }
    Ok(first.unwrap_or_default())
}

/// Writes the documents of the `Ok` answers through `sink`; returns how many.
async fn write_documents(response: &FirehoseTransformResponse, sink: &AnySink) -> usize {
    let mut records = Vec::new();
    let source: Arc<str> = Arc::from("firehose-transform");
    for (i, answer) in response.records.iter().enumerate() {
        if answer.result != TransformResult::Ok {
            continue;
        }
        let Some(ndjson) = answer.decoded_data() else {
            continue;
        };
        for line in ndjson.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let doc: serde_json::Value = serde_json::from_slice(line).unwrap_or_default();
            let log_type = match doc["log_type"].as_str() {
                Some("application") => "application",
                Some("cloudwatch") => "cloudwatch",
                _ => "unknown",
            };
            let mut data = line.to_vec();
            data.push(b'\n');
            records.push(Record {
                data: data.into(),
                event_id: doc["event_id"].as_str().unwrap_or_default().to_owned(),
                log_type,
                item: i,
                source: Arc::clone(&source),
            });
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut written = 0;
    for batch in records.chunks(logpipe::delivery::MAX_BATCH_RECORDS) {
        let result = sink.deliver(batch, deadline).await;
        written += result.outcomes.iter().filter(|o| **o == Outcome::Delivered).count();
    }
    written
}
