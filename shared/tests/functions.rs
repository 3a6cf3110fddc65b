//! The three functions' handlers on the sample events in `events/`, in-process, with the sample
//! objects as the S3 bucket and in-memory Firehose and failed-record store: what each event must
//! produce (see `events/make_events.py`).

mod common;

use common::{event, invocation, root};
use flate2::read::MultiGzDecoder;
use logpipe::delivery::{BatchResult, MemoryStore, Outcome, Record, RecordSink, StreamRouter};
use logpipe::lambda::config::Config;
use logpipe::lambda::events::KinesisEvent;
use logpipe::lambda::{cloudwatch_forwarder, kinesis_relay, s3_access_logs, Deps, HandlerError, Invocation};
use logpipe::objects::LocalObjects;
use serde_json::{json, Value};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Firehose stand-in: keeps every record and the stream it was sent to (routing as the functions'
/// `FirehoseSink` does, when given a router); can refuse everything.
#[derive(Default)]
struct MemoryFirehose {
    records: Mutex<Vec<Record>>,
    /// The stream of each record of `records`.
    streams: Mutex<Vec<String>>,
    router: Option<StreamRouter>,
    refuse: bool,
}

impl RecordSink for MemoryFirehose {
    fn route(&self, log_type: &str) -> usize {
        self.router.as_ref().map_or(0, |r| r.route(log_type))
    }

    async fn deliver(&self, records: &[Record], _deadline: Instant) -> BatchResult {
        let routes: Vec<usize> = records.iter().map(|r| self.route(r.log_type)).collect();
        assert!(
            routes.windows(2).all(|w| w[0] == w[1]),
            "a batch mixes streams: {routes:?}"
        );
        let outcome = if self.refuse {
            Outcome::Failed {
                reason: logpipe::delivery::FailureReason::RetriesExhausted,
                code: "ServiceUnavailableException".into(),
                message: "Slow down.".into(),
                attempts: 8,
            }
        } else {
            self.records.lock().unwrap().extend_from_slice(records);
            let stream = match (&self.router, routes.first()) {
                (Some(router), Some(&route)) => router.stream(route).to_owned(),
                _ => "logs".to_owned(),
            };
            self.streams
                .lock()
                .unwrap()
                .extend(records.iter().map(|_| stream.clone()));
            Outcome::Delivered
        };
        BatchResult {
            outcomes: vec![outcome; records.len()],
            calls: 1,
            resent: 0,
        }
    }
}

type TestDeps = Deps<MemoryFirehose, MemoryStore, LocalObjects>;

fn deps(config: impl FnOnce(&mut Config)) -> TestDeps {
    let mut c = common::config();
    config(&mut c);
    Deps {
        sink: Arc::new(MemoryFirehose {
            router: Some(StreamRouter::new(c.delivery_stream.clone(), &c.delivery_streams)),
            ..MemoryFirehose::default()
        }),
        store: MemoryStore::default(),
        objects: LocalObjects::new(root().join("events/objects")),
        config: c,
    }
}

fn docs(deps: &TestDeps) -> Vec<Value> {
    deps.sink
        .records
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r.data.ends_with(b"\n"), "records are NDJSON lines");
            serde_json::from_slice(&r.data).unwrap()
        })
        .collect()
}

fn count_kind(docs: &[Value], kind: &str) -> usize {
    docs.iter().filter(|d| d["error"]["kind"] == kind).count()
}

