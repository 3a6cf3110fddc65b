//! Helpers for the end-to-end tests against a real AWS API emulator (feature `emulator`).
//!
//! The tests talk to `moto_server` through the AWS SDK for Rust, at `AWS_ENDPOINT_URL` (which must be
//! a loopback address: these tests never leave the machine). `scripts/test.sh` starts moto, sets
//! `AWS_ENDPOINT_URL`, test credentials and a region, and runs
//! `cargo test -p logpipe-e2e --features emulator`.
//!
//! What moto does that the tests rely on (checked with moto 5.2.5, see the project's toolchain notes):
//! - Firehose with an ExtendedS3 destination writes one S3 object per PutRecordBatch call, right
//!   away, holding the records concatenated. logpipe's records end in `\n`, so objects are NDJSON.
//! - A CloudWatch Logs subscription filter to a Kinesis stream puts one gzip'd payload per
//!   PutLogEvents call on the stream. Its log event `id`s are JSON integers from one counter for
//!   the whole moto server (10, 11, 12, … ; AWS sends unique 56-digit strings), so they are unique
//!   while the server runs but start again after a restart or `/moto-api/reset`.
//!
//! Tests run in parallel in one moto, so every test creates its own buckets and streams
//! ([`unique`]). The sample log bucket `logpipe-sample-logs` is shared: the sample events name it;
//! it is filled once per test process.

use crate::root;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use base64::Engine;
use flate2::read::MultiGzDecoder;
use logpipe::lambda::config::Config;
use logpipe::lambda::AwsDeps;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The bucket the sample events name.
pub const SAMPLE_BUCKET: &str = "logpipe-sample-logs";
/// The ALB access log sample (29 lines; line 29 is damaged).
pub const ALB_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz";
/// The ALB connection log sample (17 lines).
pub const CONN_LOG_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_5k2hq9wz.log.gz";
/// The key `s3-put-missing-object.json` names; never uploaded.
pub const MISSING_KEY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0510Z_192.0.2.10_9zq3m1xw.log.gz";
/// The CloudFront sample: two concatenated files, each with `#Version` and `#Fields` headers.
pub const CLOUDFRONT_KEY: &str = "cloudfront/E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz";
/// A copy of the ALB sample under a key with a space and a `+`.
pub const SPACES_KEY: &str = "manual uploads/alb copy+1.log.gz";
/// The ALB sample cut in half.
pub const CORRUPT_KEY: &str = "broken/corrupt-truncated.log.gz";
/// Our account in moto.
pub const ACCOUNT: &str = "123456789012";

/// How long one AWS call may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// `AWS_ENDPOINT_URL`, checked to be a loopback address. Panics with instructions when it is not set.
pub fn endpoint() -> String {
    let url = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if url.trim().is_empty() {
        panic!(
            "AWS_ENDPOINT_URL is not set. The `emulator` tests need a running moto_server: run ./scripts/test.sh, \
             or start `.venv/bin/moto_server -H 127.0.0.1 -p 5000` and set AWS_ENDPOINT_URL=http://127.0.0.1:5000 \
             AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1"
        );
    }
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    assert!(
        ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|h| host == *h || host.starts_with(&format!("{h}:"))),
        "AWS_ENDPOINT_URL={url} is not a loopback address; the emulator tests only talk to a local emulator"
    );
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        assert!(
            std::env::var(var).is_ok_and(|v| !v.is_empty()),
            "{var} is not set (moto accepts any value, e.g. `testing`)"
        );
    }
    assert!(
        ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|r| !r.is_empty())),
        "AWS_REGION is not set (e.g. us-east-1)"
    );
    url
}

/// A name no other test (or earlier run against the same moto) uses: lowercase, digits and `-`,
/// short enough for a bucket name with a suffix.
pub fn unique(label: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000_000);
    format!("lp-{label}-{}-{n}-{ms}", std::process::id())
}

/// The AWS clients the tests use to set up and inspect moto (the handlers build their own through
/// `logpipe::aws::clients()`, as in AWS).
#[derive(Clone)]
pub struct Aws {
    /// S3, path-style.
    pub s3: aws_sdk_s3::Client,
    /// Firehose.
    pub firehose: aws_sdk_firehose::Client,
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Aws {
    /// Clients from the standard SDK configuration (environment), after [`endpoint`]'s checks.
    pub async fn from_env() -> Aws {
        endpoint();
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(CALL_TIMEOUT)
                    .build(),
            )
            .load()
            .await;
        let s3 = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        Aws {
            s3: aws_sdk_s3::Client::from_conf(s3),
            firehose: aws_sdk_firehose::Client::new(&shared),
            kinesis: aws_sdk_kinesis::Client::new(&shared),
            logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
        }
    }

