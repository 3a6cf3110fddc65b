//! AWS WAF web ACL traffic logs: one JSON object per line, as WAF writes them to S3 or Firehose.
//!
//! Spec: AWS WAF Developer Guide, "Log fields for web ACL traffic"
//! (<https://docs.aws.amazon.com/waf/latest/developerguide/logging-fields.html>) and "Log examples"
//! (<https://docs.aws.amazon.com/waf/latest/developerguide/logging-examples.html>). Example (shortened):
//!
//! ```text
//! {"timestamp":1683355579981,"formatVersion":1,"webaclId":"arn:aws:wafv2:…","terminatingRuleId":"RateBasedRule","terminatingRuleType":"RATE_BASED","action":"BLOCK","terminatingRuleMatchDetails":[],"httpSourceName":"APIGW","httpSourceId":"EXAMPLE11:rjvegx5guh:CanaryTest","ruleGroupList":[],"rateBasedRuleList":[…],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{"clientIp":"52.46.82.45","country":"FR","headers":[{"name":"Host","value":"…"}],"uri":"/CanaryTest","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"Ed0AiHF_CGYF-DA="}}
//! ```
//!
//! | # | AWS field | JSON field | type |
//! |---|---|---|---|
//! | 1 | `timestamp` (epoch ms) | `@timestamp` | date, ms (required) |
//! | 2 | `formatVersion` | `format_version` | integer |
//! | 3 | `webaclId` | `webacl_id` | string |
//! | 4 | `action` | `action` | string |
//! | 5 | `terminatingRuleId` | `terminating_rule_id` | string |
//! | 6 | `terminatingRuleType` | `terminating_rule_type` | string |
//! | 7 | `httpSourceName` | `http_source_name` | string |
//! | 8 | `httpSourceId` | `http_source_id` | string |
//! | 9 | `responseCodeSent` | `response_code_sent` | integer |
//! | 10 | `httpRequest.clientIp` | `http_request_client_ip` | IP address |
//! | 11 | `httpRequest.country` | `http_request_country` | string (`-`, unknown country: left out) |
//! | 12 | `httpRequest.uri` | `http_request_uri` | string |
//! | 13 | `httpRequest.args` | `http_request_args` | string |
//! | 14 | `httpRequest.httpVersion` | `http_request_http_version` | string |
//! | 15 | `httpRequest.httpMethod` | `http_request_http_method` | string |
//! | 16 | `httpRequest.requestId` | `http_request_request_id` | string |
//! | 17 | `httpRequest.fragment` | `http_request_fragment` | string |
//! | 18 | `httpRequest.scheme` | `http_request_scheme` | string |
//! | 19 | `httpRequest.host` | `http_request_host` | string |
//! | 20 | `httpRequest.headers` `User-Agent` | `user_agent` | string (first header of that name) |
//! | 21 | `httpRequest.headers` `Host` | `host` | string (first) |
//! | 22 | `httpRequest.headers` `Referer` | `referer` | string (first) |
//! | 23 | `httpRequest.headers` `X-Forwarded-For` | `x_forwarded_for` | string (first) |
//! | 24 | `labels[].name` | `labels` | array of strings |
//! | 25 | `ja3Fingerprint` | `ja3_fingerprint` | string |
//! | 26 | `ja4Fingerprint` | `ja4_fingerprint` | string |
//! | 27 | `requestBodySize` | `request_body_size` | integer |
//! | 28 | `requestBodySizeInspectedByWAF` | `request_body_size_inspected_by_waf` | integer |
//! | 29 | `oversizeFields` | `oversize_fields` | array of strings |
//! | 30 | `httpRequest.headers` (all) | `http_request_headers` | flat_object: lower-cased name → value, or array of values when the name repeats |
//! | 31 | `terminatingRuleMatchDetails` | `terminating_rule_match_details` | flat_object |
//! | 32 | `ruleGroupList` | `rule_group_list` | flat_object |
//! | 33 | `rateBasedRuleList` | `rate_based_rule_list` | flat_object |
//! | 34 | `nonTerminatingMatchingRules` | `non_terminating_matching_rules` | flat_object |
//! | 35 | `requestHeadersInserted` | `request_headers_inserted` | flat_object |
//! | 36 | `captchaResponse` | `captcha_response` | flat_object |
//! | 37 | `challengeResponse` | `challenge_response` | flat_object |
//! | 38 | any other member, and unknown members of `httpRequest` | `other_fields` | flat_object, under their AWS names (`httpRequest` members under `other_fields.httpRequest`) |
//! | — | — | `values_truncated` | boolean, `true` when a string inside a flat_object field was cut |
//!
//! Rules:
//! - `timestamp` is required: epoch milliseconds, as a JSON integer (or a string of digits).
//! - Absent values: a missing member, `null`, `""` and `"-"` leave the typed field out (WAF writes
//!   `country` `-` when it cannot tell the country, `args` `""` when there is no query string).
//! - A typed member whose value does not have its type makes the line an error: a `clientIp` that is
//!   not an IP address, a `responseCodeSent` that is not an integer, a header without a string `name`.
//! - Header names are lower-cased for `http_request_headers`; values are kept exactly, `-` and `""`
//!   included; an empty name is dropped; a repeated name gives an array of its values in log order.
//! - Free-form values follow the flat_object rules of `cloudtrail::json_input::FreeForm`
//!   (`null` dropped, long strings cut at 16 KiB, a value that is not an object or an array of objects
//!   wrapped as `{"value": …}`, empty values left out).
//! - The document id is the pipeline's positional id: WAF has no event id, and `requestId` is not
//!   guaranteed unique.

