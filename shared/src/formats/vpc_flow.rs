//! VPC Flow Logs.
//!
//! Spec: "Flow log records" in the Amazon VPC User Guide
//! (<https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html>), with the record
//! examples of "Flow log record examples"; `encryption-status` is described in the VPC encryption
//! controls chapter. A record is one line of space-separated values. The default format has the 14
//! version-2 fields; a custom format names any fields in any order. Files delivered to S3 start with a
//! header line naming the fields; CloudWatch Logs delivery has no header, so the format comes from
//! configuration ([`VpcFlowParser::with_fields`]). Example (default format):
//!
//! ```text
//! version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
//! 2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
//! ```
//!
//! | # | AWS field (version) | JSON field | type |
//! |---|---|---|---|
//! | 1 | `version` (2) | `version` | string |
//! | 2 | `account-id` (2) | `account_id` | string |
//! | 3 | `interface-id` (2) | `interface_id` | string |
//! | 4 | `srcaddr` (2) | `srcaddr` | string |
//! | 5 | `dstaddr` (2) | `dstaddr` | string |
//! | 6 | `srcport` (2) | `srcport` | integer |
//! | 7 | `dstport` (2) | `dstport` | integer |
//! | 8 | `protocol` (2) | `protocol` | integer |
//! | 9 | `packets` (2) | `packets` | integer |
//! | 10 | `bytes` (2) | `bytes` | integer |
//! | 11 | `start` (2) | `start`, and `@timestamp` | date (from Unix seconds) |
//! | 12 | `end` (2) | `end` | date (from Unix seconds) |
//! | 13 | `action` (2) | `action` | string |
//! | 14 | `log-status` (2) | `log_status` | string |
//! | 15 | `vpc-id` (3) | `vpc_id` | string |
//! | 16 | `subnet-id` (3) | `subnet_id` | string |
//! | 17 | `instance-id` (3) | `instance_id` | string |
//! | 18 | `tcp-flags` (3) | `tcp_flags` | integer |
//! | 19 | `type` (3) | `type` | string |
//! | 20 | `pkt-srcaddr` (3) | `pkt_srcaddr` | string |
//! | 21 | `pkt-dstaddr` (3) | `pkt_dstaddr` | string |
//! | 22 | `region` (4) | `region` | string |
//! | 23 | `az-id` (4) | `az_id` | string |
//! | 24 | `sublocation-type` (4) | `sublocation_type` | string |
//! | 25 | `sublocation-id` (4) | `sublocation_id` | string |
//! | 26 | `pkt-src-aws-service` (5) | `pkt_src_aws_service` | string |
//! | 27 | `pkt-dst-aws-service` (5) | `pkt_dst_aws_service` | string |
//! | 28 | `flow-direction` (5) | `flow_direction` | string |
//! | 29 | `traffic-path` (5) | `traffic_path` | integer |
//! | 30 | `ecs-cluster-arn` (7) | `ecs_cluster_arn` | string |
//! | 31 | `ecs-cluster-name` (7) | `ecs_cluster_name` | string |
//! | 32 | `ecs-container-instance-arn` (7) | `ecs_container_instance_arn` | string |
//! | 33 | `ecs-container-instance-id` (7) | `ecs_container_instance_id` | string |
//! | 34 | `ecs-container-id` (7) | `ecs_container_id` | string |
//! | 35 | `ecs-second-container-id` (7) | `ecs_second_container_id` | string |
//! | 36 | `ecs-service-name` (7) | `ecs_service_name` | string |
//! | 37 | `ecs-task-definition-arn` (7) | `ecs_task_definition_arn` | string |
//! | 38 | `ecs-task-arn` (7) | `ecs_task_arn` | string |
//! | 39 | `ecs-task-id` (7) | `ecs_task_id` | string |
//! | 40 | `reject-reason` (8) | `reject_reason` | string |
//! | 41 | `encryption-status` | `encryption_status` | integer (`0`–`3`) |
//! | – | any other header name | its name in snake_case | string |
//! | – | values past the format's last field | `extra_fields` | array of strings |
//!
//! Rules:
//! - **Format.** The field order comes from, in this order of precedence: the latest header line of
//!   the input; the format given by configuration ([`VpcFlowParser::with_fields`], either
//!   `${version} ${account-id} …` or `version account-id …`); the default version-2 format.
//! - **Header.** A line whose words all look like field names (`[a-z][a-z0-9_-]*`), more than half
//!   of them documented ones, is a header: it yields [`LineOutcome::Header`] and sets the order for the
//!   lines after it. No record value is such a word list (values are numbers, ids with digits,
//!   upper-case words such as `ACCEPT`, or `-`). At most [`MAX_HEADER_FIELDS`] names are used.
//! - **Names.** A documented field gets the name in the table. Another name is kept, its values as
//!   strings, when it converts to 1–[`MAX_FIELD_NAME_LEN`] characters of `[a-z0-9_]` (lower-cased,
//!   `-` turned into `_`, trailing `_` dropped); a name that does not, that repeats an earlier one, or
//!   that would clash with the common fields (`log_type`, `event_id`, `extra_fields`, `error`,
//!   `message`) has its values put in `extra_fields`.
//! - **Spacing.** Values are separated by runs of spaces (or tabs).
//! - **Field count.** A record with fewer values than its format has is an error
//!   ([`ParseError::TooFewFields`]): VPC Flow Logs writes every field of the format, `-` when it has
//!   no value. Values past the format's last field are kept, in order, in `extra_fields`.
//! - **Absent values.** `-` means absent: the field is left out. `NODATA` and `SKIPDATA` records
//!   (`log-status`) therefore yield documents with the fields they have.
//! - **Time.** `start` and `end` (Unix seconds) are written as RFC 3339 UTC dates, e.g.
//!   `2026-11-22T05:00:12Z`. `@timestamp` is `start`; when the format has no `start` or it is `-`,
//!   `end`; when neither has a value, the time the record was processed (as for error documents).
//! - **Types.** A value that is not of its field's type (integers: digits only, within 64 bits; times:
//!   Unix seconds within years 0000–9999) makes the record an error document.

