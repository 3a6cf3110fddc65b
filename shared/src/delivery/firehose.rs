//! The Firehose sink: PutRecordBatch, resending only the entries that failed.
//!
//! A PutRecordBatch call can succeed (HTTP 200) and still reject some entries: `FailedPutCount > 0`
//! and an `ErrorCode` on those entries of `RequestResponses`, which lines up with the request. Only
//! those entries are sent again, in their original order, with backoff; whole-call failures
//! (throttling, 5xx, a reset connection, a timeout) resend the whole pending set the same way. What
//! is still failing when attempts or time run out is returned as failed, never dropped.

use super::retry::{RetryPolicy, Stop};
use super::{BatchResult, Outcome, Record, RecordSink};
use crate::delivery::failed::FailureReason;
use bytes::Bytes;
use std::future::Future;
use tokio::time::Instant;

/// An entry Firehose rejected in an otherwise successful call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// `ErrorCode`, e.g. `ServiceUnavailableException`.
    pub code: String,
    /// `ErrorMessage`.
    pub message: String,
}

/// A call that failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CallError {
    /// The service's error code, or a transport condition (`DispatchFailure`, `TimeoutError`).
    pub code: String,
    /// What happened.
    pub message: String,
    /// Whether sending again may work (throttling, 5xx, transport) or not (bad request, no such stream,
    /// access denied).
    pub retryable: bool,
}

/// The one Firehose operation logpipe uses, behind a narrow seam: the AWS SDK client in production
/// (`crate::aws`), scripted fakes in tests.
pub trait FirehoseApi: Send + Sync + 'static {
    /// Sends `records` to `stream`; on success returns one entry per record, `Some` for a rejected one.
    fn put_record_batch(
        &self,
        stream: &str,
        records: Vec<Bytes>,
    ) -> impl Future<Output = Result<Vec<Option<EntryError>>, CallError>> + Send;
}

/// Delivers batches to one Firehose stream.
#[derive(Debug, Clone)]
pub struct FirehoseSink<A> {
    api: A,
    stream: String,
    policy: RetryPolicy,
}

impl<A: FirehoseApi> FirehoseSink<A> {
    /// A sink for `stream`.
    pub fn new(api: A, stream: impl Into<String>, policy: RetryPolicy) -> Self {
        FirehoseSink {
            api,
            stream: stream.into(),
            policy,
        }
    }

    /// The delivery stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }
}

impl<A: FirehoseApi> RecordSink for FirehoseSink<A> {
    async fn deliver(&self, records: &[Record], deadline: Instant) -> BatchResult {
        let mut last: Vec<Option<(String, String)>> = vec![None; records.len()];
        let mut attempts = vec![0u32; records.len()];
        let mut pending: Vec<usize> = (0..records.len()).collect();
        let mut result = BatchResult {
            outcomes: Vec::new(),
            calls: 0,
            resent: 0,
        };
        let mut attempt = 0;
        let mut stop_reason = FailureReason::RetriesExhausted;
        while !pending.is_empty() {
            attempt += 1;
            result.calls += 1;
            let data = pending.iter().map(|&i| records[i].data.clone()).collect();
            for &i in &pending {
                attempts[i] += 1;
            }
            match self.api.put_record_batch(&self.stream, data).await {
                Ok(entries) if entries.len() == pending.len() => {
                    let mut still = Vec::new();
                    for (&i, entry) in pending.iter().zip(entries) {
                        match entry {
                            None => last[i] = None,
                            Some(e) => {
                                last[i] = Some((e.code, e.message));
                                still.push(i);
                            }
                        }
                    }
                    pending = still;
                }
                Ok(entries) => {
                    let message = format!(
                        "{} entries in the response for {} records",
                        entries.len(),
                        pending.len()
                    );
                    for &i in &pending {
                        last[i] = Some(("MalformedResponse".into(), message.clone()));
                    }
                }
                Err(e) => {
                    for &i in &pending {
                        last[i] = Some((e.code.clone(), e.message.clone()));
                    }
                    if !e.retryable {
                        stop_reason = FailureReason::NotRetryable;
                        break;
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
            match self.policy.next_wait(attempt, Instant::now(), deadline) {
                Ok(wait) => {
                    tokio::time::sleep(wait).await;
                    result.resent += pending.len() as u64;
                }
                Err(Stop::AttemptsExhausted) => break,
                Err(Stop::Deadline) => {
                    stop_reason = FailureReason::Deadline;
                    break;
                }
            }
        }
        result.outcomes = last
            .into_iter()
            .zip(attempts)
            .map(|(error, attempts)| match error {
                None => Outcome::Delivered,
                Some((code, message)) => Outcome::Failed {
                    reason: stop_reason,
                    code,
                    message,
                    attempts,
                },
            })
            .collect();
        result
    }
}
