//! `logpipe invoke`: a function's handler, in-process, on a Lambda event file. By default objects
//! come from `events/objects/` and documents go to a local folder, so every function can be tried
//! without Docker or an AWS account.

use crate::args::{Function, InvokeArgs};
use crate::targets::{runtime, AnyObjects, AnySink, Aws, SinkArg, StoreArg};
use anyhow::{Context, Result};
use logpipe::lambda::config::Config;
use logpipe::lambda::events::KinesisEvent;
use logpipe::lambda::{cloudwatch_forwarder, kinesis_relay, s3_access_logs, Deps, Invocation};
use std::process::ExitCode;
use std::sync::Arc;
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