use super::cloudfront::json_name;
use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::timestamp::Timestamp;
use crate::tokenize::{parse_uint, MAX_INTEGER, MAX_LONG, MAX_PORT};
use std::borrow::Cow;

/// Only the first this many names of a header or configured format are used.
pub const MAX_HEADER_FIELDS: usize = 128;

/// Longest JSON name kept for a field name the table does not know.
pub const MAX_FIELD_NAME_LEN: usize = super::cloudfront::MAX_FIELD_NAME_LEN;

/// The default (version 2) format.
pub const DEFAULT_FORMAT: &str =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string, as logged.
    Str,
    /// An unsigned integer.
    Int,
    /// `start`: Unix seconds, written as a date and used for `@timestamp`.
    Start,
    /// `end`: Unix seconds, written as a date.
    End,
    /// An unusable name: the values go to `extra_fields`.
    Extra,
}

/// One of the documented fields.
struct Known {
    aws: &'static str,
    name: &'static str,
    kind: Kind,
}

const fn known(aws: &'static str, name: &'static str, kind: Kind) -> Known {
    Known { aws, name, kind }
}

/// Every documented field, in the order of AWS's table.
const KNOWN: [Known; 41] = [
    known("version", "version", Kind::Str),
    known("account-id", "account_id", Kind::Str),
    known("interface-id", "interface_id", Kind::Str),
    known("srcaddr", "srcaddr", Kind::Str),
    known("dstaddr", "dstaddr", Kind::Str),
    known("srcport", "srcport", Kind::Int),
    known("dstport", "dstport", Kind::Int),
    known("protocol", "protocol", Kind::Int),
    known("packets", "packets", Kind::Int),
    known("bytes", "bytes", Kind::Int),
    known("start", "start", Kind::Start),
    known("end", "end", Kind::End),
    known("action", "action", Kind::Str),
    known("log-status", "log_status", Kind::Str),
    known("vpc-id", "vpc_id", Kind::Str),
    known("subnet-id", "subnet_id", Kind::Str),
    known("instance-id", "instance_id", Kind::Str),
    known("tcp-flags", "tcp_flags", Kind::Int),
    known("type", "type", Kind::Str),
    known("pkt-srcaddr", "pkt_srcaddr", Kind::Str),
    known("pkt-dstaddr", "pkt_dstaddr", Kind::Str),
    known("region", "region", Kind::Str),
    known("az-id", "az_id", Kind::Str),
    known("sublocation-type", "sublocation_type", Kind::Str),
    known("sublocation-id", "sublocation_id", Kind::Str),
    known("pkt-src-aws-service", "pkt_src_aws_service", Kind::Str),
    known("pkt-dst-aws-service", "pkt_dst_aws_service", Kind::Str),
    known("flow-direction", "flow_direction", Kind::Str),
    known("traffic-path", "traffic_path", Kind::Int),
    known("ecs-cluster-arn", "ecs_cluster_arn", Kind::Str),
    known("ecs-cluster-name", "ecs_cluster_name", Kind::Str),
    known("ecs-container-instance-arn", "ecs_container_instance_arn", Kind::Str),
    known("ecs-container-instance-id", "ecs_container_instance_id", Kind::Str),
    known("ecs-container-id", "ecs_container_id", Kind::Str),
    known("ecs-second-container-id", "ecs_second_container_id", Kind::Str),
    known("ecs-service-name", "ecs_service_name", Kind::Str),
    known("ecs-task-definition-arn", "ecs_task_definition_arn", Kind::Str),
    known("ecs-task-arn", "ecs_task_arn", Kind::Str),
    known("ecs-task-id", "ecs_task_id", Kind::Str),
    known("reject-reason", "reject_reason", Kind::Str),
    known("encryption-status", "encryption_status", Kind::Int),
];

