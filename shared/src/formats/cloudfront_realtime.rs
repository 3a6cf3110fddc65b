//! CloudFront real-time logs.
//!
//! Spec: "Use real-time logs" in the Amazon CloudFront Developer Guide
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html>).
//!
//! CloudFront sends one record per sampled request to a Kinesis data stream: the values of the
//! fields chosen in the real-time log configuration, separated by tabs, ending with a newline.
//! There is no header; the field list comes from the configuration
//! ([`CloudFrontRealtimeParser::with_fields`], e.g. the `Fields` that
//! `aws cloudfront get-realtime-log-config` prints, which are in delivery order). Example with
//! the fields `timestamp c-ip time-to-first-byte sc-status sc-bytes cs-method` (tabs shown as `→`):
//!
//! ```text
//! 1605224520.123→192.0.2.100→0.002→200→11040→GET
//! ```
//!
//! # Fields
//!
//! The documented fields, in the documented delivery order ([`DEFAULT_FIELDS`], used by
//! `Default`). Names that denote a legacy standard-log field take its JSON name and type.
//!
//! | # | AWS field | JSON field | type |
//! |---|-----------|------------|------|
//! | 1 | `timestamp` | `@timestamp` | epoch seconds, 3 decimals → date, ms |
//! | 2 | `c-ip` | `c_ip` | IP address (v4 or v6) |
//! | 3 | `time-to-first-byte` | `time_to_first_byte` | number (seconds, no exponent) |
//! | 4 | `sc-status` | `sc_status` | integer, 0–999 (`000` → `0`) |
//! | 5 | `sc-bytes` | `sc_bytes` | integer (0–2^63-1) |
//! | 6 | `cs-method` | `cs_method` | string |
//! | 7 | `cs-protocol` | `cs_protocol` | string |
//! | 8 | `cs-host` | `cs_host` | string |
//! | 9 | `cs-uri-stem` | `cs_uri_stem` | string (with the query string) |
//! | 10 | `cs-bytes` | `cs_bytes` | integer (0–2^63-1) |
//! | 11 | `x-edge-location` | `x_edge_location` | string |
//! | 12 | `x-edge-request-id` | `x_edge_request_id` | string |
//! | 13 | `x-host-header` | `x_host_header` | string |
//! | 14 | `time-taken` | `time_taken` | number (seconds, no exponent) |
//! | 15 | `cs-protocol-version` | `cs_protocol_version` | string |
//! | 16 | `c-ip-version` | `c_ip_version` | string |
//! | 17 | `cs-user-agent` | `cs_user_agent` | string, percent-decoded once |
//! | 18 | `cs-referer` | `cs_referer` | string, percent-decoded once |
//! | 19 | `cs-cookie` | `cs_cookie` | string, as logged |
//! | 20 | `cs-uri-query` | `cs_uri_query` | string, as logged |
//! | 21 | `x-edge-response-result-type` | `x_edge_response_result_type` | string |
//! | 22 | `x-forwarded-for` | `x_forwarded_for` | string |
//! | 23 | `ssl-protocol` | `ssl_protocol` | string |
//! | 24 | `ssl-cipher` | `ssl_cipher` | string |
//! | 25 | `x-edge-result-type` | `x_edge_result_type` | string |
//! | 26 | `fle-encrypted-fields` | `fle_encrypted_fields` | string |
//! | 27 | `fle-status` | `fle_status` | string |
//! | 28 | `sc-content-type` | `sc_content_type` | string |
//! | 29 | `sc-content-len` | `sc_content_len` | integer (0–2^63-1) |
//! | 30 | `sc-range-start` | `sc_range_start` | integer (0–2^63-1) |
//! | 31 | `sc-range-end` | `sc_range_end` | integer (0–2^63-1) |
//! | 32 | `c-port` | `c_port` | integer (0–65535) |
//! | 33 | `x-edge-detailed-result-type` | `x_edge_detailed_result_type` | string |
//! | 34 | `c-country` | `c_country` | string |
//! | 35 | `cs-accept-encoding` | `cs_accept_encoding` | string |
//! | 36 | `cs-accept` | `cs_accept` | string |
//! | 37 | `cache-behavior-path-pattern` | `cache_behavior_path_pattern` | string |
//! | 38 | `cs-headers` | `cs_headers` | string, percent-decoded once |
//! | 39 | `cs-header-names` | `cs_header_names` | string, percent-decoded once |
//! | 40 | `cs-headers-count` | `cs_headers_count` | integer (0–2^63-1) |
//! | 41 | `primary-distribution-id` | `primary_distribution_id` | string |
//! | 42 | `primary-distribution-dns-name` | `primary_distribution_dns_name` | string |
//! | 43 | `origin-fbl` | `origin_fbl` | number (seconds, no exponent) |
//! | 44 | `origin-lbl` | `origin_lbl` | number (seconds, no exponent) |
//! | 45 | `asn` | `asn` | string |
//! | 46–63 | `cmcd-encoded-bitrate`, `cmcd-buffer-length`, `cmcd-buffer-starvation`, `cmcd-content-id`, `cmcd-object-duration`, `cmcd-deadline`, `cmcd-measured-throughput`, `cmcd-next-object-request`, `cmcd-next-range-request`, `cmcd-object-type`, `cmcd-playback-rate`, `cmcd-requested-maximum-throughput`, `cmcd-streaming-format`, `cmcd-session-id`, `cmcd-stream-type`, `cmcd-startup`, `cmcd-top-bitrate`, `cmcd-version` | `cmcd_…` | string (player-supplied) |
//! | 64 | `r-host` | `r_host` | string |
//! | 65 | `sr-reason` | `sr_reason` | string |
//! | 66 | `x-edge-mqcs` | `x_edge_mqcs` | string |
//! | 67 | `distribution-tenant-id` | `distribution_tenant_id` | string |
//! | 68 | `connection-id` | `connection_id` | string |
//! | – | any other configured name | its snake_case name | string |
//! | – | values past the configured fields | `extra_fields` | array of strings |
//!
//! Fields 1–40 and their order are from the Developer Guide; 41–68 follow the order in which the
//! current guide lists them. `viewer-request-log-data` and `viewer-response-log-data` (strings) are
//! known but not in the default list, their position being undocumented. Configure the real list
//! whenever it is not all of these.
//!
//! # Rules
//!
//! * **Layout.** Values are taken in the configured order. A record with fewer values yields the
//!   fields it has; values past the configured fields go, as logged, to `extra_fields`.
//! * **Time.** `timestamp` (`1605224520.123`, epoch seconds with milliseconds; 0–3 decimals are
//!   accepted) becomes `@timestamp` (`2020-11-12T23:42:00.123Z`) and is not written separately. The
//!   configured list must contain it; a record whose `timestamp` is missing or invalid is an error.
//! * **Types, `-`, names, decoding**: as in [`super::cloudfront_v2`] (same tables, same code).
//!   `cs-user-agent`, `cs-referer`, `cs-headers` and `cs-header-names` are percent-decoded once.
//! * **Headers.** Records have none: a line starting with `#` is a record like any other (and
//!   fails on its `timestamp`).

