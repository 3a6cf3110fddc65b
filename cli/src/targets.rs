//! Where `ship` and `invoke` read from and write to: local folders, or AWS (S3, Firehose).

use anyhow::{bail, Context, Result};
use logpipe::aws::{FirehoseClient, S3Client};
use logpipe::delivery::{BatchResult, FirehoseSink, ObjectStore, Record, RecordSink, RetryPolicy};
use logpipe::lambda::local::LocalRecordSink;
use logpipe::objects::{GetError, LocalObjects, ObjectBody, ObjectSource};
use logpipe::sink::LocalDirSink;
use std::path::PathBuf;
use std::str::FromStr;
use tokio::time::Instant;

/// `--sink`: a local folder (archive + `_bulk` files) or `firehose://STREAM`.
#[derive(Debug, Clone)]
pub enum SinkArg {
    Dir(PathBuf),
    Firehose(String),
}

impl FromStr for SinkArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix("firehose://") {
            Some("") => Err("firehose:// needs a delivery stream name".into()),
            Some(stream) => Ok(SinkArg::Firehose(stream.to_owned())),
            None => Ok(SinkArg::Dir(PathBuf::from(s))),
        }
    }
}

impl SinkArg {
    /// The folder that holds the failed-record store when none is given.
    pub fn default_store_dir(&self) -> PathBuf {
        match self {
            SinkArg::Dir(dir) => dir.clone(),
            SinkArg::Firehose(_) => PathBuf::from("logpipe-out"),
        }
    }
}

/// `--failed-store`: a local folder or `s3://bucket/prefix`.
#[derive(Debug, Clone)]
pub enum StoreArg {
    Dir(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl FromStr for StoreArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match parse_s3_uri(s) {
            Some((bucket, prefix)) => Ok(StoreArg::S3 { bucket, prefix }),
            None if s.starts_with("s3://") => Err(format!("`{s}` is not s3://bucket/prefix")),
            None => Ok(StoreArg::Dir(PathBuf::from(s))),
        }
    }
}

/// `s3://bucket/prefix` → (bucket, prefix).
pub fn parse_s3_uri(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_owned(), prefix.to_owned()))
}

/// The AWS clients, made once and only when something needs them.
#[derive(Default)]
pub struct Aws(Option<(FirehoseClient, S3Client)>);

impl Aws {
    pub async fn clients(&mut self) -> &(FirehoseClient, S3Client) {
        let clients = match self.0.take() {
            Some(c) => c,
            None => logpipe::aws::clients().await,
        };
        self.0.insert(clients)
    }
}

/// A sink of either kind.
pub enum AnySink {
    Local(Box<LocalRecordSink>),
    Firehose(FirehoseSink<FirehoseClient>),
}

impl AnySink {
    pub async fn new(arg: &SinkArg, aws: &mut Aws) -> Result<AnySink> {
        Ok(match arg {
            SinkArg::Dir(dir) => AnySink::Local(Box::new(LocalRecordSink::new(LocalDirSink::new(dir)?))),
            SinkArg::Firehose(stream) => {
                let client = aws.clients().await.0.clone();
                AnySink::Firehose(FirehoseSink::new(client, stream.clone(), RetryPolicy::default()))
            }
        })
    }

    /// Flushes local files and describes where the documents went.
    pub fn finish(&self) -> Result<Vec<String>> {
        match self {
            AnySink::Local(sink) => {
                let written = sink.finish()?;
                let mut lines = vec![format!(
                    "wrote {} documents to {} archive file(s) and {} _bulk file(s)",
                    written.documents,
                    written.archive_files.len(),
                    written.bulk_files.len()
                )];
                lines.extend(
                    written
                        .archive_files
                        .iter()
                        .chain(&written.bulk_files)
                        .map(|f| format!("  {}", f.display())),
                );
                Ok(lines)
            }
            AnySink::Firehose(sink) => Ok(vec![format!("sent to Firehose delivery stream {}", sink.stream())]),
        }
    }
}

impl RecordSink for AnySink {
    async fn deliver(&self, records: &[Record], deadline: Instant) -> BatchResult {
        match self {
            AnySink::Local(s) => s.deliver(records, deadline).await,
            AnySink::Firehose(s) => s.deliver(records, deadline).await,
        }
    }
}

/// Objects (input, or the failed-record store) of either kind.
#[derive(Clone)]
pub enum AnyObjects {
    Local(LocalObjects),
    S3(S3Client),
}

impl AnyObjects {
    /// The failed-record store's backing store and its (bucket, prefix).
    pub async fn store(arg: &StoreArg, aws: &mut Aws) -> (AnyObjects, String, String) {
        match arg {
            StoreArg::Dir(dir) => (AnyObjects::Local(LocalObjects::new(dir)), "local".into(), String::new()),
            StoreArg::S3 { bucket, prefix } => {
                let s3 = aws.clients().await.1.clone();
                (AnyObjects::S3(s3), bucket.clone(), prefix.clone())
            }
        }
    }

    pub async fn source(arg: &str, aws: &mut Aws) -> Result<AnyObjects> {
        if arg == "s3" {
            return Ok(AnyObjects::S3(aws.clients().await.1.clone()));
        }
        let dir = PathBuf::from(arg);
        if !dir.is_dir() {
            bail!("--objects {arg}: not a folder (give a folder, or `s3` to read from S3)");
        }
        Ok(AnyObjects::Local(LocalObjects::new(dir)))
    }
}

impl ObjectSource for AnyObjects {
    async fn get(&self, bucket: &str, key: &str) -> Result<ObjectBody, GetError> {
        match self {
            AnyObjects::Local(o) => o.get(bucket, key).await,
            AnyObjects::S3(o) => o.get(bucket, key).await,
        }
    }
}

impl ObjectStore for AnyObjects {
    async fn put_object(&self, bucket: &str, key: &str, body: bytes::Bytes) -> Result<(), String> {
        match self {
            AnyObjects::Local(o) => o.put_object(bucket, key, body).await,
            AnyObjects::S3(o) => o.put_object(bucket, key, body).await,
        }
    }
}

/// A runtime for the commands that talk to AWS or run handlers.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
