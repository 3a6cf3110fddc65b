//! Function configuration, from environment variables (set by `template.yaml`).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `LOGPIPE_DELIVERY_STREAM` | Firehose delivery stream that receives the documents whose log type `LOGPIPE_DELIVERY_STREAMS` does not list | required |
//! | `LOGPIPE_DELIVERY_STREAMS` | comma list of `log_type=stream`: the delivery stream of each listed log type (rules: [`crate::delivery::route`]) | none: everything to `LOGPIPE_DELIVERY_STREAM` |
//! | `LOGPIPE_LOG_FORMAT` | a format name but `cloudwatch` (`alb`, `cloudfront`, `nlb`, `s3_access`, …) or `auto` (s3-access-logs) | `auto` |
//! | `LOGPIPE_FAILED_BUCKET` | bucket of the failed-record store | none: an undeliverable record then fails the invocation |
//! | `LOGPIPE_FAILED_PREFIX` | key prefix in that bucket | `failed/` |
//! | `LOGPIPE_MAX_INFLATED_BYTES` | decompressed bytes one object may reach (decompression bombs) | 4 GiB |
//! | `LOGPIPE_MAX_LINE_BYTES` | longest line kept | 1 MiB |
//! | `LOGPIPE_MAX_PAYLOAD_BYTES` | decompressed bytes of one CloudWatch Logs payload or Kinesis record | 64 MiB |
//! | `LOGPIPE_LOG_GROUP_FORMATS`, `LOGPIPE_VPC_FLOW_FORMAT` | formats of log groups' messages ([`crate::formats::cloudwatch_messages`]) | name rules, then content |
//! | `LOGPIPE_CLOUDFRONT_REALTIME_FIELDS` | the fields of CloudFront real-time log records, in the configuration's order (kinesis-relay) | every documented field |
//! | `LOGPIPE_ALLOWED_ACCOUNTS` | comma list of account ids whose CloudWatch Logs payloads are accepted (kinesis-relay) | all |
//! | `LOGPIPE_MAX_IN_FLIGHT` | PutRecordBatch calls in flight | 4 |
//! | `LOGPIPE_DEADLINE_MARGIN_MS` | time kept free before the Lambda deadline | 10 % of the time left, between 1 s and 10 s |

use crate::delivery::StreamMap;
use crate::formats::cloudfront_realtime::CloudFrontRealtimeParser;
use crate::formats::cloudwatch_messages::MessageRules;
use crate::formats::{Format, FormatChoice};
use crate::pipeline::Limits;
use std::time::Duration;

/// The functions' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Default Firehose delivery stream.
    pub delivery_stream: String,
    /// The delivery streams of log types that do not go to the default one.
    pub delivery_streams: StreamMap,
    /// Log format of S3 objects.
    pub log_format: FormatChoice,
    /// Bucket of the failed-record store.
    pub failed_bucket: Option<String>,
    /// Key prefix of the failed-record store.
    pub failed_prefix: String,
    /// Input limits.
    pub limits: Limits,
    /// Accepted CloudWatch Logs `owner` accounts; `None` accepts all.
    pub allowed_accounts: Option<Vec<String>>,
    /// PutRecordBatch calls in flight.
    pub max_in_flight: usize,
    /// Fixed margin before the deadline; `None` for the default rule.
    pub deadline_margin: Option<Duration>,
}

