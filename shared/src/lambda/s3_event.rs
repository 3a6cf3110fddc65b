//! The S3 objects named by the event that invokes the `s3-access-logs` function, and what kind of
//! log each key holds.
//!
//! [`objects`] reads the event as a [`serde_json::Value`] and accepts every way an S3 "object
//! created" notification reaches a Lambda function:
//!
//! | trigger | event shape | [`Origin`] |
//! |---|---|---|
//! | S3 event notification | `{"Records":[{"eventSource":"aws:s3","s3":{…}}]}` | [`Origin::Direct`] |
//! | S3 → SQS | `Records[].body` = the S3 notification as a JSON string | [`Origin::Sqs`] |
//! | S3 → SNS → SQS (no raw delivery) | `Records[].body` = SNS envelope, its `Message` = the notification | [`Origin::Sqs`] |
//! | EventBridge → SQS | `Records[].body` = the EventBridge event | [`Origin::Sqs`] |
//! | S3 → SNS | `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"…"}}]}` | [`Origin::Sns`] |
//! | S3 → EventBridge | `{"source":"aws.s3","detail-type":"Object Created","detail":{…}}` | [`Origin::EventBridge`] |
//!
//! Spec: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>
//! (notifications, `s3:TestEvent`) and <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>
//! (EventBridge).
//!
//! * **Keys.** Notification keys are URL-encoded with `+` for a space; [`decode_key`] undoes that.
//!   EventBridge keys are not encoded and are used as they are.
//! * **Skips.** `s3:TestEvent` messages, events other than "object created", folder markers and
//!   SNS subscription messages produce no object but a [`Skipped`] entry, so the caller can log them.
//! * **Errors.** With SQS, one bad message does not fail the batch: its error goes to
//!   [`Parsed::bad_messages`] so the function reports only that message in `batchItemFailures`
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>). Any other
//!   malformed event is an [`EventError`] that names the JSON path (and SQS message) at fault.
//!
//! [`classify_key`] tells from the key's file name which log it is: ALB access or connection log,
//! NLB or Classic ELB access log, CloudFront standard log, or unknown.

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// An S3 object to fetch and parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded: URL-decoded for S3 notifications, as given for EventBridge.
    pub key: String,
    /// Size in bytes, when the event gives it.
    pub size: Option<u64>,
    /// Version id, when the bucket is versioned.
    pub version_id: Option<String>,
    /// Which message of the event named the object.
    pub origin: Origin,
}

impl ObjectRef {
    /// `s3://bucket/key`: the source name of the object's documents.
    pub fn s3_uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// Which message of the event the object came from, so an SQS-triggered function can answer with a
/// partial batch response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An S3 event notification delivered straight to the function.
    Direct,
    /// An SQS message: S3 → SQS, S3 → SNS → SQS or EventBridge → SQS.
    Sqs {
        /// The message's `messageId`, the `itemIdentifier` of a batch item failure.
        message_id: String,
    },
    /// An SNS notification: S3 → SNS → Lambda.
    Sns,
    /// An EventBridge event: S3 → EventBridge → Lambda.
    EventBridge,
}

impl Origin {
    /// The SQS message id, for SQS origins.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            Origin::Sqs { message_id } => Some(message_id),
            _ => None,
        }
    }
}

/// A message or record that names no object to process, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// The `s3:TestEvent` S3 sends when a notification configuration is saved.
    TestEvent {
        /// The `Bucket` the test event names.
        bucket: Option<String>,
    },
    /// An event other than "object created" (`ObjectRemoved:Delete`, EventBridge `Object Deleted`, …).
    NotObjectCreated {
        /// The S3 `eventName` or the EventBridge `detail-type`.
        event_name: String,
        /// Bucket name.
        bucket: String,
        /// Object key, decoded.
        key: String,
    },
    /// An empty object whose key ends in `/`: a "folder" made in the S3 console.
    FolderMarker {
        /// Bucket name.
        bucket: String,
        /// Object key, decoded.
        key: String,
    },
    /// An SNS `SubscriptionConfirmation` or `UnsubscribeConfirmation` delivered to the SQS queue.
    SnsSubscription {
        /// The SNS `Type`.
        message_type: String,
    },
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skipped::TestEvent { bucket: Some(bucket) } => write!(f, "s3:TestEvent for bucket `{bucket}`"),
            Skipped::TestEvent { bucket: None } => f.write_str("s3:TestEvent"),
            Skipped::NotObjectCreated { event_name, bucket, key } => {
                write!(f, "`{event_name}` is not an object-created event (s3://{bucket}/{key})")
            }
            Skipped::FolderMarker { bucket, key } => write!(f, "folder marker s3://{bucket}/{key}"),
            Skipped::SnsSubscription { message_type } => write!(f, "SNS `{message_type}` message"),
        }
    }
}

