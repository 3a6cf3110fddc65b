//! Application Load Balancer connection logs.
//!
//! Spec: Elastic Load Balancing User Guide for Application Load Balancers, "Connection log
//! entries" (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-connection-logs.html>).
//! One entry per connection attempt, fields separated by spaces; `leaf_client_cert_subject` is
//! quoted (a subject holds spaces). Example (a mutual TLS connection on port 443):
//!
//! ```text
//! 2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success TID_3180a73013c8ca4bac2f731159d4b0fe
//! ```
//!
//! | # | AWS field | JSON field(s) | type |
//! |---|---|---|---|
//! | 1 | `timestamp` | `@timestamp` (kept as written, µs precision) | date |
//! | 2 | `client_ip` | `client_ip` | string (an IP address) |
//! | 3 | `client_port` | `client_port` | integer |
//! | 4 | `listener_port` | `listener_port` | integer |
//! | 5 | `tls_protocol` | `tls_protocol` | string |
//! | 6 | `tls_cipher` | `tls_cipher` | string |
//! | 7 | `tls_handshake_latency` | `tls_handshake_latency` | number (s) |
//! | 8 | `"leaf_client_cert_subject"` | `leaf_client_cert_subject` | string |
//! | 9 | `leaf_client_cert_validity` | `leaf_client_cert_not_before`, `leaf_client_cert_not_after` | date, date |
//! | 10 | `leaf_client_cert_serial_number` | `leaf_client_cert_serial_number` | string |
//! | 11 | `tls_verify_status` | `tls_verify_status` | string (`Success`, `Failed:<code>`) |
//! | 12 | `conn_trace_id` | `conn_trace_id` | string |
//! | 13 | `tls_keyexchange` | `tls_keyexchange` | string |
//! | 14+ | fields AWS appends later | `extra_fields` | array of strings, as logged |
//!
//! Rules:
//! - A line needs the first 11 fields (through `tls_verify_status`); `conn_trace_id` and
//!   `tls_keyexchange` came later, and older lines lack them. Fields past the 13th are kept,
//!   unnamed, in `extra_fields` (AWS may log a trailing `-` ahead of a field's release).
//! - `-` (quoted or not) means absent: the field is left out. Plain HTTP listeners log `-` for
//!   every TLS field.
//! - `leaf_client_cert_validity` (`NotBefore=<time>;NotAfter=<time>`) is split into two dates, so
//!   certificate expiry can be queried; any other shape makes the line an error.
//! - `timestamp` must be an ISO 8601 UTC time and `client_ip` an IP address, `client_port` and
//!   `listener_port` integers from 0 to 65535: so ALB access, NLB and Classic ELB lines are errors
//!   here, not documents.
//! - A value that does not have its documented type makes the line an error document.

use super::clb::{is_ip, iso_utc, parse_u16, write_number, write_status};
use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::ObjectWriter;
use crate::timestamp::Timestamp;
use crate::tokenize::{non_dash, read_fields};

/// Fields every connection log line has (through `tls_verify_status`).
pub const REQUIRED_FIELDS: usize = 11;
/// Fields documented today (through `tls_keyexchange`).
pub const KNOWN_FIELDS: usize = 13;

/// Names of the known fields by position, used in error messages.
const NAMES: [&str; KNOWN_FIELDS] = [
    "timestamp",
    "client_ip",
    "client_port",
    "listener_port",
    "tls_protocol",
    "tls_cipher",
    "tls_handshake_latency",
    "leaf_client_cert_subject",
    "leaf_client_cert_validity",
    "leaf_client_cert_serial_number",
    "tls_verify_status",
    "conn_trace_id",
    "tls_keyexchange",
];

/// Parser for ALB connection log lines. Stateless: every line stands alone.
#[derive(Debug, Default)]
pub struct AlbConnParser;

impl LineParser for AlbConnParser {
    fn log_type(&self) -> &'static str {
        "alb_connection"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let (f, count, mut tokens) = read_fields(line, &NAMES, REQUIRED_FIELDS)?;
        let timestamp =
            iso_utc(f[0].text).ok_or_else(|| ParseError::invalid("timestamp", "an ISO 8601 UTC time", f[0].text))?;
        let v = |i: usize| if i < count { non_dash(f[i].text) } else { None };
        if let Some(ip) = v(1) {
            if !is_ip(ip) {
                return Err(ParseError::invalid("client_ip", "an IP address", ip));
            }
        }

        let mut w = begin_document(out, &timestamp, "alb_connection", event_id);
        w.opt_str("client_ip", v(1));
        write_status(&mut w, "client_port", v(2))?;
        write_status(&mut w, "listener_port", v(3))?;
        w.opt_str("tls_protocol", v(4));
        w.opt_str("tls_cipher", v(5));
        write_number(&mut w, "tls_handshake_latency", v(6))?;
        w.opt_str("leaf_client_cert_subject", v(7));
        write_validity(&mut w, v(8))?;
        for (i, name) in NAMES.iter().enumerate().skip(9) {
            w.opt_str(name, v(i));
        }
        // Fewer fields than known: the tokenizer is at the end and nothing is written.
        crate::tokenize::write_extra_fields(&mut w, &mut tokens)?;
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// True when `line` looks like an ALB connection log entry: an ISO 8601 UTC time, an IP address
/// (no port), then two port numbers. Cheap (looks at the first four fields only) and strict: ALB
/// access, NLB, Classic ELB, CloudFront and S3 access log lines do not match.
pub fn recognise(line: &str) -> bool {
    let mut words = line.split(' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(time), Some(ip), Some(client_port), Some(listener_port)) => {
            parse_u16(client_port).is_some()
                && parse_u16(listener_port).is_some()
                && is_ip(ip)
                && iso_utc(time).is_some()
        }
        _ => false,
    }
}