/// JSON names a field may not take: the common fields, the error document's fields and
/// `extra_fields`.
const RESERVED: [&str; 8] = [
    "log_type",
    "event_id",
    "extra_fields",
    "error",
    "message",
    "truncated",
    "json",
    "@timestamp",
];

/// One column of the current format.
#[derive(Debug, Clone)]
struct Column {
    name: Cow<'static, str>,
    kind: Kind,
}

impl Column {
    /// The name for an error message: typed columns are always documented ones, with a static name.
    fn static_name(&self) -> &'static str {
        match self.name {
            Cow::Borrowed(name) => name,
            Cow::Owned(_) => "unknown",
        }
    }
}

/// A field order, computed once per header line or configuration.
#[derive(Debug, Clone)]
struct Fields {
    columns: Vec<Column>,
    start: Option<usize>,
    end: Option<usize>,
}

impl Fields {
    /// The order named by `names` (space-separated, each optionally written `${name}`); the default
    /// format when it names no field.
    fn parse(names: &str) -> Fields {
        let names = names
            .split_ascii_whitespace()
            .map(|n| n.strip_prefix("${").and_then(|n| n.strip_suffix('}')).unwrap_or(n));
        let mut fields = Fields {
            columns: Vec::new(),
            start: None,
            end: None,
        };
        for (i, aws) in names.take(MAX_HEADER_FIELDS).enumerate() {
            let column = fields.column_for(aws);
            match column.kind {
                Kind::Start => fields.start = Some(i),
                Kind::End => fields.end = Some(i),
                _ => {}
            }
            fields.columns.push(column);
        }
        if fields.columns.is_empty() {
            return Fields::parse(DEFAULT_FORMAT);
        }
        fields
    }

    /// The column for field name `aws`, given the columns before it.
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
}

