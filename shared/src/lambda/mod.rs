//! The Lambda functions' logic, testable without AWS. Each function crate in `functions/` only wires
//! AWS clients and calls one handler here; `logpipe invoke` calls the same handlers in-process with a
//! local folder instead of AWS.
//!
//! Failure behaviour, shared by all functions:
//! - a line that does not parse becomes an error document (never a failure);
//! - a permanent problem with one input (deleted object, corrupt gzip, decompression bomb, empty
//!   object, undecodable payload) becomes an error document naming it, and the invocation succeeds;
//! - a record Firehose keeps rejecting goes to the failed-record store;
//! - a transient problem (an object that cannot be read, a store that cannot be written, the deadline
//!   reached mid-object) fails the invocation (or, for SQS and Kinesis, reports the affected items) so
//!   AWS retries it. Retries reprocess whole items; documents keep their `event_id`s, so duplicates
//!   can be found.

pub mod cloudwatch_forwarder;
pub mod config;
pub mod firehose_transform;
pub mod kinesis_relay;
pub mod local;
pub mod opensearch_setup;
pub mod report;
pub mod s3_access_logs;
pub mod s3_event;

/// The Lambda event types the functions take, re-exported so function crates need no other crate.
pub mod events {
    pub use super::firehose_transform::{FirehoseTransformEvent, FirehoseTransformResponse};
    pub use aws_lambda_events::event::kinesis::KinesisEvent;
    pub use aws_lambda_events::event::streams::KinesisEventResponse;
}

use crate::aws::{FirehoseClient, S3Client};
use crate::delivery::{
    FailedRecordStore, FirehoseSink, ObjectStore, RecordSink, RetryPolicy, ShipError, Shipper, StreamRouter,
};
use config::Config;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// One invocation: its id and when it must end.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The Lambda request id (kept across AWS's retries of an asynchronous event).
    pub request_id: String,
    /// When the Lambda runtime stops the function.
    pub deadline: Instant,
    /// The function's name, for logs, metrics and failed-record object names.
    pub function: String,
}

impl Invocation {
    /// From the Lambda runtime's context (the function name is the deployed one, so the same code
    /// deployed twice reports under two names).
    pub fn from_context(context: &lambda_runtime::Context) -> Invocation {
        let function = context.env_config.function_name.as_str();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let left = match context.deadline.checked_sub(now_ms) {
            Some(ms) => Duration::from_millis(ms),
            None => {
                // A deadline already past cannot come from AWS; local emulators send other values
                // (cargo-lambda 1.9 sends a relative 600000). Use Lambda's longest timeout.
                tracing::warn!(
                    deadline = context.deadline,
                    "The runtime's deadline is in the past; assuming 15 minutes."
                );
                Duration::from_secs(900)
            }
        };
        Invocation {
            request_id: context.request_id.clone(),
            deadline: Instant::now() + left,
            function: function.to_owned(),
        }
    }

    /// For local runs and tests: `timeout` from now.
    pub fn local(function: &str, request_id: &str, timeout: Duration) -> Invocation {
        Invocation {
            request_id: request_id.to_owned(),
            deadline: Instant::now() + timeout,
            function: function.to_owned(),
        }
    }
}

/// What a handler needs: where records go, where failed records go, where objects come from, and
/// the settings.
pub struct Deps<S, O, R> {
    /// Delivery of batches.
    pub sink: Arc<S>,
    /// The failed-record store's backing store.
    pub store: O,
    /// Input objects (s3-access-logs).
    pub objects: R,
    /// Settings.
    pub config: Config,
}

impl<S: RecordSink, O: ObjectStore + Clone, R> Deps<S, O, R> {
    /// A shipper for one invocation, stopping `config.margin` before the deadline.
    pub fn shipper(&self, invocation: &Invocation) -> Shipper<S, O> {
        let now = Instant::now();
        let margin = self.config.margin(invocation.deadline.saturating_duration_since(now));
        let failed = FailedRecordStore::new(
            self.store.clone(),
            self.config.failed_bucket.clone(),
            &self.config.failed_prefix,
            &invocation.function,
            &invocation.request_id,
        );
        Shipper::new(
            Arc::clone(&self.sink),
            Arc::new(failed),
            self.config.max_in_flight,
            invocation.deadline.checked_sub(margin).unwrap_or(now),
        )
    }
}

/// Why an invocation failed. `error_type` is what the Lambda runtime reports.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event has no shape this function knows: retrying will not help, but failing keeps the event
    /// (AWS sends it to the on-failure destination after its retries).
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// An input could not be read (access denied, throttling, network).
    #[error("reading {source_name} failed: {message}")]
    Read { source_name: String, message: String },
    /// Records could be neither delivered nor stored.
    #[error(transparent)]
    Undeliverable(Box<ShipError>),
    /// The deadline came before the input was finished.
    #[error("{0}")]
    Deadline(String),
}

impl From<ShipError> for HandlerError {
    fn from(e: ShipError) -> Self {
        HandlerError::Undeliverable(Box::new(e))
    }
}

impl HandlerError {
    /// `InvalidEvent` for events that will never succeed, `Retryable` for the rest.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::InvalidEvent(_) => "InvalidEvent",
            _ => "Retryable",
        }
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// The dependencies of a function running in AWS: Firehose and S3 clients from the standard SDK
/// configuration, settings from the environment. Also starts the JSON logs.
pub type AwsDeps = Deps<FirehoseSink<FirehoseClient>, S3Client, S3Client>;

/// Builds [`AwsDeps`] once per process (cold start): logs, settings from the environment, clients.
pub async fn aws_deps() -> Result<AwsDeps, config::ConfigError> {
    init_tracing();
    Ok(aws_deps_with(Config::from_env()?).await)
}

/// [`AwsDeps`] with the given settings and clients from the standard SDK configuration: documents
/// go to the delivery stream of their log type (`LOGPIPE_DELIVERY_STREAMS`, else
/// `LOGPIPE_DELIVERY_STREAM`).
pub async fn aws_deps_with(config: Config) -> AwsDeps {
    let (firehose, s3) = crate::aws::clients().await;
    let streams = StreamRouter::new(config.delivery_stream.clone(), &config.delivery_streams);
    Deps {
        sink: Arc::new(FirehoseSink::new(firehose, streams, RetryPolicy::default())),
        store: s3.clone(),
        objects: s3,
        config,
    }
}

/// Structured JSON logs to stdout (Lambda sends them to CloudWatch Logs); level from `RUST_LOG`,
/// `info` by default.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(log_filter())
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Human-readable logs on stderr, for the `logpipe` command; level from `RUST_LOG`, `warn` by default
/// (`info` shows each invocation's summary).
pub fn init_cli_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

fn log_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}
