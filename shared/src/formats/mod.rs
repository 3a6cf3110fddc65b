//! Log formats: one module per AWS log type, each with its field table in the module docs.
//!
//! Line-based formats (ALB, CloudFront) implement [`LineParser`]: the pipeline hands them one line
//! at a time and they write one document. CloudWatch Logs subscription payloads are JSON
//! envelopes holding many log events; see [`cloudwatch`].

pub mod alb;
pub mod alb_conn;
pub mod apigateway;
pub mod clb;
pub mod cloudfront;
pub mod cloudfront_realtime;
pub mod cloudfront_v2;
pub mod cloudtrail;
pub mod cloudwatch;
mod detect;
pub mod nlb;
pub mod s3_access;
pub mod vpc_flow;
pub mod waf;

pub use detect::detect;

use crate::error::ParseError;
use crate::timestamp::Timestamp;
use std::fmt;
use std::str::FromStr;

/// A log format logpipe can parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Application Load Balancer access logs.
    Alb,
    /// CloudFront standard (legacy) access logs.
    CloudFront,
    /// CloudWatch Logs subscription payloads.
    CloudWatch,
}

impl Format {
    /// Every format, in the order they are documented.
    pub const ALL: [Format; 3] = [Format::Alb, Format::CloudFront, Format::CloudWatch];

    /// The document's `log_type`, also the format's name on the command line.
    pub fn log_type(self) -> &'static str {
        match self {
            Format::Alb => "alb",
            Format::CloudFront => "cloudfront",
            Format::CloudWatch => "cloudwatch",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.log_type())
    }
}

/// A format chosen by the user: a fixed one, or detected from each input's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Always this format.
    Fixed(Format),
    /// Decide per input from its first bytes ([`detect`]).
    Auto,
}

impl FromStr for FormatChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "auto" {
            return Ok(FormatChoice::Auto);
        }
        Format::ALL
            .into_iter()
            .find(|f| f.log_type() == s)
            .map(FormatChoice::Fixed)
            .ok_or_else(|| format!("unknown format `{s}` (expected alb, cloudfront, cloudwatch or auto)"))
    }
}

/// What a line turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// A document was written; it has this `@timestamp`.
    Document(Timestamp),
    /// A header or comment line (CloudFront `#Version`, `#Fields`): no document, counted.
    Header,
}

/// A parser for a line-based format. One instance reads one input from its first line on, so it
/// may keep state between lines (CloudFront's `#Fields` header).
pub trait LineParser {
    /// The `log_type` of the documents it writes.
    fn log_type(&self) -> &'static str;

    /// Parses one line (without its line ending, never empty) and appends one document to `out`,
    /// with `event_id` as its id. On error, whatever was appended to `out` is discarded by the
    /// caller, who writes an error document instead.
    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError>;
}

/// A fresh parser for a line-based format; `None` for CloudWatch, which is not line-based.
pub fn line_parser(format: Format) -> Option<Box<dyn LineParser + Send>> {
    match format {
        Format::Alb => Some(Box::new(alb::AlbParser)),
        Format::CloudFront => Some(Box::new(cloudfront::CloudFrontParser::default())),
        Format::CloudWatch => None,
    }
}
