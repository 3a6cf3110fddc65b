//! CloudWatch Logs subscription payloads: one document per log event.
//!
//! Spec: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html> (payload),
//! <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html> (Lambda `REPORT` lines),
//! <https://docs.aws.amazon.com/lambda/latest/dg/snapstart-monitoring.html> (SnapStart fields).
//!
//! # Envelopes
//!
//! [`process_input`] gets one whole input (object, file, stdin) after the pipeline removed an outer
//! gzip layer, if there was one. The input may hold, in any mix:
//!
//! | Shape | Where it comes from |
//! |---|---|
//! | payload JSON objects, back to back or separated by whitespace | Firehose → S3 objects (concatenated JSON) |
//! | `{"awslogs":{"data":"<base64(gzip(payload))>"}}` | the Lambda event of a subscription filter |
//! | `{"data":"<base64(gzip(payload))>"}` | a Firehose or Kinesis record as JSON |
//! | base64 text of gzip'd (or plain) payloads, one per line or whitespace-separated token | dumps of Kinesis/Firehose records |
//! | gzip members of payloads (gzip inside the outer gzip) | Firehose → S3 with `GZIP` compression of gzip'd records |
//!
//! A payload looks like
//! `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/x","logStream":"2024/…",
//! "subscriptionFilters":["f"],"logEvents":[{"id":"3195…","timestamp":1552518348220,"message":"…"}]}`.
//! Unknown keys (`emitSystemFields` and whatever AWS adds next) are ignored. A decoded `data` field is
//! inflated only when it starts with the gzip magic, so data that was already gunzipped (Firehose
//! decompression, `aws_lambda_events`) is never inflated twice; gzip nested in gzip is inflated once
//! per layer, at most [`MAX_LAYERS`] layers deep. Each inflation is bounded by
//! [`Limits::max_payload_bytes`].
//!
//! # Fields
//!
//! | Payload key | JSON name | Type |
//! |---|---|---|
//! | `logEvents[].timestamp` (epoch ms) | `@timestamp` | RFC 3339 string, millisecond precision |
//! | — | `log_type` | `"cloudwatch"` |
//! | `logEvents[].id` (56-digit string; an integer from moto) | `event_id` | string (integers as their decimal text) |
//! | `owner` | `owner` | string (the account id) |
//! | `logGroup` | `log_group` | string |
//! | `logStream` | `log_stream` | string |
//! | `subscriptionFilters` | `subscription_filters` | array of strings |
//! | `logEvents[].message` | `message` | string, the raw message, always |
//! | `logEvents[].message`, when it is a JSON object | `json` | object (line breaks between tokens become spaces) |
//!
//! Keys missing from a payload are left out of its documents. Lambda platform lines add:
//!
//! | Message | JSON name | Type |
//! |---|---|---|
//! | `START …` / `END …` / `REPORT …` | `lambda_event` | `"start"`, `"end"`, `"report"` |
//! | `RequestId: <id>` | `request_id` | string |
//! | `START … Version: <v>` | `function_version` | string (`$LATEST`, `7`) |
//! | `Duration: 102.25 ms` | `duration_ms` | number |
//! | `Billed Duration: 103 ms` | `billed_duration_ms` | integer |
//! | `Memory Size: 128 MB` | `memory_size_mb` | integer |
//! | `Max Memory Used: 70 MB` | `max_memory_used_mb` | integer |
//! | `Init Duration: 120.58 ms` | `init_duration_ms` | number, cold starts only |
//! | `Restore Duration: 474.16 ms` | `restore_duration_ms` | number, SnapStart only |
//! | `Billed Restore Duration: 322 ms` | `billed_restore_duration_ms` | integer, SnapStart only |
//! | `Status: timeout` | `status` | string (`timeout`, `error`, …) |
//! | `Error Type: Runtime.ExitError` | `error_type` | string |
//! | `XRAY TraceId: 1-5e1b…` | `xray_trace_id` | string |
//! | `SegmentId: 2a6b…` | `xray_segment_id` | string |
//! | `Sampled: true` | `xray_sampled` | boolean |
//!
//! A `REPORT` line is `REPORT RequestId: <id>\t<Key>: <value>\t…`, optionally followed by
//! `\nXRAY TraceId: …\tSegmentId: …\tSampled: true\t`. Numbers are copied as the log wrote them
//! (`101.25`, `102`); parts that are unknown or whose value is not a number with the expected unit are
//! skipped (the raw `message` still has them).
//!
//! # Messages in other formats
//!
//! VPC flow logs, API Gateway access logs, CloudTrail and AWS WAF logs delivered to a log group are
//! parsed by their own format: their events become `vpcflow`, `apigateway`, `cloudtrail` or `waf`
//! documents with `owner`, `log_group` and `log_stream` added. The log group's name, a per-deployment
//! setting, or each message's content decides; see [`super::cloudwatch_messages`].
//!
//! # Rules
//!
//! * Every log event of a `DATA_MESSAGE` becomes one document, or one error document (kind
//!   `invalid_field`, `raw` = the message, or the event's JSON when there is no message string) when
//!   its `timestamp` is missing, not an integer or outside years 0000–9999, its `message` is missing or
//!   not a string, or its `id` is neither a string nor an integer. An event without an `id` gets the
//!   deterministic id `<source id>-<payload number>-<event number>` and is a normal document.
//! * `CONTROL_MESSAGE` payloads give no document; they are counted in `Summary::control_messages`.
//!   A payload without `messageType` but with `logEvents` is read as a `DATA_MESSAGE`.
//! * Nothing is lost: whatever cannot be decoded (invalid base64, corrupt gzip, a crossed size limit,
//!   JSON that is not a payload, an unknown `messageType`) becomes one error document of kind
//!   `invalid_payload` whose reason names what failed, with the offending text as `raw`, `@timestamp`
//!   = now and `event_id` = `Source::event_id(n)`. `n` numbers the payloads and the failures of one
//!   input in the order they are met, from 1, so reprocessing gives the same ids. Consecutive
//!   undecodable text tokens make one error document.
//! * A JSON syntax error cannot be skipped (where the next payload starts is unknown), so the rest of
//!   that text becomes one error document and reading it stops; an enclosing stream (the input around
//!   an `awslogs.data`) goes on.
//! * Counters: `payloads` (every payload object, control messages and payloads decoded from wrappers
//!   included; wrappers themselves are not payloads), `control_messages`, `log_events`, `documents`,
//!   `event_errors`, `payload_errors`, `error_documents`, with `log_events == documents + event_errors`.

use super::cloudwatch_messages::{append_context, by_content, GroupRule, MessageParsers, MessageRules};
use super::{Format, LineOutcome};
use crate::decode;
use crate::document::{begin_document, cap_at_char_boundary, write_error_document, Doc, ErrorOrigin, Source};
use crate::error::ParseError;
use crate::json::{is_json_number, ObjectWriter};
use crate::pipeline::{Limits, Summary};
use crate::sink::{DocSink, SinkError};
use crate::timestamp::Timestamp;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::de::{self, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The `log_type` of every document this module writes.
const LOG_TYPE: &str = "cloudwatch";

/// Most layers of gzip and base64 unwrapped around one payload. Real data has at most three
/// (gzip'd Firehose object → base64 `awslogs.data` → gzip); the cap stops self-reproducing archives.
pub const MAX_LAYERS: u8 = 6;

/// Longest `messageType` quoted in an error message.
const MAX_QUOTED: usize = 100;

/// Standard base64; padding optional, since some producers strip it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Turns CloudWatch Logs input into documents: one per log event of every `DATA_MESSAGE`, and one
/// error document per payload or event that cannot be read (see the module docs).
///
/// Only a failing sink returns `Err`.
pub fn process_input(
    input: &[u8],
    source: &Source,
    limits: &Limits,
    sink: &mut dyn DocSink,
    summary: &mut Summary,
) -> Result<(), SinkError> {
    let mut run = Run {
        source,
        limits,
        sink,
        summary,
        out: Vec::with_capacity(4096),
        event_id: String::with_capacity(64),
        units: 0,
        messages: MessageParsers::default(),
    };
    let top = Src {
        what: "the input",
        raw: b"",
        top: true,
    };
    run.stream(input, top, 0)
}

/// A JSON string, borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl Text<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

/// A log event id: a string (AWS) or an integer (moto), as text; `None` when absent, `null` or
/// empty.
#[derive(Default)]
struct EventId<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for EventId<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for IdVisitor<'a> {
            type Value = EventId<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<EventId<'a>, E> {
                Ok(EventId((!v.is_empty()).then_some(Cow::Borrowed(v))))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<EventId<'a>, E> {
                Ok(EventId((!v.is_empty()).then(|| Cow::Owned(v.to_owned()))))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EventId<'a>, E> {
                Ok(EventId(Some(Cow::Owned(itoa::Buffer::new().format(v).to_owned()))))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EventId<'a>, E> {
                Ok(EventId(Some(Cow::Owned(itoa::Buffer::new().format(v).to_owned()))))
            }

            fn visit_unit<E: de::Error>(self) -> Result<EventId<'a>, E> {
                Ok(EventId(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<EventId<'a>, E> {
                Ok(EventId(None))
            }
        }

        deserializer.deserialize_any(IdVisitor(PhantomData))
    }
}