/// `[a-z][a-z0-9_-]*`: how field names in a header look.
fn name_shaped(word: &str) -> bool {
    let b = word.as_bytes();
    matches!(b.first(), Some(b'a'..=b'z')) && b.iter().all(|&c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
}

fn is_documented(word: &str) -> bool {
    KNOWN.iter().any(|k| k.aws == word)
}

/// Whether `line` is a header: every word name-shaped, more than half of them documented names.
fn is_header(line: &str) -> bool {
    let (mut words, mut documented) = (0, 0);
    for word in line.split_ascii_whitespace() {
        if !name_shaped(word) {
            return false;
        }
        words += 1;
        documented += usize::from(is_documented(word));
    }
    documented * 2 > words
}

/// Parser state for one VPC Flow Logs input: the current field order.
#[derive(Debug, Clone)]
pub struct VpcFlowParser {
    fields: Fields,
}

impl Default for VpcFlowParser {
    /// The default (version 2) format, until a header line says otherwise.
    fn default() -> Self {
        VpcFlowParser {
            fields: Fields::parse(DEFAULT_FORMAT),
        }
    }
}

impl VpcFlowParser {
    /// A parser for records of the format `format`, as configured for the flow log: either AWS's
    /// format string (`${version} ${account-id} …`) or plain space-separated names. An empty format
    /// means the default one. A header line in the input still takes precedence.
    pub fn with_fields(format: &str) -> Self {
        VpcFlowParser {
            fields: Fields::parse(format),
        }
    }
}

impl LineParser for VpcFlowParser {
    fn log_type(&self) -> &'static str {
        "vpcflow"
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if is_header(line) {
            self.fields = Fields::parse(line);
            return Ok(LineOutcome::Header);
        }
        let fields = &self.fields;
        let expected = fields.columns.len();
        let (mut found, mut start, mut end) = (0, None, None);
        for (i, value) in line.split_ascii_whitespace().enumerate() {
            found += 1;
            if fields.start == Some(i) {
                start = Some(value);
            } else if fields.end == Some(i) {
                end = Some(value);
            }
        }
        if found < expected {
            return Err(ParseError::TooFewFields { expected, found });
        }
        let start = epoch_field("start", start)?;
        let end = epoch_field("end", end)?;
        let timestamp = start.or(end).unwrap_or_else(Timestamp::now);

        let mut w = begin_document(out, &timestamp, "vpcflow", event_id);
        let mut has_extra = found > expected;
        for (value, column) in line.split_ascii_whitespace().zip(&fields.columns) {
            match column.kind {
                Kind::Extra => has_extra = true,
                _ if value == "-" => {}
                Kind::Str => w.str(&column.name, value),
                Kind::Int => match parse_uint(value, int_bound(&column.name)) {
                    Some(n) => w.u64(&column.name, n),
                    None => return Err(ParseError::invalid(column.static_name(), "an integer", value)),
                },
                Kind::Start => w.opt_str("start", start.as_ref().map(Timestamp::as_str)),
                Kind::End => w.opt_str("end", end.as_ref().map(Timestamp::as_str)),
            }
        }
        if has_extra {
            let is_extra = |i: usize| fields.columns.get(i).is_none_or(|c| c.kind == Kind::Extra);
            let extra = line.split_ascii_whitespace().enumerate().filter(|&(i, _)| is_extra(i));
            w.str_array("extra_fields", extra.map(|(_, v)| v));
        }
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

/// A cheap, strict check for content detection: true for a header line (at least two words, all of
/// them documented field names) and for a record of the default version-2
/// format (14 values with the documented shapes: numbers, `ACCEPT`/`REJECT`, `OK`/`NODATA`/
/// `SKIPDATA`). ALB, NLB, CloudFront and S3 access log lines never match.
pub fn recognise(line: &str) -> bool {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let mut names = line.split_ascii_whitespace();
    if names.clone().nth(1).is_some() && names.all(is_documented) {
        return true;
    }
    let mut words = [""; 14];
    let mut n = 0;
    for word in line.split_ascii_whitespace() {
        match words.get_mut(n) {
            Some(slot) => *slot = word,
            None => return false,
        }
        n += 1;
    }
    let digits = |w: &str| !w.is_empty() && w.len() <= 20 && w.bytes().all(|b| b.is_ascii_digit());
    let number_or_dash = |w: &str| w == "-" || digits(w);
    let [version, account, interface, _src, _dst, sport, dport, proto, packets, bytes, start, end, action, status] =
        words;
    n == 14
        && digits(version)
        && (digits(account) || account == "unknown" || account == "-")
        && interface != "-"
        && [sport, dport, proto, packets, bytes].into_iter().all(number_or_dash)
        && digits(start)
        && digits(end)
        && matches!(action, "ACCEPT" | "REJECT" | "-")
        && matches!(status, "OK" | "NODATA" | "SKIPDATA")
}

/// Unix seconds as a date; `None` for an absent value.
fn epoch_field(field: &'static str, value: Option<&str>) -> Result<Option<Timestamp>, ParseError> {
    let Some(value) = value.filter(|v| *v != "-") else {
        return Ok(None);
    };
    parse_uint(value, MAX_LONG)
        .and_then(|s| i64::try_from(s).ok())
        .and_then(from_epoch_seconds)
        .map(Some)
        .ok_or_else(|| ParseError::invalid(field, "a time in Unix seconds", value))
}

/// Seconds since the Unix epoch as a second-precision timestamp; `None` outside years 0000–9999.
fn from_epoch_seconds(seconds: i64) -> Option<Timestamp> {
    let t = Timestamp::from_epoch_millis(seconds.checked_mul(1000)?)?;
    let s = t.as_str();
    Timestamp::from_date_and_time(s.get(..10)?, s.get(11..19)?)
}

/// Digits only (no sign, no spaces), within `u64`.
/// The largest value an integer field's mapping holds: ports, `integer` fields, `long` for counts.
fn int_bound(name: &str) -> u64 {
    match name {
        "srcport" | "dstport" => MAX_PORT,
        "protocol" | "tcp_flags" | "traffic_path" | "encryption_status" => MAX_INTEGER,
        _ => MAX_LONG,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Parses `lines` with one parser (as one input): the outcome and document of each line.
    fn run(parser: &mut VpcFlowParser, lines: &[&str]) -> Vec<Result<Option<Value>, ParseError>> {
        lines
            .iter()
            .map(|line| {
                let mut out = Vec::new();
                match parser.parse_line(line, "id-1", &mut out)? {
                    LineOutcome::Header => {
                        assert!(out.is_empty());
                        Ok(None)
                    }
                    LineOutcome::Document(ts) => {
                        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
                        assert_eq!(doc["@timestamp"], ts.as_str());
                        Ok(Some(doc))
                    }
                }
            })
            .collect()
    }

    fn one(parser: &mut VpcFlowParser, line: &str) -> Value {
        match run(parser, &[line]).pop() {
            Some(Ok(Some(doc))) => doc,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn common(ts: &str) -> Value {
        json!({"@timestamp": ts, "log_type": "vpcflow", "event_id": "id-1"})
    }

    fn merge(mut base: Value, more: Value) -> Value {
        for (k, v) in more.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    }

    const ACCEPTED: &str =
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    /// The default-format examples of "Flow log record examples".
    fn default_format_cases() -> Vec<(&'static str, &'static str, Value)> {
        let base = |ts: &str, more: Value| {
            merge(
                common(ts),
                merge(json!({"version": "2", "account_id": "123456789010"}), more),
            )
        };
        vec![
            (
                "accepted_ssh",
                ACCEPTED,
                base("2014-12-14T04:06:50Z", json!({
                    "interface_id": "eni-1235b8ca123456789", "srcaddr": "172.31.16.139", "dstaddr": "172.31.16.21",
                    "srcport": 20641, "dstport": 22, "protocol": 6, "packets": 20, "bytes": 4249,
                    "start": "2014-12-14T04:06:50Z", "end": "2014-12-14T04:07:50Z", "action": "ACCEPT", "log_status": "OK"
                })),
            ),
            (
                "rejected_rdp",
                "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
                base("2014-12-14T04:06:50Z", json!({
                    "interface_id": "eni-1235b8ca123456789", "srcaddr": "172.31.9.69", "dstaddr": "172.31.9.12",
                    "srcport": 49761, "dstport": 3389, "protocol": 6, "packets": 20, "bytes": 4249,
                    "start": "2014-12-14T04:06:50Z", "end": "2014-12-14T04:07:50Z", "action": "REJECT", "log_status": "OK"
                })),
            ),
            (
                "nodata",
                "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
                base("2015-05-10T18:01:16Z", json!({
                    "interface_id": "eni-1235b8ca123456789", "start": "2015-05-10T18:01:16Z",
                    "end": "2015-05-10T18:02:14Z", "log_status": "NODATA"
                })),
            ),
            (
                "skipdata",
                "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
                base("2015-05-10T18:01:16Z", json!({
                    "interface_id": "eni-11111111aaaaaaaaa", "start": "2015-05-10T18:01:16Z",
                    "end": "2015-05-10T18:02:14Z", "log_status": "SKIPDATA"
                })),
            ),
            (
                "icmp_ports_zero",
                "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
                base("2015-05-29T16:30:27Z", json!({
                    "interface_id": "eni-1235b8ca123456789", "srcaddr": "203.0.113.12", "dstaddr": "172.31.16.139",
                    "srcport": 0, "dstport": 0, "protocol": 1, "packets": 4, "bytes": 336,
                    "start": "2015-05-29T16:30:27Z", "end": "2015-05-29T16:32:22Z", "action": "ACCEPT", "log_status": "OK"
                })),
            ),
            (
                "ipv6",
                "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
                base("2016-10-31T11:35:08Z", json!({
                    "interface_id": "eni-1235b8ca123456789", "srcaddr": "2001:db8:1234:a100:8d6e:3477:df66:f105",
                    "dstaddr": "2001:db8:1234:a102:3304:8879:34cf:4071", "srcport": 34892, "dstport": 22,
                    "protocol": 6, "packets": 54, "bytes": 8855, "start": "2016-10-31T11:35:08Z",
                    "end": "2016-10-31T11:37:00Z", "action": "ACCEPT", "log_status": "OK"
                })),
            ),
            (
                "repeated_spaces_and_tab",
                "2  123456789010 eni-1235b8ca123456789   172.31.16.139\t172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK ",
                one(&mut VpcFlowParser::default(), ACCEPTED),
            ),
            (
                "unknown_account_of_aws_service",
                "2 unknown eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
                base("2015-05-10T18:01:16Z", json!({
                    "account_id": "unknown", "interface_id": "eni-1235b8ca123456789",
                    "start": "2015-05-10T18:01:16Z", "end": "2015-05-10T18:02:14Z", "log_status": "NODATA"
                })),
            ),
            (
                "trailing_values_kept",
                "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA vpc-1 -",
                base("2015-05-10T18:01:16Z", json!({
                    "interface_id": "eni-1235b8ca123456789", "start": "2015-05-10T18:01:16Z",
                    "end": "2015-05-10T18:02:14Z", "log_status": "NODATA", "extra_fields": ["vpc-1", "-"]
                })),
            ),
        ]
    }

    #[test]
    fn default_format_table() {
        for (name, line, want) in default_format_cases() {
            let got = run(&mut VpcFlowParser::default(), &[line]).pop();
            assert_eq!(got, Some(Ok(Some(want))), "case `{name}`");
        }
    }

    const TCP_FLAGS_HEADER: &str = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status";

    #[test]
    fn documented_tcp_flag_sequence_with_header() {
        // Version 3 custom format; the second record has two spaces in the documentation.
        let docs = run(
            &mut VpcFlowParser::default(),
            &[
                TCP_FLAGS_HEADER,
                "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43638 5001 52.213.180.42 10.0.0.62 6 1260 17 1566933133 1566933193 ACCEPT 3 OK",
                "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK",
            ],
        );
        let record = |src: &str, dst: &str, sport: u64, dport: u64, bytes: u64, packets: u64, flags: u64| {
            Ok(Some(merge(
                common("2019-08-27T19:12:13Z"),
                json!({
                    "version": "3", "vpc_id": "vpc-abcdefab012345678", "subnet_id": "subnet-aaaaaaaa012345678",
                    "instance_id": "i-01234567890123456", "interface_id": "eni-1235b8ca123456789",
                    "account_id": "123456789010", "type": "IPv4", "srcaddr": src, "dstaddr": dst,
                    "srcport": sport, "dstport": dport, "pkt_srcaddr": src, "pkt_dstaddr": dst, "protocol": 6,
                    "bytes": bytes, "packets": packets, "start": "2019-08-27T19:12:13Z",
                    "end": "2019-08-27T19:13:13Z", "action": "ACCEPT", "tcp_flags": flags, "log_status": "OK"
                }),
            )))
        };
        assert_eq!(
            docs,
            vec![
                Ok(None),
                record("52.213.180.42", "10.0.0.62", 43638, 5001, 1260, 17, 3),
                record("10.0.0.62", "52.213.180.42", 5001, 43638, 967, 14, 19),
            ]
        );
    }

    #[test]
    fn documented_version_5_service_traffic_path_and_direction() {
        let header = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status";
        let egress = "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK";
        let docs = run(&mut VpcFlowParser::default(), &[header, egress]);
        let want = merge(
            common("2021-03-26T03:28:12Z"),
            json!({
                "version": "5", "srcaddr": "10.0.0.71", "dstaddr": "52.95.128.179", "srcport": 34210, "dstport": 80,
                "protocol": 6, "start": "2021-03-26T03:28:12Z", "end": "2021-03-26T03:29:09Z", "type": "IPv4",
                "packets": 7, "bytes": 471, "account_id": "123456789012", "vpc_id": "vpc-abcdefab012345678",
                "subnet_id": "subnet-aaaaaaaa012345678", "instance_id": "i-0c50d5961bcb2d47b",
                "interface_id": "eni-1235b8ca123456789", "region": "ap-southeast-2", "az_id": "apse2-az3",
                "action": "ACCEPT", "tcp_flags": 3, "pkt_srcaddr": "10.0.0.71", "pkt_dstaddr": "52.95.128.179",
                "pkt_dst_aws_service": "S3", "traffic_path": 8, "flow_direction": "egress", "log_status": "OK"
            }),
        );
        assert_eq!(docs, vec![Ok(None), Ok(Some(want))]);
    }

    #[test]
    fn configured_format_for_cloudwatch_delivery() {
        // The NAT gateway example: no time field at all, no header (CloudWatch Logs delivery).
        for format in [
            "${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr}",
            "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr",
        ] {
            let mut parser = VpcFlowParser::with_fields(format);
            let mut doc = one(
                &mut parser,
                "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5",
            );
            let ts = doc["@timestamp"].as_str().and_then(Timestamp::parse_rfc3339_utc);
            assert!(ts.is_some(), "{doc}");
            doc["@timestamp"] = json!("now");
            let want = merge(
                common("now"),
                json!({
                    "interface_id": "eni-1235b8ca123456789", "srcaddr": "10.0.1.5", "dstaddr": "10.0.0.220",
                    "pkt_srcaddr": "10.0.1.5", "pkt_dstaddr": "203.0.113.5"
                }),
            );
            assert_eq!(doc, want);
        }
        // An empty configuration is the default format.
        assert_eq!(
            one(&mut VpcFlowParser::with_fields("  "), ACCEPTED),
            one(&mut VpcFlowParser::default(), ACCEPTED)
        );
    }

    #[test]
    fn header_overrides_configuration_and_a_later_header_the_first() {
        let mut parser = VpcFlowParser::with_fields("${srcaddr} ${dstaddr}");
        let docs = run(
            &mut parser,
            &["10.0.0.1 10.0.0.2", "dstport srcport start", "443 51000 1418530010"],
        );
        assert_eq!(docs[0].as_ref().unwrap().as_ref().unwrap()["dstaddr"], "10.0.0.2");
        assert_eq!(docs[1], Ok(None));
        assert_eq!(
            docs[2],
            Ok(Some(merge(
                common("2014-12-14T04:06:50Z"),
                json!({"dstport": 443, "srcport": 51000, "start": "2014-12-14T04:06:50Z"})
            )))
        );
    }

    #[test]
    fn v7_v8_and_encryption_fields() {
        let header = "version start ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason encryption-status";
        let record = "8 1795323600 arn:aws:ecs:us-east-2:123456789012:cluster/web web arn:aws:ecs:us-east-2:123456789012:container-instance/web/0a1b2c 0a1b2c 3f4e5d6c7b8a 9a8b7c6d5e4f api arn:aws:ecs:us-east-2:123456789012:task-definition/api:12 arn:aws:ecs:us-east-2:123456789012:task/web/5e6f7a8b 5e6f7a8b BPA 1";
        let docs = run(&mut VpcFlowParser::default(), &[header, record]);
        let want = merge(
            common("2026-11-22T05:00:00Z"),
            json!({
                "version": "8", "start": "2026-11-22T05:00:00Z",
                "ecs_cluster_arn": "arn:aws:ecs:us-east-2:123456789012:cluster/web", "ecs_cluster_name": "web",
                "ecs_container_instance_arn": "arn:aws:ecs:us-east-2:123456789012:container-instance/web/0a1b2c",
                "ecs_container_instance_id": "0a1b2c", "ecs_container_id": "3f4e5d6c7b8a",
                "ecs_second_container_id": "9a8b7c6d5e4f", "ecs_service_name": "api",
                "ecs_task_definition_arn": "arn:aws:ecs:us-east-2:123456789012:task-definition/api:12",
                "ecs_task_arn": "arn:aws:ecs:us-east-2:123456789012:task/web/5e6f7a8b", "ecs_task_id": "5e6f7a8b",
                "reject_reason": "BPA", "encryption_status": 1
            }),
        );
        assert_eq!(docs, vec![Ok(None), Ok(Some(want))]);
    }

    #[test]
    fn unknown_duplicate_and_unusable_header_names() {
        let header = format!(
            "version resource-id srcaddr srcaddr log_type next-hop-{} interface-id end",
            "x".repeat(70)
        );
        let docs = run(
            &mut VpcFlowParser::default(),
            &[&header, "10 res-123 10.0.0.1 10.0.0.9 spoof long eni-1 1418530070 tail"],
        );
        let want = merge(
            common("2014-12-14T04:07:50Z"),
            json!({
                "version": "10", "resource_id": "res-123", "srcaddr": "10.0.0.1", "interface_id": "eni-1",
                "end": "2014-12-14T04:07:50Z", "extra_fields": ["10.0.0.9", "spoof", "long", "tail"]
            }),
        );
        assert_eq!(docs, vec![Ok(None), Ok(Some(want))]);
    }

    #[test]
    fn header_names_are_bounded() {
        // 160 documented names (repeats go to `extra_fields`), then `start`, past the limit.
        let names = KNOWN.iter().map(|k| k.aws).filter(|n| *n != "start");
        let header = names.cycle().take(160).chain(["start"]).collect::<Vec<_>>().join(" ");
        let mut parser = VpcFlowParser::default();
        assert_eq!(run(&mut parser, &[&header]), vec![Ok(None)]);
        assert_eq!(parser.fields.columns.len(), MAX_HEADER_FIELDS);
        assert_eq!(parser.fields.start, None);
    }

    #[test]
    fn error_table() {
        let cases: Vec<(&str, VpcFlowParser, &str, ParseError)> = vec![
            (
                "truncated_record",
                VpcFlowParser::default(),
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22",
                ParseError::TooFewFields { expected: 14, found: 7 },
            ),
            (
                "prose_is_not_a_header",
                VpcFlowParser::default(),
                "the start of the end",
                ParseError::TooFewFields { expected: 14, found: 5 },
            ),
            (
                "non_numeric_port",
                VpcFlowParser::default(),
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 ssh 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
                ParseError::invalid("srcport", "an integer", "ssh"),
            ),
            (
                "negative_bytes",
                VpcFlowParser::default(),
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 -1 1418530010 1418530070 ACCEPT OK",
                ParseError::invalid("bytes", "an integer", "-1"),
            ),
            (
                "bad_start",
                VpcFlowParser::default(),
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 2014-12-14 1418530070 ACCEPT OK",
                ParseError::invalid("start", "a time in Unix seconds", "2014-12-14"),
            ),
            (
                "start_beyond_year_9999",
                VpcFlowParser::default(),
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 99999999999999 1418530070 ACCEPT OK",
                ParseError::invalid("start", "a time in Unix seconds", "99999999999999"),
            ),
            (
                "bad_traffic_path",
                VpcFlowParser::with_fields("${traffic-path} ${start}"),
                "egress 1418530010",
                ParseError::invalid("traffic_path", "an integer", "egress"),
            ),
            (
                "alb_line",
                VpcFlowParser::default(),
                r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0""#,
                ParseError::invalid("srcport", "an integer", "0.000"),
            ),
            (
                "s3_access_line",
                VpcFlowParser::default(),
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -"#,
                ParseError::invalid("start", "a time in Unix seconds", "/amzn-s3-demo-bucket1?versioning"),
            ),
        ];
        for (name, mut parser, line, want) in cases {
            let mut out = Vec::new();
            assert_eq!(parser.parse_line(line, "id", &mut out), Err(want), "case `{name}`");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = Vec::new();
        let mut parser = VpcFlowParser::default();
        for line in [
            "\"",
            " ",
            "\t\t",
            "- - - - - - - - - - - - - -",
            "é\u{0}\u{1b} ${ } ${version}",
            &"- ".repeat(10_000),
            &"9".repeat(400),
            "2 1 eni 1 1 1 1 1 1 1 18446744073709551615 1 ACCEPT OK",
            "2 1 eni 1 1 1 1 1 1 1 9223372036854775807 1 ACCEPT OK",
            "start end",
            "99999999999999999999 1",
        ] {
            out.clear();
            let _ = parser.parse_line(line, "id", &mut out);
        }
        let mut parser = VpcFlowParser::with_fields("${} $ }{ ${${start}} é");
        let _ = parser.parse_line("1 2 3 4 5", "id", &mut out);
    }

    #[test]
    fn recognises_headers_and_default_records_only() {
        for line in [
            DEFAULT_FORMAT,
            TCP_FLAGS_HEADER,
            ACCEPTED,
            "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
            "2 unknown eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - SKIPDATA",
            "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
        ] {
            assert!(recognise(line), "{line}");
        }
        for line in SAMPLE.lines().chain(SAMPLE_CUSTOM.lines().take(1)) {
            assert!(recognise(line), "{line}");
        }
        for other in [
            r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -"#,
            "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 -",
            "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tUA\t-\t-\tHit",
            "#Fields: date time x-edge-location sc-bytes",
            r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -"#,
            "version",
            "hello world",
            "the start of the end",
            "start end of text",
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ALLOW OK",
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK extra",
            "",
        ] {
            assert!(!recognise(other), "{other}");
        }
    }

    const SAMPLE: &str = include_str!("../../../events/samples/vpcflow.log");
    const SAMPLE_CUSTOM: &str = include_str!("../../../events/samples/vpcflow_custom.log");

    #[test]
    fn every_sample_line_parses() {
        for (file, sample) in [("vpcflow.log", SAMPLE), ("vpcflow_custom.log", SAMPLE_CUSTOM)] {
            let lines: Vec<&str> = sample.lines().collect();
            assert!((15..=30).contains(&lines.len()), "{file}: {} lines", lines.len());
            let docs = run(&mut VpcFlowParser::default(), &lines);
            assert_eq!(docs.first(), Some(&Ok(None)), "{file}: header");
            for (i, doc) in docs.iter().enumerate().skip(1) {
                let doc = match doc {
                    Ok(Some(doc)) => doc,
                    other => panic!("{file} line {}: {other:?}", i + 1),
                };
                assert!(
                    doc["@timestamp"].as_str().unwrap().starts_with("2026-11-22T05:"),
                    "{file} line {}",
                    i + 1
                );
                let account = if lines[i].contains(" unknown ") {
                    "unknown"
                } else {
                    "123456789012"
                };
                assert_eq!(doc["account_id"], account, "{file} line {}", i + 1);
                assert!(doc.get("extra_fields").is_none(), "{file} line {}", i + 1);
                assert!(
                    doc.as_object().unwrap().values().all(|v| v != "-"),
                    "{file} line {}",
                    i + 1
                );
            }
        }
    }

    /// The document of the sample line shown in the schema documentation.
    #[test]
    fn documented_sample_document() {
        let lines: Vec<&str> = SAMPLE_CUSTOM.lines().collect();
        let mut event_id = String::new();
        crate::document::Source::new("events/samples/vpcflow_custom.log").event_id(9, &mut event_id);
        let mut parser = VpcFlowParser::default();
        let mut raw = Vec::new();
        assert_eq!(parser.parse_line(lines[0], "header", &mut raw), Ok(LineOutcome::Header));
        parser.parse_line(lines[8], &event_id, &mut raw).unwrap();
        println!("{}", String::from_utf8_lossy(&raw));
        let doc: Value = serde_json::from_slice(&raw).unwrap();
        let want = json!({
            "@timestamp": "2026-11-22T05:00:25Z",
            "log_type": "vpcflow",
            "event_id": "79a8ac2d1d42156dbca51834d3d4d1a3-9",
            "version": "8",
            "account_id": "123456789012",
            "vpc_id": "vpc-0abcdef1234567890",
            "subnet_id": "subnet-0123456789abcdef0",
            "instance_id": "i-0c50d5961bcb2d47b",
            "interface_id": "eni-0f9e8d7c6b5a49382",
            "srcaddr": "10.0.3.155",
            "dstaddr": "192.0.2.10",
            "srcport": 51000,
            "dstport": 443,
            "protocol": 6,
            "packets": 1,
            "bytes": 60,
            "start": "2026-11-22T05:00:25Z",
            "end": "2026-11-22T05:01:11Z",
            "action": "REJECT",
            "tcp_flags": 2,
            "type": "IPv4",
            "pkt_srcaddr": "10.0.3.155",
            "pkt_dstaddr": "192.0.2.10",
            "region": "us-east-2",
            "az_id": "use2-az1",
            "flow_direction": "egress",
            "traffic_path": 8,
            "reject_reason": "BPA",
            "log_status": "OK"
        });
        assert_eq!(doc, want);
    }
}
