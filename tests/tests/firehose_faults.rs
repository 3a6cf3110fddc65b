//! Delivery to Firehose at the wire level: the real AWS SDK client talks HTTP to a fault-injecting
//! Firehose on 127.0.0.1 (`logpipe_e2e::fault_firehose`), and `FirehoseSink` / `Shipper` must end
//! every record delivered or in the failed-record store (reliability test plan, section 5, rows 1–7
//! and 22).
//!
//! The routing tests send one input's ALB, NLB and error documents to three streams, one of them
//! failing.
//!
//! Each test prints one JSON line of figures and checks the accounting
//! `records_in == delivered + failed_stored (+ lost, when the store itself fails)`.

use bytes::Bytes;
use logpipe::aws::FirehoseClient;
use logpipe::delivery::{
    BatchResult, BatchingSink, FailedRecordStore, FirehoseApi, FirehoseSink, MemoryStore, ObjectStore, Outcome, Record,
    RecordSink, RetryPolicy, ShipReport, Shipper, StoreError, StreamMap, StreamRouter, MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS, MAX_RECORD_BYTES,
};
use logpipe::timestamp::Timestamp;
use logpipe::{Doc, DocSink, SinkError};
use logpipe_e2e::fault_firehose::{FaultFirehose, Reply, Stats, SERVICE_UNAVAILABLE};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const STREAM: &str = "s";
const BUCKET: &str = "failed-bucket";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Small backoffs so that retries cost milliseconds.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: ms(5),
        max_backoff: ms(50),
        call_budget: Duration::from_secs(3),
    }
}

