//! The OpenSearch side of the pipeline, set up the same way by the `opensearch-setup` custom
//! resource and by `logpipe opensearch apply`.
//!
//! What is applied, in order ([`Plan`]):
//! 1. the component template `logpipe-common` (fields every document may carry) and one index
//!    template `logpipe-<log_type>` per log type, for the daily indices `logs-<log_type>-*` Firehose
//!    writes (`shared/opensearch/`), with shard, replica, sort and field-limit settings;
//! 2. the ISM policy `logpipe-retention`: hot, then deleted after the retention period, attached to
//!    every new `logs-*` index by its `ism_template`;
//! 3. the security roles `logpipe_writer` (Firehose) and `logpipe_reader` (developers), their role
//!    mappings, the developers' mappings to the Dashboards roles, and optional internal users;
//! 4. the Dashboards saved objects (index patterns, dashboards, the parse-error search).
//!
//! Every step reads what is there first and writes only what differs ([`apply`]), so a second run
//! sends no change. Nothing is ever deleted: removing the stack leaves indices and settings alone.

mod apply;
mod assets;
mod client;
mod compare;
mod config;
mod plan;

pub use apply::{apply, ApplyReport, Change, ReportItem};
pub use assets::{component_templates, dashboards, index_templates, Asset};
pub use client::{Auth, HttpClient, HttpRequest, HttpResponse, OpenSearchHttp, Target};
pub use config::{InternalUser, SetupConfig};
pub use plan::{Plan, RoleMapping, SavedObject, ISM_POLICY_ID, READER_ROLE, WRITER_ROLE};

/// Why the setup could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configuration is incomplete or unsafe.
    #[error("invalid OpenSearch setup configuration: {0}")]
    Config(String),
    /// OpenSearch answered with an unexpected status.
    #[error("{method} {path}: OpenSearch answered {status}: {body}")]
    Status {
        /// The request's method.
        method: &'static str,
        /// The request's path and query.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// An answer that is not the documented JSON.
    #[error("{path}: unexpected answer: {message}")]
    Answer {
        /// The request's path.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The request did not get an answer (connection, TLS, timeout).
    #[error("{path}: {message}")]
    Transport {
        /// The request's path.
        path: String,
        /// What failed.
        message: String,
    },
    /// The request could not be signed (no credentials).
    #[error("signing the request failed: {0}")]
    Signing(String),
}
