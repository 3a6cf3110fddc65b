//! Application Load Balancer access logs.
//!
//! Spec: Elastic Load Balancing User Guide for Application Load Balancers, "Access log entries"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html>).
//! One entry per line, fields separated by spaces, some quoted; `-` means "no value". Example:
//!
//! ```text
//! http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90
//! ```
//!
//! | # | AWS field | JSON field(s) | type |
//! |---|---|---|---|
//! | 1 | `type` | `type` | string |
//! | 2 | `time` | `@timestamp` (kept as written, µs precision) | date |
//! | 3 | `elb` | `elb` | string |
//! | 4 | `client:port` | `client_ip`, `client_port` | IP address, integer (0–65535) |
//! | 5 | `target:port` | `target_ip`, `target_port` | IP address, integer (0–65535) |
//! | 6 | `request_processing_time` | `request_processing_time` | number (s; `-1` kept) |
//! | 7 | `target_processing_time` | `target_processing_time` | number (s; `-1` kept) |
//! | 8 | `response_processing_time` | `response_processing_time` | number (s; `-1` kept) |
//! | 9 | `elb_status_code` | `elb_status_code` | integer (0–999) |
//! | 10 | `target_status_code` | `target_status_code` | integer (0–999) |
//! | 11 | `received_bytes` | `received_bytes` | integer (0–2^63-1) |
//! | 12 | `sent_bytes` | `sent_bytes` | integer (0–2^63-1) |
//! | 13 | `"request"` | `request_verb`, `request_url`, `request_proto` | strings |
//! | 14 | `"user_agent"` | `user_agent` | string |
//! | 15 | `ssl_cipher` | `ssl_cipher` | string |
//! | 16 | `ssl_protocol` | `ssl_protocol` | string |
//! | 17 | `target_group_arn` | `target_group_arn` | string |
//! | 18 | `"trace_id"` | `trace_id` | string |
//! | 19 | `"domain_name"` | `domain_name` | string |
//! | 20 | `"chosen_cert_arn"` | `chosen_cert_arn` | string |
//! | 21 | `matched_rule_priority` | `matched_rule_priority` | integer (0–2^31-1) |
//! | 22 | `request_creation_time` | `request_creation_time` | date |
//! | 23 | `"actions_executed"` | `actions_executed` | array of strings (split at `,`) |
//! | 24 | `"redirect_url"` | `redirect_url` | string |
//! | 25 | `"error_reason"` | `error_reason` | string |
//! | 26 | `"target:port_list"` | `target_port_list` | array of strings |
//! | 27 | `"target_status_code_list"` | `target_status_code_list` | array of integers (0–999) |
//! | 28 | `"classification"` | `classification` | string |
//! | 29 | `"classification_reason"` | `classification_reason` | string |
//! | 30 | `conn_trace_id` | `conn_trace_id` | string |
//! | 31 | `"transformed_host"` | `transformed_host` | string |
//! | 32 | `"transformed_uri"` | `transformed_uri` | string |
//! | 33 | `"request_transform_status"` | `request_transform_status` | string |
//! | 34+ | fields AWS appends later | `extra_fields` | array of strings, as logged |
//!
//! Rules:
//! - A line needs the first 17 fields (present since ALB launched); lines written before a later
//!   field existed simply lack it. Fields past the 33rd never fail a line: they are kept, unnamed, in
//!   `extra_fields`, because AWS appends fields over time ("You should ignore any fields at the end
//!   of the log entry that you were not expecting").
//! - `-` (quoted or not) means absent: the field is left out.
//! - The request is split at its first and last space, so raw spaces inside the URI survive; `- - -`
//!   (no request line, e.g. a TLS handshake failure) yields no request fields.
//! - `ip:port` is split at the last colon: ELB writes IPv6 addresses without brackets. The address
//!   must parse as an IPv4 or IPv6 address (it is mapped as `ip`), the port must be 0–65535.
//! - Integers are digits only, within the range in the table (what the `integer` and `long`
//!   mappings hold). The processing times are decimal numbers without exponent (`0.000`), or `-1`.
//! - The target lists are accepted quoted or unquoted.
//! - A value that does not have its documented type makes the line an error document (the raw line is
//!   kept there), rather than a document OpenSearch would reject.