/// `NotBefore=<time>;NotAfter=<time>` (either order) → `leaf_client_cert_not_before` and
/// `leaf_client_cert_not_after`.
fn write_validity(w: &mut ObjectWriter<'_>, value: Option<&str>) -> Result<(), ParseError> {
    let Some(validity) = value else { return Ok(()) };
    let bad = || {
        ParseError::invalid(
            "leaf_client_cert_validity",
            "NotBefore=<time>;NotAfter=<time>",
            validity,
        )
    };
    let (mut not_before, mut not_after): (Option<Timestamp>, Option<Timestamp>) = (None, None);
    for part in validity.split(';') {
        let (key, time) = part.split_once('=').ok_or_else(bad)?;
        let slot = match key {
            "NotBefore" => &mut not_before,
            "NotAfter" => &mut not_after,
            _ => return Err(bad()),
        };
        if slot.is_some() {
            return Err(bad());
        }
        *slot = Some(iso_utc(time).ok_or_else(bad)?);
    }
    if let Some(t) = not_before {
        w.str("leaf_client_cert_not_before", t.as_str());
    }
    if let Some(t) = not_after {
        w.str("leaf_client_cert_not_after", t.as_str());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::clb::foreign;
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Result<Value, ParseError> {
        foreign::parse_with(&mut AlbConnParser, line)
    }

    /// The documented failed mutual TLS connection.
    const FAILED: &str = r#"2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Failed:ClientCertUntrusted TID_1c71a68d70587445ad5127ff8b2687d7"#;

    /// A plain HTTP listener's connection: every TLS field is `-`.
    const PLAIN_HTTP: &str =
        r#"2026-11-22T05:00:02.114392Z 198.51.100.73 40112 80 - - - "-" - - - TID_9b2f0c4e77a1d3586e0f2a9c4b1d7e35 -"#;

    /// The document of the documented successful mutual TLS connection.
    fn success_doc() -> Value {
        json!({
            "@timestamp": "2023-10-04T17:05:15.514108Z", "log_type": "alb_connection", "event_id": "id-1",
            "client_ip": "203.0.113.1", "client_port": 36280, "listener_port": 443, "tls_protocol": "TLSv1.2",
            "tls_cipher": "ECDHE-RSA-AES128-GCM-SHA256", "tls_handshake_latency": 4.036,
            "leaf_client_cert_subject": "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US",
            "leaf_client_cert_not_before": "2023-09-21T22:43:21Z",
            "leaf_client_cert_not_after": "2026-06-17T22:43:21Z",
            "leaf_client_cert_serial_number": "FEF257372D5C14D4", "tls_verify_status": "Success",
            "conn_trace_id": "TID_3180a73013c8ca4bac2f731159d4b0fe"
        })
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_success", foreign::ALB_CONN.into(), success_doc()),
            (
                "documented_failure",
                FAILED.into(),
                with(success_doc(), json!({
                    "tls_handshake_latency": null, "tls_verify_status": "Failed:ClientCertUntrusted",
                    "conn_trace_id": "TID_1c71a68d70587445ad5127ff8b2687d7"
                })),
            ),
            (
                "plain_http_listener",
                PLAIN_HTTP.into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:02.114392Z", "log_type": "alb_connection", "event_id": "id-1",
                    "client_ip": "198.51.100.73", "client_port": 40112, "listener_port": 80,
                    "conn_trace_id": "TID_9b2f0c4e77a1d3586e0f2a9c4b1d7e35"
                }),
            ),
            (
                "tls_without_mtls_and_key_exchange",
                r#"2026-11-22T05:00:04.551020Z 203.0.113.24 51876 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.012 "-" - - Success TID_0d4c1f9e2b7a3c58e6f1a0b9c8d7e6f5 X25519MLKEM768"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:04.551020Z", "log_type": "alb_connection", "event_id": "id-1",
                    "client_ip": "203.0.113.24", "client_port": 51876, "listener_port": 443,
                    "tls_protocol": "TLSv1.3", "tls_cipher": "TLS_AES_128_GCM_SHA256", "tls_handshake_latency": 0.012,
                    "tls_verify_status": "Success", "conn_trace_id": "TID_0d4c1f9e2b7a3c58e6f1a0b9c8d7e6f5",
                    "tls_keyexchange": "X25519MLKEM768"
                }),
            ),
            (
                "ipv6_client",
                foreign::ALB_CONN.replace("203.0.113.1 ", "2001:db8:85a3::8a2e:370:7334 "),
                with(success_doc(), json!({"client_ip": "2001:db8:85a3::8a2e:370:7334"})),
            ),
            (
                "validity_in_other_order_with_fractions",
                foreign::ALB_CONN.replace(
                    "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z",
                    "NotAfter=2026-06-17T22:43:21.5Z;NotBefore=2023-09-21T22:43:21Z",
                ),
                with(success_doc(), json!({"leaf_client_cert_not_after": "2026-06-17T22:43:21.5Z"})),
            ),
            (
                "subject_with_spaces_and_quotes",
                foreign::ALB_CONN.replace(
                    "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US",
                    r#"CN=device 42,O=Example "Corp",C=US"#,
                ),
                with(success_doc(), json!({"leaf_client_cert_subject": r#"CN=device 42,O=Example "Corp",C=US"#})),
            ),
            (
                "line_before_conn_trace_id",
                foreign::ALB_CONN.replace(" TID_3180a73013c8ca4bac2f731159d4b0fe", ""),
                with(success_doc(), json!({"conn_trace_id": null})),
            ),
            (
                "trailing_dash_before_a_field_release_kept",
                format!("{PLAIN_HTTP} -"),
                with(parse(PLAIN_HTTP).unwrap(), json!({"extra_fields": ["-"]})),
            ),
            (
                "appended_unknown_fields_kept",
                format!(r#"{} secp256r1 "new value" 7"#, foreign::ALB_CONN),
                with(success_doc(), json!({"tls_keyexchange": "secp256r1", "extra_fields": ["new value", "7"]})),
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
        let validity = "NotBefore=<time>;NotAfter=<time>";
        let cases: Vec<(&str, String, ParseError)> = vec![
            (
                "truncated_line",
                "2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2".into(),
                ParseError::TooFewFields { expected: 11, found: 5 },
            ),
            (
                "alb_line_is_not_alb_connection",
                foreign::ALB.into(),
                ParseError::invalid("timestamp", "an ISO 8601 UTC time", "http"),
            ),
            (
                "nlb_line_is_not_alb_connection",
                foreign::NLB.into(),
                ParseError::invalid("timestamp", "an ISO 8601 UTC time", "tls"),
            ),
            (
                "clb_line_is_not_alb_connection",
                foreign::CLB.into(),
                ParseError::invalid("client_ip", "an IP address", "my-loadbalancer"),
            ),
            (
                "client_ip_with_port",
                foreign::ALB_CONN.replace("203.0.113.1 36280", "203.0.113.1:36280 36280"),
                ParseError::invalid("client_ip", "an IP address", "203.0.113.1:36280"),
            ),
            (
                "port_out_of_range",
                foreign::ALB_CONN.replace(" 443 ", " 70000 "),
                ParseError::invalid("listener_port", "an integer from 0 to 65535", "70000"),
            ),
            (
                "non_numeric_latency",
                foreign::ALB_CONN.replace(" 4.036 ", " 4,036 "),
                ParseError::invalid("tls_handshake_latency", "a number", "4,036"),
            ),
            (
                "validity_unknown_key",
                foreign::ALB_CONN.replace("NotBefore=", "Since="),
                ParseError::invalid(
                    "leaf_client_cert_validity",
                    validity,
                    "Since=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z",
                ),
            ),
            (
                "validity_repeated_key",
                foreign::ALB_CONN.replace("NotBefore=", "NotAfter="),
                ParseError::invalid(
                    "leaf_client_cert_validity",
                    validity,
                    "NotAfter=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z",
                ),
            ),
            (
                "validity_bad_time",
                foreign::ALB_CONN.replace("2026-06-17T22:43:21Z", "2026-06-31T22:43:21Z"),
                ParseError::invalid(
                    "leaf_client_cert_validity",
                    validity,
                    "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-31T22:43:21Z",
                ),
            ),
            (
                "unterminated_subject",
                foreign::ALB_CONN.replace(r#"C=US" "#, "C=US "),
                ParseError::UnterminatedQuote {
                    field: "leaf_client_cert_subject",
                },
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = AlbConnParser.parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn recognise_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("documented_success", foreign::ALB_CONN, true),
            ("documented_failure", FAILED, true),
            ("plain_http", PLAIN_HTTP, true),
            (
                "ipv6_client",
                &foreign::ALB_CONN.replace("203.0.113.1 ", "2001:db8::1 ")[..],
                true,
            ),
            ("alb", foreign::ALB, false),
            ("nlb", foreign::NLB, false),
            ("clb", foreign::CLB, false),
            ("cloudfront", foreign::CLOUDFRONT, false),
            ("s3_access", foreign::S3_ACCESS, false),
            (
                "first_fields_only",
                "2023-10-04T17:05:15.514108Z 203.0.113.1 36280",
                false,
            ),
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
        let sample = include_str!("../../../events/samples/alb_conn.log");
        foreign::every_sample_line_parses(sample, recognise, &mut AlbConnParser);
    }

    #[test]
    fn garbage_never_panics() {
        foreign::garbage_is_refused(&mut AlbConnParser);
    }
}
