//! CloudFront standard logging (v2) access logs.
//!
//! Spec: "Configure standard logging (v2)" and "Standard logging reference" in the Amazon
//! CloudFront Developer Guide
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html>).
//!
//! Standard logging v2 delivers the same records as standard logging (legacy), through CloudWatch
//! vended logs, to S3, CloudWatch Logs or Firehose. The fields are chosen per delivery, from the
//! legacy fields plus a subset of the real-time log fields (`c-country`, `asn`, `cmcd-*` …) and a
//! few of its own (`DistributionId`, `timestamp(ms)`). Documents use `log_type` `cloudfront`, the
//! legacy parser's field names and types, and go to the same index as legacy documents.
//!
//! Output formats, one record per line:
//!
//! * **JSON**: one flat object per line, keyed by the AWS field names; values are strings (numbers
//!   are accepted too).
//!   `{"timestamp(ms)":"1795348800123","DistributionId":"E2EXAMPLE12345","c-ip":"192.0.2.10",…}`
//! * **W3C**: `#Version: 1.0` and `#Fields: …` header lines naming the chosen fields, then one
//!   tab-separated line per request, as in legacy files (which this parser also reads).
//! * **Plain**: the W3C lines without a header. The field names are nowhere in the file: use
//!   [`CloudFrontV2Parser::with_fields`]; without it the legacy 33-field order applies.
//! * **Parquet** is out of scope: it is not line-based, and this parser does not read it.
//!
//! # Fields
//!
//! Every legacy field keeps its legacy JSON name and type (see `cloudfront.rs`: `sc_bytes`
//! integer, `time_taken` number, `cs_user_agent` decoded once …). Real-time field names that
//! denote a legacy field take the legacy JSON name (`cs-host` → `cs_host`, `cs-user-agent` →
//! `cs_user_agent`). The fields legacy logs lack:
//!
//! | # | AWS field | JSON field | type |
//! |---|-----------|------------|------|
//! | 1 | `timestamp(ms)` | `@timestamp` | epoch milliseconds → date, ms |
//! | 2 | `timestamp` | `@timestamp` | epoch seconds (up to 3 decimals) → date, ms |
//! | 3 | `DistributionId` | `distribution_id` | string |
//! | 4 | `c-ip-version` | `c_ip_version` | string |
//! | 5 | `c-country` | `c_country` | string |
//! | 6 | `cs-accept-encoding` | `cs_accept_encoding` | string |
//! | 7 | `cs-accept` | `cs_accept` | string |
//! | 8 | `cache-behavior-path-pattern` | `cache_behavior_path_pattern` | string |
//! | 9 | `cs-headers` | `cs_headers` | string, percent-decoded once |
//! | 10 | `cs-header-names` | `cs_header_names` | string, percent-decoded once |
//! | 11 | `cs-headers-count` | `cs_headers_count` | integer (0–2^63-1) |
//! | 12 | `primary-distribution-id` | `primary_distribution_id` | string |
//! | 13 | `primary-distribution-dns-name` | `primary_distribution_dns_name` | string |
//! | 14 | `origin-fbl` | `origin_fbl` | number (seconds, the log's own text) |
//! | 15 | `origin-lbl` | `origin_lbl` | number (seconds, the log's own text) |
//! | 16 | `asn` | `asn` | string (an identifier, not a count) |
//! | 17–34 | `cmcd-encoded-bitrate` … `cmcd-version` (the 18 CMCD fields) | `cmcd_…` | string |
//! | 35 | `r-host` | `r_host` | string |
//! | 36 | `sr-reason` | `sr_reason` | string |
//! | 37 | `x-edge-mqcs` | `x_edge_mqcs` | string |
//! | 38 | `distribution-tenant-id` | `distribution_tenant_id` | string |
//! | 39 | `connection-id` | `connection_id` | string |
//! | 40, 41 | `viewer-request-log-data`, `viewer-response-log-data` | same, snake_case | string |
//! | – | any other name | its snake_case name | string |
//! | – | unusable names, values past the header | `extra_fields` | array of strings |
//!
//! # Rules
//!
//! * **Time.** `@timestamp` comes from the first of these the record has (present and not `-`):
//!   `timestamp(ms)` (epoch ms, `2026-11-22T10:00:00.123Z`), `timestamp` (epoch seconds, `.000`
//!   when whole), or `date` + `time` (`2026-11-22T10:00:00Z`, as legacy). That field must be
//!   valid, or the line is an error. Time fields are not written separately (the unused ones are
//!   not checked either). A record with no time field is an error.
//! * **Names.** As legacy: lower-cased, `-`, `(`, `)`, `:` turned into `_`, no trailing `_`;
//!   a name is kept (as a string) when that gives 1–64 chars of `[a-z0-9_]`, is not reserved
//!   (a common field: `log_type`, `event_id`, `message`, `truncated`, `extra_fields`, `error`,
//!   `json`) and is not already taken in the record. At most [`MAX_HEADER_FIELDS`] names per header or JSON record are used.
//! * **Unusable names.** W3C: their values go to `extra_fields`, as legacy. JSON: the member goes to
//!   `extra_fields` as `name=value` (the value's JSON text when it is not a string).
//! * **Types.** As legacy: `c-ip` is an IPv4 or IPv6 address, integers are digits only (`000` →
//!   `0`) within their range (status 0–999, port 0–65535, counts and sizes 0–2^63-1), durations
//!   are decimal numbers without sign or exponent; anything else fails the line. `-` (and JSON
//!   `null`) means absent. A JSON number is accepted wherever a string, integer or duration is
//!   expected and checked as the same text would be (a string field keeps its text), a JSON
//!   boolean only for string fields (`"true"`), a nested object or array only for names the table
//!   does not know (kept as its JSON text).
//! * **CMCD.** The `cmcd-*` values are whatever the player sent, so they stay strings: a typed field
//!   would turn a request from a misbehaving player into an error document.
//! * **Decoding.** `cs(User-Agent)`, `cs(Referer)`, `cs-headers` and `cs-header-names` are
//!   percent-decoded once; every other value is kept as logged.
//! * **Headers.** Lines starting with `#` are headers ([`LineOutcome::Header`]); a `#Fields:` line
//!   sets the W3C field order until the next one (an empty one restores the legacy order).
//! * **Order.** Common fields, then the record's fields in its own order, then `extra_fields`.

use super::cloudfront::{
    self, fields_line, json_name, parse_u64, split_tabs, write_checked, write_decoded, KNOWN, RESERVED,
};
use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::ObjectWriter;
use crate::timestamp::Timestamp;
use crate::tokenize::MAX_LONG;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

pub use super::cloudfront::MAX_HEADER_FIELDS;

/// How a field's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `date`, half of a legacy `@timestamp`.
    Date,
    /// `time`, the other half.
    Time,
    /// `timestamp(ms)`: epoch milliseconds.
    EpochMillis,
    /// `timestamp`: epoch seconds, up to 3 decimals.
    EpochSeconds,
    /// A string, as logged.
    Str,
    /// A string, percent-decoded once.
    Decoded,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An unsigned integer, at most this.
    Int(u64),
    /// Seconds: a decimal number without sign or exponent, copied as logged.
    Num,
    /// An unusable name: the values go to `extra_fields`.
    Extra,
}