    /// Creates a bucket (an existing one of ours is fine: moto answers 200 in us-east-1).
    pub async fn create_bucket(&self, bucket: &str) {
        if let Err(e) = self.s3.create_bucket().bucket(bucket).send().await {
            let owned = e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you());
            assert!(
                owned,
                "create_bucket {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            );
        }
    }

    /// Every key in `bucket` (bounded: at most 100 pages).
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token = None;
        for _ in 0..100 {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .set_continuation_token(token.take())
                .send()
                .await
                .unwrap_or_else(|e| panic!("list s3://{bucket}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)));
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => return keys,
            }
        }
        panic!("s3://{bucket} lists more than 100 pages");
    }

    /// The bytes of one object.
    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "get s3://{bucket}/{key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            });
        out.body
            .collect()
            .await
            .unwrap_or_else(|e| panic!("read s3://{bucket}/{key}: {e}"))
            .into_bytes()
            .to_vec()
    }

    /// Creates `logpipe-sample-logs` and uploads every file under `events/objects/`, keyed by its path
    /// there, once per test process (tests in parallel must not overwrite an object another test is
    /// reading). Returns the keys.
    pub async fn upload_sample_objects(&self) -> Vec<String> {
        static SAMPLES: tokio::sync::OnceCell<Vec<String>> = tokio::sync::OnceCell::const_new();
        SAMPLES.get_or_init(|| self.upload_samples_now()).await.clone()
    }

    /// [`Aws::upload_sample_objects`] without the once-per-process guard; an object already there
    /// with the same size (an earlier test process against the same moto) is left alone.
    async fn upload_samples_now(&self) -> Vec<String> {
        self.create_bucket(SAMPLE_BUCKET).await;
        let base = root().join("events/objects");
        let mut keys = Vec::new();
        for path in files_under(&base) {
            let key = path
                .strip_prefix(&base)
                .expect("under events/objects")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let existing = self.s3.head_object().bucket(SAMPLE_BUCKET).key(&key).send().await;
            if existing.is_ok_and(|h| h.content_length() == Some(body.len() as i64)) {
                keys.push(key);
                continue;
            }
            self.s3
                .put_object()
                .bucket(SAMPLE_BUCKET)
                .key(&key)
                .body(aws_sdk_s3::primitives::ByteStream::from(body))
                .send()
                .await
                .unwrap_or_else(|e| panic!("upload {key}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)));
            keys.push(key);
        }
        assert!(keys.len() >= 6, "events/objects holds {} files", keys.len());
        keys
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// One test's delivery pipeline in moto: a Firehose stream delivering to its own archive bucket
/// (ExtendedS3), and a failed-record bucket.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Firehose delivery stream.
    pub stream: String,
    /// Where Firehose writes what it receives.
    pub archive_bucket: String,
    /// `LOGPIPE_FAILED_BUCKET`.
    pub failed_bucket: String,
}

/// Key prefix Firehose writes under (real Firehose then adds `YYYY/MM/DD/HH/`).
pub const ARCHIVE_PREFIX: &str = "archive/";

impl Pipeline {
    /// Creates the buckets and the delivery stream.
    pub async fn create(aws: &Aws, label: &str) -> Pipeline {
        let name = unique(label);
        let pipeline = Pipeline {
            stream: name.clone(),
            archive_bucket: format!("{name}-archive"),
            failed_bucket: format!("{name}-failed"),
        };
        aws.create_bucket(&pipeline.archive_bucket).await;
        aws.create_bucket(&pipeline.failed_bucket).await;
        let destination = aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/logpipe-firehose"))
            .bucket_arn(format!("arn:aws:s3:::{}", pipeline.archive_bucket))
            .prefix(ARCHIVE_PREFIX)
            .build()
            .expect("role and bucket are set");
        aws.firehose
            .create_delivery_stream()
            .delivery_stream_name(&pipeline.stream)
            .delivery_stream_type(aws_sdk_firehose::types::DeliveryStreamType::DirectPut)
            .extended_s3_destination_configuration(destination)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "create_delivery_stream {}: {}",
                    pipeline.stream,
                    aws_sdk_firehose::error::DisplayErrorContext(&e)
                )
            });
        pipeline
    }

    /// The function's environment for this pipeline (what `template.yaml` would set).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("LOGPIPE_DELIVERY_STREAM".into(), self.stream.clone()),
            ("LOGPIPE_FAILED_BUCKET".into(), self.failed_bucket.clone()),
        ]
    }

    /// The handlers' dependencies, built as `logpipe::lambda::aws_deps()` builds them in the Lambda
    /// functions (SDK clients from the environment, `FirehoseSink` with the default retry policy),
    /// with the settings of [`Pipeline::env`] plus `extra` instead of the process environment, so
    /// that tests running in parallel do not share settings.
    pub async fn deps(&self, extra: &[(&str, &str)]) -> AwsDeps {
        let mut vars: HashMap<String, String> = self.env().into_iter().collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_vars(|k| vars.get(k).cloned()).expect("valid settings");
        logpipe::lambda::aws_deps_with(config).await
    }

    /// What Firehose wrote to the archive bucket so far.
    pub async fn archive(&self, aws: &Aws) -> Archive {
        self.archive_new(aws, &mut BTreeSet::new()).await
    }

    /// What Firehose wrote to the archive bucket in objects not in `seen`, which it adds to `seen`.
    pub async fn archive_new(&self, aws: &Aws, seen: &mut BTreeSet<String>) -> Archive {
        let mut archive = Archive::default();
        for key in aws.keys(&self.archive_bucket).await {
            if !seen.insert(key.clone()) {
                continue;
            }
            assert!(key.starts_with(ARCHIVE_PREFIX), "unexpected archive key {key}");
            let body = aws.get(&self.archive_bucket, &key).await;
            archive.objects += 1;
            archive.bytes += body.len();
            assert!(
                body.ends_with(b"\n"),
                "s3://{}/{key} does not end in a newline",
                self.archive_bucket
            );
            archive.docs.extend(ndjson(&body, &key));
        }
        archive
    }

    /// The lines of the failed-record store (every object is gzip NDJSON), with their keys.
    pub async fn failed_records(&self, aws: &Aws) -> Vec<(String, Value)> {
        self.failed_records_new(aws, &mut BTreeSet::new()).await
    }

    /// [`Pipeline::failed_records`] of the objects not in `seen`, which it adds to `seen`.
    pub async fn failed_records_new(&self, aws: &Aws, seen: &mut BTreeSet<String>) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for key in aws.keys(&self.failed_bucket).await {
            if !seen.insert(key.clone()) {
                continue;
            }
            let body = aws.get(&self.failed_bucket, &key).await;
            assert!(
                body.starts_with(&[0x1f, 0x8b]),
                "failed-record object {key} is not gzip"
            );
            assert!(key.ends_with(".ndjson.gz"), "failed-record object {key}");
            let text = gunzip(&body).unwrap_or_else(|e| panic!("{key}: {e}"));
            out.extend(ndjson(&text, &key).into_iter().map(|v| (key.clone(), v)));
        }
        out
    }
}

