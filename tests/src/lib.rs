//! Helpers shared by the end-to-end tests: locating the built binaries and the sample data.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A command running the built `logpipe` binary (from the same target folder as this test), in the
/// workspace root. `scripts/test.sh` builds it before the tests run.
pub fn logpipe() -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> → target/<profile>/logpipe
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("logpipe"))
        .expect("test binary lives in target/<profile>/deps");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    cmd.current_dir(root());
    cmd
}

/// Sample log objects shipped in `events/objects/`, as paths relative to the workspace root.
pub const ALB_OBJECT: &str = "events/objects/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_2x8fnq1c.log.gz";
/// CloudFront sample: two concatenated files with different `#Fields` headers.
pub const CLOUDFRONT_OBJECT: &str = "events/objects/cloudfront/E2EXAMPLE12345.2026-11-22-05.a1b2c3d4.gz";
/// CloudWatch Logs through Firehose to S3: concatenated gzip'd payloads.
pub const CLOUDWATCH_OBJECT: &str =
    "events/objects/cloudwatch/2026/11/22/05/logpipe-app-logs-1-2026-11-22-05-10-00-5f0c6b8e.gz";
pub mod fault_firehose;
pub mod mappings;

/// An in-memory OpenSearch domain and Dashboards on 127.0.0.1 (`opensearch apply` tests).
pub mod fake_opensearch;
/// Request validation against condensed OpenSearch API schemas (`tests/opensearch-api/`).
pub mod opensearch_spec;

/// Helpers for the tests against an AWS API emulator and the Lambda Runtime API (`--features emulator`).
#[cfg(feature = "emulator")]
pub mod emulator;
