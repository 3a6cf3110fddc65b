//! Lambda function `cloudwatch-forwarder`: CloudWatch Logs subscription events.
//! Behaviour: `logpipe::lambda::cloudwatch_forwarder`. This file only wires.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use logpipe::lambda::{aws_deps, cloudwatch_forwarder, Invocation};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = &aws_deps().await?;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let invocation = Invocation::from_context(&event.context);
        // Boxed: the handler future is deep, and boxing keeps the runtime's future small.
        Box::pin(cloudwatch_forwarder::handle(event.payload, &invocation, deps))
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
