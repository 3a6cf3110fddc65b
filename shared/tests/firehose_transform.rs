//! `firehose-transform`'s handler on the sample events in `events/firehose-transform/`, in-process,
//! with an in-memory Firehose (the stream records are re-ingested into) and failed-record store:
//! every `recordId` answered once, in order, with the result each record calls for (see
//! `events/make_events.py`), and the response within Lambda's 6 MB.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::{event, invocation};
use logpipe::delivery::{BatchResult, FailureReason, MemoryStore, Outcome, Record, RecordSink};
use logpipe::lambda::firehose_transform::{
    handle, FirehoseInputRecord, FirehoseTransformEvent, FirehoseTransformResponse, TransformResult, MAX_RESPONSE_BYTES,
};
use logpipe::lambda::{Deps, HandlerError};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// The stream named in the sample events.
const STREAM: &str = "logpipe-application";

/// Firehose stand-in: keeps every record re-ingested into it; can refuse everything.
#[derive(Default)]
struct MemoryFirehose {
    records: Mutex<Vec<Record>>,
    refuse: bool,
}

impl RecordSink for MemoryFirehose {
    async fn deliver(&self, records: &[Record], _deadline: Instant) -> BatchResult {
        let outcome = if self.refuse {
            Outcome::Failed {
                reason: FailureReason::RetriesExhausted,
                code: "ServiceUnavailableException".into(),
                message: "Slow down.".into(),
                attempts: 8,
            }
        } else {
            self.records.lock().unwrap().extend_from_slice(records);
            Outcome::Delivered
        };
        BatchResult {
            outcomes: vec![outcome; records.len()],
            calls: 1,
            resent: 0,
        }
    }
}

type TestDeps = Deps<MemoryFirehose, MemoryStore, ()>;

fn deps(refuse: bool, store: MemoryStore) -> TestDeps {
    let mut config = common::config();
    config.delivery_stream = STREAM.into();
    Deps {
        sink: Arc::new(MemoryFirehose {
            refuse,
            ..Default::default()
        }),
        store,
        objects: (),
        config,
    }
}

fn load(name: &str) -> FirehoseTransformEvent {
    serde_json::from_value(event(&format!("firehose-transform/{name}"))).unwrap()
}

async fn transform(ev: FirehoseTransformEvent, d: &TestDeps) -> FirehoseTransformResponse {
    handle(ev, &invocation(), d).await.unwrap()
}

/// Every input recordId answered once, in input order; the response JSON within the limit.
fn check_answers(ev: &FirehoseTransformEvent, r: &FirehoseTransformResponse) {
    let asked: Vec<&str> = ev.records.iter().map(|r| r.record_id.as_str()).collect();
    let answered: Vec<&str> = r.records.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(asked, answered);
    let json = serde_json::to_vec(r).unwrap();
    assert!(json.len() <= MAX_RESPONSE_BYTES, "{} bytes", json.len());
    for a in &r.records {
        if a.result == TransformResult::Dropped {
            assert_eq!(a.data, "", "{}", a.record_id);
        }
    }
}

fn results(r: &FirehoseTransformResponse) -> Vec<&'static str> {
    r.records.iter().map(|a| a.result.as_str()).collect()
}

/// The documents of an `Ok` answer (NDJSON).
fn docs(data: &str) -> Vec<Value> {
    let bytes = STANDARD.decode(data).unwrap();
    assert!(bytes.ends_with(b"\n"), "answers are NDJSON lines");
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            assert!(l.len() < 1000 * 1024);
            serde_json::from_slice(l).unwrap()
        })
        .collect()
}

fn decoded(record: &FirehoseInputRecord) -> Vec<u8> {
    STANDARD.decode(&record.data).unwrap()
}

fn gunzip(data: &[u8]) -> Value {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(data).read_to_end(&mut text).unwrap();
    serde_json::from_slice(&text).unwrap()
}

/// The event Firehose sends with what was re-ingested (new record ids, as Firehose gives them).
fn reingested_event(records: &[Record], round: usize) -> FirehoseTransformEvent {
    let mut ev = load("firehose-application.json");
    ev.records = records
        .iter()
        .enumerate()
        .map(|(i, r)| FirehoseInputRecord {
            record_id: format!("reingested-{round}-{i}"),
            approximate_arrival_timestamp: Some(1_795_324_900_000i64.into()),
            data: STANDARD.encode(&r.data),
        })
        .collect();
    ev
}