use super::cloudtrail::json_input::{
    get, nested, object_members, text, text_array, uint, FreeForm, Members, MultiValue, Str,
};
use super::{LineOutcome, LineParser};
use crate::document::begin_document;
use crate::error::ParseError;
use crate::json::ObjectWriter;
use crate::timestamp::Timestamp;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::net::IpAddr;

/// The `log_type` of WAF documents.
pub const LOG_TYPE: &str = "waf";

/// Parser for WAF log lines; keeps a scratch buffer between lines.
#[derive(Debug, Default)]
pub struct WafParser {
    free: FreeForm,
}

/// True when `line` looks like a WAF log line: a JSON object holding `"webaclId"` and
/// `"terminatingRuleId"`.
pub fn recognise(line: &str) -> bool {
    let t = line.strip_prefix('\u{feff}').unwrap_or(line).trim_start();
    t.starts_with('{') && t.contains("\"webaclId\"") && t.contains("\"terminatingRuleId\"")
}

/// Top-level string members: (document field, AWS member).
const HEAD_STRINGS: [(&str, &str); 5] = [
    ("webacl_id", "webaclId"),
    ("action", "action"),
    ("terminating_rule_id", "terminatingRuleId"),
    ("terminating_rule_type", "terminatingRuleType"),
    ("http_source_name", "httpSourceName"),
];

const REQUEST_STRINGS: [(&str, &str); 9] = [
    ("http_request_country", "country"),
    ("http_request_uri", "uri"),
    ("http_request_args", "args"),
    ("http_request_http_version", "httpVersion"),
    ("http_request_http_method", "httpMethod"),
    ("http_request_request_id", "requestId"),
    ("http_request_fragment", "fragment"),
    ("http_request_scheme", "scheme"),
    ("http_request_host", "host"),
];

/// Headers also written as typed fields: (document field, lower-cased header name).
const TYPED_HEADERS: [(&str, &str); 4] = [
    ("user_agent", "user-agent"),
    ("host", "host"),
    ("referer", "referer"),
    ("x_forwarded_for", "x-forwarded-for"),
];

const TAIL_STRINGS: [(&str, &str); 2] = [
    ("ja3_fingerprint", "ja3Fingerprint"),
    ("ja4_fingerprint", "ja4Fingerprint"),
];

const TAIL_INTEGERS: [(&str, &str); 2] = [
    ("request_body_size", "requestBodySize"),
    ("request_body_size_inspected_by_waf", "requestBodySizeInspectedByWAF"),
];

const FREE: [(&str, &str); 7] = [
    ("terminating_rule_match_details", "terminatingRuleMatchDetails"),
    ("rule_group_list", "ruleGroupList"),
    ("rate_based_rule_list", "rateBasedRuleList"),
    ("non_terminating_matching_rules", "nonTerminatingMatchingRules"),
    ("request_headers_inserted", "requestHeadersInserted"),
    ("captcha_response", "captchaResponse"),
    ("challenge_response", "challengeResponse"),
];

/// Top-level members read by name (the others go to `other_fields`).
const KNOWN: [&str; 10] = [
    "timestamp",
    "formatVersion",
    "httpSourceId",
    "responseCodeSent",
    "httpRequest",
    "labels",
    "oversizeFields",
    "ja3Fingerprint",
    "ja4Fingerprint",
    "requestBodySize",
];

