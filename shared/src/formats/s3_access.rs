//! Amazon S3 server access logs.
//!
//! Spec: "Amazon S3 server access log format" in the Amazon S3 User Guide
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html>). One record per line,
//! fields separated by one space; the time is written in brackets, in two space-separated parts;
//! `Request-URI`, `Referer` and `User-Agent` are quoted. Any field may be `-`. Example:
//!
//! ```text
//! 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1
//! ```
//!
//! | # | AWS field | JSON field(s) | type |
//! |---|---|---|---|
//! | 1 | Bucket Owner | `bucket_owner` | string |
//! | 2 | Bucket | `bucket` | string |
//! | 3 | Time (`[06/Feb/2019:00:00:38 +0000]`) | `@timestamp` (converted to UTC, s precision) | date |
//! | 4 | Remote IP | `remote_ip` | string |
//! | 5 | Requester | `requester` | string |
//! | 6 | Request ID | `request_id` | string |
//! | 7 | Operation | `operation` | string |
//! | 8 | Key | `key` | string (URL-encoded, kept as logged) |
//! | 9 | `"Request-URI"` | `request_verb`, `request_url`, `request_proto` | strings |
//! | 10 | HTTP status | `http_status` | integer |
//! | 11 | Error Code | `error_code` | string |
//! | 12 | Bytes Sent | `bytes_sent` | integer |
//! | 13 | Object Size | `object_size` | integer |
//! | 14 | Total Time | `total_time` | integer (ms) |
//! | 15 | Turn-Around Time | `turn_around_time` | integer (ms) |
//! | 16 | `"Referer"` | `referer` | string |
//! | 17 | `"User-Agent"` | `user_agent` | string |
//! | 18 | Version Id | `version_id` | string |
//! | 19 | Host Id | `host_id` | string |
//! | 20 | Signature Version | `signature_version` | string |
//! | 21 | Cipher Suite | `cipher_suite` | string |
//! | 22 | Authentication Type | `authentication_type` | string |
//! | 23 | Host Header | `host_header` | string |
//! | 24 | TLS version | `tls_version` | string |
//! | 25 | Access Point ARN | `access_point_arn` | string |
//! | 26 | aclRequired | `acl_required` | string (`Yes`) |
//! | 27 | Source region | `source_region` | string |
//! | 28+ | fields AWS appends later | `extra_fields` | array of strings, as logged |
//!
//! Rules:
//! - A line needs the first 17 fields (through `User-Agent`, the fields of the oldest documented
//!   format). Lines written before a later field existed simply lack it. Fields past the 27th never
//!   fail a line: they are kept, unnamed, in `extra_fields` (the User Guide's "extensible log format"
//!   section says new fields are appended at the end).
//! - `-` means absent, quoted (`"-"`) or not: the field is left out.
//! - The time is converted to UTC with its offset (S3 writes `+0000`) and becomes `@timestamp`,
//!   e.g. `2019-02-06T00:00:38Z`. Month names are the English abbreviations `strftime`'s `%b` gives.
//! - The request URI is quoted, but S3 does not escape a `"` inside it. The field ends at the first
//!   `"` that is followed by what must come next: a space, a 3-digit status (or `-`), the error code,
//!   four numbers (or `-`) and the quoted referer, the line possibly ending anywhere after the status.
//!   Failing that (a malformed line), at the first `"` followed by a space or the end of the line,
//!   so that the error names the field that is wrong. It is split into `request_verb`, `request_url` and `request_proto` at its first and last
//!   space, so raw spaces inside the URI survive; the copy operation's `GET` record, which has no
//!   protocol, yields no `request_proto`.
//! - `Referer` and `User-Agent` end at the first `"` followed by a space or the end of the line.
//! - The key is kept URL-encoded, as logged.
//! - A value that does not have its documented type makes the line an error document (the raw line
//!   is kept there), rather than a document OpenSearch would reject.

use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::timestamp::Timestamp;
use crate::tokenize::{non_dash, SpaceQuoted};

