//! The pipeline: one input (object, file, stdin) → decode → lines or payloads → documents → sink.


use crate::decode::{self, Decoder};
use crate::document::{write_error_document, Doc, ErrorOrigin, Source};
use crate::error::{DecodeError, ParseError};
use crate::formats::{self, cloudwatch, Format, FormatChoice, LineOutcome, LineParser};
use crate::lines::{Line, LineReader};
use crate::sink::{DocSink, SinkError};
use crate::timestamp::Timestamp;
use std::io::Read;
use std::ops::AddAssign;

/// Bounds on what one input may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes one input may inflate to; more is treated as a decompression bomb and the rest of
    /// the input is rejected with an error document.
    pub max_inflated_bytes: u64,
    /// Longest line kept; a longer line becomes an error document holding its first bytes.
    pub max_line_bytes: usize,
}

impl Limits {
    /// 4 GiB of inflated data per input: an ALB or CloudFront file is at most a few hundred MB.
    pub const DEFAULT_MAX_INFLATED_BYTES: u64 = 4 << 30;
    /// 1 MiB per line: ALB caps user agents at 8 KB and CloudFront does not log URLs over 8 KB;
    /// CloudWatch events are at most 1 MB.
    pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_inflated_bytes: Self::DEFAULT_MAX_INFLATED_BYTES,
            max_line_bytes: Self::DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Counts for one or more inputs. For line formats,
/// `lines == documents + line_errors + headers + blank_lines`; for CloudWatch Logs,
/// `log_events == documents + event_errors`; `error_documents` counts every error document,
/// including one per unreadable payload and one per input whose decoding failed (`decode_errors`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Inputs processed.
    pub inputs: u64,
    /// Bytes after decompression.
    pub bytes_inflated: u64,
    /// Lines read from line-based inputs.
    pub lines: u64,
    /// Header and comment lines (CloudFront `#Version`, `#Fields`).
    pub headers: u64,
    /// Empty lines.
    pub blank_lines: u64,
    /// CloudWatch Logs payloads (JSON envelopes) read.
    pub payloads: u64,
    /// CloudWatch Logs `CONTROL_MESSAGE` payloads, which carry no log data.
    pub control_messages: u64,
    /// CloudWatch Logs log events read from `DATA_MESSAGE` payloads.
    pub log_events: u64,
    /// Documents written, error documents not included.
    pub documents: u64,
    /// Error documents written, all causes.
    pub error_documents: u64,
    /// Error documents for lines that did not parse.
    pub line_errors: u64,
    /// Error documents for log events that did not parse.
    pub event_errors: u64,
    /// Error documents for payloads that could not be decoded.
    pub payload_errors: u64,
    /// Inputs whose decoding stopped early (corrupt or truncated gzip, size limit).
    pub decode_errors: u64,
}

impl AddAssign for Summary {
    fn add_assign(&mut self, o: Summary) {
        self.inputs += o.inputs;
        self.bytes_inflated += o.bytes_inflated;
        self.lines += o.lines;
        self.headers += o.headers;
        self.blank_lines += o.blank_lines;
        self.payloads += o.payloads;
        self.control_messages += o.control_messages;
        self.log_events += o.log_events;
        self.documents += o.documents;
        self.error_documents += o.error_documents;
        self.line_errors += o.line_errors;
        self.event_errors += o.event_errors;
        self.payload_errors += o.payload_errors;
        self.decode_errors += o.decode_errors;
    }
}

/// Why an input could not be processed to its end in a way that a retry might fix.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The sink refused a document.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// Reading the input failed (network, file system): retrying may succeed.
    #[error("reading {source_name} failed: {error}")]
    Read { source_name: String, error: DecodeError },
}

/// Processes one input to its end: decodes it, detects or applies its format, and hands every
/// document to `sink`.
///
/// Nothing is dropped: each line becomes a document or an error document (or is counted as a header
/// or blank line); corrupt gzip or a crossed size limit becomes one more error document naming the
/// source and how far decoding got, and the lines before it are kept. Only a failing sink or a
/// failing read (which a retry may fix) returns `Err`.
pub fn process<R: Read>(
    input: R,
    source: &Source,
    choice: FormatChoice,
    limits: &Limits,
    sink: &mut dyn DocSink,
) -> Result<Summary, PipelineError> {
    let mut summary = Summary {
        inputs: 1,
        ..Summary::default()
    };
    let mut out = Vec::with_capacity(4096);
    let decoder = match Decoder::new(input, limits.max_inflated_bytes) {
        Ok(d) => d,
        Err(e) => return Err(read_error(source, decode::classify(e, false, 0))),
    };
    let mut reader = LineReader::new(std::io::BufReader::with_capacity(decode::BUFFER_BYTES, decoder), limits.max_line_bytes);
    let format = match choice {
        FormatChoice::Fixed(f) => Some(f),
        FormatChoice::Auto => match reader.peek() {
            Ok(head) => formats::detect(head),
            Err(e) => {
                let error = reader.get_ref().get_ref().classify(e);
                return finish_with_decode_error(error, source, None, &mut out, sink, summary);
            }
        },
    };
    let result = match format {
        Some(Format::CloudWatch) => {
            let mut whole = Vec::new();
            match reader.read_whole(&mut whole) {
                Ok(()) => {
                    summary.bytes_inflated = whole.len() as u64;
                    cloudwatch::process_input(&whole, source, limits, sink, &mut summary)?;
                    Ok(())
                }
                Err(e) => Err((reader.get_ref().get_ref().classify(e), None)),
            }
        }
        Some(f) => {
            let parser = formats::line_parser(f).expect("every format but CloudWatch is line-based");
            run_lines(&mut reader, parser, source, sink, &mut out, &mut summary)?
        }
        None => run_lines(&mut reader, Box::new(Unrecognized), source, sink, &mut out, &mut summary)?,
    };
    summary.bytes_inflated = summary.bytes_inflated.max(reader.get_ref().get_ref().inflated());
    match result {
        Ok(()) => {
            sink.finish()?;
            Ok(summary)
        }
        Err((error, line)) => finish_with_decode_error(error, source, line, &mut out, sink, summary),
    }
}

