//! Lambda function `kinesis-relay`: Kinesis records from cross-account CloudWatch Logs destinations.
//! Behaviour: `logpipe::lambda::kinesis_relay`. This file only wires.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use logpipe::lambda::events::KinesisEvent;
use logpipe::lambda::{aws_deps, kinesis_relay, Invocation};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = &aws_deps().await?;
    run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        let invocation = Invocation::from_context(&event.context);
        // Boxed: the handler future is deep, and boxing keeps the runtime's future small.
        Box::pin(kinesis_relay::handle(event.payload, &invocation, deps))
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
