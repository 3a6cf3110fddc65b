//! Lambda function `firehose-transform`: the data transformation of a Firehose delivery stream that
//! applications put JSON events into. Behaviour: `logpipe::lambda::firehose_transform`. This file
//! only wires.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use logpipe::lambda::events::FirehoseTransformEvent;
use logpipe::lambda::{aws_deps, firehose_transform, Invocation};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = &aws_deps().await?;
    run(service_fn(
        move |event: LambdaEvent<FirehoseTransformEvent>| async move {
            let invocation = Invocation::from_context(&event.context);
            // Boxed: the handler future is deep, and boxing keeps the runtime's future small.
            Box::pin(firehose_transform::handle(event.payload, &invocation, deps))
                .await
                .map_err(Diagnostic::from)
        },
    ))
    .await
}
