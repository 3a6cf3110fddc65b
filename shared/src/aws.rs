//! The AWS SDK behind the crate's narrow traits ([`FirehoseApi`], [`ObjectSource`], [`ObjectStore`]).
//!
//! Clients use the standard SDK configuration (credentials, region, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_FIREHOSE`, `AWS_ENDPOINT_URL_S3`), so the functions run unchanged against an
//! emulator. The Firehose client's own retries are off: [`crate::delivery::FirehoseSink`] retries,
//! resending only the entries that failed, within the invocation's deadline.

use crate::delivery::{CallError, EntryError, FirehoseApi, ObjectStore};
use crate::objects::{GetError, ObjectBody, ObjectSource};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_firehose::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_firehose::primitives::Blob;
use bytes::Bytes;
use std::time::Duration;
use tokio_util::io::SyncIoBridge;

/// A Firehose client.
#[derive(Debug, Clone)]
pub struct FirehoseClient(pub aws_sdk_firehose::Client);

/// An S3 client.
#[derive(Debug, Clone)]
pub struct S3Client(pub aws_sdk_s3::Client);

/// Builds both clients from the environment, once per process.
pub async fn clients() -> (FirehoseClient, S3Client) {
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let firehose = aws_sdk_firehose::config::Builder::from(&shared)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    // Path-style addressing only matters for local endpoints (emulators), where virtual-host
    // names do not resolve.
    let local_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|u| !u.is_empty()));
    let s3 = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(local_endpoint)
        .build();
    (
        FirehoseClient(aws_sdk_firehose::Client::from_conf(firehose)),
        S3Client(aws_sdk_s3::Client::from_conf(s3)),
    )
}

/// Error codes that retrying cannot fix (Firehose API reference, PutRecordBatch errors).
const NOT_RETRYABLE: [&str; 6] = [
    "InvalidArgumentException",
    "ValidationException",
    "ResourceNotFoundException",
    "InvalidKMSResourceException",
    "InvalidSourceException",
    "AccessDeniedException",
];

impl FirehoseApi for FirehoseClient {
    async fn put_record_batch(&self, stream: &str, records: Vec<Bytes>) -> Result<Vec<Option<EntryError>>, CallError> {
        let records = records
            .into_iter()
            .map(|data| {
                aws_sdk_firehose::types::Record::builder()
                    .data(Blob::new(data.to_vec()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CallError {
                code: "InvalidRecord".into(),
                message: e.to_string(),
                retryable: false,
            })?;
        let response = self
            .0
            .put_record_batch()
            .delivery_stream_name(stream)
            .set_records(Some(records))
            .send()
            .await;
        match response {
            Ok(out) => Ok(out
                .request_responses()
                .iter()
                .map(|entry| {
                    entry.error_code().map(|code| EntryError {
                        code: code.to_owned(),
                        message: entry.error_message().unwrap_or_default().to_owned(),
                    })
                })
                .collect()),
            Err(err) => Err(call_error(err)),
        }
    }
}

fn call_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: SdkError<E, R>,
) -> CallError {
    let message = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("UnknownServiceError").to_owned();
            let retryable = !NOT_RETRYABLE.contains(&code.as_str());
            CallError {
                code,
                message,
                retryable,
            }
        }
        SdkError::TimeoutError(_) => CallError {
            code: "TimeoutError".into(),
            message,
            retryable: true,
        },
        SdkError::DispatchFailure(_) => CallError {
            code: "DispatchFailure".into(),
            message,
            retryable: true,
        },
        SdkError::ResponseError(_) => CallError {
            code: "ResponseError".into(),
            message,
            retryable: true,
        },
        _ => CallError {
            code: "ConstructionFailure".into(),
            message,
            retryable: false,
        },
    }
}

impl ObjectSource for S3Client {
    async fn get(&self, bucket: &str, key: &str) -> Result<ObjectBody, GetError> {
        let response = self.0.get_object().bucket(bucket).key(key).send().await;
        match response {
            Ok(out) => {
                let size = out.content_length().and_then(|n| u64::try_from(n).ok());
                let reader = SyncIoBridge::new(out.body.into_async_read());
                Ok(ObjectBody {
                    reader: Box::new(reader),
                    size,
                })
            }
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => Err(GetError::NotFound),
            Err(err) => {
                let call = call_error(err);
                Err(GetError::Other {
                    code: call.code,
                    message: call.message,
                })
            }
        }
    }
}

impl S3Client {
    /// Every object under `prefix` in `bucket`, with its size, in key order (all pages).
    pub async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<(String, u64)>, GetError> {
        let mut objects = Vec::new();
        let mut pages = self
            .0
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                let call = call_error(e);
                GetError::Other {
                    code: call.code,
                    message: call.message,
                }
            })?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    let size = object.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
                    objects.push((key.to_owned(), size));
                }
            }
        }
        Ok(objects)
    }
}

impl ObjectStore for S3Client {
    async fn put_object(&self, bucket: &str, key: &str, body: Bytes) -> Result<(), String> {
        self.0
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/gzip")
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DisplayErrorContext(&e).to_string())
    }
}
