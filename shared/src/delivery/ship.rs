//! Connecting the (synchronous, streaming) pipeline to (asynchronous) delivery.
//!
//! [`Shipper::ship`] runs a producer, the code that reads input and pushes documents into a
//! [`BatchingSink`], on a blocking thread. Full batches cross a small bounded channel to the async
//! side, which keeps at most `max_in_flight` batches in delivery and writes what fails to the
//! failed-record store.
//!
//! The sink keeps one batch per route ([`RecordSink::route`]: per delivery stream for the
//! [`FirehoseSink`](super::FirehoseSink)), because a PutRecordBatch call targets one stream. A
//! stream's batch goes out when it is full, and every batch at the end. Memory stays bounded
//! whatever the input size and however many streams: the batches being filled hold at most
//! [`MAX_HELD_BYTES`] of records together (past that, the largest goes out early) and at most 500
//! records per stream, two batches are queued, a few in flight, plus the failed-record buffer.

use super::batch::{record_from_doc, BatchBuilder, MAX_BATCH_BYTES};
use super::failed::{FailedEntry, FailedRecordStore, ObjectStore, Payload, StoreFailure};
use super::{Outcome, Record, RecordSink};
use crate::document::Doc;
use crate::sink::{DocSink, SinkError};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

enum Msg {
    Batch(Vec<Record>),
    Reject(Box<FailedEntry>),
}

/// Bytes the batches being filled may hold together, across routes: two full batches' worth.
pub const MAX_HELD_BYTES: usize = 2 * MAX_BATCH_BYTES;

/// A record's route, as the sink decides it.
type RouteFn = Box<dyn Fn(&str) -> usize + Send>;

/// The pipeline's sink during delivery: packs documents into batches, one per route, and hands
/// them over.
pub struct BatchingSink {
    /// The batch being filled for each route seen so far.
    builders: Vec<(usize, BatchBuilder)>,
    route_of: RouteFn,
    /// The last log type routed and its route (inputs rarely switch).
    last_route: Option<(&'static str, usize)>,
    tx: mpsc::Sender<Msg>,
    deadline: std::time::Instant,
    item: usize,
    source: Arc<str>,
    documents: u64,
    truncated: u64,
}

impl BatchingSink {
    /// Documents pushed from now on come from input item `item`, named `source`.
    pub fn set_item(&mut self, item: usize, source: &str) {
        self.item = item;
        self.source = Arc::from(source);
    }

    /// Sends input that can never become a document straight to the failed-record store.
    pub fn reject(&mut self, entry: FailedEntry) -> Result<(), SinkError> {
        self.tx
            .blocking_send(Msg::Reject(Box::new(entry)))
            .map_err(|_| SinkError::Closed)
    }

    fn send_batch(&mut self, batch: Vec<Record>) -> Result<(), SinkError> {
        self.tx.blocking_send(Msg::Batch(batch)).map_err(|_| SinkError::Closed)
    }

    fn route(&mut self, log_type: &'static str) -> usize {
        match self.last_route {
            Some((last, route)) if last == log_type => route,
            _ => {
                let route = (self.route_of)(log_type);
                self.last_route = Some((log_type, route));
                route
            }
        }
    }