/// Parses NDJSON: every non-empty line must be a JSON object.
pub fn ndjson(body: &[u8], name: &str) -> Vec<Value> {
    body.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: Value = serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", String::from_utf8_lossy(l)));
            assert!(v.is_object(), "{name}: not an object: {v}");
            v
        })
        .collect()
}

/// Inflates (multi-member) gzip.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// The documents Firehose delivered.
#[derive(Debug, Default, Clone)]
pub struct Archive {
    /// S3 objects (one per PutRecordBatch call).
    pub objects: usize,
    /// Their bytes.
    pub bytes: usize,
    /// Every document, in key order.
    pub docs: Vec<Value>,
}

impl Archive {
    /// Documents by `event_id` (a document without one is a test failure).
    pub fn by_event_id(&self) -> BTreeMap<String, Vec<&Value>> {
        let mut map: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for d in &self.docs {
            let id = d["event_id"].as_str().unwrap_or_else(|| panic!("no event_id: {d}"));
            map.entry(id.to_owned()).or_default().push(d);
        }
        map
    }

    /// Documents delivered more than once (`delivered - distinct event_ids`).
    pub fn duplicates(&self) -> usize {
        self.docs.len() - self.by_event_id().len()
    }

    /// Error documents.
    pub fn error_docs(&self) -> Vec<&Value> {
        self.docs.iter().filter(|d| d.get("error").is_some()).collect()
    }

    /// Documents whose `event_id` starts with `prefix`.
    pub fn with_id_prefix(&self, prefix: &str) -> Vec<&Value> {
        self.docs
            .iter()
            .filter(|d| d["event_id"].as_str().is_some_and(|id| id.starts_with(prefix)))
            .collect()
    }
}

/// The `event_id` prefix of the lines of `source` (`s3://bucket/key`), computed here as the schema
/// defines it (32 hex digits of XXH3-128 of the source name, then `-`), independently of logpipe.
pub fn id_prefix(source: &str) -> String {
    format!("{:032x}-", xxhash_rust::xxh3::xxh3_128(source.as_bytes()))
}