/// `httpRequest` members read by name.
const KNOWN_REQUEST: [&str; 2] = ["clientIp", "headers"];

fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
        || key == "requestBodySizeInspectedByWAF"
        || HEAD_STRINGS.iter().chain(&FREE).any(|(_, aws)| *aws == key)
}

fn is_known_request(key: &str) -> bool {
    KNOWN_REQUEST.contains(&key) || REQUEST_STRINGS.iter().any(|(_, aws)| *aws == key)
}

impl LineParser for WafParser {
    fn log_type(&self) -> &'static str {
        LOG_TYPE
    }

    fn parse_line(&mut self, line: &str, event_id: &str, out: &mut Vec<u8>) -> Result<LineOutcome, ParseError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let members = object_members(line, "a WAF log line")?;
        let timestamp = match get(&members, "timestamp")
            .map(|raw| uint(raw, "timestamp"))
            .transpose()?
            .flatten()
        {
            Some(ms) => i64::try_from(ms)
                .ok()
                .and_then(Timestamp::from_epoch_millis)
                .ok_or_else(|| {
                    ParseError::invalid(
                        "timestamp",
                        "epoch milliseconds within years 0000-9999",
                        itoa::Buffer::new().format(ms),
                    )
                })?,
            None => return Err(ParseError::invalid("timestamp", "epoch milliseconds", "(missing)")),
        };
        let request = get(&members, "httpRequest")
            .map(|raw| nested(raw, "httpRequest"))
            .transpose()?
            .flatten()
            .unwrap_or_default();
        let headers = match get(&request, "headers") {
            Some(raw) => headers(raw)?,
            None => Vec::new(),
        };

        self.free.start_document();
        let mut w = begin_document(out, &timestamp, LOG_TYPE, event_id);
        integer(
            &mut w,
            "format_version",
            "formatVersion",
            get(&members, "formatVersion"),
        )?;
        for (doc, aws) in HEAD_STRINGS {
            string(&mut w, doc, aws, get(&members, aws))?;
        }
        string(&mut w, "http_source_id", "httpSourceId", get(&members, "httpSourceId"))?;
        integer(
            &mut w,
            "response_code_sent",
            "responseCodeSent",
            get(&members, "responseCodeSent"),
        )?;
        if let Some(raw) = get(&request, "clientIp") {
            if let Some(ip) = text(raw, "httpRequest.clientIp")? {
                if ip.parse::<IpAddr>().is_err() {
                    return Err(ParseError::invalid("httpRequest.clientIp", "an IP address", &ip));
                }
                w.str("http_request_client_ip", &ip);
            }
        }
        for (doc, aws) in REQUEST_STRINGS {
            string(&mut w, doc, "httpRequest", get(&request, aws))?;
        }
        for (doc, name) in TYPED_HEADERS {
            let first = headers
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, values)| values.iter().find(|v| !v.is_empty() && *v != "-"));
            w.opt_str(doc, first.map(|v| v.as_ref()));
        }
        if let Some(raw) = get(&members, "labels") {
            let names = labels(raw)?;
            if !names.is_empty() {
                w.str_array("labels", names.iter().map(|n| n.as_ref()));
            }
        }
        for (doc, aws) in TAIL_STRINGS {
            string(&mut w, doc, aws, get(&members, aws))?;
        }
        for (doc, aws) in TAIL_INTEGERS {
            integer(&mut w, doc, aws, get(&members, aws))?;
        }
        if let Some(raw) = get(&members, "oversizeFields") {
            let fields = text_array(raw, "oversizeFields")?;
            if !fields.is_empty() {
                w.str_array("oversize_fields", fields.iter().map(|f| f.as_ref()));
            }
        }
        self.free.write_string_map(&mut w, "http_request_headers", &headers)?;
        for (doc, aws) in FREE {
            if let Some(raw) = get(&members, aws) {
                self.free.write_value(&mut w, doc, aws, raw)?;
            }
        }
        let unknown: Members<'_> = members.iter().filter(|(k, _)| !is_known(k)).cloned().collect();
        let unknown_request: Members<'_> = request.iter().filter(|(k, _)| !is_known_request(k)).cloned().collect();
        self.free.write_members(
            &mut w,
            "other_fields",
            &unknown,
            &[("httpRequest", unknown_request.as_slice())],
        )?;
        if self.free.truncated() {
            w.bool("values_truncated", true);
        }
        w.end();
        Ok(LineOutcome::Document(timestamp))
    }
}

