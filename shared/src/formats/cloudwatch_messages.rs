//! Messages of other formats delivered through CloudWatch Logs: VPC flow logs, API Gateway access
//! logs, CloudTrail and AWS WAF can all be sent to a log group, and from there through a
//! subscription to logpipe. Their log events are parsed by their own format's parser, so they
//! become `vpcflow`, `apigateway`, `cloudtrail` or `waf` documents, with the CloudWatch context
//! (`owner`, `log_group`, `log_stream`) added.
//!
//! Which format a log group holds, first match wins:
//! 1. `LOGPIPE_LOG_GROUP_FORMATS`: comma-separated `<log group prefix>=<format>` rules set per
//!    deployment, e.g. `/vpc/prod-flows=vpcflow,/apigw/=apigateway,/app/=cloudwatch`. `cloudwatch`
//!    means plain CloudWatch documents. The longest matching prefix wins.
//! 2. Names AWS gives or requires: `aws-waf-logs-…` (WAF requires this prefix) → `waf`;
//!    `/aws/lambda/…` and `API-Gateway-Execution-Logs_…` (text logs) → plain;
//!    a name containing `cloudtrail` → `cloudtrail`; containing `flowlog`, `flow-log` or `vpcflow`
//!    → `vpcflow`; containing `apigateway` or `api-gateway` → `apigateway` (case ignored).
//! 3. Otherwise each message's content decides, with the formats' own strict checks: a CloudTrail
//!    event, a WAF log, an API Gateway JSON or CLF access log, a default-format VPC flow record;
//!    anything else is a plain CloudWatch document.
//!
//! VPC flow logs in CloudWatch Logs have no header line: their field list is the default v2 format,
//! or `LOGPIPE_VPC_FLOW_FORMAT` (the flow log's `LogFormat`, `${version} ${account-id} …`).
//!
//! A message of a declared or recognised format that does not parse becomes an error document of
//! that format's `log_type` (so it lands in that format's index), holding the message.

use super::apigateway::ApiGatewayParser;
use super::cloudtrail::{self, CloudTrailParser};
use super::vpc_flow::VpcFlowParser;
use super::waf::WafParser;
use super::{apigateway, vpc_flow, waf, Format, LineOutcome, LineParser};
use crate::error::ParseError;
use crate::json::write_str;
use std::sync::OnceLock;

/// What a log group's name says about its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRule {
    /// Every message is this format.
    Format(Format),
    /// Plain CloudWatch documents.
    Plain,
    /// The name says nothing: look at each message.
    ByContent,
}

/// The per-deployment rules (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageRules {
    /// `(log group prefix, format)`, `None` for plain CloudWatch documents.
    prefixes: Vec<(String, Option<Format>)>,
    /// The VPC flow log format for flow logs in CloudWatch Logs.
    vpc_flow_format: Option<String>,
}

/// Formats a log group can be declared to hold.
const GROUP_FORMATS: [Format; 4] = [Format::VpcFlow, Format::ApiGateway, Format::CloudTrail, Format::Waf];

impl MessageRules {
    /// Parses `LOGPIPE_LOG_GROUP_FORMATS` and `LOGPIPE_VPC_FLOW_FORMAT` values.
    pub fn parse(groups: Option<&str>, vpc_flow_format: Option<&str>) -> Result<MessageRules, String> {
        let mut prefixes = Vec::new();
        for rule in groups
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            let (prefix, name) = rule
                .rsplit_once('=')
                .ok_or_else(|| format!("LOGPIPE_LOG_GROUP_FORMATS: `{rule}` is not <log group prefix>=<format>"))?;
            let format = match name.trim() {
                "cloudwatch" => None,
                name => Some(
                    GROUP_FORMATS
                        .into_iter()
                        .find(|f| f.name() == name)
                        .ok_or_else(|| {
                            format!(
                                "LOGPIPE_LOG_GROUP_FORMATS: `{name}` is not one of vpcflow, apigateway, cloudtrail, waf, cloudwatch"
                            )
                        })?,
                ),
            };
            prefixes.push((prefix.trim().to_owned(), format));
        }
        // Longest prefix first, so the most specific rule wins.
        prefixes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        let vpc_flow_format = vpc_flow_format
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned);
        Ok(MessageRules {
            prefixes,
            vpc_flow_format,
        })
    }

    /// The rules of this process's environment, read once. An invalid setting is reported and
    /// ignored here; the functions refuse to start with it (`lambda::config`).
    pub fn from_env() -> &'static MessageRules {
        static RULES: OnceLock<MessageRules> = OnceLock::new();
        RULES.get_or_init(|| {
            let groups = std::env::var("LOGPIPE_LOG_GROUP_FORMATS").ok();
            let vpc = std::env::var("LOGPIPE_VPC_FLOW_FORMAT").ok();
            MessageRules::parse(groups.as_deref(), vpc.as_deref()).unwrap_or_else(|e| {
                tracing::error!(error = %e, "Ignoring invalid CloudWatch Logs message settings.");
                MessageRules::default()
            })
        })
    }

    /// What `log_group`'s name says about its messages.
    pub fn group(&self, log_group: Option<&str>) -> GroupRule {
        let Some(group) = log_group else {
            return GroupRule::ByContent;
        };
        if let Some((_, format)) = self.prefixes.iter().find(|(p, _)| group.starts_with(p.as_str())) {
            return format.map_or(GroupRule::Plain, GroupRule::Format);
        }
        if group.starts_with("aws-waf-logs-") {
            return GroupRule::Format(Format::Waf);
        }
        if group.starts_with("/aws/lambda/") || group.starts_with("API-Gateway-Execution-Logs_") {
            return GroupRule::Plain;
        }
        let lower = group.to_ascii_lowercase();
        if lower.contains("cloudtrail") {
            GroupRule::Format(Format::CloudTrail)
        } else if ["flowlog", "flow-log", "vpcflow"].iter().any(|w| lower.contains(w)) {
            GroupRule::Format(Format::VpcFlow)
        } else if lower.contains("apigateway") || lower.contains("api-gateway") {
            GroupRule::Format(Format::ApiGateway)
        } else {
            GroupRule::ByContent
        }
    }
}

