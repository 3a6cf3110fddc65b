//! CloudFront standard (legacy) access logs.
//!
//! Spec: "Standard log file fields" in the Amazon CloudFront Developer Guide
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html#BasicDistributionFileFormat>).
//!
//! Lines are tab-separated. Each file starts with two header lines, `#Version: 1.0` and
//! `#Fields: date time x-edge-location …` (the field names, separated by spaces). Example line
//! (tabs shown as `→`):
//!
//! ```text
//! 2019-12-04→21:02:31→LAX1→392→192.0.2.100→GET→d111111abcdef8.cloudfront.net→/index.html→200→-→Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36→-→-→Hit→SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==→d111111abcdef8.cloudfront.net→https→23→0.001→-→TLSv1.2→ECDHE-RSA-AES128-GCM-SHA256→Hit→HTTP/2.0→-→-→11040→0.001→Hit→text/html→78→-→-
//! ```
//!
//! # Fields
//!
//! The current 33 fields, in the order AWS writes them:
//!
//! | # | AWS field | JSON name | type |
//! |---|-----------|-----------|------|
//! | 1, 2 | `date`, `time` (UTC) | `@timestamp` | @timestamp |
//! | 3 | `x-edge-location` | `x_edge_location` | string |
//! | 4 | `sc-bytes` | `sc_bytes` | integer (0–2^63-1) |
//! | 5 | `c-ip` | `c_ip` | IP address (v4 or v6) |
//! | 6 | `cs-method` | `cs_method` | string |
//! | 7 | `cs(Host)` | `cs_host` | string |
//! | 8 | `cs-uri-stem` | `cs_uri_stem` | string |
//! | 9 | `sc-status` | `sc_status` | integer, 0–999 (`000` → `0`) |
//! | 10 | `cs(Referer)` | `cs_referer` | string, percent-decoded once |
//! | 11 | `cs(User-Agent)` | `cs_user_agent` | string, percent-decoded once |
//! | 12 | `cs-uri-query` | `cs_uri_query` | string (kept encoded) |
//! | 13 | `cs(Cookie)` | `cs_cookie` | string (kept encoded) |
//! | 14 | `x-edge-result-type` | `x_edge_result_type` | string |
//! | 15 | `x-edge-request-id` | `x_edge_request_id` | string |
//! | 16 | `x-host-header` | `x_host_header` | string |
//! | 17 | `cs-protocol` | `cs_protocol` | string |
//! | 18 | `cs-bytes` | `cs_bytes` | integer (0–2^63-1) |
//! | 19 | `time-taken` | `time_taken` | number (seconds, the log's own text) |
//! | 20 | `x-forwarded-for` | `x_forwarded_for` | string |
//! | 21 | `ssl-protocol` | `ssl_protocol` | string |
//! | 22 | `ssl-cipher` | `ssl_cipher` | string |
//! | 23 | `x-edge-response-result-type` | `x_edge_response_result_type` | string |
//! | 24 | `cs-protocol-version` | `cs_protocol_version` | string |
//! | 25 | `fle-status` | `fle_status` | string |
//! | 26 | `fle-encrypted-fields` | `fle_encrypted_fields` | string |
//! | 27 | `c-port` | `c_port` | integer (0–65535) |
//! | 28 | `time-to-first-byte` | `time_to_first_byte` | number (seconds, the log's own text) |
//! | 29 | `x-edge-detailed-result-type` | `x_edge_detailed_result_type` | string |
//! | 30 | `sc-content-type` | `sc_content_type` | string |
//! | 31 | `sc-content-len` | `sc_content_len` | integer (0–2^63-1) |
//! | 32 | `sc-range-start` | `sc_range_start` | integer (0–2^63-1) |
//! | 33 | `sc-range-end` | `sc_range_end` | integer (0–2^63-1) |
//! | 34… | values past the header's fields | `extra_fields` | array of strings |
//!
//! # Rules
//!
//! * **Header.** The `#Fields` line of each file decides the field order: older files have 24
//!   fields (up to `cs-protocol-version`) or 26 (up to `fle-encrypted-fields`). Files may be
//!   concatenated, so a `#Fields` line met mid-input replaces the current order. Before any
//!   `#Fields` line (or after one that names no field) the 33-field order above applies. Every
//!   line starting with `#` is a header line: it yields [`LineOutcome::Header`] and no document.
//!   At most [`MAX_HEADER_FIELDS`] names of a `#Fields` line are used.
//! * **Names.** A field's JSON name is its AWS name in snake_case: lower-cased, with `-`, `(`, `)`
//!   and `:` turned into `_`, without trailing `_`. A name the table does not know is kept (its
//!   values as strings) when it converts to 1–[`MAX_FIELD_NAME_LEN`] characters of `[a-z0-9_]`.
//!   A name that does not, that repeats an earlier one, or that would clash with a common field
//!   (`log_type`, `event_id`, `message`, `truncated`, `extra_fields`, `error`,
//!   `json`) has its values put in `extra_fields` instead.
//! * **Field count.** A line with fewer fields than the header yields the fields it has. Values past
//!   the header's last field are kept, as logged and in line order, in `extra_fields`; they never
//!   fail the line.
//! * **Time.** `date` + `time` become `@timestamp` (`2019-12-04T21:02:31Z`) and are not written
//!   separately. A line without a valid date and time is an error.
//! * **Types.** A value that does not have its column's type fails the line
//!   ([`ParseError::InvalidField`]), so that no document OpenSearch would refuse is written:
//!   `c-ip` must be an IPv4 or IPv6 address; integers are digits only and within the range in the
//!   table (what the `integer` and `long` mappings hold); durations are decimal numbers without
//!   sign or exponent (`0.001`), copied as logged. `-` means absent: the field is left out.
//! * **Decoding.** `cs(Referer)` and `cs(User-Agent)` are percent-decoded exactly once (so a
//!   double-encoded `%2520` becomes `%20`; invalid UTF-8 becomes U+FFFD). Every other field is
//!   kept as logged.
//! * **Order.** A document holds the common fields (`@timestamp`, `log_type`, `event_id`), then the
//!   line's fields in header order, then `extra_fields`.