async fn s3(path: &str, deps: &TestDeps) -> Result<Value, HandlerError> {
    s3_access_logs::handle(event(path), &invocation(), deps).await
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_put_alb_delivers_every_line_once() {
    let d = deps(|_| {});
    let response = s3("s3-access-logs/s3-put-alb.json", &d).await.unwrap();
    let docs = docs(&d);
    assert_eq!(docs.len(), 29, "{response}");
    assert_eq!(
        count_kind(&docs, "too_few_fields"),
        1,
        "the damaged line is an error document"
    );
    assert!(docs.iter().all(|d| d["log_type"] == "alb"));
    let mut ids: Vec<&str> = docs.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 29);
    assert_eq!(response["delivered"], 29);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_envelope_reaches_the_same_objects() {
    for (path, want) in [
        ("s3-access-logs/s3-put-cloudfront.json", 21),
        ("s3-access-logs/sns-s3-put-cloudfront.json", 21),
        ("s3-access-logs/sqs-sns-s3-put-cloudfront.json", 21),
        ("s3-access-logs/sqs-s3-put-alb.json", 29),
        ("s3-access-logs/eventbridge-object-created-alb.json", 29),
        ("s3-access-logs/s3-put-key-with-spaces.json", 29),
    ] {
        let d = deps(|_| {});
        s3(path, &d).await.unwrap();
        assert_eq!(docs(&d).len(), want, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_event_gives_no_documents() {
    let d = deps(|_| {});
    let response = s3("s3-access-logs/s3-test-event.json", &d).await.unwrap();
    assert_eq!(response["skipped"], 1, "{response}");
    assert!(docs(&d).is_empty());
}

/// (log_type, stream) of every delivered document.
fn routed(deps: &TestDeps) -> Vec<(String, String)> {
    let streams = deps.sink.streams.lock().unwrap().clone();
    let docs = docs(deps);
    assert_eq!(docs.len(), streams.len());
    docs.iter()
        .map(|d| d["log_type"].as_str().unwrap().to_owned())
        .zip(streams)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_log_is_parsed_and_goes_to_its_stream() {
    // 17 lines of the ALB connection log sample, none damaged.
    let d = deps(|c| c.delivery_streams = "alb_connection=logs-conn,nlb=logs-nlb".parse().unwrap());
    let response = s3("s3-access-logs/s3-put-conn-log.json", &d).await.unwrap();
    assert_eq!(
        (response["skipped"].as_u64(), response["delivered"].as_u64()),
        (Some(0), Some(17)),
        "{response}"
    );
    assert_eq!(response["error_documents"], 0, "{response}");
    let docs = docs(&d);
    assert!(docs.iter().all(|doc| doc["tls_protocol"] == "TLSv1.3"), "{:?}", docs[0]);
    assert_eq!(
        routed(&d),
        vec![("alb_connection".to_owned(), "logs-conn".to_owned()); 17]
    );

    // No map: the same documents, to the default stream.
    let d = deps(|_| {});
    s3("s3-access-logs/s3-put-conn-log.json", &d).await.unwrap();
    assert_eq!(routed(&d), vec![("alb_connection".to_owned(), "logs".to_owned()); 17]);
}

#[tokio::test(flavor = "multi_thread")]
async fn error_documents_follow_their_log_type() {
    let d = deps(|c| c.delivery_streams = "alb=logs-alb,alb_connection=logs-conn".parse().unwrap());
    s3("s3-access-logs/s3-put-alb.json", &d).await.unwrap();
    s3("s3-access-logs/s3-put-conn-log.json", &d).await.unwrap();
    s3("s3-access-logs/s3-put-missing-object.json", &d).await.unwrap();
    let routed = routed(&d);
    let docs = docs(&d);
    assert_eq!(docs.len(), 29 + 17 + 1);
    assert_eq!(count_kind(&docs, "too_few_fields"), 1);
    assert_eq!(count_kind(&docs, "object_not_found"), 1);
    for (doc, (log_type, stream)) in docs.iter().zip(&routed) {
        let want = match log_type.as_str() {
            "alb" => "logs-alb",
            "alb_connection" => "logs-conn",
            other => panic!("unexpected log_type {other}"),
        };
        assert_eq!(stream, want, "{doc}");
    }
    assert_eq!(routed.iter().filter(|(_, s)| s == "logs-alb").count(), 29 + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_object_problems_are_error_documents_and_success() {
    let d = deps(|_| {});
    s3("s3-access-logs/s3-put-missing-object.json", &d).await.unwrap();
    let docs_missing = docs(&d);
    assert_eq!(docs_missing.len(), 1);
    assert_eq!(docs_missing[0]["error"]["kind"], "object_not_found");
    assert!(docs_missing[0]["error"]["source"]
        .as_str()
        .unwrap()
        .starts_with("s3://logpipe-sample-logs/"));

    let d = deps(|_| {});
    s3("s3-access-logs/s3-put-corrupt-gzip.json", &d).await.unwrap();
    let corrupt = docs(&d);
    assert_eq!(count_kind(&corrupt, "corrupt_gzip"), 1);
    assert!(corrupt.len() > 5, "the lines before the cut are kept");

    let d = deps(|c| c.limits.max_inflated_bytes = 4096);
    s3("s3-access-logs/s3-put-alb.json", &d).await.unwrap();
    let limited = docs(&d);
    let bomb: Vec<&Value> = limited
        .iter()
        .filter(|d| d["error"]["kind"] == "inflated_size_limit")
        .collect();
    assert_eq!(bomb.len(), 1, "a decompression bomb is rejected with an error document");
    assert_eq!(
        bomb[0]["error"]["message"],
        "inflated size exceeds the limit of 4096 bytes"
    );
    assert!(bomb[0]["error"]["source"]
        .as_str()
        .unwrap()
        .contains("app.my-loadbalancer"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_bad_message_is_the_only_batch_item_failure() {
    let d = deps(|_| {});
    let response = s3("s3-access-logs/sqs-mixed-bad-message.json", &d).await.unwrap();
    let failures = response["batchItemFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{response}");
    let bad_id = event("s3-access-logs/sqs-mixed-bad-message.json")["Records"][2]["messageId"].clone();
    assert_eq!(failures[0]["itemIdentifier"], bad_id);
    assert_eq!(docs(&d).len(), 29 + 21);
}

#[tokio::test(flavor = "multi_thread")]
async fn undeliverable_records_go_to_the_failed_store_with_their_documents() {
    let mut d = deps(|_| {});
    d.sink = Arc::new(MemoryFirehose {
        refuse: true,
        ..Default::default()
    });
    let response = s3("s3-access-logs/s3-put-cloudfront.json", &d).await.unwrap();
    assert_eq!(response["failed_stored"], 21, "{response}");
    let stored = d.store.entries();
    assert_eq!(stored.len(), 21);
    assert_eq!(stored[0]["reason"], "retries_exhausted");
    assert_eq!(stored[0]["error_code"], "ServiceUnavailableException");
    assert_eq!(stored[0]["attempts"], 8);
    assert_eq!(stored[0]["document"]["log_type"], "cloudfront");
    let objects = d.store.objects();
    assert_eq!(objects[0].0, "failed-bucket");
    assert!(objects[0].1.starts_with("failed/") && objects[0].1.contains("test-function-req-1-"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_store_fails_the_invocation() {
    // reliability test plan row 22
    let mut d = deps(|_| {});
    d.sink = Arc::new(MemoryFirehose {
        refuse: true,
        ..Default::default()
    });
    d.store = MemoryStore::failing();
    let err = s3("s3-access-logs/s3-put-cloudfront.json", &d).await.unwrap_err();
    assert_eq!(err.error_type(), "Retryable");
    assert!(err.to_string().contains("could not be stored"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_failed_bucket_and_undeliverable_records_fail_the_invocation() {
    let mut d = deps(|c| c.failed_bucket = None);
    d.sink = Arc::new(MemoryFirehose {
        refuse: true,
        ..Default::default()
    });
    let err = s3("s3-access-logs/s3-put-alb.json", &d).await.unwrap_err();
    assert!(err.to_string().contains("LOGPIPE_FAILED_BUCKET"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deadline_stops_an_object_cleanly() {
    // reliability test plan row 12 (short deadline): the handler returns a Retryable error before
    // the deadline instead of being killed.
    let d = deps(|c| c.deadline_margin = Some(Duration::from_secs(10)));
    let invocation = Invocation::local("f", "r", Duration::from_secs(5));
    let err = s3_access_logs::handle(event("s3-access-logs/s3-put-alb.json"), &invocation, &d)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable");
    assert!(err.to_string().contains("deadline"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_event_is_invalid() {
    let d = deps(|_| {});
    let err = s3_access_logs::handle(json!({"hello": "world"}), &invocation(), &d)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidEvent");
    let err = cloudwatch_forwarder::handle(json!({"Records": []}), &invocation(), &d)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidEvent");
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudwatch_events() {
    let d = deps(|_| {});
    let r = cloudwatch_forwarder::handle(
        event("cloudwatch-forwarder/cwlogs-data-message.json"),
        &invocation(),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(r["documents"], 7);
    let written = docs(&d);
    assert!(written.iter().all(|d| d["log_type"] == "cloudwatch"));
    assert!(written
        .iter()
        .any(|d| d["lambda_event"] == "report" && d["billed_duration_ms"].is_u64()));

    let d = deps(|_| {});
    let r = cloudwatch_forwarder::handle(
        event("cloudwatch-forwarder/cwlogs-control-message.json"),
        &invocation(),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(
        (r["control_messages"].as_u64(), r["documents"].as_u64()),
        (Some(1), Some(0))
    );

    // reliability test plan row 18: a bomb in awslogs.data is rejected at the limit
    let d = deps(|c| c.limits.max_payload_bytes = 1 << 20);
    cloudwatch_forwarder::handle(event("cloudwatch-forwarder/cwlogs-bomb.json"), &invocation(), &d)
        .await
        .unwrap();
    let docs = docs(&d);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["error"]["kind"], "invalid_payload");
}

async fn kinesis(path: &str, d: &TestDeps) -> Value {
    let event: KinesisEvent = serde_json::from_value(event(path)).unwrap();
    serde_json::to_value(kinesis_relay::handle(event, &invocation(), d).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_poison_record_is_stored_and_does_not_block_the_shard() {
    // reliability test plan row 19
    let d = deps(|_| {});
    let response = kinesis("kinesis-relay/kinesis-mixed-bad-record.json", &d).await;
    assert_eq!(response["batchItemFailures"], json!([]));
    let written = docs(&d);
    assert_eq!(written.iter().filter(|d| d["log_type"] == "application").count(), 1);
    assert_eq!(written.iter().filter(|d| d["log_type"] == "cloudwatch").count(), 3);
    let stored = d.store.entries();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["reason"], "unprocessable");
    assert!(stored[0]["raw_base64"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_cloudfront_realtime_records_become_their_documents() {
    let d = deps(|_| {});
    let response = kinesis("kinesis-relay/kinesis-cloudfront-realtime.json", &d).await;
    assert_eq!(response["batchItemFailures"], json!([]));
    let written = docs(&d);
    assert_eq!(written.len(), 3, "{written:?}");
    let ev = event("kinesis-relay/kinesis-cloudfront-realtime.json");
    for (doc, record) in written.iter().zip(ev["Records"].as_array().unwrap()) {
        assert_eq!(doc["log_type"], "cloudfront_realtime", "{doc}");
        assert!(doc.get("error").is_none(), "{doc}");
        assert!(doc["c_ip"].is_string() && doc["sc_status"].is_u64(), "{doc}");
        // The record's eventID names the source, so a retried record keeps its ids.
        let mut id = String::new();
        logpipe::Source::new(record["eventID"].as_str().unwrap()).event_id(1, &mut id);
        assert_eq!(doc["event_id"], id.as_str());
    }
    assert!(d.store.entries().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_foreign_owner_is_rejected_only_with_an_allow_list() {
    // reliability test plan row 21
    let d = deps(|c| c.allowed_accounts = Some(vec!["111122223333".into()]));
    kinesis("kinesis-relay/kinesis-foreign-owner.json", &d).await;
    assert!(docs(&d).is_empty());
    assert_eq!(d.store.entries()[0]["reason"], "foreign_owner");

    let d = deps(|_| {});
    kinesis("kinesis-relay/kinesis-foreign-owner.json", &d).await;
    assert_eq!(docs(&d).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_reports_the_first_record_that_could_not_be_stored() {
    // reliability test plan row 20: Firehose down and the store down → the first affected record
    let mut d = deps(|_| {});
    d.sink = Arc::new(MemoryFirehose {
        refuse: true,
        ..Default::default()
    });
    d.store = MemoryStore::failing();
    let response = kinesis("kinesis-relay/kinesis-cwlogs.json", &d).await;
    let first_seq = event("kinesis-relay/kinesis-cwlogs.json")["Records"][0]["kinesis"]["sequenceNumber"].clone();
    assert_eq!(response["batchItemFailures"], json!([{ "itemIdentifier": first_seq }]));
}

#[tokio::test(flavor = "multi_thread")]
async fn same_event_twice_gives_the_same_event_ids() {
    // reliability test plan row 13: duplicates are detectable
    let d = deps(|_| {});
    s3("s3-access-logs/s3-put-alb.json", &d).await.unwrap();
    s3("s3-access-logs/s3-put-alb.json", &d).await.unwrap();
    let docs = docs(&d);
    let ids: Vec<&str> = docs.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids[..29], ids[29..]);
}

/// Objects from a folder, except keys under `denied/`, which fail as S3's AccessDenied would.
struct DenyingObjects(LocalObjects);

impl logpipe::objects::ObjectSource for DenyingObjects {
    async fn get(&self, bucket: &str, key: &str) -> Result<logpipe::objects::ObjectBody, logpipe::objects::GetError> {
        if key.starts_with("denied/") {
            return Err(logpipe::objects::GetError::Other {
                code: "AccessDenied".into(),
                message: "Access Denied".into(),
            });
        }
        self.0.get(bucket, key).await
    }
}

fn s3_event_for(keys: &[&str]) -> Value {
    let records: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": "b"}, "object": {"key": k}}})
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_plain_under_gz_and_access_denied_objects() {
    // reliability test plan row 11
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.log.gz"), b"").unwrap();
    let alb = std::fs::read(root().join(
        "events/objects/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz",
    ))
    .unwrap();
    let mut text = String::new();
    MultiGzDecoder::new(&alb[..]).read_to_string(&mut text).unwrap();
    std::fs::write(dir.path().join("plain-text.log.gz"), &text).unwrap();
    let base = deps(|_| {});
    let d = Deps {
        sink: Arc::clone(&base.sink),
        store: base.store.clone(),
        objects: DenyingObjects(LocalObjects::new(dir.path())),
        config: base.config.clone(),
    };

    s3_access_logs::handle(s3_event_for(&["empty.log.gz", "plain-text.log.gz"]), &invocation(), &d)
        .await
        .unwrap();
    let written = docs(&base);
    assert_eq!(
        count_kind(&written, "empty_object"),
        1,
        "a 0-byte object is an error document"
    );
    assert_eq!(
        written
            .iter()
            .filter(|d| d["log_type"] == "alb" && d.get("error").is_none())
            .count(),
        28,
        "plain text under a .gz key is read as text: the suffix does not decide"
    );

    let err = s3_access_logs::handle(s3_event_for(&["denied/x.log.gz"]), &invocation(), &d)
        .await
        .unwrap_err();
    assert_eq!(
        err.error_type(),
        "Retryable",
        "access denied is retried, not an error document"
    );
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}

/// Firehose stand-in that accepts records of items below `from` and refuses the rest.
struct DownFrom {
    from: usize,
    inner: MemoryFirehose,
}

impl RecordSink for DownFrom {
    async fn deliver(&self, records: &[Record], _deadline: Instant) -> BatchResult {
        let outcomes = records
            .iter()
            .map(|r| {
                if r.item < self.from {
                    self.inner.records.lock().unwrap().push(r.clone());
                    Outcome::Delivered
                } else {
                    Outcome::Failed {
                        reason: logpipe::delivery::FailureReason::RetriesExhausted,
                        code: "ServiceUnavailableException".into(),
                        message: "Slow down.".into(),
                        attempts: 8,
                    }
                }
            })
            .collect();
        BatchResult {
            outcomes,
            calls: 1,
            resent: 0,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_firehose_down_from_record_60_reports_record_60() {
    // reliability test plan row 20: Firehose down from record 60 and the store down too: the
    // response names record 60, the lowest record not handled; records 0–59 are delivered.
    use base64::Engine;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let records: Vec<Value> = (0..100)
        .map(|i| {
            let payload = json!({"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "/app",
                "logStream": "s", "subscriptionFilters": ["f"],
                "logEvents": [{"id": format!("{i:056}"), "timestamp": 1_795_324_200_000i64 + i, "message": format!("line {i}")}]});
            let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(payload.to_string().as_bytes()).unwrap();
            let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
            json!({"eventID": format!("shardId-000000000000:{:056}", 1000 + i), "eventSource": "aws:kinesis",
                   "kinesis": {"data": data, "sequenceNumber": format!("{:056}", 1000 + i), "partitionKey": "p",
                               "approximateArrivalTimestamp": 1_795_324_200.0, "kinesisSchemaVersion": "1.0"}})
        })
        .collect();
    let event: KinesisEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
    let base = deps(|_| {});
    let store = MemoryStore::failing();
    let d = Deps {
        sink: Arc::new(DownFrom {
            from: 60,
            inner: MemoryFirehose::default(),
        }),
        store,
        objects: LocalObjects::new(root()),
        config: base.config.clone(),
    };
    let response = serde_json::to_value(kinesis_relay::handle(event, &invocation(), &d).await.unwrap()).unwrap();
    assert_eq!(
        response["batchItemFailures"],
        json!([{ "itemIdentifier": format!("{:056}", 1060) }])
    );
    assert_eq!(d.sink.inner.records.lock().unwrap().len(), 60);
}