/// `s3://logpipe-sample-logs/<key>`.
pub fn sample_uri(key: &str) -> String {
    format!("s3://{SAMPLE_BUCKET}/{key}")
}

/// The complete lines of a sample object, decompressed here (not by logpipe). For a truncated or
/// corrupt object: the lines before the damage, and `false`.
pub fn sample_lines(key: &str) -> (Vec<String>, bool) {
    let bytes = std::fs::read(root().join("events/objects").join(key)).unwrap_or_else(|e| panic!("{key}: {e}"));
    let mut out = Vec::new();
    let mut decoder = MultiGzDecoder::new(&bytes[..]);
    let mut buf = [0u8; 4096];
    let complete = loop {
        match decoder.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    let text = String::from_utf8_lossy(&out);
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    // The piece after the last newline: nothing in a complete object, a cut line in a truncated one.
    lines.pop();
    (lines, complete)
}

/// A sample event, `events/<rel>`.
pub fn event(rel: &str) -> Value {
    let path = root().join("events").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample events of one function: `events/<function>/*.json`, sorted.
pub fn events_of(function: &str) -> Vec<(String, Value)> {
    let dir = root().join("events").join(function);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let v = event(&format!("{function}/{n}"));
            (n, v)
        })
        .collect()
}

/// The payload a CloudWatch Logs subscription sends: gzip'd JSON, base64 in an `awslogs` event.
pub fn decode_awslogs(data_b64: &str) -> Value {
    let gz = base64::engine::general_purpose::STANDARD
        .decode(data_b64)
        .expect("awslogs.data is base64");
    serde_json::from_slice(&gunzip(&gz).expect("gzip")).expect("payload JSON")
}

/// One test's figures, printed as one JSON line and appended to `$LOGPIPE_E2E_FIGURES` when set
/// (scripts/test.sh prints that file after the tests, since cargo captures a passing test's output).
#[derive(Debug, Default, Clone)]
pub struct Figures {
    /// Test name.
    pub test: &'static str,
    /// Input units: lines of the objects named, log events, Kinesis records.
    pub records_in: usize,
    /// Documents that reached the archive.
    pub delivered: usize,
    /// Records in the failed-record store.
    pub failed_stored: usize,
    /// Error documents among the delivered.
    pub error_documents: usize,
    /// `delivered - distinct event_ids`.
    pub duplicates: usize,
    /// Wall time of the test.
    pub wall_ms: u128,
    /// Anything else worth reporting.
    pub extra: Value,
}

impl Figures {
    /// Prints (and records) the figures.
    pub fn publish(&self) {
        let mut line = json!({
            "test": self.test,
            "records_in": self.records_in,
            "delivered": self.delivered,
            "failed_stored": self.failed_stored,
            "error_documents": self.error_documents,
            "duplicates": self.duplicates,
            "wall_ms": self.wall_ms,
        });
        if let (Some(map), Some(extra)) = (line.as_object_mut(), self.extra.as_object()) {
            map.extend(extra.clone());
        }
        let text = format!("{line}\n");
        print!("{text}");
        if let Ok(path) = std::env::var("LOGPIPE_E2E_FIGURES") {
            if !path.is_empty() {
                if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                    let _ = f.write_all(text.as_bytes());
                }
            }
        }
    }
}

/// Milliseconds since `start`.
pub fn ms_since(start: Instant) -> u128 {
    start.elapsed().as_millis()
}

/// A free TCP port on 127.0.0.1 (free when asked; good enough for a test).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A minimal HTTP/1.0 POST over loopback (no client crate needed): status and body. `Connection:
/// close` semantics, so the body ends where the connection does. Bounded by `timeout`.
pub fn http_post(addr: SocketAddr, path: &str, body: &[u8], timeout: Duration) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP header end"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let body = response[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return Ok((status, dechunk(&body)));
    }
    Ok((status, body))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || body.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[(eol + 4 + size).min(body.len())..];
    }
    out
}

/// A child process in its own process group, stopped (the whole group: `cargo lambda watch` and the
/// function processes it starts) when dropped, also when a test panics. Its pid is written to
/// `$LOGPIPE_E2E_PIDS/<pid>` while it runs, so that scripts/test.sh can stop it if the test process
/// itself is killed.
pub struct ProcessGroup {
    child: Child,
    what: String,
    pid_file: Option<PathBuf>,
}