use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::{is_plain_decimal, ObjectWriter};
use crate::timestamp::Timestamp;
use crate::tokenize::{is_ip, parse_uint, MAX_LONG, MAX_PORT, MAX_STATUS};
use std::borrow::Cow;

/// Only the first this many names of a `#Fields` line are used; later values go to `extra_fields`.
pub const MAX_HEADER_FIELDS: usize = 128;

/// Longest JSON name kept for a header field the table does not know.
pub const MAX_FIELD_NAME_LEN: usize = 64;

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The `date` half of `@timestamp`.
    Date,
    /// The `time` half of `@timestamp`.
    Time,
    /// A string, as logged.
    Str,
    /// A string, percent-decoded once.
    Decoded,
    /// An IPv4 or IPv6 address (mapped as `ip`).
    Ip,
    /// An unsigned integer, digits only, at most this (`MAX_STATUS`, `MAX_PORT`, `MAX_LONG`).
    Int(u64),
    /// Seconds: a decimal number without sign or exponent, copied as logged.
    Num,
    /// An unusable header name: the values go to `extra_fields`.
    Extra,
}

/// One of the fields AWS documents.
pub(crate) struct Known {
    pub(crate) aws: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

const fn known(aws: &'static str, name: &'static str, kind: Kind) -> Known {
    Known { aws, name, kind }
}

/// The current 33 fields, in AWS's order: the order used when an input has no `#Fields` line.
pub(crate) const KNOWN: [Known; 33] = [
    known("date", "date", Kind::Date),
    known("time", "time", Kind::Time),
    known("x-edge-location", "x_edge_location", Kind::Str),
    known("sc-bytes", "sc_bytes", LONG),
    known("c-ip", "c_ip", Kind::Ip),
    known("cs-method", "cs_method", Kind::Str),
    known("cs(Host)", "cs_host", Kind::Str),
    known("cs-uri-stem", "cs_uri_stem", Kind::Str),
    known("sc-status", "sc_status", STATUS),
    known("cs(Referer)", "cs_referer", Kind::Decoded),
    known("cs(User-Agent)", "cs_user_agent", Kind::Decoded),
    known("cs-uri-query", "cs_uri_query", Kind::Str),
    known("cs(Cookie)", "cs_cookie", Kind::Str),
    known("x-edge-result-type", "x_edge_result_type", Kind::Str),
    known("x-edge-request-id", "x_edge_request_id", Kind::Str),
    known("x-host-header", "x_host_header", Kind::Str),
    known("cs-protocol", "cs_protocol", Kind::Str),
    known("cs-bytes", "cs_bytes", LONG),
    known("time-taken", "time_taken", Kind::Num),
    known("x-forwarded-for", "x_forwarded_for", Kind::Str),
    known("ssl-protocol", "ssl_protocol", Kind::Str),
    known("ssl-cipher", "ssl_cipher", Kind::Str),
    known("x-edge-response-result-type", "x_edge_response_result_type", Kind::Str),
    known("cs-protocol-version", "cs_protocol_version", Kind::Str),
    known("fle-status", "fle_status", Kind::Str),
    known("fle-encrypted-fields", "fle_encrypted_fields", Kind::Str),
    known("c-port", "c_port", PORT),
    known("time-to-first-byte", "time_to_first_byte", Kind::Num),
    known("x-edge-detailed-result-type", "x_edge_detailed_result_type", Kind::Str),
    known("sc-content-type", "sc_content_type", Kind::Str),
    known("sc-content-len", "sc_content_len", LONG),
    known("sc-range-start", "sc_range_start", LONG),
    known("sc-range-end", "sc_range_end", LONG),
];

/// Sizes and counts, mapped as `long`.
pub(crate) const LONG: Kind = Kind::Int(MAX_LONG);
/// HTTP status codes: three digits.
pub(crate) const STATUS: Kind = Kind::Int(MAX_STATUS);
/// Ports.
pub(crate) const PORT: Kind = Kind::Int(MAX_PORT);

/// JSON names a header field may not take: every field of the common mapping (`@timestamp`,
/// `log_type`, `event_id`, `message`, `truncated`, `extra_fields`, `error`) and `json` (the
/// application documents' object, mapped in indices that `logs-*` searches together with these).
pub(crate) const RESERVED: [&str; 8] = [
    "@timestamp",
    "log_type",
    "event_id",
    "message",
    "truncated",
    "extra_fields",
    "error",
    "json",
];

/// What an error says an integer column holds.
pub(crate) fn int_expected(max: u64) -> &'static str {
    match max {
        MAX_STATUS => "a status code (an integer from 0 to 999)",
        MAX_PORT => "a port (0 to 65535)",
        _ => "an integer from 0 to 2^63-1",
    }
}