/// A client for calls of megabytes: a debug build on a busy machine needs seconds for one.
fn big_call_client(server: &FaultFirehose) -> FirehoseClient {
    server.client_with_timeout(Duration::from_secs(30))
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// A record as `BatchingSink` makes it: a small document and its newline.
fn record(i: usize) -> Record {
    let json = format!(r#"{{"@timestamp":"2026-11-22T05:00:00Z","log_type":"alb","event_id":"e-{i:06}","n":{i}}}"#);
    Record {
        data: Bytes::from(json + "\n"),
        event_id: format!("e-{i:06}"),
        log_type: "alb",
        item: 0,
        source: Arc::from("s3://bucket/key"),
    }
}

fn records(n: usize) -> Vec<Record> {
    (0..n).map(record).collect()
}

fn data_of(records: &[Record], indices: &[usize]) -> Vec<Bytes> {
    indices.iter().map(|&i| records[i].data.clone()).collect()
}

/// A document for the pipeline side: JSON of exactly `size` bytes when `size` is larger than the
/// bare document, with `extra` fields (e.g. `"poison":true`).
struct TestDoc {
    item: usize,
    event_id: String,
    json: String,
}

fn test_doc(i: usize, item: usize, size: usize, extra: &str) -> TestDoc {
    let event_id = format!("e-{i:06}");
    let head = format!(
        r#"{{"@timestamp":"2026-11-22T05:00:00Z","log_type":"alb","event_id":"{event_id}","item":{item}{extra},"pad":""#
    );
    let pad = size.saturating_sub(head.len() + 2);
    let json = format!("{head}{}\"}}", "x".repeat(pad));
    if size > head.len() + 2 {
        assert_eq!(json.len(), size);
    }
    TestDoc { item, event_id, json }
}

fn timestamp() -> Timestamp {
    Timestamp::parse_rfc3339_utc("2026-11-22T05:00:00Z").expect("valid timestamp")
}

fn source_of(item: usize) -> String {
    format!("s3://bucket/object-{item}")
}

/// A producer pushing `docs` in order, switching input items as they change; returns how many it
/// pushed, or the sink's error.
fn producer(docs: Vec<TestDoc>) -> impl FnOnce(&mut BatchingSink) -> Result<usize, SinkError> + Send + 'static {
    move |sink: &mut BatchingSink| {
        let mut item = None;
        for (n, doc) in docs.iter().enumerate() {
            if item != Some(doc.item) {
                sink.set_item(doc.item, &source_of(doc.item));
                item = Some(doc.item);
            }
            sink.accept(Doc {
                json: doc.json.as_bytes(),
                log_type: "alb",
                timestamp: timestamp(),
                event_id: &doc.event_id,
                is_error: false,
            })
            .map_err(|e| {
                eprintln!("producer stopped after {n} documents: {e}");
                e
            })?;
        }
        Ok(docs.len())
    }
}

/// Every stored line, after checking where each object was written.
fn entries(store: &MemoryStore) -> Vec<Value> {
    for (bucket, key, _) in store.objects() {
        assert_eq!(bucket, BUCKET);
        assert!(key.starts_with("failed/") && key.ends_with(".ndjson.gz"), "{key}");
    }
    store.entries()
}

fn shipper<O: ObjectStore>(
    client: FirehoseClient,
    policy: RetryPolicy,
    store: O,
    max_in_flight: usize,
    deadline: Instant,
) -> Shipper<FirehoseSink<FirehoseClient>, O> {
    let sink = Arc::new(FirehoseSink::new(client, STREAM, policy));
    let failed = Arc::new(FailedRecordStore::new(
        store,
        Some(BUCKET.into()),
        "failed/",
        "fn",
        "run-1",
    ));
    Shipper::new(sink, failed, max_in_flight, deadline)
}

/// The figures a test prints, and the accounting every test checks.
#[derive(Default)]
struct Figures {
    records_in: u64,
    delivered: u64,
    failed_stored: u64,
    /// Records neither delivered nor stored (the store failed): the caller must make AWS retry them.
    lost: u64,
    calls: u64,
    resent: u64,
    extra: serde_json::Map<String, Value>,
}

impl Figures {
    fn of_batch(records_in: usize, result: &BatchResult) -> Figures {
        let delivered = result.outcomes.iter().filter(|o| **o == Outcome::Delivered).count() as u64;
        assert_eq!(result.outcomes.len(), records_in, "one outcome per record");
        Figures {
            records_in: records_in as u64,
            delivered,
            failed_stored: records_in as u64 - delivered,
            calls: u64::from(result.calls),
            resent: result.resent,
            ..Figures::default()
        }
    }

    fn of_ship(records_in: usize, report: &ShipReport) -> Figures {
        assert_eq!(report.documents, records_in as u64, "every document reached the sink");
        Figures {
            records_in: records_in as u64,
            delivered: report.delivered,
            failed_stored: report.failed_stored,
            calls: report.calls,
            resent: report.resent,
            ..Figures::default()
        }
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Figures {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// Prints the JSON line and checks the accounting against the server's view.
    fn check(self, test: &str, stats: &Stats) {
        let mut line = json!({
            "test": test,
            "records_in": self.records_in,
            "delivered": self.delivered,
            "failed_stored": self.failed_stored,
            "duplicates": stats.duplicates,
            "calls": self.calls,
            "resent": self.resent,
            "max_records_per_request": stats.max_records_per_request,
            "max_request_bytes": stats.max_request_bytes,
        });
        let resent_on_wire = stats.records_received.saturating_sub(self.records_in);
        if resent_on_wire != self.resent {
            line["resent_on_wire"] = resent_on_wire.into();
        }
        if self.lost > 0 {
            line["lost"] = self.lost.into();
        }
        for (k, v) in self.extra {
            line[k] = v;
        }
        println!("{line}");
        assert_eq!(
            self.records_in,
            self.delivered + self.failed_stored + self.lost,
            "every record delivered or stored: {line}"
        );
        assert_eq!(self.calls, stats.calls as u64, "calls made = calls received: {line}");
        assert_eq!(
            stats.records_received,
            self.records_in + self.resent,
            "every record sent once, plus the resends: {line}"
        );
        assert_eq!(
            stats.distinct_accepted, self.delivered,
            "Firehose holds what was delivered: {line}"
        );
        assert!(stats.limit_violations.is_empty(), "{:?}", stats.limit_violations);
        assert!(stats.max_records_per_request <= MAX_BATCH_RECORDS);
        assert!(stats.max_request_bytes <= MAX_BATCH_BYTES);
        assert!(stats.max_record_bytes <= MAX_RECORD_BYTES);
    }
}

/// Most calls a storm of `storm` can draw under `policy`, the successful one included. Full jitter
/// makes the wait before retry k uniform in `[0, c_k]`, `c_k = min(max, base·2^(k-1))`: count the
/// retries whose *expected* waits add up to twice the storm. Having that many retries inside the
/// storm would need their waits to total at most half their mean; for the ~80 retries here that
/// has odds below e^-10 (Hoeffding), so the bound does not flake, and a busy loop breaks it at once.
fn call_bound(policy: &RetryPolicy, storm: Duration) -> u64 {
    let mut expected = Duration::ZERO;
    let mut retries = 0u32;
    while expected < storm * 2 && retries < policy.max_attempts {
        retries += 1;
        let ceiling = policy
            .base_backoff
            .saturating_mul(1 << (retries - 1).min(20))
            .min(policy.max_backoff);
        expected += ceiling / 2;
    }
    u64::from(retries) + 2
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_sees_each_fault_as_logpipe_expects() {
    let server = FaultFirehose::start();
    let client = server.client_with_timeout(ms(300));
    let three = || {
        vec![
            Bytes::from_static(b"a\n"),
            Bytes::from_static(b"b\n"),
            Bytes::from_static(b"c\n"),
        ]
    };

    server.script([Reply::Ok]);
    assert_eq!(
        client.put_record_batch(STREAM, three()).await,
        Ok(vec![None, None, None])
    );

    server.script([Reply::fail_indices([1])]);
    let entries = client.put_record_batch(STREAM, three()).await.expect("a 200 answer");
    assert_eq!(entries[0], None);
    let e = entries[1].as_ref().expect("entry 1 rejected");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (SERVICE_UNAVAILABLE, "Slow down.")
    );
    assert_eq!(entries[2], None);

    server.script([Reply::FailAll("InternalFailure")]);
    let entries = client.put_record_batch(STREAM, three()).await.expect("a 200 answer");
    assert!(entries
        .iter()
        .all(|e| e.as_ref().is_some_and(|e| e.code == "InternalFailure")));

    let mut seen = Vec::new();
    for (reply, code, retryable) in [
        (Reply::Status(500, "InternalFailure"), "InternalFailure", true),
        (Reply::Status(503, SERVICE_UNAVAILABLE), SERVICE_UNAVAILABLE, true),
        (Reply::Throttle, SERVICE_UNAVAILABLE, true),
        (
            Reply::Status(400, "ResourceNotFoundException"),
            "ResourceNotFoundException",
            false,
        ),
        (
            Reply::Status(400, "AccessDeniedException"),
            "AccessDeniedException",
            false,
        ),
        (
            Reply::Status(400, "InvalidArgumentException"),
            "InvalidArgumentException",
            false,
        ),
        (Reply::delay(ms(600), Reply::Ok), "TimeoutError", true),
    ] {
        server.script([reply.clone()]);
        let err = client
            .put_record_batch(STREAM, three())
            .await
            .expect_err("a failed call");
        assert_eq!(
            (err.code.as_str(), err.retryable),
            (code, retryable),
            "{reply:?}: {err}"
        );
        seen.push(json!({"reply": format!("{reply:?}"), "code": err.code}));
    }

    // A connection closed after the request was read: a transport error, worth retrying.
    server.script([Reply::ResetAfterRead]);
    let err = client.put_record_batch(STREAM, three()).await.expect_err("no answer");
    assert!(err.retryable, "{err}");
    assert!(
        ["DispatchFailure", "ResponseError"].contains(&err.code.as_str()),
        "{err}"
    );
    seen.push(json!({"reply": "ResetAfterRead", "code": err.code}));

    let calls = server.calls();
    assert_eq!(calls.len(), 11);
    assert!(calls.iter().all(|c| c.stream == STREAM && c.records == three()));
    println!(
        "{}",
        json!({"test": "sdk_sees_each_fault_as_logpipe_expects", "classified": seen})
    );
}

/// The server's limit checks, on which the other tests rely: 501 records, a record of 1,000 KiB + 1
/// and more than 4 MiB of data are refused and noted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refuses_calls_over_firehose_limits() {
    let server = FaultFirehose::start();
    let client = big_call_client(&server);
    let small = |n: usize| (0..n).map(|i| Bytes::from(format!("{i}\n"))).collect::<Vec<_>>();
    assert!(client.put_record_batch(STREAM, small(500)).await.is_ok());
    let big = || Bytes::from(vec![b'x'; MAX_RECORD_BYTES]);
    assert!(client.put_record_batch(STREAM, vec![big(); 4]).await.is_ok());
    for records in [
        small(501),
        vec![Bytes::from(vec![b'x'; MAX_RECORD_BYTES + 1])],
        vec![big(); 5],
    ] {
        let err = client.put_record_batch(STREAM, records).await.expect_err("refused");
        assert_eq!(err.code, "ValidationException", "{err}");
    }
    let stats = server.stats();
    assert_eq!(stats.limit_violations.len(), 3, "{:?}", stats.limit_violations);
    assert_eq!(stats.accepted, 504);
}

/// Row 1: calls 1–2 reject entries 7, 250 and 499; call 3 takes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failure_resends_exactly_the_failed_entries_in_order() {
    let server = FaultFirehose::start();
    server.script([
        Reply::fail_indices([7, 250, 499]),
        Reply::fail_indices([0, 1, 2]),
        Reply::Ok,
    ]);
    let sink = FirehoseSink::new(server.client(), STREAM, policy());
    let batch = records(500);
    let result = sink.deliver(&batch, far()).await;

    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].records, data_of(&batch, &(0..500).collect::<Vec<_>>()));
    let failed = data_of(&batch, &[7, 250, 499]);
    assert_eq!(
        calls[1].records, failed,
        "call 2 carries exactly the failed records, in order"
    );
    assert_eq!(calls[2].records, failed, "call 3 too");
    assert!(result.outcomes.iter().all(|o| *o == Outcome::Delivered));
    assert_eq!(result.resent, 6);
    let stats = server.stats();
    assert_eq!(stats.duplicates, 0);
    assert!(batch.iter().all(|r| server.kept(&r.data) == 1));
    Figures::of_batch(500, &result).check("row1_partial_failure", &stats);
}

