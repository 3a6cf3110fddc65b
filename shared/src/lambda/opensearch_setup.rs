//! `opensearch-setup`: the CloudFormation custom resource that applies [`crate::opensearch`] to the
//! stack's domain on every deploy.
//!
//! - `Create` and `Update` apply the setup (idempotent: only what differs is written) and answer
//!   `SUCCESS` with the counts of created, updated and unchanged objects, or `FAILED` with
//!   OpenSearch's answer as the reason, so the deploy stops and rolls back with a readable cause.
//! - `Delete` answers `SUCCESS` at once and touches nothing: removing the stack, or the resource,
//!   never deletes indices, templates or users.
//! - The answer always goes to CloudFormation's presigned URL before the function's deadline (the
//!   setup gets the time left minus a margin); only a failed answer fails the invocation, so Lambda
//!   retries it (applying again is harmless).
//!
//! Resource properties (CloudFormation passes every scalar as a string):
//!
//! | property | meaning |
//! |---|---|
//! | `Endpoint` | `https://<domain endpoint>` |
//! | `Region` | the domain's region (default: the function's) |
//! | `WriterBackendRoles` | list: Firehose delivery role ARNs |
//! | `ReaderBackendRoles` | list: developer backend roles |
//! | `ReaderUsers` | list: users mapped directly to the reader roles |
//! | `InternalUsers` | `name:bcrypt-hash,…` users to create (from a `NoEcho` parameter) |
//! | `Shards`, `Replicas`, `RetentionDays`, `TotalFieldsLimit`, `RefreshInterval` | index settings |
//! | `Dashboards` | `true`/`false`: apply the saved objects |

use super::{HandlerError, Invocation};
use crate::opensearch::{apply, Auth, HttpClient, InternalUser, Plan, SetupConfig, SetupError};
use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceRequest as Request, CloudFormationCustomResourceResponse as Response,
    CloudFormationCustomResourceResponseStatus as Status,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// Time kept back to answer CloudFormation after the setup.
const ANSWER_MARGIN: Duration = Duration::from_secs(10);
/// CloudFormation refuses answers over 4 KiB; the reason is cut well below that.
const MAX_REASON: usize = 1500;

/// The custom resource's properties.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Properties {
    endpoint: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    writer_backend_roles: Vec<String>,
    #[serde(default)]
    reader_backend_roles: Vec<String>,
    #[serde(default)]
    reader_users: Vec<String>,
    #[serde(default)]
    internal_users: Option<String>,
    #[serde(default)]
    shards: Option<String>,
    #[serde(default)]
    replicas: Option<String>,
    #[serde(default)]
    retention_days: Option<String>,
    #[serde(default)]
    total_fields_limit: Option<String>,
    #[serde(default)]
    refresh_interval: Option<String>,
    #[serde(default)]
    dashboards: Option<String>,
}

impl Properties {
    fn config(&self) -> Result<SetupConfig, SetupError> {
        let defaults = SetupConfig::default();
        let number = |name: &str, value: &Option<String>, default: u32| -> Result<u32, SetupError> {
            match value.as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| SetupError::Config(format!("{name} `{v}` is not a whole number"))),
            }
        };
        let nonempty = |list: &[String]| list.iter().filter(|s| !s.trim().is_empty()).cloned().collect();
        Ok(SetupConfig {
            shards: number("Shards", &self.shards, defaults.shards)?,
            replicas: number("Replicas", &self.replicas, defaults.replicas)?,
            retention_days: number("RetentionDays", &self.retention_days, defaults.retention_days)?,
            total_fields_limit: number(
                "TotalFieldsLimit",
                &self.total_fields_limit,
                defaults.total_fields_limit,
            )?,
            refresh_interval: self
                .refresh_interval
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or(defaults.refresh_interval),
            writer_backend_roles: nonempty(&self.writer_backend_roles),
            reader_backend_roles: nonempty(&self.reader_backend_roles),
            reader_users: nonempty(&self.reader_users),
            internal_users: InternalUser::parse_hash_list(self.internal_users.as_deref().unwrap_or_default())?,
            reset_passwords: false,
            dashboards: self.dashboards.as_deref() != Some("false"),
            security: true,
        })
    }
}