/// A setting is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong.
    pub problem: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads settings through `var` (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let delivery_stream = get("LOGPIPE_DELIVERY_STREAM").ok_or(ConfigError {
            variable: "LOGPIPE_DELIVERY_STREAM",
            problem: "not set: name the Firehose delivery stream".into(),
        })?;
        let delivery_streams = match get("LOGPIPE_DELIVERY_STREAMS") {
            None => StreamMap::default(),
            Some(list) => list.parse().map_err(|e: crate::delivery::StreamMapError| ConfigError {
                variable: "LOGPIPE_DELIVERY_STREAMS",
                problem: e.to_string(),
            })?,
        };
        let log_format = match get("LOGPIPE_LOG_FORMAT").as_deref() {
            None => FormatChoice::Auto,
            Some(f) => match f.parse() {
                Ok(FormatChoice::Fixed(Format::CloudWatch)) | Err(_) => {
                    let names: Vec<&str> = Format::ALL
                        .iter()
                        .filter(|f| **f != Format::CloudWatch)
                        .map(|f| f.name())
                        .collect();
                    return Err(ConfigError {
                        variable: "LOGPIPE_LOG_FORMAT",
                        problem: format!("`{f}` is not one of {}, auto", names.join(", ")),
                    });
                }
                Ok(choice) => choice,
            },
        };
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| ConfigError {
                    variable: name,
                    problem: format!("`{v}` is not a whole number"),
                }),
            }
        };
        let defaults = Limits::default();
        let limits = Limits {
            max_inflated_bytes: number("LOGPIPE_MAX_INFLATED_BYTES", defaults.max_inflated_bytes)?,
            max_line_bytes: number("LOGPIPE_MAX_LINE_BYTES", defaults.max_line_bytes as u64)? as usize,
            max_payload_bytes: number("LOGPIPE_MAX_PAYLOAD_BYTES", defaults.max_payload_bytes)?,
        };
        // Read where the messages are parsed (`MessageRules::from_env`); checked here so that a
        // function with a bad setting refuses to start instead of ignoring it.
        MessageRules::parse(
            get("LOGPIPE_LOG_GROUP_FORMATS").as_deref(),
            get("LOGPIPE_VPC_FLOW_FORMAT").as_deref(),
        )
        .map_err(|problem| ConfigError {
            variable: "LOGPIPE_LOG_GROUP_FORMATS",
            problem,
        })?;
        if let Some(list) = get("LOGPIPE_CLOUDFRONT_REALTIME_FIELDS") {
            CloudFrontRealtimeParser::with_fields(&list).map_err(|e| ConfigError {
                variable: "LOGPIPE_CLOUDFRONT_REALTIME_FIELDS",
                problem: e.to_string(),
            })?;
        }
        let allowed_accounts = get("LOGPIPE_ALLOWED_ACCOUNTS").map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect()
        });
        Ok(Config {
            delivery_stream,
            delivery_streams,
            log_format,
            failed_bucket: get("LOGPIPE_FAILED_BUCKET"),
            failed_prefix: get("LOGPIPE_FAILED_PREFIX").unwrap_or_else(|| "failed/".into()),
            limits,
            allowed_accounts,
            max_in_flight: number("LOGPIPE_MAX_IN_FLIGHT", 4)?.clamp(1, 64) as usize,
            deadline_margin: get("LOGPIPE_DEADLINE_MARGIN_MS")
                .map(|_| number("LOGPIPE_DEADLINE_MARGIN_MS", 0).map(Duration::from_millis))
                .transpose()?,
        })
    }

    /// How long before the Lambda deadline to stop, given the time left when the invocation started.
    pub fn margin(&self, time_left: Duration) -> Duration {
        self.deadline_margin
            .unwrap_or_else(|| (time_left / 10).clamp(Duration::from_secs(1), Duration::from_secs(10)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_only_the_stream() {
        let c = config(&[("LOGPIPE_DELIVERY_STREAM", "logs")]).unwrap();
        assert_eq!(c.delivery_stream, "logs");
        assert!(c.delivery_streams.is_empty());
        assert_eq!(c.log_format, FormatChoice::Auto);
        assert_eq!(c.failed_bucket, None);
        assert_eq!(c.failed_prefix, "failed/");
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.allowed_accounts, None);
        assert_eq!(c.max_in_flight, 4);
        assert_eq!(c.margin(Duration::from_secs(300)), Duration::from_secs(10));
        assert_eq!(c.margin(Duration::from_secs(3)), Duration::from_secs(1));
    }

    #[test]
    fn every_variable_is_read() {
        let c = config(&[
            ("LOGPIPE_DELIVERY_STREAM", "logs"),
            ("LOGPIPE_DELIVERY_STREAMS", "nlb=logs-nlb, clb=logs-clb"),
            ("LOGPIPE_LOG_FORMAT", "cloudfront"),
            ("LOGPIPE_FAILED_BUCKET", "failed-bucket"),
            ("LOGPIPE_FAILED_PREFIX", "undeliverable/"),
            ("LOGPIPE_MAX_INFLATED_BYTES", "1000"),
            ("LOGPIPE_MAX_LINE_BYTES", "200"),
            ("LOGPIPE_MAX_PAYLOAD_BYTES", "300"),
            ("LOGPIPE_ALLOWED_ACCOUNTS", "111122223333, 444455556666,"),
            ("LOGPIPE_MAX_IN_FLIGHT", "8"),
            ("LOGPIPE_DEADLINE_MARGIN_MS", "2500"),
        ])
        .unwrap();
        assert_eq!(c.delivery_streams.to_string(), "nlb=logs-nlb,clb=logs-clb");
        assert_eq!(c.log_format, FormatChoice::Fixed(Format::CloudFront));
        assert_eq!(c.failed_bucket.as_deref(), Some("failed-bucket"));
        assert_eq!(c.failed_prefix, "undeliverable/");
        assert_eq!(
            c.limits,
            Limits {
                max_inflated_bytes: 1000,
                max_line_bytes: 200,
                max_payload_bytes: 300
            }
        );
        assert_eq!(
            c.allowed_accounts,
            Some(vec!["111122223333".into(), "444455556666".into()])
        );
        assert_eq!(c.max_in_flight, 8);
        assert_eq!(c.margin(Duration::from_secs(300)), Duration::from_millis(2500));
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(config(&[]).unwrap_err().variable, "LOGPIPE_DELIVERY_STREAM");
        let e = config(&[("LOGPIPE_DELIVERY_STREAM", "s"), ("LOGPIPE_LOG_FORMAT", "elb")]).unwrap_err();
        assert_eq!(e.variable, "LOGPIPE_LOG_FORMAT");
        assert!(
            e.problem
                .starts_with("`elb` is not one of alb, alb_connection, nlb, clb,"),
            "{e}"
        );
        assert!(!e.problem.contains("cloudwatch"), "{e}");
        // Every line-based format may be fixed (an S3 server access log bucket, an NLB-only one, …).
        let c = config(&[("LOGPIPE_DELIVERY_STREAM", "s"), ("LOGPIPE_LOG_FORMAT", "nlb")]).unwrap();
        assert_eq!(c.log_format, FormatChoice::Fixed(Format::Nlb));
        let e = config(&[("LOGPIPE_DELIVERY_STREAM", "s"), ("LOGPIPE_LOG_FORMAT", "cloudwatch")]).unwrap_err();
        assert_eq!(e.variable, "LOGPIPE_LOG_FORMAT");
        let e = config(&[("LOGPIPE_DELIVERY_STREAM", "s"), ("LOGPIPE_MAX_INFLATED_BYTES", "2GB")]).unwrap_err();
        assert_eq!(e.to_string(), "LOGPIPE_MAX_INFLATED_BYTES: `2GB` is not a whole number");
    }

    #[test]
    fn a_bad_stream_map_stops_the_function_and_names_the_variable() {
        for (list, problem) in [
            ("nlb", "`nlb` is not log_type=stream"),
            ("nlb=a,nlb=b", "`nlb` is listed more than once"),
            ("nlb=a b", "`a b` (for nlb) is not a delivery stream name"),
            ("vpc_flow=logs-vpc", "`vpc_flow` is not a log type logpipe writes"),
        ] {
            let e = config(&[("LOGPIPE_DELIVERY_STREAM", "s"), ("LOGPIPE_DELIVERY_STREAMS", list)]).unwrap_err();
            assert_eq!(e.variable, "LOGPIPE_DELIVERY_STREAMS", "{list}");
            assert!(
                e.to_string()
                    .starts_with(&format!("LOGPIPE_DELIVERY_STREAMS: {problem}")),
                "{list}: {e}"
            );
        }
        // Empty or blank: no map, as when unset.
        let c = config(&[("LOGPIPE_DELIVERY_STREAM", "s"), ("LOGPIPE_DELIVERY_STREAMS", " ")]).unwrap();
        assert!(c.delivery_streams.is_empty());
        // The default stream is still required with a map.
        let e = config(&[("LOGPIPE_DELIVERY_STREAMS", "nlb=logs-nlb")]).unwrap_err();
        assert_eq!(e.variable, "LOGPIPE_DELIVERY_STREAM");
    }

    #[test]
    fn a_bad_log_group_rule_stops_the_function() {
        let vars = |name: &str| match name {
            "LOGPIPE_DELIVERY_STREAM" => Some("s".to_owned()),
            "LOGPIPE_LOG_GROUP_FORMATS" => Some("/flows=vpc_flow".to_owned()),
            _ => None,
        };
        let e = Config::from_vars(vars).unwrap_err();
        assert_eq!(e.variable, "LOGPIPE_LOG_GROUP_FORMATS");
        assert!(e.problem.contains("vpc_flow"), "{e}");
    }
}