/// An SQS message that could not be read; the function reports it as a batch item failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMessage {
    /// The message's `messageId`.
    pub message_id: String,
    /// What was wrong with it.
    pub error: EventError,
}

/// Everything the event names, in event order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Objects to fetch and parse.
    pub objects: Vec<ObjectRef>,
    /// Messages and records that name nothing to process.
    pub skipped: Vec<Skipped>,
    /// SQS messages that could not be read. A bad message contributes no objects and no skips, so
    /// that a retry of that message alone processes all of it.
    pub bad_messages: Vec<BadMessage>,
}

/// Where in the event an error was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// Index in the event's top-level `Records`, when the event has them.
    pub record: Option<usize>,
    /// The SQS message id, when the error is inside an SQS message.
    pub message_id: Option<String>,
    /// JSON path of the offending value, such as `Records[0].body.Records[0].s3.object.key`. The
    /// steps after `body` (SQS) and `Message` (SNS) are inside the JSON that those strings hold.
    pub path: String,
}

impl Location {
    fn record(index: usize) -> Location {
        Location {
            record: Some(index),
            message_id: None,
            path: format!("Records[{index}]"),
        }
    }

    fn child(&self, name: &str) -> Location {
        let path = if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        };
        Location { path, ..self.clone() }
    }

    fn index(&self, index: usize) -> Location {
        Location {
            path: format!("{}[{index}]", self.path),
            ..self.clone()
        }
    }

    fn join(&self, path: &[&str]) -> Location {
        path.iter().fold(self.clone(), |at, name| at.child(name))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str("the event")?;
        } else {
            write!(f, "`{}`", self.path)?;
        }
        if let Some(id) = &self.message_id {
            write!(f, " in SQS message {id}")?;
        }
        Ok(())
    }
}

/// Why an event, or one SQS message of it, names no objects that can be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The event is none of the shapes in the module docs.
    #[error("event matches no known trigger (S3, SQS, SNS or EventBridge): found {found}")]
    UnknownShape { found: String },
    /// A record or event from a service other than S3, SQS or SNS, or an EventBridge event not from S3.
    #[error("{at}: unsupported event source `{event_source}`")]
    UnsupportedSource { at: Location, event_source: String },
    /// A required field is absent, or a field has the wrong JSON type.
    #[error("{at} is missing or not {expected}")]
    InvalidField { at: Location, expected: &'static str },
    /// An SQS `body` or SNS `Message` that is not JSON.
    #[error("{at} is not JSON: {reason}")]
    NotJson { at: Location, reason: String },
    /// An SQS `body` or SNS `Message` that is JSON but not an S3 notification.
    #[error("{at} is not an S3 event notification: found {found}")]
    NotS3Notification { at: Location, found: String },
}

impl EventError {
    /// Stable machine-readable name, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            EventError::UnknownShape { .. } => "unknown_shape",
            EventError::UnsupportedSource { .. } => "unsupported_source",
            EventError::InvalidField { .. } => "invalid_field",
            EventError::NotJson { .. } => "not_json",
            EventError::NotS3Notification { .. } => "not_s3_notification",
        }
    }

    /// Where the error was found; `None` for [`EventError::UnknownShape`] (the whole event).
    pub fn location(&self) -> Option<&Location> {
        match self {
            EventError::UnknownShape { .. } => None,
            EventError::UnsupportedSource { at, .. }
            | EventError::InvalidField { at, .. }
            | EventError::NotJson { at, .. }
            | EventError::NotS3Notification { at, .. } => Some(at),
        }
    }
}