fn read_error(source: &Source, error: DecodeError) -> PipelineError {
    PipelineError::Read {
        source_name: source.name().to_owned(),
        error,
    }
}

/// Permanent decode failures (corrupt gzip, size limit) end the input with an error document;
/// read failures are returned so the caller can retry.
fn finish_with_decode_error(
    error: DecodeError,
    source: &Source,
    line: Option<u64>,
    out: &mut Vec<u8>,
    sink: &mut dyn DocSink,
    mut summary: Summary,
) -> Result<Summary, PipelineError> {
    if matches!(error, DecodeError::Io { .. }) {
        return Err(read_error(source, error));
    }
    let mut event_id = String::new();
    // Numbered after the last line read, so re-processing gives it the same id.
    source.event_id(line.unwrap_or(summary.lines) + 1, &mut event_id);
    let timestamp = Timestamp::now();
    out.clear();
    let origin = ErrorOrigin {
        source: source.name(),
        line,
    };
    write_error_document(out, &timestamp, "unknown", &event_id, &error, origin, "");
    sink.accept(Doc {
        json: out,
        log_type: "unknown",
        timestamp,
        event_id: &event_id,
        is_error: true,
    })?;
    summary.error_documents += 1;
    summary.decode_errors += 1;
    sink.finish()?;
    Ok(summary)
}

type LinesResult = Result<(), (DecodeError, Option<u64>)>;

fn run_lines<R: Read>(
    reader: &mut LineReader<std::io::BufReader<Decoder<R>>>,
    mut parser: Box<dyn LineParser + Send>,
    source: &Source,
    sink: &mut dyn DocSink,
    out: &mut Vec<u8>,
    summary: &mut Summary,
) -> Result<LinesResult, SinkError> {
    let log_type = parser.log_type();
    let mut event_id = String::with_capacity(48);
    let mut line_no: u64 = 0;
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(Ok(())),
            Err(e) => {
                let error = reader.get_ref().get_ref().classify(e);
                return Ok(Err((error, Some(line_no))));
            }
        };
        line_no += 1;
        summary.lines += 1;
        let (bytes, too_long) = match line {
            Line::Full(b) if b.is_empty() => {
                summary.blank_lines += 1;
                continue;
            }
            Line::Full(b) => (b, None),
            Line::TooLong { head, len } => (head, Some(len)),
        };
        let text = String::from_utf8_lossy(bytes);
        source.event_id(line_no, &mut event_id);
        out.clear();
        let outcome = match too_long {
            None => parser.parse_line(&text, &event_id, out),
            Some(len) => Err(ParseError::LineTooLong {
                len,
                limit: bytes.len(),
            }),
        };
        let (timestamp, is_error) = match outcome {
            Ok(LineOutcome::Document(ts)) => {
                summary.documents += 1;
                (ts, false)
            }
            Ok(LineOutcome::Header) => {
                summary.headers += 1;
                continue;
            }
            Err(error) => {
                let ts = Timestamp::now();
                out.clear();
                let origin = ErrorOrigin {
                    source: source.name(),
                    line: Some(line_no),
                };
                write_error_document(out, &ts, log_type, &event_id, &error, origin, &text);
                summary.error_documents += 1;
                summary.line_errors += 1;
                (ts, true)
            }
        };
        sink.accept(Doc {
            json: out,
            log_type,
            timestamp,
            event_id: &event_id,
            is_error,
        })?;
    }
}

/// The parser used when `auto` recognises no format: every line becomes an error document.
struct Unrecognized;

impl LineParser for Unrecognized {
    fn log_type(&self) -> &'static str {
        "unknown"
    }

    fn parse_line(&mut self, _line: &str, _event_id: &str, _out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        Err(ParseError::UnknownFormat)
    }
}