impl From<cloudfront::Kind> for Kind {
    fn from(kind: cloudfront::Kind) -> Kind {
        match kind {
            cloudfront::Kind::Date => Kind::Date,
            cloudfront::Kind::Time => Kind::Time,
            cloudfront::Kind::Str => Kind::Str,
            cloudfront::Kind::Decoded => Kind::Decoded,
            cloudfront::Kind::Ip => Kind::Ip,
            cloudfront::Kind::Int(max) => Kind::Int(max),
            cloudfront::Kind::Num => Kind::Num,
            cloudfront::Kind::Extra => Kind::Extra,
        }
    }
}

/// A documented field that legacy logs lack.
pub(crate) struct Added {
    pub(crate) aws: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

const fn added(aws: &'static str, name: &'static str, kind: Kind) -> Added {
    Added { aws, name, kind }
}

/// The fields of standard logging v2 and real-time logs that legacy logs lack (see the table in
/// the module docs). Looked up by snake_case name, after the legacy table.
pub(crate) const ADDED: [Added; 41] = [
    added("timestamp(ms)", "timestamp_ms", Kind::EpochMillis),
    added("timestamp", "timestamp", Kind::EpochSeconds),
    added("DistributionId", "distribution_id", Kind::Str),
    added("c-ip-version", "c_ip_version", Kind::Str),
    added("c-country", "c_country", Kind::Str),
    added("cs-accept-encoding", "cs_accept_encoding", Kind::Str),
    added("cs-accept", "cs_accept", Kind::Str),
    added("cache-behavior-path-pattern", "cache_behavior_path_pattern", Kind::Str),
    added("cs-headers", "cs_headers", Kind::Decoded),
    added("cs-header-names", "cs_header_names", Kind::Decoded),
    added("cs-headers-count", "cs_headers_count", Kind::Int(MAX_LONG)),
    added("primary-distribution-id", "primary_distribution_id", Kind::Str),
    added(
        "primary-distribution-dns-name",
        "primary_distribution_dns_name",
        Kind::Str,
    ),
    added("origin-fbl", "origin_fbl", Kind::Num),
    added("origin-lbl", "origin_lbl", Kind::Num),
    added("asn", "asn", Kind::Str),
    added("cmcd-encoded-bitrate", "cmcd_encoded_bitrate", Kind::Str),
    added("cmcd-buffer-length", "cmcd_buffer_length", Kind::Str),
    added("cmcd-buffer-starvation", "cmcd_buffer_starvation", Kind::Str),
    added("cmcd-content-id", "cmcd_content_id", Kind::Str),
    added("cmcd-object-duration", "cmcd_object_duration", Kind::Str),
    added("cmcd-deadline", "cmcd_deadline", Kind::Str),
    added("cmcd-measured-throughput", "cmcd_measured_throughput", Kind::Str),
    added("cmcd-next-object-request", "cmcd_next_object_request", Kind::Str),
    added("cmcd-next-range-request", "cmcd_next_range_request", Kind::Str),
    added("cmcd-object-type", "cmcd_object_type", Kind::Str),
    added("cmcd-playback-rate", "cmcd_playback_rate", Kind::Str),
    added(
        "cmcd-requested-maximum-throughput",
        "cmcd_requested_maximum_throughput",
        Kind::Str,
    ),
    added("cmcd-streaming-format", "cmcd_streaming_format", Kind::Str),
    added("cmcd-session-id", "cmcd_session_id", Kind::Str),
    added("cmcd-stream-type", "cmcd_stream_type", Kind::Str),
    added("cmcd-startup", "cmcd_startup", Kind::Str),
    added("cmcd-top-bitrate", "cmcd_top_bitrate", Kind::Str),
    added("cmcd-version", "cmcd_version", Kind::Str),
    added("r-host", "r_host", Kind::Str),
    added("sr-reason", "sr_reason", Kind::Str),
    added("x-edge-mqcs", "x_edge_mqcs", Kind::Str),
    added("distribution-tenant-id", "distribution_tenant_id", Kind::Str),
    added("connection-id", "connection_id", Kind::Str),
    added("viewer-request-log-data", "viewer_request_log_data", Kind::Str),
    added("viewer-response-log-data", "viewer_response_log_data", Kind::Str),
];

/// Whether `name` is, exactly, one of the documented AWS field names (legacy or added).
pub(crate) fn is_aws_field(name: &str) -> bool {
    KNOWN.iter().any(|k| k.aws == name) || ADDED.iter().any(|a| a.aws == name)
}

/// One field of a record layout: its JSON name (static for documented fields) and kind.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: Kind,
}

impl Column {
    /// The name for an error: typed columns are always documented ones, with a static name.
    fn static_name(&self) -> &'static str {
        match self.name {
            Cow::Borrowed(name) => name,
            Cow::Owned(_) => "unknown",
        }
    }

    fn is_documented(&self) -> bool {
        matches!(self.name, Cow::Borrowed(_))
    }
}

/// The fields of a record in order (a `#Fields` header, a configured list, a JSON record's keys),
/// computed once per layout, with the positions of the time fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    list: Vec<Column>,
    millis: Option<usize>,
    seconds: Option<usize>,
    date: Option<usize>,
    time: Option<usize>,
}

impl Columns {
    /// The layout of these AWS field names; names past [`MAX_HEADER_FIELDS`] are ignored (their
    /// values go to `extra_fields`).
    pub(crate) fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Columns {
        let mut columns = Columns::default();
        for aws in names.into_iter().take(MAX_HEADER_FIELDS) {
            columns.push(aws);
        }
        columns
    }

    /// Appends the field named `aws`.
    fn push(&mut self, aws: &str) {
        let column = self.column_for(aws);
        let at = Some(self.list.len());
        match column.kind {
            Kind::EpochMillis => self.millis = at,
            Kind::EpochSeconds => self.seconds = at,
            Kind::Date => self.date = at,
            Kind::Time => self.time = at,
            _ => {}
        }
        self.list.push(column);
    }

    /// The legacy 33-field order.
    pub(crate) fn legacy() -> Columns {
        Columns::from_names(KNOWN.iter().map(|k| k.aws))
    }

    /// The column for AWS name `aws`, given the columns before it.
    fn column_for(&self, aws: &str) -> Column {
        match candidate(aws) {
            Some(column) if !self.is_taken(&column.name) => column,
            _ => Column {
                name: Cow::Borrowed(""),
                kind: Kind::Extra,
            },
        }
    }

    /// Whether a field may not take JSON name `name`: reserved, or already used.
    fn is_taken(&self, name: &str) -> bool {
        RESERVED.contains(&name) || self.list.iter().any(|c| c.kind != Kind::Extra && c.name == name)
    }

