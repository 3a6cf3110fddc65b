//! Connecting the (synchronous, streaming) pipeline to (asynchronous) delivery.
//!
//! [`Shipper::ship`] runs a producer, the code that reads input and pushes documents into a
//! [`BatchingSink`], on a blocking thread. Full batches cross a small bounded channel to the async
//! side, which keeps at most `max_in_flight` batches in delivery and writes what fails to the
//! failed-record store. Memory stays bounded whatever the input size: two batches queued, a few in
//! flight, and the failed-record buffer.

use super::batch::{record_from_doc, BatchBuilder};
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

/// The pipeline's sink during delivery: packs documents into batches and hands them over.
pub struct BatchingSink {
    builder: BatchBuilder,
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
        match self.builder.push(record) {
            Some(full) => self.send_batch(full),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        match self.builder.take() {
            Some(last) => self.send_batch(last),
            None => Ok(()),
        }
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
        let (tx, mut rx) = mpsc::channel::<Msg>(2);
        let deadline = self.deadline.into_std();
        let producer = tokio::task::spawn_blocking(move || {
            let mut sink = BatchingSink {
                builder: BatchBuilder::default(),
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
        report.failed_stored = self.failed.stored();
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
