//! Network Load Balancer access logs (TLS listeners only).
//!
//! Spec: Elastic Load Balancing User Guide for Network Load Balancers, "Access log entries"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html>).
//! NLBs write access logs for TLS listeners only. One entry per line, fields separated by single
//! spaces, none quoted: `domain_name` and `alpn_client_preference_list` are URL-encoded, so no
//! field holds a space. Example (a TLS listener with an ALPN policy):
//!
//! ```text
//! tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20
//! ```
//!
//! | # | AWS field | JSON field(s) | type |
//! |---|---|---|---|
//! | 1 | `type` | `type` | string (`tls`) |
//! | 2 | `version` | `version` | string (`2.0`) |
//! | 3 | `time` | `@timestamp` (end of the connection; `Z` added, s precision as logged) | date |
//! | 4 | `elb` | `elb` | string |
//! | 5 | `listener` | `listener` | string |
//! | 6 | `client:port` | `client_ip`, `client_port` | string, integer |
//! | 7 | `destination:port` | `destination_ip`, `destination_port` | string, integer |
//! | 8 | `connection_time` | `connection_time` | number (ms) |
//! | 9 | `tls_handshake_time` | `tls_handshake_time` | number (ms) |
//! | 10 | `received_bytes` | `received_bytes` | integer |
//! | 11 | `sent_bytes` | `sent_bytes` | integer |
//! | 12 | `incoming_tls_alert` | `incoming_tls_alert` | integer |
//! | 13 | `chosen_cert_arn` | `chosen_cert_arn` | string |
//! | 14 | `chosen_cert_serial` | `chosen_cert_serial` | string |
//! | 15 | `tls_cipher` | `tls_cipher` | string |
//! | 16 | `tls_protocol_version` | `tls_protocol_version` | string (`tlsv12`, `tlsv13`, …) |
//! | 17 | `tls_keyexchange` (formerly `tls_named_group`) | `tls_keyexchange` | string |
//! | 18 | `domain_name` | `domain_name` | string, as logged (URL-encoded) |
//! | 19 | `alpn_fe_protocol` | `alpn_fe_protocol` | string |
//! | 20 | `alpn_be_protocol` | `alpn_be_protocol` | string |
//! | 21 | `alpn_client_preference_list` | `alpn_client_preference_list` | array of strings |
//! | 22 | `tls_connection_creation_time` | `tls_connection_creation_time` | date (`Z` added) |
//! | 23+ | fields AWS appends later | `extra_fields` | array of strings, as logged |
//!
//! Rules:
//! - A line needs the first 18 fields (through `domain_name`); the ALPN fields and
//!   `tls_connection_creation_time` came later, and older lines lack them. Fields past the 22nd
//!   are kept, unnamed, in `extra_fields`.
//! - `-` means absent: the field is left out.
//! - `type` must be a lower-case word (`tls` is the only documented value), `version` must be
//!   `<digits>.<digits>` and `time` an ISO 8601 time: so ALB and Classic ELB lines are errors here,
//!   not documents.
//! - Times are logged without a zone; they are UTC, and `Z` is added.
//! - `alpn_client_preference_list` is logged as `"h2","http/1.1"`: it becomes `["h2", "http/1.1"]`.
//!   AWS cuts the list at 256 bytes, so the last entry may lack its closing quote; it is kept.
//! - `ip:port` is split at the last colon: ELB writes IPv6 addresses without brackets.
//! - Field 17 was documented as `tls_named_group` ("reserved, always `-`") until AWS named it
//!   `tls_keyexchange` (the TLS or PQ-TLS key exchange); it is written as `tls_keyexchange`.
//! - A value that does not have its documented type makes the line an error document.

use super::clb::{ip_port, iso_utc, write_ip_port, write_number, write_status, write_time, write_uint};
use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::ObjectWriter;
use crate::tokenize::non_dash;

/// Fields every NLB line has (through `domain_name`).
pub const REQUIRED_FIELDS: usize = 18;
/// Fields documented today (through `tls_connection_creation_time`).
pub const KNOWN_FIELDS: usize = 22;

/// Longest `type` accepted (`tls` is the only one documented).
const MAX_TYPE: usize = 16;

/// Parser for NLB access log lines. Stateless: every line stands alone.
#[derive(Debug, Default)]
pub struct NlbParser;

