//! A fault-injecting Amazon Data Firehose endpoint on 127.0.0.1, for wire-level tests through the
//! real AWS SDK.
//!
//! It speaks the Firehose JSON 1.1 protocol for the one operation logpipe uses: `POST /` with
//! `X-Amz-Target: Firehose_20150804.PutRecordBatch` and a body
//! `{"DeliveryStreamName":"s","Records":[{"Data":"<base64>"},…]}`. Each call is answered by the next
//! [`Reply`] of a script (then by a default; calls to a stream given its own reply with
//! [`FaultFirehose::set_stream_reply`] get that one), which can accept everything, reject some entries the
//! way Firehose does (HTTP 200, `FailedPutCount > 0`, `ErrorCode` on those entries), fail the whole
//! call with an AWS JSON error, answer late, or read the request and close the connection without
//! answering. Every call is recorded (stream, decoded records in order, time), and the records the
//! server kept are counted, so a test can assert exactly what was sent again and how many
//! duplicates reached "Firehose".
//!
//! Firehose's hard limits (500 records, 1,000 KiB per record, 4 MiB of record data per call) are
//! checked on every call; a call over a limit is refused with `ValidationException` and noted in
//! [`Stats::limit_violations`].
//!
//! Throttling: Firehose has no `ThrottlingException`. Its model lists `ServiceUnavailableException`
//! ("Back off and retry the operation … throughput limits for the Firehose stream may have been
//! exceeded") for a whole call, and `ServiceUnavailableException` ("Slow down.") or
//! `InternalFailure` as per-entry `ErrorCode`s (aws-sdk-firehose, `PutRecordBatch` docs).
//!
//! The server runs on its own thread and runtime, listens on 127.0.0.1 only, and stops (closing
//! every connection) when the [`FaultFirehose`] is dropped.