/// Row 2: two of 500 are rejected on every call; they end in the failed store with their error
/// code and attempt count, after exactly `max_attempts` calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_failing_every_call_go_to_the_store_after_max_attempts() {
    let server = FaultFirehose::with_default(Reply::fail_where(r#""poison":true"#));
    let store = MemoryStore::default();
    let policy = policy();
    let shipper = shipper(server.client(), policy, store.clone(), 2, far());
    let docs: Vec<TestDoc> = (0..500)
        .map(|i| test_doc(i, 0, 0, if i == 100 || i == 400 { r#","poison":true"# } else { "" }))
        .collect();
    let poison: Vec<Value> = [100, 400]
        .iter()
        .map(|&i| serde_json::from_str(&docs[i].json).unwrap())
        .collect();
    let (produced, report) = shipper.ship(producer(docs)).await.expect("stored");
    assert_eq!(produced.unwrap(), 500);

    let calls = server.calls();
    assert_eq!(calls.len() as u32, policy.max_attempts, "calls bounded by max_attempts");
    for call in &calls[1..] {
        assert_eq!(call.records.len(), 2, "only the two failing records are resent");
    }
    assert_eq!((report.delivered, report.failed_stored), (498, 2));
    let entries = entries(&store);
    assert_eq!(entries.len(), 2);
    for (entry, doc) in entries.iter().zip(&poison) {
        assert_eq!(entry["reason"], "retries_exhausted");
        assert_eq!(entry["error_code"], SERVICE_UNAVAILABLE);
        assert_eq!(entry["error_message"], "Slow down.");
        assert_eq!(entry["attempts"], policy.max_attempts);
        assert_eq!(entry["source"], source_of(0));
        assert_eq!(entry["item"], 0);
        assert_eq!(entry["log_type"], "alb");
        assert_eq!(entry["event_id"], doc["event_id"]);
        assert_eq!(&entry["document"], doc, "the document is kept whole");
    }
    Figures::of_ship(500, &report)
        .with("max_attempts", policy.max_attempts)
        .check("row2_always_failing_entries", &server.stats());
}

/// Row 3: HTTP 500, then 503, then OK: the whole batch is sent again, nothing twice in Firehose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_call_failures_resend_the_whole_batch() {
    let server = FaultFirehose::start();
    server.script([
        Reply::Status(500, "InternalFailure"),
        Reply::Status(503, SERVICE_UNAVAILABLE),
        Reply::Ok,
    ]);
    let policy = policy();
    let sink = FirehoseSink::new(server.client(), STREAM, policy);
    let batch = records(500);
    let result = sink.deliver(&batch, far()).await;

    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    let all = data_of(&batch, &(0..500).collect::<Vec<_>>());
    assert!(
        calls.iter().all(|c| c.records == all),
        "every call carries the whole batch in order"
    );
    assert!(result.outcomes.iter().all(|o| *o == Outcome::Delivered));
    assert!(
        result.calls - 1 < policy.max_attempts,
        "retries within the configured count"
    );
    assert_eq!(result.resent, 1000);
    let stats = server.stats();
    assert_eq!(stats.duplicates, 0);
    Figures::of_batch(500, &result).check("row3_500_then_503_then_ok", &stats);
}

/// Row 4: the connection closes after the server read (and kept) the batch: the batch is sent
/// again, and Firehose holds it twice. At-least-once: duplicates at most one batch, and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_after_read_resends_the_batch_and_duplicates_are_counted() {
    let server = FaultFirehose::start();
    server.script([Reply::ResetAfterRead, Reply::Ok]);
    let sink = FirehoseSink::new(server.client(), STREAM, policy());
    let batch = records(500);
    let result = sink.deliver(&batch, far()).await;

    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].records, calls[1].records);
    assert!(result.outcomes.iter().all(|o| *o == Outcome::Delivered));
    let stats = server.stats();
    assert!(stats.duplicates <= batch.len() as u64);
    assert_eq!(stats.duplicates, calls[0].accepted as u64);
    Figures::of_batch(500, &result).check("row4_reset_after_read", &stats);
}

