//! The pipeline: one input (object, file, stdin) → decode → lines or payloads → documents → sink.

use crate::decode::{self, into_decode_error, Decoder};
use crate::document::{write_error_document, Doc, ErrorOrigin, Source};
use crate::error::{DecodeError, DocError, ParseError};
use crate::formats::{self, cloudwatch, Format, FormatChoice, LineOutcome, LineParser};
use crate::lines::{Line, LineReader};
use crate::prefetch;
use crate::sink::{DocSink, SinkError};
use crate::timestamp::Timestamp;
use std::io::{BufRead, BufReader, Read};
use std::ops::AddAssign;

/// Bounds on what one input may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes one input may inflate to; more is treated as a decompression bomb and the rest of
    /// the input is rejected with an error document.
    pub max_inflated_bytes: u64,
    /// Longest line kept; a longer line becomes an error document holding its first bytes.
    pub max_line_bytes: usize,
    /// Most bytes one payload nested inside an input (CloudWatch Logs `awslogs.data`, a gzip'd record
    /// inside a Firehose object) may inflate to. Such payloads are inflated in memory, so this bounds
    /// the memory a single hostile payload can take.
    pub max_payload_bytes: u64,
}

impl Limits {
    /// 4 GiB of inflated data per input: an ALB or CloudFront file is at most a few hundred MB.
    pub const DEFAULT_MAX_INFLATED_BYTES: u64 = 4 << 30;
    /// 1 MiB per line: ALB caps user agents at 8 KB and CloudFront does not log URLs over 8 KB;
    /// CloudWatch events are at most 1 MB.
    pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;
    /// 64 MiB per nested payload: CloudWatch Logs sends at most 1 MiB of events per payload.
    pub const DEFAULT_MAX_PAYLOAD_BYTES: u64 = 64 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_inflated_bytes: Self::DEFAULT_MAX_INFLATED_BYTES,
            max_line_bytes: Self::DEFAULT_MAX_LINE_BYTES,
            max_payload_bytes: Self::DEFAULT_MAX_PAYLOAD_BYTES,
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
/// failing read (which a retry may fix) returns `Err`. The caller calls [`DocSink::finish`] once
/// after its last input.
///
/// Gzip input is inflated on a second thread while this one parses (see [`crate::prefetch`]).
pub fn process<R: Read + Send>(
    input: R,
    source: &Source,
    choice: FormatChoice,
    limits: &Limits,
    sink: &mut dyn DocSink,
) -> Result<Summary, PipelineError> {
    let decoder =
        Decoder::new(input, limits.max_inflated_bytes).map_err(|e| read_error(source, into_decode_error(e)))?;
    if !decoder.is_gzip() {
        let mut lines = LineReader::new(
            BufReader::with_capacity(decode::BUFFER_BYTES, decoder),
            limits.max_line_bytes,
        );
        let result = run(&mut lines, source, choice, limits, sink);
        return finish(result, lines.get_ref().get_ref().inflated(), source, sink);
    }
    std::thread::scope(|scope| {
        let (prefetched, producer) = prefetch::spawn(scope, decoder, decode::BUFFER_BYTES, 4);
        let mut lines = LineReader::new(prefetched, limits.max_line_bytes);
        let result = run(&mut lines, source, choice, limits, sink);
        drop(lines); // stops the producer if parsing ended early
        let inflated = match producer.join() {
            Ok(decoder) => decoder.inflated(),
            Err(panic) => std::panic::resume_unwind(panic),
        };
        finish(result, inflated, source, sink)
    })
}

/// Decoding stopped early: why, after which line, and the bytes of the unfinished line read before it
/// (kept in the error document, so a line cut by a truncated gzip stream is not lost).
struct DecodeFailure {
    error: DecodeError,
    line: Option<u64>,
    partial: String,
}

/// How a run over an input ended: normally, or with a decode error (and the input's log type).
type RunResult = Result<(Summary, Option<(DecodeFailure, &'static str)>), SinkError>;

fn finish(result: RunResult, inflated: u64, source: &Source, sink: &mut dyn DocSink) -> Result<Summary, PipelineError> {
    let (mut summary, failure) = result?;
    summary.bytes_inflated = inflated;
    match failure {
        None => Ok(summary),
        Some((failure, log_type)) => finish_with_decode_error(failure, log_type, source, sink, summary),
    }
}

fn run<B: BufRead>(
    lines: &mut LineReader<B>,
    source: &Source,
    choice: FormatChoice,
    limits: &Limits,
    sink: &mut dyn DocSink,
) -> RunResult {
    let mut summary = Summary {
        inputs: 1,
        ..Summary::default()
    };
    let format = match choice {
        FormatChoice::Fixed(f) => Some(f),
        FormatChoice::Auto => match lines.peek() {
            Ok(head) => formats::detect(head),
            Err(e) => {
                let failure = DecodeFailure {
                    error: into_decode_error(e),
                    line: None,
                    partial: String::new(),
                };
                return Ok((summary, Some((failure, "unknown"))));
            }
        },
    };
    let log_type = format.map_or("unknown", Format::log_type);
    let failure = match format {
        Some(Format::CloudWatch) => {
            let mut whole = Vec::new();
            match lines.read_whole(&mut whole) {
                Ok(()) => {
                    cloudwatch::process_input(&whole, source, limits, sink, &mut summary)?;
                    None
                }
                Err(e) => Some(DecodeFailure {
                    error: into_decode_error(e),
                    line: None,
                    partial: String::new(),
                }),
            }
        }
        Some(Format::CloudTrail) => {
            let mut whole = Vec::new();
            match lines.read_whole(&mut whole) {
                Ok(()) => {
                    formats::cloudtrail::process_input(&whole, source, sink, &mut summary)?;
                    None
                }
                Err(e) => Some(DecodeFailure {
                    error: into_decode_error(e),
                    line: None,
                    partial: String::new(),
                }),
            }
        }
        Some(f) => {
            let parser = formats::line_parser(f).expect("every other format is line-based");
            run_lines(lines, parser, source, sink, &mut summary)?
        }
        None => run_lines(lines, Box::new(Unrecognized), source, sink, &mut summary)?,
    };
    Ok((summary, failure.map(|f| (f, log_type))))
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
    failure: DecodeFailure,
    log_type: &'static str,
    source: &Source,
    sink: &mut dyn DocSink,
    mut summary: Summary,
) -> Result<Summary, PipelineError> {
    let DecodeFailure { error, line, partial } = failure;
    if matches!(error, DecodeError::Io { .. }) {
        return Err(read_error(source, error));
    }
    // Numbered after the last line read, so re-processing gives it the same id.
    let position = line.unwrap_or(summary.lines) + 1;
    emit_input_error(sink, source, log_type, position, line, &error, &partial)?;
    summary.error_documents += 1;
    summary.decode_errors += 1;
    Ok(summary)
}

/// Hands `sink` one error document about a whole input (not a line): corrupt gzip, a crossed size
/// limit, a missing or empty object. Its `event_id` is the source's id at `position`; `line` is the
/// last line read, if any; `raw` (the unfinished line, when decoding stopped inside one) goes in
/// `message`.
pub fn emit_input_error(
    sink: &mut dyn DocSink,
    source: &Source,
    log_type: &'static str,
    position: u64,
    line: Option<u64>,
    error: &dyn DocError,
    raw: &str,
) -> Result<(), SinkError> {
    let mut event_id = String::new();
    source.event_id(position, &mut event_id);
    let timestamp = Timestamp::now();
    let mut out = Vec::new();
    let origin = ErrorOrigin {
        source: source.name(),
        line,
    };
    write_error_document(&mut out, &timestamp, log_type, &event_id, error, origin, raw);
    sink.accept(Doc {
        json: &out,
        log_type,
        timestamp,
        event_id: &event_id,
        is_error: true,
    })
}

/// Runs the lines of one input through `parser`; returns the decode error that ended it early, if any.
fn run_lines<B: BufRead>(
    reader: &mut LineReader<B>,
    mut parser: Box<dyn LineParser + Send>,
    source: &Source,
    sink: &mut dyn DocSink,
    summary: &mut Summary,
) -> Result<Option<DecodeFailure>, SinkError> {
    let log_type = parser.log_type();
    let mut event_id = String::with_capacity(48);
    let mut out = Vec::with_capacity(4096);
    let mut line_no: u64 = 0;
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Ok(Some(DecodeFailure {
                    error: into_decode_error(e),
                    line: Some(line_no),
                    partial: String::from_utf8_lossy(reader.partial_line()).into_owned(),
                }))
            }
        };
        line_no += 1;
        summary.lines += 1;
        let (bytes, too_long) = match line {
            Line::Full([]) => {
                summary.blank_lines += 1;
                continue;
            }
            Line::Full(b) => (b, None),
            Line::TooLong { head, len } => (head, Some(len)),
        };
        // Valid UTF-8 is the rule: check it fast, and only replace invalid bytes when there are some.
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        source.event_id(line_no, &mut event_id);
        out.clear();
        let outcome = match too_long {
            None => parser.parse_line(&text, &event_id, &mut out),
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
                write_error_document(&mut out, &ts, log_type, &event_id, &error, origin, &text);
                summary.error_documents += 1;
                summary.line_errors += 1;
                (ts, true)
            }
        };
        sink.accept(Doc {
            json: &out,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::MemorySink;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use serde_json::Value;
    use std::io::Write;

    const ALB: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn alb_lines(n: usize) -> String {
        (0..n).map(|_| format!("{ALB}\n")).collect()
    }

    fn run(input: &[u8], choice: FormatChoice, limits: Limits) -> (Summary, Vec<Value>) {
        let mut sink = MemorySink::default();
        let summary = process(
            input,
            &Source::new("s3://bucket/key.log.gz"),
            choice,
            &limits,
            &mut sink,
        )
        .unwrap();
        (summary, sink.values())
    }

    fn auto(input: &[u8]) -> (Summary, Vec<Value>) {
        run(input, FormatChoice::Auto, Limits::default())
    }

    #[test]
    fn multi_member_gzip_yields_every_line() {
        let mut data = Vec::new();
        for n in [3, 1, 4] {
            data.extend(gzip(alb_lines(n).as_bytes()));
        }
        let (summary, docs) = auto(&data);
        assert_eq!((summary.lines, summary.documents, summary.error_documents), (8, 8, 0));
        let ids: Vec<&str> = docs.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
        assert!(
            ids.iter()
                .enumerate()
                .all(|(i, id)| id.ends_with(&format!("-{}", i + 1))),
            "{ids:?}"
        );
    }

    #[test]
    fn reprocessing_gives_the_same_event_ids() {
        let data = gzip(alb_lines(5).as_bytes());
        assert_eq!(auto(&data).1, auto(&data).1);
    }

    #[test]
    fn truncated_gzip_keeps_lines_read_and_adds_an_error_document() {
        let data = gzip(alb_lines(2000).as_bytes());
        let (summary, docs) = auto(&data[..data.len() / 2]);
        assert!(summary.documents > 0 && summary.documents < 2000, "{summary:?}");
        assert_eq!(summary.decode_errors, 1);
        assert_eq!(summary.error_documents, summary.line_errors + 1);
        let last = docs.last().unwrap();
        assert_eq!(last["error"]["kind"], "corrupt_gzip");
        assert_eq!(last["log_type"], "alb");
        assert_eq!(last["error"]["source"], "s3://bucket/key.log.gz");
        assert_eq!(last["error"]["line"], summary.lines);
        // Complete lines are documents or error documents; the line the truncation cut is kept, as
        // far as it was read, in the final error document.
        assert_eq!(summary.lines, summary.documents + summary.line_errors);
        let partial = last["message"].as_str().unwrap();
        assert!(!partial.is_empty() && ALB.starts_with(partial), "{partial:?}");
    }

    #[test]
    fn decompression_bomb_rejected_at_the_limit() {
        let data = gzip(&vec![b'a'; 8 << 20]);
        let limits = Limits {
            max_inflated_bytes: 1 << 20,
            ..Limits::default()
        };
        let (summary, docs) = run(&data, FormatChoice::Fixed(Format::Alb), limits);
        assert_eq!(summary.decode_errors, 1);
        let last = docs.last().unwrap();
        assert_eq!(last["error"]["kind"], "inflated_size_limit");
        assert_eq!(
            last["error"]["message"],
            "inflated size exceeds the limit of 1048576 bytes"
        );
        assert!(summary.bytes_inflated <= (1 << 20) + 1, "{summary:?}");
    }

    #[test]
    fn blank_lines_crlf_and_long_lines_are_accounted_for() {
        let input = format!("{ALB}\r\n\n{}\n{ALB}", "x".repeat(1000));
        let limits = Limits {
            max_line_bytes: 500,
            ..Limits::default()
        };
        let (summary, docs) = run(input.as_bytes(), FormatChoice::Fixed(Format::Alb), limits);
        assert_eq!(summary.lines, 4);
        assert_eq!(summary.blank_lines, 1);
        assert_eq!((summary.documents, summary.error_documents), (2, 1), "{docs:?}");
        assert_eq!(docs[1]["error"]["kind"], "line_too_long");
        assert_eq!(docs[1]["message"].as_str().unwrap().len(), 500);
        assert_eq!(
            docs[1]["error"]["message"],
            "line of 1000 bytes is longer than the 500-byte line limit"
        );
        assert_eq!(
            summary.lines,
            summary.documents + summary.line_errors + summary.headers + summary.blank_lines
        );
    }

    #[test]
    fn plain_text_is_detected_like_gzip() {
        let (summary, docs) = auto(alb_lines(3).as_bytes());
        assert_eq!((summary.documents, summary.error_documents), (3, 0), "{docs:?}");
        assert_eq!(docs[0]["log_type"], "alb");
    }

    #[test]
    fn unrecognised_input_becomes_error_documents() {
        let (summary, docs) = auto(b"hello\nworld\n");
        assert_eq!((summary.lines, summary.error_documents), (2, 2));
        assert_eq!(docs[0]["log_type"], "unknown");
        assert_eq!(docs[0]["error"]["kind"], "unknown_format");
        assert_eq!(docs[1]["message"], "world");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut input = ALB.replace("curl/7.46.0", "curl\u{1}").into_bytes();
        let at = input.windows(4).position(|w| w == b"curl").unwrap() + 4;
        input[at] = 0xff;
        let (summary, docs) = run(&input, FormatChoice::Fixed(Format::Alb), Limits::default());
        assert_eq!(summary.documents, 1);
        assert_eq!(docs[0]["user_agent"], "curl\u{fffd}");
    }

    #[test]
    fn empty_input_yields_nothing() {
        let (summary, docs) = auto(b"");
        assert_eq!((summary.inputs, summary.lines, docs.len()), (1, 0, 0));
        let (summary, docs) = auto(&gzip(b""));
        assert_eq!((summary.lines, docs.len()), (0, 0));
    }

    #[test]
    fn read_failures_are_returned_for_retry() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset by peer",
                ))
            }
        }
        let mut sink = MemorySink::default();
        let err = process(
            Failing,
            &Source::new("s3://b/k"),
            FormatChoice::Auto,
            &Limits::default(),
            &mut sink,
        )
        .unwrap_err();
        assert!(
            matches!(err, PipelineError::Read { ref source_name, .. } if source_name == "s3://b/k"),
            "{err}"
        );
        assert!(sink.docs.is_empty());
    }
}