/// The S3 objects an event names. See the module docs for the accepted shapes.
///
/// With SQS, a message that cannot be read lands in [`Parsed::bad_messages`] and the other
/// messages are still returned. `Err` means the event as a whole is malformed: no known shape, a
/// record of an unsupported source, an SQS record without a `messageId`, or (not SQS) a bad record.
pub fn objects(event: &Value) -> Result<Parsed, EventError> {
    let mut parsed = Parsed::default();
    if event.get("Records").is_some() {
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid(Location::default().child("Records"), "an array"))?;
        for (index, record) in records.iter().enumerate() {
            top_record(record, index, &mut parsed)?;
        }
    } else if is_test_event(event) {
        parsed.skipped.push(test_event(event));
    } else if event.get("detail-type").is_some() {
        let at = Location::default();
        match event.get("source").and_then(Value::as_str) {
            Some("aws.s3") => eventbridge(event, &at, Origin::EventBridge, &mut parsed)?,
            Some(other) => {
                return Err(EventError::UnsupportedSource {
                    at: at.child("source"),
                    event_source: other.to_owned(),
                })
            }
            None => return Err(invalid(at.child("source"), "a string")),
        }
    } else {
        return Err(EventError::UnknownShape {
            found: describe(event),
        });
    }
    Ok(parsed)
}

/// One element of the event's top-level `Records`.
fn top_record(record: &Value, index: usize, parsed: &mut Parsed) -> Result<(), EventError> {
    let at = Location::record(index);
    // SNS spells it `EventSource`, S3 and SQS `eventSource`.
    let (field, source) = match (record.get("eventSource"), record.get("EventSource")) {
        (Some(source), _) => ("eventSource", source),
        (None, Some(source)) => ("EventSource", source),
        (None, None) => return Err(invalid(at.child("eventSource"), "a string")),
    };
    match source.as_str() {
        Some("aws:s3") => s3_record(record, &at, &Origin::Direct, parsed),
        Some("aws:sns") => sns_envelope(record, &at.child("Sns"), &Origin::Sns, parsed),
        Some("aws:sqs") => {
            let message_id = string(record, &at, &["messageId"])?.to_owned();
            let at = Location {
                message_id: Some(message_id.clone()),
                ..at
            };
            let origin = Origin::Sqs {
                message_id: message_id.clone(),
            };
            // Collect the message on its own, so that a bad message adds nothing but its error.
            let mut message = Parsed::default();
            match sqs_body(record, &at, &origin, &mut message) {
                Ok(()) => {
                    parsed.objects.append(&mut message.objects);
                    parsed.skipped.append(&mut message.skipped);
                }
                Err(error) => parsed.bad_messages.push(BadMessage { message_id, error }),
            }
            Ok(())
        }
        Some(other) => Err(EventError::UnsupportedSource {
            at: at.child(field),
            event_source: other.to_owned(),
        }),
        None => Err(invalid(at.child(field), "a string")),
    }
}

/// An SQS message body: an S3 notification, an SNS envelope holding one, or an EventBridge event.
fn sqs_body(record: &Value, at: &Location, origin: &Origin, out: &mut Parsed) -> Result<(), EventError> {
    let body = string(record, at, &["body"])?;
    let at = at.child("body");
    let body = parse_json(body, &at)?;
    if is_sns_envelope(&body) {
        sns_envelope(&body, &at, origin, out)
    } else {
        notification(&body, &at, origin, out)
    }
}

/// An SNS message (`Records[].Sns` for Lambda, or an SQS body): its `Message` is the notification.
fn sns_envelope(envelope: &Value, at: &Location, origin: &Origin, out: &mut Parsed) -> Result<(), EventError> {
    match envelope.get("Type").and_then(Value::as_str) {
        Some("Notification") => {}
        Some(kind @ ("SubscriptionConfirmation" | "UnsubscribeConfirmation")) => {
            out.skipped.push(Skipped::SnsSubscription {
                message_type: kind.to_owned(),
            });
            return Ok(());
        }
        _ => return Err(invalid(at.child("Type"), "the SNS message type `Notification`")),
    }
    let message = string(envelope, at, &["Message"])?;
    let at = at.child("Message");
    notification(&parse_json(message, &at)?, &at, origin, out)
}