use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::{is_plain_decimal, ObjectWriter};
use crate::timestamp::Timestamp;
use crate::tokenize::{
    is_ip, non_dash, parse_uint, read_fields, split_host_port, MAX_INTEGER, MAX_LONG, MAX_PORT, MAX_STATUS,
};

/// Fields every ALB line has had since the format's launch (through `target_group_arn`).
pub const REQUIRED_FIELDS: usize = 17;
/// Fields documented today (through `request_transform_status`).
pub const KNOWN_FIELDS: usize = 33;

/// Names of the known fields by position, used in error messages.
const NAMES: [&str; KNOWN_FIELDS] = [
    "type",
    "time",
    "elb",
    "client:port",
    "target:port",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target_port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
    "conn_trace_id",
    "transformed_host",
    "transformed_uri",
    "request_transform_status",
];

/// Parser for ALB access log lines. Stateless: every line stands alone.
#[derive(Debug, Default)]
pub struct AlbParser;

impl LineParser for AlbParser {
    fn log_type(&self) -> &'static str {
        "alb"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let (f, count, mut tokens) = read_fields(line, &NAMES, REQUIRED_FIELDS)?;
        let timestamp = Timestamp::parse_rfc3339_utc(f[1].text)
            .ok_or_else(|| ParseError::invalid("time", "an ISO 8601 UTC time", f[1].text))?;
        let v = |i: usize| if i < count { non_dash(f[i].text) } else { None };

