//! The document every format produces: common fields first, then the format's own.
//!
//! Every document starts with `@timestamp`, `log_type` and `event_id` (see `docs/schema.md`).
//! A line that cannot be parsed is never dropped: [`write_error_document`] turns it into a document
//! carrying `error.kind`, `error.message`, where it came from and the raw line (capped).

use crate::error::DocError;
use crate::json::ObjectWriter;
use crate::timestamp::Timestamp;

/// The raw line kept in an error document is cut at this many bytes (on a character boundary);
/// `error.raw_truncated` and `error.raw_bytes` then say so. 32 KiB keeps an error document far
/// below Firehose's 1,000 KiB record limit.
pub const MAX_RAW_MESSAGE_BYTES: usize = 32 * 1024;

/// One finished JSON document, as handed to a sink.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    /// The serialized JSON object, no trailing newline.
    pub json: &'a [u8],
    /// `alb`, `cloudfront`, `cloudwatch`, or `unknown` for error documents of undetected input.
    pub log_type: &'static str,
    /// The document's `@timestamp`.
    pub timestamp: Timestamp,
    /// The document's `event_id`.
    pub event_id: &'a str,
    /// True for error documents.
    pub is_error: bool,
}

/// Where a document comes from: an object or file, named once; documents are numbered by line.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    id_prefix: String,
}

impl Source {
    /// `name` identifies the input: `s3://bucket/key` for objects, the path as given for files,
    /// `stdin` for standard input. The same name always yields the same event ids.
    pub fn new(name: impl Into<String>) -> Source {
        let name = name.into();
        let hash = xxhash_rust::xxh3::xxh3_128(name.as_bytes());
        Source {
            id_prefix: format!("{hash:032x}"),
            name,
        }
    }

    /// The name given at creation.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes the deterministic `event_id` of line `line` (1-based) into `out`:
    /// 32 hex digits of XXH3-128 over the source name, `-`, the line number.
    pub fn event_id(&self, line: u64, out: &mut String) {
        out.clear();
        out.push_str(&self.id_prefix);
        out.push('-');
        out.push_str(itoa::Buffer::new().format(line));
    }
}

/// Opens a document and writes its common fields; the caller adds the format's fields and calls
/// [`ObjectWriter::end`].
pub fn begin_document<'b>(
    out: &'b mut Vec<u8>,
    timestamp: &Timestamp,
    log_type: &str,
    event_id: &str,
) -> ObjectWriter<'b> {
    let mut w = ObjectWriter::begin(out);
    w.str("@timestamp", timestamp.as_str());
    w.str("log_type", log_type);
    w.str("event_id", event_id);
    w
}

/// Where a failed line came from, for its error document.
#[derive(Debug, Clone, Copy)]
pub struct ErrorOrigin<'a> {
    /// The object or file name.
    pub source: &'a str,
    /// 1-based line number, when the input is line-based.
    pub line: Option<u64>,
}

/// Writes an error document for `raw`, which could not become a document of `log_type`.
pub fn write_error_document(
    out: &mut Vec<u8>,
    timestamp: &Timestamp,
    log_type: &str,
    event_id: &str,
    error: &dyn DocError,
    origin: ErrorOrigin<'_>,
    raw: &str,
) {
    let mut w = begin_document(out, timestamp, log_type, event_id);
    let mut e = w.object("error");
    e.str("kind", error.kind());
    e.str("message", &error.to_string());
    e.str("source", origin.source);
    if let Some(line) = origin.line {
        e.u64("line", line);
    }
    let kept = cap_at_char_boundary(raw, MAX_RAW_MESSAGE_BYTES);
    if kept.len() < raw.len() {
        e.bool("raw_truncated", true);
        e.u64("raw_bytes", raw.len() as u64);
    }
    e.end();
    w.str("message", kept);
    w.end();
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cap_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_ids_are_deterministic_and_positional() {
        let a = Source::new("s3://bucket/AWSLogs/x.log.gz");
        let b = Source::new("s3://bucket/AWSLogs/x.log.gz");
        let (mut ia, mut ib) = (String::new(), String::new());
        a.event_id(7, &mut ia);
        b.event_id(7, &mut ib);
        assert_eq!(ia, ib);
        assert!(ia.ends_with("-7") && ia.len() == 34, "{ia}");
        b.event_id(8, &mut ib);
        assert_ne!(ia, ib);
        Source::new("s3://bucket/AWSLogs/y.log.gz").event_id(7, &mut ib);
        assert_ne!(ia, ib);
    }

    #[test]
    fn error_document_carries_raw_line_and_origin() {
        let mut out = Vec::new();
        let ts = Timestamp::from_epoch_millis(0).unwrap();
        let err = crate::error::ParseError::TooFewFields { expected: 17, found: 2 };
        write_error_document(
            &mut out,
            &ts,
            "alb",
            "id-1",
            &err,
            ErrorOrigin {
                source: "f.log",
                line: Some(3),
            },
            "http oops",
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            json!({"@timestamp":"1970-01-01T00:00:00.000Z","log_type":"alb","event_id":"id-1",
                   "error":{"kind":"too_few_fields","message":"line has 2 fields, at least 17 expected",
                            "source":"f.log","line":3},
                   "message":"http oops"})
        );
    }

    #[test]
    fn error_document_caps_raw_line_on_char_boundary() {
        let raw = "é".repeat(MAX_RAW_MESSAGE_BYTES); // 2 bytes each
        let mut out = Vec::new();
        let ts = Timestamp::from_epoch_millis(0).unwrap();
        let origin = ErrorOrigin {
            source: "s",
            line: None,
        };
        write_error_document(
            &mut out,
            &ts,
            "alb",
            "i",
            &crate::error::ParseError::UnknownFormat,
            origin,
            &raw,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["message"].as_str().unwrap().len(), MAX_RAW_MESSAGE_BYTES);
        assert_eq!(v["error"]["raw_truncated"], json!(true));
        assert_eq!(v["error"]["raw_bytes"], json!(2 * MAX_RAW_MESSAGE_BYTES));
        assert_eq!(cap_at_char_boundary("aé", 2), "a");
    }
}