/// One JSON object of the input: a subscription payload, an `awslogs` wrapper (Lambda event), or a
/// record with a base64 `data` field. `E` is how log events are read: [`StrictEvent`] on the fast
/// path, `&RawValue` (each event checked on its own) when the fast path fails.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, E> {
    #[serde(borrow, default)]
    message_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    owner: Option<Text<'a>>,
    #[serde(borrow, default)]
    log_group: Option<Text<'a>>,
    #[serde(borrow, default)]
    log_stream: Option<Text<'a>>,
    #[serde(borrow, default)]
    subscription_filters: Option<Vec<Text<'a>>>,
    log_events: Option<Vec<E>>,
    #[serde(borrow, default)]
    awslogs: Option<AwsLogs<'a>>,
    #[serde(borrow, default)]
    data: Option<Text<'a>>,
}

/// The `awslogs` member of a Lambda subscription event.
#[derive(Deserialize)]
struct AwsLogs<'a> {
    #[serde(borrow)]
    data: Text<'a>,
}

/// A well-formed log event, read in the same pass as its payload.
#[derive(Deserialize)]
struct StrictEvent<'a> {
    #[serde(borrow, default)]
    id: EventId<'a>,
    timestamp: i64,
    #[serde(borrow)]
    message: Text<'a>,
}

/// A log event ready to become a document.
struct Event<'e> {
    /// `None`: the event has no usable id and gets a positional one.
    id: Option<Cow<'e, str>>,
    timestamp: Timestamp,
    message: Cow<'e, str>,
}

/// A log event that becomes an error document.
struct BadEvent<'e> {
    id: Option<Cow<'e, str>>,
    error: ParseError,
    /// The event's time when it has a valid one.
    timestamp: Option<Timestamp>,
    /// The message, or the event's JSON when there is no message string.
    raw: Cow<'e, str>,
}

/// How the events of an [`Envelope`] are checked.
trait ReadEvent {
    fn read(&self) -> Result<Event<'_>, Box<BadEvent<'_>>>;
}

impl ReadEvent for StrictEvent<'_> {
    fn read(&self) -> Result<Event<'_>, Box<BadEvent<'_>>> {
        let id = self.id.0.as_deref().map(Cow::Borrowed);
        let message = Cow::Borrowed(self.message.as_str());
        match Timestamp::from_epoch_millis(self.timestamp) {
            Some(timestamp) => Ok(Event { id, timestamp, message }),
            None => Err(Box::new(BadEvent {
                id,
                error: out_of_range(self.timestamp),
                timestamp: None,
                raw: message,
            })),
        }
    }
}

/// Members of a log event kept raw, so that each can be checked and reported on its own.
#[derive(Deserialize)]
struct LenientEvent<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

impl ReadEvent for &RawValue {
    fn read(&self) -> Result<Event<'_>, Box<BadEvent<'_>>> {
        let text = self.get();
        let bad = |id, error, timestamp, raw| {
            Box::new(BadEvent {
                id,
                error,
                timestamp,
                raw,
            })
        };
        let Ok(event) = serde_json::from_str::<LenientEvent<'_>>(text) else {
            let error = ParseError::invalid("logEvents", "an object with id, timestamp and message", text);
            return Err(bad(None, error, None, Cow::Borrowed(text)));
        };
        let id = match event_id(event.id) {
            Ok(id) => id,
            Err(error) => return Err(bad(None, error, None, Cow::Borrowed(text))),
        };
        let message = match event.message {
            Some(m) => serde_json::from_str::<Text<'_>>(m.get())
                .map(|t| t.0)
                .map_err(|_| ParseError::invalid("message", "a string", m.get())),
            None => Err(ParseError::invalid("message", "a string", "(missing)")),
        };
        let timestamp = match event.timestamp.map(|t| (t.get(), serde_json::from_str::<i64>(t.get()))) {
            Some((_, Ok(ms))) => Timestamp::from_epoch_millis(ms).ok_or_else(|| out_of_range(ms)),
            Some((raw, Err(_))) => Err(ParseError::invalid("timestamp", "epoch milliseconds", raw)),
            None => Err(ParseError::invalid("timestamp", "epoch milliseconds", "(missing)")),
        };
        match (timestamp, message) {
            (Ok(timestamp), Ok(message)) => Ok(Event { id, timestamp, message }),
            (Err(error), Ok(message)) => Err(bad(id, error, None, message)),
            (Err(error), Err(_)) => Err(bad(id, error, None, Cow::Borrowed(text))),
            (Ok(timestamp), Err(error)) => Err(bad(id, error, Some(timestamp), Cow::Borrowed(text))),
        }
    }
}

fn out_of_range(ms: i64) -> ParseError {
    ParseError::invalid(
        "timestamp",
        "epoch milliseconds within years 0000-9999",
        itoa::Buffer::new().format(ms),
    )
}

/// What a byte stream is, for error messages and for what it may contain.
#[derive(Clone, Copy)]
struct Src<'s> {
    /// Named in error reasons: `the input`, `awslogs.data`, `data`, `base64 text`.
    what: &'s str,
    /// The text quoted by error documents about the stream as a whole (empty for the input).
    raw: &'s [u8],
    /// The input itself (or its inflated content): may also hold base64 text, and may be empty.
    top: bool,
}

/// A run of input text that decoded to nothing usable.
struct BadRun {
    start: usize,
    end: usize,
    reason: String,
}

/// State for one input.
struct Run<'r> {
    source: &'r Source,
    limits: &'r Limits,
    sink: &'r mut dyn DocSink,
    summary: &'r mut Summary,
    out: Vec<u8>,
    event_id: String,
    /// Payloads and failures numbered so far.
    units: u64,
    /// Parsers of messages in other formats (VPC flow logs, CloudTrail, …).
    messages: MessageParsers,
}