fn string(w: &mut ObjectWriter<'_>, doc: &str, aws: &'static str, raw: Option<&RawValue>) -> Result<(), ParseError> {
    if let Some(raw) = raw {
        w.opt_str(doc, text(raw, aws)?.as_deref());
    }
    Ok(())
}

fn integer(w: &mut ObjectWriter<'_>, doc: &str, aws: &'static str, raw: Option<&RawValue>) -> Result<(), ParseError> {
    if let Some(raw) = raw {
        w.opt_u64(doc, uint(raw, aws)?);
    }
    Ok(())
}

/// `httpRequest.headers` (`[{"name": …, "value": …}, …]`) grouped by lower-cased name, in log order.
fn headers(raw: &RawValue) -> Result<Vec<MultiValue<'_>>, ParseError> {
    const FIELD: &str = "httpRequest.headers";
    const EXPECTED: &str = "an array of {\"name\", \"value\"} objects";
    if raw.get() == "null" {
        return Ok(Vec::new());
    }
    let items: Vec<&RawValue> =
        serde_json::from_str(raw.get()).map_err(|_| ParseError::invalid(FIELD, EXPECTED, raw.get()))?;
    let mut grouped: Vec<MultiValue<'_>> = Vec::with_capacity(items.len());
    for item in items {
        let Some(header) = nested(item, FIELD)? else { continue };
        let name = get(&header, "name").and_then(|n| serde_json::from_str::<Str<'_>>(n.get()).ok());
        let Some(Str(name)) = name else {
            return Err(ParseError::invalid(FIELD, EXPECTED, item.get()));
        };
        let value = match get(&header, "value") {
            None => continue,
            Some(v) if v.get() == "null" => continue,
            Some(v) => match serde_json::from_str::<Str<'_>>(v.get()) {
                Ok(Str(value)) => value,
                Err(_) => return Err(ParseError::invalid(FIELD, EXPECTED, item.get())),
            },
        };
        let name = name.to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        match grouped.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => grouped.push((name, vec![value])),
        }
    }
    Ok(grouped)
}

