//! The `logpipe` binary on the sample objects in `events/objects/`: what a user runs first.

use flate2::read::MultiGzDecoder;
use logpipe_e2e::{logpipe, root, ALB_OBJECT, CLOUDFRONT_OBJECT, CLOUDWATCH_OBJECT};

/// The ALB connection log sample.
const CONN_LOG_OBJECT: &str = "events/objects/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/22/conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20261122T0505Z_192.0.2.10_5k2hq9wz.log.gz";
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

/// The object's lines, decompressed independently of logpipe.
fn gunzip_lines(path: &str) -> Vec<String> {
    let mut text = String::new();
    MultiGzDecoder::new(std::fs::File::open(root().join(path)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_owned).collect()
}

fn parse_docs(args: &[&str]) -> Vec<Value> {
    let out = logpipe().arg("parse").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each stdout line is one JSON document"))
        .collect()
}

#[test]
fn parse_alb_object_keeps_every_line_once_in_order() {
    let lines = gunzip_lines(ALB_OBJECT);
    let docs = parse_docs(&[ALB_OBJECT]);
    assert_eq!(docs.len(), lines.len());
    for (i, (line, doc)) in lines.iter().zip(&docs).enumerate() {
        let suffix = format!("-{}", i + 1);
        assert!(
            doc["event_id"].as_str().unwrap().ends_with(&suffix),
            "line {}: {doc}",
            i + 1
        );
        assert_eq!(doc["log_type"], "alb");
        if doc.get("error").is_some() {
            assert_eq!(doc["message"], line.as_str());
            assert_eq!(doc["error"]["source"], ALB_OBJECT);
            assert_eq!(doc["error"]["line"], i + 1);
        } else {
            assert_eq!(doc["@timestamp"], line.split(' ').nth(1).unwrap(), "line {}", i + 1);
            assert_eq!(doc["type"], line.split(' ').next().unwrap());
        }
    }
    let errors = docs.iter().filter(|d| d.get("error").is_some()).count();
    assert_eq!(errors, 1, "the sample holds exactly one damaged line");
}

#[test]
fn auto_detection_matches_the_explicit_format() {
    for (path, format) in [
        (ALB_OBJECT, "alb"),
        (CLOUDFRONT_OBJECT, "cloudfront"),
        (CLOUDWATCH_OBJECT, "cloudwatch"),
    ] {
        let auto = parse_docs(&[path]);
        let fixed = parse_docs(&["--format", format, path]);
        assert!(!auto.is_empty(), "{path}");
        // error documents of this run carry the time they were written; compare the rest
        let strip = |docs: Vec<Value>| -> Vec<Value> {
            docs.into_iter()
                .map(|mut d| {
                    if d.get("error").is_some() {
                        d.as_object_mut().unwrap().remove("@timestamp");
                    }
                    d
                })
                .collect()
        };
        assert_eq!(strip(auto), strip(fixed), "{path}");
    }
}

#[test]
fn parse_reads_standard_input() {
    let mut child = logpipe()
        .args(["parse", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let gz = std::fs::read(root().join(ALB_OBJECT)).unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let n = out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
    assert_eq!(n, gunzip_lines(ALB_OBJECT).len());
}

#[test]
fn unreadable_file_is_named_and_fails_the_run_but_others_are_parsed() {
    let out = logpipe()
        .args(["parse", "no/such/file.log", ALB_OBJECT])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no/such/file.log"), "{stderr}");
    assert!(!out.stdout.is_empty(), "the readable file was still parsed");
}

#[test]
fn closing_the_pipe_early_is_not_an_error() {
    let mut child = logpipe()
        .args(["parse", ALB_OBJECT, ALB_OBJECT, ALB_OBJECT])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with('{'));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn unknown_format_name_is_rejected_with_the_choices() {
    let out = logpipe()
        .args(["parse", "--format", "elb", ALB_OBJECT])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown format `elb`"), "{stderr}");
    assert!(stderr.contains("alb, alb_connection, nlb, clb, cloudfront"), "{stderr}");
    assert!(
        stderr.contains("vpcflow, waf, cloudtrail, apigateway, cloudwatch or auto"),
        "{stderr}"
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["parse", "--help"],
        &["ship", "--help"],
        &["opensearch", "apply", "--help"],
        &["opensearch", "render", "--help"],
    ] {
        let out = logpipe().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: logpipe"),
            "{args:?}"
        );
    }
}

/// Reads every document of a local sink folder: the archive and the `_bulk` files.
fn read_sink(dir: &std::path::Path) -> (Vec<Value>, Vec<(Value, Value)>) {
    let (mut archive, mut bulk) = (Vec::new(), Vec::new());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".ndjson.gz") {
                let mut text = String::new();
                MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
                    .read_to_string(&mut text)
                    .unwrap();
                archive.extend(text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()));
            } else if path.to_string_lossy().ends_with(".ndjson") {
                let text = std::fs::read_to_string(&path).unwrap();
                let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
                assert_eq!(lines.len() % 2, 0, "{path:?} holds action/document pairs");
                bulk.extend(lines.chunks(2).map(|p| (p[0].clone(), p[1].clone())));
            }
        }
    }
    (archive, bulk)
}