    /// The JSON names of the fields, in order (`""` for unusable ones).
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|c| &*c.name)
    }

    /// Whether the record has a field that can give `@timestamp`.
    pub(crate) fn has_time(&self) -> bool {
        self.millis.is_some() || self.seconds.is_some() || (self.date.is_some() && self.time.is_some())
    }

    fn is_extra(&self, index: usize) -> bool {
        self.list.get(index).is_none_or(|c| c.kind == Kind::Extra)
    }

    /// `@timestamp` from the values of the time fields (`value(i)`: the text at position `i`,
    /// `None` when absent).
    fn timestamp<'v>(&self, value: impl Fn(usize) -> Option<&'v str>) -> Result<Timestamp, ParseError> {
        let present = |at: Option<usize>| at.and_then(&value).filter(|v| *v != "-");
        if let Some(ms) = present(self.millis) {
            return parse_epoch_millis(ms).ok_or_else(|| ParseError::invalid("timestamp_ms", "epoch milliseconds", ms));
        }
        if let Some(s) = present(self.seconds) {
            return parse_epoch_seconds(s)
                .ok_or_else(|| ParseError::invalid("timestamp", "epoch seconds (up to 3 decimals)", s));
        }
        if self.date.is_none() && self.time.is_none() {
            return Err(ParseError::invalid(
                "timestamp",
                "a time: timestamp(ms), timestamp, or date and time",
                "",
            ));
        }
        let date = self.date.and_then(&value).unwrap_or("");
        let time = self.time.and_then(&value).unwrap_or("");
        if let Some(ts) = Timestamp::from_date_and_time(date, time) {
            return Ok(ts);
        }
        if Timestamp::from_date_and_time(date, "00:00:00").is_none() {
            Err(ParseError::invalid("date", "a UTC date (YYYY-MM-DD)", date))
        } else {
            Err(ParseError::invalid("time", "a UTC time (HH:MM:SS)", time))
        }
    }

    /// `@timestamp` of a tab-separated line.
    fn tsv_timestamp(&self, line: &str) -> Result<Timestamp, ParseError> {
        let wanted = [self.millis, self.seconds, self.date, self.time];
        let mut found: [Option<&str>; 4] = [None; 4];
        let last = wanted.iter().flatten().max().copied().unwrap_or(0);
        for (i, v) in split_tabs(line).take(last + 1).enumerate() {
            for (slot, at) in found.iter_mut().zip(wanted) {
                if at == Some(i) {
                    *slot = Some(v);
                }
            }
        }
        self.timestamp(|i| wanted.iter().position(|&at| at == Some(i)).and_then(|k| found[k]))
    }
}

/// The column for AWS name `aws` on its own: a documented field (legacy first, matched by
/// snake_case name), else a string; `None` when the name is unusable.
fn candidate(aws: &str) -> Option<Column> {
    let snake = json_name(aws)?;
    Some(if let Some(k) = KNOWN.iter().find(|k| k.name == snake) {
        Column {
            name: Cow::Borrowed(k.name),
            kind: k.kind.into(),
        }
    } else if let Some(a) = ADDED.iter().find(|a| json_name(a.aws).as_deref() == Some(&*snake)) {
        Column {
            name: Cow::Borrowed(a.name),
            kind: a.kind,
        }
    } else {
        Column {
            name: Cow::Owned(snake),
            kind: Kind::Str,
        }
    })
}

/// Epoch milliseconds: digits only, within years 0000–9999.
pub(crate) fn parse_epoch_millis(s: &str) -> Option<Timestamp> {
    let ms = i64::try_from(parse_u64(s)?).ok()?;
    Timestamp::from_epoch_millis(ms)
}

/// Epoch seconds: digits, optionally `.` and 1–3 more digits (`1605224520.123`).
pub(crate) fn parse_epoch_seconds(s: &str) -> Option<Timestamp> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) if (1..=3).contains(&f.len()) => (w, f),
        Some(_) => return None,
        None => (s, ""),
    };
    let mut millis = parse_u64(whole)?.checked_mul(1000)?;
    if !frac.is_empty() {
        let digits = parse_u64(frac)?;
        millis = millis.checked_add(digits * 10u64.pow(3 - frac.len() as u32))?;
    }
    Timestamp::from_epoch_millis(i64::try_from(millis).ok()?)
}

/// Writes one text value of `column` (not a time or extra column); `-` is absent.
fn write_text(w: &mut ObjectWriter<'_>, column: &Column, value: &str, scratch: &mut Vec<u8>) -> Result<(), ParseError> {
    match column.kind {
        Kind::Date | Kind::Time | Kind::EpochMillis | Kind::EpochSeconds | Kind::Extra => {}
        _ if value == "-" => {}
        Kind::Str => w.str(&column.name, value),
        Kind::Decoded => write_decoded(w, &column.name, value, scratch),
        Kind::Ip => write_checked(w, &column.name, column.static_name(), cloudfront::Kind::Ip, value)?,
        Kind::Int(max) => write_checked(w, &column.name, column.static_name(), cloudfront::Kind::Int(max), value)?,
        Kind::Num => write_checked(w, &column.name, column.static_name(), cloudfront::Kind::Num, value)?,
    }
    Ok(())
}

/// Writes the document of one tab-separated record laid out as `columns`.
pub(crate) fn write_tsv_document(
    columns: &Columns,
    line: &str,
    log_type: &'static str,
    event_id: &str,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<LineOutcome, ParseError> {
    let timestamp = columns.tsv_timestamp(line)?;
    let mut w = begin_document(out, &timestamp, log_type, event_id);
    let mut has_extra = false;
    for (i, value) in split_tabs(line).enumerate() {
        match columns.list.get(i) {
            None => {
                has_extra = true;
                break;
            }
            Some(c) if c.kind == Kind::Extra => has_extra = true,
            Some(c) => write_text(&mut w, c, value, scratch)?,
        }
    }
    if has_extra {
        let extra = split_tabs(line).enumerate().filter(|&(i, _)| columns.is_extra(i));
        w.str_array("extra_fields", extra.map(|(_, v)| v));
    }
    w.end();
    Ok(LineOutcome::Document(timestamp))
}

/// Why a configured field list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldListError {
    /// The list names no field.
    #[error("the field list is empty")]
    Empty,
    /// More names than a record layout may have.
    #[error("the field list has {count} names, at most {max} are allowed", max = MAX_HEADER_FIELDS)]
    TooMany { count: usize },
    /// A name that is not 1–64 chars of `[a-z0-9_]` in snake_case, or that is reserved.
    #[error("field `{0}` has an unusable name")]
    Unusable(String),
    /// A name given twice (after snake_case).
    #[error("field `{0}` is listed twice")]
    Duplicate(String),
    /// No field that gives `@timestamp`.
    #[error("the field list has no time field ({0})")]
    NoTime(&'static str),
}

/// The layout of a configured list of AWS field names, separated by commas and/or whitespace.
pub(crate) fn columns_from_list(list: &str) -> Result<Columns, FieldListError> {
    let names: Vec<&str> = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(FieldListError::Empty);
    }
    if names.len() > MAX_HEADER_FIELDS {
        return Err(FieldListError::TooMany { count: names.len() });
    }
    let mut columns = Columns::default();
    for aws in names {
        match candidate(aws) {
            None => return Err(FieldListError::Unusable(aws.to_owned())),
            Some(c) if RESERVED.contains(&&*c.name) => return Err(FieldListError::Unusable(aws.to_owned())),
            Some(c) if columns.is_taken(&c.name) => return Err(FieldListError::Duplicate(aws.to_owned())),
            Some(_) => columns.push(aws),
        }
    }
    Ok(columns)
}