/// What an error says a `Num` column holds.
pub(crate) const SECONDS: &str = "seconds (a decimal number)";

/// Checks a typed value (`Ip`, `Int`, `Num`) and writes it under `name`; `field` names it in the
/// error. Other kinds are the caller's.
pub(crate) fn write_checked(
    w: &mut ObjectWriter<'_>,
    name: &str,
    field: &'static str,
    kind: Kind,
    value: &str,
) -> Result<(), ParseError> {
    match kind {
        Kind::Ip if is_ip(value) => w.str(name, value),
        Kind::Ip => return Err(ParseError::invalid(field, "an IP address", value)),
        Kind::Int(max) => match parse_uint(value, max) {
            Some(n) => w.u64(name, n),
            None => return Err(ParseError::invalid(field, int_expected(max), value)),
        },
        Kind::Num if is_plain_decimal(value) => w.raw(name, value),
        Kind::Num => return Err(ParseError::invalid(field, SECONDS, value)),
        Kind::Date | Kind::Time | Kind::Str | Kind::Decoded | Kind::Extra => {}
    }
    Ok(())
}

/// One column of the current header: its JSON name (static for known fields) and kind.
#[derive(Debug, Clone)]
struct Column {
    name: Cow<'static, str>,
    kind: Kind,
}

impl Column {
    /// The name for an error: typed columns are always known ones, with a static name.
    fn static_name(&self) -> &'static str {
        match self.name {
            Cow::Borrowed(name) => name,
            Cow::Owned(_) => "unknown",
        }
    }
}

/// The field order of the current file, computed once per `#Fields` line.
#[derive(Debug, Clone)]
struct Header {
    columns: Vec<Column>,
    date: Option<usize>,
    time: Option<usize>,
}

impl Header {
    /// The current 33-field order.
    fn standard() -> Header {
        Header::from_names(KNOWN.iter().map(|k| k.aws))
    }

    /// The order named by a `#Fields:` line (the text after the colon); the standard order when it
    /// names no field.
    fn from_fields_line(names: &str) -> Header {
        if names.split_ascii_whitespace().next().is_none() {
            return Header::standard();
        }
        Header::from_names(names.split_ascii_whitespace())
    }

    fn from_names<'a>(names: impl Iterator<Item = &'a str>) -> Header {
        let mut header = Header {
            columns: Vec::new(),
            date: None,
            time: None,
        };
        for (i, aws) in names.take(MAX_HEADER_FIELDS).enumerate() {
            let column = header.column_for(aws);
            match column.kind {
                Kind::Date => header.date = Some(i),
                Kind::Time => header.time = Some(i),
                _ => {}
            }
            header.columns.push(column);
        }
        header
    }

    /// The column for header name `aws`, given the columns before it.
    fn column_for(&self, aws: &str) -> Column {
        let extra = Column {
            name: Cow::Borrowed(""),
            kind: Kind::Extra,
        };
        let Some(name) = json_name(aws) else {
            return extra;
        };
        let taken =
            |n: &str| RESERVED.contains(&n) || self.columns.iter().any(|c| c.kind != Kind::Extra && c.name == n);
        if taken(&name) {
            return extra;
        }
        match KNOWN.iter().find(|k| k.name == name) {
            Some(k) => Column {
                name: Cow::Borrowed(k.name),
                kind: k.kind,
            },
            None => Column {
                name: Cow::Owned(name),
                kind: Kind::Str,
            },
        }
    }

    /// The line's `@timestamp`, from its `date` and `time` columns.
    fn timestamp(&self, line: &str) -> Result<Timestamp, ParseError> {
        let (mut date, mut time) = ("", "");
        let last = match (self.date, self.time) {
            (Some(d), Some(t)) => d.max(t),
            (Some(i), None) | (None, Some(i)) => i,
            (None, None) => 0,
        };
        for (i, value) in split_tabs(line).take(last + 1).enumerate() {
            if self.date == Some(i) {
                date = value;
            } else if self.time == Some(i) {
                time = value;
            }
        }
        if let Some(ts) = Timestamp::from_date_and_time(date, time) {
            return Ok(ts);
        }
        if Timestamp::from_date_and_time(date, "00:00:00").is_none() {
            Err(ParseError::invalid("date", "a UTC date (YYYY-MM-DD)", date))
        } else {
            Err(ParseError::invalid("time", "a UTC time (HH:MM:SS)", time))
        }
    }

    /// Whether the value at `index` belongs in `extra_fields`.
    fn is_extra(&self, index: usize) -> bool {
        self.columns.get(index).is_none_or(|c| c.kind == Kind::Extra)
    }
}

/// AWS's field name in snake_case, or `None` when the result is not 1–64 chars of `[a-z0-9_]`.
pub(crate) fn json_name(aws: &str) -> Option<String> {
    let mut name = String::with_capacity(aws.len());
    for c in aws.chars() {
        name.push(match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            '-' | '(' | ')' | ':' => '_',
            _ => return None,
        });
    }
    let len = name.trim_end_matches('_').len();
    name.truncate(len);
    (1..=MAX_FIELD_NAME_LEN).contains(&name.len()).then_some(name)
}