        let mut w = begin_document(out, &timestamp, "alb", event_id);
        w.opt_str("type", v(0));
        w.opt_str("elb", v(2));
        host_port(&mut w, "client:port", ["client_ip", "client_port"], v(3))?;
        host_port(&mut w, "target:port", ["target_ip", "target_port"], v(4))?;
        for (i, name) in [
            (5, "request_processing_time"),
            (6, "target_processing_time"),
            (7, "response_processing_time"),
        ] {
            seconds(&mut w, name, v(i))?;
        }
        for (i, name, range) in [
            (8, "elb_status_code", STATUS),
            (9, "target_status_code", STATUS),
            (10, "received_bytes", BYTES),
            (11, "sent_bytes", BYTES),
        ] {
            integer(&mut w, name, range, v(i))?;
        }
        super::clb::write_request(&mut w, v(12));
        w.opt_str("user_agent", v(13));
        for (i, name) in NAMES.iter().enumerate().take(20).skip(14) {
            w.opt_str(name, v(i));
        }
        integer(&mut w, "matched_rule_priority", PRIORITY, v(20))?;
        if let Some(t) = v(21) {
            let t = Timestamp::parse_rfc3339_utc(t)
                .ok_or_else(|| ParseError::invalid("request_creation_time", "an ISO 8601 UTC time", t))?;
            w.str("request_creation_time", t.as_str());
        }
        if let Some(actions) = v(22) {
            w.str_array("actions_executed", actions.split(','));
        }
        w.opt_str("redirect_url", v(23));
        w.opt_str("error_reason", v(24));
        if let Some(targets) = v(25) {
            w.str_array("target_port_list", targets.split(' ').filter(|s| !s.is_empty()));
        }
        if let Some(codes) = v(26) {
            let entries = || codes.split(' ').filter(|s| !s.is_empty());
            if !entries().all(|c| parse_uint(c, MAX_STATUS).is_some()) {
                return Err(ParseError::invalid(
                    "target_status_code_list",
                    "status codes (integers from 0 to 999)",
                    codes,
                ));
            }
            w.u64_array(
                "target_status_code_list",
                entries().filter_map(|c| parse_uint(c, MAX_STATUS)),
            );
        }
        for (i, name) in NAMES.iter().enumerate().skip(27) {
            w.opt_str(name, v(i));
        }
        // Fewer fields than known: the tokenizer is at the end and nothing is written.
        crate::tokenize::write_extra_fields(&mut w, &mut tokens)?;
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// An integer field's largest value and how an error describes it.
type Range = (u64, &'static str);
/// Status codes: three digits.
const STATUS: Range = (MAX_STATUS, "a status code (an integer from 0 to 999)");
/// Byte counts, mapped as `long`.
const BYTES: Range = (MAX_LONG, "an integer from 0 to 2^63-1");
/// Rule priorities (1–50,000, 0 for the default rule), mapped as `integer`.
const PRIORITY: Range = (MAX_INTEGER, "an integer from 0 to 2^31-1");

/// `ip:port` (IPv6 without brackets, split at the last colon) into the two keys; an address
/// `std::net::IpAddr` does not parse or a port over 65535 fails the line.
fn host_port(
    w: &mut ObjectWriter<'_>,
    field: &'static str,
    [ip_key, port_key]: [&'static str; 2],
    value: Option<&str>,
) -> Result<(), ParseError> {
    let Some(value) = value else { return Ok(()) };
    let (ip, port) = split_host_port(value).ok_or_else(|| ParseError::invalid(field, "ip:port", value))?;
    if !is_ip(ip) {
        return Err(ParseError::invalid(ip_key, "an IP address", ip));
    }
    let port = parse_uint(port, MAX_PORT).ok_or_else(|| ParseError::invalid(port_key, "a port (0 to 65535)", port))?;
    w.str(ip_key, ip);
    w.u64(port_key, port);
    Ok(())
}

/// A duration in seconds: the log's own decimal text (`0.000`), or `-1` (not dispatched, or the
/// connection closed early). Exponents and other signs are refused: ALB never writes them.
fn seconds(w: &mut ObjectWriter<'_>, field: &'static str, value: Option<&str>) -> Result<(), ParseError> {
    match value {
        Some(v) if v == "-1" || is_plain_decimal(v) => w.raw(field, v),
        Some(v) => return Err(ParseError::invalid(field, "seconds (a decimal number, or -1)", v)),
        None => {}
    }
    Ok(())
}

/// Digits only, within the field's range.
fn integer(
    w: &mut ObjectWriter<'_>,
    field: &'static str,
    (max, expected): Range,
    value: Option<&str>,
) -> Result<(), ParseError> {
    if let Some(v) = value {
        let n = parse_uint(v, max).ok_or_else(|| ParseError::invalid(field, expected, v))?;
        w.u64(field, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067";

    fn parse(line: &str) -> Result<Value, ParseError> {
        let mut out = Vec::new();
        let outcome = AlbParser.parse_line(line, "id-1", &mut out)?;
        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(
            outcome,
            LineOutcome::Document(Timestamp::parse_rfc3339_utc(doc["@timestamp"].as_str().unwrap()).unwrap())
        );
        Ok(doc)
    }

    /// The documented HTTP example's document; cases below change what their line changes.
    fn http_doc() -> Value {
        json!({
            "@timestamp": "2018-07-02T22:23:00.186641Z", "log_type": "alb", "event_id": "id-1",
            "type": "http", "elb": "app/my-loadbalancer/50dc6c495c0c9188",
            "client_ip": "192.168.131.39", "client_port": 2817, "target_ip": "10.0.0.1", "target_port": 80,
            "request_processing_time": 0.0, "target_processing_time": 0.001, "response_processing_time": 0.0,
            "elb_status_code": 200, "target_status_code": 200, "received_bytes": 34, "sent_bytes": 366,
            "request_verb": "GET", "request_url": "http://www.example.com:80/", "request_proto": "HTTP/1.1",
            "user_agent": "curl/7.46.0", "target_group_arn": TG,
            "trace_id": "Root=1-58337262-36d228ad5d99923122bbe354", "matched_rule_priority": 0,
            "request_creation_time": "2018-07-02T22:22:48.364000Z", "actions_executed": ["forward"],
            "target_port_list": ["10.0.0.1:80"], "target_status_code_list": [200],
            "conn_trace_id": "TID_1234abcd5678ef90"
        })
    }

    const HTTP: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_http", HTTP.to_owned(), http_doc()),
            (
                "documented_https_authenticate",
                r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#.into(),
                with(http_doc(), json!({
                    "type": "https", "request_processing_time": 0.086, "target_processing_time": 0.048,
                    "response_processing_time": 0.037, "received_bytes": 0, "sent_bytes": 57,
                    "request_url": "https://www.example.com:443/", "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
                    "ssl_protocol": "TLSv1.2", "trace_id": "Root=1-58337281-1d84f3d73c47ec4e58577259",
                    "domain_name": "www.example.com",
                    "chosen_cert_arn": "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
                    "matched_rule_priority": 1, "actions_executed": ["authenticate", "forward"]
                })),
            ),
            (
                "documented_h2_redirect",
                r#"h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-" TID_1234abcd5678ef90"#.into(),
                with(http_doc(), json!({
                    "type": "h2", "client_ip": "10.0.1.252", "client_port": 48160, "target_ip": "10.0.0.66",
                    "target_port": 9000, "target_processing_time": 0.002, "received_bytes": 5, "sent_bytes": 257,
                    "request_url": "https://10.0.2.105:773/", "request_proto": "HTTP/2.0",
                    "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256", "ssl_protocol": "TLSv1.2",
                    "trace_id": "Root=1-58337327-72bd00b0343d75b906739c42", "matched_rule_priority": 1,
                    "actions_executed": ["redirect"], "redirect_url": "https://example.com:80/",
                    "target_port_list": ["10.0.0.66:9000"]
                })),
            ),
            (
                "documented_websocket_no_user_agent",
                r#"ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.1.192:8010" "101" "-" "-" TID_1234abcd5678ef90"#.into(),
                with(http_doc(), json!({
                    "type": "ws", "client_ip": "10.0.0.140", "client_port": 40914, "target_ip": "10.0.1.192",
                    "target_port": 8010, "request_processing_time": 0.001, "target_processing_time": 0.003,
                    "elb_status_code": 101, "target_status_code": 101, "received_bytes": 218, "sent_bytes": 587,
                    "request_url": "http://10.0.0.30:80/", "user_agent": null,
                    "trace_id": "Root=1-58337364-23a8c76965a2ef7629b185e3", "matched_rule_priority": 1,
                    "target_port_list": ["10.0.1.192:8010"], "target_status_code_list": [101]
                })),
            ),
            (
                "documented_failed_lambda_target",
                r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-" "-" "-" "-" TID_1234abcd5678ef90"#.into(),
                with(http_doc(), json!({
                    "@timestamp": "2018-11-30T22:23:00.186641Z", "target_ip": null, "target_port": null,
                    "elb_status_code": 502, "target_status_code": null,
                    "trace_id": "Root=1-58337364-23a8c76965a2ef7629b185e3",
                    "request_creation_time": "2018-11-30T22:22:48.364000Z", "error_reason": "LambdaInvalidResponse",
                    "target_port_list": null, "target_status_code_list": null
                })),
            ),
            (
                "not_dispatched_timings_minus_one",
                HTTP.replace("0.000 0.001 0.000 200 200", "-1 -1 -1 460 -"),
                with(http_doc(), json!({
                    "request_processing_time": -1, "target_processing_time": -1, "response_processing_time": -1,
                    "elb_status_code": 460, "target_status_code": null
                })),
            ),
            (
                "unquoted_target_lists",
                HTTP.replace(r#""10.0.0.1:80" "200""#, "10.0.0.1:80 200"),
                http_doc(),
            ),
            (
                "several_targets_in_lists",
                HTTP.replace(r#""10.0.0.1:80" "200""#, r#""10.0.0.1:80 10.0.0.2:80" "503 200""#),
                with(http_doc(), json!({
                    "target_port_list": ["10.0.0.1:80", "10.0.0.2:80"], "target_status_code_list": [503, 200]
                })),
            ),
            (
                "raw_spaces_in_request_uri",
                HTTP.replace("GET http://www.example.com:80/ HTTP/1.1", "GET http://www.example.com:80/a b\"c HTTP/1.1"),
                with(http_doc(), json!({"request_url": "http://www.example.com:80/a b\"c"})),
            ),
            (
                "request_dash_dash_dash",
                HTTP.replace("GET http://www.example.com:80/ HTTP/1.1", "- - -"),
                with(http_doc(), json!({"request_verb": null, "request_url": null, "request_proto": null})),
            ),
            (
                "ipv6_client_and_target_without_brackets",
                HTTP.replace("192.168.131.39:2817 10.0.0.1:80", "2001:db8:85a3::8a2e:370:7334:2817 fd00:ec2::254:80"),
                with(http_doc(), json!({
                    "client_ip": "2001:db8:85a3::8a2e:370:7334", "target_ip": "fd00:ec2::254"
                })),
            ),
            (
                "tls13_cipher_with_underscores",
                HTTP.replace(" - - arn:", " TLS_AES_128_GCM_SHA256 TLSv1.3 arn:"),
                with(http_doc(), json!({"ssl_cipher": "TLS_AES_128_GCM_SHA256", "ssl_protocol": "TLSv1.3"})),
            ),
            (
                "desync_classification",
                HTTP.replace(r#""-" "-" TID_"#, r#""Ambiguous" "SpaceInUri" TID_"#),
                with(http_doc(), json!({"classification": "Ambiguous", "classification_reason": "SpaceInUri"})),
            ),
            (
                "old_line_without_trailing_fields",
                HTTP.split(r#" "Root="#).next().unwrap().to_owned(),
                with(http_doc(), json!({
                    "trace_id": null, "matched_rule_priority": null, "request_creation_time": null,
                    "actions_executed": null, "target_port_list": null, "target_status_code_list": null,
                    "conn_trace_id": null
                })),
            ),
            (
                "line_before_conn_trace_id",
                HTTP.replace(" TID_1234abcd5678ef90", ""),
                with(http_doc(), json!({"conn_trace_id": null})),
            ),
            (
                "transform_fields_2025",
                format!(r#"{HTTP} "internal.example.com" "/v2/" "TransformSuccess""#),
                with(http_doc(), json!({
                    "transformed_host": "internal.example.com", "transformed_uri": "/v2/",
                    "request_transform_status": "TransformSuccess"
                })),
            ),
            (
                "appended_unknown_fields_kept",
                format!(r#"{HTTP} "-" "-" "-" 10.1.2.3 "new value""#),
                with(http_doc(), json!({"extra_fields": ["10.1.2.3", "new value"]})),
            ),
            (
                "range_limits_accepted",
                HTTP.replace("192.168.131.39:2817 10.0.0.1:80", "192.168.131.39:0 10.0.0.1:65535")
                    .replace(" 200 200 34 366 ", " 000 999 9223372036854775807 0 ")
                    .replace(r#""-" 0 2018"#, r#""-" 2147483647 2018"#)
                    .replace(r#""200" "-""#, r#""0 999" "-""#),
                with(http_doc(), json!({
                    "client_port": 0, "target_port": 65535, "elb_status_code": 0, "target_status_code": 999,
                    "received_bytes": 9_223_372_036_854_775_807_u64, "sent_bytes": 0,
                    "matched_rule_priority": 2_147_483_647, "target_status_code_list": [0, 999]
                })),
            ),
            (
                "ipv4_mapped_ipv6_and_bracketed_target",
                HTTP.replace("192.168.131.39:2817 10.0.0.1:80", "::ffff:192.0.2.1:2817 [2001:db8::2]:8443"),
                with(http_doc(), json!({
                    "client_ip": "::ffff:192.0.2.1", "target_ip": "2001:db8::2", "target_port": 8443
                })),
            ),
            (
                "long_timings_without_exponent",
                HTTP.replace("0.000 0.001 0.000", "12.5 3600.000001 0"),
                with(http_doc(), json!({
                    "request_processing_time": 12.5, "target_processing_time": 3600.000001,
                    "response_processing_time": 0
                })),
            ),
            (
                "hostile_user_agent_escaped",
                HTTP.replace("curl/7.46.0", "}{\"admin\":true \u{1b}[31m\\"),
                with(http_doc(), json!({"user_agent": "}{\"admin\":true \u{1b}[31m\\"})),
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
                "too_few_fields",
                "http 2018-07-02T22:23:00.186641Z app/x 1.2.3.4:5".into(),
                ParseError::TooFewFields { expected: 17, found: 4 },
            ),
            (
                "nlb_line_is_not_alb",
                "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30".into(),
                ParseError::invalid("time", "an ISO 8601 UTC time", "2.0"),
            ),
            (
                "non_numeric_status",
                HTTP.replace(" 200 200 ", " 2OO 200 "),
                ParseError::invalid("elb_status_code", STATUS.1, "2OO"),
            ),
            (
                "non_numeric_timing",
                HTTP.replace("0.000 0.001", "0.000 fast"),
                ParseError::invalid("target_processing_time", SECONDS, "fast"),
            ),
            (
                "bad_client_port",
                HTTP.replace("192.168.131.39:2817", "192.168.131.39:x"),
                ParseError::invalid("client_port", PORT, "x"),
            ),
            (
                "client_without_port",
                HTTP.replace("192.168.131.39:2817", "192.168.131.39"),
                ParseError::invalid("client:port", "ip:port", "192.168.131.39"),
            ),
            (
                "unterminated_user_agent",
                HTTP.split(r#" "curl"#).next().unwrap().to_owned() + r#" "curl/7.46.0 - -"#,
                ParseError::UnterminatedQuote { field: "user_agent" },
            ),
            (
                "bad_request_creation_time",
                HTTP.replace("2018-07-02T22:22:48.364000Z", "yesterday"),
                ParseError::invalid("request_creation_time", "an ISO 8601 UTC time", "yesterday"),
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = AlbParser.parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    const SECONDS: &str = "seconds (a decimal number, or -1)";
    const PORT: &str = "a port (0 to 65535)";

    /// Values an OpenSearch mapping would refuse (`ip`, `integer`, `long`, `double`): the line is an
    /// error document instead.
    #[test]
    fn values_outside_their_mapping_fail_the_line() {
        let client = |v: &str| HTTP.replace("192.168.131.39:2817", v);
        let target = |v: &str| HTTP.replace(" 10.0.0.1:80 ", &format!(" {v} "));
        let numbers = |v: &str| HTTP.replace("0.000 0.001 0.000 200 200 34 366", v);
        let ip = |key: &'static str, v: &str| ParseError::invalid(key, "an IP address", v);
        let cases: Vec<(&str, String, ParseError)> = vec![
            ("client_not_an_ip", client("notanip:2817"), ip("client_ip", "notanip")),
            ("client_empty_ip", client(":2817"), ip("client_ip", "")),
            (
                "client_ipv4_octet_over_255",
                client("192.168.131.256:2817"),
                ip("client_ip", "192.168.131.256"),
            ),
            (
                "client_ipv4_three_octets",
                client("192.168.131:2817"),
                ip("client_ip", "192.168.131"),
            ),
            (
                "client_ipv6_nine_groups",
                client("1:2:3:4:5:6:7:8:9:2817"),
                ip("client_ip", "1:2:3:4:5:6:7:8:9"),
            ),
            (
                "client_half_bracketed",
                client("[2001:db8::1:2817"),
                ip("client_ip", "[2001:db8::1"),
            ),
            (
                "client_with_zone",
                client("fe80::1%eth0:2817"),
                ip("client_ip", "fe80::1%eth0"),
            ),
            (
                "target_hostname",
                target("ip-10-0-0-1.ec2.internal:80"),
                ip("target_ip", "ip-10-0-0-1.ec2.internal"),
            ),
            (
                "client_port_over_65535",
                client("192.168.131.39:65536"),
                ParseError::invalid("client_port", PORT, "65536"),
            ),
            (
                "client_port_over_u64",
                client("192.168.131.39:99999999999999999999"),
                ParseError::invalid("client_port", PORT, "99999999999999999999"),
            ),
            (
                "client_port_signed",
                client("192.168.131.39:+80"),
                ParseError::invalid("client_port", PORT, "+80"),
            ),
            (
                "target_port_empty",
                target("10.0.0.1:"),
                ParseError::invalid("target_port", PORT, ""),
            ),
            (
                "elb_status_over_999",
                numbers("0.000 0.001 0.000 1000 200 34 366"),
                ParseError::invalid("elb_status_code", STATUS.1, "1000"),
            ),
            (
                "target_status_far_out_of_range",
                numbers("0.000 0.001 0.000 200 99999999999 34 366"),
                ParseError::invalid("target_status_code", STATUS.1, "99999999999"),
            ),
            (
                "received_bytes_over_long",
                numbers("0.000 0.001 0.000 200 200 9223372036854775808 366"),
                ParseError::invalid("received_bytes", BYTES.1, "9223372036854775808"),
            ),
            (
                "sent_bytes_u64_max",
                numbers("0.000 0.001 0.000 200 200 34 18446744073709551615"),
                ParseError::invalid("sent_bytes", BYTES.1, "18446744073709551615"),
            ),
            (
                "sent_bytes_negative",
                numbers("0.000 0.001 0.000 200 200 34 -1"),
                ParseError::invalid("sent_bytes", BYTES.1, "-1"),
            ),
            (
                "rule_priority_over_integer",
                HTTP.replace(r#""-" 0 2018"#, r#""-" 2147483648 2018"#),
                ParseError::invalid("matched_rule_priority", PRIORITY.1, "2147483648"),
            ),
            (
                "status_list_entry_over_999",
                HTTP.replace(r#""200" "-""#, r#""200 4294967296" "-""#),
                ParseError::invalid(
                    "target_status_code_list",
                    "status codes (integers from 0 to 999)",
                    "200 4294967296",
                ),
            ),
            (
                "timing_infinite",
                numbers("0.000 1e400 0.000 200 200 34 366"),
                ParseError::invalid("target_processing_time", SECONDS, "1e400"),
            ),
            (
                "timing_with_exponent",
                numbers("1e-3 0.001 0.000 200 200 34 366"),
                ParseError::invalid("request_processing_time", SECONDS, "1e-3"),
            ),
            (
                "timing_negative_other_than_minus_one",
                numbers("0.000 0.001 -0.5 200 200 34 366"),
                ParseError::invalid("response_processing_time", SECONDS, "-0.5"),
            ),
            (
                "timing_minus_one_written_as_decimal",
                numbers("-1.0 0.001 0.000 200 200 34 366"),
                ParseError::invalid("request_processing_time", SECONDS, "-1.0"),
            ),
            (
                "timing_400_digits",
                numbers(&format!("0.000 {} 0.000 200 200 34 366", "9".repeat(400))),
                ParseError::invalid("target_processing_time", SECONDS, &"9".repeat(400)),
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = AlbParser.parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = Vec::new();
        for line in [
            "\"",
            "\" \"",
            "- - - - - - - - - - - - - - - - - - - -",
            "é\u{0}\u{1b}",
            &"\" ".repeat(1000),
        ] {
            out.clear();
            let _ = AlbParser.parse_line(line, "id", &mut out);
        }
    }
}