/// A notification carried as a string: S3 records, a test event, or an EventBridge event.
fn notification(value: &Value, at: &Location, origin: &Origin, out: &mut Parsed) -> Result<(), EventError> {
    if let Some(records) = value.get("Records") {
        let at = at.child("Records");
        let records = records.as_array().ok_or_else(|| invalid(at.clone(), "an array"))?;
        for (index, record) in records.iter().enumerate() {
            let at = at.index(index);
            match record.get("eventSource").and_then(Value::as_str) {
                Some("aws:s3") => s3_record(record, &at, origin, out)?,
                Some(other) => {
                    return Err(EventError::UnsupportedSource {
                        at: at.child("eventSource"),
                        event_source: other.to_owned(),
                    })
                }
                None => return Err(invalid(at.child("eventSource"), "a string")),
            }
        }
        Ok(())
    } else if is_test_event(value) {
        out.skipped.push(test_event(value));
        Ok(())
    } else if value.get("source").and_then(Value::as_str) == Some("aws.s3") && value.get("detail-type").is_some() {
        eventbridge(value, at, origin.clone(), out)
    } else {
        Err(EventError::NotS3Notification {
            at: at.clone(),
            found: describe(value),
        })
    }
}

/// One S3 notification record (`eventSource` `aws:s3`).
fn s3_record(record: &Value, at: &Location, origin: &Origin, out: &mut Parsed) -> Result<(), EventError> {
    let event_name = string(record, at, &["eventName"])?;
    let object = ObjectRef {
        bucket: string(record, at, &["s3", "bucket", "name"])?.to_owned(),
        key: decode_key(string(record, at, &["s3", "object", "key"])?).into_owned(),
        size: optional_u64(record, at, &["s3", "object", "size"])?,
        version_id: optional_string(record, at, &["s3", "object", "versionId"])?.map(str::to_owned),
        origin: origin.clone(),
    };
    // Notifications name events without the `s3:` of the configuration (`ObjectCreated:Put`).
    let created = event_name.trim_start_matches("s3:").starts_with("ObjectCreated:");
    admit(created, event_name, object, out);
    Ok(())
}

/// An S3 event delivered by EventBridge. Its key is not URL-encoded.
fn eventbridge(event: &Value, at: &Location, origin: Origin, out: &mut Parsed) -> Result<(), EventError> {
    let detail_type = string(event, at, &["detail-type"])?;
    let object = ObjectRef {
        bucket: string(event, at, &["detail", "bucket", "name"])?.to_owned(),
        key: string(event, at, &["detail", "object", "key"])?.to_owned(),
        size: optional_u64(event, at, &["detail", "object", "size"])?,
        version_id: optional_string(event, at, &["detail", "object", "version-id"])?.map(str::to_owned),
        origin,
    };
    admit(detail_type == "Object Created", detail_type, object, out);
    Ok(())
}

/// Adds the object, or the reason it is skipped.
fn admit(created: bool, event_name: &str, object: ObjectRef, out: &mut Parsed) {
    let ObjectRef { bucket, key, size, .. } = &object;
    if !created {
        out.skipped.push(Skipped::NotObjectCreated {
            event_name: event_name.to_owned(),
            bucket: bucket.clone(),
            key: key.clone(),
        });
    } else if key.ends_with('/') && *size == Some(0) {
        out.skipped.push(Skipped::FolderMarker {
            bucket: bucket.clone(),
            key: key.clone(),
        });
    } else {
        out.objects.push(object);
    }
}

fn is_test_event(value: &Value) -> bool {
    value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent")
}

fn test_event(value: &Value) -> Skipped {
    Skipped::TestEvent {
        bucket: value.get("Bucket").and_then(Value::as_str).map(str::to_owned),
    }
}

/// An SNS envelope as SNS delivers it to SQS without raw message delivery.
fn is_sns_envelope(value: &Value) -> bool {
    value.get("Type").is_some() && value.get("TopicArn").is_some()
}

fn parse_json(text: &str, at: &Location) -> Result<Value, EventError> {
    serde_json::from_str(text).map_err(|e| EventError::NotJson {
        at: at.clone(),
        reason: e.to_string(),
    })
}

fn invalid(at: Location, expected: &'static str) -> EventError {
    EventError::InvalidField { at, expected }
}

fn lookup<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, name| value.get(name))
}

/// The string at `path` below `value`; an error naming `at` + `path` otherwise.
fn string<'v>(value: &'v Value, at: &Location, path: &[&str]) -> Result<&'v str, EventError> {
    lookup(value, path)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(at.join(path), "a string"))
}