use aws_sdk_firehose::config::retry::RetryConfig;
use aws_sdk_firehose::config::timeout::TimeoutConfig;
use aws_sdk_firehose::config::{BehaviorVersion, Credentials, Region};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use logpipe::aws::FirehoseClient;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The `X-Amz-Target` of PutRecordBatch.
pub const PUT_RECORD_BATCH: &str = "Firehose_20150804.PutRecordBatch";
/// `ErrorCode` of throttled entries and calls.
pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailableException";
/// Records per call.
pub const MAX_RECORDS: usize = 500;
/// Bytes per record, before base64.
pub const MAX_RECORD_BYTES: usize = 1000 * 1024;
/// Bytes of record data per call, before base64.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// How the server answers one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// HTTP 200, every entry accepted.
    Ok,
    /// HTTP 200; the entries at these positions *of this call* are rejected with this `ErrorCode`.
    FailIndices(Vec<usize>, &'static str),
    /// HTTP 200; every entry whose data contains the text is rejected with this `ErrorCode`, on
    /// whichever call it comes.
    FailWhere(String, &'static str),
    /// HTTP 200; every entry rejected with this `ErrorCode` (`FailedPutCount` = all).
    FailAll(&'static str),
    /// The whole call fails: this HTTP status and AWS error code (`__type`, `x-amzn-ErrorType`).
    Status(u16, &'static str),
    /// Firehose's throttling of a whole call: HTTP 500 `ServiceUnavailableException`, "Slow down.".
    Throttle,
    /// The inner reply, sent after this delay. What the inner reply accepts is kept at once (the
    /// service committed the records; only the answer is late).
    Delay(Duration, Box<Reply>),
    /// Reads the whole request, keeps its records, then closes the connection without answering:
    /// the client cannot know whether they were taken.
    ResetAfterRead,
    /// The inner reply for every call during this time, counted from the first call it answers;
    /// then the script moves on.
    For(Duration, Box<Reply>),
}

impl Reply {
    /// `FailIndices` with `ServiceUnavailableException`.
    pub fn fail_indices(indices: impl IntoIterator<Item = usize>) -> Reply {
        Reply::FailIndices(indices.into_iter().collect(), SERVICE_UNAVAILABLE)
    }

    /// `FailWhere` with `ServiceUnavailableException`.
    pub fn fail_where(needle: impl Into<String>) -> Reply {
        Reply::FailWhere(needle.into(), SERVICE_UNAVAILABLE)
    }

    /// `Delay` of `inner`.
    pub fn delay(delay: Duration, inner: Reply) -> Reply {
        Reply::Delay(delay, Box::new(inner))
    }

    /// `For` of `inner`.
    pub fn for_time(time: Duration, inner: Reply) -> Reply {
        Reply::For(time, Box::new(inner))
    }
}

/// One call the server received.
#[derive(Debug, Clone)]
pub struct Call {
    /// 1 for the first call.
    pub n: usize,
    /// When its request had been read.
    pub at: Instant,
    /// `DeliveryStreamName`.
    pub stream: String,
    /// The records' data, decoded, in request order.
    pub records: Vec<Bytes>,
    /// Sum of the records' decoded sizes.
    pub data_bytes: usize,
    /// Size of the HTTP body (JSON with base64 data).
    pub body_bytes: usize,
    /// How it was answered (a `For` resolved to its inner reply).
    pub reply: Reply,
    /// Records the server kept from this call.
    pub accepted: usize,
}

/// Totals over all calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// PutRecordBatch calls received (limit violations included).
    pub calls: usize,
    /// Records received, resends included.
    pub records_received: u64,
    /// Records kept, duplicates included.
    pub accepted: u64,
    /// Different records kept (by content).
    pub distinct_accepted: u64,
    /// `accepted - distinct_accepted`.
    pub duplicates: u64,
    /// Most records in one call.
    pub max_records_per_request: usize,
    /// Most decoded record bytes in one call.
    pub max_request_bytes: usize,
    /// Largest decoded record.
    pub max_record_bytes: usize,
    /// Calls refused for breaking a Firehose limit, described.
    pub limit_violations: Vec<String>,
}

struct Scripted {
    reply: Reply,
    started: Option<Instant>,
}

struct Inner {
    script: VecDeque<Scripted>,
    default: Reply,
    /// Replies for every call to these streams, ahead of the script.
    by_stream: HashMap<String, Reply>,
    calls: Vec<Call>,
    kept: HashMap<Bytes, u32>,
    stats: Stats,
}

impl Inner {
    /// The reply for the next call, `For` resolved.
    fn next_reply(&mut self, now: Instant) -> Reply {
        // Each turn either answers or removes one entry: bounded by the script's length.
        while let Some(front) = self.script.front_mut() {
            match &front.reply {
                Reply::For(time, inner) => {
                    let started = *front.started.get_or_insert(now);
                    if now.duration_since(started) < *time {
                        return (**inner).clone();
                    }
                    self.script.pop_front();
                }
                _ => return self.script.pop_front().map(|s| s.reply).unwrap_or(Reply::Ok),
            }
        }
        self.default.clone()
    }
}

struct State {
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock must not hide its own failure behind ours.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The server. Dropping it stops it.
pub struct FaultFirehose {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultFirehose {
    /// A server answering [`Reply::Ok`] once its script is empty.
    pub fn start() -> FaultFirehose {
        FaultFirehose::with_default(Reply::Ok)
    }

    /// A server answering `default` once its script is empty.
    pub fn with_default(default: Reply) -> FaultFirehose {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                script: VecDeque::new(),
                default,
                by_stream: HashMap::new(),
                calls: Vec::new(),
                kept: HashMap::new(),
                stats: Stats::default(),
            }),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("fault-firehose-{}", addr.port()))
            .spawn(move || run(listener, served, stop))
            .expect("spawn the server thread");
        FaultFirehose {
            addr,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The address it listens on (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Appends replies to the script.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        let mut inner = self.state.lock();
        inner
            .script
            .extend(replies.into_iter().map(|reply| Scripted { reply, started: None }));
    }

    /// Sets the reply used once the script is empty.
    pub fn set_default(&self, reply: Reply) {
        self.state.lock().default = reply;
    }

    /// Answers every call to `stream` with `reply` (a `For` is not resolved here: use a plain
    /// reply), leaving the script to the other streams' calls.
    pub fn set_stream_reply(&self, stream: &str, reply: Reply) {
        self.state.lock().by_stream.insert(stream.to_owned(), reply);
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().calls.clone()
    }

    /// Totals so far.
    pub fn stats(&self) -> Stats {
        self.state.lock().stats.clone()
    }

    /// How many times the server kept a record with exactly this data.
    pub fn kept(&self, data: &[u8]) -> u32 {
        self.state.lock().kept.get(data).copied().unwrap_or(0)
    }

    /// A Firehose client for this server, with a 2 s attempt timeout.
    pub fn client(&self) -> FirehoseClient {
        self.client_with_timeout(Duration::from_secs(2))
    }

    /// A Firehose client for this server, configured like `logpipe::aws::clients()` (SDK retries
    /// off, connect and attempt timeouts) but with static test credentials, us-east-1, this
    /// endpoint, and `attempt_timeout` per call.
    pub fn client_with_timeout(&self, attempt_timeout: Duration) -> FirehoseClient {
        let config = aws_sdk_firehose::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .endpoint_url(self.endpoint())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
            .build();
        FirehoseClient(aws_sdk_firehose::Client::from_conf(config))
    }
}

impl Drop for FaultFirehose {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread: accepts connections until told to stop, then drops them all.
fn run(listener: std::net::TcpListener, state: Arc<State>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fault-firehose-worker")
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let mut connections = tokio::task::JoinSet::new();
        // Runs for the server's lifetime: ends when the FaultFirehose is dropped (or forgotten, as
        // then the sender is dropped too).
        loop {
            tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        connections.spawn(serve(stream, Arc::clone(&state)));
                    }
                    // Out of file descriptors and the like: wait instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
}

async fn serve(stream: tokio::net::TcpStream, state: Arc<State>) {
    let service = hyper::service::service_fn(move |request| handle(request, Arc::clone(&state)));
    // A connection ending in an error (client gone, an injected reset) just ends.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
struct CloseWithoutAnswer;

impl std::fmt::Display for CloseWithoutAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by the fault server after reading the request")
    }
}

impl std::error::Error for CloseWithoutAnswer {}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    delivery_stream_name: String,
    records: Vec<InputRecord>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputRecord {
    data: String,
}

async fn handle(request: Request<Incoming>, state: Arc<State>) -> Result<Response<Full<Bytes>>, CloseWithoutAnswer> {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let is_post_root = request.method() == Method::POST && request.uri().path() == "/";
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Err(CloseWithoutAnswer),
    };
    let at = Instant::now();
    if !is_post_root || target != PUT_RECORD_BATCH {
        return Ok(error(
            400,
            "UnknownOperationException",
            &format!("unsupported operation {target:?}"),
        ));
    }
    let input: Input = match serde_json::from_slice(&body) {
        Ok(input) => input,
        Err(e) => return Ok(error(400, "SerializationException", &e.to_string())),
    };
    let mut records = Vec::with_capacity(input.records.len());
    for record in &input.records {
        match base64::engine::general_purpose::STANDARD.decode(&record.data) {
            Ok(data) => records.push(Bytes::from(data)),
            Err(e) => {
                return Ok(error(
                    400,
                    "SerializationException",
                    &format!("Data is not base64: {e}"),
                ))
            }
        }
    }
    let Recorded { n, reply, failed } = match record_call(&state, at, input.delivery_stream_name, records, body.len()) {
        Ok(recorded) => recorded,
        Err(violation) => return Ok(error(400, "ValidationException", &violation)),
    };
    let (delay, answer) = unwrap_delays(&reply);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match answer {
        Reply::Status(status, code) => Ok(error(*status, code, &message_for(code))),
        Reply::Throttle => Ok(error(500, SERVICE_UNAVAILABLE, "Slow down.")),
        Reply::ResetAfterRead => Err(CloseWithoutAnswer),
        _ => Ok(success(n, &failed)),
    }
}

/// A recorded call: its number, its reply and each entry's error code (`None`: accepted).
struct Recorded {
    n: usize,
    reply: Reply,
    failed: Vec<Option<&'static str>>,
}

/// Records a call and picks its reply; or describes the Firehose limit the call breaks.
fn record_call(
    state: &State,
    at: Instant,
    stream: String,
    records: Vec<Bytes>,
    body_bytes: usize,
) -> Result<Recorded, String> {
    let data_bytes: usize = records.iter().map(Bytes::len).sum();
    let largest = records.iter().map(Bytes::len).max().unwrap_or(0);

    let mut guard = state.lock();
    let inner = &mut *guard;
    let n = inner.calls.len() + 1;
    let stats = &mut inner.stats;
    stats.calls += 1;
    stats.records_received += records.len() as u64;
    stats.max_records_per_request = stats.max_records_per_request.max(records.len());
    stats.max_request_bytes = stats.max_request_bytes.max(data_bytes);
    stats.max_record_bytes = stats.max_record_bytes.max(largest);
    let violation = if records.is_empty() || records.len() > MAX_RECORDS {
        Some(format!("call {n}: {} records", records.len()))
    } else if largest > MAX_RECORD_BYTES {
        Some(format!("call {n}: a record of {largest} bytes"))
    } else if data_bytes > MAX_REQUEST_BYTES {
        Some(format!("call {n}: {data_bytes} bytes of record data"))
    } else {
        None
    };
    if let Some(violation) = violation {
        stats.limit_violations.push(violation.clone());
        inner.calls.push(Call {
            n,
            at,
            stream,
            records,
            data_bytes,
            body_bytes,
            reply: Reply::Status(400, "ValidationException"),
            accepted: 0,
        });
        return Err(violation);
    }

    let reply = match inner.by_stream.get(&stream) {
        Some(reply) => reply.clone(),
        None => inner.next_reply(at),
    };
    let (_, answer) = unwrap_delays(&reply);
    let failed = failed_entries(answer, &records);
    let accepted: Vec<&Bytes> = match answer {
        Reply::Status(..) | Reply::Throttle => Vec::new(),
        _ => records
            .iter()
            .zip(&failed)
            .filter(|(_, f)| f.is_none())
            .map(|(r, _)| r)
            .collect(),
    };
    let accepted_count = accepted.len();
    for data in accepted {
        let seen = inner.kept.entry(data.clone()).or_insert(0);
        *seen += 1;
        inner.stats.accepted += 1;
        if *seen == 1 {
            inner.stats.distinct_accepted += 1;
        } else {
            inner.stats.duplicates += 1;
        }
    }
    inner.calls.push(Call {
        n,
        at,
        stream,
        records,
        data_bytes,
        body_bytes,
        reply: reply.clone(),
        accepted: accepted_count,
    });
    Ok(Recorded { n, reply, failed })
}

/// The total delay and the reply under any `Delay`s.
fn unwrap_delays(reply: &Reply) -> (Duration, &Reply) {
    let mut delay = Duration::ZERO;
    let mut reply = reply;
    // Bounded by the nesting of the (finite) reply.
    loop {
        match reply {
            Reply::Delay(d, inner) => {
                delay += *d;
                reply = inner;
            }
            Reply::For(_, inner) => reply = inner,
            _ => return (delay, reply),
        }
    }
}

/// The error code of each entry of a 200 answer, `None` for an accepted one.
fn failed_entries(reply: &Reply, records: &[Bytes]) -> Vec<Option<&'static str>> {
    records
        .iter()
        .enumerate()
        .map(|(i, data)| match reply {
            Reply::FailIndices(indices, code) => indices.contains(&i).then_some(*code),
            Reply::FailWhere(needle, code) => contains(data, needle.as_bytes()).then_some(*code),
            Reply::FailAll(code) => Some(*code),
            _ => None,
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn message_for(code: &str) -> String {
    match code {
        SERVICE_UNAVAILABLE => "Slow down.".to_owned(),
        "InternalFailure" => "Internal service failure.".to_owned(),
        _ => format!("{code} injected by the fault server"),
    }
}

fn request_id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn success(n: usize, failed: &[Option<&'static str>]) -> Response<Full<Bytes>> {
    let entries: Vec<serde_json::Value> = failed
        .iter()
        .enumerate()
        .map(|(i, code)| match code {
            Some(code) => serde_json::json!({"ErrorCode": code, "ErrorMessage": message_for(code)}),
            None => serde_json::json!({"RecordId": format!("{:056}", n as u64 * 1_000_000 + i as u64)}),
        })
        .collect();
    let body = serde_json::json!({
        "FailedPutCount": failed.iter().filter(|f| f.is_some()).count(),
        "Encrypted": false,
        "RequestResponses": entries,
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", request_id(n))
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid response")
}

fn error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"__type": code, "message": message});
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-errortype", code)
        .header("x-amzn-requestid", request_id(0))
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid response")
}
