//! # logpipe
//!
//! Turns raw AWS log bytes into JSON documents for OpenSearch and an S3 archive: Application Load
//! Balancer and CloudFront access logs, and CloudWatch Logs subscription payloads.
//!
//! The flow is `bytes → decode (multi-member gzip, bounded) → lines or payloads → format parser →
//! JSON document → sink`. [`pipeline::process`] runs it over any [`std::io::Read`]; the Lambda
//! functions and the `logpipe` CLI are thin layers over it. The document schema is described in
//! `docs/schema.md`.

pub mod aws;
pub mod decode;
pub mod delivery;
pub mod document;
pub mod error;
pub mod formats;
pub mod json;
pub mod lambda;
pub mod lines;
pub mod objects;
pub mod opensearch;
pub mod pipeline;
pub mod prefetch;
pub mod sink;
pub mod timestamp;
pub mod tokenize;

pub use document::{Doc, Source};
pub use error::{DecodeError, ParseError};
pub use formats::{Format, FormatChoice};
pub use pipeline::{process, Limits, Summary};
pub use sink::{DocSink, SinkError};
