//! Application Load Balancer access logs (being written).
use super::{LineOutcome, LineParser};
use crate::error::ParseError;

/// Parser for ALB access log lines.
#[derive(Debug, Default)]
pub struct AlbParser {}

impl LineParser for AlbParser {
    fn log_type(&self) -> &'static str {
        "alb"
    }
    fn parse_line(&mut self, _line: &str, _event_id: &str, _out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        Err(ParseError::UnknownFormat)
    }
}