/// `labels` (`[{"name": "awswaf:…"}, …]`) as their names.
fn labels(raw: &RawValue) -> Result<Vec<Cow<'_, str>>, ParseError> {
    const EXPECTED: &str = "an array of {\"name\"} objects";
    if raw.get() == "null" {
        return Ok(Vec::new());
    }
    let items: Vec<&RawValue> =
        serde_json::from_str(raw.get()).map_err(|_| ParseError::invalid("labels", EXPECTED, raw.get()))?;
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let Some(label) = nested(item, "labels")? else { continue };
        match get(&label, "name").map(|n| text(n, "labels")).transpose() {
            Ok(Some(Some(name))) => names.push(name),
            Ok(_) => {}
            Err(_) => return Err(ParseError::invalid("labels", EXPECTED, item.get())),
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::with;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Result<Value, ParseError> {
        let mut out = Vec::new();
        let outcome = WafParser::default().parse_line(line, "id-1", &mut out)?;
        let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
        let ts = Timestamp::parse_rfc3339_utc(doc["@timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(outcome, LineOutcome::Document(ts));
        Ok(doc)
    }

    const ACL: &str =
        "arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/CanaryTest/01234567-89ab-cdef-0123-456789abcdef";

    /// The documented "rate-based rule 1" example (WAF "Log examples"), with a real web ACL ARN in
    /// place of the doc's `...`.
    fn rate_based() -> String {
        format!(
            r#"{{"timestamp":1683355579981,"formatVersion":1,"webaclId":"{ACL}","terminatingRuleId":"RateBasedRule","terminatingRuleType":"RATE_BASED","action":"BLOCK","terminatingRuleMatchDetails":[],"httpSourceName":"APIGW","httpSourceId":"EXAMPLE11:rjvegx5guh:CanaryTest","ruleGroupList":[],"rateBasedRuleList":[{{"rateBasedRuleId":"{ACL}/RateBasedRule","rateBasedRuleName":"RateBasedRule","limitKey":"CUSTOMKEYS","maxRateAllowed":100,"evaluationWindowSec":"120","customValues":[{{"key":"HEADER","name":"dogname","value":"ella"}}]}}],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{{"clientIp":"52.46.82.45","country":"FR","headers":[{{"name":"X-Forwarded-For","value":"52.46.82.45"}},{{"name":"X-Forwarded-Proto","value":"https"}},{{"name":"X-Forwarded-Port","value":"443"}},{{"name":"Host","value":"rjvegx5guh.execute-api.eu-west-3.amazonaws.com"}},{{"name":"X-Amzn-Trace-Id","value":"Root=1-645566cf-7cb058b04d9bb3ee01dc4036"}},{{"name":"dogname","value":"ella"}},{{"name":"User-Agent","value":"RateBasedRuleTestKoipOneKeyModulePV2"}},{{"name":"Accept-Encoding","value":"gzip,deflate"}}],"uri":"/CanaryTest","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"Ed0AiHF_CGYF-DA="}}}}"#
        )
    }

    fn rate_based_doc() -> Value {
        json!({
            "@timestamp": "2023-05-06T06:46:19.981Z", "log_type": "waf", "event_id": "id-1",
            "format_version": 1, "webacl_id": ACL, "action": "BLOCK", "terminating_rule_id": "RateBasedRule",
            "terminating_rule_type": "RATE_BASED", "http_source_name": "APIGW",
            "http_source_id": "EXAMPLE11:rjvegx5guh:CanaryTest", "http_request_client_ip": "52.46.82.45",
            "http_request_country": "FR", "http_request_uri": "/CanaryTest", "http_request_http_version": "HTTP/1.1",
            "http_request_http_method": "GET", "http_request_request_id": "Ed0AiHF_CGYF-DA=",
            "user_agent": "RateBasedRuleTestKoipOneKeyModulePV2",
            "host": "rjvegx5guh.execute-api.eu-west-3.amazonaws.com", "x_forwarded_for": "52.46.82.45",
            "http_request_headers": {
                "x-forwarded-for": "52.46.82.45", "x-forwarded-proto": "https", "x-forwarded-port": "443",
                "host": "rjvegx5guh.execute-api.eu-west-3.amazonaws.com",
                "x-amzn-trace-id": "Root=1-645566cf-7cb058b04d9bb3ee01dc4036", "dogname": "ella",
                "user-agent": "RateBasedRuleTestKoipOneKeyModulePV2", "accept-encoding": "gzip,deflate"
            },
            "rate_based_rule_list": {"value": [{
                "rateBasedRuleId": format!("{ACL}/RateBasedRule"), "rateBasedRuleName": "RateBasedRule",
                "limitKey": "CUSTOMKEYS", "maxRateAllowed": 100, "evaluationWindowSec": "120",
                "customValues": [{"key": "HEADER", "name": "dogname", "value": "ella"}]
            }]}
        })
    }

    /// A request blocked by a managed rule group, with match details, labels, fingerprints and a
    /// CloudFront source (fields from the WAF field list; values ours).
    const MANAGED_BLOCK: &str = r#"{"timestamp":1795323612000,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge-acl/0a1b2c3d-4e5f-6789-abcd-ef0123456789","terminatingRuleId":"AWS-AWSManagedRulesSQLiRuleSet","terminatingRuleType":"MANAGED_RULE_GROUP","action":"BLOCK","terminatingRuleMatchDetails":[{"conditionType":"SQL_INJECTION","sensitivityLevel":"LOW","location":"QUERY_STRING","matchedData":["1","OR","1=1"]}],"httpSourceName":"CF","httpSourceId":"E2EXAMPLE12345","ruleGroupList":[{"ruleGroupId":"AWS#AWSManagedRulesSQLiRuleSet","terminatingRule":{"ruleId":"SQLi_QUERYARGUMENTS","action":"BLOCK","ruleMatchDetails":null},"nonTerminatingMatchingRules":[],"excludedRules":null,"customerConfig":null}],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":403,"httpRequest":{"clientIp":"2001:db8::7","country":"-","headers":[{"name":"host","value":"www.example.com"},{"name":"user-agent","value":"sqlmap/1.8"},{"name":"Cookie","value":"a=1"},{"name":"cookie","value":"b=2"}],"uri":"/search","args":"q=1%20OR%201=1","httpVersion":"HTTP/2.0","httpMethod":"GET","requestId":"cKvHCQ-nQxb6UNs2PpvDtdDHa1eB9vEzLn5uBDP5T4fKDWjA9SpgCQ=="},"labels":[{"name":"awswaf:managed:aws:sql-database:SQLi_QueryArguments"}],"ja3Fingerprint":"e7d705a3286e19ea42f587b344ee6865","ja4Fingerprint":"t13d1516h2_8daaf6152771_02713d6af862"}"#;

    fn managed_block_doc() -> Value {
        json!({
            "@timestamp": "2026-11-22T05:00:12.000Z", "log_type": "waf", "event_id": "id-1", "format_version": 1,
            "webacl_id": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge-acl/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            "action": "BLOCK", "terminating_rule_id": "AWS-AWSManagedRulesSQLiRuleSet",
            "terminating_rule_type": "MANAGED_RULE_GROUP", "http_source_name": "CF", "http_source_id": "E2EXAMPLE12345",
            "response_code_sent": 403, "http_request_client_ip": "2001:db8::7", "http_request_uri": "/search",
            "http_request_args": "q=1%20OR%201=1", "http_request_http_version": "HTTP/2.0",
            "http_request_http_method": "GET",
            "http_request_request_id": "cKvHCQ-nQxb6UNs2PpvDtdDHa1eB9vEzLn5uBDP5T4fKDWjA9SpgCQ==",
            "user_agent": "sqlmap/1.8", "host": "www.example.com",
            "labels": ["awswaf:managed:aws:sql-database:SQLi_QueryArguments"],
            "ja3_fingerprint": "e7d705a3286e19ea42f587b344ee6865",
            "ja4_fingerprint": "t13d1516h2_8daaf6152771_02713d6af862",
            "http_request_headers": {"host": "www.example.com", "user-agent": "sqlmap/1.8", "cookie": ["a=1", "b=2"]},
            "terminating_rule_match_details": {"value": [{"conditionType":"SQL_INJECTION","sensitivityLevel":"LOW","location":"QUERY_STRING","matchedData":["1","OR","1=1"]}]},
            "rule_group_list": {"value": [{"ruleGroupId":"AWS#AWSManagedRulesSQLiRuleSet","terminatingRule":{"ruleId":"SQLi_QUERYARGUMENTS","action":"BLOCK"},"nonTerminatingMatchingRules":[]}]}
        })
    }

    fn cases() -> Vec<(&'static str, String, Value)> {
        vec![
            ("documented_rate_based_rule", rate_based(), rate_based_doc()),
            ("managed_rule_group_block", MANAGED_BLOCK.to_owned(), managed_block_doc()),
            ("byte_order_mark", format!("\u{feff}{MANAGED_BLOCK}"), managed_block_doc()),
            (
                "numbers_as_strings",
                MANAGED_BLOCK
                    .replace("\"timestamp\":1795323612000", "\"timestamp\":\"1795323612000\"")
                    .replace("\"responseCodeSent\":403", "\"responseCodeSent\":\"403\""),
                managed_block_doc(),
            ),
            (
                "minimal_line_without_optional_fields",
                r#"{"timestamp":1795323600000,"webaclId":"w","terminatingRuleId":"Default_Action","action":"ALLOW"}"#.into(),
                json!({
                    "@timestamp": "2026-11-22T05:00:00.000Z", "log_type": "waf", "event_id": "id-1",
                    "webacl_id": "w", "action": "ALLOW", "terminating_rule_id": "Default_Action"
                }),
            ),
            (
                "captcha_and_body_size_fields",
                MANAGED_BLOCK.replace(
                    r#""ja3Fingerprint""#,
                    r#""captchaResponse":{"responseCode":405,"solveTimestamp":0,"failureReason":"TOKEN_MISSING"},"requestBodySize":9312,"requestBodySizeInspectedByWAF":8192,"oversizeFields":["REQUEST_BODY"],"ja3Fingerprint""#,
                ),
                with(managed_block_doc(), json!({
                    "request_body_size": 9312, "request_body_size_inspected_by_waf": 8192,
                    "oversize_fields": ["REQUEST_BODY"],
                    "captcha_response": {"responseCode": 405, "solveTimestamp": 0, "failureReason": "TOKEN_MISSING"}
                })),
            ),
            (
                "unknown_members_kept_in_other_fields",
                MANAGED_BLOCK
                    .replace(r#""ja3Fingerprint""#, r#""cfDistributionTenantId":"dt-1","newThing":{"x":[1,null]},"ja3Fingerprint""#)
                    .replace(r#""uri":"/search""#, r#""uri":"/search","clientAsn":64496"#),
                with(managed_block_doc(), json!({
                    "other_fields": {"cfDistributionTenantId": "dt-1", "newThing": {"x": [1]}, "httpRequest": {"clientAsn": 64496}}
                })),
            ),
            (
                "header_values_kept_exactly_dash_and_empty",
                MANAGED_BLOCK.replace(
                    r#"{"name":"Cookie","value":"a=1"}"#,
                    r#"{"name":"Referer","value":"-"},{"name":"X-Empty","value":""},{"name":"","value":"dropped"},{"name":"X-Null","value":null},{"name":"Cookie","value":"a=1"}"#,
                ),
                with(managed_block_doc(), json!({
                    "http_request_headers": {
                        "host": "www.example.com", "user-agent": "sqlmap/1.8", "referer": "-", "x-empty": "",
                        "cookie": ["a=1", "b=2"]
                    }
                })),
            ),
            (
                "huge_unknown_nested_rule_group",
                MANAGED_BLOCK.replace(
                    r#""customerConfig":null"#,
                    &format!(r#""customerConfig":{{"deep":{}}}"#, "[".repeat(40) + "\"x\"" + &"]".repeat(40)),
                ),
                with(managed_block_doc(), json!({
                    "rule_group_list": {"value": [{
                        "ruleGroupId":"AWS#AWSManagedRulesSQLiRuleSet",
                        "terminatingRule":{"ruleId":"SQLi_QUERYARGUMENTS","action":"BLOCK"},
                        "nonTerminatingMatchingRules":[],
                        "customerConfig":{"deep": serde_json::from_str::<Value>(&("[".repeat(40) + "\"x\"" + &"]".repeat(40))).unwrap()}
                    }]}
                })),
            ),
            (
                "hostile_uri_and_header_name",
                MANAGED_BLOCK
                    .replace(r#""uri":"/search""#, r#""uri":"/\"}{\u001b[31m""#)
                    .replace(r#"{"name":"Cookie","value":"a=1"}"#, r#"{"name":"X-\"Evil\"\\","value":"\n"}"#),
                with(managed_block_doc(), json!({
                    "http_request_uri": "/\"}{\u{1b}[31m",
                    "http_request_headers": {"host": "www.example.com", "user-agent": "sqlmap/1.8", "x-\"evil\"\\": "\n", "cookie": "b=2"}
                })),
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
                "missing_timestamp",
                MANAGED_BLOCK.replace("\"timestamp\":1795323612000,", ""),
                ParseError::invalid("timestamp", "epoch milliseconds", "(missing)"),
            ),
            (
                "timestamp_in_seconds_with_fraction",
                MANAGED_BLOCK.replace("1795323612000", "1795323612.5"),
                ParseError::invalid("timestamp", "a non-negative integer", "1795323612.5"),
            ),
            (
                "timestamp_out_of_range",
                MANAGED_BLOCK.replace("1795323612000", "18446744073709551615"),
                ParseError::invalid(
                    "timestamp",
                    "epoch milliseconds within years 0000-9999",
                    "18446744073709551615",
                ),
            ),
            (
                "response_code_not_a_number",
                MANAGED_BLOCK.replace("\"responseCodeSent\":403", "\"responseCodeSent\":\"forbidden\""),
                ParseError::invalid("responseCodeSent", "a non-negative integer", "\"forbidden\""),
            ),
            (
                "client_ip_not_an_ip",
                MANAGED_BLOCK.replace("2001:db8::7", "999.1.1.1"),
                ParseError::invalid("httpRequest.clientIp", "an IP address", "999.1.1.1"),
            ),
            (
                "action_not_a_string",
                MANAGED_BLOCK.replace("\"action\":\"BLOCK\",\"terminatingRuleMatchDetails\"", "\"action\":[\"BLOCK\"],\"terminatingRuleMatchDetails\""),
                ParseError::invalid("action", "a string", "[\"BLOCK\"]"),
            ),
            (
                "header_without_name",
                MANAGED_BLOCK.replace(r#"{"name":"Cookie","value":"a=1"}"#, r#"{"value":"a=1"}"#),
                ParseError::invalid("httpRequest.headers", "an array of {\"name\", \"value\"} objects", r#"{"value":"a=1"}"#),
            ),
            (
                "headers_an_object",
                MANAGED_BLOCK.replace(
                    r#""headers":[{"name":"host","value":"www.example.com"},"#,
                    r#""headers":{"host":"www.example.com"},"x":["#,
                ),
                ParseError::invalid("httpRequest.headers", "an array of {\"name\", \"value\"} objects", r#"{"host":"www.example.com"}"#),
            ),
            (
                "labels_as_strings",
                MANAGED_BLOCK.replace(
                    r#"[{"name":"awswaf:managed:aws:sql-database:SQLi_QueryArguments"}]"#,
                    r#"["awswaf:managed:aws:sql-database:SQLi_QueryArguments"]"#,
                ),
                ParseError::invalid("labels", "an object", r#""awswaf:managed:aws:sql-database:SQLi_QueryArguments""#),
            ),
            (
                "http_request_not_an_object",
                r#"{"timestamp":1795323600000,"httpRequest":"GET /"}"#.into(),
                ParseError::invalid("httpRequest", "an object", "\"GET /\""),
            ),
            (
                "json_array_instead_of_object",
                format!("[{MANAGED_BLOCK}]"),
                ParseError::InvalidPayload {
                    reason: "a WAF log line must be a JSON object: invalid type: sequence, expected a JSON object at line 1 column 0".into(),
                },
            ),
            (
                "truncated_json",
                MANAGED_BLOCK[..MANAGED_BLOCK.len() - 1].to_owned(),
                ParseError::InvalidPayload {
                    reason: format!(
                        "a WAF log line must be a JSON object: EOF while parsing an object at line 1 column {}",
                        MANAGED_BLOCK.len() - 1
                    ),
                },
            ),
            (
                "cloudtrail_event_is_not_waf",
                r#"{"eventVersion":"1.08","eventTime":"2026-11-22T05:00:00Z","eventSource":"s3.amazonaws.com"}"#.into(),
                ParseError::invalid("timestamp", "epoch milliseconds", "(missing)"),
            ),
        ];
        for (name, line, want) in cases {
            let mut out = Vec::new();
            let got = WafParser::default().parse_line(&line, "id", &mut out);
            assert_eq!(got, Err(want), "case `{name}`");
        }
    }

    #[test]
    fn long_header_value_is_cut_and_flagged() {
        let long = "a".repeat(40_000);
        let line = MANAGED_BLOCK.replace("\"value\":\"a=1\"", &format!("\"value\":\"{long}\""));
        let doc = parse(&line).unwrap();
        assert_eq!(doc["values_truncated"], true);
        let cookies = doc["http_request_headers"]["cookie"].as_array().unwrap();
        assert_eq!(cookies[0].as_str().unwrap().len(), 16 * 1024);
        assert_eq!(cookies[1], "b=2");
    }

    #[test]
    fn recognition() {
        for yes in [
            rate_based(),
            MANAGED_BLOCK.to_owned(),
            format!("\u{feff}  {MANAGED_BLOCK}"),
        ] {
            assert!(recognise(&yes), "{yes}");
        }
        for no in [
            "",
            "{}",
            r#"{"requestId":"x","httpMethod":"GET","status":"200"}"#,
            r#"{"eventVersion":"1.08","eventSource":"wafv2.amazonaws.com","requestParameters":{"webaclId":"x"}}"#,
            "webaclId terminatingRuleId",
        ] {
            assert!(!recognise(no), "{no}");
        }
    }

    const SAMPLE: &str = include_str!("../../../events/samples/waf.log");

    #[test]
    fn every_sample_line_parses() {
        let mut parser = WafParser::default();
        let mut n = 0;
        for (i, line) in SAMPLE.lines().enumerate() {
            assert!(recognise(line), "line {}", i + 1);
            let mut out = Vec::new();
            let outcome = parser
                .parse_line(line, "id", &mut out)
                .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            let doc: Value = serde_json::from_slice(&out).unwrap();
            assert!(matches!(outcome, LineOutcome::Document(ts) if ts.as_str().starts_with("2026-11-22T")));
            for (k, v) in doc.as_object().unwrap() {
                assert_ne!(v, "-", "line {} field {k}", i + 1);
            }
            n += 1;
        }
        assert_eq!(n, 6);
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = Vec::new();
        let mut p = WafParser::default();
        for line in [
            "{",
            "null",
            "{\"timestamp\":-1}",
            "{\"timestamp\":1,\"httpRequest\":{\"headers\":[null,1]}}",
            "{\"timestamp\":1,\"httpRequest\":{\"headers\":[{\"name\":1}]}}",
            "{\"timestamp\":1,\"labels\":[{\"name\":{}}]}",
            "{\"timestamp\":1,\"labels\":{}}",
            &"[".repeat(5000),
            &format!("{{\"timestamp\":1,\"ruleGroupList\":{}}}", "[".repeat(200)),
        ] {
            out.clear();
            let _ = p.parse_line(line, "id", &mut out);
        }
    }
}
