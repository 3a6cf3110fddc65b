//! The three Lambda handlers, in-process, against a real AWS API emulator (moto_server): S3 objects are
//! read with GetObject, documents go to a Firehose delivery stream that writes them into an archive
//! bucket (ExtendedS3), and records that cannot be delivered go to a failed-record bucket. What
//! reached the archive is read back and compared with the sample objects and events, decoded here
//! independently of logpipe.
//!
//! The handlers get their dependencies as the functions' `main.rs` does (`logpipe::aws::clients()`
//! from the environment, `FirehoseSink` with the default retry policy), with the settings passed
//! per test instead of through the shared process environment. Needs `--features emulator` and
//! `AWS_ENDPOINT_URL` (scripts/test.sh starts moto). Each test prints one JSON line of figures.

use base64::Engine;
use logpipe::lambda::events::KinesisEvent;
use logpipe::lambda::{cloudwatch_forwarder, kinesis_relay, s3_access_logs, AwsDeps, HandlerError, Invocation};
use logpipe_e2e::emulator::{
    check_object, check_payload, decode_awslogs, event, gunzip, id_prefix, log_events, ms_since, record_payload,
    sample_uri, unique, Aws, Figures, Kind, Pipeline, ACCOUNT, ALB_KEY, CLOUDFRONT_KEY, CONN_LOG_KEY, CORRUPT_KEY,
    MISSING_KEY, SPACES_KEY,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How long an invocation may take (Lambda's deadline for the handler).
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(120);

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn b64_decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text).expect("base64")
}

async fn s3_handle(deps: &AwsDeps, event: Value, request_id: &str) -> Result<Value, HandlerError> {
    let invocation = Invocation::local("s3-access-logs", request_id, INVOCATION_TIMEOUT);
    Box::pin(s3_access_logs::handle(event, &invocation, deps)).await
}

async fn kinesis_handle(deps: &AwsDeps, event: Value, request_id: &str) -> Value {
    let event: KinesisEvent = serde_json::from_value(event).expect("a KinesisEvent");
    let invocation = Invocation::local("kinesis-relay", request_id, INVOCATION_TIMEOUT);
    let response = Box::pin(kinesis_relay::handle(event, &invocation, deps))
        .await
        .expect("the relay answers with a batch response");
    serde_json::to_value(response).expect("response JSON")
}

async fn cloudwatch_handle(deps: &AwsDeps, event: Value, request_id: &str) -> Value {
    let invocation = Invocation::local("cloudwatch-forwarder", request_id, INVOCATION_TIMEOUT);
    Box::pin(cloudwatch_forwarder::handle(event, &invocation, deps))
        .await
        .expect("the forwarder succeeds")
}

// ---------------------------------------------------------------------------------------------
// S3 events: every line of every object named, checked (`check_object`)

/// What a summary (non-SQS) response must hold.
fn summary(documents: u64, error_documents: u64, skipped: u64) -> impl Fn(&Value) {
    move |r: &Value| {
        assert_eq!(r["documents"], documents, "{r}");
        assert_eq!(r["delivered"], documents, "{r}");
        assert_eq!(r["error_documents"], error_documents, "{r}");
        assert_eq!(r["skipped"], skipped, "{r}");
        assert_eq!(r["failed_stored"], 0, "{r}");
    }
}