impl ProcessGroup {
    /// Spawns `command` in a new process group.
    pub fn spawn(mut command: Command, what: &str) -> ProcessGroup {
        command.process_group(0).stdin(Stdio::null());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {what}: {e}"));
        let pid_file = std::env::var("LOGPIPE_E2E_PIDS")
            .ok()
            .filter(|d| !d.is_empty())
            .map(|d| PathBuf::from(d).join(child.id().to_string()));
        if let Some(f) = &pid_file {
            let _ = std::fs::write(f, what);
        }
        ProcessGroup {
            child,
            what: what.to_owned(),
            pid_file,
        }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if self.running() {
            self.signal_group("-TERM");
            let until = Instant::now() + Duration::from_secs(10);
            while self.running() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        // The group may outlive its leader (a function process): always finish it off.
        self.signal_group("-KILL");
        let _ = self.child.wait();
        if let Some(f) = &self.pid_file {
            let _ = std::fs::remove_file(f);
        }
        eprintln!("stopped {} (pid {})", self.what, self.child.id());
    }
}

/// How `cargo lambda watch` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// It starts each function itself, with `cargo run --bin <function>`, on its first invocation.
    RunFunctions,
    /// `--only-lambda-apis`: only the Runtime API; the test starts the function binaries.
    OnlyApis,
}

/// `cargo lambda watch`: the Lambda Runtime API emulator (Invoke endpoint and Runtime API on one
/// 127.0.0.1 port).
pub struct LambdaWatch {
    process: ProcessGroup,
    /// Where invocations go, and the Runtime API (`/.rt/<function>/2018-06-01/...`).
    pub addr: SocketAddr,
    /// Its output (and, in [`WatchMode::RunFunctions`], the functions').
    pub log: PathBuf,
}

/// The cargo that runs the tests (`$CARGO`), for `cargo lambda`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// `target/emulator-tests/`, for logs (outside every crate, so `cargo lambda watch` never sees them).
pub fn log_dir() -> PathBuf {
    let dir = root().join("target").join("emulator-tests");
    std::fs::create_dir_all(&dir).expect("create target/emulator-tests");
    dir
}