impl Run<'_> {
    fn next_unit(&mut self) -> u64 {
        self.units += 1;
        self.units
    }

    /// Reads a byte stream: gzip (inflated, then read again), or JSON values and, for the input
    /// itself, base64 tokens.
    fn stream(&mut self, bytes: &[u8], src: Src<'_>, depth: u8) -> Result<(), SinkError> {
        if depth > MAX_LAYERS {
            let reason = format!("{} nests more than {MAX_LAYERS} layers of gzip and base64", src.what);
            return self.payload_error(reason, src.raw);
        }
        if decode::is_gzip(bytes) {
            return match decode::inflate_to_vec(bytes, self.limits.max_payload_bytes) {
                Ok(inflated) => self.stream(&inflated, src, depth + 1),
                Err(e) => self.payload_error(format!("gzip in {}: {e}", src.what), src.raw),
            };
        }
        let mut pos = skip_whitespace(bytes, 0);
        if pos == bytes.len() && !src.top {
            return self.payload_error(format!("{} holds no payload", src.what), src.raw);
        }
        let mut bad: Option<BadRun> = None;
        while pos < bytes.len() {
            let rest = &bytes[pos..];
            if matches!(rest[0], b'{' | b'[') {
                self.flush_bad(bytes, &mut bad)?;
                match self.json_unit(rest, pos, src, depth)? {
                    Some(len) => pos += len,
                    None => return Ok(()),
                }
            } else if src.top {
                let end = pos + rest.iter().position(u8::is_ascii_whitespace).unwrap_or(rest.len());
                let token = &bytes[pos..end];
                match decode_token(token) {
                    Ok(decoded) => {
                        self.flush_bad(bytes, &mut bad)?;
                        let inner = Src {
                            what: "base64 text",
                            raw: token,
                            top: false,
                        };
                        self.stream(&decoded, inner, depth + 1)?;
                    }
                    Err(reason) => match &mut bad {
                        Some(run) => run.end = end,
                        None => {
                            bad = Some(BadRun {
                                start: pos,
                                end,
                                reason,
                            })
                        }
                    },
                }
                pos = end;
            } else {
                let reason = format!("{} holds neither gzip nor JSON", src.what);
                return self.payload_error(reason, src.raw);
            }
            pos = skip_whitespace(bytes, pos);
        }
        self.flush_bad(bytes, &mut bad)
    }

    /// Writes the error document of a run of undecodable text, if there is one.
    fn flush_bad(&mut self, bytes: &[u8], bad: &mut Option<BadRun>) -> Result<(), SinkError> {
        match bad.take() {
            Some(run) => self.payload_error(run.reason, &bytes[run.start..run.end]),
            None => Ok(()),
        }
    }

    /// Reads the JSON value at the start of `rest` (which is at byte `pos` of its stream). Returns
    /// its length, or `None` after a syntax error, which ends the stream.
    ///
    /// The fast path reads a well-formed payload, its events and their messages in one pass. When
    /// that fails, the value is read again, slowly: its extent first, then each event on its own,
    /// so that one bad event or member costs one error document, not the payload.
    fn json_unit(&mut self, rest: &[u8], pos: usize, src: Src<'_>, depth: u8) -> Result<Option<usize>, SinkError> {
        if rest.first() == Some(&b'{') {
            let mut fast = serde_json::Deserializer::from_slice(rest).into_iter::<Envelope<'_, StrictEvent<'_>>>();
            if let Some(Ok(envelope)) = fast.next() {
                let len = fast.byte_offset();
                self.envelope(&envelope, &rest[..len], depth)?;
                return Ok(Some(len));
            }
        }
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<&RawValue>();
        match values.next() {
            Some(Ok(value)) => {
                let len = values.byte_offset();
                self.lenient_value(value.get(), depth)?;
                Ok(Some(len))
            }
            Some(Err(e)) => {
                let what = src.what;
                let reason = format!("invalid JSON in {what} from byte {pos}: {e}; the rest of {what} is unreadable");
                self.payload_error(reason, rest)?;
                Ok(None)
            }
            None => Ok(Some(rest.len())),
        }
    }

    /// A syntactically valid JSON value that the fast path could not read.
    fn lenient_value(&mut self, text: &str, depth: u8) -> Result<(), SinkError> {
        if !text.starts_with('{') {
            return self.payload_error(
                "a JSON array is not a CloudWatch Logs payload".to_owned(),
                text.as_bytes(),
            );
        }
        match serde_json::from_str::<Envelope<'_, &RawValue>>(text) {
            Ok(envelope) => self.envelope(&envelope, text.as_bytes(), depth),
            Err(e) => {
                let reason = format!("JSON object is not a CloudWatch Logs payload: {e}");
                self.payload_error(reason, text.as_bytes())
            }
        }
    }

    /// Dispatches one JSON object (`raw` is its text): wrapper, payload, or neither.
    fn envelope<E: ReadEvent>(&mut self, envelope: &Envelope<'_, E>, raw: &[u8], depth: u8) -> Result<(), SinkError> {
        if let Some(awslogs) = &envelope.awslogs {
            return self.wrapper(awslogs.data.as_str(), "awslogs.data", raw, depth);
        }
        if envelope.message_type.is_some() || envelope.log_events.is_some() {
            return self.payload(envelope, raw);
        }
        if let Some(data) = &envelope.data {
            return self.wrapper(data.as_str(), "data", raw, depth);
        }
        let reason = "JSON object has neither messageType and logEvents nor awslogs.data".to_owned();
        self.payload_error(reason, raw)
    }

    /// Decodes the base64 `data` of a wrapper and reads what it holds.
    fn wrapper(&mut self, data: &str, what: &'static str, raw: &[u8], depth: u8) -> Result<(), SinkError> {
        match decode_base64(data) {
            Ok(bytes) => {
                let inner = Src { what, raw, top: false };
                self.stream(&bytes, inner, depth + 1)
            }
            Err(e) => self.payload_error(format!("{what} is not base64: {e}"), raw),
        }
    }

    /// One subscription payload.
    fn payload<E: ReadEvent>(&mut self, envelope: &Envelope<'_, E>, raw: &[u8]) -> Result<(), SinkError> {
        self.summary.payloads += 1;
        match envelope.message_type.as_ref().map(Text::as_str) {
            Some("CONTROL_MESSAGE") => {
                self.next_unit();
                self.summary.control_messages += 1;
                return Ok(());
            }
            Some("DATA_MESSAGE") | None => {}
            Some(other) => {
                let reason = format!("unknown messageType `{}`", cap_at_char_boundary(other, MAX_QUOTED));
                return self.payload_error(reason, raw);
            }
        }
        let Some(events) = &envelope.log_events else {
            return self.payload_error("DATA_MESSAGE without logEvents".to_owned(), raw);
        };
        let n = self.next_unit();
        let rules = MessageRules::from_env();
        let group_rule = rules.group(envelope.log_group.as_ref().map(Text::as_str));
        for (k, event) in events.iter().enumerate() {
            self.summary.log_events += 1;
            match event.read() {
                Ok(event) => {
                    self.set_event_id(event.id.as_deref(), n, k + 1);
                    let format = match group_rule {
                        GroupRule::Format(f) => Some(f),
                        GroupRule::Plain => None,
                        GroupRule::ByContent => by_content(&event.message),
                    };
                    if let Some(format) = format {
                        self.structured_event(rules, envelope, format, &event.message)?;
                        continue;
                    }
                    self.write_event(envelope, &event.timestamp, &event.message);
                    self.summary.documents += 1;
                    self.accept(event.timestamp, false)?;
                }
                Err(bad) => {
                    self.set_event_id(bad.id.as_deref(), n, k + 1);
                    self.event_error(&bad.error, bad.timestamp, &bad.raw)?;
                }
            }
        }
        Ok(())
    }

    /// The event's own id, or `<source id>-<payload n>-<event k>` for an event without a usable one.
    fn set_event_id(&mut self, id: Option<&str>, n: u64, k: usize) {
        match id {
            Some(id) => {
                self.event_id.clear();
                self.event_id.push_str(id);
            }
            None => {
                self.source.event_id(n, &mut self.event_id);
                self.event_id.push('-');
                self.event_id.push_str(itoa::Buffer::new().format(k));
            }
        }
    }

    /// Writes the document of one log event into `self.out`, with `self.event_id`.
    fn write_event<E>(&mut self, envelope: &Envelope<'_, E>, ts: &Timestamp, message: &str) {
        self.out.clear();
        let mut w = begin_document(&mut self.out, ts, LOG_TYPE, &self.event_id);
        w.opt_str("owner", envelope.owner.as_ref().map(Text::as_str));
        w.opt_str("log_group", envelope.log_group.as_ref().map(Text::as_str));
        w.opt_str("log_stream", envelope.log_stream.as_ref().map(Text::as_str));
        if let Some(filters) = &envelope.subscription_filters {
            w.str_array("subscription_filters", filters.iter().map(Text::as_str));
        }
        w.str("message", message);
        if let Some(json) = json_object(message) {
            w.raw("json", &json);
        } else if let Some(line) = parse_lambda_line(message) {
            line.write(&mut w);
        }
        w.end();
    }

    /// A log event whose message is another format (see [`super::cloudwatch_messages`]): that
    /// format's document plus the CloudWatch context, or an error document of that format.
    fn structured_event<E>(
        &mut self,
        rules: &MessageRules,
        envelope: &Envelope<'_, E>,
        format: Format,
        message: &str,
    ) -> Result<(), SinkError> {
        self.out.clear();
        let parsed = self
            .messages
            .parse(rules, format, message, &self.event_id, &mut self.out);
        let log_type = format.log_type();
        let context = [
            ("owner", envelope.owner.as_ref().map(Text::as_str)),
            ("log_group", envelope.log_group.as_ref().map(Text::as_str)),
            ("log_stream", envelope.log_stream.as_ref().map(Text::as_str)),
        ];
        match parsed {
            Ok((LineOutcome::Document(ts), own_id)) => {
                append_context(&mut self.out, &context);
                if let Some(id) = own_id {
                    self.event_id = id;
                }
                self.summary.documents += 1;
                self.accept_as(log_type, ts, false)
            }
            Ok((LineOutcome::Header, _)) => {
                // A VPC flow header line logged as an event: it carries no flow.
                self.summary.headers += 1;
                Ok(())
            }
            Err(error) => {
                let ts = Timestamp::now();
                self.out.clear();
                let origin = ErrorOrigin {
                    source: self.source.name(),
                    line: None,
                };
                write_error_document(&mut self.out, &ts, log_type, &self.event_id, &error, origin, message);
                append_context(&mut self.out, &context);
                self.summary.event_errors += 1;
                self.summary.error_documents += 1;
                self.accept_as(log_type, ts, true)
            }
        }
    }

    /// An error document for a log event, with `self.event_id`; `@timestamp` is the event's when
    /// it has a valid one, else now.
    fn event_error(&mut self, error: &ParseError, ts: Option<Timestamp>, raw: &str) -> Result<(), SinkError> {
        let ts = ts.unwrap_or_else(Timestamp::now);
        self.out.clear();
        let origin = ErrorOrigin {
            source: self.source.name(),
            line: None,
        };
        write_error_document(&mut self.out, &ts, LOG_TYPE, &self.event_id, error, origin, raw);
        self.summary.event_errors += 1;
        self.summary.error_documents += 1;
        self.accept(ts, true)
    }

    /// An error document for something that is not a readable payload; takes the next number.
    fn payload_error(&mut self, reason: String, raw: &[u8]) -> Result<(), SinkError> {
        let n = self.next_unit();
        self.source.event_id(n, &mut self.event_id);
        let ts = Timestamp::now();
        self.out.clear();
        let origin = ErrorOrigin {
            source: self.source.name(),
            line: None,
        };
        let error = ParseError::InvalidPayload { reason };
        let raw = String::from_utf8_lossy(raw);
        write_error_document(&mut self.out, &ts, LOG_TYPE, &self.event_id, &error, origin, &raw);
        self.summary.payload_errors += 1;
        self.summary.error_documents += 1;
        self.accept(ts, true)
    }

    /// Hands `self.out` to the sink.
    fn accept(&mut self, timestamp: Timestamp, is_error: bool) -> Result<(), SinkError> {
        self.accept_as(LOG_TYPE, timestamp, is_error)
    }

    /// Hands `self.out`, a document of `log_type`, to the sink.
    fn accept_as(&mut self, log_type: &'static str, timestamp: Timestamp, is_error: bool) -> Result<(), SinkError> {
        self.sink.accept(Doc {
            json: &self.out,
            log_type,
            timestamp,
            event_id: &self.event_id,
            is_error,
        })
    }
}