/// Row 5: every entry is rejected for 1 s; backoff keeps the call rate bounded, then all arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_storm_call_rate_is_bounded_by_backoff() {
    let storm = Duration::from_secs(1);
    let server = FaultFirehose::start();
    server.script([Reply::for_time(storm, Reply::FailAll(SERVICE_UNAVAILABLE))]);
    let policy = RetryPolicy {
        max_attempts: 1000,
        call_budget: ms(100),
        ..policy()
    };
    let sink = FirehoseSink::new(server.client(), STREAM, policy);
    let batch = records(100);
    let started = std::time::Instant::now();
    let result = sink.deliver(&batch, far()).await;
    let wall = started.elapsed();

    assert!(result.outcomes.iter().all(|o| *o == Outcome::Delivered));
    let bound = call_bound(&policy, storm);
    assert!(
        u64::from(result.calls) <= bound,
        "{} calls > bound {bound}",
        result.calls
    );
    assert!(result.calls >= 3, "the storm was retried through");
    let stats = server.stats();
    assert_eq!(stats.duplicates, 0);
    Figures::of_batch(100, &result)
        .with("storm_ms", storm.as_millis() as u64)
        .with("call_bound", bound)
        .with("calls_per_s", (f64::from(result.calls) / wall.as_secs_f64()).round())
        .with("wall_ms", wall.as_millis() as u64)
        .check("row5_throttle_storm_then_ok", &stats);
}