/// Runs one sample S3 event through a fresh pipeline and checks every object it names; the archive
/// must hold nothing else, and the failed-record store nothing at all.
async fn s3_case(test: &'static str, file: &str, objects: &[(&str, Kind)], check_response: impl Fn(&Value)) {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    aws.upload_sample_objects().await;
    let pipeline = Pipeline::create(&aws, "s3").await;
    let deps = pipeline.deps(&[]).await;
    let response = s3_handle(&deps, event(&format!("s3-access-logs/{file}")), &unique("req"))
        .await
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    check_response(&response);
    let archive = pipeline.archive(&aws).await;
    let mut figures = Figures {
        test,
        delivered: archive.docs.len(),
        error_documents: archive.error_docs().len(),
        duplicates: archive.duplicates(),
        ..Figures::default()
    };
    let mut accounted = 0;
    for (key, kind) in objects {
        let check = check_object(&archive, key, *kind);
        figures.records_in += check.lines;
        accounted += check.docs;
    }
    assert_eq!(
        archive.docs.len(),
        accounted,
        "{file}: the archive holds documents of no expected object"
    );
    assert_eq!(archive.duplicates(), 0);
    let failed = pipeline.failed_records(&aws).await;
    assert!(failed.is_empty(), "{file}: failed-record store: {failed:?}");
    figures.wall_ms = ms_since(start);
    figures.extra = json!({"event": file, "firehose_objects": archive.objects, "response": response});
    figures.publish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_put_alb_delivers_every_line_once() {
    s3_case(
        "s3_put_alb",
        "s3-put-alb.json",
        &[(ALB_KEY, Kind::Alb)],
        summary(29, 1, 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_put_cloudfront_skips_headers() {
    s3_case(
        "s3_put_cloudfront",
        "s3-put-cloudfront.json",
        &[(CLOUDFRONT_KEY, Kind::CloudFront)],
        summary(21, 0, 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_key_with_spaces_is_decoded() {
    s3_case(
        "s3_put_key_with_spaces",
        "s3-put-key-with-spaces.json",
        &[(SPACES_KEY, Kind::Alb)],
        summary(29, 1, 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventbridge_object_created() {
    s3_case(
        "eventbridge_object_created_alb",
        "eventbridge-object-created-alb.json",
        &[(ALB_KEY, Kind::Alb)],
        summary(29, 1, 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_s3_put_cloudfront() {
    s3_case(
        "sns_s3_put_cloudfront",
        "sns-s3-put-cloudfront.json",
        &[(CLOUDFRONT_KEY, Kind::CloudFront)],
        summary(21, 0, 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_s3_put_alb() {
    s3_case("sqs_s3_put_alb", "sqs-s3-put-alb.json", &[(ALB_KEY, Kind::Alb)], |r| {
        assert_eq!(r, &json!({"batchItemFailures": []}))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_sns_s3_put_cloudfront() {
    s3_case(
        "sqs_sns_s3_put_cloudfront",
        "sqs-sns-s3-put-cloudfront.json",
        &[(CLOUDFRONT_KEY, Kind::CloudFront)],
        |r| assert_eq!(r, &json!({"batchItemFailures": []})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_mixed_reports_only_the_bad_message() {
    let bad = event("s3-access-logs/sqs-mixed-bad-message.json")["Records"][2]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    s3_case(
        "sqs_mixed_bad_message",
        "sqs-mixed-bad-message.json",
        &[(ALB_KEY, Kind::Alb), (CLOUDFRONT_KEY, Kind::CloudFront)],
        move |r| assert_eq!(r, &json!({"batchItemFailures": [{"itemIdentifier": bad}]})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_corrupt_gzip_keeps_lines_before_the_damage() {
    s3_case(
        "s3_put_corrupt_gzip",
        "s3-put-corrupt-gzip.json",
        &[(CORRUPT_KEY, Kind::Alb)],
        summary(12, 1, 0),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_test_event_delivers_nothing() {
    s3_case("s3_test_event", "s3-test-event.json", &[], summary(0, 0, 1)).await;
}

/// The ALB connection log is parsed, and with `LOGPIPE_DELIVERY_STREAMS` naming a stream for
/// `alb_connection` its documents go there, none to the default stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_connection_log_goes_to_its_own_stream() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    aws.upload_sample_objects().await;
    // No map: the default stream, like every other document.
    s3_case(
        "s3_put_conn_log",
        "s3-put-conn-log.json",
        &[(CONN_LOG_KEY, Kind::AlbConnection)],
        summary(17, 0, 0),
    )
    .await;

    let default = Pipeline::create(&aws, "alb").await;
    let connections = Pipeline::create(&aws, "conn").await;
    let map = format!("alb_connection={},nlb={}-nlb", connections.stream, default.stream);
    let deps = default.deps(&[("LOGPIPE_DELIVERY_STREAMS", map.as_str())]).await;
    let response = s3_handle(&deps, event("s3-access-logs/s3-put-conn-log.json"), &unique("req"))
        .await
        .expect("delivered");
    summary(17, 0, 0)(&response);
    assert!(
        default.archive(&aws).await.docs.is_empty(),
        "nothing reaches the default stream"
    );
    let archive = connections.archive(&aws).await;
    let check = check_object(&archive, CONN_LOG_KEY, Kind::AlbConnection);
    assert_eq!((check.lines, check.docs, check.errors), (17, 17, 0));
    for pipeline in [&default, &connections] {
        let failed = pipeline.failed_records(&aws).await;
        assert!(failed.is_empty(), "failed-record store: {failed:?}");
    }
    Figures {
        test: "s3_put_conn_log_routed",
        records_in: check.lines,
        delivered: archive.docs.len(),
        error_documents: archive.error_docs().len(),
        duplicates: archive.duplicates(),
        wall_ms: ms_since(start),
        extra: json!({"event": "s3-put-conn-log.json", "streams": map, "response": response}),
        ..Figures::default()
    }
    .publish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_missing_object_gives_one_error_document() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    aws.upload_sample_objects().await;
    let pipeline = Pipeline::create(&aws, "missing").await;
    let deps = pipeline.deps(&[]).await;
    let response = s3_handle(&deps, event("s3-access-logs/s3-put-missing-object.json"), "req-missing")
        .await
        .expect("a deleted object is not a failure");
    summary(1, 1, 0)(&response);
    let archive = pipeline.archive(&aws).await;
    assert_eq!(archive.docs.len(), 1, "{:?}", archive.docs);
    let doc = &archive.docs[0];
    let uri = sample_uri(MISSING_KEY);
    assert_eq!(doc["event_id"], format!("{}0", id_prefix(&uri)), "{doc}");
    assert_eq!(doc["log_type"], "alb", "{doc}");
    assert_eq!(doc["error"]["kind"], "object_not_found", "{doc}");
    assert_eq!(doc["error"]["source"], uri.as_str(), "{doc}");
    Figures {
        test: "s3_put_missing_object",
        records_in: 1,
        delivered: archive.docs.len(),
        error_documents: archive.error_docs().len(),
        duplicates: archive.duplicates(),
        wall_ms: ms_since(start),
        extra: json!({"event": "s3-put-missing-object.json", "response": response}),
        ..Figures::default()
    }
    .publish();
}

/// Reliability plan row 13: the same S3 event delivered twice gives the same `event_id`s, so the
/// duplicates Firehose cannot remove are detectable downstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_event_delivered_twice_keeps_its_event_ids() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    aws.upload_sample_objects().await;
    let pipeline = Pipeline::create(&aws, "twice").await;
    let deps = pipeline.deps(&[]).await;
    let file = "s3-access-logs/s3-put-alb.json";
    s3_handle(&deps, event(file), "req-first")
        .await
        .expect("first delivery");
    let first: BTreeSet<String> = pipeline.archive(&aws).await.by_event_id().into_keys().collect();
    s3_handle(&deps, event(file), "req-second")
        .await
        .expect("second delivery");
    let archive = pipeline.archive(&aws).await;
    let both = archive.by_event_id();
    let ids: BTreeSet<String> = both.keys().cloned().collect();
    assert_eq!(first.len(), 29);
    assert_eq!(ids, first, "the second delivery produced other event_ids");
    assert!(both.values().all(|d| d.len() == 2), "every document exactly twice");
    assert_eq!(archive.duplicates(), 29);
    // The copies are the same documents, apart from the processing time of error documents.
    for copies in both.values() {
        if copies[0].get("error").is_none() {
            assert_eq!(copies[0], copies[1]);
        }
    }
    Figures {
        test: "s3_event_delivered_twice",
        records_in: 2 * 29,
        delivered: archive.docs.len(),
        error_documents: archive.error_docs().len(),
        duplicates: archive.duplicates(),
        wall_ms: ms_since(start),
        extra: json!({"distinct_event_ids": ids.len()}),
        ..Figures::default()
    }
    .publish();
}

// ---------------------------------------------------------------------------------------------
// CloudWatch Logs payloads and Kinesis records (`check_payload`)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_forwarder_sample_events() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    let mut figures = Figures {
        test: "cloudwatch_forwarder_samples",
        ..Figures::default()
    };
    let mut responses = serde_json::Map::new();

    // DATA_MESSAGE: 7 documents, one per log event.
    let pipeline = Pipeline::create(&aws, "cwl").await;
    let deps = pipeline.deps(&[]).await;
    let data = event("cloudwatch-forwarder/cwlogs-data-message.json");
    let payload = decode_awslogs(data["awslogs"]["data"].as_str().unwrap());
    let response = cloudwatch_handle(&deps, data, "req-data").await;
    let archive = pipeline.archive(&aws).await;
    let docs: Vec<&Value> = archive.docs.iter().collect();
    let n = check_payload(&docs, &payload);
    assert_eq!(n, 7);
    assert_eq!(archive.docs.len(), 7);
    assert_eq!(response["documents"], 7, "{response}");
    assert_eq!(response["delivered"], 7, "{response}");
    let by_id = archive.by_event_id();
    let first = by_id[&log_events(&payload)[0].id][0];
    assert_eq!(first["lambda_event"], "start", "{first}");
    let json_line = by_id[&log_events(&payload)[1].id][0];
    assert_eq!(json_line["json"]["order_id"], 1042, "{json_line}");
    figures.records_in += n;
    figures.delivered += archive.docs.len();
    figures.duplicates += archive.duplicates();
    responses.insert("cwlogs-data-message.json".into(), response);

    // CONTROL_MESSAGE: nothing delivered, counted.
    let pipeline = Pipeline::create(&aws, "cwlctl").await;
    let deps = pipeline.deps(&[]).await;
    let response = cloudwatch_handle(
        &deps,
        event("cloudwatch-forwarder/cwlogs-control-message.json"),
        "req-ctl",
    )
    .await;
    assert_eq!(response["control_messages"], 1, "{response}");
    assert_eq!(response["documents"], 0, "{response}");
    let archive = pipeline.archive(&aws).await;
    assert_eq!(archive.objects, 0, "{:?}", archive.docs);
    responses.insert("cwlogs-control-message.json".into(), response);

    // 20 MiB of whitespace with a payload limit of 1 MiB: one invalid_payload error document.
    let pipeline = Pipeline::create(&aws, "cwlbomb").await;
    let deps = pipeline.deps(&[("LOGPIPE_MAX_PAYLOAD_BYTES", "1048576")]).await;
    let response = cloudwatch_handle(&deps, event("cloudwatch-forwarder/cwlogs-bomb.json"), "req-bomb").await;
    let archive = pipeline.archive(&aws).await;
    assert_eq!(archive.docs.len(), 1, "{:?}", archive.docs);
    assert_eq!(
        archive.docs[0]["error"]["kind"], "invalid_payload",
        "{}",
        archive.docs[0]
    );
    assert_eq!(response["error_documents"], 1, "{response}");
    figures.records_in += 1;
    figures.delivered += archive.docs.len();
    figures.error_documents += archive.error_docs().len();
    responses.insert("cwlogs-bomb.json".into(), response);

    figures.wall_ms = ms_since(start);
    figures.extra = json!({ "responses": responses });
    figures.publish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_cwlogs_sample_event() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    let pipeline = Pipeline::create(&aws, "kin").await;
    let deps = pipeline.deps(&[("LOGPIPE_ALLOWED_ACCOUNTS", "111122223333")]).await;
    let ev = event("kinesis-relay/kinesis-cwlogs.json");
    let payloads: Vec<Value> = ev["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| record_payload(r).expect("a CloudWatch Logs payload"))
        .collect();
    let response = kinesis_handle(&deps, ev, "req-kin").await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    let archive = pipeline.archive(&aws).await;
    let docs: Vec<&Value> = archive.docs.iter().collect();
    let n: usize = payloads.iter().map(|p| check_payload(&docs, p)).sum();
    assert_eq!(n, 6);
    assert_eq!(archive.docs.len(), 6);
    assert_eq!(archive.duplicates(), 0);
    Figures {
        test: "kinesis_cwlogs",
        records_in: 3,
        delivered: archive.docs.len(),
        duplicates: archive.duplicates(),
        wall_ms: ms_since(start),
        extra: json!({"log_events": n}),
        ..Figures::default()
    }
    .publish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_foreign_owner_goes_to_the_failed_store() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    let pipeline = Pipeline::create(&aws, "foreign").await;
    let deps = pipeline.deps(&[("LOGPIPE_ALLOWED_ACCOUNTS", "111122223333")]).await;
    let ev = event("kinesis-relay/kinesis-foreign-owner.json");
    let record = ev["Records"][0].clone();
    let response = kinesis_handle(&deps, ev, "req-foreign").await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    let archive = pipeline.archive(&aws).await;
    assert!(archive.docs.is_empty(), "{:?}", archive.docs);
    let failed = pipeline.failed_records(&aws).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let entry = &failed[0].1;
    assert_eq!(entry["reason"], "foreign_owner", "{entry}");
    assert_eq!(entry["source"], record["eventID"], "{entry}");
    assert_eq!(entry["raw_base64"], record["kinesis"]["data"], "{entry}");
    Figures {
        test: "kinesis_foreign_owner",
        records_in: 1,
        failed_stored: failed.len(),
        wall_ms: ms_since(start),
        ..Figures::default()
    }
    .publish();
}

/// The poison record goes to the failed-record store (gzip NDJSON, reason `unprocessable`) and is not
/// reported as a batch item failure; the rest is delivered. Delivered twice (Lambda's retry), the
/// documents keep their `event_id`s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_mixed_bad_record_poison_to_failed_store() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    let pipeline = Pipeline::create(&aws, "poison").await;
    let deps = pipeline.deps(&[]).await;
    let ev = event("kinesis-relay/kinesis-mixed-bad-record.json");
    let records = ev["Records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 5);

    let response = kinesis_handle(&deps, ev.clone(), "req-poison-1").await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    let archive = pipeline.archive(&aws).await;
    let docs: Vec<&Value> = archive.docs.iter().collect();
    // Records 0 and 4 are CloudWatch Logs payloads (1 + 2 events), record 3 a CONTROL_MESSAGE.
    let mut n = 0;
    for i in [0, 4] {
        n += check_payload(&docs, &record_payload(&records[i]).unwrap());
    }
    assert_eq!(n, 3);
    let control = record_payload(&records[3]).unwrap();
    assert_eq!(control["messageType"], "CONTROL_MESSAGE");
    // Record 1 is an application's own JSON event: one `application` document, id = the record's.
    let app: Vec<&&Value> = docs.iter().filter(|d| d["log_type"] == "application").collect();
    assert_eq!(app.len(), 1, "{docs:?}");
    assert_eq!(app[0]["event_id"], records[1]["eventID"], "{}", app[0]);
    let own: Value = serde_json::from_slice(&b64_decode(records[1]["kinesis"]["data"].as_str().unwrap())).unwrap();
    assert_eq!(app[0]["json"], own, "{}", app[0]);
    assert_eq!(archive.docs.len(), 4, "{docs:?}");

    // Record 2, the poison: kept whole in the failed-record store.
    let failed = pipeline.failed_records(&aws).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (key, entry) = &failed[0];
    assert!(key.starts_with("failed/"), "{key}");
    assert!(key.contains("kinesis-relay-req-poison-1-"), "{key}");
    assert_eq!(entry["reason"], "unprocessable", "{entry}");
    assert_eq!(entry["source"], records[2]["eventID"], "{entry}");
    assert_eq!(entry["item"], 2, "{entry}");
    assert_eq!(entry["raw_base64"], records[2]["kinesis"]["data"], "{entry}");
    let first_ids: BTreeSet<String> = archive.by_event_id().into_keys().collect();

    // The same batch again.
    let response = kinesis_handle(&deps, ev, "req-poison-2").await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    let archive = pipeline.archive(&aws).await;
    let both = archive.by_event_id();
    assert_eq!(both.keys().cloned().collect::<BTreeSet<_>>(), first_ids);
    assert!(both.values().all(|d| d.len() == 2), "every document exactly twice");
    let failed = pipeline.failed_records(&aws).await;
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].1["raw_base64"], failed[1].1["raw_base64"]);
    Figures {
        test: "kinesis_mixed_bad_record_twice",
        records_in: 2 * records.len(),
        delivered: archive.docs.len(),
        failed_stored: failed.len(),
        error_documents: archive.error_docs().len(),
        duplicates: archive.duplicates(),
        wall_ms: ms_since(start),
        extra: json!({"distinct_event_ids": first_ids.len(), "control_messages": 2}),
    }
    .publish();
}

// ---------------------------------------------------------------------------------------------
// CloudWatch Logs → subscription filter → Kinesis → kinesis-relay, all in moto

async fn wait_stream_active(aws: &Aws, stream: &str) -> String {
    for _ in 0..100 {
        let out = aws
            .kinesis
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .expect("describe_stream_summary");
        let s = out.stream_description_summary().expect("summary");
        if s.stream_status() == &aws_sdk_kinesis::types::StreamStatus::Active {
            return s.stream_arn().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("stream {stream} not ACTIVE after 10 s");
}

/// Reads every record on the (one-shard) stream, waiting at most 10 s for `want` of them.
async fn read_stream(aws: &Aws, stream: &str, want: usize) -> Vec<aws_sdk_kinesis::types::Record> {
    let shards = aws
        .kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .expect("list_shards");
    let shard = shards.shards()[0].shard_id().to_owned();
    let mut iterator = aws
        .kinesis
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(&shard)
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("get_shard_iterator")
        .shard_iterator()
        .map(str::to_owned);
    let mut records = Vec::new();
    for _ in 0..100 {
        let Some(it) = iterator.take() else { break };
        let out = aws
            .kinesis
            .get_records()
            .shard_iterator(it)
            .send()
            .await
            .expect("get_records");
        records.extend(out.records().iter().cloned());
        iterator = out.next_shard_iterator().map(str::to_owned);
        if records.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_logs_subscription_through_kinesis() {
    let start = Instant::now();
    let aws = Aws::from_env().await;
    let name = unique("cwl");
    aws.kinesis
        .create_stream()
        .stream_name(&name)
        .shard_count(1)
        .send()
        .await
        .expect("create_stream");
    let stream_arn = wait_stream_active(&aws, &name).await;
    let group = format!("/aws/lambda/{name}");
    aws.logs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("create_log_group");
    aws.logs
        .put_subscription_filter()
        .log_group_name(&group)
        .filter_name("logpipe")
        .filter_pattern("")
        .destination_arn(&stream_arn)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/cwl-to-kinesis"))
        .send()
        .await
        .expect("put_subscription_filter");
    // Two PutLogEvents calls on two streams: moto sends one payload per call.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let batches: [(&str, Vec<String>); 2] = [
        (
            "2026/11/22/[$LATEST]aaaa",
            vec![
                "START RequestId: 0a0b0c0d-1111-2222-3333-444455556666 Version: $LATEST\n".into(),
                r#"{"level":"INFO","msg":"order received","order_id":7}"#.into(),
                "plain text line with \"quotes\", a tab\tand Zoë".into(),
            ],
        ),
        (
            "2026/11/22/[$LATEST]bbbb",
            vec![
                r#"{"level":"ERROR","msg":"payment declined","order_id":8}"#.into(),
                "END RequestId: 0a0b0c0d-1111-2222-3333-444455556666\n".into(),
            ],
        ),
    ];
    for (i, (log_stream, messages)) in batches.iter().enumerate() {
        aws.logs
            .create_log_stream()
            .log_group_name(&group)
            .log_stream_name(*log_stream)
            .send()
            .await
            .expect("create_log_stream");
        let events = messages
            .iter()
            .enumerate()
            .map(|(k, m)| {
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now_ms + (i * 10 + k) as i64)
                    .message(m)
                    .build()
                    .expect("event")
            })
            .collect();
        aws.logs
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(*log_stream)
            .set_log_events(Some(events))
            .send()
            .await
            .expect("put_log_events");
    }
    let records = read_stream(&aws, &name, 2).await;
    assert_eq!(records.len(), 2, "one Kinesis record per PutLogEvents call");

    // The records as Lambda's Kinesis event source mapping delivers them.
    let mut payloads = Vec::new();
    let lambda_records: Vec<Value> = records
        .iter()
        .map(|r| {
            let data = r.data().as_ref();
            assert!(data.starts_with(&[0x1f, 0x8b]), "moto sends gzip'd payloads");
            payloads.push(serde_json::from_slice::<Value>(&gunzip(data).unwrap()).unwrap());
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key(),
                    "sequenceNumber": r.sequence_number(),
                    "data": b64(data),
                    "approximateArrivalTimestamp": r.approximate_arrival_timestamp().map_or(0.0, |t| t.as_secs_f64()),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{}", r.sequence_number()),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": format!("arn:aws:iam::{ACCOUNT}:role/logpipe-kinesis-relay"),
                "awsRegion": "us-east-1",
                "eventSourceARN": stream_arn,
            })
        })
        .collect();
    for p in &payloads {
        assert_eq!(p["messageType"], "DATA_MESSAGE");
        assert_eq!(p["logGroup"], group.as_str());
        assert!(p["logEvents"][0]["id"].is_u64(), "moto's ids are integers: {p}");
    }
    let pipeline = Pipeline::create(&aws, "cwlkin").await;
    let deps = pipeline.deps(&[]).await;
    let response = kinesis_handle(&deps, json!({ "Records": lambda_records }), "req-cwl-kinesis").await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    let archive = pipeline.archive(&aws).await;
    let docs: Vec<&Value> = archive.docs.iter().collect();
    let n: usize = payloads.iter().map(|p| check_payload(&docs, p)).sum();
    assert_eq!(n, 5);
    assert_eq!(archive.docs.len(), 5);
    let json_doc = docs
        .iter()
        .find(|d| d["json"]["order_id"] == 7)
        .expect("JSON message parsed");
    assert_eq!(json_doc["json"]["msg"], "order received");
    // moto's ids are integers from one server-wide counter (real ids are unique 56-digit strings):
    // check uniqueness within each payload (one log stream each here); collisions across payloads
    // are counted in the figures.
    let per_payload: BTreeSet<(String, String)> = docs
        .iter()
        .map(|d| (d["log_stream"].to_string(), d["event_id"].to_string()))
        .collect();
    assert_eq!(per_payload.len(), 5);

    // The same payloads as CloudWatch Logs sends them to a Lambda function directly.
    let direct = Pipeline::create(&aws, "cwldirect").await;
    let direct_deps = direct.deps(&[]).await;
    for (i, r) in records.iter().enumerate() {
        let ev = json!({"awslogs": {"data": b64(r.data().as_ref())}});
        let response = cloudwatch_handle(&direct_deps, ev, &format!("req-direct-{i}")).await;
        assert_eq!(
            response["documents"],
            payloads[i]["logEvents"].as_array().unwrap().len()
        );
    }
    let direct_archive = direct.archive(&aws).await;
    let mut a: Vec<String> = archive.docs.iter().map(Value::to_string).collect();
    let mut b: Vec<String> = direct_archive.docs.iter().map(Value::to_string).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "kinesis-relay and cloudwatch-forwarder make the same documents");

    Figures {
        test: "cloudwatch_logs_subscription_kinesis",
        records_in: n,
        delivered: archive.docs.len(),
        duplicates: archive.docs.len() - per_payload.len(),
        wall_ms: ms_since(start),
        extra: json!({
            "kinesis_records": records.len(),
            "moto_id_collisions": archive.duplicates(),
            "direct_forwarder_delivered": direct_archive.docs.len(),
        }),
        ..Figures::default()
    }
    .publish();
}
