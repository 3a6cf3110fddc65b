//! `logpipe invoke firehose-transform` with a folder as the sink: the command plays Firehose, so
//! the batch over Lambda's 6 MB response ends with every log event in the folder exactly once
//! (the answered documents, then those of the re-ingested records, transformed again).

use flate2::read::MultiGzDecoder;
use logpipe_e2e::logpipe;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;

#[test]
fn invoke_plays_firehose_until_nothing_is_reingested() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = logpipe()
        .args([
            "invoke",
            "firehose-transform",
            "--event",
            "events/firehose-transform/firehose-over-6mb.json",
        ])
        .arg("--sink")
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");

    // stdout: the first invocation's response, as Lambda returns it.
    let response: Value = serde_json::from_slice(&out.stdout).expect("the response is JSON");
    let results: Vec<&str> = response["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(results.len(), 8);
    assert!(results.contains(&"Dropped") && results[0] == "Ok", "{results:?}");
    assert!(out.stdout.len() <= 6_000_000 + 100, "{} bytes", out.stdout.len());
    assert!(stderr.contains("invocation 2:"), "{stderr}");

    // The folder: every one of the 8 × 640 log events once.
    let mut docs = Vec::new();
    for entry in walk(out_dir.path()) {
        if entry.extension().is_some_and(|e| e == "gz") {
            let mut text = String::new();
            MultiGzDecoder::new(std::fs::File::open(&entry).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            docs.extend(text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()));
        }
    }
    assert_eq!(docs.len(), 8 * 640);
    let ids: BTreeSet<&str> = docs.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), docs.len(), "no event twice");
    assert!(docs.iter().all(|d| d["log_type"] == "cloudwatch"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
