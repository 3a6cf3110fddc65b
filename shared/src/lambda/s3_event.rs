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
            Skipped::NotObjectCreated {
                event_name,
                bucket,
                key,
            } => {
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
    if let Some(records) = event.get("Records") {
        let records = records
            .as_array()
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
        return Err(EventError::UnknownShape { found: describe(event) });
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
        Some("aws:sns") => {
            let at = at.child("Sns");
            let sns = record.get("Sns").ok_or_else(|| invalid(at.clone(), "an object"))?;
            sns_envelope(sns, &at, &Origin::Sns, parsed)
        }
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
                (Some(high), Some(low)) => ((high << 4) | low, Some(i), 3),
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
    /// VPC flow log: `<account>_vpcflowlogs_<region>_<flow-log-id>_<end-time>_<hash>.log.gz`.
    VpcFlow,
    /// CloudTrail log file: `<account>_CloudTrail_<region>_<end-time>_<unique>.json.gz`.
    CloudTrail,
    /// CloudTrail digest file (`…_CloudTrail-Digest_…`): integrity hashes, not events.
    CloudTrailDigest,
    /// AWS WAF log: `<account>_waflogs_<region>_<web-acl>_<end-time>_<hash>.log.gz`.
    Waf,
    /// S3 server access log: `[prefix]YYYY-mm-DD-HH-MM-SS-<16 hex>` (the date-based layout adds
    /// `<account>_<region>_<bucket>/YYYY/mm/dd/` folders; the file name is the same).
    S3Access,
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
            KeyKind::VpcFlow => "vpcflow",
            KeyKind::CloudTrail => "cloudtrail",
            KeyKind::CloudTrailDigest => "cloudtrail_digest",
            KeyKind::Waf => "waf",
            KeyKind::S3Access => "s3_access",
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
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html>,
/// <https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html>,
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html>,
/// <https://docs.aws.amazon.com/waf/latest/developerguide/logging-s3.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html>.
pub fn classify_key(key: &str) -> KeyKind {
    let name = key.rsplit_once('/').map_or(key, |(_, name)| name);
    if let Some(kind) = elb_kind(name) {
        kind
    } else if is_cloudfront(name) {
        KeyKind::CloudFront
    } else if let Some(kind) = service_kind(name) {
        kind
    } else if is_s3_access(name) {
        KeyKind::S3Access
    } else {
        KeyKind::Unknown
    }
}

/// `<account>_<service>_<region>_…` file names of VPC flow logs, CloudTrail and WAF.
fn service_kind(name: &str) -> Option<KeyKind> {
    let mut fields = name.splitn(4, '_');
    let (Some(account), Some(service), Some(region), Some(_)) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return None;
    };
    if !(is_account(account) && is_region(region)) {
        return None;
    }
    let log = name.ends_with(".log.gz") || name.ends_with(".log");
    let json = name.ends_with(".json.gz") || name.ends_with(".json");
    match service {
        "vpcflowlogs" if log => Some(KeyKind::VpcFlow),
        "waflogs" if log => Some(KeyKind::Waf),
        "CloudTrail" if json => Some(KeyKind::CloudTrail),
        "CloudTrail-Digest" if json => Some(KeyKind::CloudTrailDigest),
        _ => None,
    }
}

/// `[prefix]YYYY-mm-DD-HH-MM-SS-<16 upper-case hex>`.
fn is_s3_access(name: &str) -> bool {
    let Some(stamp_start) = name.len().checked_sub(19 + 1 + 16) else {
        return false;
    };
    let (Some(stamp), Some(dash), Some(unique)) = (
        name.get(stamp_start..stamp_start + 19),
        name.get(stamp_start + 19..stamp_start + 20),
        name.get(stamp_start + 20..),
    ) else {
        return false;
    };
    let stamp_ok = stamp.bytes().enumerate().all(|(i, b)| {
        if matches!(i, 4 | 7 | 10 | 13 | 16) {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    });
    stamp_ok && dash == "-" && unique.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// `[conn_log_]<account>_elasticloadbalancing_<region>_<lb>_<end-time>_[<ip>_]<random>.log[.gz]`.
fn elb_kind(name: &str) -> Option<KeyKind> {
    let (connection, rest) = match name
        .strip_prefix("conn_log_")
        .or_else(|| name.strip_prefix("conn_log."))
    {
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
    s.contains('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
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
    let prefix = head.trim_end_matches(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit());
    let id = &head[prefix.len()..];
    DISTRIBUTION_ID_LENGTHS.contains(&id.len())
        && id.starts_with('E')
        && is_hour(hour)
        && !unique.is_empty()
        && unique.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `YYYY-MM-DD-HH`.
fn is_hour(s: &str) -> bool {
    s.len() == 13
        && s.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 4 | 7 | 10) {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BUCKET: &str = "logpipe-sample-logs";
    const ALB_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz";
    const CF_KEY: &str = "cloudfront/E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz";
    const CONN_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_5k2hq9wz.log.gz";

    // ---- builders -------------------------------------------------------------------------------

    fn s3_record(event_name: &str, key: &str, size: Value) -> Value {
        json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-2",
            "eventTime": "2026-11-22T05:05:31.000Z", "eventName": event_name,
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "b"}, "object": {"key": key, "size": size}}
        })
    }

    fn put(key: &str) -> Value {
        s3_record("ObjectCreated:Put", key, json!(10))
    }

    fn notification(records: Vec<Value>) -> Value {
        json!({ "Records": records })
    }

    fn sqs(message_id: &str, body: &str) -> Value {
        json!({"messageId": message_id, "body": body, "eventSource": "aws:sqs"})
    }

    fn sqs_event(messages: Vec<Value>) -> Value {
        json!({ "Records": messages })
    }

    fn sns_envelope(message: &str) -> Value {
        json!({"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-2:123456789012:t", "Message": message})
    }

    fn sns_event(message: &str) -> Value {
        json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": sns_envelope(message)}]})
    }

    fn eventbridge(detail_type: &str, key: &str) -> Value {
        json!({
            "version": "0", "detail-type": detail_type, "source": "aws.s3",
            "detail": {"bucket": {"name": "b"}, "object": {"key": key, "size": 10}}
        })
    }

    fn test_event() -> Value {
        json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-22T04:10:00.000Z", "Bucket": "b"})
    }

    fn object(key: &str, origin: Origin) -> ObjectRef {
        ObjectRef {
            bucket: "b".to_owned(),
            key: key.to_owned(),
            size: Some(10),
            version_id: None,
            origin,
        }
    }

    fn sqs_origin(id: &str) -> Origin {
        Origin::Sqs {
            message_id: id.to_owned(),
        }
    }

    fn only(objects: Vec<ObjectRef>) -> Parsed {
        Parsed {
            objects,
            ..Parsed::default()
        }
    }

    fn skipped(skipped: Vec<Skipped>) -> Parsed {
        Parsed {
            skipped,
            ..Parsed::default()
        }
    }

    fn at(record: Option<usize>, message_id: Option<&str>, path: &str) -> Location {
        Location {
            record,
            message_id: message_id.map(str::to_owned),
            path: path.to_owned(),
        }
    }

    fn not_created(event_name: &str, key: &str) -> Skipped {
        Skipped::NotObjectCreated {
            event_name: event_name.to_owned(),
            bucket: "b".to_owned(),
            key: key.to_owned(),
        }
    }

    fn string(value: &Value) -> String {
        value.to_string()
    }

    // ---- keys -----------------------------------------------------------------------------------

    #[test]
    fn decode_key_table() {
        let cases = [
            ("plain", "AWSLogs/1/a_b-c.log.gz", "AWSLogs/1/a_b-c.log.gz"),
            ("empty", "", ""),
            ("plus_is_space", "a+b%20c.log.gz", "a b c.log.gz"),
            ("encoded_plus", "copy%2B1.log.gz", "copy+1.log.gz"),
            (
                "spaces_and_plus",
                "manual+uploads/alb+copy%2B1.log.gz",
                "manual uploads/alb copy+1.log.gz",
            ),
            ("special_characters", "k%3Dv%3A%40%26%24%2C%3F%23%5B%5D", "k=v:@&$,?#[]"),
            ("encoded_percent_decoded_once", "100%25/%252B", "100%/%2B"),
            ("non_ascii", "logs/%C3%A9t%C3%A9.log.gz", "logs/été.log.gz"),
            ("non_ascii_lower_hex", "logs/%c3%a9t%c3%a9.log.gz", "logs/été.log.gz"),
            ("four_byte_utf8", "%F0%9F%93%A6.log", "📦.log"),
            ("raw_non_ascii_kept", "logs/été+1.log", "logs/été 1.log"),
            ("invalid_hex_kept", "100%zz.log", "100%zz.log"),
            ("truncated_escape_kept", "a%4", "a%4"),
            ("trailing_percent_kept", "a%", "a%"),
            ("invalid_utf8_kept", "a%FFb", "a%FFb"),
            ("lone_lead_byte_kept", "a%C3+b", "a%C3 b"),
            ("valid_then_invalid", "%C3%A9%FF%fe", "é%FF%fe"),
            ("lead_byte_before_raw_char", "%E2é", "%E2é"),
        ];
        for (name, key, want) in cases {
            assert_eq!(decode_key(key), want, "case `{name}`");
        }
    }

    #[test]
    fn decode_key_borrows_keys_without_escapes() {
        assert!(matches!(decode_key("logs/été.log.gz"), Cow::Borrowed(_)));
        assert!(matches!(decode_key("a+b"), Cow::Owned(_)));
    }

    #[test]
    fn classify_key_table() {
        let elb = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/01/01";
        let cases = [
            ("alb_access", ALB_KEY.to_owned(), KeyKind::AlbAccess),
            (
                "alb_access_under_prefix",
                format!("my-prefix/{elb}/123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20260101T0000Z_10.0.0.1_abcd1234.log.gz"),
                KeyKind::AlbAccess,
            ),
            (
                "alb_access_file_name_only",
                "123456789012_elasticloadbalancing_eu-central-1_app.a.b13ea9d19f16d015_20220124T0000Z_0.0.0.0_2et2e1mx.log.gz".to_owned(),
                KeyKind::AlbAccess,
            ),
            ("alb_connection_underscore", CONN_KEY.to_owned(), KeyKind::AlbConnection),
            (
                "alb_connection_period",
                format!("{elb}/conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20260101T0000Z_10.0.0.1_abcd1234.log.gz"),
                KeyKind::AlbConnection,
            ),
            (
                "nlb",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_net.my-nlb.1234567890abcdef_20260101T0000Z_2soosksi.log.gz"),
                KeyKind::Nlb,
            ),
            (
                "nlb_end_time_without_t",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_net.my-nlb.1234567890abcdef_201605010000Z_2soosksi.log.gz"),
                KeyKind::Nlb,
            ),
            (
                "classic_elb",
                format!("{elb}/123456789012_elasticloadbalancing_us-west-2_my-loadbalancer_20140215T2340Z_172.160.001.192_20sg8hgm.log"),
                KeyKind::ClassicElb,
            ),
            ("cloudfront", CF_KEY.to_owned(), KeyKind::CloudFront),
            ("cloudfront_no_prefix", "E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz".to_owned(), KeyKind::CloudFront),
            ("cloudfront_13_char_id", "logs/E1A2B3C4D5E6F.2026-11-22-05.0f1e2d3c.gz".to_owned(), KeyKind::CloudFront),
            (
                "cloudfront_prefix_without_slash",
                "cf-logs-E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz".to_owned(),
                KeyKind::CloudFront,
            ),
            (
                "cloudwatch_firehose_object",
                "cloudwatch/2026/11/22/05/logpipe-app-logs-1-2026-11-22-05-10-00-5f0c6b8e.gz".to_owned(),
                KeyKind::Unknown,
            ),
            ("manual_copy", "manual uploads/alb copy+1.log.gz".to_owned(), KeyKind::Unknown),
            ("corrupt_sample", "broken/corrupt-truncated.log.gz".to_owned(), KeyKind::Unknown),
            ("folder", format!("{elb}/"), KeyKind::Unknown),
            ("empty", String::new(), KeyKind::Unknown),
            (
                "conn_log_of_nlb",
                format!("{elb}/conn_log_123456789012_elasticloadbalancing_us-east-2_net.my-nlb.1234567890abcdef_20260101T0000Z_2soosksi.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "conn_log_of_classic_elb",
                format!("{elb}/conn_log_123456789012_elasticloadbalancing_us-east-2_my-lb_20260101T0000Z_10.0.0.1_abcd1234.log"),
                KeyKind::Unknown,
            ),
            (
                "other_lb_type",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_gwy.my-gw.1234567890abcdef_20260101T0000Z_10.0.0.1_abcd1234.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "health_check_log",
                format!("{elb}/health_check_log_123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20260101T0000Z_10.0.0.1_abcd1234.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "account_not_12_digits",
                format!("{elb}/1234_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20260101T0000Z_10.0.0.1_abcd1234.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "bad_end_time",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_2026-01-01_10.0.0.1_abcd1234.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "alb_without_random_part",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20260101T0000Z.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "alb_id_not_hex",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_app.my-lb.xyz_20260101T0000Z_10.0.0.1_abcd1234.log.gz"),
                KeyKind::Unknown,
            ),
            (
                "alb_wrong_extension",
                format!("{elb}/123456789012_elasticloadbalancing_us-east-2_app.my-lb.1234567890abcdef_20260101T0000Z_10.0.0.1_abcd1234.json"),
                KeyKind::Unknown,
            ),
            ("cloudfront_lowercase_id", "e2example12345.2026-11-22-05.a1b2c3d4.gz".to_owned(), KeyKind::Unknown),
            ("cloudfront_id_not_e", "X2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz".to_owned(), KeyKind::Unknown),
            ("cloudfront_id_too_long", "E2EXAMPLE1234567.2026-11-22-05.a1b2c3d4.gz".to_owned(), KeyKind::Unknown),
            ("cloudfront_no_hour", "E2EXAMPLE12345.2026-11-22.a1b2c3d4.gz".to_owned(), KeyKind::Unknown),
            ("cloudfront_not_gzip", "E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.log".to_owned(), KeyKind::Unknown),
            ("cloudfront_no_unique", "E2EXAMPLE12345.2026-11-22-05..gz".to_owned(), KeyKind::Unknown),
            ("non_ascii_name", "logs/été.2026-11-22-05.a1b2c3d4.gz".to_owned(), KeyKind::Unknown),
            (
                "vpc_flow",
                "AWSLogs/123456789012/vpcflowlogs/us-east-2/2026/11/22/123456789012_vpcflowlogs_us-east-2_fl-1234abcd_20261122T0505Z_fe123456.log.gz".to_owned(),
                KeyKind::VpcFlow,
            ),
            (
                "cloudtrail",
                "AWSLogs/123456789012/CloudTrail/us-east-2/2026/11/22/123456789012_CloudTrail_us-east-2_20261122T0505Z_EXAMPLEa1b2c3d4.json.gz".to_owned(),
                KeyKind::CloudTrail,
            ),
            (
                "cloudtrail_digest",
                "AWSLogs/123456789012/CloudTrail-Digest/us-east-2/2026/11/22/123456789012_CloudTrail-Digest_us-east-2_trail_us-east-2_20261122T050500Z.json.gz".to_owned(),
                KeyKind::CloudTrailDigest,
            ),
            (
                "waf",
                "AWSLogs/123456789012/WAFLogs/us-east-1/edge-acl/2026/11/22/05/05/123456789012_waflogs_us-east-1_edge-acl_20261122T0505Z_a1b2c3d4.log.gz".to_owned(),
                KeyKind::Waf,
            ),
            ("s3_access_simple", "logs/2026-11-22-05-00-03-0A1B2C3D4E5F6A7B".to_owned(), KeyKind::S3Access),
            (
                "s3_access_date_based",
                "logs/123456789012/us-east-2/my-bucket/2026/11/22/2026-11-22-05-00-03-0A1B2C3D4E5F6A7B".to_owned(),
                KeyKind::S3Access,
            ),
            ("s3_access_lower_hex", "logs/2026-11-22-05-00-03-0a1b2c3d4e5f6a7b".to_owned(), KeyKind::Unknown),
            (
                "cloudtrail_not_json",
                "123456789012_CloudTrail_us-east-2_20261122T0505Z_EXAMPLE.log.gz".to_owned(),
                KeyKind::Unknown,
            ),
            ("service_bad_account", "12345_vpcflowlogs_us-east-2_fl-1_20261122T0505Z_f.log.gz".to_owned(), KeyKind::Unknown),
        ];
        for (name, key, want) in cases {
            assert_eq!(classify_key(&key), want, "case `{name}`: {key}");
        }
    }

    #[test]
    fn key_kind_names_are_distinct() {
        let kinds = [
            KeyKind::AlbAccess,
            KeyKind::AlbConnection,
            KeyKind::Nlb,
            KeyKind::ClassicElb,
            KeyKind::CloudFront,
            KeyKind::Unknown,
        ];
        let names: std::collections::HashSet<&str> = kinds.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), kinds.len());
        assert_eq!(KeyKind::AlbConnection.to_string(), "alb_connection");
    }

    // ---- envelopes ------------------------------------------------------------------------------

    #[test]
    fn envelopes_table() {
        let versioned = {
            let mut r = put("k.log.gz");
            r["s3"]["object"]["versionId"] = json!("3HL4kqtJlcpXroDT");
            r
        };
        let cases: Vec<(&str, Value, Parsed)> = vec![
            (
                "direct",
                notification(vec![put("k.log.gz")]),
                only(vec![object("k.log.gz", Origin::Direct)]),
            ),
            (
                "direct_two_records_in_order",
                notification(vec![put("1.log.gz"), put("2.log.gz")]),
                only(vec![
                    object("1.log.gz", Origin::Direct),
                    object("2.log.gz", Origin::Direct),
                ]),
            ),
            ("direct_empty_records", notification(vec![]), Parsed::default()),
            (
                "direct_version_id",
                notification(vec![versioned]),
                only(vec![ObjectRef {
                    version_id: Some("3HL4kqtJlcpXroDT".to_owned()),
                    ..object("k.log.gz", Origin::Direct)
                }]),
            ),
            (
                "direct_size_absent",
                notification(vec![s3_record("ObjectCreated:Put", "k", Value::Null)]),
                only(vec![ObjectRef {
                    size: None,
                    ..object("k", Origin::Direct)
                }]),
            ),
            (
                "direct_multipart_and_copy",
                notification(vec![
                    s3_record("ObjectCreated:CompleteMultipartUpload", "m", json!(10)),
                    s3_record("ObjectCreated:Copy", "c", json!(10)),
                ]),
                only(vec![object("m", Origin::Direct), object("c", Origin::Direct)]),
            ),
            (
                "direct_key_with_spaces_and_plus",
                notification(vec![put("manual+uploads/alb+copy%2B1.log.gz")]),
                only(vec![object("manual uploads/alb copy+1.log.gz", Origin::Direct)]),
            ),
            (
                "direct_special_characters",
                notification(vec![put("d%3D2026-11-22/h%3D05/%5Bx%5D%26y.gz")]),
                only(vec![object("d=2026-11-22/h=05/[x]&y.gz", Origin::Direct)]),
            ),
            (
                "direct_non_ascii",
                notification(vec![put("logs/%C3%A9t%C3%A9.log.gz")]),
                only(vec![object("logs/été.log.gz", Origin::Direct)]),
            ),
            (
                "direct_invalid_escape_kept",
                notification(vec![put("logs/100%zz+%FF.log")]),
                only(vec![object("logs/100%zz %FF.log", Origin::Direct)]),
            ),
            (
                "sqs",
                sqs_event(vec![sqs("m-1", &string(&notification(vec![put("a+b.log.gz")])))]),
                only(vec![object("a b.log.gz", sqs_origin("m-1"))]),
            ),
            (
                "sqs_two_messages_in_order",
                sqs_event(vec![
                    sqs("m-1", &string(&notification(vec![put("1")]))),
                    sqs("m-2", &string(&notification(vec![put("2"), put("3")]))),
                ]),
                only(vec![
                    object("1", sqs_origin("m-1")),
                    object("2", sqs_origin("m-2")),
                    object("3", sqs_origin("m-2")),
                ]),
            ),
            (
                "sns_in_sqs",
                sqs_event(vec![sqs(
                    "m-1",
                    &string(&sns_envelope(&string(&notification(vec![put("%C3%A9.gz")])))),
                )]),
                only(vec![object("é.gz", sqs_origin("m-1"))]),
            ),
            (
                "eventbridge_in_sqs",
                sqs_event(vec![sqs("m-1", &string(&eventbridge("Object Created", "a+b.gz")))]),
                only(vec![object("a+b.gz", sqs_origin("m-1"))]),
            ),
            (
                "sns",
                sns_event(&string(&notification(vec![put("x%2By.gz")]))),
                only(vec![object("x+y.gz", Origin::Sns)]),
            ),
            (
                "eventbridge_key_not_decoded",
                eventbridge("Object Created", "a+b%20c.log.gz"),
                only(vec![object("a+b%20c.log.gz", Origin::EventBridge)]),
            ),
            (
                "eventbridge_version_id",
                {
                    let mut e = eventbridge("Object Created", "k");
                    e["detail"]["object"]["version-id"] = json!("v1");
                    e
                },
                only(vec![ObjectRef {
                    version_id: Some("v1".to_owned()),
                    ..object("k", Origin::EventBridge)
                }]),
            ),
            (
                "eventbridge_in_sns",
                sns_event(&string(&eventbridge("Object Created", "k"))),
                only(vec![object("k", Origin::Sns)]),
            ),
        ];
        for (name, event, want) in cases {
            assert_eq!(objects(&event), Ok(want), "case `{name}`");
        }
    }

    #[test]
    fn skips_table() {
        let folder = notification(vec![s3_record("ObjectCreated:Put", "logs/2026/", json!(0))]);
        let cases: Vec<(&str, Value, Parsed)> = vec![
            (
                "test_event",
                test_event(),
                skipped(vec![Skipped::TestEvent {
                    bucket: Some("b".to_owned()),
                }]),
            ),
            (
                "test_event_in_sqs",
                sqs_event(vec![sqs("m-1", &string(&test_event()))]),
                skipped(vec![Skipped::TestEvent {
                    bucket: Some("b".to_owned()),
                }]),
            ),
            (
                "test_event_in_sns",
                sns_event(&string(&json!({"Service": "Amazon S3", "Event": "s3:TestEvent"}))),
                skipped(vec![Skipped::TestEvent { bucket: None }]),
            ),
            (
                "object_removed",
                notification(vec![s3_record("ObjectRemoved:Delete", "a+b", Value::Null)]),
                skipped(vec![not_created("ObjectRemoved:Delete", "a b")]),
            ),
            (
                "object_restore_completed",
                notification(vec![s3_record("ObjectRestore:Completed", "k", json!(10))]),
                skipped(vec![not_created("ObjectRestore:Completed", "k")]),
            ),
            (
                "eventbridge_object_deleted",
                eventbridge("Object Deleted", "k"),
                skipped(vec![not_created("Object Deleted", "k")]),
            ),
            (
                "folder_marker",
                folder,
                skipped(vec![Skipped::FolderMarker {
                    bucket: "b".to_owned(),
                    key: "logs/2026/".to_owned(),
                }]),
            ),
            (
                "key_ending_in_slash_with_content_is_an_object",
                notification(vec![put("odd/")]),
                only(vec![object("odd/", Origin::Direct)]),
            ),
            (
                "sns_subscription_confirmation_in_sqs",
                sqs_event(vec![sqs(
                    "m-1",
                    &string(
                        &json!({"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:us-east-2:1:t",
                                    "Message": "You have chosen to subscribe…"}),
                    ),
                )]),
                skipped(vec![Skipped::SnsSubscription {
                    message_type: "SubscriptionConfirmation".to_owned(),
                }]),
            ),
            (
                "skips_and_objects_together",
                notification(vec![s3_record("ObjectRemoved:Delete", "gone", Value::Null), put("new")]),
                Parsed {
                    objects: vec![object("new", Origin::Direct)],
                    skipped: vec![not_created("ObjectRemoved:Delete", "gone")],
                    bad_messages: vec![],
                },
            ),
        ];
        for (name, event, want) in cases {
            assert_eq!(objects(&event), Ok(want), "case `{name}`");
        }
    }

    // ---- errors ---------------------------------------------------------------------------------

    #[test]
    fn errors_table() {
        let without = |path: &[&str]| {
            let mut record = put("k");
            let (last, parents) = path.split_last().expect("non-empty path");
            let parent = parents.iter().fold(&mut record, |v, p| &mut v[*p]);
            parent.as_object_mut().expect("object").remove(*last);
            notification(vec![record])
        };
        let field = |record, path: &str, expected| EventError::InvalidField {
            at: at(record, None, path),
            expected,
        };
        let cases: Vec<(&str, Value, EventError)> = vec![
            (
                "not_an_object",
                json!([1, 2]),
                EventError::UnknownShape {
                    found: "an array".to_owned(),
                },
            ),
            (
                "unknown_object",
                json!({"awslogs": {"data": "H4sI"}}),
                EventError::UnknownShape {
                    found: "an object with keys `awslogs`".to_owned(),
                },
            ),
            (
                "empty_object",
                json!({}),
                EventError::UnknownShape {
                    found: "an empty object".to_owned(),
                },
            ),
            (
                "records_not_array",
                json!({"Records": {}}),
                field(None, "Records", "an array"),
            ),
            (
                "record_without_source",
                json!({"Records": [{"s3": {}}]}),
                field(Some(0), "Records[0].eventSource", "a string"),
            ),
            (
                "record_source_not_string",
                json!({"Records": [{"eventSource": 7}]}),
                field(Some(0), "Records[0].eventSource", "a string"),
            ),
            (
                "unsupported_source",
                json!({"Records": [{"eventSource": "aws:kinesis", "kinesis": {}}]}),
                EventError::UnsupportedSource {
                    at: at(Some(0), None, "Records[0].eventSource"),
                    event_source: "aws:kinesis".to_owned(),
                },
            ),
            (
                "second_record_bad",
                json!({"Records": [put("k"), {"eventSource": "aws:dynamodb"}]}),
                EventError::UnsupportedSource {
                    at: at(Some(1), None, "Records[1].eventSource"),
                    event_source: "aws:dynamodb".to_owned(),
                },
            ),
            (
                "missing_event_name",
                without(&["eventName"]),
                field(Some(0), "Records[0].eventName", "a string"),
            ),
            (
                "missing_bucket",
                without(&["s3", "bucket", "name"]),
                field(Some(0), "Records[0].s3.bucket.name", "a string"),
            ),
            (
                "missing_key",
                without(&["s3", "object", "key"]),
                field(Some(0), "Records[0].s3.object.key", "a string"),
            ),
            (
                "missing_s3",
                without(&["s3"]),
                field(Some(0), "Records[0].s3.bucket.name", "a string"),
            ),
            (
                "size_not_a_number",
                notification(vec![s3_record("ObjectCreated:Put", "k", json!("10"))]),
                field(Some(0), "Records[0].s3.object.size", "a non-negative integer"),
            ),
            (
                "size_negative",
                notification(vec![s3_record("ObjectCreated:Put", "k", json!(-1))]),
                field(Some(0), "Records[0].s3.object.size", "a non-negative integer"),
            ),
            (
                "version_id_not_string",
                {
                    let mut r = put("k");
                    r["s3"]["object"]["versionId"] = json!(1);
                    notification(vec![r])
                },
                field(Some(0), "Records[0].s3.object.versionId", "a string"),
            ),
            (
                "sqs_without_message_id",
                json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}),
                field(Some(0), "Records[0].messageId", "a string"),
            ),
            (
                "sns_message_not_json",
                sns_event("not json"),
                EventError::NotJson {
                    at: at(Some(0), None, "Records[0].Sns.Message"),
                    reason: "expected ident at line 1 column 2".to_owned(),
                },
            ),
            (
                "sns_message_not_notification",
                sns_event("{\"hello\":1}"),
                EventError::NotS3Notification {
                    at: at(Some(0), None, "Records[0].Sns.Message"),
                    found: "an object with keys `hello`".to_owned(),
                },
            ),
            (
                "sns_without_message",
                json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification"}}]}),
                field(Some(0), "Records[0].Sns.Message", "a string"),
            ),
            (
                "sns_without_sns",
                json!({"Records": [{"EventSource": "aws:sns"}]}),
                field(Some(0), "Records[0].Sns", "an object"),
            ),
            (
                "sns_wrong_type",
                json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Other", "Message": "{}"}}]}),
                field(Some(0), "Records[0].Sns.Type", "the SNS message type `Notification`"),
            ),
            (
                "eventbridge_not_from_s3",
                json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}),
                EventError::UnsupportedSource {
                    at: at(None, None, "source"),
                    event_source: "aws.ec2".to_owned(),
                },
            ),
            (
                "eventbridge_without_source",
                json!({"detail-type": "Object Created", "detail": {}}),
                field(None, "source", "a string"),
            ),
            (
                "eventbridge_without_key",
                json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name": "b"}}}),
                field(None, "detail.object.key", "a string"),
            ),
            (
                "eventbridge_without_bucket",
                json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {"object": {"key": "k"}}}),
                field(None, "detail.bucket.name", "a string"),
            ),
        ];
        for (name, event, want) in cases {
            assert_eq!(objects(&event), Err(want), "case `{name}`");
        }
    }

    #[test]
    fn bad_sqs_messages_table() {
        let good = string(&notification(vec![put("good")]));
        let bad_second_record = string(&notification(vec![put("first"), json!({"eventSource": "aws:s3"})]));
        let cases: Vec<(&str, Value, EventError)> = vec![
            (
                "body_not_json",
                sqs("m-2", "not json"),
                EventError::NotJson {
                    at: at(Some(1), Some("m-2"), "Records[1].body"),
                    reason: "expected ident at line 1 column 2".to_owned(),
                },
            ),
            (
                "body_missing",
                json!({"messageId": "m-2", "eventSource": "aws:sqs"}),
                EventError::InvalidField {
                    at: at(Some(1), Some("m-2"), "Records[1].body"),
                    expected: "a string",
                },
            ),
            (
                "body_json_but_not_notification",
                sqs("m-2", "{\"hello\":\"world\"}"),
                EventError::NotS3Notification {
                    at: at(Some(1), Some("m-2"), "Records[1].body"),
                    found: "an object with keys `hello`".to_owned(),
                },
            ),
            (
                "body_json_string",
                sqs("m-2", "\"text\""),
                EventError::NotS3Notification {
                    at: at(Some(1), Some("m-2"), "Records[1].body"),
                    found: "a string".to_owned(),
                },
            ),
            (
                "body_records_not_array",
                sqs("m-2", "{\"Records\":7}"),
                EventError::InvalidField {
                    at: at(Some(1), Some("m-2"), "Records[1].body.Records"),
                    expected: "an array",
                },
            ),
            (
                "sns_in_sqs_message_not_json",
                sqs("m-2", &string(&sns_envelope("{truncated"))),
                EventError::NotJson {
                    at: at(Some(1), Some("m-2"), "Records[1].body.Message"),
                    reason: "key must be a string at line 1 column 2".to_owned(),
                },
            ),
            (
                "inner_record_not_s3",
                sqs("m-2", &string(&notification(vec![json!({"eventSource": "aws:sqs"})]))),
                EventError::UnsupportedSource {
                    at: at(Some(1), Some("m-2"), "Records[1].body.Records[0].eventSource"),
                    event_source: "aws:sqs".to_owned(),
                },
            ),
            (
                "inner_second_record_without_key",
                sqs("m-2", &bad_second_record),
                EventError::InvalidField {
                    at: at(Some(1), Some("m-2"), "Records[1].body.Records[1].eventName"),
                    expected: "a string",
                },
            ),
        ];
        for (name, bad, error) in cases {
            let event = sqs_event(vec![sqs("m-1", &good), bad, sqs("m-3", &good)]);
            let want = Parsed {
                // The bad message adds nothing, not even the good first record of `inner_second_record_without_key`.
                objects: vec![object("good", sqs_origin("m-1")), object("good", sqs_origin("m-3"))],
                skipped: vec![],
                bad_messages: vec![BadMessage {
                    message_id: "m-2".to_owned(),
                    error,
                }],
            };
            assert_eq!(objects(&event), Ok(want), "case `{name}`");
        }
    }

    #[test]
    fn error_messages_name_path_and_message() {
        let event = sqs_event(vec![sqs("059f36b4-87a3-44ab-83d2-661975830a7d", "oops")]);
        let parsed = objects(&event).expect("an SQS batch");
        let error = &parsed.bad_messages[0].error;
        assert_eq!(
            error.to_string(),
            "`Records[0].body` in SQS message 059f36b4-87a3-44ab-83d2-661975830a7d is not JSON: \
             expected value at line 1 column 1"
        );
        assert_eq!(error.kind(), "not_json");
        assert_eq!(error.location().and_then(|l| l.record), Some(0));

        let error = objects(&json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}))
            .expect_err("no bucket");
        assert_eq!(
            error.to_string(),
            "`Records[0].s3.bucket.name` is missing or not a string"
        );
        let error = objects(&json!(null)).expect_err("null");
        assert_eq!(
            error.to_string(),
            "event matches no known trigger (S3, SQS, SNS or EventBridge): found null"
        );
        assert_eq!(error.location(), None);
    }

    #[test]
    fn unknown_shape_lists_at_most_eight_keys() {
        let event: Value = (0..10)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        let Err(EventError::UnknownShape { found }) = objects(&event) else {
            panic!("expected UnknownShape");
        };
        assert_eq!(
            found,
            "an object with keys `k0`, `k1`, `k2`, `k3`, `k4`, `k5`, `k6`, `k7`, …"
        );
    }

    #[test]
    fn skipped_display() {
        assert_eq!(
            not_created("ObjectRemoved:Delete", "a b").to_string(),
            "`ObjectRemoved:Delete` is not an object-created event (s3://b/a b)"
        );
        assert_eq!(Skipped::TestEvent { bucket: None }.to_string(), "s3:TestEvent");
    }

    #[test]
    fn origin_message_id() {
        assert_eq!(sqs_origin("m-1").message_id(), Some("m-1"));
        assert_eq!(Origin::Sns.message_id(), None);
        assert_eq!(object("a b", Origin::Direct).s3_uri(), "s3://b/a b");
    }

    // ---- sample events (events/s3-access-logs/, made by events/make_events.py) --------------------

    fn sample(name: &str) -> Value {
        let path = format!("{}/../events/s3-access-logs/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The sample object with this key, as the event should name it: its size is the file's.
    fn sample_object(key: &str, origin: Origin) -> ObjectRef {
        let path = format!("{}/../events/objects/{key}", env!("CARGO_MANIFEST_DIR"));
        let size = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{path}: {e}")).len();
        ObjectRef {
            bucket: BUCKET.to_owned(),
            key: key.to_owned(),
            size: Some(size),
            version_id: None,
            origin,
        }
    }

    fn message_id(event: &Value, index: usize) -> String {
        event["Records"][index]["messageId"]
            .as_str()
            .expect("messageId")
            .to_owned()
    }

    /// The expected result for a sample event, which may read ids from the event itself.
    type Expected = Box<dyn Fn(&Value) -> Parsed>;

    #[test]
    fn sample_events() {
        let direct = |key| only(vec![sample_object(key, Origin::Direct)]);
        let cases: Vec<(&str, Expected)> = vec![
            ("s3-put-alb.json", Box::new(move |_| direct(ALB_KEY))),
            ("s3-put-cloudfront.json", Box::new(move |_| direct(CF_KEY))),
            (
                "s3-put-key-with-spaces.json",
                Box::new(move |_| direct("manual uploads/alb copy+1.log.gz")),
            ),
            ("s3-put-conn-log.json", Box::new(move |_| direct(CONN_KEY))),
            (
                "s3-put-corrupt-gzip.json",
                Box::new(move |_| direct("broken/corrupt-truncated.log.gz")),
            ),
            (
                "s3-test-event.json",
                Box::new(|_| {
                    skipped(vec![Skipped::TestEvent {
                        bucket: Some(BUCKET.to_owned()),
                    }])
                }),
            ),
            (
                "sqs-s3-put-alb.json",
                Box::new(|e| {
                    let version = e["Records"][0]["body"].as_str().and_then(|b| {
                        let body: Value = serde_json::from_str(b).ok()?;
                        body["Records"][0]["s3"]["object"]["versionId"]
                            .as_str()
                            .map(str::to_owned)
                    });
                    assert!(version.is_some(), "the SQS sample names a version");
                    only(vec![ObjectRef {
                        version_id: version,
                        ..sample_object(ALB_KEY, sqs_origin(&message_id(e, 0)))
                    }])
                }),
            ),
            (
                "sqs-sns-s3-put-cloudfront.json",
                Box::new(|e| only(vec![sample_object(CF_KEY, sqs_origin(&message_id(e, 0)))])),
            ),
            (
                "sqs-mixed-bad-message.json",
                Box::new(|e| Parsed {
                    objects: vec![
                        sample_object(ALB_KEY, sqs_origin(&message_id(e, 0))),
                        sample_object(CF_KEY, sqs_origin(&message_id(e, 1))),
                    ],
                    skipped: vec![
                        Skipped::TestEvent {
                            bucket: Some(BUCKET.to_owned()),
                        },
                        Skipped::NotObjectCreated {
                            event_name: "ObjectRemoved:Delete".to_owned(),
                            bucket: BUCKET.to_owned(),
                            key: ALB_KEY.to_owned(),
                        },
                    ],
                    bad_messages: vec![BadMessage {
                        message_id: message_id(e, 2),
                        error: EventError::NotJson {
                            at: at(Some(2), Some(&message_id(e, 2)), "Records[2].body"),
                            reason: "expected value at line 1 column 1".to_owned(),
                        },
                    }],
                }),
            ),
            (
                "sns-s3-put-cloudfront.json",
                Box::new(|_| only(vec![sample_object(CF_KEY, Origin::Sns)])),
            ),
            (
                "eventbridge-object-created-alb.json",
                Box::new(|_| only(vec![sample_object(ALB_KEY, Origin::EventBridge)])),
            ),
        ];
        for (name, want) in cases {
            let event = sample(name);
            assert_eq!(objects(&event), Ok(want(&event)), "sample `{name}`");
        }
    }

    #[test]
    fn sample_missing_object_names_a_key_not_in_events_objects() {
        let parsed = objects(&sample("s3-put-missing-object.json")).expect("an S3 notification");
        let [missing] = parsed.objects.as_slice() else {
            panic!("one object expected: {parsed:?}");
        };
        assert_eq!(classify_key(&missing.key), KeyKind::AlbAccess);
        let path = format!("{}/../events/objects/{}", env!("CARGO_MANIFEST_DIR"), missing.key);
        assert!(!std::path::Path::new(&path).exists(), "{path} must not exist");
    }

    #[test]
    fn sample_keys_classify() {
        let cases = [
            ("s3-put-alb.json", KeyKind::AlbAccess),
            ("s3-put-cloudfront.json", KeyKind::CloudFront),
            ("s3-put-conn-log.json", KeyKind::AlbConnection),
            ("s3-put-key-with-spaces.json", KeyKind::Unknown),
            ("s3-put-corrupt-gzip.json", KeyKind::Unknown),
        ];
        for (name, want) in cases {
            let parsed = objects(&sample(name)).expect("an S3 notification");
            assert_eq!(classify_key(&parsed.objects[0].key), want, "sample `{name}`");
        }
    }
}