    /// Sends the largest batch being filled if they hold more than [`MAX_HELD_BYTES`] together.
    /// (Their records are bounded by 500 a route, and routes by the streams configured.)
    fn keep_memory_bounded(&mut self) -> Result<(), SinkError> {
        if self.builders.len() < 2 {
            return Ok(()); // one batch keeps its own limits
        }
        let bytes: usize = self.builders.iter().map(|(_, builder)| builder.bytes()).sum();
        if bytes <= MAX_HELD_BYTES {
            return Ok(());
        }
        let largest = self
            .builders
            .iter_mut()
            .max_by_key(|(_, builder)| (builder.bytes(), builder.len()))
            .and_then(|(_, builder)| builder.take());
        match largest {
            Some(batch) => self.send_batch(batch),
            None => Ok(()),
        }
    }
}

impl DocSink for BatchingSink {
    fn accept(&mut self, doc: Doc<'_>) -> Result<(), SinkError> {
        if std::time::Instant::now() >= self.deadline {
            return Err(SinkError::Deadline {
                source_name: self.source.to_string(),
            });
        }
        let record = record_from_doc(&doc, self.item, &self.source);
        if record.data.len() != doc.json.len() + 1 {
            self.truncated += 1;
        }
        self.documents += 1;
        let route = self.route(doc.log_type);
        let at = match self.builders.iter().position(|(r, _)| *r == route) {
            Some(at) => at,
            None => {
                self.builders.push((route, BatchBuilder::default()));
                self.builders.len() - 1
            }
        };
        if let Some(full) = self.builders[at].1.push(record) {
            self.send_batch(full)?;
        }
        self.keep_memory_bounded()
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        let last: Vec<Vec<Record>> = self.builders.iter_mut().filter_map(|(_, b)| b.take()).collect();
        for batch in last {
            self.send_batch(batch)?;
        }
        Ok(())
    }
}

/// What a [`Shipper::ship`] run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ShipReport {
    /// Documents produced.
    pub documents: u64,
    /// Documents replaced by a truncated version because they exceeded the record limit.
    pub truncated: u64,
    /// Records Firehose accepted.
    pub delivered: u64,
    /// Records written to the failed-record store (undeliverable documents and rejected input).
    pub failed_stored: u64,
    /// Records sent more than once.
    pub resent: u64,
    /// PutRecordBatch calls.
    pub calls: u64,
}

impl std::ops::AddAssign for ShipReport {
    fn add_assign(&mut self, r: ShipReport) {
        self.documents += r.documents;
        self.truncated += r.truncated;
        self.delivered += r.delivered;
        self.failed_stored += r.failed_stored;
        self.resent += r.resent;
        self.calls += r.calls;
    }
}

/// Records could neither be delivered nor stored: the caller must make AWS retry `failure.items`.
#[derive(Debug, thiserror::Error)]
#[error("{failure}")]
pub struct ShipError {
    /// What could not be stored, and from which input items.
    pub failure: StoreFailure,
    /// What was done besides.
    pub report: ShipReport,
}

/// Runs producers and delivers what they produce.
pub struct Shipper<S, O> {
    sink: Arc<S>,
    failed: Arc<FailedRecordStore<O>>,
    max_in_flight: usize,
    deadline: Instant,
}

impl<S: RecordSink, O: ObjectStore> Shipper<S, O> {
    /// Delivers through `sink`, at most `max_in_flight` batches at a time, storing failures in
    /// `failed`; delivery gives up in time for `deadline`.
    pub fn new(sink: Arc<S>, failed: Arc<FailedRecordStore<O>>, max_in_flight: usize, deadline: Instant) -> Self {
        Shipper {
            sink,
            failed,
            max_in_flight: max_in_flight.max(1),
            deadline,
        }
    }