impl LineParser for NlbParser {
    fn log_type(&self) -> &'static str {
        "nlb"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let mut words = fields(line);
        let mut f = [""; KNOWN_FIELDS];
        let mut count = 0;
        for slot in f.iter_mut() {
            match words.next() {
                Some(word) => *slot = word,
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
        if !is_type(f[0]) {
            return Err(ParseError::invalid("type", "a listener type such as `tls`", f[0]));
        }
        if !is_version(f[1]) {
            return Err(ParseError::invalid(
                "version",
                "a log entry version such as `2.0`",
                f[1],
            ));
        }
        let timestamp = iso_utc(f[2]).ok_or_else(|| ParseError::invalid("time", "an ISO 8601 UTC time", f[2]))?;
        let v = |i: usize| if i < count { non_dash(f[i]) } else { None };

        let mut w = begin_document(out, &timestamp, "nlb", event_id);
        w.str("type", f[0]);
        w.str("version", f[1]);
        w.opt_str("elb", v(3));
        w.opt_str("listener", v(4));
        write_ip_port(&mut w, "client:port", "client_ip", "client_port", v(5))?;
        write_ip_port(&mut w, "destination:port", "destination_ip", "destination_port", v(6))?;
        write_number(&mut w, "connection_time", v(7))?;
        write_number(&mut w, "tls_handshake_time", v(8))?;
        write_uint(&mut w, "received_bytes", v(9))?;
        write_uint(&mut w, "sent_bytes", v(10))?;
        write_status(&mut w, "incoming_tls_alert", v(11))?;
        for (i, name) in [
            (12, "chosen_cert_arn"),
            (13, "chosen_cert_serial"),
            (14, "tls_cipher"),
            (15, "tls_protocol_version"),
            (16, "tls_keyexchange"),
            (17, "domain_name"),
            (18, "alpn_fe_protocol"),
            (19, "alpn_be_protocol"),
        ] {
            w.opt_str(name, v(i));
        }
        write_alpn_list(&mut w, v(20));
        write_time(&mut w, "tls_connection_creation_time", v(21))?;
        if count == KNOWN_FIELDS {
            let extra: Vec<&str> = words.collect();
            if !extra.is_empty() {
                w.str_array("extra_fields", extra);
            }
        }
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// True when `line` looks like an NLB access log entry: `tls`, a version such as `2.0`, an ISO
/// 8601 time, a `net/…` load balancer, a listener id and the client's `ip:port`. Cheap (looks at
/// the first six fields only) and strict: ALB, Classic ELB, ALB connection, CloudFront and S3
/// access log lines do not match.
pub fn recognise(line: &str) -> bool {
    let mut words = line.split(' ');
    match (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) {
        (Some("tls"), Some(version), Some(time), Some(elb), Some(listener), Some(client)) => {
            is_version(version)
                && elb.starts_with("net/")
                && !listener.is_empty()
                && ip_port(client).is_some()
                && iso_utc(time).is_some()
        }
        _ => false,
    }
}

/// The fields of a line: separated by spaces (a run of spaces counts as one separator).
fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split(' ').filter(|w| !w.is_empty())
}

/// A listener type: 1–16 lower-case ASCII letters or digits.
fn is_type(s: &str) -> bool {
    (1..=MAX_TYPE).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A log entry version: `<digits>.<digits>` (1–3 digits each).
fn is_version(s: &str) -> bool {
    let short_number = |p: &str| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    matches!(s.split_once('.'), Some((major, minor)) if short_number(major) && short_number(minor))
}

/// `"h2","http/1.1"` → `["h2", "http/1.1"]`. Each entry loses its surrounding quotes; an entry cut
/// by AWS's 256-byte limit keeps what is left.
fn write_alpn_list(w: &mut ObjectWriter<'_>, value: Option<&str>) {
    let Some(list) = value else { return };
    let entries = list.split(',').map(|entry| {
        let entry = entry.strip_prefix('"').unwrap_or(entry);
        entry.strip_suffix('"').unwrap_or(entry)
    });
    w.str_array("alpn_client_preference_list", entries);
}

#[cfg(test)]
mod tests {
    use super::super::clb::foreign;
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Result<Value, ParseError> {
        foreign::parse_with(&mut NlbParser, line)
    }

    /// The documented example without an ALPN policy.
    const NO_ALPN: &str = "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30";

    /// The document of the documented example without an ALPN policy.
    fn no_alpn_doc() -> Value {
        json!({
            "@timestamp": "2018-12-20T02:59:40Z", "log_type": "nlb", "event_id": "id-1",
            "type": "tls", "version": "2.0", "elb": "net/my-network-loadbalancer/c6e77e28c25b2234",
            "listener": "g3d4b5e8bb8464cd", "client_ip": "72.21.218.154", "client_port": 51341,
            "destination_ip": "172.100.100.185", "destination_port": 443, "connection_time": 5,
            "tls_handshake_time": 2, "received_bytes": 98, "sent_bytes": 246,
            "chosen_cert_arn": "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99",
            "tls_cipher": "ECDHE-RSA-AES128-SHA", "tls_protocol_version": "tlsv12",
            "domain_name": "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com",
            "tls_connection_creation_time": "2018-12-20T02:59:30Z"
        })
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_without_alpn", NO_ALPN.into(), no_alpn_doc()),
            (
                "documented_with_alpn",
                foreign::NLB.into(),
                with(no_alpn_doc(), json!({
                    "@timestamp": "2020-04-01T08:51:42Z", "alpn_fe_protocol": "h2", "alpn_be_protocol": "h2",
                    "alpn_client_preference_list": ["h2", "http/1.1"],
                    "tls_connection_creation_time": "2020-04-01T08:51:20Z"
                })),
            ),
            (
                "old_line_before_alpn_fields",
                NO_ALPN.replace(" - - - 2018-12-20T02:59:30", ""),
                with(no_alpn_doc(), json!({"tls_connection_creation_time": null})),
            ),
            (
                "line_before_tls_connection_creation_time",
                NO_ALPN.replace(" 2018-12-20T02:59:30", ""),
                with(no_alpn_doc(), json!({"tls_connection_creation_time": null})),
            ),
            (
                "tls13_with_key_exchange",
                NO_ALPN.replace("ECDHE-RSA-AES128-SHA tlsv12 -", "TLS_AES_128_GCM_SHA256 tlsv13 X25519MLKEM768"),
                with(no_alpn_doc(), json!({
                    "tls_cipher": "TLS_AES_128_GCM_SHA256", "tls_protocol_version": "tlsv13",
                    "tls_keyexchange": "X25519MLKEM768"
                })),
            ),
            (
                "handshake_failure_alert_and_dashes",
                "tls 2.0 2026-11-22T05:00:03 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 203.0.113.9:40022 10.0.1.25:443 14 - 0 0 46 - - - - - - - - - 2026-11-22T05:00:03".into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:03Z", "log_type": "nlb", "event_id": "id-1",
                    "type": "tls", "version": "2.0", "elb": "net/my-network-loadbalancer/c6e77e28c25b2234",
                    "listener": "g3d4b5e8bb8464cd", "client_ip": "203.0.113.9", "client_port": 40022,
                    "destination_ip": "10.0.1.25", "destination_port": 443, "connection_time": 14,
                    "received_bytes": 0, "sent_bytes": 0, "incoming_tls_alert": 46,
                    "tls_connection_creation_time": "2026-11-22T05:00:03Z"
                }),
            ),
            (
                "ipv6_client_and_destination_without_brackets",
                NO_ALPN.replace("72.21.218.154:51341 172.100.100.185:443", "2001:db8:85a3::8a2e:370:7334:51341 2600:1f16:abc:de00::10:443"),
                with(no_alpn_doc(), json!({
                    "client_ip": "2001:db8:85a3::8a2e:370:7334", "destination_ip": "2600:1f16:abc:de00::10"
                })),
            ),
            (
                "fractional_times_and_zone_kept",
                NO_ALPN
                    .replace("2018-12-20T02:59:40", "2018-12-20T02:59:40.123456Z")
                    .replace(" 5 2 98 ", " 5.250 1.5 98 "),
                with(no_alpn_doc(), json!({
                    "@timestamp": "2018-12-20T02:59:40.123456Z", "connection_time": 5.25, "tls_handshake_time": 1.5
                })),
            ),
            (
                "url_encoded_sni_kept_as_logged",
                NO_ALPN.replace("my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com", "b%C3%BCcher.example"),
                with(no_alpn_doc(), json!({"domain_name": "b%C3%BCcher.example"})),
            ),
            (
                "alpn_list_cut_at_256_bytes",
                NO_ALPN.replace(" - - - ", r#" h2 h2 "h2","http/1.1","http/1. "#),
                with(no_alpn_doc(), json!({
                    "alpn_fe_protocol": "h2", "alpn_be_protocol": "h2",
                    "alpn_client_preference_list": ["h2", "http/1.1", "http/1."]
                })),
            ),
            (
                "single_alpn_entry",
                NO_ALPN.replace(" - - - ", r#" http/1.1 http/1.1 "http/1.1" "#),
                with(no_alpn_doc(), json!({
                    "alpn_fe_protocol": "http/1.1", "alpn_be_protocol": "http/1.1",
                    "alpn_client_preference_list": ["http/1.1"]
                })),
            ),
            (
                "appended_unknown_fields_kept",
                format!("{NO_ALPN} - \"x\" 17"),
                with(no_alpn_doc(), json!({"extra_fields": ["-", "\"x\"", "17"]})),
            ),
            (
                "runs_of_spaces",
                NO_ALPN.replace(' ', "  "),
                no_alpn_doc(),
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
                "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341".into(),
                ParseError::TooFewFields { expected: 18, found: 6 },
            ),
            (
                "alb_line_is_not_nlb",
                foreign::ALB.into(),
                ParseError::invalid("version", "a log entry version such as `2.0`", "2018-07-02T22:23:00.186641Z"),
            ),
            (
                "clb_line_with_extra_fields_is_not_nlb",
                format!("{} a b c d e f", foreign::CLB),
                ParseError::invalid("type", "a listener type such as `tls`", "2015-05-13T23:39:43.945958Z"),
            ),
            (
                "s3_access_line_is_not_nlb",
                foreign::S3_ACCESS.into(),
                ParseError::invalid(
                    "type",
                    "a listener type such as `tls`",
                    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                ),
            ),
            (
                "bad_time",
                NO_ALPN.replace("2018-12-20T02:59:40", "2018-12-20 02:59:40"),
                ParseError::invalid("time", "an ISO 8601 UTC time", "2018-12-20"),
            ),
            (
                "bad_client",
                NO_ALPN.replace("72.21.218.154:51341", "72.21.218.154"),
                ParseError::invalid("client:port", "ip:port", "72.21.218.154"),
            ),
            (
                "non_numeric_connection_time",
                NO_ALPN.replace(" 5 2 98 ", " five 2 98 "),
                ParseError::invalid("connection_time", "a number", "five"),
            ),
            (
                "non_integer_alert",
                NO_ALPN.replace(" 246 - arn", " 246 0x2e arn"),
                ParseError::invalid("incoming_tls_alert", "an integer from 0 to 65535", "0x2e"),
            ),
            (
                "bad_tls_connection_creation_time",
                NO_ALPN.replace("2018-12-20T02:59:30", "02:59:30"),
                ParseError::invalid("tls_connection_creation_time", "an ISO 8601 UTC time", "02:59:30"),
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = NlbParser.parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn recognise_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("documented_without_alpn", NO_ALPN, true),
            ("documented_with_alpn", foreign::NLB, true),
            (
                "ipv6_client",
                &NO_ALPN.replace("72.21.218.154:51341", "2001:db8::7:51341")[..],
                true,
            ),
            ("other_version", &NO_ALPN.replacen("2.0", "3.1", 1)[..], true),
            ("alb", foreign::ALB, false),
            ("clb", foreign::CLB, false),
            ("alb_connection", foreign::ALB_CONN, false),
            ("cloudfront", foreign::CLOUDFRONT, false),
            ("s3_access", foreign::S3_ACCESS, false),
            ("not_net_elb", &NO_ALPN.replace("net/", "app/")[..], false),
            ("upper_case_type", &NO_ALPN.replacen("tls", "TLS", 1)[..], false),
            ("first_fields_only", "tls 2.0 2018-12-20T02:59:40", false),
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
        let sample = include_str!("../../../events/samples/nlb.log");
        foreign::every_sample_line_parses(sample, recognise, &mut NlbParser);
    }

    #[test]
    fn garbage_never_panics() {
        foreign::garbage_is_refused(&mut NlbParser);
    }
}
