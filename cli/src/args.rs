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
    /// Set up an OpenSearch domain: index templates, retention, roles, users, dashboards.
    #[command(subcommand)]
    Opensearch(OpenSearchCommand),
}

#[derive(Debug, Subcommand)]
pub enum OpenSearchCommand {
    /// Apply the setup to a domain: reads each object and writes only what differs, then reports
    /// what it created, updated or left unchanged.
    Apply(OpenSearchApplyArgs),
    /// Write the request bodies `apply` would send into a folder, without contacting anything.
    Render(OpenSearchRenderArgs),
}

/// How `opensearch apply` authenticates.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OpenSearchAuth {
    /// AWS SigV4 with the usual credential chain (the identity must be the domain's master user or
    /// mapped to all_access and security_manager).
    Sigv4,
    /// HTTP basic auth as an internal user: --user, password in LOGPIPE_OPENSEARCH_PASSWORD.
    Basic,
    /// No authentication (a local OpenSearch without the security plugin).
    None,
}

#[derive(Debug, Args)]
pub struct SetupOptions {
    /// Backend role allowed to write logs-*: the Firehose delivery role ARN (repeatable).
    #[arg(long, value_name = "ARN")]
    pub writer_backend_role: Vec<String>,

    /// Backend role of the developers who read logs-* (internal users get it; repeatable).
    #[arg(long, value_name = "ROLE", default_value = "logpipe-developers")]
    pub reader_backend_role: Vec<String>,

    /// A user mapped directly to the reader roles (repeatable).
    #[arg(long, value_name = "USER")]
    pub reader_user: Vec<String>,

    /// Internal users to create: a JSON array of {"name", "password" | "hash"}.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,

    /// Set the users' passwords even when the users exist.
    #[arg(long)]
    pub reset_passwords: bool,

    /// Days a daily index is kept before the ISM policy deletes it.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub retention_days: u32,

    /// Primary shards per daily index.
    #[arg(long, default_value_t = 1)]
    pub shards: u32,

    /// Replicas per shard.
    #[arg(long, default_value_t = 1)]
    pub replicas: u32,

    /// index.mapping.total_fields.limit.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub total_fields_limit: u32,

    /// index.refresh_interval.
    #[arg(long, value_name = "INTERVAL", default_value = "5s")]
    pub refresh_interval: String,

    /// Leave Dashboards saved objects alone.
    #[arg(long)]
    pub no_dashboards: bool,

    /// Leave security roles, mappings and users alone (a cluster without the security plugin, e.g.
    /// a local container started with DISABLE_SECURITY_PLUGIN=true).
    #[arg(long)]
    pub no_security: bool,
}

#[derive(Debug, Args)]
pub struct OpenSearchApplyArgs {
    /// The domain endpoint, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com or
    /// http://localhost:9200.
    #[arg(long, value_name = "URL")]
    pub endpoint: String,

    /// Where OpenSearch Dashboards answers [default: <endpoint>/_dashboards, as on AWS].
    #[arg(long, value_name = "URL")]
    pub dashboards_url: Option<String>,

    /// How requests are authenticated.
    #[arg(long, value_enum, default_value = "sigv4")]
    pub auth: OpenSearchAuth,

    /// Internal user for --auth basic.
    #[arg(long)]
    pub user: Option<String>,

    /// Region for SigV4 [default: the AWS configuration's].
    #[arg(long)]
    pub region: Option<String>,

    #[command(flatten)]
    pub setup: SetupOptions,
}

#[derive(Debug, Args)]
pub struct OpenSearchRenderArgs {
    /// Folder to write into.
    #[arg(long, value_name = "DIR", default_value = "logpipe-out/opensearch")]
    pub out: PathBuf,

    #[command(flatten)]
    pub setup: SetupOptions,
}

/// Options shared by every command that reads logs.
#[derive(Debug, Args)]
pub struct InputOptions {
    /// Log format: alb, alb_connection, nlb, clb, cloudfront, cloudfront_v2, cloudfront_realtime,
    /// s3_access, vpcflow, cloudwatch, or auto (detected from each input's content).
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
    /// Firehose data transformation. With a folder as --sink, the invocation plays Firehose: the
    /// answered documents go to the folder, and re-ingested records are transformed again.
    FirehoseTransform,
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

    /// Where documents go: a local folder or firehose://STREAM (for firehose-transform, the stream
    /// records that do not fit the response are re-ingested into).
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