use super::cloudfront_v2::{columns_from_list, write_tsv_document, Columns, FieldListError};
use super::{LineOutcome, LineParser};
use crate::error::ParseError;
use std::net::IpAddr;

/// The documented real-time log fields, in delivery order (see the module docs).
pub const DEFAULT_FIELDS: [&str; 68] = [
    "timestamp",
    "c-ip",
    "time-to-first-byte",
    "sc-status",
    "sc-bytes",
    "cs-method",
    "cs-protocol",
    "cs-host",
    "cs-uri-stem",
    "cs-bytes",
    "x-edge-location",
    "x-edge-request-id",
    "x-host-header",
    "time-taken",
    "cs-protocol-version",
    "c-ip-version",
    "cs-user-agent",
    "cs-referer",
    "cs-cookie",
    "cs-uri-query",
    "x-edge-response-result-type",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-result-type",
    "fle-encrypted-fields",
    "fle-status",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
    "c-port",
    "x-edge-detailed-result-type",
    "c-country",
    "cs-accept-encoding",
    "cs-accept",
    "cache-behavior-path-pattern",
    "cs-headers",
    "cs-header-names",
    "cs-headers-count",
    "primary-distribution-id",
    "primary-distribution-dns-name",
    "origin-fbl",
    "origin-lbl",
    "asn",
    "cmcd-encoded-bitrate",
    "cmcd-buffer-length",
    "cmcd-buffer-starvation",
    "cmcd-content-id",
    "cmcd-object-duration",
    "cmcd-deadline",
    "cmcd-measured-throughput",
    "cmcd-next-object-request",
    "cmcd-next-range-request",
    "cmcd-object-type",
    "cmcd-playback-rate",
    "cmcd-requested-maximum-throughput",
    "cmcd-streaming-format",
    "cmcd-session-id",
    "cmcd-stream-type",
    "cmcd-startup",
    "cmcd-top-bitrate",
    "cmcd-version",
    "r-host",
    "sr-reason",
    "x-edge-mqcs",
    "distribution-tenant-id",
    "connection-id",
];

