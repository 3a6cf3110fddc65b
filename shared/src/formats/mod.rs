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
pub mod cloudwatch_messages;
mod detect;
pub mod nlb;
pub mod s3_access;
#[cfg(test)]
mod test_support;
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
    /// Application Load Balancer connection logs.
    AlbConnection,
    /// Network Load Balancer access logs (TLS listeners).
    Nlb,
    /// Classic Load Balancer access logs.
    Clb,
    /// CloudFront standard (legacy) access logs.
    CloudFront,
    /// CloudFront standard logging v2 (JSON, W3C or plain), same documents as legacy ones.
    CloudFrontV2,
    /// CloudFront real-time logs (the default field list).
    CloudFrontRealtime,
    /// Amazon S3 server access logs.
    S3Access,
    /// VPC flow logs (default or header-declared format).
    VpcFlow,
    /// AWS WAF logs (JSON lines).
    Waf,
    /// CloudTrail: log files (`{"Records":[…]}`) or single events.
    CloudTrail,
    /// API Gateway access logs (JSON or CLF).
    ApiGateway,
    /// CloudWatch Logs subscription payloads.
    CloudWatch,
}

impl Format {
    /// Every format, in the order they are documented.
    pub const ALL: [Format; 13] = [
        Format::Alb,
        Format::AlbConnection,
        Format::Nlb,
        Format::Clb,
        Format::CloudFront,
        Format::CloudFrontV2,
        Format::CloudFrontRealtime,
        Format::S3Access,
        Format::VpcFlow,
        Format::Waf,
        Format::CloudTrail,
        Format::ApiGateway,
        Format::CloudWatch,
    ];

    /// The document's `log_type` (CloudFront v2 documents are CloudFront documents).
    pub fn log_type(self) -> &'static str {
        match self {
            Format::Alb => "alb",
            Format::AlbConnection => "alb_connection",
            Format::Nlb => "nlb",
            Format::Clb => "clb",
            Format::CloudFront | Format::CloudFrontV2 => "cloudfront",
            Format::CloudFrontRealtime => "cloudfront_realtime",
            Format::S3Access => "s3_access",
            Format::VpcFlow => "vpcflow",
            Format::Waf => waf::LOG_TYPE,
            Format::CloudTrail => cloudtrail::LOG_TYPE,
            Format::ApiGateway => apigateway::LOG_TYPE,
            Format::CloudWatch => "cloudwatch",
        }
    }

    /// The format's name on the command line and in `LOGPIPE_LOG_FORMAT`.
    pub fn name(self) -> &'static str {
        match self {
            Format::CloudFrontV2 => "cloudfront_v2",
            other => other.log_type(),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
            .find(|f| f.name() == s)
            .map(FormatChoice::Fixed)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{s}` (expected {} or auto)", names.join(", "))
            })
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

/// A fresh parser for a line-based format; `None` for CloudWatch Logs and CloudTrail, whose inputs
/// are read whole (a CloudTrail log file is one JSON object on one line).
pub fn line_parser(format: Format) -> Option<Box<dyn LineParser + Send>> {
    Some(match format {
        Format::Alb => Box::new(alb::AlbParser),
        Format::AlbConnection => Box::new(alb_conn::AlbConnParser),
        Format::Nlb => Box::new(nlb::NlbParser),
        Format::Clb => Box::new(clb::ClbParser),
        Format::CloudFront => Box::new(cloudfront::CloudFrontParser::default()),
        Format::CloudFrontV2 => Box::new(cloudfront_v2::CloudFrontV2Parser::default()),
        Format::CloudFrontRealtime => Box::new(
            cloudfront_realtime::CloudFrontRealtimeParser::from_env().unwrap_or_else(|e| {
                // The functions refuse to start with a bad list (`lambda::config`); the CLI says so.
                tracing::error!(error = %e, "Using every documented real-time field instead.");
                cloudfront_realtime::CloudFrontRealtimeParser::default()
            }),
        ),
        Format::S3Access => Box::new(s3_access::S3AccessParser),
        Format::VpcFlow => Box::new(vpc_flow::VpcFlowParser::default()),
        Format::Waf => Box::new(waf::WafParser::default()),
        Format::ApiGateway => Box::new(apigateway::ApiGatewayParser::default()),
        Format::CloudTrail | Format::CloudWatch => return None,
    })
}
