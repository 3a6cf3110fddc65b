//! Classic Load Balancer access logs (HTTP, HTTPS, TCP and SSL listeners).
//!
//! Spec: Elastic Load Balancing User Guide for Classic Load Balancers, "Access log entries"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html>).
//! One entry per line, fields separated by spaces, `request` and `user_agent` quoted. Examples (an
//! HTTP listener, then a TCP listener, which has no HTTP fields):
//!
//! ```text
//! 2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -
//! 2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -
//! ```
//!
//! | # | AWS field | JSON field(s) | type |
//! |---|---|---|---|
//! | 1 | `timestamp` | `@timestamp` (kept as written, µs precision) | date |
//! | 2 | `elb` | `elb` | string |
//! | 3 | `client:port` | `client_ip`, `client_port` | string, integer |
//! | 4 | `backend:port` | `backend_ip`, `backend_port` | string, integer |
//! | 5 | `request_processing_time` | `request_processing_time` | number (s; `-1` kept) |
//! | 6 | `backend_processing_time` | `backend_processing_time` | number (s; `-1` kept) |
//! | 7 | `response_processing_time` | `response_processing_time` | number (s; `-1` kept) |
//! | 8 | `elb_status_code` | `elb_status_code` | integer |
//! | 9 | `backend_status_code` | `backend_status_code` | integer |
//! | 10 | `received_bytes` | `received_bytes` | integer (0–2^63-1) |
//! | 11 | `sent_bytes` | `sent_bytes` | integer (0–2^63-1) |
//! | 12 | `"request"` | `request_verb`, `request_url`, `request_proto` | strings |
//! | 13 | `"user_agent"` | `user_agent` | string |
//! | 14 | `ssl_cipher` | `ssl_cipher` | string |
//! | 15 | `ssl_protocol` | `ssl_protocol` | string |
//! | 16+ | fields AWS appends later | `extra_fields` | array of strings, as logged |
//!
//! Rules:
//! - A line needs the first 12 fields (through `request`); `user_agent`, `ssl_cipher` and
//!   `ssl_protocol` were added to the format later, and lines written before them lack them.
//!   Fields past the 15th are kept, unnamed, in `extra_fields`.
//! - `-` (quoted or not) means absent: the field is left out. TCP and SSL listeners log `-` for
//!   the status codes and `"- - - "` (with a trailing space) as the request: no request fields.
//! - The request is split at its first and last space, so raw spaces inside the URI survive.
//! - `timestamp` must be ISO 8601 UTC (`Z` may be missing; UTC is assumed). `elb` must be a
//!   Classic Load Balancer name (1–32 letters, digits and hyphens) and `client:port` an IP
//!   address and port: so ALB, NLB and ALB connection log lines are errors here, not documents.
//! - `ip:port` is split at the last colon: ELB writes IPv6 addresses without brackets.
//! - A value that does not have its documented type makes the line an error document.
//!
//! The helpers at the end of this module (`iso_utc`, `write_ip_port`, …) are shared with the
//! other ELB formats, [`super::nlb`] and [`super::alb_conn`].

use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::{is_json_number, ObjectWriter};
use crate::timestamp::Timestamp;
pub(super) use crate::tokenize::is_ip;
use crate::tokenize::{non_dash, parse_uint, read_fields, split_host_port, MAX_LONG, MAX_PORT};

/// Fields every Classic ELB line has (through `request`).
pub const REQUIRED_FIELDS: usize = 12;
/// Fields documented today (through `ssl_protocol`).
pub const KNOWN_FIELDS: usize = 15;

/// Names of the known fields by position, used in error messages.
const NAMES: [&str; KNOWN_FIELDS] = [
    "timestamp",
    "elb",
    "client:port",
    "backend:port",
    "request_processing_time",
    "backend_processing_time",
    "response_processing_time",
    "elb_status_code",
    "backend_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
];

/// Longest Classic Load Balancer name.
const MAX_NAME: usize = 32;

/// Parser for Classic ELB access log lines. Stateless: every line stands alone.
#[derive(Debug, Default)]
pub struct ClbParser;