    /// Runs `produce` on a blocking thread with a [`BatchingSink`], delivers every document it
    /// pushes, stores what cannot be delivered, and returns the producer's result with a report.
    pub async fn ship<F, R>(&self, produce: F) -> Result<(R, ShipReport), ShipError>
    where
        F: FnOnce(&mut BatchingSink) -> R + Send + 'static,
        R: Send + 'static,
    {
        let stored_before = self.failed.stored();
        let (tx, mut rx) = mpsc::channel::<Msg>(2);
        // The producer stops one call's time before the deadline, so its last batch can still go out.
        let deadline = self
            .deadline
            .checked_sub(self.sink.call_budget())
            .unwrap_or(self.deadline)
            .into_std();
        let router = Arc::clone(&self.sink);
        let producer = tokio::task::spawn_blocking(move || {
            let mut sink = BatchingSink {
                builders: Vec::new(),
                route_of: Box::new(move |log_type| router.route(log_type)),
                last_route: None,
                tx,
                deadline,
                item: 0,
                source: Arc::from(""),
                documents: 0,
                truncated: 0,
            };
            let result = produce(&mut sink);
            // A failed finish means the receiving side is gone, which only happens on panic there.
            let _ = sink.finish();
            (result, sink.documents, sink.truncated)
        });

        let mut report = ShipReport::default();
        let mut failure: Option<ShipError> = None;
        let mut in_flight: JoinSet<(Vec<Record>, super::BatchResult)> = JoinSet::new();
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Batch(batch) => {
                    while in_flight.len() >= self.max_in_flight {
                        if let Some(done) = in_flight.join_next().await {
                            let (records, result) = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
                            self.settle(records, result, &mut report, &mut failure).await;
                        }
                    }
                    let sink = Arc::clone(&self.sink);
                    let deadline = self.deadline;
                    in_flight.spawn(async move {
                        let result = sink.deliver(&batch, deadline).await;
                        (batch, result)
                    });
                }
                Msg::Reject(entry) => {
                    if let Err(e) = self.failed.add([*entry]).await {
                        note_failure(&mut failure, e);
                    }
                }
            }
        }
        while let Some(done) = in_flight.join_next().await {
            let (records, result) = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            self.settle(records, result, &mut report, &mut failure).await;
        }
        let (result, documents, truncated) = producer
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        report.documents = documents;
        report.truncated = truncated;
        if let Err(e) = self.failed.flush().await {
            note_failure(&mut failure, e);
        }
        report.failed_stored = self.failed.stored() - stored_before;
        match failure {
            Some(mut f) => {
                f.report = report;
                Err(f)
            }
            None => Ok((result, report)),
        }
    }

    async fn settle(
        &self,
        records: Vec<Record>,
        result: super::BatchResult,
        report: &mut ShipReport,
        failure: &mut Option<ShipError>,
    ) {
        report.calls += u64::from(result.calls);
        report.resent += result.resent;
        let mut entries = Vec::new();
        for (record, outcome) in records.into_iter().zip(result.outcomes) {
            match outcome {
                Outcome::Delivered => report.delivered += 1,
                Outcome::Failed {
                    reason,
                    code,
                    message,
                    attempts,
                } => entries.push(FailedEntry {
                    reason,
                    error_code: Some(code),
                    error_message: message,
                    attempts,
                    source: record.source.to_string(),
                    item: record.item,
                    event_id: Some(record.event_id),
                    log_type: Some(record.log_type),
                    payload: Payload::Document(record.data),
                }),
            }
        }
        if entries.is_empty() {
            return;
        }
        if let Err(e) = self.failed.add(entries).await {
            note_failure(failure, e);
        }
    }
}