/// Row 5 with a deadline: the storm outlasts the invocation. Retries stop so that the last call
/// starts by `deadline - call_budget`, `ship` ends before the deadline, and every record is in the
/// store with reason `deadline`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_storm_past_the_deadline_stores_records_with_reason_deadline() {
    let server = FaultFirehose::with_default(Reply::FailAll(SERVICE_UNAVAILABLE));
    let store = MemoryStore::default();
    let policy = RetryPolicy {
        max_attempts: 1000,
        call_budget: ms(300),
        ..policy()
    };
    let window = ms(1200);
    let deadline = Instant::now() + window;
    let shipper = shipper(server.client(), policy, store.clone(), 2, deadline);
    let docs: Vec<TestDoc> = (0..200).map(|i| test_doc(i, 0, 0, "")).collect();
    let (produced, report) = shipper.ship(producer(docs)).await.expect("stored");
    let ended = Instant::now();
    assert_eq!(produced.unwrap(), 200);

    assert!(
        ended <= deadline,
        "ship ended {:?} after the deadline",
        ended - deadline
    );
    let calls = server.calls();
    let last = calls.last().expect("calls were made").at;
    // `at` is when the server had read the request: allow for the SDK's work and the transit of one
    // local call (a busy machine included).
    let latest_start = (deadline - policy.call_budget).into_std() + ms(150);
    assert!(
        last <= latest_start,
        "a call started within the call budget of the deadline"
    );
    let bound = call_bound(&policy, window - policy.call_budget);
    assert!(report.calls <= bound, "{} calls > bound {bound}", report.calls);
    assert_eq!((report.delivered, report.failed_stored), (0, 200));
    let entries = entries(&store);
    assert_eq!(entries.len(), 200);
    assert!(entries
        .iter()
        .all(|e| e["reason"] == "deadline" && e["error_code"] == SERVICE_UNAVAILABLE));
    assert!(entries.iter().all(|e| e["attempts"] == report.calls));
    Figures::of_ship(200, &report)
        .with("call_bound", bound)
        .with("deadline_ms", window.as_millis() as u64)
        .with(
            "last_call_before_deadline_ms",
            (deadline.into_std() - last).as_millis() as u64,
        )
        .check("row5_throttle_storm_past_deadline", &server.stats());
}

/// Row 6: 1,234 documents, 13 of them 999 KiB, through the Shipper: every request within 500
/// records and 4 MiB, no record over 1,000 KiB, every document delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_stay_within_firehose_limits_on_the_wire() {
    let server = FaultFirehose::start();
    // Requests of 4 MiB take a debug build a while (base64, JSON, signing) on a busy machine: this
    // test is about limits, so a timeout must not resend (and duplicate) them.
    let shipper = shipper(big_call_client(&server), policy(), MemoryStore::default(), 4, far());
    let docs: Vec<TestDoc> = (0..1234)
        .map(|i| test_doc(i, i / 500, if i % 100 == 7 { 999 * 1024 } else { 300 }, ""))
        .collect();
    let sent: Vec<Vec<u8>> = docs.iter().map(|d| format!("{}\n", d.json).into_bytes()).collect();
    let (produced, report) = shipper.ship(producer(docs)).await.expect("delivered");
    assert_eq!(produced.unwrap(), 1234);

    assert_eq!(report.truncated, 0);
    assert!(
        sent.iter().all(|d| server.kept(d) == 1),
        "every document delivered exactly once"
    );
    let stats = server.stats();
    assert!(stats.max_records_per_request <= 500);
    assert!(stats.max_request_bytes <= 4 * 1024 * 1024);
    assert!(stats.max_record_bytes <= 1000 * 1024);
    assert_eq!(stats.max_record_bytes, 999 * 1024 + 1);
    Figures::of_ship(1234, &report)
        .with("max_record_bytes", stats.max_record_bytes)
        .check("row6_limits", &stats);
}