/// The `log_type` of every document this module writes.
const LOG_TYPE: &str = "cloudfront_realtime";

/// Parser for real-time log records laid out as one configured field list. Stateless between
/// records (besides a reused decoding buffer).
#[derive(Debug)]
pub struct CloudFrontRealtimeParser {
    columns: Columns,
    scratch: Vec<u8>,
}

impl CloudFrontRealtimeParser {
    /// A parser for records carrying these fields (AWS names, in delivery order, separated by
    /// commas and/or whitespace). The list must name `timestamp`, each field once, and at most
    /// [`super::cloudfront_v2::MAX_HEADER_FIELDS`] fields; names outside the table are kept as
    /// strings.
    pub fn with_fields(fields: &str) -> Result<CloudFrontRealtimeParser, FieldListError> {
        let columns = columns_from_list(fields)?;
        if !columns.names().any(|n| n == "timestamp") {
            return Err(FieldListError::NoTime("timestamp"));
        }
        Ok(CloudFrontRealtimeParser {
            columns,
            scratch: Vec::new(),
        })
    }

    /// The JSON names of the configured fields, in order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.columns.names()
    }
}

impl CloudFrontRealtimeParser {
    /// The parser for this deployment: the field list in `LOGPIPE_CLOUDFRONT_REALTIME_FIELDS` (the
    /// real-time log configuration's fields, in order), or every documented field when it is unset.
    pub fn from_env() -> Result<CloudFrontRealtimeParser, String> {
        match std::env::var("LOGPIPE_CLOUDFRONT_REALTIME_FIELDS") {
            Ok(list) if !list.trim().is_empty() => CloudFrontRealtimeParser::with_fields(&list)
                .map_err(|e| format!("LOGPIPE_CLOUDFRONT_REALTIME_FIELDS: {e}")),
            _ => Ok(CloudFrontRealtimeParser::default()),
        }
    }
}

impl Default for CloudFrontRealtimeParser {
    /// Every documented field, in documented order ([`DEFAULT_FIELDS`]).
    fn default() -> Self {
        CloudFrontRealtimeParser {
            columns: Columns::from_names(DEFAULT_FIELDS),
            scratch: Vec::new(),
        }
    }
}

impl LineParser for CloudFrontRealtimeParser {
    fn log_type(&self) -> &'static str {
        LOG_TYPE
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        write_tsv_document(&self.columns, line, LOG_TYPE, event_id, out, &mut self.scratch)
    }
}

