//! One summary per invocation: a structured log line and the same counts as CloudWatch embedded
//! metric format (EMF) metrics, so dashboards and alarms need no log parsing.

use crate::delivery::ShipReport;
use crate::json::ObjectWriter;
use crate::pipeline::Summary;
use std::ops::AddAssign;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// CloudWatch namespace of the metrics.
pub const NAMESPACE: &str = "logpipe";

/// What one invocation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InvocationReport {
    /// `s3`, `cloudwatch_logs` or `kinesis`.
    pub source: &'static str,
    /// Input items: S3 objects, CloudWatch Logs events, Kinesis records.
    pub records_in: u64,
    /// Parsing counts.
    pub parsed: Summary,
    /// Delivery counts.
    pub shipped: ShipReport,
    /// Objects or records skipped on purpose (test events, connection logs, NLB files, control messages).
    pub skipped: u64,
    /// Items handed back to AWS for a retry (batch item failures).
    pub retry_items: u64,
    /// Wall time.
    pub duration: Duration,
}

impl AddAssign<ShipReport> for InvocationReport {
    fn add_assign(&mut self, r: ShipReport) {
        self.shipped += r;
    }
}

impl InvocationReport {
    /// The metrics, as (name, value) pairs, all of unit `Count` except `DurationMs`.
    pub fn metrics(&self) -> [(&'static str, u64); 11] {
        [
            ("RecordsIn", self.records_in),
            ("Lines", self.parsed.lines),
            ("Documents", self.shipped.documents),
            ("ErrorDocuments", self.parsed.error_documents),
            ("Skipped", self.skipped + self.parsed.control_messages),
            ("Delivered", self.shipped.delivered),
            ("Resent", self.shipped.resent),
            ("FailedStored", self.shipped.failed_stored),
            ("Truncated", self.shipped.truncated),
            ("RetryItems", self.retry_items),
            ("DurationMs", self.duration.as_millis() as u64),
        ]
    }

    /// The EMF document for `function` (one JSON line; Lambda sends stdout to CloudWatch Logs, which
    /// extracts the metrics).
    pub fn emf(&self, function: &str) -> String {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut out = Vec::with_capacity(1024);
        let mut w = ObjectWriter::begin(&mut out);
        let mut aws = w.object("_aws");
        aws.u64("Timestamp", ms);
        let metrics: Vec<String> = self
            .metrics()
            .iter()
            .map(|(name, _)| {
                let unit = if *name == "DurationMs" { "Milliseconds" } else { "Count" };
                format!(r#"{{"Name":"{name}","Unit":"{unit}"}}"#)
            })
            .collect();
        aws.raw(
            "CloudWatchMetrics",
            &format!(
                r#"[{{"Namespace":"{NAMESPACE}","Dimensions":[["Function"]],"Metrics":[{}]}}]"#,
                metrics.join(",")
            ),
        );
        aws.end();
        w.str("Function", function);
        w.str("Source", self.source);
        for (name, value) in self.metrics() {
            w.u64(name, value);
        }
        w.end();
        String::from_utf8(out).unwrap_or_default()
    }

    /// Logs the summary line and, inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` set), prints the EMF
    /// metrics on stdout.
    pub fn publish(&self, function: &str) {
        tracing::info!(
            source = self.source,
            records_in = self.records_in,
            lines = self.parsed.lines,
            documents = self.shipped.documents,
            error_documents = self.parsed.error_documents,
            skipped = self.skipped + self.parsed.control_messages,
            delivered = self.shipped.delivered,
            retried = self.shipped.resent,
            failed_stored = self.shipped.failed_stored,
            truncated = self.shipped.truncated,
            retry_items = self.retry_items,
            duration_ms = self.duration.as_millis() as u64,
            "Invocation summary."
        );
        if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
            println!("{}", self.emf(function));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_declares_every_metric_it_carries() {
        let report = InvocationReport {
            source: "s3",
            records_in: 2,
            skipped: 1,
            duration: Duration::from_millis(1500),
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::from_str(&report.emf("s3-access-logs")).unwrap();
        let declared = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        assert_eq!(declared["Dimensions"], serde_json::json!([["Function"]]));
        for m in declared["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(v[name].is_u64(), "{name} is declared but missing");
        }
        assert_eq!(v["Function"], "s3-access-logs");
        assert_eq!(v["RecordsIn"], 2);
        assert_eq!(v["Skipped"], 1);
        assert_eq!(v["DurationMs"], 1500);
        assert!(v["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }
}