/// A JSON string, borrowed from the line when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
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
        }

        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

/// A JSON record: its members in order, duplicates kept, values unparsed.
struct Record<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Record<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for RecordVisitor<'a> {
            type Value = Record<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Record<'a>, M::Error> {
                let mut members = Vec::new();
                while let Some((Text(key), value)) = map.next_entry::<Text<'a>, &'a RawValue>()? {
                    members.push((key, value));
                }
                Ok(Record(members))
            }
        }

        deserializer.deserialize_map(RecordVisitor(PhantomData))
    }
}

/// A JSON member's value.
enum Value<'a> {
    /// A string, unescaped.
    Text(Cow<'a, str>),
    /// `null`.
    Null,
    /// A number, a boolean, an object or an array: its JSON text.
    Other { json: &'a str, kind: OtherKind },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OtherKind {
    Number,
    Bool,
    Nested,
}

impl<'a> Value<'a> {
    fn of(raw: &'a RawValue) -> Value<'a> {
        let json = raw.get().trim();
        let kind = match json.as_bytes().first() {
            Some(b'"') => {
                return match serde_json::from_str::<Text<'a>>(json) {
                    Ok(Text(text)) => Value::Text(text),
                    // A string RawValue always parses as a string.
                    Err(_) => Value::Other {
                        json,
                        kind: OtherKind::Nested,
                    },
                };
            }
            Some(b'n') => return Value::Null,
            Some(b't' | b'f') => OtherKind::Bool,
            Some(b'{' | b'[') => OtherKind::Nested,
            _ => OtherKind::Number,
        };
        Value::Other { json, kind }
    }

    /// The text as it would be logged: the string, or the JSON text of anything else.
    fn text(&self) -> &str {
        match self {
            Value::Text(t) => t,
            Value::Null => "null",
            Value::Other { json, .. } => json,
        }
    }
}

/// Writes one JSON member's value for `column` (not a time or extra column).
fn write_json_value(
    w: &mut ObjectWriter<'_>,
    column: &Column,
    value: &Value<'_>,
    scratch: &mut Vec<u8>,
) -> Result<(), ParseError> {
    let (json, kind) = match value {
        Value::Text(text) => return write_text(w, column, text, scratch),
        Value::Null => return Ok(()),
        Value::Other { json, kind } => (*json, *kind),
    };
    match (column.kind, kind) {
        (Kind::Date | Kind::Time | Kind::EpochMillis | Kind::EpochSeconds | Kind::Extra, _) => {}
        (Kind::Str | Kind::Decoded, OtherKind::Number | OtherKind::Bool) => w.str(&column.name, json),
        (Kind::Str, OtherKind::Nested) if !column.is_documented() => w.str(&column.name, json),
        (Kind::Str | Kind::Decoded, OtherKind::Nested) => {
            return Err(ParseError::invalid(column.static_name(), "a string or a number", json));
        }
        // A JSON number is checked as if it were logged as text: digits for integers, a plain
        // decimal for seconds, never an IP address; booleans and nested values never fit.
        (Kind::Ip | Kind::Int(_) | Kind::Num, _) => return write_text(w, column, json, scratch),
    }
    Ok(())
}

/// Parser state for one CloudFront v2 input: the W3C field order and the layout of the last JSON
/// record's keys (records of one delivery share their keys, so it is computed once).
#[derive(Debug, Default)]
pub struct CloudFrontV2Parser {
    /// The W3C / plain order: `None` until the first `#Fields` line or data line.
    tsv: Option<Columns>,
    /// The keys of the last JSON record and their layout.
    json_keys: Vec<String>,
    json_columns: Columns,
    /// Reused for percent-decoding.
    scratch: Vec<u8>,
}

impl CloudFrontV2Parser {
    /// A parser for plain output (no `#Fields` header): the fields chosen for the delivery, by
    /// their AWS names, in delivery order, separated by commas and/or whitespace. A `#Fields` line
    /// in the input still replaces this order.
    pub fn with_fields(fields: &str) -> Result<CloudFrontV2Parser, FieldListError> {
        let columns = columns_from_list(fields)?;
        if !columns.has_time() {
            return Err(FieldListError::NoTime("timestamp(ms), timestamp, or date and time"));
        }
        Ok(CloudFrontV2Parser {
            tsv: Some(columns),
            ..CloudFrontV2Parser::default()
        })
    }

    fn parse_json(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let Record(members) = serde_json::from_str::<Record<'_>>(line).map_err(|e| ParseError::InvalidPayload {
            reason: format!("not a JSON object: {e}"),
        })?;
        let same_keys = members.len() == self.json_keys.len()
            && members.iter().zip(&self.json_keys).all(|((k, _), cached)| k == cached);
        if !same_keys {
            self.json_columns = Columns::from_names(members.iter().map(|(k, _)| &**k));
            self.json_keys = members.iter().map(|(k, _)| k.to_string()).collect();
        }
        let columns = &self.json_columns;
        let values: Vec<Value<'_>> = members.iter().map(|&(_, raw)| Value::of(raw)).collect();
        let timestamp = columns.timestamp(|i| match values.get(i) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v.text()),
        })?;
        let mut w = begin_document(out, &timestamp, "cloudfront", event_id);
        let mut extra = Vec::new();
        for (i, ((key, _), value)) in members.iter().zip(&values).enumerate() {
            match columns.list.get(i) {
                Some(c) if c.kind != Kind::Extra => write_json_value(&mut w, c, value, &mut self.scratch)?,
                _ => extra.push(format!("{key}={}", value.text())),
            }
        }
        if !extra.is_empty() {
            w.str_array("extra_fields", extra.iter().map(String::as_str));
        }
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

impl LineParser for CloudFrontV2Parser {
    fn log_type(&self) -> &'static str {
        "cloudfront"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.trim_start().starts_with('{') {
            return self.parse_json(line, event_id, out);
        }
        if line.starts_with('#') {
            if let Some(names) = fields_line(line) {
                self.tsv = Some(if names.split_ascii_whitespace().next().is_none() {
                    Columns::legacy()
                } else {
                    Columns::from_names(names.split_ascii_whitespace())
                });
            }
            return Ok(LineOutcome::Header);
        }
        let columns = self.tsv.get_or_insert_with(Columns::legacy);
        write_tsv_document(columns, line, "cloudfront", event_id, out, &mut self.scratch)
    }
}

