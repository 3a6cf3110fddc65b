//! Command-line arguments.

use crate::targets::{SinkArg, StoreArg};
use clap::{Args, Parser, Subcommand, ValueEnum};
use logpipe::{FormatChoice, Limits};
use std::path::PathBuf;

/// Parse AWS logs (ALB, CloudFront, CloudWatch Logs) into JSON documents and ship them, locally.
#[derive(Debug, Parser)]
#[command(name = "logpipe", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse log files (or standard input) and write one JSON document per line to standard output.
    Parse(ParseArgs),
    /// Send files, folders or S3 prefixes through the pipeline into a sink (default: a local folder).
    Ship(ShipArgs),
    /// Run a Lambda function's handler in-process on an event file (e.g. from events/).
    Invoke(InvokeArgs),
}

/// Options shared by every command that reads logs.
#[derive(Debug, Args)]
pub struct InputOptions {
    /// Log format: alb, cloudfront, cloudwatch, or auto (detected from each input's content).
    #[arg(short, long, default_value = "auto", value_parser = parse_format)]
    pub format: FormatChoice,

    /// Most bytes one input may inflate to; past it the rest of the input becomes an error document.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_INFLATED_BYTES)]
    pub max_inflated_bytes: u64,

    /// Longest line kept; a longer line becomes an error document with its first bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,

    /// Most bytes one nested payload (CloudWatch Logs `awslogs.data`) may inflate to.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_PAYLOAD_BYTES)]
    pub max_payload_bytes: u64,
}

impl InputOptions {
    pub fn limits(&self) -> Limits {
        Limits {
            max_inflated_bytes: self.max_inflated_bytes,
            max_line_bytes: self.max_line_bytes,
            max_payload_bytes: self.max_payload_bytes,
        }
    }
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub input: InputOptions,

    /// Files to parse, gzip or plain; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShipArgs {
    #[command(flatten)]
    pub input: InputOptions,

    /// Where documents go: a local folder (laid out like the S3 archive, plus OpenSearch _bulk
    /// files), or firehose://STREAM (PutRecordBatch with retries, as the functions do).
    #[arg(long, value_name = "DIR|firehose://STREAM", default_value = "logpipe-out")]
    pub sink: SinkArg,

    /// Where undeliverable records go: a folder (they land in its failed/ subfolder) or
    /// s3://bucket/prefix [default: the sink folder, or logpipe-out for Firehose].
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub failed_store: Option<StoreArg>,

    /// Files, folders (read recursively, in name order) or s3://bucket/prefix (every object under it;
    /// a backfill).
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<PathBuf>,
}

impl ShipArgs {
    pub fn default_failed_dir(&self) -> PathBuf {
        self.sink.default_store_dir()
    }
}

/// The functions `invoke` can run.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Function {
    S3AccessLogs,
    CloudwatchForwarder,
    KinesisRelay,
}

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The function whose handler runs.
    pub function: Function,

    /// The Lambda event (JSON), e.g. events/s3-access-logs/s3-put-alb.json.
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,

    /// Where S3 objects named by the event are read: a folder holding <key> files, or `s3`.
    #[arg(long, value_name = "DIR|s3", default_value = "events/objects")]
    pub objects: String,

    /// Where documents go: a local folder or firehose://STREAM.
    #[arg(long, value_name = "DIR|firehose://STREAM", default_value = "logpipe-out")]
    pub sink: SinkArg,

    /// Where undeliverable and rejected records go: a folder (they land in its failed/ subfolder) or
    /// s3://bucket/prefix [default: the sink folder, or logpipe-out for Firehose].
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub failed_store: Option<StoreArg>,

    /// LOGPIPE_LOG_FORMAT for s3-access-logs: alb, cloudfront or auto.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    pub log_format: FormatChoice,

    /// LOGPIPE_ALLOWED_ACCOUNTS for kinesis-relay (comma list).
    #[arg(long, value_name = "IDS")]
    pub allowed_accounts: Option<String>,

    /// Time the handler gets, as Lambda's timeout would.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub timeout: u64,

    #[command(flatten)]
    pub input: InputOptions,
}

fn parse_format(s: &str) -> Result<FormatChoice, String> {
    s.parse()
}