impl LineParser for ClbParser {
    fn log_type(&self) -> &'static str {
        "clb"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let (f, count, mut tokens) = read_fields(line, &NAMES, REQUIRED_FIELDS)?;
        let timestamp =
            iso_utc(f[0].text).ok_or_else(|| ParseError::invalid("timestamp", "an ISO 8601 UTC time", f[0].text))?;
        if !is_clb_name(f[1].text) {
            return Err(ParseError::invalid("elb", "a Classic Load Balancer name", f[1].text));
        }
        let v = |i: usize| if i < count { non_dash(f[i].text) } else { None };

        let mut w = begin_document(out, &timestamp, "clb", event_id);
        w.str("elb", f[1].text);
        write_ip_port(&mut w, "client:port", "client_ip", "client_port", v(2))?;
        write_ip_port(&mut w, "backend:port", "backend_ip", "backend_port", v(3))?;
        for (i, name) in NAMES.iter().enumerate().take(7).skip(4) {
            write_number(&mut w, name, v(i))?;
        }
        write_status(&mut w, "elb_status_code", v(7))?;
        write_status(&mut w, "backend_status_code", v(8))?;
        write_uint(&mut w, "received_bytes", v(9))?;
        write_uint(&mut w, "sent_bytes", v(10))?;
        write_request(&mut w, v(11));
        w.opt_str("user_agent", v(12));
        w.opt_str("ssl_cipher", v(13));
        w.opt_str("ssl_protocol", v(14));
        // Fewer fields than known: the tokenizer is at the end and nothing is written.
        crate::tokenize::write_extra_fields(&mut w, &mut tokens)?;
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// True when `line` looks like a Classic ELB access log entry: an ISO 8601 UTC time, a Classic
/// Load Balancer name, the client's `ip:port` and the backend's `ip:port` or `-`. Cheap (looks at
/// the first four fields only) and strict: ALB, NLB, ALB connection, CloudFront and S3 access
/// log lines do not match.
pub fn recognise(line: &str) -> bool {
    let mut words = line.split(' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(time), Some(elb), Some(client), Some(backend)) => {
            is_clb_name(elb)
                && ip_port(client).is_some()
                && (backend == "-" || ip_port(backend).is_some())
                && iso_utc(time).is_some()
        }
        _ => false,
    }
}

