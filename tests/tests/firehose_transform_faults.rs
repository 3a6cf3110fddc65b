//! `firehose-transform`'s re-ingestion at the wire level: the handler runs in-process on the sample
//! batch whose documents exceed Lambda's 6 MB response (`events/firehose-transform/firehose-over-6mb.json`),
//! and re-ingests what does not fit through the real AWS SDK client into the fault-injecting
//! Firehose on 127.0.0.1 (`logpipe_e2e::fault_firehose`). Every `recordId` must be answered once,
//! in order, and every record answered `Dropped` must be in "Firehose" exactly once or in the
//! failed-record store; when neither can take it, the invocation fails so Firehose retries.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use logpipe::aws::FirehoseClient;
use logpipe::delivery::{FirehoseSink, MemoryStore, RetryPolicy};
use logpipe::lambda::config::Config;
use logpipe::lambda::firehose_transform::{
    handle, FirehoseTransformEvent, FirehoseTransformResponse, TransformResult, MAX_RESPONSE_BYTES,
};
use logpipe::lambda::{Deps, HandlerError, Invocation};
use logpipe_e2e::fault_firehose::{FaultFirehose, Reply, SERVICE_UNAVAILABLE};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The stream named in the sample event, which the function re-ingests into.
const STREAM: &str = "logpipe-application";

type TestDeps = Deps<FirehoseSink<FirehoseClient>, MemoryStore, ()>;

/// Small backoffs so that retries cost milliseconds.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        call_budget: Duration::from_secs(30),
    }
}

fn deps(server: &FaultFirehose, store: MemoryStore) -> TestDeps {
    let config = Config::from_vars(|k| match k {
        "LOGPIPE_DELIVERY_STREAM" => Some(STREAM.into()),
        "LOGPIPE_FAILED_BUCKET" => Some("failed-bucket".into()),
        _ => None,
    })
    .expect("settings");
    // Calls of megabytes: a debug build on a busy machine needs seconds for one.
    let client = server.client_with_timeout(Duration::from_secs(30));
    Deps {
        sink: Arc::new(FirehoseSink::new(client, STREAM, policy())),
        store,
        objects: (),
        config,
    }
}

fn over_6mb() -> FirehoseTransformEvent {
    let path = logpipe_e2e::root().join("events/firehose-transform/firehose-over-6mb.json");
    serde_json::from_slice(&std::fs::read(path).expect("sample event")).expect("a Firehose event")
}

fn invocation() -> Invocation {
    Invocation::local("firehose-transform", "req-1", Duration::from_secs(120))
}

/// Checks the answers and returns the indices answered `Dropped`.
fn check_answers(ev: &FirehoseTransformEvent, r: &FirehoseTransformResponse) -> Vec<usize> {
    let asked: Vec<&str> = ev.records.iter().map(|r| r.record_id.as_str()).collect();
    let answered: Vec<&str> = r.records.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(asked, answered, "every recordId once, in order");
    let size = serde_json::to_vec(r).expect("serializable").len();
    assert!(size <= MAX_RESPONSE_BYTES, "{size} bytes");
    let ok = r.records.iter().take_while(|a| a.result == TransformResult::Ok).count();
    assert!(ok >= 3, "the budget holds several answers");
    let dropped: Vec<usize> = (ok..r.records.len()).collect();
    for &i in &dropped {
        assert_eq!(r.records[i].result, TransformResult::Dropped, "record {i}");
        assert_eq!(r.records[i].data, "");
    }
    assert!(!dropped.is_empty(), "the sample exceeds 6 MB");
    dropped
}

