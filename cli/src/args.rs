//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
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
    /// Send files or folders through the pipeline into a sink (default: a local folder).
    Ship(ShipArgs),
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

    /// Where documents go: a local folder, laid out like the S3 archive, plus OpenSearch _bulk files.
    #[arg(long, value_name = "DIR", default_value = "logpipe-out")]
    pub sink: PathBuf,

    /// Files or folders (read recursively, in name order).
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<PathBuf>,
}

fn parse_format(s: &str) -> Result<FormatChoice, String> {
    s.parse()
}
