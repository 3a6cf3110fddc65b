//! Errors, typed where they are produced. A [`ParseError`] never fails an invocation: it becomes an
//! error document. A [`DecodeError`] concerns a whole object (gzip, size limit, I/O) and is reported
//! by the pipeline with the object's name and how far it got.

use std::fmt::Display;
use std::io;

/// An error that can be written into an error document: a stable `kind` and a message.
pub trait DocError: Display {
    /// Stable machine-readable name, written as `error.kind`.
    fn kind(&self) -> &'static str;
}

/// Longest offending value quoted in an error message.
const MAX_QUOTED_VALUE: usize = 200;

/// Why one line (or one log event) could not become a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Fewer fields than the oldest version of the format had.
    #[error("line has {found} fields, at least {expected} expected")]
    TooFewFields { expected: usize, found: usize },
    /// A field whose value does not have the documented type.
    #[error("field `{field}` is not {expected}: `{value}`")]
    InvalidField {
        field: &'static str,
        expected: &'static str,
        value: String,
    },
    /// A quoted field without its closing quote.
    #[error("field `{field}` has an opening quote and no closing quote")]
    UnterminatedQuote { field: &'static str },
    /// A line longer than the pipeline's line limit.
    #[error("line of {len} bytes is longer than the {limit}-byte line limit")]
    LineTooLong { len: u64, limit: usize },
    /// The input did not look like any format logpipe knows.
    #[error("the input matches no known log format")]
    UnknownFormat,
    /// A payload that is not what the format requires (CloudWatch Logs JSON, base64, gzip).
    #[error("invalid payload: {reason}")]
    InvalidPayload { reason: String },
}

impl ParseError {
    /// Builds [`ParseError::InvalidField`], quoting at most 200 bytes of the value.
    pub fn invalid(field: &'static str, expected: &'static str, value: &str) -> ParseError {
        ParseError::InvalidField {
            field,
            expected,
            value: crate::document::cap_at_char_boundary(value, MAX_QUOTED_VALUE).to_owned(),
        }
    }
}

impl DocError for ParseError {
    fn kind(&self) -> &'static str {
        match self {
            ParseError::TooFewFields { .. } => "too_few_fields",
            ParseError::InvalidField { .. } => "invalid_field",
            ParseError::UnterminatedQuote { .. } => "unterminated_quote",
            ParseError::LineTooLong { .. } => "line_too_long",
            ParseError::UnknownFormat => "unknown_format",
            ParseError::InvalidPayload { .. } => "invalid_payload",
        }
    }
}

/// Why an object (or the rest of it) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// More inflated bytes than the configured ceiling: a decompression bomb, or a limit set too low.
    #[error("inflated size exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// Gzip data that ends early or fails its checks, after `inflated` good bytes.
    #[error("corrupt or truncated gzip after {inflated} inflated bytes: {source}")]
    Gzip { inflated: u64, source: io::Error },
    /// Any other read failure (network, file system).
    #[error("read failed after {inflated} inflated bytes: {source}")]
    Io { inflated: u64, source: io::Error },
}

impl DocError for DecodeError {
    fn kind(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "inflated_size_limit",
            DecodeError::Gzip { .. } => "corrupt_gzip",
            DecodeError::Io { .. } => "read_failed",
        }
    }
}

/// A problem with a whole input (an object that is gone, empty, or a payload that cannot be read),
/// recorded as an error document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// Stable name, written as `error.kind` (`object_not_found`, `empty_object`, …).
    pub kind: &'static str,
    /// What happened.
    pub message: String,
}

impl DocError for InputError {
    fn kind(&self) -> &'static str {
        self.kind
    }
}