/// The tab-separated fields of `line`, borrowed from it (`memchr` finds the tabs).
pub(crate) fn split_tabs(line: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\t', line.as_bytes())
        .chain(std::iter::once(line.len()))
        .map(move |end| {
            let field = line.get(start..end).unwrap_or("");
            start = end + 1;
            field
        })
}

/// Digits only (no sign, no spaces), within `u64`.
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    parse_uint(s, u64::MAX)
}

/// Writes `value` percent-decoded once, decoding into the reusable `scratch` buffer.
pub(crate) fn write_decoded(w: &mut ObjectWriter<'_>, name: &str, value: &str, scratch: &mut Vec<u8>) {
    if memchr::memchr(b'%', value.as_bytes()).is_none() {
        w.str(name, value);
        return;
    }
    scratch.clear();
    scratch.extend(percent_encoding::percent_decode_str(value));
    match std::str::from_utf8(scratch) {
        Ok(decoded) => w.str(name, decoded),
        Err(_) => w.str(name, &String::from_utf8_lossy(scratch)),
    }
}

/// The names of a `#Fields:` line (the prefix matched without regard to ASCII case).
pub(crate) fn fields_line(line: &str) -> Option<&str> {
    const PREFIX: &str = "#Fields:";
    match (line.get(..PREFIX.len()), line.get(PREFIX.len()..)) {
        (Some(prefix), Some(names)) if prefix.eq_ignore_ascii_case(PREFIX) => Some(names),
        _ => None,
    }
}

/// Parser state for one CloudFront log input: the current `#Fields` order.
#[derive(Debug, Default)]
pub struct CloudFrontParser {
    /// `None` until the first `#Fields` line or data line (then the standard order).
    header: Option<Header>,
    /// Reused for percent-decoding, so that decoding allocates nothing per line.
    scratch: Vec<u8>,
}

impl LineParser for CloudFrontParser {
    fn log_type(&self) -> &'static str {
        "cloudfront"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.starts_with('#') {
            if let Some(names) = fields_line(line) {
                self.header = Some(Header::from_fields_line(names));
            }
            return Ok(LineOutcome::Header);
        }
        let header = self.header.get_or_insert_with(Header::standard);
        let timestamp = header.timestamp(line)?;
        let mut w = begin_document(out, &timestamp, "cloudfront", event_id);
        let mut has_extra = false;
        for (i, value) in split_tabs(line).enumerate() {
            let Some(column) = header.columns.get(i) else {
                has_extra = true;
                break;
            };
            match column.kind {
                Kind::Date | Kind::Time => {}
                Kind::Extra => has_extra = true,
                _ if value == "-" => {}
                Kind::Str => w.str(&column.name, value),
                Kind::Decoded => write_decoded(&mut w, &column.name, value, &mut self.scratch),
                Kind::Ip | Kind::Int(_) | Kind::Num => {
                    write_checked(&mut w, &column.name, column.static_name(), column.kind, value)?;
                }
            }
        }
        if has_extra {
            let extra = split_tabs(line).enumerate().filter(|&(i, _)| header.is_extra(i));
            w.str_array("extra_fields", extra.map(|(_, v)| v));
        }
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::{json, Value};
    use std::fmt;

    const VERSION: &str = "#Version: 1.0";
    const FIELDS_33: &str =
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
        cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header \
        cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type \
        cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type \
        sc-content-type sc-content-len sc-range-start sc-range-end";
    const FIELDS_26: &str =
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
        cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header \
        cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type \
        cs-protocol-version fle-status fle-encrypted-fields";
    const FIELDS_24: &str =
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
        cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header \
        cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type \
        cs-protocol-version";

    /// The first two lines of the example log file in the CloudFront Developer Guide.
    const AWS_LINE_1: &str = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t\
        /index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,\
        %20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\t\
        SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\t\
        TLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-";
    const AWS_LINE_2: &str = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t\
        /index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,\
        %20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\t\
        k6WGMNkEzR5BEM_SaF47gjtX9zBDO2m349OY2an0QPEaUum1ZOLrow==\td111111abcdef8.cloudfront.net\thttps\t23\t0.000\t-\t\
        TLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.000\tHit\ttext/html\t78\t-\t-";
    const AWS_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
        Chrome/78.0.3904.108 Safari/537.36";

    /// A 26-field line from the Developer Guide's older example (field-level encryption used).
    const OLD_LINE_26: &str = "2014-05-23\t01:13:11\tFRA2\t182\t192.0.2.10\tGET\td111111abcdef8.cloudfront.net\t\
        /view/my/file.html\t200\twww.displaymyfiles.com\tMozilla/4.0%20(compatible;%20MSIE%205.0b1;%20Mac_PowerPC)\t-\t\
        zip=98101\tRefreshHit\tMRVMF7KydIvxMWfJIglgwHQwZsbG2IhRJ07sn9AkKUFSHS9EXAMPLE==\t\
        d111111abcdef8.cloudfront.net\thttp\t-\t0.001\t-\t-\t-\tRefreshHit\tHTTP/1.1\tProcessed\t1";

    /// The first 24 fields of [`OLD_LINE_26`].
    fn old_line_24() -> String {
        OLD_LINE_26.split('\t').take(24).collect::<Vec<_>>().join("\t")
    }

    /// The 33 values of [`AWS_LINE_1`] with some replaced: `(index, value)`.
    fn aws_line_with(changes: &[(usize, &str)]) -> String {
        let mut fields: Vec<&str> = AWS_LINE_1.split('\t').collect();
        for &(i, v) in changes {
            fields[i] = v;
        }
        fields.join("\t")
    }