/// The position of the first byte at or after `pos` that is not JSON whitespace.
fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

/// Decodes base64, ignoring line breaks inside it.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        BASE64.decode(compact)
    } else {
        BASE64.decode(text)
    }
}

/// Decodes one whitespace-free token of input text; usable only when it holds gzip or JSON.
fn decode_token(token: &[u8]) -> Result<Vec<u8>, String> {
    match BASE64.decode(token) {
        Ok(bytes) if decode::is_gzip(&bytes) || bytes.get(skip_whitespace(&bytes, 0)) == Some(&b'{') => Ok(bytes),
        Ok(_) => Err("text is not JSON, and decodes from base64 to neither gzip nor JSON".to_owned()),
        Err(e) => Err(format!("text is neither JSON nor base64: {e}")),
    }
}

/// The event id as text: a string as is, an integer as its decimal text; `None` when absent,
/// `null` or empty.
fn event_id(raw: Option<&RawValue>) -> Result<Option<Cow<'_, str>>, ParseError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
    if text.starts_with('"') {
        return match serde_json::from_str::<Text<'_>>(text) {
            Ok(Text(id)) if id.is_empty() => Ok(None),
            Ok(Text(id)) => Ok(Some(id)),
            Err(_) => Err(ParseError::invalid("id", "a string or an integer", text)),
        };
    }
    if serde_json::from_str::<u64>(text).is_ok() || serde_json::from_str::<i64>(text).is_ok() {
        return Ok(Some(Cow::Borrowed(text)));
    }
    Err(ParseError::invalid("id", "a string or an integer", text))
}

/// The message as JSON text when it is a JSON object (surrounding whitespace removed). Line breaks,
/// which valid JSON has only between tokens, become spaces so the document stays on one line.
fn json_object(message: &str) -> Option<Cow<'_, str>> {
    let text = message.trim();
    if !text.starts_with('{') || !text.ends_with('}') {
        return None;
    }
    serde_json::from_str::<&RawValue>(text).ok()?;
    if text.contains(['\n', '\r']) {
        Some(Cow::Owned(text.replace(['\n', '\r'], " ")))
    } else {
        Some(Cow::Borrowed(text))
    }
}

/// The typed fields of a Lambda platform line (`START`, `END`, `REPORT`); numbers are validated
/// JSON number text, copied as the log wrote them.
#[derive(Debug, Default, PartialEq)]
struct LambdaLine<'a> {
    event: &'static str,
    request_id: &'a str,
    function_version: Option<&'a str>,
    duration_ms: Option<&'a str>,
    billed_duration_ms: Option<&'a str>,
    memory_size_mb: Option<&'a str>,
    max_memory_used_mb: Option<&'a str>,
    init_duration_ms: Option<&'a str>,
    restore_duration_ms: Option<&'a str>,
    billed_restore_duration_ms: Option<&'a str>,
    status: Option<&'a str>,
    error_type: Option<&'a str>,
    xray_trace_id: Option<&'a str>,
    xray_segment_id: Option<&'a str>,
    xray_sampled: Option<bool>,
}

impl LambdaLine<'_> {
    fn write(&self, w: &mut ObjectWriter<'_>) {
        w.str("lambda_event", self.event);
        w.str("request_id", self.request_id);
        w.opt_str("function_version", self.function_version);
        let numbers = [
            ("duration_ms", self.duration_ms),
            ("billed_duration_ms", self.billed_duration_ms),
            ("memory_size_mb", self.memory_size_mb),
            ("max_memory_used_mb", self.max_memory_used_mb),
            ("init_duration_ms", self.init_duration_ms),
            ("restore_duration_ms", self.restore_duration_ms),
            ("billed_restore_duration_ms", self.billed_restore_duration_ms),
        ];
        for (key, value) in numbers {
            if let Some(number) = value {
                w.raw(key, number);
            }
        }
        w.opt_str("status", self.status);
        w.opt_str("error_type", self.error_type);
        w.opt_str("xray_trace_id", self.xray_trace_id);
        w.opt_str("xray_segment_id", self.xray_segment_id);
        if let Some(sampled) = self.xray_sampled {
            w.bool("xray_sampled", sampled);
        }
    }
}

/// Recognises `START RequestId: <id> Version: <v>`, `END RequestId: <id>` and
/// `REPORT RequestId: <id>\t<Key>: <value>\t…[\nXRAY TraceId: …\tSegmentId: …\tSampled: …]`.
fn parse_lambda_line(message: &str) -> Option<LambdaLine<'_>> {
    if let Some(rest) = message.strip_prefix("START RequestId: ") {
        let mut words = rest.split_whitespace();
        let request_id = words.next()?;
        let function_version = match words.next() {
            Some("Version:") => words.next(),
            _ => None,
        };
        return Some(LambdaLine {
            event: "start",
            request_id,
            function_version,
            ..LambdaLine::default()
        });
    }
    if let Some(rest) = message.strip_prefix("END RequestId: ") {
        return Some(LambdaLine {
            event: "end",
            request_id: rest.split_whitespace().next()?,
            ..LambdaLine::default()
        });
    }
    let rest = message.strip_prefix("REPORT RequestId: ")?;
    let mut parts = rest.split(['\t', '\n']).map(str::trim).filter(|p| !p.is_empty());
    let request_id = parts.next()?.split_whitespace().next()?;
    let mut line = LambdaLine {
        event: "report",
        request_id,
        ..LambdaLine::default()
    };
    for part in parts {
        let Some((key, value)) = part.split_once(": ") else {
            continue;
        };
        let value = value.trim();
        let (slot, parsed) = match key {
            "Duration" => (&mut line.duration_ms, number_with_unit(value, "ms")),
            "Billed Duration" => (&mut line.billed_duration_ms, number_with_unit(value, "ms")),
            "Memory Size" => (&mut line.memory_size_mb, number_with_unit(value, "MB")),
            "Max Memory Used" => (&mut line.max_memory_used_mb, number_with_unit(value, "MB")),
            "Init Duration" => (&mut line.init_duration_ms, number_with_unit(value, "ms")),
            "Restore Duration" => (&mut line.restore_duration_ms, number_with_unit(value, "ms")),
            "Billed Restore Duration" => (&mut line.billed_restore_duration_ms, number_with_unit(value, "ms")),
            "Status" => (&mut line.status, non_empty(value)),
            "Error Type" => (&mut line.error_type, non_empty(value)),
            "XRAY TraceId" => (&mut line.xray_trace_id, non_empty(value)),
            "SegmentId" => (&mut line.xray_segment_id, non_empty(value)),
            "Sampled" => {
                if line.xray_sampled.is_none() {
                    line.xray_sampled = match value {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    };
                }
                continue;
            }
            _ => continue,
        };
        // The first occurrence wins, so a document never repeats a key.
        if slot.is_none() {
            *slot = parsed;
        }
    }
    Some(line)
}