/// Fields every line has had since the format's launch (through `User-Agent`).
pub const REQUIRED_FIELDS: usize = 17;
/// Fields documented today (through `Source region`).
pub const KNOWN_FIELDS: usize = 27;

/// JSON names of the known fields by position (also used in error messages).
const NAMES: [&str; KNOWN_FIELDS] = [
    "bucket_owner",
    "bucket",
    "time",
    "remote_ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "http_status",
    "error_code",
    "bytes_sent",
    "object_size",
    "total_time",
    "turn_around_time",
    "referer",
    "user_agent",
    "version_id",
    "host_id",
    "signature_version",
    "cipher_suite",
    "authentication_type",
    "host_header",
    "tls_version",
    "access_point_arn",
    "acl_required",
    "source_region",
];

/// Position of the time field, and of the request URI, among the known fields.
const TIME: usize = 2;
const REQUEST_URI: usize = 8;

/// The integer fields, by position.
const INTEGERS: [usize; 5] = [9, 11, 12, 13, 14];

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parser for S3 server access log lines. Stateless: every line stands alone.
#[derive(Debug, Default)]
pub struct S3AccessParser;

impl LineParser for S3AccessParser {
    fn log_type(&self) -> &'static str {
        "s3_access"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let mut f: [&str; KNOWN_FIELDS] = [""; KNOWN_FIELDS];
        let mut count = 0;
        let mut zone = "";

        // Bucket Owner .. Key: bare tokens; the time takes two.
        let mut tokens = SpaceQuoted::new(line);
        let mut rest_at = 0;
        while count < REQUEST_URI {
            let token = match tokens.next_token() {
                Some(Ok(t)) => t,
                Some(Err(_)) => return Err(ParseError::UnterminatedQuote { field: NAMES[count] }),
                None => break,
            };
            rest_at = offset_in(line, token.text) + token.text.len() + usize::from(token.quoted);
            f[count] = token.text;
            if count == TIME && token.text.starts_with('[') {
                match tokens.next_token() {
                    Some(Ok(t)) if !t.quoted => {
                        zone = t.text;
                        rest_at = offset_in(line, t.text) + t.text.len();
                    }
                    _ => return Err(ParseError::invalid("time", "a bracketed time", token.text)),
                }
            }
            count += 1;
        }

        // Request-URI, with its own end rule; then the rest with the common tokenizer.
        let mut rest = "";
        if count == REQUEST_URI {
            if let Some((uri, end)) = request_uri(line, rest_at)? {
                f[REQUEST_URI] = uri;
                count += 1;
                rest = line.get(end..).unwrap_or("");
            }
        }
        let mut tokens = SpaceQuoted::new(rest);
        while count > REQUEST_URI && count < KNOWN_FIELDS {
            match tokens.next_token() {
                Some(Ok(t)) => f[count] = t.text,
                Some(Err(_)) => return Err(ParseError::UnterminatedQuote { field: NAMES[count] }),
                None => break,
            }
            count += 1;
        }
        if count < REQUIRED_FIELDS {
            return Err(ParseError::TooFewFields {
                expected: REQUIRED_FIELDS,
                found: count,
            });
        }

        let timestamp = parse_time(f[TIME], zone).ok_or_else(|| {
            ParseError::invalid(
                "time",
                "a time like [06/Feb/2019:00:00:38 +0000]",
                &time_text(line, f[TIME], zone),
            )
        })?;
        for i in INTEGERS {
            if let Some(v) = non_dash(f[i]) {
                if parse_u64(v).is_none() {
                    return Err(ParseError::invalid(NAMES[i], "an integer", v));
                }
            }
        }
        let v = |i: usize| if i < count { non_dash(f[i]) } else { None };

