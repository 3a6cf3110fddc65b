//! The Firehose sink: PutRecordBatch, resending only the entries that failed.
//!
//! A PutRecordBatch call can succeed (HTTP 200) and still reject some entries: `FailedPutCount > 0`
//! and an `ErrorCode` on those entries of `RequestResponses`, which lines up with the request. Only
//! those entries are sent again, in their original order, with backoff; whole-call failures
//! (throttling, 5xx, a reset connection, a timeout) resend the whole pending set the same way. What
//! is still failing when attempts or time run out is returned as failed, never dropped.
//!
//! Each batch goes to the delivery stream of its records' `log_type` ([`StreamRouter`]); the
//! batching side keeps one batch per stream, and a batch that mixes streams anyway is split into one
//! delivery per stream, its outcomes put back in the batch's order.

use super::retry::{RetryPolicy, Stop};
use super::route::StreamRouter;
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

/// Delivers batches to Firehose, each to the delivery stream of its log type.
#[derive(Debug, Clone)]
pub struct FirehoseSink<A> {
    api: A,
    streams: StreamRouter,
    policy: RetryPolicy,
}

impl<A: FirehoseApi> FirehoseSink<A> {
    /// A sink for `streams`: a [`StreamRouter`], or one stream's name for everything.
    pub fn new(api: A, streams: impl Into<StreamRouter>, policy: RetryPolicy) -> Self {
        FirehoseSink {
            api,
            streams: streams.into(),
            policy,
        }
    }

    /// The default delivery stream's name.
    pub fn stream(&self) -> &str {
        self.streams.default_stream()
    }

    /// Where each log type goes.
    pub fn streams(&self) -> &StreamRouter {
        &self.streams
    }