/// Row 7: a document of 1,023,999 bytes is one record of exactly 1,024,000 bytes (with its
/// newline); one of 1,024,000 bytes is replaced by a truncated record with the marker, never sent
/// oversized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_at_the_limit_is_sent_and_one_byte_more_is_truncated() {
    let server = FaultFirehose::start();
    let shipper = shipper(big_call_client(&server), policy(), MemoryStore::default(), 1, far());
    let exact = test_doc(0, 0, MAX_RECORD_BYTES - 1, "");
    let over = test_doc(1, 0, MAX_RECORD_BYTES, "");
    let exact_record = format!("{}\n", exact.json).into_bytes();
    let (produced, report) = shipper.ship(producer(vec![exact, over])).await.expect("delivered");
    assert_eq!(produced.unwrap(), 2);

    assert_eq!(report.truncated, 1);
    let calls = server.calls();
    let received: Vec<&Bytes> = calls.iter().flat_map(|c| &c.records).collect();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].len(), MAX_RECORD_BYTES);
    assert_eq!(&received[0][..], &exact_record[..], "sent unchanged");
    assert!(received[1].len() <= MAX_RECORD_BYTES && received[1].ends_with(b"\n"));
    let truncated: Value = serde_json::from_slice(received[1]).expect("the truncated record is JSON");
    assert_eq!(truncated["truncated"], true);
    assert_eq!(truncated["event_id"], "e-000001");
    assert_eq!(truncated["error"]["kind"], "document_too_large");
    assert_eq!(truncated["error"]["original_bytes"], MAX_RECORD_BYTES);
    let stats = server.stats();
    Figures::of_ship(2, &report)
        .with("sizes", received.iter().map(|r| r.len()).collect::<Vec<_>>())
        .check("row7_record_size_limit", &stats);
}