/// `102.25 ms` → `102.25`, when the unit matches and the rest is a JSON number.
fn number_with_unit<'a>(value: &'a str, unit: &str) -> Option<&'a str> {
    let number = value.strip_suffix(unit)?.trim_end();
    is_json_number(number).then_some(number)
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::MemorySink;
    use base64::engine::general_purpose::STANDARD;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use serde_json::{json, Value};
    use std::io::Write;

    const SOURCE: &str = "s3://logs/cwl/2026/11/22/05/stream-1";
    const RID: &str = "8f5e3c21-0b7a-4c2e-9d9e-3b1f2a4c5d6e";
    /// Stands for the `@timestamp` of error documents stamped with the current time.
    const NOW: &str = "<now>";
    const MS: i64 = 1_795_324_200_000;
    const TS: &str = "2026-11-22T05:10:00.000Z";

    fn gzip(data: &[u8]) -> Vec<u8> {
        gzip_at(data, Compression::fast())
    }

    fn gzip_at(data: &[u8], level: Compression) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), level);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn b64(data: &[u8]) -> String {
        STANDARD.encode(data)
    }

    /// A 56-digit event id, as AWS writes them, ending in `n`.
    fn id(n: u32) -> String {
        format!("{:056}", 3_821_000_000u64 * 1_000_000 + u64::from(n))
    }

    fn event(id: &str, ms: i64, message: &str) -> Value {
        json!({"id": id, "timestamp": ms, "message": message})
    }

    fn data_message(events: Vec<Value>) -> Value {
        json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/orders",
               "logStream": "2026/11/22/[$LATEST]4f3b2a1c", "subscriptionFilters": ["to-firehose"],
               "emitSystemFields": [], "logEvents": events})
    }

    fn control_message() -> Value {
        json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [event("", MS,
               "CWL CONTROL MESSAGE: Checking health of destination Firehose.")]})
    }

    fn awslogs(data: &[u8]) -> String {
        json!({"awslogs": {"data": b64(data)}}).to_string()
    }

    /// The expected document of one event of [`data_message`].
    fn doc(event_id: &str, ts: &str, message: &str, extra: Value) -> Value {
        let mut d = json!({"@timestamp": ts, "log_type": "cloudwatch", "event_id": event_id,
                           "owner": "123456789012", "log_group": "/aws/lambda/orders",
                           "log_stream": "2026/11/22/[$LATEST]4f3b2a1c", "subscription_filters": ["to-firehose"],
                           "message": message});
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        d
    }

    /// The id of payload or failure `n` of [`SOURCE`].
    fn unit_id(n: u64) -> String {
        let mut s = String::new();
        Source::new(SOURCE).event_id(n, &mut s);
        s
    }

    fn payload_error(n: u64, reason: &str, raw: &str) -> Value {
        json!({"@timestamp": NOW, "log_type": "cloudwatch", "event_id": unit_id(n),
               "error": {"kind": "invalid_payload", "message": format!("invalid payload: {reason}"), "source": SOURCE},
               "message": raw})
    }

    fn event_error(event_id: &str, ts: &str, message: &str, raw: &str) -> Value {
        json!({"@timestamp": ts, "log_type": "cloudwatch", "event_id": event_id,
               "error": {"kind": "invalid_field", "message": message, "source": SOURCE},
               "message": raw})
    }

    /// Expected counters; `error_documents` is derived.
    fn counts(
        payloads: u64,
        control: u64,
        events: u64,
        documents: u64,
        event_errors: u64,
        payload_errors: u64,
    ) -> Summary {
        Summary {
            payloads,
            control_messages: control,
            log_events: events,
            documents,
            event_errors,
            payload_errors,
            error_documents: event_errors + payload_errors,
            ..Summary::default()
        }
    }

    /// Runs `process_input` and returns the documents, with `@timestamp`s stamped during the run
    /// replaced by [`NOW`].
    fn run_case(input: &[u8], limits: &Limits) -> (Vec<Value>, Summary) {
        let mut sink = MemorySink::default();
        let mut summary = Summary::default();
        let before = Timestamp::now();
        process_input(input, &Source::new(SOURCE), limits, &mut sink, &mut summary).unwrap();
        let after = Timestamp::now();
        let docs = sink
            .values()
            .into_iter()
            .map(|mut d| {
                let ts = d["@timestamp"].as_str().unwrap();
                if (before.as_str()..=after.as_str()).contains(&ts) {
                    d["@timestamp"] = json!(NOW);
                }
                d
            })
            .collect();
        assert_eq!(
            summary.log_events,
            summary.documents + summary.event_errors,
            "{summary:?}"
        );
        assert_eq!(
            summary.error_documents,
            summary.event_errors + summary.payload_errors,
            "{summary:?}"
        );
        (docs, summary)
    }

    struct Case {
        name: &'static str,
        input: Vec<u8>,
        limits: Limits,
        docs: Vec<Value>,
        summary: Summary,
    }

    fn case(name: &'static str, input: impl Into<Vec<u8>>, docs: Vec<Value>, summary: Summary) -> Case {
        Case {
            name,
            input: input.into(),
            limits: Limits::default(),
            docs,
            summary,
        }
    }

    fn json_syntax_error(rest: &[u8]) -> String {
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<&RawValue>();
        values.next().unwrap().unwrap_err().to_string()
    }

    fn cases() -> Vec<Case> {
        let mut cases = Vec::new();

        let plain = "2026-11-22T05:10:00.040Z\t8f5e3c21\tWARN\tslow downstream call (830 ms)\n";
        let object = r#"{"level":"INFO","msg":"order created","order_id":42,"amount":19.99}"#;
        let pretty = "  {\n  \"level\": \"ERROR\",\r\n  \"tags\": [\"a\\nb\"]\n}\n";
        cases.push(case(
            "data_message_text_and_json",
            data_message(vec![
                event(&id(1), MS, plain),
                event(&id(2), MS + 12, object),
                event(&id(3), MS + 13, pretty),
                event(&id(4), MS + 14, "[1, 2, 3]"),
                event(&id(5), MS + 15, "{not json}"),
                event(&id(6), MS + 16, "\"just a string\""),
            ])
            .to_string(),
            vec![
                doc(&id(1), TS, plain, json!({})),
                doc(
                    &id(2),
                    "2026-11-22T05:10:00.012Z",
                    object,
                    json!({"json": {"level": "INFO", "msg": "order created", "order_id": 42, "amount": 19.99}}),
                ),
                doc(
                    &id(3),
                    "2026-11-22T05:10:00.013Z",
                    pretty,
                    json!({"json": {"level": "ERROR", "tags": ["a\nb"]}}),
                ),
                doc(&id(4), "2026-11-22T05:10:00.014Z", "[1, 2, 3]", json!({})),
                doc(&id(5), "2026-11-22T05:10:00.015Z", "{not json}", json!({})),
                doc(&id(6), "2026-11-22T05:10:00.016Z", "\"just a string\"", json!({})),
            ],
            counts(1, 0, 6, 6, 0, 0),
        ));

        cases.push(case(
            "control_message",
            control_message().to_string(),
            vec![],
            counts(1, 1, 0, 0, 0, 0),
        ));

        let start = format!("START RequestId: {RID} Version: $LATEST\n");
        let end = format!("END RequestId: {RID}\n");
        let report = format!(
            "REPORT RequestId: {RID}\tDuration: 9988.34 ms\tBilled Duration: 9989 ms\tMemory Size: 2048 MB\t\
             Max Memory Used: 192 MB\t\n"
        );
        let report_cold = format!(
            "REPORT RequestId: {RID}\tDuration: 101.25 ms\tBilled Duration: 102 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 71 MB\tInit Duration: 182.36 ms\t\n\
             XRAY TraceId: 1-6740a1b2-3c4d5e6f7a8b9c0d1e2f3a4b\tSegmentId: 5e6f7a8b9c0d1e2f\tSampled: true\t\n"
        );
        let report_snapstart = format!(
            "REPORT RequestId: {RID}\tDuration: 20.50 ms\tBilled Duration: 343 ms\tMemory Size: 512 MB\t\
             Max Memory Used: 160 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 322 ms\t\n"
        );
        let report_timeout = format!(
            "REPORT RequestId: {RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 81 MB\tStatus: timeout\n"
        );
        let report_error = format!(
            "REPORT RequestId: {RID}\tDuration: 25.03 ms\tBilled Duration: 26 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 40 MB\tStatus: error\tError Type: Runtime.ExitError\tLogs Sent: 3\t\
             Duration: 99 ms\tInit Duration: n/a\n"
        );
        let common = json!({"request_id": RID, "memory_size_mb": 128});
        let with = |extra: Value| {
            let mut v = common.clone();
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        cases.push(case(
            "lambda_platform_lines",
            data_message(vec![
                event(&id(1), MS, &start),
                event(&id(2), MS, &end),
                event(&id(3), MS, &report),
                event(&id(4), MS, &report_cold),
                event(&id(5), MS, &report_snapstart),
                event(&id(6), MS, &report_timeout),
                event(&id(7), MS, &report_error),
            ])
            .to_string(),
            vec![
                doc(
                    &id(1),
                    TS,
                    &start,
                    json!({"lambda_event": "start", "request_id": RID, "function_version": "$LATEST"}),
                ),
                doc(&id(2), TS, &end, json!({"lambda_event": "end", "request_id": RID})),
                doc(
                    &id(3),
                    TS,
                    &report,
                    json!({"lambda_event": "report", "request_id": RID, "duration_ms": 9988.34,
                           "billed_duration_ms": 9989, "memory_size_mb": 2048, "max_memory_used_mb": 192}),
                ),
                doc(
                    &id(4),
                    TS,
                    &report_cold,
                    with(
                        json!({"lambda_event": "report", "duration_ms": 101.25, "billed_duration_ms": 102,
                                "max_memory_used_mb": 71, "init_duration_ms": 182.36,
                                "xray_trace_id": "1-6740a1b2-3c4d5e6f7a8b9c0d1e2f3a4b",
                                "xray_segment_id": "5e6f7a8b9c0d1e2f", "xray_sampled": true}),
                    ),
                ),
                doc(
                    &id(5),
                    TS,
                    &report_snapstart,
                    json!({"lambda_event": "report", "request_id": RID, "duration_ms": 20.50,
                           "billed_duration_ms": 343, "memory_size_mb": 512, "max_memory_used_mb": 160,
                           "restore_duration_ms": 474.16, "billed_restore_duration_ms": 322}),
                ),
                doc(
                    &id(6),
                    TS,
                    &report_timeout,
                    with(
                        json!({"lambda_event": "report", "duration_ms": 3000.00, "billed_duration_ms": 3000,
                                "max_memory_used_mb": 81, "status": "timeout"}),
                    ),
                ),
                doc(
                    &id(7),
                    TS,
                    &report_error,
                    with(
                        json!({"lambda_event": "report", "duration_ms": 25.03, "billed_duration_ms": 26,
                                "max_memory_used_mb": 40, "status": "error", "error_type": "Runtime.ExitError"}),
                    ),
                ),
            ],
            counts(1, 0, 7, 7, 0, 0),
        ));

        // moto sends integer ids; real AWS 56-digit strings.
        let moto = json!({"logEvents": [{"id": 0, "timestamp": MS, "message": "hello 1"},
                                        {"id": 1, "timestamp": MS + 1, "message": "{\"json\":true}"}],
                          "logGroup": "/aws/lambda/app", "logStream": "s1", "messageType": "DATA_MESSAGE",
                          "owner": "123456789012", "subscriptionFilters": ["to-kinesis"]});
        let moto_doc = |id: &str, ts: &str, message: &str, extra: Value| {
            let mut d = json!({"@timestamp": ts, "log_type": "cloudwatch", "event_id": id, "owner": "123456789012",
                               "log_group": "/aws/lambda/app", "log_stream": "s1",
                               "subscription_filters": ["to-kinesis"], "message": message});
            for (k, v) in extra.as_object().unwrap() {
                d[k] = v.clone();
            }
            d
        };
        cases.push(case(
            "moto_integer_ids",
            gzip(moto.to_string().as_bytes()),
            vec![
                moto_doc("0", TS, "hello 1", json!({})),
                moto_doc(
                    "1",
                    "2026-11-22T05:10:00.001Z",
                    "{\"json\":true}",
                    json!({"json": {"json": true}}),
                ),
            ],
            counts(1, 0, 2, 2, 0, 0),
        ));

        let one = data_message(vec![event(&id(1), MS, "first")]);
        let two = data_message(vec![event(&id(2), MS + 1, "second"), event(&id(3), MS + 2, "third")]);
        let docs_one = vec![doc(&id(1), TS, "first", json!({}))];
        let docs_two = vec![
            doc(&id(2), "2026-11-22T05:10:00.001Z", "second", json!({})),
            doc(&id(3), "2026-11-22T05:10:00.002Z", "third", json!({})),
        ];
        let both = [docs_one.clone(), docs_two.clone()].concat();
        let gz_one = gzip(one.to_string().as_bytes());
        let gz_two = gzip(two.to_string().as_bytes());

        cases.push(case(
            "awslogs_wrapper",
            format!("{}\n{}\n", awslogs(&gz_one), awslogs(&gz_two)),
            both.clone(),
            counts(2, 0, 3, 3, 0, 0),
        ));
        cases.push(case(
            "awslogs_data_already_gunzipped",
            awslogs(one.to_string().as_bytes()),
            docs_one.clone(),
            counts(1, 0, 1, 1, 0, 0),
        ));
        cases.push(case(
            "awslogs_data_gzip_twice",
            awslogs(&gzip(&gz_one)),
            docs_one.clone(),
            counts(1, 0, 1, 1, 0, 0),
        ));
        cases.push(case(
            "record_data_field",
            json!({"recordId": "49546986683135544286507457936321625675700192471156785154", "data": b64(&gz_one)})
                .to_string(),
            docs_one.clone(),
            counts(1, 0, 1, 1, 0, 0),
        ));
        cases.push(case(
            "base64_text_lines",
            format!("{}\r\n{}\n", b64(&gz_one), b64(&gz_two)),
            both.clone(),
            counts(2, 0, 3, 3, 0, 0),
        ));
        cases.push(case(
            "concatenated_payloads",
            format!("{one}{}\n  {two}\n\n", control_message()),
            both.clone(),
            counts(3, 1, 3, 3, 0, 0),
        ));
        cases.push(case(
            "concatenated_gzip_members",
            [
                gz_one.clone(),
                gzip(control_message().to_string().as_bytes()),
                gz_two.clone(),
            ]
            .concat(),
            both.clone(),
            counts(3, 1, 3, 3, 0, 0),
        ));
        cases.push(case("empty_input", " \n\t\n", vec![], counts(0, 0, 0, 0, 0, 0)));

        let bad_b64 = json!({"awslogs": {"data": "H4sI!!!notbase64"}}).to_string();
        let mut docs = vec![payload_error(
            1,
            "awslogs.data is not base64: Invalid symbol 33, offset 4.",
            &bad_b64,
        )];
        docs.extend(docs_one.clone());
        cases.push(case(
            "awslogs_data_not_base64",
            format!("{bad_b64}\n{}", awslogs(&gz_one)),
            docs,
            counts(1, 0, 1, 1, 0, 1),
        ));

        let garbage = "not*base64 at-all\nabcd";
        let mut docs = docs_one.clone();
        docs.push(payload_error(
            2,
            "text is neither JSON nor base64: Invalid symbol 42, offset 3.",
            garbage,
        ));
        docs.extend(docs_two.clone());
        cases.push(case(
            "base64_text_with_bad_lines",
            format!("{}\n{garbage}\n{}\n", b64(&gz_one), b64(&gz_two)),
            docs,
            counts(2, 0, 3, 3, 0, 1),
        ));

        let mut corrupt = gz_one.clone();
        let n = corrupt.len();
        corrupt[n - 8] ^= 0xff; // CRC32 of the trailer
        let corrupt_err = decode::inflate_to_vec(&corrupt, 1 << 20).unwrap_err();
        let wrapper = awslogs(&corrupt);
        cases.push(case(
            "awslogs_data_corrupt_gzip",
            wrapper.clone(),
            vec![payload_error(
                1,
                &format!("gzip in awslogs.data: {corrupt_err}"),
                &wrapper,
            )],
            counts(0, 0, 0, 0, 0, 1),
        ));

        // Best compression keeps the wrapper (the error document's raw text) under the 32 KiB cap.
        let bomb = awslogs(&gzip_at(&vec![0u8; 10 << 20], Compression::best()));
        assert!(bomb.len() < crate::document::MAX_RAW_MESSAGE_BYTES, "{}", bomb.len());
        let mut bomb_case = case(
            "awslogs_data_gzip_bomb",
            format!("{bomb}{}", awslogs(&gz_two)),
            [
                vec![payload_error(
                    1,
                    "gzip in awslogs.data: inflated size exceeds the limit of 1048576 bytes",
                    &bomb,
                )],
                docs_two.clone(),
            ]
            .concat(),
            counts(1, 0, 2, 2, 0, 1),
        );
        bomb_case.limits.max_payload_bytes = 1 << 20;
        cases.push(bomb_case);

        let broken = r#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"x","message":"cut here"#;
        let rest = format!("{broken}\n{two}\n");
        let at = one.to_string().len() + 1;
        let reason = format!(
            "invalid JSON in the input from byte {at}: {}; the rest of the input is unreadable",
            json_syntax_error(rest.as_bytes())
        );
        cases.push(case(
            "json_syntax_error_mid_stream",
            format!("{one}\n{rest}"),
            [docs_one.clone(), vec![payload_error(2, &reason, &rest)]].concat(),
            counts(1, 0, 1, 1, 0, 1),
        ));

        // A syntax error inside awslogs.data ends only that payload, not the input.
        let inner = br#"{"messageType":"DATA_MESSAGE","logEvents":[}"#;
        let inner_reason = format!(
            "invalid JSON in awslogs.data from byte 0: {}; the rest of awslogs.data is unreadable",
            json_syntax_error(inner)
        );
        cases.push(case(
            "json_syntax_error_in_awslogs_data",
            format!("{}{}", awslogs(&gzip(inner)), awslogs(&gz_one)),
            [
                vec![payload_error(1, &inner_reason, std::str::from_utf8(inner).unwrap())],
                docs_one.clone(),
            ]
            .concat(),
            counts(1, 0, 1, 1, 0, 1),
        ));

        let not_payload = r#"{"hello":"world"}"#;
        let wrong_types = r#"{"messageType":"DATA_MESSAGE","logEvents":"none"}"#;
        let unknown = data_message(vec![])
            .to_string()
            .replace("DATA_MESSAGE", "SOME_NEW_MESSAGE");
        let no_events = r#"{"messageType":"DATA_MESSAGE","owner":"1"}"#;
        let empty_data = json!({"awslogs": {"data": ""}}).to_string();
        let not_json = awslogs(&gzip(b"plain text, not JSON"));
        cases.push(case(
            "not_payloads",
            format!("{not_payload}\n[1,2]\n{wrong_types}\n{unknown}\n{no_events}\n{empty_data}\n{not_json}\n{one}"),
            vec![
                payload_error(
                    1,
                    "JSON object has neither messageType and logEvents nor awslogs.data",
                    not_payload,
                ),
                payload_error(2, "a JSON array is not a CloudWatch Logs payload", "[1,2]"),
                payload_error(
                    3,
                    &format!(
                        "JSON object is not a CloudWatch Logs payload: {}",
                        serde_json::from_str::<Envelope<'_, &RawValue>>(wrong_types)
                            .err()
                            .unwrap()
                    ),
                    wrong_types,
                ),
                payload_error(4, "unknown messageType `SOME_NEW_MESSAGE`", &unknown),
                payload_error(5, "DATA_MESSAGE without logEvents", no_events),
                payload_error(6, "awslogs.data holds no payload", &empty_data),
                payload_error(7, "awslogs.data holds neither gzip nor JSON", &not_json),
                doc(&id(1), TS, "first", json!({})),
            ],
            counts(3, 0, 1, 1, 0, 7),
        ));

        let mut nested = one.to_string().into_bytes();
        for _ in 0..=MAX_LAYERS {
            nested = gzip(&nested);
        }
        cases.push(case(
            "too_many_gzip_layers",
            nested,
            vec![payload_error(
                1,
                "the input nests more than 6 layers of gzip and base64",
                "",
            )],
            counts(0, 0, 0, 0, 0, 1),
        ));

        // Only the range check fails: the one-pass reader reports it without the slow path.
        let range = data_message(vec![
            event(&id(1), -62_167_219_200_001, "year -1"),
            event(&id(2), MS, "fine"),
        ]);
        cases.push(case(
            "timestamp_out_of_range",
            range.to_string(),
            vec![
                event_error(
                    &id(1),
                    NOW,
                    "field `timestamp` is not epoch milliseconds within years 0000-9999: `-62167219200001`",
                    "year -1",
                ),
                doc(&id(2), TS, "fine", json!({})),
            ],
            counts(1, 0, 2, 1, 1, 0),
        ));

        let bad_ts = event(&id(1), i64::MAX, "far future");
        let string_ts = json!({"id": id(2), "timestamp": "1795324200000", "message": "quoted time"});
        let no_message = json!({"id": id(3), "timestamp": MS});
        let number_message = json!({"id": id(4), "timestamp": MS, "message": 42});
        let no_id = json!({"timestamp": MS, "message": "no id"});
        let bool_id = json!({"id": true, "timestamp": MS, "message": "bool id"});
        let no_ts_no_message = json!({"id": id(7)});
        let payload = data_message(vec![
            bad_ts,
            string_ts.clone(),
            no_message.clone(),
            number_message.clone(),
            no_id,
            bool_id.clone(),
            json!("not an event"),
            no_ts_no_message.clone(),
        ]);
        let event_ids_of = |k: u32| format!("{}-{k}", unit_id(1));
        cases.push(case(
            "event_errors",
            payload.to_string(),
            vec![
                event_error(
                    &id(1),
                    NOW,
                    &format!(
                        "field `timestamp` is not epoch milliseconds within years 0000-9999: `{}`",
                        i64::MAX
                    ),
                    "far future",
                ),
                event_error(
                    &id(2),
                    NOW,
                    "field `timestamp` is not epoch milliseconds: `\"1795324200000\"`",
                    "quoted time",
                ),
                event_error(
                    &id(3),
                    TS,
                    "field `message` is not a string: `(missing)`",
                    &no_message.to_string(),
                ),
                event_error(
                    &id(4),
                    TS,
                    "field `message` is not a string: `42`",
                    &number_message.to_string(),
                ),
                doc(&event_ids_of(5), TS, "no id", json!({})),
                event_error(
                    &event_ids_of(6),
                    NOW,
                    "field `id` is not a string or an integer: `true`",
                    &bool_id.to_string(),
                ),
                event_error(
                    &event_ids_of(7),
                    NOW,
                    "field `logEvents` is not an object with id, timestamp and message: `\"not an event\"`",
                    "\"not an event\"",
                ),
                event_error(
                    &id(7),
                    NOW,
                    "field `timestamp` is not epoch milliseconds: `(missing)`",
                    &no_ts_no_message.to_string(),
                ),
            ],
            counts(1, 0, 8, 1, 7, 0),
        ));

        cases
    }

    #[test]
    fn processes_table() {
        let cases = cases();
        let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len(), "case names must be unique");
        for c in cases {
            let (docs, summary) = run_case(&c.input, &c.limits);
            assert_eq!(docs.len(), c.docs.len(), "case `{}`: {docs:#?}", c.name);
            for (i, (got, want)) in docs.iter().zip(&c.docs).enumerate() {
                assert_eq!(got, want, "case `{}`, document {i}", c.name);
            }
            assert_eq!(summary, c.summary, "case `{}`", c.name);
        }
    }

    /// Every single-payload case read by the slow, per-event path gives what the one-pass path gave.
    #[test]
    fn fast_and_lenient_paths_agree() {
        let mut checked = 0;
        for c in cases() {
            let Ok(text) = std::str::from_utf8(&c.input) else {
                continue;
            };
            let strict = serde_json::from_str::<Envelope<'_, StrictEvent<'_>>>(text);
            if !matches!(
                strict,
                Ok(Envelope {
                    log_events: Some(_),
                    ..
                })
            ) {
                continue;
            }
            let mut sink = MemorySink::default();
            let mut summary = Summary::default();
            let source = Source::new(SOURCE);
            let mut run = Run {
                source: &source,
                limits: &c.limits,
                sink: &mut sink,
                summary: &mut summary,
                out: Vec::new(),
                event_id: String::new(),
                units: 0,
                messages: MessageParsers::default(),
            };
            run.lenient_value(text, 0).unwrap();
            let (fast, fast_summary) = run_case(&c.input, &c.limits);
            let mut slow = sink.values();
            for (d, f) in slow.iter_mut().zip(&fast) {
                if f["@timestamp"] == json!(NOW) {
                    d["@timestamp"] = json!(NOW);
                }
            }
            assert_eq!(slow, fast, "case `{}`", c.name);
            assert_eq!(summary, fast_summary, "case `{}`", c.name);
            checked += 1;
        }
        assert!(checked >= 4, "{checked}");
    }

    #[test]
    fn documents_are_single_lines() {
        let pretty = "{\n  \"a\": 1,\r\n  \"b\": {\"c\": [true,\n false]}\n}";
        let input = data_message(vec![event(&id(1), MS, pretty)]).to_string();
        let mut sink = MemorySink::default();
        let mut summary = Summary::default();
        process_input(
            input.as_bytes(),
            &Source::new(SOURCE),
            &Limits::default(),
            &mut sink,
            &mut summary,
        )
        .unwrap();
        assert_eq!(sink.docs.len(), 1);
        assert!(!sink.docs[0].contains(&b'\n') && !sink.docs[0].contains(&b'\r'));
        assert_eq!(sink.values()[0]["json"], json!({"a": 1, "b": {"c": [true, false]}}));
    }

    #[test]
    fn megabyte_message_kept_whole() {
        let message = "x".repeat(1 << 20);
        let input = gzip(data_message(vec![event(&id(1), MS, &message)]).to_string().as_bytes());
        let (docs, summary) = run_case(awslogs(&input).as_bytes(), &Limits::default());
        assert_eq!(docs[0]["message"].as_str().map(str::len), Some(1 << 20));
        assert_eq!(summary, counts(1, 0, 1, 1, 0, 0));
    }

    #[test]
    fn error_ids_are_deterministic() {
        let input = format!(
            "{}\n{{\"x\":1}}\n{}",
            json!({"awslogs": {"data": "%%"}}),
            control_message()
        );
        let (a, _) = run_case(input.as_bytes(), &Limits::default());
        let (b, summary) = run_case(input.as_bytes(), &Limits::default());
        assert_eq!(a, b);
        assert_eq!(a[0]["event_id"], json!(unit_id(1)));
        assert_eq!(a[1]["event_id"], json!(unit_id(2)));
        assert_eq!(summary, counts(1, 1, 0, 0, 0, 2));
    }

    #[test]
    fn lambda_lines_that_are_not_platform_lines() {
        for message in [
            "START RequestId: ",
            "END RequestId:",
            "REPORT RequestId: \t\n",
            "STARTED RequestId: abc",
            "report RequestId: abc\tDuration: 1 ms",
            "2026-11-22T05:10:00.040Z\tabc\tINFO\tREPORT RequestId: abc",
        ] {
            assert_eq!(parse_lambda_line(message), None, "{message:?}");
        }
        let start = parse_lambda_line("START RequestId: abc").unwrap();
        assert_eq!(
            (start.event, start.request_id, start.function_version),
            ("start", "abc", None)
        );
        let report = parse_lambda_line("REPORT RequestId: abc\tDuration: 1.5 s\tMemory Size: -\t").unwrap();
        assert_eq!(
            report,
            LambdaLine {
                event: "report",
                request_id: "abc",
                ..LambdaLine::default()
            }
        );
    }

    /// The Firehose → S3 fixture (gzip'd payloads back to back) through the whole pipeline.
    #[test]
    fn firehose_object_through_pipeline() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../events/objects/cloudwatch/2026/11/22/05/logpipe-app-logs-1-2026-11-22-05-10-00-5f0c6b8e.gz"
        );
        let bytes = std::fs::read(path).unwrap();
        let mut sink = MemorySink::default();
        let choice = crate::formats::FormatChoice::Fixed(crate::formats::Format::CloudWatch);
        let summary =
            crate::pipeline::process(&bytes[..], &Source::new(path), choice, &Limits::default(), &mut sink).unwrap();
        assert_eq!((summary.payloads, summary.control_messages), (3, 1), "{summary:?}");
        assert_eq!(
            (summary.log_events, summary.documents, summary.error_documents),
            (13, 13, 0),
            "{summary:?}"
        );
        let docs = sink.values();
        assert_eq!(docs[0]["lambda_event"], json!("start"));
        assert_eq!(docs[1]["json"]["order_id"], json!(42));
        assert_eq!(docs[4]["init_duration_ms"], json!(182.36));
        assert_eq!(docs[4]["xray_sampled"], json!(true));
        assert_eq!(docs[5]["log_group"], json!("/ecs/checkout"));
    }

    /// Log events of other formats (see `cloudwatch_messages`) become that format's documents with the
    /// CloudWatch context; one that does not parse becomes that format's error document.
    #[test]
    fn messages_of_other_formats_get_their_own_documents() {
        let flow = "2 123456789012 eni-0a1b2c3d4e5f60718 203.0.113.12 10.0.1.5 49761 443 6 14 4249 1795323600 1795323660 ACCEPT OK";
        let mut vpc = data_message(vec![event("e1", MS, flow), event("e2", MS, "not a flow record")]);
        vpc["logGroup"] = json!("/aws/vpc/flowlogs-prod");
        let trail = r#"{"eventVersion":"1.09","eventTime":"2026-11-22T05:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"11111111-2222-3333-4444-555555555555","awsRegion":"us-east-2"}"#;
        let mut by_content = data_message(vec![event("e3", MS, trail), event("e4", MS, "plain text")]);
        by_content["logGroup"] = json!("/org/audit");
        let input = format!("{vpc}{by_content}");
        let (docs, summary) = run_case(input.as_bytes(), &Limits::default());
        assert_eq!(docs.len(), 4, "{docs:#?}");
        assert_eq!(docs[0]["log_type"], "vpcflow");
        assert_eq!(docs[0]["event_id"], "e1");
        assert_eq!(docs[0]["srcaddr"], "203.0.113.12");
        assert_eq!(docs[0]["log_group"], "/aws/vpc/flowlogs-prod");
        assert_eq!(docs[0]["owner"], "123456789012");
        assert_eq!(docs[1]["log_type"], "vpcflow");
        assert_eq!(docs[1]["error"]["source"], SOURCE);
        assert_eq!(docs[1]["message"], "not a flow record");
        assert_eq!(docs[1]["log_group"], "/aws/vpc/flowlogs-prod");
        assert_eq!(docs[2]["log_type"], "cloudtrail");
        assert_eq!(docs[2]["event_id"], "11111111-2222-3333-4444-555555555555");
        assert_eq!(docs[2]["log_group"], "/org/audit");
        assert_eq!(docs[3]["log_type"], "cloudwatch");
        assert_eq!(docs[3]["message"], "plain text");
        assert_eq!(summary.log_events, summary.documents + summary.event_errors);
        assert_eq!((summary.documents, summary.event_errors), (3, 1));
    }
}