/// Whether `line` is, without doubt, CloudFront standard logging v2 output (for content
/// detection): a `#Fields:` line naming at least one field legacy logs lack, or a flat JSON object
/// with at least two documented field names as keys, these being at least half of its keys.
/// Legacy lines and headers, ALB lines and real-time records do not match.
pub fn recognise(line: &str) -> bool {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line).trim();
    if let Some(names) = fields_line(line) {
        return names.split_ascii_whitespace().any(|n| ADDED.iter().any(|a| a.aws == n));
    }
    if !line.starts_with('{') {
        return false;
    }
    let Ok(Record(members)) = serde_json::from_str::<Record<'_>>(line) else {
        return false;
    };
    let flat = members.iter().all(|(_, raw)| {
        !matches!(
            Value::of(raw),
            Value::Other {
                kind: OtherKind::Nested,
                ..
            }
        )
    });
    let known = members.iter().filter(|(k, _)| is_aws_field(k)).count();
    flat && known >= 2 && known * 2 >= members.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::cloudfront::{int_expected, CloudFrontParser, SECONDS};
    use crate::tokenize::{MAX_PORT, MAX_STATUS};
    use serde_json::{json, Value as Json};

    const W3C_FIELDS: &str = "#Fields: timestamp(ms) DistributionId date time x-edge-location sc-bytes c-ip cs-method \
        cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query x-edge-result-type \
        x-edge-request-id time-taken c-port time-to-first-byte sc-content-len c-country origin-fbl origin-lbl asn \
        cmcd-encoded-bitrate";

    /// A v2 JSON record as CloudFront writes them: every value a string.
    fn json_record() -> Json {
        json!({
            "timestamp(ms)": "1795341600123", "DistributionId": "E2EXAMPLE12345", "date": "2026-11-22",
            "time": "10:00:00", "x-edge-location": "FRA56-P5", "sc-bytes": "13652", "c-ip": "192.0.2.10",
            "cs-method": "GET", "cs(Host)": "d111111abcdef8.cloudfront.net", "cs-uri-stem": "/index.html",
            "sc-status": "200", "cs(Referer)": "-",
            "cs(User-Agent)": "Mozilla/5.0%20(X11;%20Linux%20x86_64)", "cs-uri-query": "a=1%202",
            "x-edge-result-type": "Hit", "x-edge-request-id": "Abc123==", "time-taken": "0.002",
            "c-port": "52311", "time-to-first-byte": "0.001", "sc-content-len": "-", "c-country": "DE",
            "origin-fbl": "-", "origin-lbl": "-", "asn": "3320", "cmcd-encoded-bitrate": "-"
        })
    }

    fn json_doc() -> Json {
        json!({
            "@timestamp": "2026-11-22T10:00:00.123Z", "log_type": "cloudfront", "event_id": "evt",
            "distribution_id": "E2EXAMPLE12345", "x_edge_location": "FRA56-P5", "sc_bytes": 13652,
            "c_ip": "192.0.2.10", "cs_method": "GET", "cs_host": "d111111abcdef8.cloudfront.net",
            "cs_uri_stem": "/index.html", "sc_status": 200,
            "cs_user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "cs_uri_query": "a=1%202",
            "x_edge_result_type": "Hit", "x_edge_request_id": "Abc123==", "time_taken": 0.002,
            "c_port": 52311, "time_to_first_byte": 0.001, "c_country": "DE", "asn": "3320"
        })
    }

    /// `base` with members replaced (`null` removes one).
    fn with(base: Json, changes: Json) -> Json {
        let mut base = base;
        if let (Some(b), Some(c)) = (base.as_object_mut(), changes.as_object()) {
            for (k, v) in c {
                if v.is_null() {
                    b.remove(k);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        base
    }

    /// Feeds lines to one parser; header lines must write nothing, documents must be JSON objects
    /// starting with the common fields.
    fn run_with(parser: &mut dyn LineParser, input: &[String]) -> Vec<Result<Json, ParseError>> {
        let mut out = Vec::new();
        let mut results = Vec::new();
        for line in input {
            out.clear();
            match parser.parse_line(line, "evt", &mut out) {
                Ok(LineOutcome::Header) => assert!(out.is_empty(), "header {line:?} wrote output"),
                Ok(LineOutcome::Document(ts)) => {
                    let text = std::str::from_utf8(&out).expect("UTF-8");
                    assert!(
                        text.starts_with(&format!(
                            "{{\"@timestamp\":\"{ts}\",\"log_type\":\"{}\",\"event_id\":\"evt\"",
                            parser.log_type()
                        )),
                        "{text}"
                    );
                    results.push(Ok(serde_json::from_str(text).expect("document is JSON")));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        results
    }

    fn run(input: &[String]) -> Vec<Result<Json, ParseError>> {
        run_with(&mut CloudFrontV2Parser::default(), input)
    }

    fn lines(ls: &[&str]) -> Vec<String> {
        ls.iter().map(|l| l.to_string()).collect()
    }

    fn one(input: Vec<String>) -> Result<Json, ParseError> {
        run(&input).pop().expect("one result")
    }

    #[test]
    fn json_table() {
        let cases: Vec<(&str, Json, Json)> = vec![
            ("all_strings", json_record(), json_doc()),
            (
                "numbers_for_typed_and_string_fields",
                with(
                    json_record(),
                    json!({"sc-bytes": 13652, "time-taken": 0.002, "sc-status": 200, "asn": 3320,
                           "timestamp(ms)": 1795341600123u64, "c-port": "52311"}),
                ),
                json_doc(),
            ),
            (
                "timestamp_seconds_when_no_ms",
                with(
                    json_record(),
                    json!({"timestamp(ms)": null, "timestamp": "1795341601.5"}),
                ),
                with(json_doc(), json!({"@timestamp": "2026-11-22T10:00:01.500Z"})),
            ),
            (
                "whole_seconds",
                with(json_record(), json!({"timestamp(ms)": null, "timestamp": 1795341601})),
                with(json_doc(), json!({"@timestamp": "2026-11-22T10:00:01.000Z"})),
            ),
            (
                "date_and_time_when_no_epoch_field",
                with(json_record(), json!({"timestamp(ms)": null})),
                with(json_doc(), json!({"@timestamp": "2026-11-22T10:00:00Z"})),
            ),
            (
                "dash_and_null_epoch_fall_back_to_date_time",
                with(json_record(), json!({"timestamp(ms)": "-", "timestamp": Json::Null})),
                with(json_doc(), json!({"@timestamp": "2026-11-22T10:00:00Z"})),
            ),
            (
                "dash_and_null_are_absent_everywhere",
                with(
                    json_record(),
                    json!({"sc-bytes": "-", "c-ip": "-", "c-country": Json::Null, "extra-thing": Json::Null}),
                ),
                with(json_doc(), json!({"sc_bytes": null, "c_ip": null, "c_country": null})),
            ),
            (
                "ipv6_client_and_decoded_referer",
                with(
                    json_record(),
                    json!({"c-ip": "2001:db8::8a2e:370:7334", "cs(Referer)": "https://example.com/a%3Fb%3D1"}),
                ),
                with(
                    json_doc(),
                    json!({"c_ip": "2001:db8::8a2e:370:7334", "cs_referer": "https://example.com/a?b=1"}),
                ),
            ),
            (
                "origin_latencies_and_cmcd_strings",
                with(
                    json_record(),
                    json!({"origin-fbl": "0.113", "origin-lbl": "0.120", "cmcd-encoded-bitrate": "3200.5"}),
                ),
                with(
                    json_doc(),
                    json!({"origin_fbl": 0.113, "origin_lbl": 0.120, "cmcd_encoded_bitrate": "3200.5"}),
                ),
            ),
            (
                "unknown_keys_kept_as_strings",
                with(
                    json_record(),
                    json!({"x-new-field(Thing)": "v%20", "flag": true, "nest": {"a": 1}}),
                ),
                with(
                    json_doc(),
                    json!({"x_new_field_thing": "v%20", "flag": "true", "nest": "{\"a\":1}"}),
                ),
            ),
            (
                "unusable_and_reserved_keys_go_to_extra_fields",
                with(
                    json_record(),
                    json!({"@timestamp": "x", "log_type": 5, "é": "-", "truncated": true, "JSON": {"a": 1},
                           "Message": "m"}),
                ),
                with(
                    json_doc(),
                    // In record order: `json!` sorts the keys.
                    json!({"extra_fields": ["@timestamp=x", "JSON={\"a\":1}", "Message=m", "log_type=5",
                                            "truncated=true", "é=-"]}),
                ),
            ),
            (
                "strings_are_escaped",
                with(json_record(), json!({"cs-uri-stem": "/a\"b\\c\u{1}\té"})),
                with(json_doc(), json!({"cs_uri_stem": "/a\"b\\c\u{1}\té"})),
            ),
        ];
        for (name, record, want) in cases {
            let got = one(vec![record.to_string()]).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
            assert_eq!(got, want, "case `{name}`");
        }
    }

    #[test]
    fn json_with_leading_whitespace() {
        assert_eq!(one(vec![format!(" \t{}", json_record())]), Ok(json_doc()));
    }

    #[test]
    fn json_keeps_record_order_and_duplicates_go_to_extra_fields() {
        let line = r#"{"c-ip":"192.0.2.1","timestamp(ms)":"1795341600000","sc-status":"404","c-ip":"192.0.2.2","cs(Host)":"a"}"#;
        let mut out = Vec::new();
        CloudFrontV2Parser::default()
            .parse_line(line, "evt", &mut out)
            .expect("parses");
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "{\"@timestamp\":\"2026-11-22T10:00:00.000Z\",\"log_type\":\"cloudfront\",\"event_id\":\"evt\",\
             \"c_ip\":\"192.0.2.1\",\"sc_status\":404,\"cs_host\":\"a\",\"extra_fields\":[\"c-ip=192.0.2.2\"]}"
        );
    }

    #[test]
    fn json_layout_cache_follows_key_changes() {
        let a = r#"{"timestamp(ms)":"1795341600000","sc-bytes":"1"}"#;
        let b = r#"{"timestamp(ms)":"1795341600000","sc-status":"1"}"#;
        let got = run(&lines(&[a, b, a]));
        let keys: Vec<Vec<String>> = got
            .iter()
            .map(|r| r.as_ref().unwrap().as_object().unwrap().keys().cloned().collect())
            .collect();
        assert!(keys[0].contains(&"sc_bytes".to_string()));
        assert!(keys[1].contains(&"sc_status".to_string()) && !keys[1].contains(&"sc_bytes".to_string()));
        assert_eq!(got[0], got[2]);
    }

    #[test]
    fn w3c_table() {
        let values = [
            "1795341600123",
            "E2EXAMPLE12345",
            "2026-11-22",
            "10:00:00",
            "FRA56-P5",
            "13652",
            "2001:db8::1",
            "GET",
            "d111111abcdef8.cloudfront.net",
            "/index.html",
            "200",
            "-",
            "Mozilla/5.0%2520(X11)",
            "-",
            "Hit",
            "Abc123==",
            "0.002",
            "52311",
            "0.001",
            "-",
            "DE",
            "0.010",
            "0.020",
            "3320",
            "-",
        ];
        let line = values.join("\t");
        let doc = json!({
            "@timestamp": "2026-11-22T10:00:00.123Z", "log_type": "cloudfront", "event_id": "evt",
            "distribution_id": "E2EXAMPLE12345", "x_edge_location": "FRA56-P5", "sc_bytes": 13652,
            "c_ip": "2001:db8::1", "cs_method": "GET", "cs_host": "d111111abcdef8.cloudfront.net",
            "cs_uri_stem": "/index.html", "sc_status": 200, "cs_user_agent": "Mozilla/5.0%20(X11)",
            "x_edge_result_type": "Hit", "x_edge_request_id": "Abc123==", "time_taken": 0.002, "c_port": 52311,
            "time_to_first_byte": 0.001, "c_country": "DE", "origin_fbl": 0.010, "origin_lbl": 0.020, "asn": "3320"
        });
        let short: String = values[..8].join("\t");
        let cases: Vec<(&str, Vec<String>, Json)> = vec![
            (
                "header_then_line",
                vec!["#Version: 1.0".into(), W3C_FIELDS.into(), line.clone()],
                doc.clone(),
            ),
            (
                "extra_trailing_values",
                vec![W3C_FIELDS.into(), format!("{line}\tnew\t-")],
                with(doc.clone(), json!({"extra_fields": ["new", "-"]})),
            ),
            (
                "fewer_values_than_header",
                vec![W3C_FIELDS.into(), short],
                json!({
                    "@timestamp": "2026-11-22T10:00:00.123Z", "log_type": "cloudfront", "event_id": "evt",
                    "distribution_id": "E2EXAMPLE12345", "x_edge_location": "FRA56-P5", "sc_bytes": 13652,
                    "c_ip": "2001:db8::1", "cs_method": "GET"
                }),
            ),
            (
                "epoch_only_header_without_date_time",
                vec![
                    "#Fields: timestamp(ms) x-edge-request-id x-host-header sc-bytes viewer-request-log-data".into(),
                    "1795341600999\treq-1\twww.example.com\t42\tvariant%3Db".into(),
                ],
                json!({
                    "@timestamp": "2026-11-22T10:00:00.999Z", "log_type": "cloudfront", "event_id": "evt",
                    "x_edge_request_id": "req-1", "x_host_header": "www.example.com", "sc_bytes": 42,
                    "viewer_request_log_data": "variant%3Db"
                }),
            ),
            (
                "realtime_style_names_and_seconds",
                vec![
                    "#Fields: timestamp c-ip cs-host cs-user-agent cs-headers cs-headers-count".into(),
                    "1795341600.5\t192.0.2.1\twww.example.com\tcurl/8.5.0\tHost:www.example.com%0AAccept:*/*%0A\t2"
                        .into(),
                ],
                json!({
                    "@timestamp": "2026-11-22T10:00:00.500Z", "log_type": "cloudfront", "event_id": "evt",
                    "c_ip": "192.0.2.1", "cs_host": "www.example.com", "cs_user_agent": "curl/8.5.0",
                    "cs_headers": "Host:www.example.com\nAccept:*/*\n", "cs_headers_count": 2
                }),
            ),
            (
                "duplicate_and_unusable_header_names",
                vec![
                    "#Fields: timestamp(ms) c-ip C-IP x\"y event-id".into(),
                    "1795341600000\t192.0.2.1\t192.0.2.2\tq\tz".into(),
                ],
                json!({
                    "@timestamp": "2026-11-22T10:00:00.000Z", "log_type": "cloudfront", "event_id": "evt",
                    "c_ip": "192.0.2.1", "extra_fields": ["192.0.2.2", "q", "z"]
                }),
            ),
        ];
        for (name, input, want) in cases {
            let got = one(input).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
            assert_eq!(got, want, "case `{name}`");
        }
    }

    /// Legacy files give the documents the legacy parser gives.
    #[test]
    fn legacy_files_match_the_legacy_parser() {
        let header = format!("#Fields: {}", KNOWN.iter().map(|k| k.aws).collect::<Vec<_>>().join(" "));
        let line = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t\
            /index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,\
            %20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\t\
            SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\t\
            TLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-";
        for input in [
            lines(&["#Version: 1.0", &header, line]),
            lines(&[line, &format!("{line}\textra")]),
            lines(&[
                "#Fields: date time c-ip sc-status",
                "2019-12-04\t21:02:31\t192.0.2.1\t000\tx",
            ]),
            lines(&["#Fields: time c-ip", "21:02:31\t192.0.2.1"]),
            lines(&["2019-12-04\t21:02:31\tLAX1\t39x"]),
        ] {
            let legacy = run_with(&mut CloudFrontParser::default(), &input);
            assert_eq!(run(&input), legacy, "{input:?}");
        }
    }

    #[test]
    fn plain_output_with_configured_fields() {
        let mut parser =
            CloudFrontV2Parser::with_fields("timestamp(ms), DistributionId, c-ip, sc-status").expect("valid list");
        let got = run_with(&mut parser, &lines(&["1795341600000\tE2EXAMPLE12345\t192.0.2.1\t304"]));
        assert_eq!(
            got,
            vec![Ok(json!({
                "@timestamp": "2026-11-22T10:00:00.000Z", "log_type": "cloudfront", "event_id": "evt",
                "distribution_id": "E2EXAMPLE12345", "c_ip": "192.0.2.1", "sc_status": 304
            }))]
        );
        assert_eq!(
            CloudFrontV2Parser::with_fields("c-ip sc-status").err(),
            Some(FieldListError::NoTime("timestamp(ms), timestamp, or date and time"))
        );
        assert_eq!(
            CloudFrontV2Parser::with_fields("date c-ip").err(),
            Some(FieldListError::NoTime("timestamp(ms), timestamp, or date and time"))
        );
        assert!(CloudFrontV2Parser::with_fields("c-ip time date").is_ok());
        assert_eq!(
            CloudFrontV2Parser::with_fields(" , ").err(),
            Some(FieldListError::Empty)
        );
        assert_eq!(
            CloudFrontV2Parser::with_fields("date time c-ip C-IP").err(),
            Some(FieldListError::Duplicate("C-IP".into()))
        );
        for reserved in ["log-type", "truncated", "json", "Error", "extra-fields"] {
            assert_eq!(
                CloudFrontV2Parser::with_fields(&format!("date time {reserved}")).err(),
                Some(FieldListError::Unusable(reserved.into()))
            );
        }
        let many = (0..129).map(|i| format!("f{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(
            CloudFrontV2Parser::with_fields(&many).err(),
            Some(FieldListError::TooMany { count: 129 })
        );
    }

    #[test]
    fn error_table() {
        let invalid = |field, expected, value: &str| ParseError::InvalidField {
            field,
            expected,
            value: value.to_owned(),
        };
        let rec = |changes: Json| vec![with(json_record(), changes).to_string()];
        let cases: Vec<(&str, Vec<String>, ParseError)> = vec![
            (
                "bad_epoch_ms",
                rec(json!({"timestamp(ms)": "1795341600123.5"})),
                invalid("timestamp_ms", "epoch milliseconds", "1795341600123.5"),
            ),
            (
                "negative_epoch_ms_number",
                rec(json!({"timestamp(ms)": -5})),
                invalid("timestamp_ms", "epoch milliseconds", "-5"),
            ),
            (
                "epoch_ms_past_year_9999",
                rec(json!({"timestamp(ms)": "253402300800000"})),
                invalid("timestamp_ms", "epoch milliseconds", "253402300800000"),
            ),
            (
                "epoch_seconds_with_4_decimals",
                rec(json!({"timestamp(ms)": null, "timestamp": "1795341600.1234"})),
                invalid("timestamp", "epoch seconds (up to 3 decimals)", "1795341600.1234"),
            ),
            (
                "no_time_at_all",
                rec(json!({"timestamp(ms)": null, "date": null, "time": null})),
                invalid("timestamp", "a time: timestamp(ms), timestamp, or date and time", ""),
            ),
            (
                "bad_date_fallback",
                rec(json!({"timestamp(ms)": null, "date": "2026-13-01"})),
                invalid("date", "a UTC date (YYYY-MM-DD)", "2026-13-01"),
            ),
            (
                "non_numeric_sc_bytes",
                rec(json!({"sc-bytes": "13k"})),
                invalid("sc_bytes", int_expected(MAX_LONG), "13k"),
            ),
            (
                "fractional_integer",
                rec(json!({"sc-status": 200.0})),
                invalid("sc_status", int_expected(MAX_STATUS), "200.0"),
            ),
            (
                "boolean_integer",
                rec(json!({"c-port": true})),
                invalid("c_port", int_expected(MAX_PORT), "true"),
            ),
            (
                "bad_origin_fbl",
                rec(json!({"origin-fbl": ".5"})),
                invalid("origin_fbl", SECONDS, ".5"),
            ),
            (
                "nested_value_for_documented_field",
                rec(json!({"c-ip": ["192.0.2.1"]})),
                invalid("c_ip", "an IP address", "[\"192.0.2.1\"]"),
            ),
            (
                "nested_value_for_documented_string_field",
                rec(json!({"cs-method": {"GET": 1}})),
                invalid("cs_method", "a string or a number", "{\"GET\":1}"),
            ),
            (
                "c_ip_not_an_address",
                rec(json!({"c-ip": "bogus"})),
                invalid("c_ip", "an IP address", "bogus"),
            ),
            (
                "c_ip_as_json_number",
                rec(json!({"c-ip": 3_221_226_250_u64})),
                invalid("c_ip", "an IP address", "3221226250"),
            ),
            (
                "status_number_over_999",
                rec(json!({"sc-status": 1000})),
                invalid("sc_status", int_expected(MAX_STATUS), "1000"),
            ),
            (
                "port_string_over_65535",
                rec(json!({"c-port": "65536"})),
                invalid("c_port", int_expected(MAX_PORT), "65536"),
            ),
            (
                "bytes_number_u64_max",
                rec(json!({"sc-bytes": u64::MAX})),
                invalid("sc_bytes", int_expected(MAX_LONG), "18446744073709551615"),
            ),
            (
                "time_taken_number_with_exponent",
                vec![json_record()
                    .to_string()
                    .replace(r#""time-taken":"0.002""#, r#""time-taken":1e400"#)],
                invalid("time_taken", SECONDS, "1e400"),
            ),
            (
                "origin_lbl_string_with_exponent",
                rec(json!({"origin-lbl": "1.2E-1"})),
                invalid("origin_lbl", SECONDS, "1.2E-1"),
            ),
            (
                "w3c_c_ip_with_port",
                lines(&["#Fields: timestamp c-ip", "1795341600.000	192.0.2.1:443"]),
                invalid("c_ip", "an IP address", "192.0.2.1:443"),
            ),
            (
                "w3c_bad_cs_headers_count",
                lines(&["#Fields: timestamp cs-headers-count", "1795341600.000\tmany"]),
                invalid("cs_headers_count", int_expected(MAX_LONG), "many"),
            ),
            (
                "w3c_header_without_time",
                lines(&["#Fields: c-ip sc-status", "192.0.2.1\t200"]),
                invalid("timestamp", "a time: timestamp(ms), timestamp, or date and time", ""),
            ),
            (
                "garbage_line",
                lines(&["\u{0}garbage é 🎉"]),
                invalid("date", "a UTC date (YYYY-MM-DD)", "\u{0}garbage é 🎉"),
            ),
        ];
        for (name, input, want) in cases {
            let err = one(input).expect_err(name);
            assert_eq!(err, want, "case `{name}`");
        }
        for bad in ["{", "{\"a\":1} x", "{\"a\" 1}", "{}garbage"] {
            let err = one(lines(&[bad])).expect_err(bad);
            assert!(matches!(err, ParseError::InvalidPayload { .. }), "{bad}: {err:?}");
        }
    }

    #[test]
    fn recognise_table() {
        let legacy_line = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td1.cloudfront.net\t/index.html\t200";
        let cases: [(&str, String, bool); 13] = [
            ("json_record", json_record().to_string(), true),
            (
                "json_two_keys",
                r#"{"timestamp(ms)":"1","c-ip":"192.0.2.1"}"#.into(),
                true,
            ),
            ("json_with_bom", format!("\u{feff}{}", json_record()), true),
            ("v2_fields_header", "#Fields: timestamp(ms) c-ip sc-status".into(), true),
            (
                "v2_fields_header_distribution",
                "#Fields: DistributionId date time".into(),
                true,
            ),
            (
                "legacy_fields_header",
                "#Fields: date time x-edge-location sc-bytes c-ip".into(),
                false,
            ),
            ("legacy_version_header", "#Version: 1.0".into(), false),
            ("legacy_line", legacy_line.into(), false),
            (
                "alb_line",
                "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817".into(),
                false,
            ),
            (
                "realtime_line",
                "1795341600.123\t192.0.2.1\t0.001\t200\t1024\tGET".into(),
                false,
            ),
            (
                "cloudwatch_payload",
                r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logEvents":[]}"#.into(),
                false,
            ),
            (
                "mostly_foreign_keys",
                r#"{"c-ip":"1","sc-status":"2","a":1,"b":2,"c":3}"#.into(),
                false,
            ),
            ("nested", r#"{"c-ip":"1","sc-status":"2","x":{"y":1}}"#.into(), false),
        ];
        for (name, line, want) in cases {
            assert_eq!(recognise(&line), want, "case `{name}`");
        }
        assert!(!recognise(""));
        assert!(!recognise("{garbage"));
    }

    #[test]
    fn every_sample_line_parses() {
        for (path, want_docs) in [
            (
                concat!(env!("CARGO_MANIFEST_DIR"), "/../events/samples/cloudfront_v2.json.log"),
                20,
            ),
            (
                concat!(env!("CARGO_MANIFEST_DIR"), "/../events/samples/cloudfront_v2_w3c.log"),
                20,
            ),
        ] {
            let text = std::fs::read_to_string(path).expect("sample file");
            let mut parser = CloudFrontV2Parser::default();
            let mut out = Vec::new();
            let mut docs = 0;
            for (n, line) in text.lines().enumerate() {
                out.clear();
                match parser.parse_line(line, "evt", &mut out) {
                    Ok(LineOutcome::Document(ts)) => {
                        docs += 1;
                        assert!(ts.as_str().starts_with("2026-11-22T"), "{path}:{}: {ts}", n + 1);
                        let doc: Json = serde_json::from_slice(&out).expect("JSON");
                        assert_eq!(doc["distribution_id"], "E2EXAMPLE12345", "{path}:{}", n + 1);
                        assert!(doc.get("extra_fields").is_none(), "{path}:{}", n + 1);
                    }
                    Ok(LineOutcome::Header) => assert!(line.starts_with('#')),
                    Err(e) => panic!("{path}:{}: {e}", n + 1),
                }
                if line.starts_with('{') || line.starts_with("#Fields") {
                    assert!(recognise(line), "{path}:{}: recognised", n + 1);
                }
                assert!(
                    !crate::formats::cloudfront_realtime::recognise(line),
                    "{path}:{}",
                    n + 1
                );
            }
            assert_eq!(docs, want_docs, "{path}");
        }
    }

    /// Random JSON-ish and tab-separated lines never panic, and every document is JSON.
    #[test]
    fn arbitrary_input_does_not_panic() {
        const PIECES: [&str; 26] = [
            "{",
            "}",
            "\"",
            ":",
            ",",
            "\t",
            "\t",
            "-",
            "%",
            "%ff",
            "0",
            "9",
            ".",
            "null",
            "true",
            "[",
            "]",
            "\"timestamp(ms)\"",
            "\"sc-bytes\"",
            "\"c-ip\"",
            "1795341600123",
            "é",
            "\u{0}",
            "\\",
            "#Fields: ",
            "timestamp",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut parser = CloudFrontV2Parser::default();
        let mut out = Vec::new();
        for _ in 0..20_000 {
            let mut line = String::new();
            for _ in 0..next() % 40 {
                line.push_str(PIECES[(next() >> 8) as usize % PIECES.len()]);
            }
            if line.is_empty() {
                continue;
            }
            let _ = recognise(&line);
            out.clear();
            if let Ok(LineOutcome::Document(_)) = parser.parse_line(&line, "evt", &mut out) {
                let v: Json = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{line:?}: {e}"));
                assert!(v.is_object());
            }
        }
    }

    #[test]
    fn epoch_parsing() {
        let ms = |s| parse_epoch_millis(s).map(|t| t.to_string());
        let secs = |s| parse_epoch_seconds(s).map(|t| t.to_string());
        assert_eq!(ms("0").as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(ms("1795341600123").as_deref(), Some("2026-11-22T10:00:00.123Z"));
        assert_eq!(ms("").as_deref(), None);
        assert_eq!(ms("18446744073709551615").as_deref(), None);
        assert_eq!(secs("1605224520.123").as_deref(), Some("2020-11-12T23:42:00.123Z"));
        assert_eq!(secs("1605224520.1").as_deref(), Some("2020-11-12T23:42:00.100Z"));
        assert_eq!(secs("1605224520").as_deref(), Some("2020-11-12T23:42:00.000Z"));
        for bad in [
            "1605224520.",
            ".123",
            "1605224520.1234",
            "1605224520.-12",
            "-1",
            "1e9",
            "18446744073709551",
        ] {
            assert_eq!(secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn added_names_are_snake_case_of_aws_names() {
        for a in &ADDED {
            let snake = json_name(a.aws).expect("usable");
            assert!(a.name == snake || a.aws == "DistributionId", "{} → {}", a.aws, a.name);
            assert!(
                !KNOWN.iter().any(|k| k.name == snake),
                "{} is not a legacy field",
                a.aws
            );
        }
    }
}