    /// The document of [`AWS_LINE_1`] (request id aside), as `aws_line_with(&[])` yields it.
    fn aws_doc_1() -> Value {
        json!({
            "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
            "x_edge_location": "LAX1", "sc_bytes": 392, "c_ip": "192.0.2.100", "cs_method": "GET",
            "cs_host": "d111111abcdef8.cloudfront.net", "cs_uri_stem": "/index.html", "sc_status": 200,
            "cs_user_agent": AWS_UA, "x_edge_result_type": "Hit",
            "x_edge_request_id": "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
            "x_host_header": "d111111abcdef8.cloudfront.net", "cs_protocol": "https", "cs_bytes": 23,
            "time_taken": 0.001, "ssl_protocol": "TLSv1.2", "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "x_edge_response_result_type": "Hit", "cs_protocol_version": "HTTP/2.0", "c_port": 11040,
            "time_to_first_byte": 0.001, "x_edge_detailed_result_type": "Hit", "sc_content_type": "text/html",
            "sc_content_len": 78
        })
    }

    /// [`aws_doc_1`] with members replaced (`Value::Null` removes one).
    fn aws_doc_1_with(changes: Value) -> Value {
        let mut doc = aws_doc_1();
        if let (Some(doc), Some(changes)) = (doc.as_object_mut(), changes.as_object()) {
            for (k, v) in changes {
                if v.is_null() {
                    doc.remove(k);
                } else {
                    doc.insert(k.clone(), v.clone());
                }
            }
        }
        doc
    }

    fn old_doc_24() -> Value {
        json!({
            "@timestamp": "2014-05-23T01:13:11Z", "log_type": "cloudfront", "event_id": "evt",
            "x_edge_location": "FRA2", "sc_bytes": 182, "c_ip": "192.0.2.10", "cs_method": "GET",
            "cs_host": "d111111abcdef8.cloudfront.net", "cs_uri_stem": "/view/my/file.html", "sc_status": 200,
            "cs_referer": "www.displaymyfiles.com", "cs_user_agent": "Mozilla/4.0 (compatible; MSIE 5.0b1; Mac_PowerPC)",
            "cs_cookie": "zip=98101", "x_edge_result_type": "RefreshHit",
            "x_edge_request_id": "MRVMF7KydIvxMWfJIglgwHQwZsbG2IhRJ07sn9AkKUFSHS9EXAMPLE==",
            "x_host_header": "d111111abcdef8.cloudfront.net", "cs_protocol": "http", "time_taken": 0.001,
            "x_edge_response_result_type": "RefreshHit", "cs_protocol_version": "HTTP/1.1"
        })
    }

    fn lines(ls: &[&str]) -> Vec<String> {
        ls.iter().map(|l| l.to_string()).collect()
    }

    fn tsv(fields: &[&str]) -> String {
        fields.join("\t")
    }

    /// A document's top-level members in the order written, to check order and uniqueness.
    struct Ordered(Vec<(String, Value)>);