/// Handles one custom-resource event. `auth` is how requests to the domain authenticate (in AWS,
/// the master user read from Secrets Manager), or why it could not be had, which fails the
/// resource with that reason.
pub async fn handle(event: Value, auth: Result<Auth, String>, invocation: &Invocation) -> Result<(), HandlerError> {
    let request: Request<Value, Value> = match serde_json::from_value(event.clone()) {
        Ok(r) => r,
        Err(e) => {
            // Still answer if there is somewhere to answer, or the stack waits an hour.
            return match event.get("ResponseURL").and_then(Value::as_str) {
                Some(url) => {
                    let mut response = Response::default();
                    response.status = Status::Failed;
                    response.reason = Some(format!("invalid custom resource event: {e}"));
                    response.physical_resource_id = text(&event, "PhysicalResourceId")
                        .unwrap_or("logpipe-opensearch-setup")
                        .to_owned();
                    response.stack_id = text(&event, "StackId").unwrap_or_default().to_owned();
                    response.request_id = text(&event, "RequestId").unwrap_or_default().to_owned();
                    response.logical_resource_id = text(&event, "LogicalResourceId").unwrap_or_default().to_owned();
                    answer(url, &response).await
                }
                None => Err(HandlerError::InvalidEvent(format!("not a custom resource event: {e}"))),
            };
        }
    };
    let (kind, url, properties, physical, stack_id, request_id, logical) = match &request {
        Request::Create(r) => (
            "Create",
            &r.response_url,
            &r.resource_properties,
            None,
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
        ),
        Request::Update(r) => (
            "Update",
            &r.response_url,
            &r.resource_properties,
            Some(&r.physical_resource_id),
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
        ),
        Request::Delete(r) => (
            "Delete",
            &r.response_url,
            &r.resource_properties,
            Some(&r.physical_resource_id),
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
        ),
        _ => {
            return Err(HandlerError::InvalidEvent(
                "unknown custom resource request type".into(),
            ))
        }
    };
    let mut response = Response::default();
    response.physical_resource_id = physical.cloned().unwrap_or_default();
    response.stack_id = stack_id.clone();
    response.request_id = request_id.clone();
    response.logical_resource_id = logical.clone();
    if kind == "Delete" {
        tracing::info!("Delete: OpenSearch is left as it is (indices, templates, roles and users stay)");
        if response.physical_resource_id.is_empty() {
            response.physical_resource_id = "logpipe-opensearch-setup".into();
        }
        return answer(url, &response).await;
    }
    let outcome = match serde_json::from_value::<Properties>(properties.clone()) {
        Ok(props) => {
            if response.physical_resource_id.is_empty() {
                let host = props
                    .endpoint
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                response.physical_resource_id = format!("logpipe-opensearch-setup-{}", host.trim_end_matches('/'));
            }
            let budget = invocation
                .deadline
                .saturating_duration_since(tokio::time::Instant::now());
            let budget = budget.saturating_sub(ANSWER_MARGIN);
            match tokio::time::timeout(budget, setup(&props, auth)).await {
                Ok(result) => result,
                Err(_) => Err(format!("the setup did not finish in {} s", budget.as_secs())),
            }
        }
        Err(e) => Err(format!("invalid resource properties: {e}")),
    };
    if response.physical_resource_id.is_empty() {
        response.physical_resource_id = "logpipe-opensearch-setup".into();
    }
    match outcome {
        Ok(counts) => {
            tracing::info!(kind, ?counts, "opensearch setup applied");
            response.reason = Some(format!(
                "{} created, {} updated, {} unchanged",
                counts["Created"], counts["Updated"], counts["Unchanged"]
            ));
            response.data = counts;
        }
        Err(reason) => {
            tracing::error!(kind, %reason, "opensearch setup failed");
            response.status = Status::Failed;
            response.reason = Some(reason.chars().take(MAX_REASON).collect());
        }
    }
    answer(url, &response).await
}

fn text<'v>(event: &'v Value, key: &str) -> Option<&'v str> {
    event.get(key).and_then(Value::as_str)
}

async fn setup(props: &Properties, auth: Result<Auth, String>) -> Result<HashMap<String, String>, String> {
    let auth = auth.map_err(|e| format!("no credentials for OpenSearch: {e}"))?;
    let config = props.config().map_err(|e| e.to_string())?;
    let plan = Plan::new(&config).map_err(|e| e.to_string())?;
    let auth = match auth {
        Auth::SigV4 { credentials, region } => Auth::SigV4 {
            credentials,
            region: props.region.clone().filter(|r| !r.is_empty()).unwrap_or(region),
        },
        other => other,
    };
    let client = HttpClient::new(&props.endpoint, None, auth).map_err(|e| e.to_string())?;
    let report = apply(&client, &plan).await.map_err(|e| e.to_string())?;
    use crate::opensearch::Change;
    Ok(HashMap::from([
        ("Created".to_owned(), report.count(Change::Created).to_string()),
        ("Updated".to_owned(), report.count(Change::Updated).to_string()),
        ("Unchanged".to_owned(), report.count(Change::Unchanged).to_string()),
    ]))
}

/// PUTs the answer to CloudFormation's presigned URL.
async fn answer(url: &str, response: &Response) -> Result<(), HandlerError> {
    let body = serde_json::to_vec(response).map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
    let client = HttpClient::new("https://answer.invalid", None, Auth::None)
        .map_err(|e| HandlerError::Deadline(e.to_string()))?;
    let unanswered = |message: String| HandlerError::Read {
        source_name: "the CloudFormation response URL".into(),
        message,
    };
    match client.put_url(url, body).await {
        Ok(status) if (200..300).contains(&status) => Ok(()),
        Ok(status) => Err(unanswered(format!("answered {status}"))),
        Err(e) => Err(unanswered(e.to_string())),
    }
}