    /// Sends `records` (all of them for `stream`) until each is accepted or attempts or time run
    /// out.
    async fn deliver_to(&self, stream: &str, records: &[Record], deadline: Instant) -> BatchResult {
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
            if Instant::now() + self.policy.call_budget > deadline {
                // Even the first call must be able to finish before the deadline.
                for &i in &pending {
                    last[i].get_or_insert((
                        "DeadlineReached".into(),
                        "no time left to send before the deadline".into(),
                    ));
                }
                stop_reason = FailureReason::Deadline;
                break;
            }
            attempt += 1;
            if attempt > 1 {
                result.resent += pending.len() as u64;
            }
            result.calls += 1;
            let data = pending.iter().map(|&i| records[i].data.clone()).collect();
            for &i in &pending {
                attempts[i] += 1;
            }
            match self.api.put_record_batch(stream, data).await {
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
                Ok(wait) => tokio::time::sleep(wait).await,
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

impl<A: FirehoseApi> RecordSink for FirehoseSink<A> {
    fn call_budget(&self) -> std::time::Duration {
        self.policy.call_budget
    }

    fn route(&self, log_type: &str) -> usize {
        self.streams.route(log_type)
    }

    async fn deliver(&self, records: &[Record], deadline: Instant) -> BatchResult {
        let routes: Vec<usize> = records.iter().map(|r| self.streams.route(r.log_type)).collect();
        let first = routes.first().copied().unwrap_or(0);
        if routes.iter().all(|&r| r == first) {
            return self.deliver_to(self.streams.stream(first), records, deadline).await;
        }
        // Records of several streams (the batching side never sends such a batch): one delivery
        // per stream, one after the other, outcomes back in the batch's order.
        let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
        let mut result = BatchResult::default();
        let mut pending: Vec<usize> = (0..records.len()).collect();
        while let Some(&i) = pending.first() {
            let route = routes[i];
            let (these, rest): (Vec<usize>, Vec<usize>) = pending.into_iter().partition(|&j| routes[j] == route);
            pending = rest;
            let batch: Vec<Record> = these.iter().map(|&j| records[j].clone()).collect();
            let part = self.deliver_to(self.streams.stream(route), &batch, deadline).await;
            result.calls += part.calls;
            result.resent += part.resent;
            for (&j, outcome) in these.iter().zip(part.outcomes) {
                outcomes[j] = Some(outcome);
            }
        }
        result.outcomes = outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| Outcome::Failed {
                    reason: FailureReason::NotRetryable,
                    code: "MissingOutcome".into(),
                    message: "no outcome for this record".into(),
                    attempts: 0,
                })
            })
            .collect();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// How the fake answers one call.
    #[derive(Debug, Clone)]
    enum Step {
        /// Every entry accepted.
        Ok,
        /// The entries at these positions of the call rejected (`ServiceUnavailableException`).
        Fail(Vec<usize>),
        /// The whole call fails.
        Error(CallError),
        /// A response with this many entries, all accepted, whatever the call's size.
        Entries(usize),
    }

    /// A scripted Firehose: one [`Step`] per call (then `Ok`), every call recorded.
    #[derive(Clone, Default)]
    struct FakeFirehose {
        script: Arc<Mutex<VecDeque<Step>>>,
        calls: Arc<Mutex<Vec<Vec<Bytes>>>>,
    }

    impl FakeFirehose {
        fn new(script: impl IntoIterator<Item = Step>) -> Self {
            let fake = FakeFirehose::default();
            fake.script.lock().unwrap().extend(script);
            fake
        }

        fn calls(&self) -> Vec<Vec<Bytes>> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl FirehoseApi for FakeFirehose {
        async fn put_record_batch(
            &self,
            stream: &str,
            records: Vec<Bytes>,
        ) -> Result<Vec<Option<EntryError>>, CallError> {
            assert_eq!(stream, "s");
            let step = self.script.lock().unwrap().pop_front().unwrap_or(Step::Ok);
            let n = records.len();
            self.calls.lock().unwrap().push(records);
            match step {
                Step::Ok => Ok(vec![None; n]),
                Step::Fail(indices) => Ok((0..n)
                    .map(|i| {
                        indices.contains(&i).then(|| EntryError {
                            code: "ServiceUnavailableException".into(),
                            message: "Slow down.".into(),
                        })
                    })
                    .collect()),
                Step::Error(e) => Err(e),
                Step::Entries(m) => Ok(vec![None; m]),
            }
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            call_budget: Duration::from_millis(100),
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| Record {
                data: Bytes::from(format!("{{\"event_id\":\"e-{i}\"}}\n")),
                event_id: format!("e-{i}"),
                log_type: "alb",
                item: 0,
                source: std::sync::Arc::from("s3://bucket/key"),
            })
            .collect()
    }

    fn data(records: &[Record], indices: &[usize]) -> Vec<Bytes> {
        indices.iter().map(|&i| records[i].data.clone()).collect()
    }

    fn call_error(code: &str, retryable: bool) -> CallError {
        CallError {
            code: code.into(),
            message: format!("{code} (scripted)"),
            retryable,
        }
    }

    fn failed(reason: FailureReason, code: &str, attempts: u32) -> Outcome {
        let message = match code {
            "ServiceUnavailableException" => "Slow down.".to_owned(),
            "MalformedResponse" => String::new(),
            _ => format!("{code} (scripted)"),
        };
        Outcome::Failed {
            reason,
            code: code.into(),
            message,
            attempts,
        }
    }

    /// Outcome with the message blanked, for comparisons that do not care about its wording.
    fn without_message(o: &Outcome) -> Outcome {
        match o {
            Outcome::Failed {
                reason, code, attempts, ..
            } if code == "MalformedResponse" => Outcome::Failed {
                reason: *reason,
                code: code.clone(),
                message: String::new(),
                attempts: *attempts,
            },
            other => other.clone(),
        }
    }

    #[tokio::test]
    async fn partial_failure_resends_only_the_failed_entries_in_order() {
        let api = FakeFirehose::new([Step::Fail(vec![7, 250, 499]), Step::Fail(vec![0, 1, 2]), Step::Ok]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let batch = records(500);
        let result = sink.deliver(&batch, far()).await;

        let calls = api.calls();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0], data(&batch, &(0..500).collect::<Vec<_>>()));
        assert_eq!(calls[1], data(&batch, &[7, 250, 499]));
        assert_eq!(calls[2], data(&batch, &[7, 250, 499]));
        assert_eq!(result.calls, 3);
        assert_eq!(result.resent, 6);
        assert!(result.outcomes.iter().all(|o| *o == Outcome::Delivered));
    }

    #[tokio::test]
    async fn entries_delivered_on_a_later_try_are_delivered() {
        let api = FakeFirehose::new([Step::Fail(vec![0, 1, 2, 3, 4]), Step::Fail(vec![1, 3]), Step::Ok]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let batch = records(5);
        let result = sink.deliver(&batch, far()).await;

        assert_eq!(result.outcomes, vec![Outcome::Delivered; 5]);
        assert_eq!(api.calls()[1], data(&batch, &[0, 1, 2, 3, 4]));
        assert_eq!(api.calls()[2], data(&batch, &[1, 3]));
        assert_eq!((result.calls, result.resent), (3, 7));
    }

    #[tokio::test]
    async fn attempts_are_counted_per_record() {
        // Record 2 keeps failing; 0 and 3 succeed on the second try; 1 at once.
        let api = FakeFirehose::new([Step::Fail(vec![0, 2, 3]), Step::Fail(vec![1]), Step::Fail(vec![0])]);
        let sink = FirehoseSink::new(
            api.clone(),
            "s",
            RetryPolicy {
                max_attempts: 3,
                ..policy()
            },
        );
        let batch = records(4);
        let result = sink.deliver(&batch, far()).await;

        assert_eq!(
            result.outcomes,
            vec![
                Outcome::Delivered,
                Outcome::Delivered,
                failed(FailureReason::RetriesExhausted, "ServiceUnavailableException", 3),
                Outcome::Delivered,
            ]
        );
        assert_eq!(api.calls().iter().map(Vec::len).collect::<Vec<_>>(), [4, 3, 1]);
        assert_eq!((result.calls, result.resent), (3, 4));
    }

    #[tokio::test]
    async fn a_response_with_the_wrong_number_of_entries_resends_all_pending() {
        let api = FakeFirehose::new([Step::Fail(vec![1, 2]), Step::Entries(3), Step::Ok]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let batch = records(4);
        let result = sink.deliver(&batch, far()).await;

        // Nothing of call 2 counts as accepted: both pending records go again.
        assert_eq!(api.calls()[1], data(&batch, &[1, 2]));
        assert_eq!(api.calls()[2], data(&batch, &[1, 2]));
        assert_eq!(result.outcomes, vec![Outcome::Delivered; 4]);

        // A malformed answer every time ends as MalformedResponse after max_attempts.
        let api = FakeFirehose::new([Step::Entries(0), Step::Entries(5), Step::Entries(2), Step::Entries(1)]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let result = sink.deliver(&batch, far()).await;
        assert_eq!(api.calls().len(), 4);
        assert!(api.calls().iter().all(|c| c.len() == 4));
        assert_eq!(
            result.outcomes.iter().map(without_message).collect::<Vec<_>>(),
            vec![failed(FailureReason::RetriesExhausted, "MalformedResponse", 4); 4]
        );
        let Outcome::Failed { message, .. } = &result.outcomes[0] else {
            unreachable!()
        };
        assert_eq!(message, "1 entries in the response for 4 records");
    }

    #[tokio::test]
    async fn retryable_call_error_resends_the_whole_pending_set() {
        let api = FakeFirehose::new([
            Step::Fail(vec![0, 2]),
            Step::Error(call_error("TimeoutError", true)),
            Step::Ok,
        ]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let batch = records(3);
        let result = sink.deliver(&batch, far()).await;

        assert_eq!(api.calls()[1], data(&batch, &[0, 2]));
        assert_eq!(api.calls()[2], data(&batch, &[0, 2]));
        assert_eq!(result.outcomes, vec![Outcome::Delivered; 3]);
    }

    #[tokio::test]
    async fn not_retryable_call_error_stops_after_one_call() {
        let api = FakeFirehose::new([Step::Error(call_error("ResourceNotFoundException", false))]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let result = sink.deliver(&records(3), far()).await;

        assert_eq!(api.calls().len(), 1);
        assert_eq!((result.calls, result.resent), (1, 0));
        assert_eq!(
            result.outcomes,
            vec![failed(FailureReason::NotRetryable, "ResourceNotFoundException", 1); 3]
        );

        // After a partial failure: the entries already accepted stay delivered.
        let api = FakeFirehose::new([
            Step::Fail(vec![1]),
            Step::Error(call_error("AccessDeniedException", false)),
        ]);
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        let result = sink.deliver(&records(3), far()).await;
        assert_eq!(api.calls().len(), 2);
        assert_eq!(
            result.outcomes,
            vec![
                Outcome::Delivered,
                failed(FailureReason::NotRetryable, "AccessDeniedException", 2),
                Outcome::Delivered,
            ]
        );
    }

    #[tokio::test]
    async fn deadline_stops_retrying() {
        let policy = RetryPolicy {
            max_attempts: 1000,
            ..policy()
        };
        // No time for a retry: at most the one call, then the deadline.
        let api = FakeFirehose::new([Step::Fail(vec![0, 1])]);
        let sink = FirehoseSink::new(api.clone(), "s", policy);
        let deadline = Instant::now() + policy.call_budget - Duration::from_millis(1);
        let result = sink.deliver(&records(2), deadline).await;
        let calls = api.calls().len() as u32;
        assert!(calls <= 1, "{calls} calls");
        assert_eq!(result.calls, calls);
        assert!(
            result.outcomes.iter().all(|o| matches!(o,
                Outcome::Failed { reason: FailureReason::Deadline, attempts, .. } if *attempts == calls)),
            "{:?}",
            result.outcomes
        );
        if calls == 1 {
            assert_eq!(
                result.outcomes,
                vec![failed(FailureReason::Deadline, "ServiceUnavailableException", 1); 2]
            );
        }

        // A failure that never ends: retries until a retry could no longer finish in time.
        let api = FakeFirehose::new(std::iter::repeat_n(Step::Fail(vec![0]), 10_000));
        let sink = FirehoseSink::new(api.clone(), "s", policy);
        let started = Instant::now();
        let deadline = started + Duration::from_millis(300);
        let result = sink.deliver(&records(1), deadline).await;
        let ended = Instant::now();
        assert!(
            ended + policy.call_budget <= deadline + Duration::from_millis(20),
            "{:?}",
            ended - started
        );
        assert!(result.calls >= 2, "it retried while there was time");
        assert_eq!(
            result.outcomes,
            vec![failed(
                FailureReason::Deadline,
                "ServiceUnavailableException",
                result.calls
            )]
        );
    }

    #[tokio::test]
    async fn no_call_starts_that_cannot_finish_before_the_deadline() {
        let policy = policy();
        let api = FakeFirehose::default();
        let sink = FirehoseSink::new(api.clone(), "s", policy);
        // Already past the deadline, let alone the call budget before it.
        let deadline = Instant::now();
        let result = sink.deliver(&records(2), deadline).await;
        assert!(
            api.calls().is_empty(),
            "a PutRecordBatch call started past the deadline (call budget {:?})",
            policy.call_budget
        );
        assert!(result.outcomes.iter().all(|o| matches!(
            o,
            Outcome::Failed {
                reason: FailureReason::Deadline,
                attempts: 0,
                ..
            }
        )));
    }

    #[tokio::test]
    async fn empty_batch_makes_no_call() {
        let api = FakeFirehose::default();
        let sink = FirehoseSink::new(api.clone(), "s", policy());
        assert_eq!(sink.stream(), "s");
        let result = sink.deliver(&[], far()).await;
        assert_eq!(result, BatchResult::default());
        assert!(api.calls().is_empty());
    }

    /// The stream and the records of each call.
    type StreamCalls = Arc<Mutex<Vec<(String, Vec<Bytes>)>>>;

    /// Records every call's stream and data; calls to `failing` fail as a whole, not retryable.
    #[derive(Clone, Default)]
    struct StreamsFirehose {
        failing: &'static str,
        calls: StreamCalls,
    }

    impl FirehoseApi for StreamsFirehose {
        async fn put_record_batch(
            &self,
            stream: &str,
            records: Vec<Bytes>,
        ) -> Result<Vec<Option<EntryError>>, CallError> {
            let n = records.len();
            self.calls.lock().unwrap().push((stream.to_owned(), records));
            if stream == self.failing {
                return Err(call_error("ResourceNotFoundException", false));
            }
            Ok(vec![None; n])
        }
    }

    fn typed(log_types: &[&'static str]) -> Vec<Record> {
        let mut batch = records(log_types.len());
        for (r, t) in batch.iter_mut().zip(log_types) {
            r.log_type = t;
        }
        batch
    }

    fn router() -> StreamRouter {
        StreamRouter::new("s-alb", &"nlb=s-nlb,clb=s-clb,alb_connection=s-nlb".parse().unwrap())
    }

    #[tokio::test]
    async fn a_batch_goes_to_the_stream_of_its_log_type() {
        let api = StreamsFirehose::default();
        let sink = FirehoseSink::new(api.clone(), router(), policy());
        assert_eq!(sink.stream(), "s-alb");
        assert_eq!(
            (sink.route("nlb"), sink.route("alb_connection"), sink.route("clb")),
            (1, 1, 2)
        );
        assert_eq!((sink.route("alb"), sink.route("unknown")), (0, 0));
        for (types, stream) in [
            (&["nlb", "alb_connection"][..], "s-nlb"),
            (&["clb"][..], "s-clb"),
            (&["alb", "unknown", "s3_access"][..], "s-alb"),
        ] {
            let batch = typed(types);
            let result = sink.deliver(&batch, far()).await;
            assert_eq!(result.outcomes, vec![Outcome::Delivered; types.len()]);
            let calls = std::mem::take(&mut *api.calls.lock().unwrap());
            assert_eq!(
                calls,
                [(stream.to_owned(), data(&batch, &(0..types.len()).collect::<Vec<_>>()))]
            );
        }
    }

    #[tokio::test]
    async fn a_mixed_batch_is_split_by_stream_and_one_failing_stream_fails_only_its_records() {
        let api = StreamsFirehose {
            failing: "s-clb",
            ..StreamsFirehose::default()
        };
        let sink = FirehoseSink::new(api.clone(), router(), policy());
        let batch = typed(&["alb", "nlb", "clb", "alb", "alb_connection", "clb", "unknown"]);
        let result = sink.deliver(&batch, far()).await;

        let calls = api.calls.lock().unwrap().clone();
        assert_eq!(
            calls,
            [
                ("s-alb".to_owned(), data(&batch, &[0, 3, 6])),
                ("s-nlb".to_owned(), data(&batch, &[1, 4])),
                ("s-clb".to_owned(), data(&batch, &[2, 5])),
            ]
        );
        let refused = failed(FailureReason::NotRetryable, "ResourceNotFoundException", 1);
        assert_eq!(
            result.outcomes,
            [
                Outcome::Delivered,
                Outcome::Delivered,
                refused.clone(),
                Outcome::Delivered,
                Outcome::Delivered,
                refused,
                Outcome::Delivered,
            ]
        );
        assert_eq!((result.calls, result.resent), (3, 0));
    }

    /// Rejects every entry; each call leaves behind a task that blocks the (current-thread)
    /// runtime for `stall`, so whatever the sink awaits next, its backoff sleep, ends that late.
    #[derive(Clone)]
    struct StallingFirehose {
        stall: Duration,
        calls: Arc<Mutex<Vec<usize>>>,
    }

    impl FirehoseApi for StallingFirehose {
        async fn put_record_batch(
            &self,
            _stream: &str,
            records: Vec<Bytes>,
        ) -> Result<Vec<Option<EntryError>>, CallError> {
            self.calls.lock().unwrap().push(records.len());
            let stall = self.stall;
            tokio::spawn(async move { std::thread::sleep(stall) });
            Ok(vec![
                Some(EntryError {
                    code: "ServiceUnavailableException".into(),
                    message: "Slow down.".into(),
                });
                records.len()
            ])
        }
    }

    #[tokio::test]
    async fn resent_counts_only_records_sent_again() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(20),
            call_budget: Duration::from_millis(100),
        };
        // The jitter for the first retry is the next fastrand::f64() on this thread: pick a seed that
        // makes it at least half the ceiling, so the backoff really sleeps (and yields).
        let seed = (0..1000u64)
            .find(|&s| {
                fastrand::seed(s);
                fastrand::f64() >= 0.5
            })
            .unwrap();
        fastrand::seed(seed);
        let api = StallingFirehose {
            stall: Duration::from_millis(100),
            calls: Arc::default(),
        };
        let sink = FirehoseSink::new(api.clone(), "s", policy);
        // Room for the first call and for a retry after a backoff of at most 20 ms, as planned; the
        // stall makes the backoff end 100 ms in, when a call no longer fits.
        let deadline = Instant::now() + policy.call_budget + Duration::from_millis(50);
        let result = sink.deliver(&records(2), deadline).await;

        let calls = api.calls.lock().unwrap().clone();
        assert_eq!(result.calls as usize, calls.len());
        let resent_on_the_wire: usize = calls.iter().skip(1).sum();
        assert!(result.outcomes.iter().all(|o| matches!(
            o,
            Outcome::Failed {
                reason: FailureReason::Deadline,
                ..
            }
        )));
        assert_eq!(
            result.resent, resent_on_the_wire as u64,
            "{} calls of {calls:?} records, but resent = {}",
            result.calls, result.resent
        );
    }
}