/// Row 22: records that cannot be delivered, and a store whose writes fail: `ship` returns a
/// `ShipError` naming exactly the input items whose records are lost, so AWS retries them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_store_gives_ship_error_naming_the_items() {
    let server = FaultFirehose::with_default(Reply::fail_where(r#""item":1"#));
    let store = MemoryStore::failing();
    let policy = RetryPolicy {
        max_attempts: 2,
        ..policy()
    };
    let shipper = shipper(server.client(), policy, store.clone(), 2, far());
    let docs: Vec<TestDoc> = (0..300).map(|i| test_doc(i, i / 100, 0, "")).collect();
    let err = shipper.ship(producer(docs)).await.expect_err("the store failed");

    assert_eq!(err.failure.items, BTreeSet::from([1]));
    assert_eq!(err.failure.records, 100);
    match &err.failure.error {
        StoreError::Write { bucket, key, message } => {
            assert_eq!(bucket, BUCKET);
            assert!(key.starts_with("failed/"), "{key}");
            assert!(message.contains("injected"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(store.puts() >= 1);
    let report = err.report;
    assert_eq!((report.delivered, report.failed_stored), (200, 0));
    let mut figures = Figures::of_ship(300, &report)
        .with("error", err.to_string())
        .with("items", err.failure.items.iter().copied().collect::<Vec<_>>());
    figures.lost = err.failure.records;
    figures.check("row22_store_fails", &server.stats());
}

/// A call error retrying cannot fix: one call, then the store with reason `not_retryable`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_retryable_call_error_goes_to_the_store_after_one_call() {
    let server = FaultFirehose::with_default(Reply::Status(400, "ResourceNotFoundException"));
    let store = MemoryStore::default();
    let shipper = shipper(server.client(), policy(), store.clone(), 2, far());
    let docs: Vec<TestDoc> = (0..50).map(|i| test_doc(i, 0, 0, "")).collect();
    let (_, report) = shipper.ship(producer(docs)).await.expect("stored");

    assert_eq!(server.calls().len(), 1);
    assert_eq!((report.calls, report.delivered, report.failed_stored), (1, 0, 50));
    let entries = entries(&store);
    assert_eq!(entries.len(), 50);
    for e in &entries {
        assert_eq!(e["reason"], "not_retryable");
        assert_eq!(e["error_code"], "ResourceNotFoundException");
        assert_eq!(e["attempts"], 1);
    }
    Figures::of_ship(50, &report).check("not_retryable", &server.stats());
}

/// An answer slower than the attempt timeout is a timeout, retried; the late call's records were
/// kept by the server, so they are duplicates, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answer_is_retried_as_a_timeout() {
    let server = FaultFirehose::start();
    server.script([Reply::delay(Duration::from_secs(2), Reply::Ok)]);
    let sink = FirehoseSink::new(server.client_with_timeout(ms(300)), STREAM, policy());
    let batch = records(100);
    let started = std::time::Instant::now();
    let result = sink.deliver(&batch, far()).await;
    let wall = started.elapsed();

    assert!(result.outcomes.iter().all(|o| *o == Outcome::Delivered));
    assert_eq!(result.calls, 2);
    assert!(
        wall >= ms(300) && wall < ms(1800),
        "{wall:?}: the timeout, not the answer, ended call 1"
    );
    let stats = server.stats();
    assert_eq!(stats.duplicates, 100);
    Figures::of_batch(100, &result)
        .with("wall_ms", wall.as_millis() as u64)
        .check("slow_answer_timeout", &stats);
}

/// Throughput through the SDK and the local server: 50,000 small documents, 4 calls in flight.
/// Printed, not asserted (a debug build on a shared machine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_through_the_fault_server() {
    const N: usize = 50_000;
    let server = FaultFirehose::start();
    let shipper = shipper(server.client(), policy(), MemoryStore::default(), 4, far());
    let docs: Vec<TestDoc> = (0..N).map(|i| test_doc(i, i / 1000, 200, "")).collect();
    let bytes: usize = docs.iter().map(|d| d.json.len() + 1).sum();
    let started = std::time::Instant::now();
    let (produced, report) = shipper.ship(producer(docs)).await.expect("delivered");
    let wall = started.elapsed();
    assert_eq!(produced.unwrap(), N);

    assert_eq!(report.calls, (N / 500) as u64);
    let stats = server.stats();
    Figures::of_ship(N, &report)
        .with("wall_ms", wall.as_millis() as u64)
        .with("records_per_s", (N as f64 / wall.as_secs_f64()).round())
        .with(
            "mb_per_s",
            (bytes as f64 / 1e6 / wall.as_secs_f64() * 10.0).round() / 10.0,
        )
        .with("max_in_flight", 4)
        .with("profile", if cfg!(debug_assertions) { "debug" } else { "release" })
        .check("throughput", &stats);
}

/// An empty batch makes no call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_batch_makes_no_call() {
    let server = FaultFirehose::start();
    let sink = FirehoseSink::new(server.client(), STREAM, policy());
    let result = sink.deliver(&[], far()).await;
    assert_eq!(result, BatchResult::default());
    assert_eq!(server.stats().calls, 0);
}

/// Stream names of the routing tests: ALB documents go to the default stream.
const ALB_STREAM: &str = "logpipe-alb";
const NLB_STREAM: &str = "logpipe-nlb";
const UNKNOWN_STREAM: &str = "logpipe-unknown";

/// A document of `log_type`, an error document when `error` (as the parsers write them: the input's
/// `log_type` and an `error` object), tagged with its number.
fn typed_doc(i: usize, log_type: &'static str, error: bool) -> (&'static str, TestDoc) {
    let event_id = format!("e-{i:06}");
    let body = if error {
        r#""error":{"kind":"too_few_fields","message":"injected"}"#.to_owned()
    } else {
        format!(r#""n":{i}"#)
    };
    let json =
        format!(r#"{{"@timestamp":"2026-11-22T05:00:00Z","log_type":"{log_type}","event_id":"{event_id}",{body}}}"#);
    (
        log_type,
        TestDoc {
            item: 0,
            event_id,
            json,
        },
    )
}

/// 1,500 documents interleaved as one input might hold them: ALB documents with an ALB error
/// document every 50th, NLB documents with an NLB error document every 40th, and `unknown` error
/// documents (an input whose format could not be told).
fn mixed_docs() -> Vec<(&'static str, TestDoc)> {
    (0..1500)
        .map(|i| match i % 5 {
            0 | 1 => typed_doc(i, "alb", i % 50 == 0),
            2 | 3 => typed_doc(i, "nlb", i % 40 == 2),
            _ => typed_doc(i, "unknown", true),
        })
        .collect()
}

fn typed_producer(
    docs: Vec<(&'static str, TestDoc)>,
) -> impl FnOnce(&mut BatchingSink) -> Result<usize, SinkError> + Send + 'static {
    move |sink: &mut BatchingSink| {
        sink.set_item(0, &source_of(0));
        for (log_type, doc) in &docs {
            sink.accept(Doc {
                json: doc.json.as_bytes(),
                log_type,
                timestamp: timestamp(),
                event_id: &doc.event_id,
                is_error: doc.json.contains(r#""error":"#),
            })?;
        }
        Ok(docs.len())
    }
}

fn routed_shipper(server: &FaultFirehose, store: MemoryStore) -> Shipper<FirehoseSink<FirehoseClient>, MemoryStore> {
    let map: StreamMap = format!("nlb={NLB_STREAM}, unknown={UNKNOWN_STREAM}").parse().unwrap();
    let sink = Arc::new(FirehoseSink::new(
        server.client(),
        StreamRouter::new(ALB_STREAM, &map),
        policy(),
    ));
    let failed = Arc::new(FailedRecordStore::new(
        store,
        Some(BUCKET.into()),
        "failed/",
        "fn",
        "run-1",
    ));
    Shipper::new(sink, failed, 3, far())
}

/// The stream each log type must reach.
fn stream_of(log_type: &str) -> &'static str {
    match log_type {
        "nlb" => NLB_STREAM,
        "unknown" => UNKNOWN_STREAM,
        _ => ALB_STREAM,
    }
}

/// For each stream, the event ids of the documents Firehose kept from it, sorted, after checking
/// that every call carried documents of its own stream only.
fn kept_by_stream(server: &FaultFirehose) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut kept: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for call in server.calls() {
        for data in &call.records {
            let doc: Value = serde_json::from_slice(data).unwrap();
            let log_type = doc["log_type"].as_str().unwrap();
            assert_eq!(
                call.stream,
                stream_of(log_type),
                "call {} carries a {log_type} document",
                call.n
            );
            if call.accepted > 0 {
                kept.entry(call.stream.clone())
                    .or_default()
                    .push(doc["event_id"].as_str().unwrap().to_owned());
            }
        }
    }
    // Batches of one stream may be in flight together: their order on the wire is not the input's.
    kept.values_mut().for_each(|ids| ids.sort());
    kept
}

/// The event ids of `docs` whose log type goes to `stream`, sorted (they are `e-<n>`, zero-padded).
fn ids_for(docs: &[(&'static str, TestDoc)], stream: &str) -> Vec<String> {
    docs.iter()
        .filter(|(t, _)| stream_of(t) == stream)
        .map(|(_, d)| d.event_id.clone())
        .collect()
}

/// ALB, NLB and error documents of one input reach three streams, each exactly its own documents,
/// error documents with their log type, no call mixing streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_documents_reach_the_stream_of_their_log_type() {
    let server = FaultFirehose::start();
    let store = MemoryStore::default();
    let shipper = routed_shipper(&server, store.clone());
    let docs = mixed_docs();
    let expected: Vec<(&str, Vec<String>)> = [ALB_STREAM, NLB_STREAM, UNKNOWN_STREAM]
        .into_iter()
        .map(|s| (s, ids_for(&docs, s)))
        .collect();
    let (produced, report) = shipper.ship(typed_producer(docs)).await.expect("delivered");
    assert_eq!(produced.unwrap(), 1500);

    let kept = kept_by_stream(&server);
    for (stream, ids) in &expected {
        assert_eq!(
            kept.get(*stream),
            Some(ids),
            "{stream} holds exactly its documents, once each"
        );
    }
    assert_eq!(
        expected.iter().map(|(_, ids)| ids.len()).collect::<Vec<_>>(),
        [600, 600, 300]
    );
    assert_eq!(kept.len(), 3, "no other stream: {:?}", kept.keys());
    assert!(store.objects().is_empty());
    // 600 + 600 + 300 records: a full batch of 500 each for ALB and NLB, and the three streams'
    // last batches at the end.
    assert_eq!(report.calls, 5, "{report:?}");
    let mut sizes: Vec<usize> = server.calls().iter().map(|c| c.records.len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [100, 100, 300, 500, 500]);
    Figures::of_ship(1500, &report)
        .with("streams", 3)
        .check("routing_three_streams", &server.stats());
}

/// The NLB stream throttles every call: its documents end in the failed-record store after
/// `max_attempts` calls each; the ALB and `unknown` streams' documents are all delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_stream_loses_none_of_the_others_records() {
    let server = FaultFirehose::start();
    server.set_stream_reply(NLB_STREAM, Reply::Throttle);
    let store = MemoryStore::default();
    let shipper = routed_shipper(&server, store.clone());
    let docs = mixed_docs();
    let nlb_ids = ids_for(&docs, NLB_STREAM);
    let alb_ids = ids_for(&docs, ALB_STREAM);
    let unknown_ids = ids_for(&docs, UNKNOWN_STREAM);
    let (produced, report) = shipper.ship(typed_producer(docs)).await.expect("stored");
    assert_eq!(produced.unwrap(), 1500);

    let kept = kept_by_stream(&server);
    assert_eq!(kept.get(ALB_STREAM), Some(&alb_ids));
    assert_eq!(kept.get(UNKNOWN_STREAM), Some(&unknown_ids));
    assert_eq!(kept.get(NLB_STREAM), None, "the throttled stream kept nothing");
    assert_eq!((report.delivered, report.failed_stored), (900, 600));

    let entries = entries(&store);
    let mut stored: Vec<String> = entries
        .iter()
        .map(|e| {
            assert_eq!(e["log_type"], "nlb", "{e}");
            assert_eq!(e["reason"], "retries_exhausted");
            assert_eq!(e["error_code"], SERVICE_UNAVAILABLE);
            assert_eq!(e["attempts"], policy().max_attempts);
            assert_eq!(e["document"]["event_id"], e["event_id"]);
            e["event_id"].as_str().unwrap().to_owned()
        })
        .collect();
    stored.sort();
    assert_eq!(
        stored, nlb_ids,
        "every NLB document, error documents included, is in the store"
    );
    let nlb_calls = server.calls().iter().filter(|c| c.stream == NLB_STREAM).count() as u32;
    assert_eq!(
        nlb_calls,
        2 * policy().max_attempts,
        "two NLB batches, max_attempts calls each"
    );
    Figures::of_ship(1500, &report)
        .with("failing_stream", NLB_STREAM)
        .check("routing_one_stream_failing", &server.stats());
}
