//! Amazon API Gateway access logs (REST, HTTP and WebSocket APIs), in JSON or in CLF.
//!
//! Spec: API Gateway Developer Guide, "Access logging for REST APIs"
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html>),
//! "Variables for access logging" (`$context` variables) and "Customize HTTP API access logs"
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html>).
//!
//! The format is chosen by whoever configures the stage. Two shapes are read:
//!
//! **JSON**: one object per line whose keys are the user's, usually the console's templates:
//!
//! ```text
//! { "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId","ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }
//! ```
//!
//! The well-known keys below become typed fields; a key given with a dot (`"error.message"`) may also
//! be written as a nested object (`"error": {"message": …}`). The whole object is also kept as the
//! flat_object field `json`, so keys this table does not know are never lost.
//!
//! **CLF**, as the console's template writes it (the space after `]` is optional, the extended request
//! id may be absent):
//!
//! ```text
//! $context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime]"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId
//! ```
//!
//! | # | JSON key(s) / CLF position | JSON field | type |
//! |---|---|---|---|
//! | 1 | `requestTimeEpoch` (ms, or s when below 10^11), else `requestTime` (`22/Nov/2026:05:00:00 +0000`, converted to UTC) / CLF `[…]` | `@timestamp` | date (required) |
//! | 2 | `requestId` / CLF 8 | `request_id` | string |
//! | 3 | `extendedRequestId` / CLF 9 | `extended_request_id` | string |
//! | 4 | `ip`, `sourceIp`, `identity.sourceIp` / CLF 1 | `source_ip` | IP address |
//! | 5 | `caller`, `identity.caller` / CLF 2 | `caller` | string |
//! | 6 | `user`, `identity.user` / CLF 3 | `user` | string |
//! | 7 | `userAgent`, `identity.userAgent` | `user_agent` | string |
//! | 8 | `httpMethod` / CLF request, 1st word | `http_method` | string |
//! | 9 | `resourcePath` / CLF request middle, when it starts with `/` | `resource_path` | string |
//! | 10 | `path` | `path` | string |
//! | 11 | `routeKey` / CLF request middle, otherwise (`GET /pets`, `$default`) | `route_key` | string |
//! | 12 | `protocol` / CLF request, last word | `http_protocol` | string (not `protocol`: VPC flow logs have an integer `protocol`) |
//! | 13 | `status` / CLF 5 | `status_code` | integer (not `status`: CloudWatch Lambda documents have a string `status`) |
//! | 14 | `responseLength` / CLF 6 | `response_length` | integer |
//! | 15 | `responseLatency` | `response_latency` | integer (ms) |
//! | 16 | `integrationLatency`, `integration.latency` | `integration_latency` | integer (ms) |
//! | 17 | `integrationStatus`, `integration.status` | `integration_status` | integer |
//! | 18 | `integrationErrorMessage`, `integration.error` | `integration_error_message` | string |
//! | 19 | `errorMessage`, `error.message` | `error_message` | string |
//! | 20 | `errorResponseType`, `error.responseType` | `error_response_type` | string |
//! | 21 | `authorizerError`, `authorizer.error` | `authorizer_error` | string |
//! | 22 | `domainName` | `domain_name` | string |
//! | 23 | `apiId` | `api_id` | string |
//! | 24 | `stage` | `stage` | string |
//! | 25 | `accountId` | `account_id` | string |
//! | 26 | `connectionId` | `connection_id` | string |
//! | 27 | `eventType` | `event_type` | string |
//! | 28 | `xrayTraceId` | `xray_trace_id` | string |
//! | 29 | `wafResponseCode` | `waf_response_code` | string |
//! | 30 | the whole JSON object | `json` | flat_object |
//! | 31 | CLF words after the 9th | `extra_fields` | array of strings, as logged |
//! | — | — | `values_truncated` | boolean, `true` when a string inside `json` was cut |
//!
//! Rules:
//! - API Gateway writes `-` for a variable without a value; `-`, `""` and `null` leave the field out.
//! - Integers are accepted as JSON numbers or as strings of digits (`"status":"$context.status"` logs
//!   `"200"`); anything else (`"OK"`, `12.5`) makes the line an error, as does a source IP that is not
//!   an IP address or a time that cannot be read. When several keys feed one field, the first one
//!   with a value wins.
//! - A line without `requestTimeEpoch` or `requestTime` is an error: there is no other time.
//! - `json` follows the flat_object rules of `cloudtrail::json_input::FreeForm`.
//! - The document id is the pipeline's positional id.

use super::cloudtrail::json_input::{get, members, object_members, text, uint, FreeForm, Member, Members};
use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::ObjectWriter;
use crate::timestamp::Timestamp;
use serde_json::value::RawValue;
use std::net::IpAddr;

/// The `log_type` of API Gateway documents.
pub const LOG_TYPE: &str = "apigateway";