impl LambdaWatch {
    /// Starts `cargo lambda watch --ignore-changes` in the workspace root on a free 127.0.0.1 port,
    /// with `env` added to the environment it passes to the functions, and waits (at most 120 s)
    /// until it accepts connections. Panics with instructions when cargo-lambda is not installed.
    pub fn start(env: &[(String, String)], mode: WatchMode) -> LambdaWatch {
        let version = Command::new(cargo()).args(["lambda", "-V"]).output();
        match version {
            Ok(out) if out.status.success() => {}
            _ => panic!(
                "`cargo lambda` is not available. scripts/test.sh installs it into .venv (pip install cargo-lambda); \
                 put .venv/bin on PATH: export PATH=\"$PWD/.venv/bin:$PATH\""
            ),
        }
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = log_dir().join(format!("cargo-lambda-watch-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).expect("watch log file");
        let err = out.try_clone().expect("watch log file");
        let mut command = Command::new(cargo());
        command
            .current_dir(root())
            .args(["lambda", "watch", "--ignore-changes", "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(out)
            .stderr(err);
        if mode == WatchMode::OnlyApis {
            command.arg("--only-lambda-apis");
        }
        // The test runs under `cargo test`, which sets the variables of *this* package; the nested
        // `cargo run` of each function must not see them.
        for (k, _) in std::env::vars() {
            if k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_MANIFEST_")
                || ["CARGO_CRATE_NAME", "CARGO_PRIMARY_PACKAGE", "CARGO_BIN_NAME"].contains(&k.as_str())
            {
                command.env_remove(k);
            }
        }
        let mut process = ProcessGroup::spawn(command, "cargo lambda watch");
        let until = Instant::now() + Duration::from_secs(120);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
                break;
            }
            assert!(
                process.running(),
                "cargo lambda watch exited early:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            assert!(
                Instant::now() < until,
                "cargo lambda watch did not listen on {addr} within 120 s:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        LambdaWatch { process, addr, log }
    }

    /// The Runtime API base of `function` (the value of `AWS_LAMBDA_RUNTIME_API` that `cargo lambda
    /// watch` gives it).
    pub fn runtime_api(&self, function: &str) -> String {
        format!("http://{}/.rt/{function}", self.addr)
    }

    /// Invokes `function` with `payload` through the Invoke endpoint
    /// (`POST /2015-03-31/functions/<name>/invocations`), waiting at most `timeout`. Returns the
    /// HTTP status and the response body as JSON (`Value::String` if it is not JSON).
    pub fn invoke(&mut self, function: &str, payload: &[u8], timeout: Duration) -> (u16, Value) {
        assert!(
            self.process.running(),
            "cargo lambda watch is not running:\n{}",
            self.log_tail()
        );
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let (status, body) = http_post(self.addr, &path, payload, timeout)
            .unwrap_or_else(|e| panic!("invoke {function}: {e}\n{}", self.log_tail()));
        let value =
            serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
        (status, value)
    }

    /// `cargo lambda invoke <function> --data-file <file>` against this watch; its stdout as JSON.
    pub fn cli_invoke(&self, function: &str, data_file: &str) -> Value {
        let out = Command::new(cargo())
            .current_dir(root())
            .args(["lambda", "invoke", function, "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &self.addr.port().to_string()])
            .args(["--data-file", data_file])
            .stdin(Stdio::null())
            .output()
            .expect("cargo lambda invoke");
        assert!(
            out.status.success(),
            "cargo lambda invoke {function} --data-file {data_file}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "cargo lambda invoke printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// The last 60 lines of its output.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// The whole output so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The built binary of a function (`target/<profile>/<name>`, next to this test's `deps/`).
pub fn function_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join(name))
        .expect("test binary lives in target/<profile>/deps");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Starts a function binary as the Lambda service would: `AWS_LAMBDA_RUNTIME_API` and the function's
/// name, version and memory (as `cargo lambda watch` sets them), plus `env`. Output goes to
/// `target/emulator-tests/<name>-<pid>.log`.
pub fn start_function(name: &str, runtime_api: &str, env: &[(String, String)]) -> (ProcessGroup, PathBuf) {
    let log = log_dir().join(format!("{name}-{}.log", std::process::id()));
    let out = std::fs::File::create(&log).expect("function log file");
    let err = out.try_clone().expect("function log file");
    let mut command = Command::new(function_binary(name));
    command
        .current_dir(root())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "4096")
        .stdout(out)
        .stderr(err);
    (ProcessGroup::spawn(command, name), log)
}

/// The Runtime API header carrying the invocation's deadline.
pub const DEADLINE_HEADER: &str = "lambda-runtime-deadline-ms";

/// A proxy in front of `cargo lambda watch`'s Runtime API that fixes one header.
///
/// AWS sends `Lambda-Runtime-Deadline-Ms` as the deadline in Unix epoch milliseconds, and
/// `lambda_runtime` reads it so (`Context::deadline()` is `UNIX_EPOCH + ms`). cargo-lambda 1.9.2
/// sends the constant `600000` instead (`crates/cargo-lambda-watch/src/runtime/functions_router.rs`),
/// which reads as 00:10 on 1 January 1970: a deadline long past. The proxy turns such a small value
/// `v` into `now + v` (a 10-minute timeout) and passes everything else through unchanged, so the
/// functions run under cargo-lambda's real Runtime API with a deadline as AWS would give it.
pub struct DeadlineProxy {
    /// Where the functions connect (`AWS_LAMBDA_RUNTIME_API=http://<addr>/.rt/<function>`).
    pub addr: SocketAddr,
    rewritten: Arc<std::sync::atomic::AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DeadlineProxy {
    /// Starts the proxy for `upstream` on a free 127.0.0.1 port, on its own thread and runtime.
    pub fn start(upstream: SocketAddr) -> DeadlineProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("proxy address");
        let rewritten = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let counter = Arc::clone(&rewritten);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let counter = Arc::clone(&counter);
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(move |req| {
                                    forward(req, upstream, Arc::clone(&counter))
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        DeadlineProxy {
            addr,
            rewritten,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The Runtime API base for `function` through the proxy.
    pub fn runtime_api(&self, function: &str) -> String {
        format!("http://{}/.rt/{function}", self.addr)
    }

    /// How many deadlines it rewrote.
    pub fn rewritten(&self) -> u64 {
        self.rewritten.load(Ordering::Relaxed)
    }
}

impl Drop for DeadlineProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn forward(
    req: hyper::Request<hyper::body::Incoming>,
    upstream: SocketAddr,
    rewritten: Arc<std::sync::atomic::AtomicU64>,
) -> std::io::Result<hyper::Response<hyper::body::Incoming>> {
    let stream = tokio::net::TcpStream::connect(upstream).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(connection);
    let mut response = sender.send_request(req).await.map_err(std::io::Error::other)?;
    let relative = response
        .headers()
        .get(DEADLINE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms < 1_000_000_000_000); // before 2001-09-09: not an epoch deadline
    if let Some(ms) = relative {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        response
            .headers_mut()
            .insert(DEADLINE_HEADER, hyper::header::HeaderValue::from(now + ms));
        rewritten.fetch_add(1, Ordering::Relaxed);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Checks of what reached the archive, against the samples decoded here

/// The format of a sample object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ALB access log.
    Alb,
    /// CloudFront standard log.
    CloudFront,
    /// ALB connection log.
    AlbConnection,
}

impl Kind {
    /// Its `log_type`.
    pub fn log_type(self) -> &'static str {
        match self {
            Kind::Alb => "alb",
            Kind::CloudFront => "cloudfront",
            Kind::AlbConnection => "alb_connection",
        }
    }
}

/// What one sample object became.
#[derive(Debug, Default)]
pub struct ObjectCheck {
    /// Lines of the object (decompressed here).
    pub lines: usize,
    /// Its documents in the archive (error documents included).
    pub docs: usize,
    /// Its error documents.
    pub errors: usize,
}

/// Asserts that every line of the sample object `key` reached the archive exactly once, as a
/// document of the right type whose `event_id` is `<prefix>-<line>`, with fields matching the raw
/// line (or as an error document carrying the raw line); header lines give nothing; a damaged
/// object ends with one `corrupt_gzip` error document.
pub fn check_object(archive: &Archive, key: &str, kind: Kind) -> ObjectCheck {
    let uri = sample_uri(key);
    let prefix = id_prefix(&uri);
    let (lines, complete) = sample_lines(key);
    assert!(!lines.is_empty(), "{key} has no lines");
    let docs = archive.with_id_prefix(&prefix);
    let mut by_id: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for d in &docs {
        by_id.entry(d["event_id"].as_str().unwrap()).or_default().push(d);
    }
    let mut check = ObjectCheck {
        lines: lines.len(),
        docs: docs.len(),
        errors: 0,
    };
    let mut fields: Vec<String> = Vec::new();
    let mut expected = 0;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let id = format!("{prefix}{n}");
        let found = by_id.get(id.as_str()).map_or(&[][..], |v| &v[..]);
        if kind == Kind::CloudFront && line.starts_with('#') {
            assert!(found.is_empty(), "header line {n} of {key} became a document");
            if let Some(f) = line.strip_prefix("#Fields:") {
                fields = f.split_whitespace().map(str::to_owned).collect();
            }
            continue;
        }
        assert_eq!(
            found.len(),
            1,
            "line {n} of {key} was delivered {} times: {line}",
            found.len()
        );
        expected += 1;
        let doc = found[0];
        assert_eq!(doc["log_type"], kind.log_type(), "line {n} of {key}: {doc}");
        if let Some(error) = doc.get("error") {
            check.errors += 1;
            assert_eq!(
                doc["message"],
                line.as_str(),
                "error document keeps the raw line: {doc}"
            );
            assert_eq!(error["line"], n, "{doc}");
            assert_eq!(error["source"], uri.as_str(), "{doc}");
            continue;
        }
        match kind {
            Kind::Alb => check_alb_fields(doc, line),
            Kind::CloudFront => check_cloudfront_fields(doc, line, &fields),
            Kind::AlbConnection => check_alb_connection_fields(doc, line),
        }
    }
    if complete {
        assert_eq!(docs.len(), expected, "{key}: documents that match no line");
    } else {
        assert_eq!(
            docs.len(),
            expected + 1,
            "{key}: one error document for the damaged end"
        );
        let tail = by_id
            .get(format!("{prefix}{}", lines.len() + 1).as_str())
            .unwrap_or_else(|| panic!("{key}: no error document after the last line"))[0];
        assert_eq!(tail["error"]["kind"], "corrupt_gzip", "{tail}");
        assert_eq!(tail["error"]["source"], uri.as_str(), "{tail}");
        check.errors += 1;
    }
    check
}

/// An ALB document against its raw line (fields split here, not by logpipe).
pub fn check_alb_fields(doc: &Value, line: &str) {
    let f: Vec<&str> = line.split(' ').collect();
    assert_eq!(doc["type"], f[0], "{line}\n{doc}");
    assert_eq!(doc["@timestamp"], f[1], "{line}\n{doc}");
    assert_eq!(doc["elb"], f[2], "{line}\n{doc}");
    let (ip, port) = f[3].rsplit_once(':').expect("client ip:port");
    assert_eq!(doc["client_ip"], ip, "{line}\n{doc}");
    assert_eq!(doc["client_port"], port.parse::<u64>().unwrap(), "{line}\n{doc}");
    for (field, raw) in [
        ("elb_status_code", f[8]),
        ("target_status_code", f[9]),
        ("received_bytes", f[10]),
        ("sent_bytes", f[11]),
    ] {
        match raw {
            "-" => assert!(doc.get(field).is_none(), "`-` means absent: {field} in {doc}"),
            n => assert_eq!(doc[field], n.parse::<i64>().unwrap(), "{field}: {line}\n{doc}"),
        }
    }
    let request = line.split('"').nth(1).expect("quoted request");
    match request.split(' ').next().unwrap() {
        "-" => assert!(doc.get("request_verb").is_none(), "{doc}"),
        verb => assert_eq!(doc["request_verb"], verb, "{doc}"),
    }
}

/// An ALB connection log document against its raw line (the sample's lines have no `-`, and their
/// one quoted field, the certificate subject, comes after the fields checked here).
pub fn check_alb_connection_fields(doc: &Value, line: &str) {
    let f: Vec<&str> = line.split(' ').collect();
    assert_eq!(doc["@timestamp"], f[0], "{line}\n{doc}");
    assert_eq!(doc["client_ip"], f[1], "{line}\n{doc}");
    assert_eq!(doc["client_port"], f[2].parse::<u64>().unwrap(), "{line}\n{doc}");
    assert_eq!(doc["listener_port"], f[3].parse::<u64>().unwrap(), "{line}\n{doc}");
    assert_eq!(doc["tls_protocol"], f[4], "{line}\n{doc}");
    assert_eq!(doc["tls_cipher"], f[5], "{line}\n{doc}");
    assert_eq!(doc["conn_trace_id"], f[f.len() - 1], "{line}\n{doc}");
}

/// A CloudFront document against its raw line and the `#Fields` header in force.
pub fn check_cloudfront_fields(doc: &Value, line: &str, fields: &[String]) {
    let values: Vec<&str> = line.split('\t').collect();
    assert_eq!(values.len(), fields.len(), "{line}");
    let get = |name: &str| values[fields.iter().position(|f| f == name).unwrap()];
    assert_eq!(doc["@timestamp"], format!("{}T{}Z", get("date"), get("time")), "{doc}");
    for (field, name) in [
        ("x_edge_location", "x-edge-location"),
        ("c_ip", "c-ip"),
        ("cs_method", "cs-method"),
        ("cs_uri_stem", "cs-uri-stem"),
    ] {
        assert_eq!(doc[field], get(name), "{field}: {line}\n{doc}");
    }
    assert_eq!(doc["sc_status"], get("sc-status").parse::<i64>().unwrap(), "{doc}");
    assert_eq!(doc["sc_bytes"], get("sc-bytes").parse::<i64>().unwrap(), "{doc}");
}

/// One log event as the payload has it (ids as text, integers included).
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// `id`.
    pub id: String,
    /// `timestamp`, epoch ms.
    pub timestamp_ms: i64,
    /// `message`.
    pub message: String,
}

/// The log events of a CloudWatch Logs payload.
pub fn log_events(payload: &Value) -> Vec<LogEvent> {
    payload["logEvents"]
        .as_array()
        .expect("logEvents")
        .iter()
        .map(|e| LogEvent {
            id: match &e["id"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("log event id {other}"),
            },
            timestamp_ms: e["timestamp"].as_i64().expect("timestamp"),
            message: e["message"].as_str().expect("message").to_owned(),
        })
        .collect()
}

/// RFC 3339 UTC with milliseconds, computed here (civil-from-days, H. Hinnant).
pub fn rfc3339_ms(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Asserts that the log events of `payload` are in `docs` exactly once each (by `event_id`), as
/// `cloudwatch` documents with the payload's group, stream, owner, message and time.
pub fn check_payload(docs: &[&Value], payload: &Value) -> usize {
    let events = log_events(payload);
    for e in &events {
        let found: Vec<&&Value> = docs
            .iter()
            .filter(|d| d["event_id"] == e.id.as_str() && d["log_stream"] == payload["logStream"])
            .collect();
        assert_eq!(found.len(), 1, "log event {} delivered {} times", e.id, found.len());
        let d = found[0];
        assert_eq!(d["log_type"], "cloudwatch", "{d}");
        assert_eq!(d["message"], e.message.as_str(), "{d}");
        assert_eq!(d["@timestamp"], rfc3339_ms(e.timestamp_ms), "{d}");
        assert_eq!(d["log_group"], payload["logGroup"], "{d}");
        assert_eq!(d["owner"], payload["owner"], "{d}");
        assert!(d.get("error").is_none(), "{d}");
    }
    events.len()
}

/// The payload of a Kinesis record of a sample event, if it is a CloudWatch Logs payload.
pub fn record_payload(record: &Value) -> Option<Value> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(record["kinesis"]["data"].as_str()?)
        .ok()?;
    let plain = if data.starts_with(&[0x1f, 0x8b]) {
        gunzip(&data).ok()?
    } else {
        data
    };
    let v: Value = serde_json::from_slice(&plain).ok()?;
    v.get("logEvents").is_some().then_some(v)
}