        let mut w = begin_document(out, &timestamp, "s3_access", event_id);
        for (i, name) in NAMES.iter().enumerate() {
            match i {
                TIME => {}
                REQUEST_URI => super::clb::write_request(&mut w, v(i)),
                _ if INTEGERS.contains(&i) => w.opt_u64(name, v(i).and_then(parse_u64)),
                _ => w.opt_str(name, v(i)),
            }
        }
        // Fewer fields than known: the tokenizer is at the end and nothing is written.
        crate::tokenize::write_extra_fields(&mut w, &mut tokens)?;
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// A cheap, strict check that `line` is an S3 server access log record: its third and fourth
/// space-separated words are a valid bracketed time (`[06/Feb/2019:00:00:38 +0000]`) and a request
/// id, operation and request follow. ALB, NLB, CloudFront and VPC Flow Logs lines never match.
pub fn recognise(line: &str) -> bool {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let mut words = line.split(' ');
    let (Some(owner), Some(bucket), Some(day_time), Some(zone)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    !owner.is_empty() && !bucket.is_empty() && words.nth(4).is_some() && parse_time(day_time, zone).is_some()
}

/// Byte offset of `part`, a slice of `line`, within `line`.
fn offset_in(line: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

/// The time as logged, for an error message.
fn time_text(line: &str, day_time: &str, zone: &str) -> String {
    if zone.is_empty() {
        return day_time.to_owned();
    }
    let start = offset_in(line, day_time);
    let end = offset_in(line, zone) + zone.len();
    line.get(start..end).unwrap_or(day_time).to_owned()
}

/// The request URI starting at or after byte `from` (spaces skipped): its text and the offset just
/// past it; `None` at the end of the line.
fn request_uri(line: &str, from: usize) -> Result<Option<(&str, usize)>, ParseError> {
    let bytes = line.as_bytes();
    let Some(start) = bytes.iter().skip(from).position(|&b| b != b' ').map(|p| from + p) else {
        return Ok(None);
    };
    if bytes[start] != b'"' {
        let end = memchr::memchr(b' ', &bytes[start..]).map_or(bytes.len(), |p| start + p);
        return Ok(line.get(start..end).map(|text| (text, end)));
    }
    let mut plain = None;
    for close in memchr::memchr_iter(b'"', &bytes[start + 1..]).map(|p| start + 1 + p) {
        let after = line.get(close + 1..).unwrap_or("");
        if after.is_empty() {
            plain.get_or_insert(close);
            break;
        }
        let Some(after) = after.strip_prefix(' ') else { continue };
        plain.get_or_insert(close);
        if followed_by_response(after) {
            return Ok(line.get(start + 1..close).map(|text| (text, close + 1)));
        }
    }
    match plain {
        Some(close) => Ok(line.get(start + 1..close).map(|text| (text, close + 1))),
        None => Err(ParseError::UnterminatedQuote { field: "request_uri" }),
    }
}

/// A 3-digit HTTP status or `-`.
fn status_like(word: Option<&str>) -> bool {
    matches!(word, Some(w) if w == "-" || (w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit())))
}

/// Whether `rest` starts like what follows the request URI: status, error code, four numbers (or
/// `-`), then the quoted referer; the line may end anywhere after the status.
fn followed_by_response(rest: &str) -> bool {
    let mut words = rest.split(' ');
    if !status_like(words.next()) {
        return false;
    }
    match words.next() {
        None => return true,
        Some("") => return false,
        Some(_) => {}
    }
    for _ in 0..4 {
        match words.next() {
            None => return true,
            Some(w) if w == "-" || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())) => {}
            Some(_) => return false,
        }
    }
    words.next().is_none_or(|w| w.starts_with('"'))
}

