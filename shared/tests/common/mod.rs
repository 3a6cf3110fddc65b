//! Helpers shared by the handler tests: the sample events and objects, settings, an invocation.

use logpipe::lambda::config::Config;
use logpipe::lambda::Invocation;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A sample event, by its path under `events/`.
pub fn event(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root().join("events").join(path)).unwrap()).unwrap()
}

/// Settings with a delivery stream and a failed-record bucket, as the template sets them.
pub fn config() -> Config {
    Config::from_vars(|k| match k {
        "LOGPIPE_DELIVERY_STREAM" => Some("logs".into()),
        "LOGPIPE_FAILED_BUCKET" => Some("failed-bucket".into()),
        _ => None,
    })
    .unwrap()
}

/// An invocation with two minutes to run.
pub fn invocation() -> Invocation {
    Invocation::local("test-function", "req-1", Duration::from_secs(120))
}