#[test]
fn ship_sample_objects_delivers_every_record_once() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = logpipe()
        .args(["ship", ALB_OBJECT, CLOUDFRONT_OBJECT, CLOUDWATCH_OBJECT, "--sink"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("shipped 3 of 3 inputs:"), "{stdout}");

    // What went in, counted without logpipe.
    let alb = gunzip_lines(ALB_OBJECT).len();
    let cloudfront = gunzip_lines(CLOUDFRONT_OBJECT)
        .iter()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    let mut cw_text = String::new();
    MultiGzDecoder::new(std::fs::File::open(root().join(CLOUDWATCH_OBJECT)).unwrap())
        .read_to_string(&mut cw_text)
        .unwrap();
    let cloudwatch: usize = serde_json::Deserializer::from_str(&cw_text)
        .into_iter::<Value>()
        .map(|p| p.unwrap())
        .filter(|p| p["messageType"] == "DATA_MESSAGE")
        .map(|p| p["logEvents"].as_array().unwrap().len())
        .sum();

    let (archive, bulk) = read_sink(out_dir.path());
    let mut by_type: HashMap<String, usize> = HashMap::new();
    for d in &archive {
        *by_type.entry(d["log_type"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(by_type.get("alb"), Some(&alb), "{by_type:?}");
    assert_eq!(by_type.get("cloudfront"), Some(&cloudfront), "{by_type:?}");
    assert_eq!(by_type.get("cloudwatch"), Some(&cloudwatch), "{by_type:?}");
    assert_eq!(archive.len(), alb + cloudfront + cloudwatch);

    let ids: HashSet<&str> = archive.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), archive.len(), "event ids are unique");

    // The _bulk files hold the same documents, each behind a create action with its id and daily index.
    assert_eq!(bulk.len(), archive.len());
    for ((action, doc), archived) in bulk.iter().zip(&archive) {
        assert_eq!(doc, archived);
        let day = &doc["@timestamp"].as_str().unwrap()[..10];
        let index = format!("logs-{}-{day}", doc["log_type"].as_str().unwrap());
        assert_eq!(action["create"]["_index"], index.as_str());
        assert_eq!(action["create"]["_id"], doc["event_id"]);
    }
}

#[test]
fn ship_the_sample_folder_parses_connection_logs_and_keeps_what_a_broken_object_holds() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = logpipe()
        .args(["ship", "events/objects", "--sink"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("skipped"), "nothing is skipped: {stderr}");
    let (archive, bulk) = read_sink(out_dir.path());
    assert!(
        archive.iter().all(|d| d["log_type"] != "unknown"),
        "no connection-log line is mis-parsed"
    );
    // Every line of the connection log sample, as a document of its own type and daily index.
    let conn_lines = gunzip_lines(CONN_LOG_OBJECT);
    assert_eq!(conn_lines.len(), 17);
    let conn: Vec<&Value> = archive.iter().filter(|d| d["log_type"] == "alb_connection").collect();
    assert_eq!(conn.len(), conn_lines.len(), "{stdout}");
    assert!(conn.iter().all(|d| d.get("error").is_none()), "{conn:?}");
    let conn_ids: HashSet<&str> = conn.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    let conn_actions: Vec<&Value> = bulk
        .iter()
        .filter(|(_, doc)| conn_ids.contains(doc["event_id"].as_str().unwrap()))
        .map(|(action, _)| action)
        .collect();
    assert_eq!(conn_actions.len(), 17);
    assert!(
        conn_actions
            .iter()
            .all(|a| a["create"]["_index"] == "logs-alb_connection-2026-11-22"),
        "{conn_actions:?}"
    );
    let corrupt: Vec<&Value> = archive
        .iter()
        .filter(|d| d["error"]["kind"] == "corrupt_gzip")
        .collect();
    assert_eq!(corrupt.len(), 1, "the truncated object ends with one error document");
    assert!(corrupt[0]["error"]["source"]
        .as_str()
        .unwrap()
        .ends_with("broken/corrupt-truncated.log.gz"));
}