/// `[dd/Mon/yyyy:HH:MM:SS` and `+hhmm]` as a UTC timestamp.
fn parse_time(day_time: &str, zone: &str) -> Option<Timestamp> {
    let dt = day_time.strip_prefix('[')?.as_bytes();
    let zone = zone.strip_suffix(']')?.as_bytes();
    if dt.len() != 20 || dt[2] != b'/' || dt[6] != b'/' || dt[11] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| m[..] == dt[3..6])? + 1;
    let mut date = *b"0000-00-00";
    date[..4].copy_from_slice(&dt[7..11]);
    date[5] = b'0' + (month / 10) as u8;
    date[6] = b'0' + (month % 10) as u8;
    date[8..].copy_from_slice(&dt[..2]);
    let time = std::str::from_utf8(&dt[12..]).ok()?;
    let utc = Timestamp::from_date_and_time(std::str::from_utf8(&date).ok()?, time)?;
    let offset = zone_offset_seconds(zone)?;
    if offset == 0 {
        return Some(utc);
    }
    // Only ASCII digits reach here (from_date_and_time checked them).
    let num = |b: &[u8]| b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    let days = days_from_civil(num(&dt[7..11]), month as i64, num(&dt[..2]));
    let seconds = days * 86_400 + num(&dt[12..14]) * 3600 + num(&dt[15..17]) * 60 + num(&dt[18..20]);
    from_epoch_seconds(seconds - offset)
}