/// The string at `path`, `None` when absent or `null`.
fn optional_string<'v>(value: &'v Value, at: &Location, path: &[&str]) -> Result<Option<&'v str>, EventError> {
    match lookup(value, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(at.join(path), "a string")),
    }
}

/// The non-negative integer at `path`, `None` when absent or `null`.
fn optional_u64(value: &Value, at: &Location, path: &[&str]) -> Result<Option<u64>, EventError> {
    match lookup(value, path) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(at.join(path), "a non-negative integer")),
    }
}

/// A short description of a JSON value for error messages: its type, and an object's first keys.
fn describe(value: &Value) -> String {
    const MAX_KEYS: usize = 8;
    match value {
        Value::Object(map) if map.is_empty() => "an empty object".to_owned(),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().take(MAX_KEYS).map(|k| format!("`{k}`")).collect();
            let more = if map.len() > MAX_KEYS { ", …" } else { "" };
            format!("an object with keys {}{more}", keys.join(", "))
        }
        Value::Array(_) => "an array".to_owned(),
        Value::String(_) => "a string".to_owned(),
        Value::Number(_) => "a number".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Null => "null".to_owned(),
    }
}

/// Decodes an S3 notification key: `+` becomes a space, then `%XX` escapes are decoded as UTF-8
/// (`a+b%20c%2B%C3%A9` → `a b c+é`).
///
/// Nothing fails: a `%` not followed by two hex digits is kept, and so is an escape whose bytes are
/// not valid UTF-8 (`%FF` stays `%FF`). A key without `+` or `%` is returned without copying.
pub fn decode_key(key: &str) -> Cow<'_, str> {
    if !key.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(key);
    }
    let src = key.as_bytes();
    let mut bytes = Vec::with_capacity(src.len());
    // For each decoded byte, the position in `key` of the `%XX` it came from, if it came from one.
    let mut escapes = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        let (byte, escape, width) = match src[i] {
            b'+' => (b' ', None, 1),
            b'%' => match (hex(src.get(i + 1)), hex(src.get(i + 2))) {
                (Some(high), Some(low)) => (high << 4 | low, Some(i), 3),
                _ => (b'%', None, 1),
            },
            other => (other, None, 1),
        };
        bytes.push(byte);
        escapes.push(escape);
        i += width;
    }
    match String::from_utf8(bytes) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(e) => Cow::Owned(keep_invalid_escapes(key, &e.into_bytes(), &escapes)),
    }
}

fn hex(byte: Option<&u8>) -> Option<u8> {
    let digit = char::from(*byte?).to_digit(16)?;
    u8::try_from(digit).ok()
}

/// Rebuilds a decoded key whose bytes are not all UTF-8, writing each invalid byte back as the
/// `%XX` text it was decoded from.
fn keep_invalid_escapes(key: &str, bytes: &[u8], escapes: &[Option<usize>]) -> String {
    let mut out = String::with_capacity(key.len());
    let mut pos = 0;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        pos += chunk.valid().len();
        for _ in chunk.invalid() {
            // Bytes copied from `key` are whole UTF-8 characters, so an invalid byte is an escape.
            let text = escapes.get(pos).copied().flatten().and_then(|at| key.get(at..at + 3));
            out.push_str(text.unwrap_or("\u{FFFD}"));
            pos += 1;
        }
    }
    out
}

/// The kind of log an S3 key holds, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Application Load Balancer access log: `<account>_elasticloadbalancing_<region>_app.<name>.<id>_<end-time>_<ip>_<random>.log.gz`.
    AlbAccess,
    /// Application Load Balancer connection log: the access log name behind `conn_log_` (what ALB
    /// writes) or `conn_log.` (what the AWS docs show).
    AlbConnection,
    /// Network Load Balancer access log: `…_net.<name>.<id>_<end-time>_<random>.log.gz` (no IP).
    Nlb,
    /// Classic Load Balancer access log: `…_<name>_<end-time>_<ip>_<random>.log`.
    ClassicElb,
    /// CloudFront standard log: `[prefix]<distribution-id>.<YYYY-MM-DD-HH>.<unique>.gz`.
    CloudFront,
    /// Anything else; the caller may detect the format from the content.
    Unknown,
}

