//! Reliability test plan row 23: warm invocations in one process. In a test binary of its own, so
//! that no other test allocates in the same process while its memory is measured.

mod common;

use common::{event, invocation, root};
use logpipe::delivery::{BatchResult, MemoryStore, Outcome, Record, RecordSink};
use logpipe::lambda::{s3_access_logs, Deps};
use logpipe::objects::LocalObjects;
use serde_json::json;
use std::sync::Arc;
use tokio::time::Instant;

/// Firehose stand-in that accepts everything and keeps only a count.
#[derive(Default)]
struct CountingFirehose(std::sync::atomic::AtomicU64);

impl RecordSink for CountingFirehose {
    async fn deliver(&self, records: &[Record], _deadline: Instant) -> BatchResult {
        self.0
            .fetch_add(records.len() as u64, std::sync::atomic::Ordering::Relaxed);
        BatchResult {
            outcomes: vec![Outcome::Delivered; records.len()],
            calls: 1,
            resent: 0,
        }
    }
}

/// Resident memory of this process, from /proc (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn warm_invocations_do_not_grow_memory() {
    // reliability test plan row 23: warm invocations in one process, clients reused (300 rather
    // than 100, so that a leak of one object's documents per invocation, about 30 KiB, would add
    // about 9 MiB and cross the bound).
    let config = common::config();
    let d = Deps {
        sink: Arc::new(CountingFirehose::default()),
        store: MemoryStore::default(),
        objects: LocalObjects::new(root().join("events/objects")),
        config,
    };
    let events = [
        "s3-access-logs/s3-put-alb.json",
        "s3-access-logs/s3-put-cloudfront.json",
        "s3-access-logs/s3-put-corrupt-gzip.json",
    ]
    .map(event);
    for e in &events {
        s3_access_logs::handle(e.clone(), &invocation(), &d).await.unwrap(); // warm-up
    }
    let before = rss_kib();
    for i in 0..300 {
        s3_access_logs::handle(events[i % 3].clone(), &invocation(), &d)
            .await
            .unwrap();
    }
    let after = rss_kib();
    let delivered = d.sink.0.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{}",
        json!({"test": "warm_invocations", "invocations": 300, "delivered": delivered,
                          "rss_before_kib": before, "rss_after_kib": after})
    );
    assert!(delivered >= 300 * 12);
    assert!(
        after <= before + 6 * 1024,
        "RSS grew from {before} KiB to {after} KiB over 300 invocations"
    );
}