    impl<'de> Deserialize<'de> for Ordered {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Ordered;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                    let mut members = Vec::new();
                    while let Some(member) = map.next_entry::<String, Value>()? {
                        members.push(member);
                    }
                    Ok(Ordered(members))
                }
            }
            d.deserialize_map(V)
        }
    }

    /// Feeds `input` to one parser. Header lines must write nothing; each document must be one JSON
    /// object with unique keys: the common fields, the line's fields in header order, then
    /// `extra_fields`.
    fn run(input: &[String]) -> Vec<Result<Value, ParseError>> {
        let mut parser = CloudFrontParser::default();
        let mut results = Vec::new();
        let mut out = Vec::new();
        for line in input {
            out.clear();
            match parser.parse_line(line, "evt", &mut out) {
                Ok(LineOutcome::Header) => assert!(out.is_empty(), "header line {line:?} wrote {out:?}"),
                Ok(LineOutcome::Document(ts)) => {
                    let Ordered(members) = serde_json::from_slice(&out).expect("document is a JSON object");
                    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
                    assert_eq!(keys[..3], ["@timestamp", "log_type", "event_id"], "{line:?}");
                    assert_eq!(members[0].1, json!(ts.as_str()));
                    let header = parser.header.as_ref().expect("header set by a data line");
                    let positions: Vec<usize> = keys[3..]
                        .iter()
                        .filter(|&&k| k != "extra_fields")
                        .map(|k| {
                            header
                                .columns
                                .iter()
                                .position(|c| c.name == *k)
                                .expect("key is a column")
                        })
                        .collect();
                    assert!(positions.windows(2).all(|p| p[0] < p[1]), "header order: {keys:?}");
                    if let Some(at) = keys.iter().position(|&k| k == "extra_fields") {
                        assert_eq!(at, keys.len() - 1, "extra_fields comes last: {keys:?}");
                    }
                    results.push(Ok(serde_json::from_slice(&out).expect("JSON")));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        results
    }

    fn cases() -> Vec<(&'static str, Vec<String>, Vec<Value>)> {
        vec![
            (
                "aws_example_with_headers",
                lines(&[VERSION, FIELDS_33, AWS_LINE_1, AWS_LINE_2]),
                vec![
                    aws_doc_1(),
                    aws_doc_1_with(json!({
                        "x_edge_request_id": "k6WGMNkEzR5BEM_SaF47gjtX9zBDO2m349OY2an0QPEaUum1ZOLrow==",
                        "time_taken": 0.000, "time_to_first_byte": 0.000
                    })),
                ],
            ),
            ("no_header_uses_33_fields", lines(&[AWS_LINE_1]), vec![aws_doc_1()]),
            (
                "old_24_field_header",
                vec![VERSION.into(), FIELDS_24.into(), old_line_24()],
                vec![old_doc_24()],
            ),
            (
                "old_26_field_header",
                lines(&[VERSION, FIELDS_26, OLD_LINE_26]),
                vec![{
                    let mut d = old_doc_24();
                    d["fle_status"] = json!("Processed");
                    d["fle_encrypted_fields"] = json!("1");
                    d
                }],
            ),
            (
                "concatenated_files_switch_headers",
                vec![
                    VERSION.into(),
                    FIELDS_24.into(),
                    old_line_24(),
                    VERSION.into(),
                    FIELDS_33.into(),
                    AWS_LINE_1.into(),
                    VERSION.into(),
                    FIELDS_26.into(),
                    OLD_LINE_26.into(),
                ],
                vec![old_doc_24(), aws_doc_1(), {
                    let mut d = old_doc_24();
                    d["fle_status"] = json!("Processed");
                    d["fle_encrypted_fields"] = json!("1");
                    d
                }],
            ),
            (
                "line_shorter_than_header",
                lines(&[FIELDS_33, "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100"]),
                vec![json!({
                    "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
                    "x_edge_location": "LAX1", "sc_bytes": 392, "c_ip": "192.0.2.100"
                })],
            ),
            (
                "line_longer_than_header_keeps_extra_fields",
                vec![FIELDS_33.into(), format!("{AWS_LINE_1}\tfoo\t-\t%20")],
                vec![aws_doc_1_with(json!({"extra_fields": ["foo", "-", "%20"]}))],
            ),
            (
                "short_header_long_line",
                vec![
                    "#Fields: date time sc-status".into(),
                    tsv(&["2019-12-04", "21:02:31", "304", "a", ""]),
                ],
                vec![json!({
                    "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
                    "sc_status": 304, "extra_fields": ["a", ""]
                })],
            ),
            (
                "user_agent_double_encoded_decoded_once",
                vec![aws_line_with(&[(10, "Mozilla/5.0%2520(Windows%2520NT)")])],
                vec![aws_doc_1_with(json!({"cs_user_agent": "Mozilla/5.0%20(Windows%20NT)"}))],
            ),
            (
                "referer_decoded_once_query_and_cookie_kept_encoded",
                vec![aws_line_with(&[
                    (9, "https://example.com/search%3Fq%3Da%2520b"),
                    (11, "q=a%20b&r=%2520"),
                    (12, "session%3Dabc"),
                ])],
                vec![aws_doc_1_with(json!({
                    "cs_referer": "https://example.com/search?q=a%20b",
                    "cs_uri_query": "q=a%20b&r=%2520",
                    "cs_cookie": "session%3Dabc"
                }))],
            ),
            (
                "decoding_invalid_utf8_and_bad_escapes",
                vec![aws_line_with(&[(10, "a%ff%zz%2"), (9, "%22q%22%0A")])],
                vec![aws_doc_1_with(
                    json!({"cs_user_agent": "a\u{fffd}%zz%2", "cs_referer": "\"q\"\n"}),
                )],
            ),
            (
                "status_000_is_zero",
                vec![aws_line_with(&[(8, "000")])],
                vec![aws_doc_1_with(json!({"sc_status": 0}))],
            ),
            (
                "dash_in_numeric_fields_is_absent",
                vec![aws_line_with(&[
                    (3, "-"),
                    (8, "-"),
                    (17, "-"),
                    (18, "-"),
                    (26, "-"),
                    (27, "-"),
                    (30, "-"),
                ])],
                vec![aws_doc_1_with(json!({
                    "sc_bytes": null, "sc_status": null, "cs_bytes": null, "time_taken": null,
                    "c_port": null, "time_to_first_byte": null, "sc_content_len": null
                }))],
            ),
            (
                "range_fields_and_large_integers",
                vec![aws_line_with(&[(3, "9223372036854775807"), (31, "0"), (32, "1023")])],
                vec![aws_doc_1_with(json!({
                    "sc_bytes": 9_223_372_036_854_775_807_u64, "sc_range_start": 0, "sc_range_end": 1023
                }))],
            ),
            (
                "strings_with_json_specials_are_escaped",
                vec![aws_line_with(&[(7, "/a\"b\\c\u{1}é")])],
                vec![aws_doc_1_with(json!({"cs_uri_stem": "/a\"b\\c\u{1}é"}))],
            ),
            (
                "unknown_header_field_kept_as_string",
                vec![
                    "#Fields: date time sc-status X-Custom(Thing) c-ip".into(),
                    tsv(&["2019-12-04", "21:02:31", "200", "some%20value", "192.0.2.1"]),
                ],
                vec![json!({
                    "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
                    "sc_status": 200, "x_custom_thing": "some%20value", "c_ip": "192.0.2.1"
                })],
            ),
            (
                "hostile_header_fields_go_to_extra_fields",
                vec![
                    format!(
                        "#Fields: x\"y{{}} date time log-type sc-status sc-status () {} c-ip",
                        "a".repeat(65)
                    ),
                    tsv(&[
                        "v1",
                        "2019-12-04",
                        "21:02:31",
                        "lt",
                        "200",
                        "201",
                        "p",
                        "long",
                        "192.0.2.1",
                        "tail",
                    ]),
                ],
                vec![json!({
                    "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
                    "sc_status": 200, "c_ip": "192.0.2.1",
                    "extra_fields": ["v1", "lt", "201", "p", "long", "tail"]
                })],
            ),
            (
                "header_fields_in_other_order",
                vec![
                    "#Fields: c-ip time-taken time date".into(),
                    tsv(&["192.0.2.1", "1.5", "23:59:59", "2020-02-29"]),
                ],
                vec![json!({
                    "@timestamp": "2020-02-29T23:59:59Z", "log_type": "cloudfront", "event_id": "evt",
                    "c_ip": "192.0.2.1", "time_taken": 1.5
                })],
            ),
            (
                "empty_fields_header_resets_to_standard",
                lines(&["#Fields: date time c-ip", "#Fields:  ", AWS_LINE_1]),
                vec![aws_doc_1()],
            ),
            (
                "header_capped_at_128_fields",
                vec![
                    format!(
                        "#Fields: date time {}",
                        (0..200).map(|i| format!("f{i}")).collect::<Vec<_>>().join(" ")
                    ),
                    format!(
                        "2019-12-04\t21:02:31\t{}",
                        (0..127).map(|i| format!("v{i}")).collect::<Vec<_>>().join("\t")
                    ),
                ],
                vec![{
                    let mut d = json!({
                        "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
                        "extra_fields": ["v126"]
                    });
                    for i in 0..126 {
                        d[format!("f{i}")] = json!(format!("v{i}"));
                    }
                    d
                }],
            ),
            (
                "range_limits_and_ipv6_accepted",
                vec![aws_line_with(&[
                    (4, "2001:db8:85a3::8a2e:370:7334"),
                    (8, "000"),
                    (26, "65535"),
                    (27, "123.456789"),
                    (30, "0"),
                ])],
                vec![aws_doc_1_with(json!({
                    "c_ip": "2001:db8:85a3::8a2e:370:7334",
                    "sc_status": 0, "c_port": 65535, "time_to_first_byte": 123.456789, "sc_content_len": 0
                }))],
            ),
            (
                "header_names_of_common_fields_go_to_extra_fields",
                vec![
                    "#Fields: date time c-ip Truncated json message Error event-id extra-fields @timestamp x-new-field"
                        .into(),
                    tsv(&[
                        "2019-12-04",
                        "21:02:31",
                        "192.0.2.1",
                        "yes",
                        "{}",
                        "m",
                        "e",
                        "id",
                        "x",
                        "t",
                        "v",
                    ]),
                ],
                vec![json!({
                    "@timestamp": "2019-12-04T21:02:31Z", "log_type": "cloudfront", "event_id": "evt",
                    "c_ip": "192.0.2.1", "x_new_field": "v",
                    "extra_fields": ["yes", "{}", "m", "e", "id", "x", "t"]
                })],
            ),
            (
                "comment_and_bom_lines_are_headers",
                lines(&["\u{feff}#Version: 1.0", "# a comment", "#", AWS_LINE_1]),
                vec![aws_doc_1()],
            ),
        ]
    }

    #[test]
    fn parses_table() {
        for (name, input, want) in cases() {
            let got: Vec<Value> = run(&input)
                .into_iter()
                .map(|r| r.unwrap_or_else(|e| panic!("case `{name}`: unexpected error {e}")))
                .collect();
            assert_eq!(got, want, "case `{name}`");
        }
    }

    #[test]
    fn error_table() {
        let invalid = |field, expected, value: &str| ParseError::InvalidField {
            field,
            expected,
            value: value.to_owned(),
        };
        let cases: Vec<(&str, Vec<String>, ParseError)> = vec![
            (
                "bad_date",
                vec![aws_line_with(&[(0, "2019-13-04")])],
                invalid("date", "a UTC date (YYYY-MM-DD)", "2019-13-04"),
            ),
            (
                "dash_date",
                vec![aws_line_with(&[(0, "-")])],
                invalid("date", "a UTC date (YYYY-MM-DD)", "-"),
            ),
            (
                "bad_time",
                vec![aws_line_with(&[(1, "25:00:00")])],
                invalid("time", "a UTC time (HH:MM:SS)", "25:00:00"),
            ),
            (
                "missing_time",
                lines(&["2019-12-04"]),
                invalid("time", "a UTC time (HH:MM:SS)", ""),
            ),
            (
                "header_without_date",
                lines(&["#Fields: time c-ip", "21:02:31\t192.0.2.1"]),
                invalid("date", "a UTC date (YYYY-MM-DD)", ""),
            ),
            (
                "non_numeric_sc_bytes",
                vec![aws_line_with(&[(3, "39x")])],
                invalid("sc_bytes", int_expected(MAX_LONG), "39x"),
            ),
            (
                "signed_sc_status",
                vec![aws_line_with(&[(8, "+200")])],
                invalid("sc_status", int_expected(MAX_STATUS), "+200"),
            ),
            (
                "integer_overflow",
                vec![aws_line_with(&[(26, "18446744073709551616")])],
                invalid("c_port", int_expected(MAX_PORT), "18446744073709551616"),
            ),
            (
                "non_numeric_time_taken",
                vec![aws_line_with(&[(18, "fast")])],
                invalid("time_taken", SECONDS, "fast"),
            ),
            (
                "time_to_first_byte_not_json_number",
                vec![aws_line_with(&[(27, ".5")])],
                invalid("time_to_first_byte", SECONDS, ".5"),
            ),
            (
                "c_ip_not_an_address",
                vec![aws_line_with(&[(4, "bogus")])],
                invalid("c_ip", "an IP address", "bogus"),
            ),
            (
                "c_ip_with_port",
                vec![aws_line_with(&[(4, "192.0.2.100:443")])],
                invalid("c_ip", "an IP address", "192.0.2.100:443"),
            ),
            (
                "c_ip_bracketed_ipv6",
                vec![aws_line_with(&[(4, "[2001:db8::1]")])],
                invalid("c_ip", "an IP address", "[2001:db8::1]"),
            ),
            (
                "c_ip_octet_over_255",
                vec![aws_line_with(&[(4, "192.0.2.300")])],
                invalid("c_ip", "an IP address", "192.0.2.300"),
            ),
            (
                "sc_status_four_digits",
                vec![aws_line_with(&[(8, "2000")])],
                invalid("sc_status", int_expected(MAX_STATUS), "2000"),
            ),
            (
                "c_port_over_65535",
                vec![aws_line_with(&[(26, "65536")])],
                invalid("c_port", int_expected(MAX_PORT), "65536"),
            ),
            (
                "sc_bytes_over_long",
                vec![aws_line_with(&[(3, "9223372036854775808")])],
                invalid("sc_bytes", int_expected(MAX_LONG), "9223372036854775808"),
            ),
            (
                "sc_range_end_u64_max",
                vec![aws_line_with(&[(32, "18446744073709551615")])],
                invalid("sc_range_end", int_expected(MAX_LONG), "18446744073709551615"),
            ),
            (
                "time_taken_infinite",
                vec![aws_line_with(&[(18, "1e400")])],
                invalid("time_taken", SECONDS, "1e400"),
            ),
            (
                "time_taken_with_exponent",
                vec![aws_line_with(&[(18, "1E-3")])],
                invalid("time_taken", SECONDS, "1E-3"),
            ),
            (
                "time_to_first_byte_negative",
                vec![aws_line_with(&[(27, "-0.001")])],
                invalid("time_to_first_byte", SECONDS, "-0.001"),
            ),
            (
                "garbage_line",
                lines(&["\u{0}garbage é 🎉"]),
                invalid("date", "a UTC date (YYYY-MM-DD)", "\u{0}garbage é 🎉"),
            ),
        ];
        for (name, input, want) in cases {
            let got = run(&input).pop().unwrap_or_else(|| panic!("case `{name}`: no result"));
            let err = got.expect_err(name);
            assert_eq!(err, want, "case `{name}`");
            assert_eq!(crate::error::DocError::kind(&err), "invalid_field", "case `{name}`");
        }
    }

    #[test]
    fn parser_recovers_after_an_error() {
        let results = run(&lines(&[FIELDS_33, "nonsense", AWS_LINE_1]));
        assert!(results[0].is_err());
        assert_eq!(results[1].as_ref().ok(), Some(&aws_doc_1()));
    }

    #[test]
    fn names_follow_aws_in_snake_case() {
        for k in &KNOWN {
            assert_eq!(json_name(k.aws).as_deref(), Some(k.name), "{}", k.aws);
        }
        assert_eq!(json_name("Foo:Bar()").as_deref(), Some("foo_bar"));
        assert_eq!(json_name("___"), None);
        assert_eq!(json_name("é"), None);
        assert_eq!(Header::standard().columns.len(), 33);
        assert_eq!(CloudFrontParser::default().log_type(), "cloudfront");
    }

    /// Random lines and headers (tabs, escapes, multi-byte and control characters, `#Fields`
    /// lines with odd names) must never panic, and every document must be valid JSON.
    #[test]
    fn arbitrary_input_does_not_panic() {
        const PIECES: [&str; 24] = [
            "\t",
            "\t",
            "\t",
            "-",
            "%",
            "%25",
            "%ff",
            "0",
            "9",
            ".",
            "e",
            "#",
            "#Fields:",
            " ",
            "date",
            "time",
            "2019-12-04",
            "21:02:31",
            "é",
            "\u{0}",
            "\"",
            "\\",
            "🎉",
            "sc-bytes",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut parser = CloudFrontParser::default();
        let mut out = Vec::new();
        for _ in 0..20_000 {
            let mut line = String::new();
            for _ in 0..next() % 60 {
                let r = next();
                if r % 8 == 0 {
                    line.push(char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('?'));
                } else {
                    line.push_str(PIECES[(r >> 8) as usize % PIECES.len()]);
                }
            }
            if next() % 50 == 0 {
                line.insert_str(0, "#Fields: ");
            } else if next() % 3 == 0 {
                line.insert_str(0, "2019-12-04\t21:02:31\t");
            }
            if line.is_empty() {
                continue;
            }
            out.clear();
            if let Ok(LineOutcome::Document(_)) = parser.parse_line(&line, "evt", &mut out) {
                let v: Value = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{line:?}: {e}"));
                assert!(v.is_object());
            }
        }
    }
}