/// `+hhmm` / `-hhmm` in seconds east of UTC.
fn zone_offset_seconds(zone: &[u8]) -> Option<i64> {
    let (sign, digits) = match zone {
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hours = i64::from(digits[0] - b'0') * 10 + i64::from(digits[1] - b'0');
    let minutes = i64::from(digits[2] - b'0') * 10 + i64::from(digits[3] - b'0');
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch as a second-precision timestamp.
fn from_epoch_seconds(seconds: i64) -> Option<Timestamp> {
    let t = Timestamp::from_epoch_millis(seconds.checked_mul(1000)?)?;
    let s = t.as_str();
    Timestamp::from_date_and_time(s.get(..10)?, s.get(11..19)?)
}

/// Digits only (no sign, no spaces), within OpenSearch's `long` (`integer` would not hold object
/// sizes; `http_status`'s mapping is `integer` and its values are three digits).
fn parse_u64(s: &str) -> Option<u64> {
    crate::tokenize::parse_uint(s, crate::tokenize::MAX_LONG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

    fn parse(line: &str) -> Result<Value, ParseError> {
        let mut out = Vec::new();
        let outcome = S3AccessParser.parse_line(line, "id-1", &mut out)?;
        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
        let ts = doc["@timestamp"].as_str().and_then(Timestamp::parse_rfc3339_utc);
        assert_eq!(Some(outcome), ts.map(LineOutcome::Document));
        Ok(doc)
    }

    /// The first record of the User Guide's current example (27 fields).
    const DOC_1: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"#;

    fn doc_1() -> Value {
        json!({
            "@timestamp": "2019-02-06T00:00:38Z", "log_type": "s3_access", "event_id": "id-1",
            "bucket_owner": OWNER, "bucket": "amzn-s3-demo-bucket1", "remote_ip": "192.0.2.3",
            "requester": OWNER, "request_id": "3E57427F3EXAMPLE", "operation": "REST.GET.VERSIONING",
            "request_verb": "GET", "request_url": "/amzn-s3-demo-bucket1?versioning", "request_proto": "HTTP/1.1",
            "http_status": 200, "bytes_sent": 113, "total_time": 7, "user_agent": "S3Console/0.4",
            "host_id": "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
            "signature_version": "SigV4", "cipher_suite": "ECDHE-RSA-AES128-GCM-SHA256",
            "authentication_type": "AuthHeader", "host_header": "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com",
            "tls_version": "TLSV1.2", "access_point_arn": "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP",
            "acl_required": "Yes", "source_region": "us-east-1"
        })
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_current_1", DOC_1.to_owned(), doc_1()),
            (
                "documented_current_2_no_access_point",
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 891CE47D2EXAMPLE REST.GET.LOGGING_STATUS - "GET /amzn-s3-demo-bucket1?logging HTTP/1.1" 200 - 242 - 11 - "-" "S3Console/0.4" - 9vKBE6vMhrNiWHZmb2L0mXOcqPGzQOI5XLnCtZNPxev+Hf+7tpT6sxDwDty4LHBUOZJG96N1234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - - us-east-1"#.into(),
                with(doc_1(), json!({
                    "request_id": "891CE47D2EXAMPLE", "operation": "REST.GET.LOGGING_STATUS",
                    "request_url": "/amzn-s3-demo-bucket1?logging", "bytes_sent": 242, "total_time": 11,
                    "host_id": "9vKBE6vMhrNiWHZmb2L0mXOcqPGzQOI5XLnCtZNPxev+Hf+7tpT6sxDwDty4LHBUOZJG96N1234=",
                    "access_point_arn": null, "acl_required": null
                })),
            ),
            (
                "documented_2019_error_24_fields",
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be A1206F460EXAMPLE REST.GET.BUCKETPOLICY - "GET /awsexamplebucket1?policy HTTP/1.1" 404 NoSuchBucketPolicy 297 - 38 - "-" "S3Console/0.4" - BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"#.into(),
                with(doc_1(), json!({
                    "bucket": "awsexamplebucket1", "request_id": "A1206F460EXAMPLE",
                    "operation": "REST.GET.BUCKETPOLICY", "request_url": "/awsexamplebucket1?policy",
                    "http_status": 404, "error_code": "NoSuchBucketPolicy", "bytes_sent": 297, "total_time": 38,
                    "host_id": "BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234=",
                    "signature_version": "SigV2", "host_header": "awsexamplebucket1.s3.us-west-1.amazonaws.com",
                    "tls_version": "TLSV1.1", "access_point_arn": null, "acl_required": null, "source_region": null
                })),
            ),
            (
                "documented_2019_put_object",
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:01:57 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DD6CC733AEXAMPLE REST.PUT.OBJECT s3-dg.pdf "PUT /awsexamplebucket1/s3-dg.pdf HTTP/1.1" 200 - - 4406583 41754 28 "-" "S3Console/0.4" - 10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234= SigV4 ECDHE-RSA-AES128-SHA AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"#.into(),
                with(doc_1(), json!({
                    "@timestamp": "2019-02-06T00:01:57Z", "bucket": "awsexamplebucket1",
                    "request_id": "DD6CC733AEXAMPLE", "operation": "REST.PUT.OBJECT", "key": "s3-dg.pdf",
                    "request_verb": "PUT", "request_url": "/awsexamplebucket1/s3-dg.pdf", "bytes_sent": null,
                    "object_size": 4406583, "total_time": 41754, "turn_around_time": 28,
                    "host_id": "10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234=",
                    "cipher_suite": "ECDHE-RSA-AES128-SHA", "host_header": "awsexamplebucket1.s3.us-west-1.amazonaws.com",
                    "tls_version": "TLSV1.1", "access_point_arn": null, "acl_required": null, "source_region": null
                })),
            ),
            (
                "documented_2014_18_fields",
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be mybucket [06/Feb/2014:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /mybucket?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -"#.into(),
                json!({
                    "@timestamp": "2014-02-06T00:00:38Z", "log_type": "s3_access", "event_id": "id-1",
                    "bucket_owner": OWNER, "bucket": "mybucket", "remote_ip": "192.0.2.3", "requester": OWNER,
                    "request_id": "3E57427F3EXAMPLE", "operation": "REST.GET.VERSIONING", "request_verb": "GET",
                    "request_url": "/mybucket?versioning", "request_proto": "HTTP/1.1", "http_status": 200,
                    "bytes_sent": 113, "total_time": 7, "user_agent": "S3Console/0.4"
                }),
            ),
            (
                "oldest_17_fields_anonymous",
                r#"314159b66967d86f031c7249d1d9a80249109428335cd0ef1cdc487b4566cb1b mybucket [04/Aug/2006:22:34:02 +0000] 72.21.206.5 Anonymous 3E57427F33A59F07 REST.GET.OBJECT /photos/2006/08/puppy.jpg "GET /mybucket/photos/2006/08/puppy.jpg?x-foo=bar" 200 - 2662992 3462992 70 10 "http://www.amazon.com/webservices" "curl/7.15.1""#.into(),
                json!({
                    "@timestamp": "2006-08-04T22:34:02Z", "log_type": "s3_access", "event_id": "id-1",
                    "bucket_owner": "314159b66967d86f031c7249d1d9a80249109428335cd0ef1cdc487b4566cb1b",
                    "bucket": "mybucket", "remote_ip": "72.21.206.5", "requester": "Anonymous",
                    "request_id": "3E57427F33A59F07", "operation": "REST.GET.OBJECT", "key": "/photos/2006/08/puppy.jpg",
                    "request_verb": "GET", "request_url": "/mybucket/photos/2006/08/puppy.jpg?x-foo=bar",
                    "http_status": 200, "bytes_sent": 2662992, "object_size": 3462992, "total_time": 70,
                    "turn_around_time": 10, "referer": "http://www.amazon.com/webservices", "user_agent": "curl/7.15.1"
                }),
            ),
            (
                "quote_inside_request_uri",
                DOC_1.replace("GET /amzn-s3-demo-bucket1?versioning HTTP/1.1", r#"GET /a" 404 b?q="x" HTTP/1.1"#),
                with(doc_1(), json!({"request_url": r#"/a" 404 b?q="x""#})),
            ),
            (
                "quote_before_space_and_dash_inside_request_uri",
                DOC_1.replace("GET /amzn-s3-demo-bucket1?versioning HTTP/1.1", r#"GET /x" - y HTTP/1.1"#),
                with(doc_1(), json!({"request_url": r#"/x" - y"#})),
            ),
            (
                "request_uri_dash_quoted",
                DOC_1.replace(r#""GET /amzn-s3-demo-bucket1?versioning HTTP/1.1""#, r#""-""#),
                with(doc_1(), json!({"request_verb": null, "request_url": null, "request_proto": null})),
            ),
            (
                "request_uri_dash_unquoted",
                DOC_1.replace(r#""GET /amzn-s3-demo-bucket1?versioning HTTP/1.1""#, "-"),
                with(doc_1(), json!({"request_verb": null, "request_url": null, "request_proto": null})),
            ),
            (
                "dash_everywhere_but_time",
                format!("- - [06/Feb/2019:00:00:38 +0000]{}", " -".repeat(24)),
                json!({"@timestamp": "2019-02-06T00:00:38Z", "log_type": "s3_access", "event_id": "id-1"}),
            ),
            (
                "url_encoded_key_kept",
                DOC_1.replace("REST.GET.VERSIONING - ", "REST.GET.OBJECT photos/my%20cat%2B1.jpg "),
                with(doc_1(), json!({"operation": "REST.GET.OBJECT", "key": "photos/my%20cat%2B1.jpg"})),
            ),
            (
                "non_utc_offset_converted",
                DOC_1.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38 +0130]"),
                with(doc_1(), json!({"@timestamp": "2019-02-05T22:30:38Z"})),
            ),
            (
                "negative_offset_across_year",
                DOC_1.replace("[06/Feb/2019:00:00:38 +0000]", "[31/Dec/2019:23:30:00 -0100]"),
                with(doc_1(), json!({"@timestamp": "2020-01-01T00:30:00Z"})),
            ),
            (
                "ipv6_remote_ip_and_iam_requester",
                DOC_1.replace(
                    "192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57",
                    "2001:db8::7 arn:aws:iam::123456789012:user/alice 3E57",
                ),
                with(doc_1(), json!({"remote_ip": "2001:db8::7", "requester": "arn:aws:iam::123456789012:user/alice"})),
            ),
            (
                "copy_get_record_without_protocol",
                DOC_1.replace("GET /amzn-s3-demo-bucket1?versioning HTTP/1.1", "GET /awsexamplebucket1/photos/2019/08/puppy.jpg?x-foo=bar"),
                with(doc_1(), json!({"request_url": "/awsexamplebucket1/photos/2019/08/puppy.jpg?x-foo=bar", "request_proto": null})),
            ),
            (
                "appended_unknown_fields_kept",
                format!(r#"{DOC_1} new-value "quoted value" -"#),
                with(doc_1(), json!({"extra_fields": ["new-value", "quoted value", "-"]})),
            ),
            (
                "referer_and_user_agent_with_spaces",
                DOC_1.replace(r#""-" "S3Console/0.4""#, r#""https://example.com/a b" "Mozilla/5.0 (X11; Linux x86_64)""#),
                with(doc_1(), json!({"referer": "https://example.com/a b", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"})),
            ),
            (
                "hostile_user_agent_escaped",
                DOC_1.replace("S3Console/0.4", "}{\"admin\":true\u{1b}[31m\\"),
                with(doc_1(), json!({"user_agent": "}{\"admin\":true\u{1b}[31m\\"})),
            ),
            (
                "byte_order_mark_ignored",
                format!("\u{feff}{DOC_1}"),
                doc_1(),
            ),
        ]
    }

    #[test]
    fn parses_table() {
        for (name, line, want) in cases() {
            let got = parse(&line).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
            assert_eq!(got, want, "case `{name}`");
        }
    }

    #[test]
    fn error_table() {
        let cases: Vec<(&str, String, ParseError)> = vec![
            (
                "truncated_after_request",
                DOC_1.split(" 200 ").next().unwrap().to_owned(),
                ParseError::TooFewFields { expected: 17, found: 9 },
            ),
            (
                "truncated_inside_time",
                format!("{OWNER} bucket [06/Feb/2019:00:00:38"),
                ParseError::invalid("time", "a bracketed time", "[06/Feb/2019:00:00:38"),
            ),
            (
                "truncated_inside_request_uri",
                DOC_1.split(" HTTP/1.1").next().unwrap().to_owned(),
                ParseError::UnterminatedQuote { field: "request_uri" },
            ),
            (
                "truncated_inside_user_agent",
                DOC_1.split("/0.4").next().unwrap().to_owned(),
                ParseError::UnterminatedQuote { field: "user_agent" },
            ),
            (
                "bad_month",
                DOC_1.replace("06/Feb/2019", "06/Fev/2019"),
                ParseError::invalid("time", "a time like [06/Feb/2019:00:00:38 +0000]", "[06/Fev/2019:00:00:38 +0000]"),
            ),
            (
                "impossible_date",
                DOC_1.replace("06/Feb/2019", "30/Feb/2019"),
                ParseError::invalid("time", "a time like [06/Feb/2019:00:00:38 +0000]", "[30/Feb/2019:00:00:38 +0000]"),
            ),
            (
                "bad_offset",
                DOC_1.replace("+0000]", "UTC]"),
                ParseError::invalid("time", "a time like [06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38 UTC]"),
            ),
            (
                "non_numeric_status",
                DOC_1.replace(" 200 - 113 ", " 2OO - 113 "),
                ParseError::invalid("http_status", "an integer", "2OO"),
            ),
            (
                "negative_bytes_sent",
                DOC_1.replace(" 200 - 113 ", " 200 - -113 "),
                ParseError::invalid("bytes_sent", "an integer", "-113"),
            ),
            (
                "alb_line",
                r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"#.into(),
                ParseError::invalid(
                    "time",
                    "a time like [06/Feb/2019:00:00:38 +0000]",
                    "app/my-loadbalancer/50dc6c495c0c9188",
                ),
            ),
            (
                "vpc_flow_record",
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK".into(),
                ParseError::TooFewFields { expected: 17, found: 14 },
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = S3AccessParser.parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = Vec::new();
        let long_quotes = "\" 200 ".repeat(2000);
        let prefix = format!("{OWNER} b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - ID OP key \"");
        for line in [
            "\"",
            "\" \"",
            "[",
            "a b [ ]",
            "a b [06/Feb/2019:00:00:38 +0000]",
            "é\u{0}\u{1b} [06/Fé/2019:00:00:38 +0000]",
            "a b [0é/Feb/2019:00:00:38 +0000] c d e f g \"h",
            &"\" ".repeat(1000),
            &format!("{prefix}{long_quotes}"),
            &format!("{prefix}é\" 200 - 1 1 1 1 \"é"),
        ] {
            out.clear();
            let _ = S3AccessParser.parse_line(line, "id", &mut out);
        }
    }

    #[test]
    fn recognises_s3_lines_only() {
        assert!(recognise(DOC_1));
        assert!(recognise(&format!("\u{feff}{DOC_1}")));
        for line in SAMPLE.lines() {
            assert!(recognise(line), "{line}");
        }
        for other in [
            // ALB, NLB, CloudFront, VPC Flow Logs (record and header), garbage.
            r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -"#,
            "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 -",
            "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-",
            "#Fields: date time x-edge-location",
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
            "a b [06/Feb/2019:00:00:38 +0000]",
            "a b [06/Feb/2019:00:00:99 +0000] c d e f g h",
            "",
        ] {
            assert!(!recognise(other), "{other}");
        }
    }

    const SAMPLE: &str = include_str!("../../../events/samples/s3_access.log");

    #[test]
    fn every_sample_line_parses() {
        let mut out = Vec::new();
        let mut n = 0;
        for (i, line) in SAMPLE.lines().enumerate() {
            out.clear();
            let outcome = S3AccessParser
                .parse_line(line, "id", &mut out)
                .unwrap_or_else(|e| panic!("sample line {}: {e}", i + 1));
            assert!(matches!(outcome, LineOutcome::Document(t) if t.day() == "2026-11-22"));
            let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
            assert_eq!(doc["bucket"], "amzn-s3-demo-bucket1", "line {}", i + 1);
            assert!(doc.as_object().unwrap().values().all(|v| v != "-"), "line {}", i + 1);
            n += 1;
        }
        assert!((15..=30).contains(&n), "{n} sample lines");
    }

    /// The document of the sample line shown in the schema documentation.
    #[test]
    fn documented_sample_document() {
        let line = SAMPLE.lines().nth(16).unwrap();
        let mut event_id = String::new();
        crate::document::Source::new("events/samples/s3_access.log").event_id(17, &mut event_id);
        let mut raw = Vec::new();
        S3AccessParser.parse_line(line, &event_id, &mut raw).unwrap();
        println!("{}", String::from_utf8_lossy(&raw));
        let doc: Value = serde_json::from_slice(&raw).unwrap();
        let want = json!({
            "@timestamp": "2026-11-22T05:02:40Z",
            "log_type": "s3_access",
            "event_id": "7a85cbcc4277f2d7d3794a96fe6fda53-17",
            "bucket_owner": "5d8b1c0e7f2a4b9c3e6d0a1f8b7c2e4d9a3f6b0c1e8d7a2f5b4c9e0d3a6f1b2c",
            "bucket": "amzn-s3-demo-bucket1",
            "remote_ip": "198.51.100.9",
            "request_id": "2373313019058805",
            "operation": "REST.GET.OBJECT",
            "key": "%22quoted%22.txt",
            "request_verb": "GET",
            "request_url": "/%22quoted%22.txt?x=\"y\"",
            "request_proto": "HTTP/1.1",
            "http_status": 403,
            "error_code": "AccessDenied",
            "bytes_sent": 243,
            "total_time": 5,
            "user_agent": "curl/8.5.0",
            "host_id": "u4nw51qPMxFaxp+vK3m5diEbsTjoX71c2tPuS1DatPR7gExo2qOE1QHROyoGZ4vLONy1ekndzUdY=",
            "cipher_suite": "ECDHE-RSA-AES128-GCM-SHA256",
            "host_header": "amzn-s3-demo-bucket1.s3.us-east-2.amazonaws.com",
            "tls_version": "TLSv1.2",
            "source_region": "us-east-2"
        });
        assert_eq!(doc, want);
    }
}