impl KeyKind {
    /// Stable name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::AlbAccess => "alb_access",
            KeyKind::AlbConnection => "alb_connection",
            KeyKind::Nlb => "nlb",
            KeyKind::ClassicElb => "classic_elb",
            KeyKind::CloudFront => "cloudfront",
            KeyKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Lengths of CloudFront distribution ids: upper-case letters and digits starting with `E`.
const DISTRIBUTION_ID_LENGTHS: std::ops::RangeInclusive<usize> = 13..=14;

/// The kind of log a (decoded) S3 key holds, decided from its file name alone, so that logs copied
/// out of the `AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/` layout are still
/// recognised.
///
/// File name formats:
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html#access-log-file-format>,
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-connection-logs.html#connection-log-file-format>,
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html#access-log-file-format>,
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html#access-log-file-format>,
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html>.
pub fn classify_key(key: &str) -> KeyKind {
    let name = key.rsplit_once('/').map_or(key, |(_, name)| name);
    if let Some(kind) = elb_kind(name) {
        kind
    } else if is_cloudfront(name) {
        KeyKind::CloudFront
    } else {
        KeyKind::Unknown
    }
}

/// `[conn_log_]<account>_elasticloadbalancing_<region>_<lb>_<end-time>_[<ip>_]<random>.log[.gz]`.
fn elb_kind(name: &str) -> Option<KeyKind> {
    let (connection, rest) = match name.strip_prefix("conn_log_").or_else(|| name.strip_prefix("conn_log.")) {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let stem = rest.strip_suffix(".log.gz").or_else(|| rest.strip_suffix(".log"))?;
    let fields: Vec<&str> = stem.split('_').collect();
    let [account, "elasticloadbalancing", region, lb, end_time, tail @ ..] = fields.as_slice() else {
        return None;
    };
    // ALB and Classic ELB end with `<ip>_<random>`, NLB with `<random>` only.
    let tail_ok = matches!(tail.len(), 1 | 2) && tail.iter().all(|f| !f.is_empty());
    if !(is_account(account) && is_region(region) && is_end_time(end_time) && tail_ok) {
        return None;
    }
    match lb.split_once('.') {
        Some(("app", id)) if is_lb_id(id) => Some(if connection {
            KeyKind::AlbConnection
        } else {
            KeyKind::AlbAccess
        }),
        Some(("net", id)) if is_lb_id(id) && !connection => Some(KeyKind::Nlb),
        None if is_lb_name(lb) && !connection => Some(KeyKind::ClassicElb),
        _ => None,
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    s.contains('-') && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `20261122T0505Z`; the NLB docs' example omits the `T`, so it is optional.
fn is_end_time(s: &str) -> bool {
    let Some(s) = s.strip_suffix('Z') else {
        return false;
    };
    let digits = match (s.get(..8), s.get(8..9), s.get(9..)) {
        (Some(date), Some("T"), Some(time)) => [date, time],
        _ => [s, ""],
    };
    digits.concat().len() == 12 && digits.iter().all(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

/// A load balancer name: 1 to 32 letters, digits and hyphens.
fn is_lb_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `<name>.<hex id>`, the part of an ALB or NLB id after `app.` or `net.`.
fn is_lb_id(s: &str) -> bool {
    s.rsplit_once('.')
        .is_some_and(|(name, id)| is_lb_name(name) && !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `[prefix]<distribution-id>.<YYYY-MM-DD-HH>.<unique>.gz`. A prefix without a trailing `/` is
/// glued to the id, so the id is the run of upper-case letters and digits that ends the head.
fn is_cloudfront(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".gz") else {
        return false;
    };
    let mut parts = stem.rsplitn(3, '.');
    let (Some(unique), Some(hour), Some(head)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let id_start = head
        .rfind(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
        .map_or(0, |i| i + 1);
    let id = &head[id_start..];
    DISTRIBUTION_ID_LENGTHS.contains(&id.len())
        && id.starts_with('E')
        && is_hour(hour)
        && !unique.is_empty()
        && unique.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `YYYY-MM-DD-HH`.
fn is_hour(s: &str) -> bool {
    s.len() == 13
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if matches!(i, 4 | 7 | 10) { b == b'-' } else { b.is_ascii_digit() })
}