/// Parser for API Gateway access log lines, JSON or CLF; keeps a scratch buffer between lines.
#[derive(Debug, Default)]
pub struct ApiGatewayParser {
    free: FreeForm,
}

/// True when `line` looks like an API Gateway access log line: a JSON object with `"requestId"` and
/// `"httpMethod"` or `"routeKey"` (and not a WAF or CloudTrail record, which may hold those keys), or
/// a line that parses as the documented CLF layout.
pub fn recognise(line: &str) -> bool {
    let t = line.strip_prefix('\u{feff}').unwrap_or(line).trim_start();
    if t.starts_with('{') {
        return t.contains("\"requestId\"")
            && (t.contains("\"httpMethod\"") || t.contains("\"routeKey\""))
            && !t.contains("\"webaclId\"")
            && !t.contains("\"eventVersion\"");
    }
    clf(t).is_ok()
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Ip,
}

/// Typed fields of JSON lines: (document field, type, keys in order of preference).
const FIELDS: [(&str, Kind, &[&str]); 28] = [
    ("request_id", Kind::Text, &["requestId"]),
    ("extended_request_id", Kind::Text, &["extendedRequestId"]),
    ("source_ip", Kind::Ip, &["ip", "sourceIp", "identity.sourceIp"]),
    ("caller", Kind::Text, &["caller", "identity.caller"]),
    ("user", Kind::Text, &["user", "identity.user"]),
    ("user_agent", Kind::Text, &["userAgent", "identity.userAgent"]),
    ("http_method", Kind::Text, &["httpMethod"]),
    ("resource_path", Kind::Text, &["resourcePath"]),
    ("path", Kind::Text, &["path"]),
    ("route_key", Kind::Text, &["routeKey"]),
    ("http_protocol", Kind::Text, &["protocol"]),
    ("status_code", Kind::Integer, &["status"]),
    ("response_length", Kind::Integer, &["responseLength"]),
    ("response_latency", Kind::Integer, &["responseLatency"]),
    (
        "integration_latency",
        Kind::Integer,
        &["integrationLatency", "integration.latency"],
    ),
    (
        "integration_status",
        Kind::Integer,
        &["integrationStatus", "integration.status"],
    ),
    (
        "integration_error_message",
        Kind::Text,
        &["integrationErrorMessage", "integration.error"],
    ),
    ("error_message", Kind::Text, &["errorMessage", "error.message"]),
    (
        "error_response_type",
        Kind::Text,
        &["errorResponseType", "error.responseType"],
    ),
    ("authorizer_error", Kind::Text, &["authorizerError", "authorizer.error"]),
    ("domain_name", Kind::Text, &["domainName"]),
    ("api_id", Kind::Text, &["apiId"]),
    ("stage", Kind::Text, &["stage"]),
    ("account_id", Kind::Text, &["accountId"]),
    ("connection_id", Kind::Text, &["connectionId"]),
    ("event_type", Kind::Text, &["eventType"]),
    ("xray_trace_id", Kind::Text, &["xrayTraceId"]),
    ("waf_response_code", Kind::Text, &["wafResponseCode"]),
];

/// The CLF fields every line has: source IP, caller, user, time, request, status, length, request id.
const CLF_REQUIRED: usize = 8;

impl LineParser for ApiGatewayParser {
    fn log_type(&self) -> &'static str {
        LOG_TYPE
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let t = line.strip_prefix('\u{feff}').unwrap_or(line);
        if t.trim_start().starts_with(['{', '[']) {
            self.json_line(t, event_id, out)
        } else {
            let clf = clf(t.trim_start())?;
            clf.write(out, event_id);
            Ok(LineOutcome::Document(clf.time))
        }
    }
}

impl ApiGatewayParser {
    fn json_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let members = object_members(line, "an API Gateway JSON access log line")?;
        let timestamp = json_time(&members)?;
        self.free.start_document();
        let mut w = begin_document(out, &timestamp, LOG_TYPE, event_id);
        for (doc, kind, keys) in FIELDS {
            for key in keys {
                if write_typed(&mut w, &members, doc, kind, key)? {
                    break;
                }
            }
        }
        self.free.write_members(&mut w, "json", &members, &[])?;
        if self.free.truncated() {
            w.bool("values_truncated", true);
        }
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// The value of `key`: a member of that exact name, or for `a.b` member `b` of object `a`.
fn lookup<'a>(members: &[Member<'a>], key: &str) -> Option<&'a RawValue> {
    if let Some(v) = get(members, key) {
        return Some(v);
    }
    let (head, tail) = key.split_once('.')?;
    let inner = get(members, head)?;
    if !inner.get().starts_with('{') {
        return None;
    }
    let inner: Members<'a> = members_of(inner)?;
    get(&inner, tail)
}

fn members_of(raw: &RawValue) -> Option<Members<'_>> {
    members(raw.get()).ok()
}