fn original(ev: &FirehoseTransformEvent, i: usize) -> Vec<u8> {
    STANDARD.decode(&ev.records[i].data).expect("base64")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_past_the_budget_reach_the_stream_once() {
    let server = FaultFirehose::start();
    let d = deps(&server, MemoryStore::default());
    let ev = over_6mb();
    let r = handle(ev.clone(), &invocation(), &d).await.expect("success");
    let dropped = check_answers(&ev, &r);

    let calls = server.calls();
    assert_eq!(calls.len(), 1, "a few records fit one call");
    assert_eq!(calls[0].stream, STREAM);
    let sent: Vec<Vec<u8>> = calls[0].records.iter().map(|b| b.to_vec()).collect();
    let want: Vec<Vec<u8>> = dropped.iter().map(|&i| original(&ev, i)).collect();
    assert_eq!(sent, want, "the original records, unchanged and in order");
    let stats = server.stats();
    assert!(stats.limit_violations.is_empty(), "{:?}", stats.limit_violations);
    assert_eq!((stats.accepted, stats.duplicates), (dropped.len() as u64, 0));
    assert!(d.store.objects().is_empty());
    println!(
        "{}",
        json!({"test": "firehose_transform_reingest", "records_in": ev.records.len(), "reingested": dropped.len(),
               "response_bytes": serde_json::to_vec(&r).map(|v| v.len()).unwrap_or(0)})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_entries_are_resent_alone() {
    let server = FaultFirehose::start();
    // The first call rejects its first entry (Firehose's per-entry throttling); the resend takes it.
    server.script([Reply::fail_indices([0])]);
    let d = deps(&server, MemoryStore::default());
    let ev = over_6mb();
    let r = handle(ev.clone(), &invocation(), &d).await.expect("success");
    let dropped = check_answers(&ev, &r);

    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].records, vec![bytes::Bytes::from(original(&ev, dropped[0]))]);
    for &i in &dropped {
        assert_eq!(server.kept(&original(&ev, i)), 1, "record {i} kept once");
    }
    assert!(d.store.objects().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_keeps_refusing_sends_the_records_to_the_store() {
    for refusal in [Reply::Throttle, Reply::FailAll(SERVICE_UNAVAILABLE)] {
        let server = FaultFirehose::with_default(refusal.clone());
        let d = deps(&server, MemoryStore::default());
        let ev = over_6mb();
        let r = handle(ev.clone(), &invocation(), &d).await.expect("success");
        let dropped = check_answers(&ev, &r);

        assert_eq!(server.calls().len(), 4, "{refusal:?}: max_attempts calls");
        assert_eq!(server.stats().accepted, 0);
        let stored = d.store.entries();
        assert_eq!(stored.len(), dropped.len(), "{refusal:?}");
        for (entry, &i) in stored.iter().zip(&dropped) {
            assert_eq!(entry["reason"], "retries_exhausted");
            assert_eq!(entry["error_code"], SERVICE_UNAVAILABLE);
            assert_eq!(entry["attempts"], 4);
            assert_eq!(entry["item"], i);
            assert_eq!(entry["source"], format!("{STREAM}/{}", ev.records[i].record_id));
            assert_eq!(entry["raw_base64"], ev.records[i].data, "the original record");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_time_left_sends_the_records_to_the_store_without_a_call() {
    let server = FaultFirehose::start();
    let mut d = deps(&server, MemoryStore::default());
    d.config.deadline_margin = Some(Duration::from_secs(1));
    // 5 s left, 1 s kept free: less than one call's budget (30 s).
    let invocation = Invocation::local("firehose-transform", "req-2", Duration::from_secs(5));
    let ev = over_6mb();
    let r = handle(ev.clone(), &invocation, &d).await.expect("success");
    let dropped = check_answers(&ev, &r);
    assert!(server.calls().is_empty());
    let stored = d.store.entries();
    assert_eq!(stored.len(), dropped.len());
    assert!(stored.iter().all(|e| e["reason"] == "deadline"), "{stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neither_stream_nor_store_fails_the_invocation() {
    let server = FaultFirehose::with_default(Reply::Throttle);
    let d = deps(&server, MemoryStore::failing());
    let err: HandlerError = handle(over_6mb(), &invocation(), &d).await.expect_err("must fail");
    // Retryable: Firehose retries the whole batch, then keeps it under processing-failed.
    assert_eq!(err.error_type(), "Retryable");
    assert!(err.to_string().contains("could not be stored"), "{err}");
}