#[tokio::test(flavor = "multi_thread")]
async fn application_events_are_one_document_each() {
    let d = deps(false, MemoryStore::default());
    let ev = load("firehose-application.json");
    let r = transform(ev.clone(), &d).await;
    check_answers(&ev, &r);
    assert_eq!(results(&r), ["Ok"; 4]);
    let all: Vec<Value> = r.records.iter().flat_map(|a| docs(&a.data)).collect();
    assert_eq!(all.len(), 4);
    let times: Vec<&str> = all.iter().map(|d| d["@timestamp"].as_str().unwrap()).collect();
    assert_eq!(
        times,
        [
            "2026-11-22T05:14:59.120Z",
            "2026-11-22T05:14:57.500Z",
            // kept as the event wrote it (kinesis-relay does the same)
            "2026-11-22T05:14:58Z",
            // no time of its own: the record's approximateArrivalTimestamp
            "2026-11-22T05:15:00.300Z",
        ]
    );
    for (d, record) in all.iter().zip(&ev.records) {
        assert_eq!(d["log_type"], "application");
        let original: Value = serde_json::from_slice(&decoded(record)).unwrap();
        assert_eq!(d["json"], original);
        assert_eq!(d["message"], serde_json::to_string(&original).unwrap());
    }
    assert_eq!(all[2]["json"]["customer"], "Zoë Müller");
    let ids: BTreeSet<&str> = all.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert!(d.sink.records.lock().unwrap().is_empty(), "nothing re-ingested");

    // Firehose retrying the same batch gets the same answers, event ids included.
    assert_eq!(transform(ev, &d).await, r);
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudwatch_payloads_are_ndjson_and_control_messages_dropped() {
    let d = deps(false, MemoryStore::default());
    let ev = load("firehose-cwlogs.json");
    let r = transform(ev.clone(), &d).await;
    check_answers(&ev, &r);
    assert_eq!(results(&r), ["Ok", "Ok", "Dropped"]);
    for (answer, record) in r.records.iter().zip(&ev.records).take(2) {
        let payload = gunzip(&decoded(record));
        let events = payload["logEvents"].as_array().unwrap();
        let documents = docs(&answer.data);
        assert_eq!(documents.len(), events.len());
        for (doc, e) in documents.iter().zip(events) {
            assert_eq!(doc["log_type"], "cloudwatch");
            assert_eq!(doc["event_id"], e["id"]);
            assert_eq!(doc["message"], e["message"]);
            assert_eq!(doc["log_group"], payload["logGroup"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_are_error_documents_or_processing_failed() {
    let d = deps(false, MemoryStore::default());
    let ev = load("firehose-mixed-bad-records.json");
    let r = transform(ev.clone(), &d).await;
    check_answers(&ev, &r);
    assert_eq!(
        results(&r),
        [
            "Ok",
            "Ok",
            "Ok",
            "ProcessingFailed",
            "ProcessingFailed",
            "ProcessingFailed"
        ]
    );
    assert_eq!(docs(&r.records[0].data)[0]["log_type"], "application");
    let text = &docs(&r.records[1].data)[0];
    assert_eq!(text["error"]["kind"], "not_json_object");
    assert_eq!(
        text["message"],
        "2026-11-22 05:15:01 ERROR cart-worker: queue full, dropping nothing, retrying"
    );
    assert_eq!(text["error"]["source"], format!("{STREAM}/{}", ev.records[1].record_id));
    let array = &docs(&r.records[2].data)[0];
    assert_eq!(array["error"]["message"], "the record is JSON, but not an object");
    assert_eq!(array["message"], r#"[{"level":"INFO"},{"level":"WARN"}]"#);
    // Firehose keeps the originals of what could not be transformed; data that is not base64 is
    // answered as the base64 of its text.
    assert_eq!(r.records[3].data, STANDARD.encode(ev.records[3].data.as_bytes()));
    for i in 4..6 {
        assert_eq!(r.records[i].data, ev.records[i].data, "record {i}");
    }
    assert!(d.store.objects().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn over_6_mb_the_rest_is_reingested_then_dropped() {
    let d = deps(false, MemoryStore::default());
    let ev = load("firehose-over-6mb.json");
    let r = transform(ev.clone(), &d).await;
    check_answers(&ev, &r);
    let ok = r.records.iter().take_while(|a| a.result == TransformResult::Ok).count();
    assert!((3..8).contains(&ok), "{:?}", results(&r));
    assert!(
        r.records[ok..].iter().all(|a| a.result == TransformResult::Dropped),
        "{:?}",
        results(&r)
    );
    let json = serde_json::to_vec(&r).unwrap();
    assert!(json.len() > 4_500_000, "the budget is used: {} bytes", json.len());

    // What was re-ingested is exactly the original data of the Dropped records, in order.
    let reingested = d.sink.records.lock().unwrap().clone();
    let want: Vec<Vec<u8>> = ev.records[ok..].iter().map(decoded).collect();
    let got: Vec<Vec<u8>> = reingested.iter().map(|r| r.data.to_vec()).collect();
    assert_eq!(got, want);

    // Firehose transforms the re-ingested records in a later invocation: every log event ends in
    // exactly one document.
    let d2 = deps(false, MemoryStore::default());
    let again = reingested_event(&reingested, 1);
    let r2 = transform(again.clone(), &d2).await;
    check_answers(&again, &r2);
    assert_eq!(results(&r2), vec!["Ok"; 8 - ok]);
    let mut ids = BTreeSet::new();
    let mut documents = 0;
    for a in r
        .records
        .iter()
        .chain(&r2.records)
        .filter(|a| a.result == TransformResult::Ok)
    {
        for doc in docs(&a.data) {
            documents += 1;
            ids.insert(doc["event_id"].as_str().unwrap().to_owned());
        }
    }
    let want: BTreeSet<String> = ev
        .records
        .iter()
        .flat_map(|r| {
            let payload = gunzip(&decoded(r));
            let events = payload["logEvents"].as_array().unwrap().clone();
            events.into_iter().map(|e| e["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(documents, 8 * 640);
    assert_eq!(ids, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn reingestion_refused_goes_to_the_failed_record_store() {
    let d = deps(true, MemoryStore::default());
    let ev = load("firehose-over-6mb.json");
    let r = transform(ev.clone(), &d).await;
    check_answers(&ev, &r);
    let dropped: Vec<usize> = (0..8)
        .filter(|i| r.records[*i].result == TransformResult::Dropped)
        .collect();
    assert!(!dropped.is_empty());
    let stored = d.store.entries();
    assert_eq!(stored.len(), dropped.len());
    for (entry, i) in stored.iter().zip(&dropped) {
        assert_eq!(entry["reason"], "retries_exhausted");
        assert_eq!(entry["error_code"], "ServiceUnavailableException");
        assert_eq!(entry["item"], *i);
        assert_eq!(entry["source"], format!("{STREAM}/{}", ev.records[*i].record_id));
        assert_eq!(entry["raw_base64"], ev.records[*i].data);
    }
    let objects = d.store.objects();
    assert!(objects[0].1.contains("test-function-req-1-"), "{}", objects[0].1);

    // The store failing as well: the invocation fails, so Firehose retries the batch.
    let d = deps(true, MemoryStore::failing());
    let err: HandlerError = handle(ev, &invocation(), &d).await.unwrap_err();
    assert_eq!(err.error_type(), "Retryable");
    assert!(err.to_string().contains("could not be stored"), "{err}");
}

/// A gzip'd payload of `events` log events of about 1 KB.
fn big_payload(events: usize) -> Vec<u8> {
    let events: Vec<Value> = (0..events)
        .map(|i| {
            serde_json::json!({"id": format!("{:056}", 38_000_000_000u64 + i as u64),
                               "timestamp": 1_795_324_200_000i64 + i as i64,
                               "message": format!("row {i:05} {}", "y".repeat(1000))})
        })
        .collect();
    let payload = serde_json::json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/lambda/bulk", "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, payload.to_string().as_bytes()).unwrap();
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payload_over_one_record_is_split_and_every_event_arrives_once() {
    let d = deps(false, MemoryStore::default());
    let mut ev = load("firehose-application.json");
    ev.records.truncate(2);
    ev.records[1].data = STANDARD.encode(big_payload(3000));
    let r = transform(ev.clone(), &d).await;
    check_answers(&ev, &r);
    assert_eq!(results(&r), ["Ok", "Dropped"]);
    let parts = d.sink.records.lock().unwrap().clone();
    assert!(parts.len() >= 6, "{} parts", parts.len());
    assert!(parts
        .iter()
        .all(|p| p.data.len() <= 1000 * 1024 && p.data.starts_with(&[0x1f, 0x8b])));

    let d2 = deps(false, MemoryStore::default());
    let again = reingested_event(&parts, 1);
    let r2 = transform(again.clone(), &d2).await;
    check_answers(&again, &r2);
    assert!(
        r2.records.iter().all(|a| a.result == TransformResult::Ok),
        "{:?}",
        results(&r2)
    );
    let ids: Vec<String> = r2
        .records
        .iter()
        .flat_map(|a| docs(&a.data))
        .map(|d| d["event_id"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..3000).map(|i| format!("{:056}", 38_000_000_000u64 + i)).collect();
    assert_eq!(ids, want, "every event once, in order");
    assert!(d2.sink.records.lock().unwrap().is_empty());
}