/// Writes field `doc` from `key` when it has a value; true when it did.
fn write_typed(
    w: &mut ObjectWriter<'_>,
    members: &[Member<'_>],
    doc: &str,
    kind: Kind,
    key: &'static str,
) -> Result<bool, ParseError> {
    let Some(raw) = lookup(members, key) else {
        return Ok(false);
    };
    match kind {
        Kind::Text => match text(raw, key)? {
            Some(s) => w.str(doc, &s),
            None => return Ok(false),
        },
        Kind::Integer => match uint(raw, key)? {
            Some(n) => w.u64(doc, n),
            None => return Ok(false),
        },
        Kind::Ip => match text(raw, key)? {
            Some(ip) if ip.parse::<IpAddr>().is_ok() => w.str(doc, &ip),
            Some(ip) => return Err(ParseError::invalid(key, "an IP address", &ip)),
            None => return Ok(false),
        },
    }
    Ok(true)
}

/// `@timestamp` of a JSON line: `requestTimeEpoch`, else `requestTime`.
fn json_time(members: &[Member<'_>]) -> Result<Timestamp, ParseError> {
    if let Some(raw) = get(members, "requestTimeEpoch") {
        if let Some(n) = uint(raw, "requestTimeEpoch")? {
            return epoch(n).ok_or_else(|| {
                ParseError::invalid(
                    "requestTimeEpoch",
                    "epoch milliseconds or seconds within years 0000-9999",
                    raw.get(),
                )
            });
        }
    }
    const EXPECTED: &str = "a CLF time (dd/MMM/yyyy:HH:mm:ss +hhmm)";
    match get(members, "requestTime")
        .map(|raw| text(raw, "requestTime"))
        .transpose()?
        .flatten()
    {
        Some(s) => clf_time(&s)
            .or_else(|| Timestamp::parse_rfc3339_utc(&s))
            .ok_or_else(|| ParseError::invalid("requestTime", EXPECTED, &s)),
        None => Err(ParseError::invalid("requestTime", EXPECTED, "(missing)")),
    }
}

/// Epoch milliseconds, or seconds when below 10^11 (10^11 ms is March 1973; 10^11 s is year 5138).
fn epoch(n: u64) -> Option<Timestamp> {
    const MS_THRESHOLD: u64 = 100_000_000_000;
    if n >= MS_THRESHOLD {
        return Timestamp::from_epoch_millis(i64::try_from(n).ok()?);
    }
    from_epoch_seconds(i64::try_from(n).ok()?)
}

/// Seconds since the epoch, at second precision (`2026-11-22T05:00:00Z`).
fn from_epoch_seconds(secs: i64) -> Option<Timestamp> {
    let ms = Timestamp::from_epoch_millis(secs.checked_mul(1000)?)?;
    let s = ms.as_str();
    Timestamp::from_date_and_time(s.get(..10)?, s.get(11..19)?)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A CLF time, `dd/MMM/yyyy:HH:mm:ss +hhmm`, converted to UTC at second precision.
fn clf_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.as_bytes() == &b[3..6])? + 1;
    let date = format!("{}-{month:02}-{}", s.get(7..11)?, s.get(0..2)?);
    let utc = Timestamp::from_date_and_time(&date, s.get(12..20)?)?;
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = s.get(22..26)?;
    if !digits.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let (hh, mm): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    if hh > 23 || mm > 59 {
        return None;
    }
    let offset = sign * (hh * 3600 + mm * 60);
    if offset == 0 {
        return Some(utc);
    }
    let (year, month, day) = (s.get(7..11)?.parse().ok()?, month as i64, s.get(0..2)?.parse().ok()?);
    let (h, m, sec): (i64, i64, i64) = (
        s.get(12..14)?.parse().ok()?,
        s.get(15..17)?.parse().ok()?,
        s.get(18..20)?.parse().ok()?,
    );
    let local = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec;
    from_epoch_seconds(local - offset)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A CLF line, read and checked.
#[derive(Debug)]
struct Clf<'a> {
    source_ip: Option<&'a str>,
    caller: Option<&'a str>,
    user: Option<&'a str>,
    time: Timestamp,
    method: Option<&'a str>,
    target: Option<&'a str>,
    protocol: Option<&'a str>,
    status: Option<u64>,
    response_length: Option<u64>,
    request_id: Option<&'a str>,
    extended_request_id: Option<&'a str>,
    extra: Vec<&'a str>,
}

fn non_dash(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

/// Splits off the next space-separated word.
fn word<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let s = rest.trim_start_matches(' ');
    if s.is_empty() {
        *rest = s;
        return None;
    }
    let end = s.find(' ').unwrap_or(s.len());
    let (w, r) = s.split_at(end);
    *rest = r;
    Some(w)
}

fn clf_integer(field: &'static str, value: &str) -> Result<Option<u64>, ParseError> {
    match non_dash(value) {
        None => Ok(None),
        Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => v
            .parse()
            .map(Some)
            .map_err(|_| ParseError::invalid(field, "an integer", v)),
        Some(v) => Err(ParseError::invalid(field, "an integer", v)),
    }
}

/// Reads a CLF line (see the module docs).
fn clf(line: &str) -> Result<Clf<'_>, ParseError> {
    let mut rest = line;
    let too_few = |found| ParseError::TooFewFields {
        expected: CLF_REQUIRED,
        found,
    };
    let source_ip = word(&mut rest).ok_or(too_few(0))?;
    let caller = word(&mut rest).ok_or(too_few(1))?;
    let user = word(&mut rest).ok_or(too_few(2))?;
    let source_ip = non_dash(source_ip);
    if let Some(ip) = source_ip {
        if ip.parse::<IpAddr>().is_err() {
            return Err(ParseError::invalid("sourceIp", "an IP address", ip));
        }
    }

    const TIME: &str = "a CLF time in brackets ([dd/MMM/yyyy:HH:mm:ss +hhmm])";
    let after = rest.trim_start_matches(' ');
    if after.is_empty() {
        return Err(too_few(3));
    }
    let Some(bracketed) = after.strip_prefix('[') else {
        return Err(ParseError::invalid("requestTime", TIME, after));
    };
    let close = bracketed
        .find(']')
        .ok_or_else(|| ParseError::invalid("requestTime", TIME, after))?;
    let time_text = &bracketed[..close];
    let time = clf_time(time_text).ok_or_else(|| ParseError::invalid("requestTime", TIME, time_text))?;

    let after = bracketed[close + 1..].trim_start_matches(' ');
    if after.is_empty() {
        return Err(too_few(4));
    }
    let Some(quoted) = after.strip_prefix('"') else {
        return Err(ParseError::invalid("request", "a quoted request line", after));
    };
    let bytes = quoted.as_bytes();
    let close = (0..bytes.len())
        .find(|&i| bytes[i] == b'"' && (i + 1 == bytes.len() || bytes[i + 1] == b' '))
        .ok_or(ParseError::UnterminatedQuote { field: "request" })?;
    let request = &quoted[..close];
    rest = &quoted[close + 1..];

    let mut words = Vec::new();
    while let Some(w) = word(&mut rest) {
        words.push(w);
    }
    let [status, length, request_id, tail @ ..] = words.as_slice() else {
        return Err(too_few(5 + words.len()));
    };
    if request_id.starts_with('"') {
        return Err(ParseError::invalid("requestId", "a request id", request_id));
    }
    let (method, target, protocol) = split_request(request);
    Ok(Clf {
        source_ip,
        caller: non_dash(caller),
        user: non_dash(user),
        time,
        method,
        target,
        protocol,
        status: clf_integer("status", status)?,
        response_length: clf_integer("responseLength", length)?,
        request_id: non_dash(request_id),
        extended_request_id: tail.first().and_then(|w| non_dash(w)),
        extra: tail.iter().skip(1).copied().collect(),
    })
}

