//! CloudFront standard access logs (placeholder: being written).
use super::{LineOutcome, LineParser};
use crate::error::ParseError;

/// Parser state for one CloudFront log input.
#[derive(Debug, Default)]
pub struct CloudFrontParser {}

impl LineParser for CloudFrontParser {
    fn log_type(&self) -> &'static str {
        "cloudfront"
    }
    fn parse_line(&mut self, _line: &str, _event_id: &str, _out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        Err(ParseError::UnknownFormat)
    }
}