/// The format a message of an undeclared log group is in, if it is one of them.
pub fn by_content(message: &str) -> Option<Format> {
    type Check = (fn(&str) -> bool, Format);
    let checks: [Check; 4] = [
        (cloudtrail::recognise, Format::CloudTrail),
        (waf::recognise, Format::Waf),
        (apigateway::recognise, Format::ApiGateway),
        (vpc_flow::recognise, Format::VpcFlow),
    ];
    checks.into_iter().find(|(check, _)| check(message)).map(|(_, f)| f)
}

/// One parser per format, made when first needed, for the messages of one input.
#[derive(Debug, Default)]
pub struct MessageParsers {
    vpc: Option<VpcFlowParser>,
    waf: Option<WafParser>,
    api: Option<ApiGatewayParser>,
    trail: Option<CloudTrailParser>,
}

impl MessageParsers {
    /// Parses `message` as `format` into `out` (a whole document with `event_id`, or the event's own
    /// id for CloudTrail). Returns the outcome and, for CloudTrail, the id the document carries.
    pub fn parse(
        &mut self,
        rules: &MessageRules,
        format: Format,
        message: &str,
        event_id: &str,
        out: &mut Vec<u8>,
    ) -> Result<(LineOutcome, Option<String>), ParseError> {
        let outcome = match format {
            Format::VpcFlow => {
                let parser = self.vpc.get_or_insert_with(|| match &rules.vpc_flow_format {
                    Some(f) => VpcFlowParser::with_fields(f),
                    None => VpcFlowParser::default(),
                });
                parser.parse_line(message, event_id, out)?
            }
            Format::Waf => self
                .waf
                .get_or_insert_with(WafParser::default)
                .parse_line(message, event_id, out)?,
            Format::ApiGateway => self
                .api
                .get_or_insert_with(ApiGatewayParser::default)
                .parse_line(message, event_id, out)?,
            Format::CloudTrail => {
                let parser = self.trail.get_or_insert_with(CloudTrailParser::default);
                let ts = parser.write_event(message.trim(), event_id, out)?;
                return Ok((LineOutcome::Document(ts), cloudtrail::own_event_id(message)));
            }
            other => {
                return Err(ParseError::InvalidPayload {
                    reason: format!("`{}` messages are not read from CloudWatch Logs", other.name()),
                })
            }
        };
        Ok((outcome, None))
    }
}

/// Adds the CloudWatch context to a finished document (`{…}` → `{…,"owner":…}`).
pub fn append_context(out: &mut Vec<u8>, fields: &[(&str, Option<&str>)]) {
    if out.last() != Some(&b'}') {
        return;
    }
    out.pop();
    for (key, value) in fields {
        if let Some(value) = value {
            out.push(b',');
            write_str(out, key);
            out.push(b':');
            write_str(out, value);
        }
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_rules_in_precedence_order() {
        let rules = MessageRules::parse(Some("/app/=cloudwatch, /app/flows=vpcflow ,/edge=waf"), None).unwrap();
        let cases = [
            (Some("/app/flows/prod"), GroupRule::Format(Format::VpcFlow)),
            (Some("/app/orders"), GroupRule::Plain),
            (Some("/edge-acl"), GroupRule::Format(Format::Waf)),
            (Some("aws-waf-logs-prod"), GroupRule::Format(Format::Waf)),
            (Some("/aws/lambda/cloudtrail-shipper"), GroupRule::Plain),
            (Some("API-Gateway-Execution-Logs_abc123/prod"), GroupRule::Plain),
            (
                Some("aws-cloudtrail-logs-123456789012-1a2b3c4d"),
                GroupRule::Format(Format::CloudTrail),
            ),
            (Some("/aws/vpc/FlowLogs"), GroupRule::Format(Format::VpcFlow)),
            (
                Some("/aws/api-gateway/orders-access"),
                GroupRule::Format(Format::ApiGateway),
            ),
            (Some("/ecs/checkout"), GroupRule::ByContent),
            (None, GroupRule::ByContent),
        ];
        for (group, want) in cases {
            assert_eq!(rules.group(group), want, "{group:?}");
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(MessageRules::parse(Some("/x"), None).is_err());
        assert!(MessageRules::parse(Some("/x=alb"), None).is_err());
        assert_eq!(
            MessageRules::parse(Some(" , "), Some(" ")).unwrap(),
            MessageRules::default()
        );
    }

    #[test]
    fn content_decides_for_undeclared_groups() {
        let vpc = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        assert_eq!(by_content(vpc), Some(Format::VpcFlow));
        let trail = r#"{"eventVersion":"1.09","eventTime":"2026-11-22T05:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#;
        assert_eq!(by_content(trail), Some(Format::CloudTrail));
        assert_eq!(by_content(r#"{"level":"info","msg":"order created"}"#), None);
        assert_eq!(by_content("START RequestId: 8f5e3c21 Version: $LATEST"), None);
    }

    #[test]
    fn context_is_appended_to_a_document() {
        let mut out = br#"{"a":1}"#.to_vec();
        append_context(&mut out, &[("log_group", Some("/g\"x")), ("owner", None)]);
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"a":1,"log_group":"/g\"x"}"#);
    }
}
