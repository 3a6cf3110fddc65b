//! Lambda function `opensearch-setup`: the CloudFormation custom resource that applies the index
//! templates, ISM policy, security roles and dashboards to the stack's OpenSearch domain.
//! Behaviour: `logpipe::lambda::opensearch_setup`. This file only wires: it reads the domain's
//! master user from Secrets Manager (`LOGPIPE_MASTER_SECRET_ARN`) at each deploy-time invocation.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use logpipe::lambda::{init_tracing, opensearch_setup, Invocation};
use logpipe::opensearch::Auth;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let secrets = &aws_sdk_secretsmanager::Client::new(&config);
    run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let invocation = Invocation::from_context(&event.context);
        let auth = master_user(secrets).await;
        Box::pin(opensearch_setup::handle(event.payload, auth, &invocation))
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}

/// The master user's name and password (`{"username": …, "password": …}`); errors never hold the
/// secret's value.
async fn master_user(secrets: &aws_sdk_secretsmanager::Client) -> Result<Auth, String> {
    let arn =
        std::env::var("LOGPIPE_MASTER_SECRET_ARN").map_err(|_| "LOGPIPE_MASTER_SECRET_ARN is not set".to_owned())?;
    let secret = secrets.get_secret_value().secret_id(&arn).send().await.map_err(|e| {
        format!(
            "reading secret {arn}: {}",
            aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(secret.secret_string().unwrap_or_default())
        .map_err(|_| format!("secret {arn} is not a JSON object"))?;
    match (value["username"].as_str(), value["password"].as_str()) {
        (Some(user), Some(password)) => Ok(Auth::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        }),
        _ => Err(format!("secret {arn} lacks username or password")),
    }
}