fn note_failure(failure: &mut Option<ShipError>, lost: StoreFailure) {
    match failure {
        Some(f) => {
            f.failure.items.extend(lost.items);
            f.failure.records += lost.records;
        }
        None => {
            *failure = Some(ShipError {
                failure: lost,
                report: ShipReport::default(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::failed::{FailureReason, MemoryStore, StoreError};
    use crate::delivery::firehose::{CallError, EntryError, FirehoseApi, FirehoseSink};
    use crate::delivery::{BatchResult, RetryPolicy};
    use crate::timestamp::Timestamp;
    use base64::Engine;
    use bytes::Bytes;
    use serde_json::Value;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    const BUCKET: &str = "failed-bucket";

    /// A sink that fails the records `fail` picks (as if retries ran out), after `delay`, and keeps
    /// count of batches and of how many were in delivery at once.
    struct FakeSink {
        fail: fn(&Record) -> bool,
        route: fn(&str) -> usize,
        delay: Duration,
        batches: Mutex<Vec<usize>>,
        /// Each batch's records' log types, in delivery order.
        log_types: Mutex<Vec<Vec<&'static str>>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    impl FakeSink {
        fn new(fail: fn(&Record) -> bool) -> Self {
            FakeSink {
                fail,
                route: |_| 0,
                delay: Duration::ZERO,
                batches: Mutex::new(Vec::new()),
                log_types: Mutex::new(Vec::new()),
                in_flight: AtomicUsize::new(0),
                max_in_flight: AtomicUsize::new(0),
            }
        }
    }

    impl RecordSink for FakeSink {
        fn route(&self, log_type: &str) -> usize {
            (self.route)(log_type)
        }

        async fn deliver(&self, records: &[Record], _deadline: Instant) -> BatchResult {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.batches.lock().unwrap().push(records.len());
            self.log_types
                .lock()
                .unwrap()
                .push(records.iter().map(|r| r.log_type).collect());
            BatchResult {
                outcomes: records
                    .iter()
                    .map(|r| {
                        if (self.fail)(r) {
                            Outcome::Failed {
                                reason: FailureReason::RetriesExhausted,
                                code: "ServiceUnavailableException".into(),
                                message: "Slow down.".into(),
                                attempts: 8,
                            }
                        } else {
                            Outcome::Delivered
                        }
                    })
                    .collect(),
                calls: 1,
                resent: 0,
            }
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

    fn store<O: ObjectStore>(objects: O) -> Arc<FailedRecordStore<O>> {
        Arc::new(FailedRecordStore::new(
            objects,
            Some(BUCKET.into()),
            "failed/",
            "fn",
            "run",
        ))
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn json_of(i: usize, item: usize) -> String {
        format!(r#"{{"@timestamp":"2026-11-22T05:00:00Z","log_type":"alb","event_id":"e-{i}","item":{item},"n":{i}}}"#)
    }

    fn source_of(item: usize) -> String {
        format!("s3://bucket/object-{item}")
    }

    /// Pushes `n` documents, document `i` from item `item_of(i)`; returns how many it pushed.
    fn producer(n: usize, item_of: fn(usize) -> usize) -> impl FnOnce(&mut BatchingSink) -> usize + Send + 'static {
        move |sink: &mut BatchingSink| {
            let timestamp = Timestamp::parse_rfc3339_utc("2026-11-22T05:00:00Z").unwrap();
            for i in 0..n {
                let item = item_of(i);
                sink.set_item(item, &source_of(item));
                let json = json_of(i, item);
                let event_id = format!("e-{i}");
                let doc = Doc {
                    json: json.as_bytes(),
                    log_type: "alb",
                    timestamp,
                    event_id: &event_id,
                    is_error: false,
                };
                sink.accept(doc).expect("the shipper takes documents");
            }
            n
        }
    }

    /// The `n` in the record's `e-<n>` event id.
    fn n_of(record: &Record) -> usize {
        record.event_id[2..].parse().unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn all_documents_delivered_are_counted() {
        let sink = Arc::new(FakeSink::new(|_| false));
        let objects = MemoryStore::default();
        let shipper = Shipper::new(Arc::clone(&sink), store(objects.clone()), 2, far());
        let (produced, report) = shipper.ship(producer(1200, |i| i / 400)).await.unwrap();

        assert_eq!(produced, 1200);
        assert_eq!(
            report,
            ShipReport {
                documents: 1200,
                truncated: 0,
                delivered: 1200,
                failed_stored: 0,
                resent: 0,
                calls: 3,
            }
        );
        let mut batches = sink.batches.lock().unwrap().clone();
        batches.sort_unstable();
        assert_eq!(batches, [200, 500, 500]);
        assert!(objects.objects().is_empty(), "nothing to store, nothing written");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn undeliverable_documents_are_stored_with_their_origin() {
        let sink = Arc::new(FakeSink::new(|r| n_of(r) % 100 == 7));
        let objects = MemoryStore::default();
        let shipper = Shipper::new(sink, store(objects.clone()), 2, far());
        let (_, report) = shipper.ship(producer(1200, |i| i / 500)).await.unwrap();

        assert_eq!(
            (report.documents, report.delivered, report.failed_stored),
            (1200, 1188, 12)
        );
        assert_eq!(report.documents, report.delivered + report.failed_stored);
        let entries = entries(&objects);
        assert_eq!(objects.objects().len(), 1, "buffered into one object");
        let mut seen: Vec<usize> = Vec::new();
        for e in &entries {
            let n: usize = e["event_id"].as_str().unwrap()[2..].parse().unwrap();
            seen.push(n);
            assert_eq!(e["reason"], "retries_exhausted");
            assert_eq!(e["error_code"], "ServiceUnavailableException");
            assert_eq!(e["error_message"], "Slow down.");
            assert_eq!(e["attempts"], 8);
            assert_eq!(e["item"], n / 500);
            assert_eq!(e["source"], source_of(n / 500));
            assert_eq!(e["log_type"], "alb");
            let doc: Value = serde_json::from_str(&json_of(n, n / 500)).unwrap();
            assert_eq!(e["document"], doc);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..1200).filter(|n| n % 100 == 7).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_store_gives_a_ship_error_naming_the_items() {
        // Everything from item 1 fails, and one document of item 2.
        let sink = Arc::new(FakeSink::new(|r| r.item == 1 || n_of(r) == 250));
        let shipper = Shipper::new(sink, store(MemoryStore::failing()), 2, far());
        let err = shipper.ship(producer(300, |i| i / 100)).await.unwrap_err();

        assert_eq!(err.failure.items, BTreeSet::from([1, 2]));
        assert_eq!(err.failure.records, 101);
        assert!(
            matches!(&err.failure.error, StoreError::Write { bucket, message, .. }
                if bucket == BUCKET && message.contains("injected")),
            "{:?}",
            err.failure.error
        );
        assert_eq!(
            (err.report.documents, err.report.delivered, err.report.failed_stored),
            (300, 199, 0)
        );
        assert_eq!(err.to_string(), format!("{}", err.failure));

        // No bucket configured: the same, as NotConfigured.
        let sink = Arc::new(FakeSink::new(|r| r.item == 0));
        let unconfigured = Arc::new(FailedRecordStore::new(MemoryStore::default(), None, "", "fn", "run"));
        let shipper = Shipper::new(sink, unconfigured, 2, far());
        let err = shipper.ship(producer(10, |i| i / 5)).await.unwrap_err();
        assert_eq!(err.failure.items, BTreeSet::from([0]));
        assert_eq!(err.failure.error, StoreError::NotConfigured { records: 5 });
        assert_eq!(err.report.delivered, 5);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rejected_input_lands_in_the_store_as_raw_base64() {
        let sink = Arc::new(FakeSink::new(|_| false));
        let objects = MemoryStore::default();
        let shipper = Shipper::new(sink, store(objects.clone()), 2, far());
        let raw = Bytes::from_static(b"\x00\xffnot gzip, not JSON");
        let rejected = raw.clone();
        let (produced, report) = shipper
            .ship(move |sink: &mut BatchingSink| {
                sink.reject(FailedEntry {
                    reason: FailureReason::Unprocessable,
                    error_code: None,
                    error_message: "neither gzip nor JSON".into(),
                    attempts: 0,
                    source: "shardId-000000000000:49590338271490256608559692538361571095921575989136588898".into(),
                    item: 4,
                    event_id: None,
                    log_type: None,
                    payload: Payload::Raw(rejected),
                })
                .unwrap();
                producer(3, |_| 5)(sink)
            })
            .await
            .unwrap();

        assert_eq!(produced, 3);
        assert_eq!((report.documents, report.delivered, report.failed_stored), (3, 3, 1));
        let entries = entries(&objects);
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e["reason"], "unprocessable");
        assert_eq!(e["attempts"], 0);
        assert_eq!(e["item"], 4);
        assert_eq!(e["error_message"], "neither gzip nor JSON");
        assert_eq!(e["raw_base64"], base64::engine::general_purpose::STANDARD.encode(&raw));
        for absent in ["document", "error_code", "event_id", "log_type"] {
            assert!(e.get(absent).is_none(), "{absent} in {e}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_deadline_stops_the_producer() {
        let sink = Arc::new(FakeSink::new(|_| false));
        let deadline = Instant::now() + Duration::from_millis(150);
        let shipper = Shipper::new(sink, store(MemoryStore::default()), 2, deadline);
        let timestamp = Timestamp::parse_rfc3339_utc("2026-11-22T05:00:00Z").unwrap();
        let ((pushed, error, stopped_at), report) = shipper
            .ship(move |sink: &mut BatchingSink| {
                sink.set_item(0, "s3://bucket/slow-object");
                // At most 10,000 documents, one every millisecond: the deadline comes first.
                for i in 0..10_000usize {
                    let json = json_of(i, 0);
                    let event_id = format!("e-{i}");
                    let doc = Doc {
                        json: json.as_bytes(),
                        log_type: "alb",
                        timestamp,
                        event_id: &event_id,
                        is_error: false,
                    };
                    if let Err(e) = sink.accept(doc) {
                        return (i, Some(e), std::time::Instant::now());
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                (10_000, None, std::time::Instant::now())
            })
            .await
            .unwrap();

        match error {
            Some(SinkError::Deadline { source_name }) => assert_eq!(source_name, "s3://bucket/slow-object"),
            other => panic!("expected the deadline, got {other:?}"),
        }
        assert!(stopped_at >= deadline.into_std(), "stopped before the deadline");
        assert!(
            stopped_at < deadline.into_std() + Duration::from_millis(100),
            "kept pushing after it"
        );
        assert!(pushed > 0 && pushed < 10_000);
        assert_eq!((report.documents, report.delivered), (pushed as u64, pushed as u64));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_max_in_flight_batches_are_in_delivery() {
        let mut fake = FakeSink::new(|_| false);
        fake.delay = Duration::from_millis(20);
        let sink = Arc::new(fake);
        let shipper = Shipper::new(Arc::clone(&sink), store(MemoryStore::default()), 2, far());
        let (_, report) = shipper.ship(producer(5000, |_| 0)).await.unwrap();
        assert_eq!((report.calls, report.delivered), (10, 5000));
        assert_eq!(sink.max_in_flight.load(Ordering::SeqCst), 2);
    }

    /// A Shipper (and its store) can run several producers: each report counts its own run.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_stored_counts_only_this_run() {
        let sink = Arc::new(FakeSink::new(|r| n_of(r) < 10));
        let shipper = Shipper::new(sink, store(MemoryStore::default()), 2, far());
        let (_, first) = shipper.ship(producer(100, |_| 0)).await.unwrap();
        assert_eq!((first.delivered, first.failed_stored), (90, 10));
        let (_, second) = shipper.ship(producer(100, |_| 1)).await.unwrap();
        assert_eq!(second.documents, second.delivered + second.failed_stored, "{second:?}");
        assert_eq!((second.delivered, second.failed_stored), (90, 10));
    }

    /// Pushes `n` documents of the log types `kinds` in turn (document `i` is of `kinds[i % len]`),
    /// each of `size` bytes, all from item 0.
    fn mixed_producer(
        n: usize,
        kinds: &'static [&'static str],
        size: usize,
    ) -> impl FnOnce(&mut BatchingSink) -> usize + Send + 'static {
        move |sink: &mut BatchingSink| {
            let timestamp = Timestamp::parse_rfc3339_utc("2026-11-22T05:00:00Z").unwrap();
            sink.set_item(0, &source_of(0));
            for i in 0..n {
                let log_type = kinds[i % kinds.len()];
                let head = format!(
                    r#"{{"@timestamp":"2026-11-22T05:00:00Z","log_type":"{log_type}","event_id":"e-{i}","m":""#
                );
                let json = format!("{head}{}\"}}", "x".repeat(size.saturating_sub(head.len() + 2)));
                let event_id = format!("e-{i}");
                let doc = Doc {
                    json: json.as_bytes(),
                    log_type,
                    timestamp,
                    event_id: &event_id,
                    is_error: false,
                };
                sink.accept(doc).expect("the shipper takes documents");
            }
            n
        }
    }

    fn route_by_kind(log_type: &str) -> usize {
        match log_type {
            "nlb" => 1,
            "clb" => 2,
            "unknown" => 1, // shares nlb's stream
            _ => 0,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_batch_holds_one_route_and_every_route_is_flushed_at_the_end() {
        let mut fake = FakeSink::new(|_| false);
        fake.route = route_by_kind;
        let sink = Arc::new(fake);
        let shipper = Shipper::new(Arc::clone(&sink), store(MemoryStore::default()), 2, far());
        // 800 small documents: alb, nlb, clb, unknown, alb, … (200 of each).
        const KINDS: &[&str] = &["alb", "nlb", "clb", "unknown"];
        let (_, report) = shipper.ship(mixed_producer(800, KINDS, 200)).await.unwrap();

        assert_eq!(
            (report.documents, report.delivered, report.failed_stored),
            (800, 800, 0)
        );
        let batches = sink.log_types.lock().unwrap().clone();
        let mut per_route = [0usize; 3];
        for batch in &batches {
            let route = route_by_kind(batch[0]);
            assert!(batch.iter().all(|t| route_by_kind(t) == route), "{batch:?}");
            per_route[route] += batch.len();
        }
        assert_eq!(per_route, [200, 400, 200]);
        // nlb and unknown share a route, so a batch.
        assert!(batches
            .iter()
            .any(|b| b.len() == 400 && b.contains(&"nlb") && b.contains(&"unknown")));
        assert_eq!(
            report.calls,
            3,
            "one batch per route: {:?}",
            sink.batches.lock().unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_of_many_routes_together_stay_within_two_batches_worth() {
        // Eleven routes, documents of 100 KiB interleaved: each route's batch alone would hold
        // 4 MiB (40 documents) before closing, 44 MiB in all; the shared bound sends the largest
        // early instead.
        let mut fake = FakeSink::new(|_| false);
        fake.route = |t| t.len();
        let sink = Arc::new(fake);
        let shipper = Shipper::new(Arc::clone(&sink), store(MemoryStore::default()), 2, far());
        const KINDS: &[&str] = &[
            "a",
            "bb",
            "ccc",
            "dddd",
            "eeeee",
            "ffffff",
            "ggggggg",
            "hhhhhhhh",
            "iiiiiiiii",
            "jjjjjjjjjj",
            "kkkkkkkkkkk",
        ];
        let (_, report) = shipper.ship(mixed_producer(1100, KINDS, 100 * 1024)).await.unwrap();

        assert_eq!((report.documents, report.delivered), (1100, 1100));
        let batches = sink.log_types.lock().unwrap().clone();
        for batch in &batches {
            assert!(batch.iter().all(|t| t.len() == batch[0].len()), "mixed batch");
        }
        let sizes = sink.batches.lock().unwrap().clone();
        // Held together at most 2 × 4 MiB, about 80 documents of 100 KiB over eleven routes: no
        // route's batch gets near its own limit (40 such documents) before the largest goes early.
        assert!(sizes.iter().all(|&n| n < 40), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 1100);
    }

    /// A Firehose that accepts everything, taking `delay` per call.
    #[derive(Clone)]
    struct SlowFirehose {
        delay: Duration,
        calls: Arc<AtomicUsize>,
    }

    impl FirehoseApi for SlowFirehose {
        async fn put_record_batch(
            &self,
            _stream: &str,
            records: Vec<Bytes>,
        ) -> Result<Vec<Option<EntryError>>, CallError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            Ok(vec![None; records.len()])
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ship_ends_by_its_deadline_when_the_producer_runs_into_it() {
        let api = SlowFirehose {
            delay: Duration::from_millis(200),
            calls: Arc::default(),
        };
        let policy = RetryPolicy {
            max_attempts: 3,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            call_budget: Duration::from_millis(250),
        };
        let sink = Arc::new(FirehoseSink::new(api.clone(), "s", policy));
        let deadline = Instant::now() + Duration::from_millis(400);
        let shipper = Shipper::new(sink, store(MemoryStore::default()), 2, deadline);
        let timestamp = Timestamp::parse_rfc3339_utc("2026-11-22T05:00:00Z").unwrap();
        let (_, report) = shipper
            .ship(move |sink: &mut BatchingSink| {
                // An endless input, read slowly: at most 10,000 documents, one every millisecond.
                for i in 0..10_000usize {
                    let json = json_of(i, 0);
                    let event_id = format!("e-{i}");
                    let doc = Doc {
                        json: json.as_bytes(),
                        log_type: "alb",
                        timestamp,
                        event_id: &event_id,
                        is_error: false,
                    };
                    if sink.accept(doc).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
            .await
            .unwrap();
        let ended = Instant::now();
        assert_eq!(report.documents, report.delivered + report.failed_stored);
        // Whether the last batch is delivered (the producer cut early enough) or stored with reason
        // `deadline` (no call started that cannot finish), ship() ends by the deadline; allow for
        // the in-memory store write and scheduling.
        assert!(
            ended <= deadline + Duration::from_millis(50),
            "ship() ended {:?} after its deadline ({} calls)",
            ended - deadline,
            api.calls.load(Ordering::SeqCst)
        );
    }
}