/// A Classic Load Balancer name: 1–32 ASCII letters, digits and hyphens.
fn is_clb_name(s: &str) -> bool {
    (1..=MAX_NAME).contains(&s.len()) && s != "-" && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `METHOD URL PROTOCOL`, split at the first and last space, so raw spaces inside the URL survive;
/// `-` or empty parts are left out, and `- - -` (a TCP listener, a TLS handshake failure; Classic
/// ELB adds a trailing space) gives no request fields. Shared by the ALB, Classic ELB and S3 access
/// log parsers.
pub(super) fn write_request(w: &mut ObjectWriter<'_>, value: Option<&str>) {
    let Some(req) = value else { return };
    if req.trim_end_matches(' ') == "- - -" {
        return;
    }
    let (verb, url, proto) = match (req.find(' '), req.rfind(' ')) {
        (Some(first), Some(last)) if first < last => (req.get(..first), req.get(first + 1..last), req.get(last + 1..)),
        (Some(first), _) => (req.get(..first), req.get(first + 1..), None),
        _ => (None, Some(req), None),
    };
    w.opt_str("request_verb", verb.and_then(non_empty_non_dash));
    w.opt_str("request_url", url.and_then(non_empty_non_dash));
    w.opt_str("request_proto", proto.and_then(non_empty_non_dash));
}

fn non_empty_non_dash(s: &str) -> Option<&str> {
    non_dash(s).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the ELB formats (this module, `nlb`, `alb_conn`).
// ---------------------------------------------------------------------------------------------

/// ISO 8601 UTC time as ELB writes it: `YYYY-MM-DDTHH:MM:SS[.fraction]`, with or without the
/// trailing `Z` (NLB omits it; ELB logs are UTC). The result always ends in `Z`.
pub(super) fn iso_utc(s: &str) -> Option<Timestamp> {
    if s.ends_with('Z') {
        return Timestamp::parse_rfc3339_utc(s);
    }
    let mut buf = [0u8; 32];
    let len = s.len();
    let dst = buf.get_mut(..len)?;
    dst.copy_from_slice(s.as_bytes());
    *buf.get_mut(len)? = b'Z';
    std::str::from_utf8(buf.get(..=len)?)
        .ok()
        .and_then(Timestamp::parse_rfc3339_utc)
}

/// `ip:port` with a valid IPv4 or IPv6 address and a port from 0 to 65535. The split is at the
/// last colon (ELB writes IPv6 without brackets; `[addr]:port` is accepted too).
pub(super) fn ip_port(s: &str) -> Option<(&str, u16)> {
    let (ip, port) = split_host_port(s)?;
    if !is_ip(ip) {
        return None;
    }
    Some((ip, parse_u16(port)?))
}

/// Decimal digits only (no sign), 0 to 65535.
pub(super) fn parse_u16(s: &str) -> Option<u16> {
    parse_uint(s, MAX_PORT).and_then(|n| u16::try_from(n).ok())
}

/// Writes `ip_key` and `port_key` from an `ip:port` value; `None` writes nothing.
pub(super) fn write_ip_port(
    w: &mut ObjectWriter<'_>,
    field: &'static str,
    ip_key: &str,
    port_key: &str,
    value: Option<&str>,
) -> Result<(), ParseError> {
    let Some(value) = value else { return Ok(()) };
    let (ip, port) = ip_port(value).ok_or_else(|| ParseError::invalid(field, "ip:port", value))?;
    w.str(ip_key, ip);
    w.u64(port_key, u64::from(port));
    Ok(())
}

/// A number, copied with the log's own digits.
pub(super) fn write_number(
    w: &mut ObjectWriter<'_>,
    field: &'static str,
    value: Option<&str>,
) -> Result<(), ParseError> {
    match value {
        Some(v) if is_json_number(v) => w.raw(field, v),
        Some(v) => return Err(ParseError::invalid(field, "a number", v)),
        None => {}
    }
    Ok(())
}

/// A count or size: an unsigned integer that fits an OpenSearch `long` (0 to 2^63-1).
pub(super) fn write_uint(w: &mut ObjectWriter<'_>, field: &'static str, value: Option<&str>) -> Result<(), ParseError> {
    if let Some(v) = value {
        let n = parse_uint(v, MAX_LONG).ok_or_else(|| ParseError::invalid(field, "an integer", v))?;
        w.u64(field, n);
    }
    Ok(())
}

/// A port or status code: an integer from 0 to 65535.
pub(super) fn write_status(
    w: &mut ObjectWriter<'_>,
    field: &'static str,
    value: Option<&str>,
) -> Result<(), ParseError> {
    if let Some(v) = value {
        let n = parse_u16(v).ok_or_else(|| ParseError::invalid(field, "an integer from 0 to 65535", v))?;
        w.u64(field, u64::from(n));
    }
    Ok(())
}

/// A secondary time (not `@timestamp`), written in the `@timestamp` form (ending in `Z`).
pub(super) fn write_time(w: &mut ObjectWriter<'_>, field: &'static str, value: Option<&str>) -> Result<(), ParseError> {
    if let Some(v) = value {
        let t = iso_utc(v).ok_or_else(|| ParseError::invalid(field, "an ISO 8601 UTC time", v))?;
        w.str(field, t.as_str());
    }
    Ok(())
}

/// One documented example line of each ELB format and of the formats they must not be taken
/// for, shared by the ELB modules' tests.
#[cfg(test)]
pub(super) mod foreign {
    pub const ALB: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;
    pub const NLB: &str = r#"tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20"#;
    pub const CLB: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#;
    pub const ALB_CONN: &str = r#"2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success TID_3180a73013c8ca4bac2f731159d4b0fe"#;
    pub const CLOUDFRONT: &str = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-";
    pub const S3_ACCESS: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes"#;

    use crate::formats::{LineOutcome, LineParser};
    use crate::timestamp::Timestamp;
    use serde_json::Value;

    /// Parses one line with `parser` into its document, checking that the outcome carries the
    /// document's own `@timestamp`.
    pub fn parse_with(parser: &mut dyn LineParser, line: &str) -> Result<Value, crate::error::ParseError> {
        let mut out = Vec::new();
        let outcome = parser.parse_line(line, "id-1", &mut out)?;
        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(
            outcome,
            LineOutcome::Document(Timestamp::parse_rfc3339_utc(doc["@timestamp"].as_str().unwrap()).unwrap())
        );
        Ok(doc)
    }

    /// Every line of a sample file is recognised and parses; the file has 15 to 30 lines.
    pub fn every_sample_line_parses(sample: &str, recognise: fn(&str) -> bool, parser: &mut dyn LineParser) {
        let mut lines = 0;
        for (n, line) in sample.lines().enumerate() {
            assert!(recognise(line), "line {} not recognised: {line}", n + 1);
            parse_with(parser, line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", n + 1));
            lines += 1;
        }
        assert!((15..=30).contains(&lines), "{lines} sample lines");
    }

    /// Garbage, an unbalanced-quote storm and a CloudFront line are refused, without a panic.
    pub fn garbage_is_refused(parser: &mut dyn LineParser) {
        let mut out = Vec::new();
        for line in GARBAGE.iter().copied().chain([&*"\" ".repeat(1000), CLOUDFRONT]) {
            out.clear();
            assert!(parser.parse_line(line, "id", &mut out).is_err(), "{line:?}");
        }
    }

    /// Lines that are no ELB format at all.
    pub const GARBAGE: [&str; 7] = [
        "\"",
        "\" \"",
        "- - - - - - - - - - - - - - - - - - - - - - - -",
        "é\u{0}\u{1b}",
        "hello world",
        "{\"messageType\":\"DATA_MESSAGE\"}",
        "2026-11-22T05:00:00Z",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Result<Value, ParseError> {
        foreign::parse_with(&mut ClbParser, line)
    }

    const HTTP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
    const TCP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#;

    /// The documented HTTP example's document; cases below change what their line changes.
    fn http_doc() -> Value {
        json!({
            "@timestamp": "2015-05-13T23:39:43.945958Z", "log_type": "clb", "event_id": "id-1",
            "elb": "my-loadbalancer", "client_ip": "192.168.131.39", "client_port": 2817,
            "backend_ip": "10.0.0.1", "backend_port": 80, "request_processing_time": 0.000073,
            "backend_processing_time": 0.001048, "response_processing_time": 0.000057,
            "elb_status_code": 200, "backend_status_code": 200, "received_bytes": 0, "sent_bytes": 29,
            "request_verb": "GET", "request_url": "http://www.example.com:80/", "request_proto": "HTTP/1.1",
            "user_agent": "curl/7.38.0"
        })
    }

    fn tcp_doc() -> Value {
        json!({
            "@timestamp": "2015-05-13T23:39:43.945958Z", "log_type": "clb", "event_id": "id-1",
            "elb": "my-loadbalancer", "client_ip": "192.168.131.39", "client_port": 2817,
            "backend_ip": "10.0.0.1", "backend_port": 80, "request_processing_time": 0.001069,
            "backend_processing_time": 0.000028, "response_processing_time": 0.000041,
            "received_bytes": 82, "sent_bytes": 305
        })
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_http", HTTP.into(), http_doc()),
            (
                "documented_https",
                foreign::CLB.into(),
                with(http_doc(), json!({
                    "request_processing_time": 0.000086, "response_processing_time": 0.001337, "sent_bytes": 57,
                    "request_url": "https://www.example.com:443/", "ssl_cipher": "DHE-RSA-AES128-SHA",
                    "ssl_protocol": "TLSv1.2"
                })),
            ),
            ("documented_tcp", TCP.into(), tcp_doc()),
            (
                "documented_ssl",
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2"#.into(),
                with(tcp_doc(), json!({
                    "request_processing_time": 0.001065, "backend_processing_time": 0.000015,
                    "response_processing_time": 0.000023, "received_bytes": 57, "sent_bytes": 502,
                    "ssl_cipher": "ECDHE-ECDSA-AES128-GCM-SHA256", "ssl_protocol": "TLSv1.2"
                })),
            ),
            (
                "not_dispatched_minus_one_and_no_backend",
                HTTP.replace("10.0.0.1:80 0.000073 0.001048 0.000057 200 200", "- -1 -1 -1 503 -"),
                with(http_doc(), json!({
                    "backend_ip": null, "backend_port": null, "request_processing_time": -1,
                    "backend_processing_time": -1, "response_processing_time": -1,
                    "elb_status_code": 503, "backend_status_code": null
                })),
            ),
            (
                "tcp_request_without_trailing_space",
                TCP.replace(r#""- - - ""#, r#""- - -""#),
                tcp_doc(),
            ),
            (
                "ipv6_client_without_brackets",
                HTTP.replace("192.168.131.39:2817", "2001:db8:85a3::8a2e:370:7334:2817"),
                with(http_doc(), json!({"client_ip": "2001:db8:85a3::8a2e:370:7334"})),
            ),
            (
                "ipv6_client_with_brackets",
                HTTP.replace("192.168.131.39:2817", "[2001:db8::1]:2817"),
                with(http_doc(), json!({"client_ip": "2001:db8::1"})),
            ),
            (
                "time_without_z",
                HTTP.replace("2015-05-13T23:39:43.945958Z", "2015-05-13T23:39:43"),
                with(http_doc(), json!({"@timestamp": "2015-05-13T23:39:43Z"})),
            ),
            (
                "raw_spaces_in_request_uri",
                HTTP.replace("GET http://www.example.com:80/ HTTP/1.1", "GET http://www.example.com:80/a b HTTP/1.1"),
                with(http_doc(), json!({"request_url": "http://www.example.com:80/a b"})),
            ),
            (
                "request_without_protocol",
                HTTP.replace("GET http://www.example.com:80/ HTTP/1.1", "GET http://www.example.com:80/"),
                with(http_doc(), json!({"request_proto": null})),
            ),
            (
                "user_agent_with_spaces_and_quotes",
                HTTP.replace("curl/7.38.0", r#"Mozilla/5.0 (X11; Linux x86_64) "quoted""#),
                with(http_doc(), json!({"user_agent": r#"Mozilla/5.0 (X11; Linux x86_64) "quoted""#})),
            ),
            (
                "old_line_without_user_agent_and_ssl",
                HTTP.split(r#" "curl"#).next().unwrap().to_owned(),
                with(http_doc(), json!({"user_agent": null})),
            ),
            (
                "appended_unknown_fields_kept",
                format!(r#"{HTTP} - "new value" 42"#),
                with(http_doc(), json!({"extra_fields": ["-", "new value", "42"]})),
            ),
            (
                "dash_everywhere_after_time_and_name",
                r#"2026-11-22T05:00:00.000000Z my-loadbalancer - - - - - - - - - "-" "-" - -"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:00.000000Z", "log_type": "clb", "event_id": "id-1",
                    "elb": "my-loadbalancer"
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
        let cases: Vec<(&str, String, ParseError)> = vec![
            (
                "truncated_line",
                "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073".into(),
                ParseError::TooFewFields { expected: 12, found: 5 },
            ),
            (
                "alb_line_is_not_clb",
                foreign::ALB.into(),
                ParseError::invalid("timestamp", "an ISO 8601 UTC time", "http"),
            ),
            (
                "nlb_line_is_not_clb",
                foreign::NLB.into(),
                ParseError::invalid("timestamp", "an ISO 8601 UTC time", "tls"),
            ),
            (
                "alb_connection_line_is_not_clb",
                foreign::ALB_CONN.into(),
                ParseError::invalid("elb", "a Classic Load Balancer name", "203.0.113.1"),
            ),
            (
                "s3_access_line_is_not_clb",
                foreign::S3_ACCESS.into(),
                ParseError::invalid(
                    "timestamp",
                    "an ISO 8601 UTC time",
                    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                ),
            ),
            (
                "name_too_long",
                HTTP.replace("my-loadbalancer", &"a".repeat(33)),
                ParseError::invalid("elb", "a Classic Load Balancer name", &"a".repeat(33)),
            ),
            (
                "client_not_an_ip",
                HTTP.replace("192.168.131.39:2817", "www.example.com:2817"),
                ParseError::invalid("client:port", "ip:port", "www.example.com:2817"),
            ),
            (
                "port_out_of_range",
                HTTP.replace("10.0.0.1:80", "10.0.0.1:65536"),
                ParseError::invalid("backend:port", "ip:port", "10.0.0.1:65536"),
            ),
            (
                "non_numeric_timing",
                HTTP.replace("0.000073", "fast"),
                ParseError::invalid("request_processing_time", "a number", "fast"),
            ),
            (
                "non_numeric_status",
                HTTP.replace(" 200 200 ", " 200 2OO "),
                ParseError::invalid("backend_status_code", "an integer from 0 to 65535", "2OO"),
            ),
            (
                "negative_bytes",
                HTTP.replace(" 0 29 ", " 0 -29 "),
                ParseError::invalid("sent_bytes", "an integer", "-29"),
            ),
            (
                "bytes_over_long",
                HTTP.replace(" 0 29 ", " 9223372036854775808 29 "),
                ParseError::invalid("received_bytes", "an integer", "9223372036854775808"),
            ),
            (
                "timing_infinite",
                HTTP.replace("0.000073", "1e400"),
                ParseError::invalid("request_processing_time", "a number", "1e400"),
            ),
            (
                "backend_ip_octet_over_255",
                HTTP.replace("10.0.0.1:80", "10.0.0.256:80"),
                ParseError::invalid("backend:port", "ip:port", "10.0.0.256:80"),
            ),
            (
                "unterminated_user_agent",
                HTTP.replace(r#""curl/7.38.0" - -"#, r#""curl/7.38.0 - -"#),
                ParseError::UnterminatedQuote { field: "user_agent" },
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = ClbParser.parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn recognise_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("documented_http", HTTP, true),
            ("documented_tcp", TCP, true),
            ("documented_https", foreign::CLB, true),
            ("no_backend", &HTTP.replace("10.0.0.1:80", "-")[..], true),
            (
                "ipv6_client",
                &HTTP.replace("192.168.131.39:2817", "2001:db8::1:2817")[..],
                true,
            ),
            ("alb", foreign::ALB, false),
            ("nlb", foreign::NLB, false),
            ("alb_connection", foreign::ALB_CONN, false),
            ("cloudfront", foreign::CLOUDFRONT, false),
            ("s3_access", foreign::S3_ACCESS, false),
            ("time_only", "2015-05-13T23:39:43.945958Z", false),
            ("empty", "", false),
        ];
        for (name, line, want) in cases {
            assert_eq!(recognise(line), *want, "case `{name}`");
        }
        for line in foreign::GARBAGE {
            assert!(!recognise(line), "{line:?}");
        }
    }

    #[test]
    fn every_sample_line_parses() {
        let sample = include_str!("../../../events/samples/clb.log");
        foreign::every_sample_line_parses(sample, recognise, &mut ClbParser);
    }

    #[test]
    fn garbage_never_panics() {
        foreign::garbage_is_refused(&mut ClbParser);
    }

    #[test]
    fn iso_utc_adds_the_missing_z() {
        assert_eq!(iso_utc("2018-12-20T02:59:40").unwrap().as_str(), "2018-12-20T02:59:40Z");
        assert_eq!(
            iso_utc("2018-12-20T02:59:40.123Z").unwrap().as_str(),
            "2018-12-20T02:59:40.123Z"
        );
        for bad in [
            "2018-12-20",
            "2018-12-20T02:59:40ZZ",
            "2018-12-20T02:59:40+01:00",
            "2.0",
            "",
            "é",
        ] {
            assert!(iso_utc(bad).is_none(), "{bad:?}");
        }
        assert!(iso_utc(&"9".repeat(40)).is_none());
    }
}