/// Whether `line` looks, without doubt, like a real-time log record (for content detection): tab
/// separated, the first value epoch seconds with exactly 3 decimals (`1605224520.123`), the second
/// an IPv4 or IPv6 address (the default and usual `timestamp`, `c-ip` start). Legacy and v2 lines,
/// JSON records and ALB lines do not match.
pub fn recognise(line: &str) -> bool {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let mut values = line.split('\t');
    let (Some(timestamp), Some(ip)) = (values.next(), values.next()) else {
        return false;
    };
    let t = timestamp.as_bytes();
    let epoch = t.len() == 14
        && t.iter()
            .enumerate()
            .all(|(i, b)| if i == 10 { *b == b'.' } else { b.is_ascii_digit() });
    epoch && ip.parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::cloudfront::{int_expected, SECONDS};
    use crate::formats::cloudfront_v2;
    use crate::tokenize::{MAX_LONG, MAX_PORT, MAX_STATUS};
    use serde_json::{json, Value};

    /// The first fields of a record, in default order, and the rest as `-`: `values[i]` replaces
    /// field `i`.
    fn record(values: &[(usize, &str)]) -> String {
        let mut fields = vec!["-"; DEFAULT_FIELDS.len()];
        for &(i, v) in values {
            fields[i] = v;
        }
        fields.join("\t")
    }

    fn base() -> Vec<(usize, &'static str)> {
        vec![
            (0, "1795341600.123"),
            (1, "192.0.2.100"),
            (2, "0.002"),
            (3, "200"),
            (4, "11040"),
            (5, "GET"),
            (6, "https"),
            (7, "www.example.com"),
            (8, "/index.html?lang=en"),
            (9, "23"),
            (10, "FRA56-P5"),
            (11, "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ=="),
            (12, "d111111abcdef8.cloudfront.net"),
            (13, "0.003"),
            (14, "HTTP/2.0"),
            (15, "IPv4"),
            (16, "Mozilla/5.0%20(X11;%20Linux%20x86_64)"),
        ]
    }

    fn base_doc() -> Value {
        json!({
            "@timestamp": "2026-11-22T10:00:00.123Z", "log_type": "cloudfront_realtime", "event_id": "evt",
            "c_ip": "192.0.2.100", "time_to_first_byte": 0.002, "sc_status": 200, "sc_bytes": 11040,
            "cs_method": "GET", "cs_protocol": "https", "cs_host": "www.example.com",
            "cs_uri_stem": "/index.html?lang=en", "cs_bytes": 23, "x_edge_location": "FRA56-P5",
            "x_edge_request_id": "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
            "x_host_header": "d111111abcdef8.cloudfront.net", "time_taken": 0.003,
            "cs_protocol_version": "HTTP/2.0", "c_ip_version": "IPv4",
            "cs_user_agent": "Mozilla/5.0 (X11; Linux x86_64)"
        })
    }

    fn with(mut doc: Value, changes: Value) -> Value {
        if let (Some(d), Some(c)) = (doc.as_object_mut(), changes.as_object()) {
            for (k, v) in c {
                if v.is_null() {
                    d.remove(k);
                } else {
                    d.insert(k.clone(), v.clone());
                }
            }
        }
        doc
    }

    fn parse(parser: &mut CloudFrontRealtimeParser, line: &str) -> Result<Value, ParseError> {
        let mut out = Vec::new();
        match parser.parse_line(line, "evt", &mut out)? {
            LineOutcome::Document(ts) => {
                let text = std::str::from_utf8(&out).expect("UTF-8");
                let prefix =
                    format!("{{\"@timestamp\":\"{ts}\",\"log_type\":\"cloudfront_realtime\",\"event_id\":\"evt\"");
                assert!(text.starts_with(&prefix), "{text}");
                Ok(serde_json::from_str(text).expect("JSON"))
            }
            LineOutcome::Header => panic!("no headers in real-time logs"),
        }
    }

    #[test]
    fn default_layout_table() {
        let mut b = base();
        let cases: Vec<(&str, String, Value)> = vec![
            ("documented_fields", record(&base()), base_doc()),
            (
                "ipv6_viewer_and_forwarded_for",
                record(&{
                    b.extend([
                        (1, "2001:db8:85a3::8a2e:370:7334"),
                        (15, "IPv6"),
                        (21, "198.51.100.7, 2001:db8::1"),
                    ]);
                    b.clone()
                }),
                with(
                    base_doc(),
                    json!({"c_ip": "2001:db8:85a3::8a2e:370:7334", "c_ip_version": "IPv6",
                           "x_forwarded_for": "198.51.100.7, 2001:db8::1"}),
                ),
            ),
            (
                "status_000_and_range",
                record(&[base(), vec![(3, "000"), (29, "0"), (30, "1023"), (31, "443")]].concat()),
                with(
                    base_doc(),
                    json!({"sc_status": 0, "sc_range_start": 0, "sc_range_end": 1023, "c_port": 443}),
                ),
            ),
            (
                "headers_decoded_once_cookie_and_query_kept",
                record(
                    &[
                        base(),
                        vec![
                            (17, "https://www.example.com/a%3Fq%3D%2520"),
                            (18, "session%3Dabc"),
                            (19, "q=a%20b"),
                            (37, "Host:www.example.com%0AUser-Agent:curl%2F8.5.0%0A"),
                            (38, "Host%0AUser-Agent%0A"),
                            (39, "2"),
                        ],
                    ]
                    .concat(),
                ),
                with(
                    base_doc(),
                    json!({"cs_referer": "https://www.example.com/a?q=%20", "cs_cookie": "session%3Dabc",
                           "cs_uri_query": "q=a%20b", "cs_headers": "Host:www.example.com\nUser-Agent:curl/8.5.0\n",
                           "cs_header_names": "Host\nUser-Agent\n", "cs_headers_count": 2}),
                ),
            ),
            (
                "newer_fields",
                record(
                    &[
                        base(),
                        vec![
                            (33, "DE"),
                            (36, "/static/*"),
                            (40, "E2EXAMPLE12345"),
                            (42, "0.110"),
                            (43, "0.145"),
                            (44, "3320"),
                            (45, "3200"),
                            (47, "true"),
                            (63, "origin.example.com"),
                        ],
                    ]
                    .concat(),
                ),
                with(
                    base_doc(),
                    json!({"c_country": "DE", "cache_behavior_path_pattern": "/static/*",
                           "primary_distribution_id": "E2EXAMPLE12345", "origin_fbl": 0.110, "origin_lbl": 0.145,
                           "asn": "3320", "cmcd_encoded_bitrate": "3200", "cmcd_buffer_starvation": "true",
                           "r_host": "origin.example.com"}),
                ),
            ),
            (
                "extra_trailing_values",
                format!("{}\tnew-field\t-", record(&base())),
                with(base_doc(), json!({"extra_fields": ["new-field", "-"]})),
            ),
            (
                "fewer_values_than_configured",
                "1795341600.123\t192.0.2.100\t0.002".into(),
                json!({"@timestamp": "2026-11-22T10:00:00.123Z", "log_type": "cloudfront_realtime",
                       "event_id": "evt", "c_ip": "192.0.2.100", "time_to_first_byte": 0.002}),
            ),
            (
                "timestamp_only",
                "1795341600.123".into(),
                json!({"@timestamp": "2026-11-22T10:00:00.123Z", "log_type": "cloudfront_realtime",
                       "event_id": "evt"}),
            ),
            (
                "all_absent",
                record(&[(0, "1795341600")]),
                json!({"@timestamp": "2026-11-22T10:00:00.000Z", "log_type": "cloudfront_realtime",
                       "event_id": "evt"}),
            ),
        ];
        let mut parser = CloudFrontRealtimeParser::default();
        for (name, line, want) in cases {
            let got = parse(&mut parser, &line).unwrap_or_else(|e| panic!("case `{name}`: {e}"));
            assert_eq!(got, want, "case `{name}`");
        }
    }

    #[test]
    fn configured_layouts() {
        // The Developer Guide's example: three fields, then two more added.
        let mut three = CloudFrontRealtimeParser::with_fields("timestamp, time-to-first-byte, sc-status, c-country")
            .expect("valid list");
        assert_eq!(
            parse(&mut three, "1605224520.123\t0.001\t304\tUS").unwrap(),
            json!({"@timestamp": "2020-11-12T23:42:00.123Z", "log_type": "cloudfront_realtime", "event_id": "evt",
                   "time_to_first_byte": 0.001, "sc_status": 304, "c_country": "US"})
        );
        let mut five = CloudFrontRealtimeParser::with_fields(
            "timestamp time-to-first-byte sc-status sc-bytes time-taken c-country",
        )
        .expect("valid list");
        assert_eq!(
            parse(&mut five, "1605224520.123\t0.001\t304\t512\t0.002\tUS").unwrap(),
            json!({"@timestamp": "2020-11-12T23:42:00.123Z", "log_type": "cloudfront_realtime", "event_id": "evt",
                   "time_to_first_byte": 0.001, "sc_status": 304, "sc_bytes": 512, "time_taken": 0.002,
                   "c_country": "US"})
        );
        // A field logpipe does not know yet, and timestamp not first.
        let mut custom = CloudFrontRealtimeParser::with_fields("c-ip\ntimestamp\tviewer-request-log-data,future-field")
            .expect("valid list");
        assert_eq!(
            custom.field_names().collect::<Vec<_>>(),
            ["c_ip", "timestamp", "viewer_request_log_data", "future_field"]
        );
        assert_eq!(
            parse(&mut custom, "192.0.2.1\t1605224520.000\tvariant=b\t42").unwrap(),
            json!({"@timestamp": "2020-11-12T23:42:00.000Z", "log_type": "cloudfront_realtime", "event_id": "evt",
                   "c_ip": "192.0.2.1", "viewer_request_log_data": "variant=b", "future_field": "42"})
        );
    }

    #[test]
    fn field_list_errors() {
        let err = |list: &str| CloudFrontRealtimeParser::with_fields(list).err();
        assert_eq!(err(""), Some(FieldListError::Empty));
        assert_eq!(err("c-ip sc-status"), Some(FieldListError::NoTime("timestamp")));
        assert_eq!(err("timestamp(ms) c-ip"), Some(FieldListError::NoTime("timestamp")));
        assert_eq!(
            err("timestamp c-ip cs-host cs(Host)"),
            Some(FieldListError::Duplicate("cs(Host)".into()))
        );
        assert_eq!(err("timestamp c-ïp"), Some(FieldListError::Unusable("c-ïp".into())));
        assert_eq!(
            err("timestamp extra_fields"),
            Some(FieldListError::Unusable("extra_fields".into()))
        );
        assert!(CloudFrontRealtimeParser::with_fields(&DEFAULT_FIELDS.join(",")).is_ok());
        let msg = FieldListError::Duplicate("c-ip".into()).to_string();
        assert_eq!(msg, "field `c-ip` is listed twice");
    }

    #[test]
    fn error_table() {
        let invalid = |field, expected, value: &str| ParseError::InvalidField {
            field,
            expected,
            value: value.to_owned(),
        };
        let cases: Vec<(&str, String, ParseError)> = vec![
            (
                "iso_timestamp",
                record(&[(0, "2026-11-22T10:00:00Z")]),
                invalid("timestamp", "epoch seconds (up to 3 decimals)", "2026-11-22T10:00:00Z"),
            ),
            (
                "microsecond_timestamp",
                record(&[(0, "1795341600.123456")]),
                invalid("timestamp", "epoch seconds (up to 3 decimals)", "1795341600.123456"),
            ),
            (
                "missing_timestamp",
                record(&[(0, "-")]),
                invalid("timestamp", "a time: timestamp(ms), timestamp, or date and time", ""),
            ),
            (
                "non_numeric_status",
                record(&[(0, "1795341600.123"), (3, "2OO")]),
                invalid("sc_status", int_expected(MAX_STATUS), "2OO"),
            ),
            (
                "negative_bytes",
                record(&[(0, "1795341600.123"), (4, "-5")]),
                invalid("sc_bytes", int_expected(MAX_LONG), "-5"),
            ),
            (
                "bad_time_taken",
                record(&[(0, "1795341600.123"), (13, "0,003")]),
                invalid("time_taken", SECONDS, "0,003"),
            ),
            (
                "bad_headers_count",
                record(&[(0, "1795341600.123"), (39, "x")]),
                invalid("cs_headers_count", int_expected(MAX_LONG), "x"),
            ),
            (
                "c_ip_not_an_address",
                record(&[(0, "1795341600.123"), (1, "client")]),
                invalid("c_ip", "an IP address", "client"),
            ),
            (
                "c_ip_with_port",
                record(&[(0, "1795341600.123"), (1, "192.0.2.100:52311")]),
                invalid("c_ip", "an IP address", "192.0.2.100:52311"),
            ),
            (
                "status_over_999",
                record(&[(0, "1795341600.123"), (3, "1000")]),
                invalid("sc_status", int_expected(MAX_STATUS), "1000"),
            ),
            (
                "bytes_over_long",
                record(&[(0, "1795341600.123"), (4, "9223372036854775808")]),
                invalid("sc_bytes", int_expected(MAX_LONG), "9223372036854775808"),
            ),
            (
                "port_over_65535",
                record(&[(0, "1795341600.123"), (31, "70000")]),
                invalid("c_port", int_expected(MAX_PORT), "70000"),
            ),
            (
                "time_to_first_byte_infinite",
                record(&[(0, "1795341600.123"), (2, "1e400")]),
                invalid("time_to_first_byte", SECONDS, "1e400"),
            ),
            (
                "origin_fbl_with_exponent",
                record(&[(0, "1795341600.123"), (42, "2.5e-2")]),
                invalid("origin_fbl", SECONDS, "2.5e-2"),
            ),
            (
                "legacy_line",
                "2019-12-04\t21:02:31\tLAX1\t392".into(),
                invalid("timestamp", "epoch seconds (up to 3 decimals)", "2019-12-04"),
            ),
            (
                "header_like_line",
                "#Fields: timestamp c-ip".into(),
                invalid(
                    "timestamp",
                    "epoch seconds (up to 3 decimals)",
                    "#Fields: timestamp c-ip",
                ),
            ),
            (
                "garbage",
                "\u{0}garbage é 🎉".into(),
                invalid("timestamp", "epoch seconds (up to 3 decimals)", "\u{0}garbage é 🎉"),
            ),
        ];
        let mut parser = CloudFrontRealtimeParser::default();
        for (name, line, want) in cases {
            let err = parse(&mut parser, &line).expect_err(name);
            assert_eq!(err, want, "case `{name}`");
        }
    }

    #[test]
    fn recognise_table() {
        let cases: [(&str, &str, bool); 12] = [
            ("record", "1605224520.123\t192.0.2.100\t0.001\t200", true),
            ("two_fields", "1605224520.123\t192.0.2.100", true),
            ("ipv6", "1795341600.000\t2001:db8::1\t0.001", true),
            ("bom", "\u{feff}1795341600.000\t2001:db8::1\t0.001", true),
            ("no_decimals", "1605224520\t192.0.2.100\t0.001", false),
            ("ms_epoch", "1605224520123\t192.0.2.100\t0.001", false),
            ("not_an_ip", "1605224520.123\tLAX1\t0.001", false),
            ("spaces", "1605224520.123 192.0.2.100 0.001", false),
            ("legacy", "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100", false),
            (
                "v2_json",
                r#"{"timestamp":"1605224520.123","c-ip":"192.0.2.100"}"#,
                false,
            ),
            (
                "alb",
                "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188",
                false,
            ),
            ("empty", "", false),
        ];
        for (name, line, want) in cases {
            assert_eq!(recognise(line), want, "case `{name}`");
            assert!(
                !(recognise(line) && cloudfront_v2::recognise(line)),
                "case `{name}` matches both"
            );
        }
    }

    #[test]
    fn every_sample_line_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/samples/cloudfront_realtime.log");
        let text = std::fs::read_to_string(path).expect("sample file");
        let mut parser = CloudFrontRealtimeParser::default();
        let mut count = 0;
        for (n, line) in text.lines().enumerate() {
            assert!(recognise(line), "line {}", n + 1);
            assert!(!cloudfront_v2::recognise(line), "line {}", n + 1);
            let doc = parse(&mut parser, line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
            assert!(doc["@timestamp"].as_str().is_some_and(|t| t.starts_with("2026-11-22T")));
            assert_eq!(doc["primary_distribution_id"], "E2EXAMPLE12345", "line {}", n + 1);
            assert!(doc.get("extra_fields").is_none(), "line {}", n + 1);
            count += 1;
        }
        assert_eq!(count, 20);
    }

    /// Random records never panic, and every document is JSON.
    #[test]
    fn arbitrary_input_does_not_panic() {
        const PIECES: [&str; 16] = [
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
            "1795341600.123",
            "é",
            "\u{0}",
            "\"",
            "\\",
            "🎉",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut parser = CloudFrontRealtimeParser::default();
        let mut out = Vec::new();
        for _ in 0..20_000 {
            let mut line = String::new();
            if next() % 2 == 0 {
                line.push_str("1795341600.123\t");
            }
            for _ in 0..next() % 80 {
                line.push_str(PIECES[(next() >> 8) as usize % PIECES.len()]);
            }
            if line.is_empty() {
                continue;
            }
            let _ = recognise(&line);
            out.clear();
            if let Ok(LineOutcome::Document(_)) = parser.parse_line(&line, "evt", &mut out) {
                let v: Value = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{line:?}: {e}"));
                assert!(v.is_object());
            }
        }
    }

    #[test]
    fn default_list_is_the_documented_one() {
        let parser = CloudFrontRealtimeParser::default();
        assert_eq!(parser.field_names().count(), DEFAULT_FIELDS.len());
        assert!(
            parser.field_names().all(|n| !n.is_empty()),
            "every default name is usable and unique"
        );
        assert_eq!(parser.log_type(), "cloudfront_realtime");
        for name in DEFAULT_FIELDS {
            assert!(
                cloudfront_v2::is_aws_field(name)
                    || ["cs-host", "cs-user-agent", "cs-referer", "cs-cookie"].contains(&name),
                "{name}"
            );
        }
    }
}