/// `METHOD TARGET PROTOCOL`, split at the first and last space (an HTTP API route key holds a space).
fn split_request(req: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    match (req.find(' '), req.rfind(' ')) {
        (Some(first), Some(last)) if first < last => (
            non_dash(&req[..first]),
            non_dash(&req[first + 1..last]),
            non_dash(&req[last + 1..]),
        ),
        (Some(first), _) => (non_dash(&req[..first]), non_dash(&req[first + 1..]), None),
        _ => (non_dash(req), None, None),
    }
}

impl Clf<'_> {
    fn write(&self, out: &mut Vec<u8>, event_id: &str) {
        let mut w = begin_document(out, &self.time, LOG_TYPE, event_id);
        w.opt_str("request_id", self.request_id);
        w.opt_str("extended_request_id", self.extended_request_id);
        w.opt_str("source_ip", self.source_ip);
        w.opt_str("caller", self.caller);
        w.opt_str("user", self.user);
        w.opt_str("http_method", self.method);
        match self.target {
            Some(t) if t.starts_with('/') => w.str("resource_path", t),
            Some(t) => w.str("route_key", t),
            None => {}
        }
        w.opt_str("http_protocol", self.protocol);
        w.opt_u64("status_code", self.status);
        w.opt_u64("response_length", self.response_length);
        if !self.extra.is_empty() {
            w.str_array("extra_fields", self.extra.iter().copied());
        }
        w.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Result<Value, ParseError> {
        let mut out = Vec::new();
        let outcome = ApiGatewayParser::default().parse_line(line, "id-1", &mut out)?;
        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
        let ts = Timestamp::parse_rfc3339_utc(doc["@timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(outcome, LineOutcome::Document(ts));
        Ok(doc)
    }

    /// The console's REST JSON template, as API Gateway fills it in (every value a string).
    const REST_JSON: &str = r#"{ "requestId":"c0a8ff3e-58b1-4f1e-9a6c-3b2d1e0f9a8b", "extendedRequestId":"Xq7Zk3m9oAMEbQw=","ip": "203.0.113.12", "caller":"-", "user":"-", "requestTime":"22/Nov/2026:05:00:00 +0000", "httpMethod":"GET", "resourcePath":"/pets/{petId}", "status":"200", "protocol":"HTTP/1.1", "responseLength":"1234" }"#;

    fn rest_doc() -> Value {
        json!({
            "@timestamp": "2026-11-22T05:00:00Z", "log_type": "apigateway", "event_id": "id-1",
            "request_id": "c0a8ff3e-58b1-4f1e-9a6c-3b2d1e0f9a8b", "extended_request_id": "Xq7Zk3m9oAMEbQw=",
            "source_ip": "203.0.113.12", "http_method": "GET", "resource_path": "/pets/{petId}",
            "http_protocol": "HTTP/1.1", "status_code": 200, "response_length": 1234,
            "json": {
                "requestId": "c0a8ff3e-58b1-4f1e-9a6c-3b2d1e0f9a8b", "extendedRequestId": "Xq7Zk3m9oAMEbQw=",
                "ip": "203.0.113.12", "caller": "-", "user": "-", "requestTime": "22/Nov/2026:05:00:00 +0000",
                "httpMethod": "GET", "resourcePath": "/pets/{petId}", "status": "200", "protocol": "HTTP/1.1",
                "responseLength": "1234"
            }
        })
    }

    /// The console's CLF template, as API Gateway fills it in (no space after `]`).
    const REST_CLF: &str = r#"203.0.113.12 - - [22/Nov/2026:05:00:00 +0000]"GET /pets/{petId} HTTP/1.1" 200 1234 c0a8ff3e-58b1-4f1e-9a6c-3b2d1e0f9a8b Xq7Zk3m9oAMEbQw="#;

    fn clf_doc() -> Value {
        json!({
            "@timestamp": "2026-11-22T05:00:00Z", "log_type": "apigateway", "event_id": "id-1",
            "request_id": "c0a8ff3e-58b1-4f1e-9a6c-3b2d1e0f9a8b", "extended_request_id": "Xq7Zk3m9oAMEbQw=",
            "source_ip": "203.0.113.12", "http_method": "GET", "resource_path": "/pets/{petId}",
            "http_protocol": "HTTP/1.1", "status_code": 200, "response_length": 1234
        })
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_rest_json_template", REST_JSON.to_owned(), rest_doc()),
            (
                "documented_http_api_json_template_numbers",
                r#"{"requestId":"JKJaXmPLvHcESHA=","ip":"192.0.2.10","requestTime":"22/Nov/2026:05:03:41 +0000","httpMethod":"POST","routeKey":"POST /orders","status":201,"protocol":"HTTP/1.1","responseLength":58}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:03:41Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "JKJaXmPLvHcESHA=", "source_ip": "192.0.2.10", "http_method": "POST",
                    "route_key": "POST /orders", "http_protocol": "HTTP/1.1", "status_code": 201, "response_length": 58,
                    "json": {"requestId":"JKJaXmPLvHcESHA=","ip":"192.0.2.10","requestTime":"22/Nov/2026:05:03:41 +0000","httpMethod":"POST","routeKey":"POST /orders","status":201,"protocol":"HTTP/1.1","responseLength":58}
                }),
            ),
            (
                "request_time_epoch_ms_wins_over_request_time",
                REST_JSON.replace(r#""user":"-","#, r#""user":"-", "requestTimeEpoch":1795323600123,"#),
                with(rest_doc(), json!({
                    "@timestamp": "2026-11-22T05:00:00.123Z",
                    "json": with(rest_doc()["json"].clone(), json!({"requestTimeEpoch": 1795323600123u64}))
                })),
            ),
            (
                "request_time_epoch_seconds_as_string",
                r#"{"requestId":"r1","httpMethod":"GET","requestTimeEpoch":"1795323600"}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:00Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "r1", "http_method": "GET",
                    "json": {"requestId":"r1","httpMethod":"GET","requestTimeEpoch":"1795323600"}
                }),
            ),
            (
                "request_time_with_offset_converted_to_utc",
                REST_JSON.replace("22/Nov/2026:05:00:00 +0000", "22/Nov/2026:00:30:00 -0430"),
                with(rest_doc(), json!({
                    "json": with(rest_doc()["json"].clone(), json!({"requestTime": "22/Nov/2026:00:30:00 -0430"}))
                })),
            ),
            (
                "dashes_absent_and_error_fields",
                r#"{"requestId":"r2","ip":"-","requestTime":"22/Nov/2026:05:07:09 +0000","httpMethod":"GET","resourcePath":"/admin","status":"403","responseLength":"-","integrationLatency":"-","responseLatency":"4","errorMessage":"Forbidden","error":{"responseType":"WAF_FILTERED"},"integration":{"status":"-","error":"-"},"wafResponseCode":"WAF_BLOCK"}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:07:09Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "r2", "http_method": "GET", "resource_path": "/admin", "status_code": 403,
                    "response_latency": 4, "error_message": "Forbidden", "error_response_type": "WAF_FILTERED",
                    "waf_response_code": "WAF_BLOCK",
                    "json": {"requestId":"r2","ip":"-","requestTime":"22/Nov/2026:05:07:09 +0000","httpMethod":"GET","resourcePath":"/admin","status":"403","responseLength":"-","integrationLatency":"-","responseLatency":"4","errorMessage":"Forbidden","error":{"responseType":"WAF_FILTERED"},"integration":{"status":"-","error":"-"},"wafResponseCode":"WAF_BLOCK"}
                }),
            ),
            (
                "nested_identity_and_dotted_keys",
                r#"{"requestId":"r3","identity":{"sourceIp":"2001:db8::1","userAgent":"curl/8.5.0"},"integration.latency":"31","integrationLatency":"-","requestTime":"22/Nov/2026:05:12:30 +0000","httpMethod":"DELETE","path":"/prod/orders/7","stage":"prod","apiId":"a1b2c3d4e5","domainName":"api.example.com","accountId":"123456789012","authorizer":{"error":"Unauthorized"}}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:12:30Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "r3", "source_ip": "2001:db8::1", "user_agent": "curl/8.5.0", "http_method": "DELETE",
                    "path": "/prod/orders/7", "integration_latency": 31, "authorizer_error": "Unauthorized",
                    "domain_name": "api.example.com", "api_id": "a1b2c3d4e5", "stage": "prod", "account_id": "123456789012",
                    "json": {"requestId":"r3","identity":{"sourceIp":"2001:db8::1","userAgent":"curl/8.5.0"},"integration.latency":"31","integrationLatency":"-","requestTime":"22/Nov/2026:05:12:30 +0000","httpMethod":"DELETE","path":"/prod/orders/7","stage":"prod","apiId":"a1b2c3d4e5","domainName":"api.example.com","accountId":"123456789012","authorizer":{"error":"Unauthorized"}}
                }),
            ),
            (
                "websocket_template",
                r#"{"requestId":"QWE=","ip":"198.51.100.4","caller":"-","user":"-","requestTime":"22/Nov/2026:05:15:02 +0000","eventType":"CONNECT","routeKey":"$connect","status":"200","connectionId":"L1dWxcVjoAMCKvQ="}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:15:02Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "QWE=", "source_ip": "198.51.100.4", "route_key": "$connect", "status_code": 200,
                    "connection_id": "L1dWxcVjoAMCKvQ=", "event_type": "CONNECT",
                    "json": {"requestId":"QWE=","ip":"198.51.100.4","caller":"-","user":"-","requestTime":"22/Nov/2026:05:15:02 +0000","eventType":"CONNECT","routeKey":"$connect","status":"200","connectionId":"L1dWxcVjoAMCKvQ="}
                }),
            ),
            (
                "huge_unknown_nested_authorizer_claims",
                REST_JSON.replace(
                    r#""caller":"-","#,
                    &format!(r#""claims":{{"groups":["a","b"],"sub":null,"deep":{}}},"caller":"-","#, "[".repeat(50) + "1" + &"]".repeat(50)),
                ),
                with(rest_doc(), json!({
                    "json": with(rest_doc()["json"].clone(), json!({
                        "claims": {"groups": ["a", "b"], "deep": serde_json::from_str::<Value>(&("[".repeat(50) + "1" + &"]".repeat(50))).unwrap()}
                    }))
                })),
            ),
            ("documented_clf_template", REST_CLF.to_owned(), clf_doc()),
            (
                "older_clf_with_space_and_no_extended_id",
                "203.0.113.12 - - [22/Nov/2026:05:00:00 +0000] \"GET /pets/{petId} HTTP/1.1\" 200 1234 c0a8ff3e-58b1-4f1e-9a6c-3b2d1e0f9a8b".into(),
                with(clf_doc(), json!({"extended_request_id": null})),
            ),
            (
                "clf_http_api_route_key_with_space_and_dashes",
                "192.0.2.10 - - [22/Nov/2026:06:00:00 +0100] \"POST POST /orders HTTP/1.1\" 201 - JKJaXmPLvHcESHA= -".into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:00Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "JKJaXmPLvHcESHA=", "source_ip": "192.0.2.10", "http_method": "POST",
                    "route_key": "POST /orders", "http_protocol": "HTTP/1.1", "status_code": 201
                }),
            ),
            (
                "clf_iam_caller_and_trailing_fields",
                "2001:db8::5 AIDACKCEVSQ6C2EXAMPLE arn:aws:iam::123456789012:user/maria [22/Nov/2026:05:21:47 +0000]\"PUT /orders/{id} HTTP/2.0\" 504 36 r9 ext9 29 extra".into(),
                json!({
                    "@timestamp": "2026-11-22T05:21:47Z", "log_type": "apigateway", "event_id": "id-1",
                    "request_id": "r9", "extended_request_id": "ext9", "source_ip": "2001:db8::5",
                    "caller": "AIDACKCEVSQ6C2EXAMPLE", "user": "arn:aws:iam::123456789012:user/maria",
                    "http_method": "PUT", "resource_path": "/orders/{id}", "http_protocol": "HTTP/2.0", "status_code": 504,
                    "response_length": 36, "extra_fields": ["29", "extra"]
                }),
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
        const CLF_TIME: &str = "a CLF time in brackets ([dd/MMM/yyyy:HH:mm:ss +hhmm])";
        let cases: Vec<(&str, String, ParseError)> = vec![
            (
                "no_time_at_all",
                r#"{"requestId":"r","httpMethod":"GET","status":"200"}"#.into(),
                ParseError::invalid("requestTime", "a CLF time (dd/MMM/yyyy:HH:mm:ss +hhmm)", "(missing)"),
            ),
            (
                "unreadable_request_time",
                REST_JSON.replace("22/Nov/2026:05:00:00 +0000", "22/Foo/2026:05:00:00 +0000"),
                ParseError::invalid("requestTime", "a CLF time (dd/MMM/yyyy:HH:mm:ss +hhmm)", "22/Foo/2026:05:00:00 +0000"),
            ),
            (
                "request_time_epoch_not_a_number",
                REST_JSON.replace(r#""user":"-","#, r#""user":"-","requestTimeEpoch":"yesterday","#),
                ParseError::invalid("requestTimeEpoch", "a non-negative integer", "\"yesterday\""),
            ),
            (
                "status_not_an_integer",
                REST_JSON.replace(r#""status":"200""#, r#""status":"OK""#),
                ParseError::invalid("status", "a non-negative integer", "\"OK\""),
            ),
            (
                "latency_with_fraction",
                REST_JSON.replace(r#""status":"200""#, r#""status":"200","responseLatency":12.5"#),
                ParseError::invalid("responseLatency", "a non-negative integer", "12.5"),
            ),
            (
                "source_ip_not_an_ip",
                REST_JSON.replace("203.0.113.12", "localhost"),
                ParseError::invalid("ip", "an IP address", "localhost"),
            ),
            (
                "http_method_an_object",
                REST_JSON.replace(r#""httpMethod":"GET""#, r#""httpMethod":{"v":"GET"}"#),
                ParseError::invalid("httpMethod", "a string", r#"{"v":"GET"}"#),
            ),
            (
                "json_array_instead_of_object",
                format!("[{REST_JSON}]"),
                ParseError::InvalidPayload {
                    reason: "an API Gateway JSON access log line must be a JSON object: invalid type: sequence, expected a JSON object at line 1 column 0".into(),
                },
            ),
            (
                "invalid_json",
                r#"{"requestId":"r","status":200,}"#.into(),
                ParseError::InvalidPayload {
                    reason: "an API Gateway JSON access log line must be a JSON object: trailing comma at line 1 column 31".into(),
                },
            ),
            (
                "clf_too_few_fields",
                "203.0.113.12 - - [22/Nov/2026:05:00:00 +0000]\"GET / HTTP/1.1\" 200 1234".into(),
                ParseError::TooFewFields { expected: 8, found: 7 },
            ),
            (
                "clf_bad_time",
                REST_CLF.replace("+0000]", "UTC]"),
                ParseError::invalid("requestTime", CLF_TIME, "22/Nov/2026:05:00:00 UTC"),
            ),
            (
                "clf_unterminated_request",
                "203.0.113.12 - - [22/Nov/2026:05:00:00 +0000] \"GET /pets HTTP/1.1 200 1234 r".into(),
                ParseError::UnterminatedQuote { field: "request" },
            ),
            (
                "clf_status_not_a_number",
                REST_CLF.replace(" 200 ", " 2OO "),
                ParseError::invalid("status", "an integer", "2OO"),
            ),
            (
                "apache_combined_log_is_not_api_gateway",
                "203.0.113.12 - - [22/Nov/2026:05:00:00 +0000] \"GET / HTTP/1.1\" 200 1234 \"-\" \"curl/8.5.0\"".into(),
                ParseError::invalid("requestId", "a request id", "\"-\""),
            ),
            (
                "alb_line_is_not_api_gateway",
                "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\"".into(),
                ParseError::invalid("sourceIp", "an IP address", "http"),
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = ApiGatewayParser::default().parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn clf_times() {
        for (text, want) in [
            ("22/Nov/2026:05:00:00 +0000", Some("2026-11-22T05:00:00Z")),
            ("01/Jan/2027:01:30:00 +0200", Some("2026-12-31T23:30:00Z")),
            ("28/Feb/2024:23:00:00 -0130", Some("2024-02-29T00:30:00Z")),
            ("31/Nov/2026:05:00:00 +0000", None),
            ("22/nov/2026:05:00:00 +0000", None),
            ("22/Nov/2026:05:00:00 +2400", None),
            ("22/Nov/2026 05:00:00 +0000", None),
            ("2/Nov/2026:05:00:00 +0000", None),
            ("22/Nov/2026:05:00:00 +0000 ", None),
        ] {
            assert_eq!(clf_time(text).map(|t| t.as_str().to_owned()).as_deref(), want, "{text}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(epoch(1_795_323_600).unwrap().as_str(), "2026-11-22T05:00:00Z");
        assert_eq!(epoch(1_795_323_600_123).unwrap().as_str(), "2026-11-22T05:00:00.123Z");
        assert!(epoch(u64::MAX).is_none());
        assert_eq!(
            epoch(99_999_999_999).unwrap().as_str(),
            "5138-11-16T09:46:39Z",
            "seconds below 10^11"
        );
    }

    #[test]
    fn recognition() {
        for yes in [
            REST_JSON,
            REST_CLF,
            r#"{"requestId":"x","routeKey":"$default","requestTime":"22/Nov/2026:05:00:00 +0000"}"#,
            "203.0.113.12 - - [22/Nov/2026:05:00:00 +0000] \"GET /pets HTTP/1.1\" 200 1234 r",
        ] {
            assert!(recognise(yes), "{yes}");
        }
        for no in [
            "",
            "{}",
            r#"{"timestamp":1,"webaclId":"w","terminatingRuleId":"t","httpRequest":{"requestId":"x","httpMethod":"GET"}}"#,
            r#"{"eventVersion":"1.08","eventSource":"apigateway.amazonaws.com","requestParameters":{"requestId":"x","httpMethod":"GET"}}"#,
            "203.0.113.12 - - [22/Nov/2026:05:00:00 +0000] \"GET / HTTP/1.1\" 200 1234 \"-\" \"curl/8.5.0\"",
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" -",
            "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET",
        ] {
            assert!(!recognise(no), "{no}");
        }
    }

    const SAMPLE: &str = include_str!("../../../events/samples/apigateway.log");

    /// Auto-detection can ask each recogniser in turn: every sample line of the three JSON-era formats
    /// is recognised by its own format only.
    #[test]
    fn samples_are_recognised_by_their_own_format_only() {
        let waf = include_str!("../../../events/samples/waf.log");
        let cloudtrail = include_str!("../../../events/samples/cloudtrail.json");
        let samples = [("apigateway", SAMPLE), ("waf", waf), ("cloudtrail", cloudtrail)];
        for (format, text) in samples {
            for (i, line) in text.lines().enumerate() {
                let got: Vec<&str> = [
                    ("apigateway", recognise(line)),
                    ("waf", super::super::waf::recognise(line)),
                    ("cloudtrail", super::super::cloudtrail::recognise(line)),
                ]
                .into_iter()
                .filter_map(|(name, yes)| yes.then_some(name))
                .collect();
                assert_eq!(got, vec![format], "{format} sample line {}", i + 1);
            }
        }
    }

    #[test]
    fn every_sample_line_parses() {
        let mut parser = ApiGatewayParser::default();
        let (mut json_lines, mut clf_lines) = (0, 0);
        for (i, line) in SAMPLE.lines().enumerate() {
            assert!(recognise(line), "line {}", i + 1);
            let mut out = Vec::new();
            let outcome = parser
                .parse_line(line, "id", &mut out)
                .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            let doc: Value = serde_json::from_slice(&out).unwrap();
            assert!(matches!(outcome, LineOutcome::Document(ts) if ts.as_str().starts_with("2026-11-22T")));
            assert!(doc["request_id"].is_string(), "line {}", i + 1);
            for (k, v) in doc.as_object().unwrap() {
                assert_ne!(v, "-", "line {} field {k}", i + 1);
            }
            if doc.get("json").is_some() {
                json_lines += 1;
            } else {
                clf_lines += 1;
            }
        }
        assert_eq!((json_lines, clf_lines), (5, 3));
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = Vec::new();
        let mut p = ApiGatewayParser::default();
        for line in [
            "{",
            "\"",
            "[",
            " ",
            "- - -",
            "- - - [",
            "- - - []",
            "- - - [22/Nov/2026:05:00:00 +0000]",
            "- - - [22/Nov/2026:05:00:00 +0000]\"",
            "- - - [22/Nov/2026:05:00:00 +0000]\"\"",
            "- - - [22/Nov/2026:05:00:00 +0000]\"\" - - -",
            "- - - [é2/Nov/2026:05:00:00 +0000]\"\" - - -",
            "- - - [22/Nov/2026:05:00:00 +é000]\"\" - - -",
            "{\"requestTime\":\"22/Nov/2026:05:00:00 +0000\",\"error\":[1],\"identity\":\"x\"}",
            "{\"requestTimeEpoch\":99999999999999999999}",
            &"{\"a\":".repeat(5000),
        ] {
            out.clear();
            let _ = p.parse_line(line, "id", &mut out);
            let _ = recognise(line);
        }
    }
}
