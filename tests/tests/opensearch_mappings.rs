//! The OpenSearch templates in `shared/opensearch/` map every field logpipe writes, with a type that
//! accepts the values it writes.
//!
//! Documents come from the real binary: `logpipe parse` over every sample object in
//! `events/objects/`, over the benchmark generator's data (`bench/gen.py`) and over hostile inputs
//! written here (damaged lines, a cut gzip stream, oversized values); `logpipe invoke` over every
//! sample Lambda event (this is where `application` documents come from); and the oversized-document
//! replacement of the Firehose path. Each document is checked, with the model in
//! `logpipe_e2e::mappings`, against the mapping of every index it can land in: `logs-<log_type>-*`,
//! the index its `_bulk` line names, the CloudWatch indices for `application` documents (kinesis-relay
//! delivers them on the CloudWatch stream), and every index for error documents (any stream carries
//! them). All problems are reported at once.

use flate2::write::GzEncoder;
use flate2::Compression;
use logpipe::delivery::batch::record_from_doc;
use logpipe::timestamp::Timestamp;
use logpipe::Doc;
use logpipe_e2e::mappings::{
    accepts_leaf, check_document, is_mapped, is_strict_date_optional_time, leaf_fields, mapping_properties, node_type,
    parse_document, validate_properties, wildcard_match, Kind, Templates, TEMPLATES_DIR,
};
use logpipe_e2e::{logpipe, root};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// Log types whose documents are also delivered into another log type's indices: kinesis-relay sends
/// `application` documents down the CloudWatch Firehose stream, into logs-cloudwatch-*.
const ALSO_DELIVERED_TO: [(&str, &str); 1] = [("application", "cloudwatch")];

/// The `format` of every `date` field.
const DATE_FORMAT: &str = "strict_date_optional_time||epoch_millis";

/// Keyword fields whose values the code picks from a fixed list (never copied from input), so they
/// need no `ignore_above`.
const FIXED_VOCABULARY: [&str; 3] = ["log_type", "error.kind", "lambda_event"];

/// The largest `ignore_above` that keeps every keyword under Lucene's term limit (8191 UTF-16 units
/// are at most 24,573 UTF-8 bytes).
const MAX_IGNORE_ABOVE: u64 = 8191;

fn templates() -> Templates {
    Templates::load(&root().join(TEMPLATES_DIR)).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------------
// The templates themselves
// ---------------------------------------------------------------------------------------------

#[test]
fn templates_follow_the_layout_and_conventions() {
    let t = templates();
    let mut problems = Vec::new();
    let common = t.components.get("logpipe-common");
    assert!(common.is_some(), "component-templates/logpipe-common.json is missing");
    for (name, body) in &t.components {
        check_template_body(&format!("component {name}"), body, &mut problems);
    }
    assert!(!t.index_templates.is_empty(), "no index template");
    for it in &t.index_templates {
        let what = format!("index template logs-{}.json", it.log_type);
        check_template_body(&what, &it.body, &mut problems);
        let expected = json!([format!("logs-{}-*", it.log_type)]);
        if it.body["index_patterns"] != expected {
            problems.push(format!("{what}: index_patterns must be {expected}"));
        }
        let composed: Vec<&str> = it.body["composed_of"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !composed.contains(&"logpipe-common") {
            problems.push(format!("{what}: composed_of must list logpipe-common"));
        }
        for c in &composed {
            if !t.components.contains_key(*c) {
                problems.push(format!("{what}: composed of unknown component `{c}`"));
            }
        }
        if !it.body["priority"].is_u64() {
            problems.push(format!("{what}: priority must be a non-negative integer"));
        }
        // A field defined both in a component and in the template: the template's silently wins.
        for c in &composed {
            if let Some(component) = t.components.get(*c) {
                for name in mapping_properties(&it.body).keys() {
                    if mapping_properties(component).contains_key(name) {
                        problems.push(format!("{what}: `{name}` is already defined by component {c}"));
                    }
                }
            }
        }
    }
    // Templates at the same priority must not claim the same index (OpenSearch refuses the second).
    for (i, a) in t.index_templates.iter().enumerate() {
        for b in &t.index_templates[i + 1..] {
            for pa in a.patterns() {
                for pb in b.patterns() {
                    let (qa, qb) = (pa.trim_end_matches('*'), pb.trim_end_matches('*'));
                    if a.priority() == b.priority() && (qa.starts_with(qb) || qb.starts_with(qa)) {
                        problems.push(format!("patterns `{pa}` and `{pb}` overlap at the same priority"));
                    }
                }
            }
        }
    }
    // One type per field across all indices, so a `logs-*` index pattern has no conflicts.
    let mut seen: BTreeMap<String, (Value, String)> = BTreeMap::new();
    for it in &t.index_templates {
        let mapping = t
            .mapping_for(&format!("logs-{}-2026-11-22", it.log_type))
            .unwrap_or_else(|e| panic!("{e}"));
        for (path, def) in leaf_fields(&mapping) {
            match seen.get(&path) {
                Some((other, owner)) if *other != def => problems.push(format!(
                    "`{path}` is {def} in logs-{}-* but {other} in logs-{owner}-*",
                    it.log_type
                )),
                Some(_) => {}
                None => {
                    seen.insert(path, (def, it.log_type.clone()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "template problems:\n{}", problems.join("\n"));
}

fn check_template_body(what: &str, body: &Value, problems: &mut Vec<String>) {
    let mappings = &body["template"]["mappings"];
    if mappings["dynamic"] != Value::Bool(false) {
        problems.push(format!("{what}: template.mappings.dynamic must be false"));
    }
    if !mappings["properties"].is_object() {
        problems.push(format!("{what}: template.mappings.properties must be an object"));
    }
    if body["template"].get("settings").is_some() {
        problems.push(format!(
            "{what}: settings come from the setup engine, not from the file"
        ));
    }
    if body["_meta"]["managed_by"] != "logpipe" {
        problems.push(format!("{what}: _meta.managed_by must be \"logpipe\""));
    }
    let properties = mapping_properties(body);
    problems.extend(
        validate_properties(properties, "")
            .into_iter()
            .map(|p| format!("{what}: {p}")),
    );
    for (path, def) in leaf_fields(properties) {
        let ty = node_type(&def).unwrap_or("");
        if ty == "date" && def["format"] != DATE_FORMAT {
            problems.push(format!("{what}: date `{path}` must have format {DATE_FORMAT}"));
        }
        if ty == "keyword" && !FIXED_VOCABULARY.contains(&path.as_str()) {
            match def["ignore_above"].as_u64() {
                Some(n) if n <= MAX_IGNORE_ABOVE => {}
                _ => problems.push(format!(
                    "{what}: keyword `{path}` holds input text: it needs ignore_above <= {MAX_IGNORE_ABOVE}, or \
                     a long value gets the document rejected"
                )),
            }
        }
        if let Some(fields) = def.get("fields").and_then(Value::as_object) {
            for (sub, sub_def) in fields {
                if sub != "text" || sub_def["type"] != "text" {
                    problems.push(format!("{what}: `{path}` sub-fields are named `text`, of type text"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// docs/schema.md
// ---------------------------------------------------------------------------------------------

/// The JSON field names of every field table in `docs/schema.md`, with the `log_type` of the table's
/// section (`None` for sections about every document).
fn schema_fields() -> Vec<(Option<String>, String)> {
    let doc = std::fs::read_to_string(root().join("docs/schema.md")).unwrap();
    let mut out = Vec::new();
    let mut log_type: Option<String> = None;
    let mut column: Option<usize> = None;
    let mut previous_was_table = false;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            log_type = heading
                .split("`log_type: ")
                .nth(1)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned);
        }
        let is_table = line.starts_with('|');
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if is_table && !previous_was_table {
            column = cells
                .iter()
                .position(|c| *c == "JSON field")
                .or_else(|| cells.iter().position(|c| *c == "field"));
            assert!(
                column.is_some(),
                "docs/schema.md: a table without a `JSON field` or `field` column: {line}"
            );
        } else if is_table && !line.starts_with("|---") {
            let Some(col) = column else { continue };
            let mut cell = cells.get(col).copied().unwrap_or("");
            if cell == "same" {
                cell = cells[0];
            }
            for (i, part) in cell.split('`').enumerate() {
                let name = part.trim_matches('"');
                let plausible = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.@".contains(&b));
                if i % 2 == 1 && plausible {
                    out.push((log_type.clone(), name.to_owned()));
                }
            }
        }
        previous_was_table = is_table;
    }
    out
}

/// The log types whose indices must map a field of a section about `log_type` (`None`: all).
fn indices_for_section(t: &Templates, log_type: Option<&str>) -> Vec<String> {
    match log_type {
        None => t.index_templates.iter().map(|it| it.log_type.clone()).collect(),
        Some(lt) => {
            let mut v = vec![lt.to_owned()];
            v.extend(
                ALSO_DELIVERED_TO
                    .iter()
                    .filter(|(from, _)| *from == lt)
                    .map(|(_, to)| (*to).to_owned()),
            );
            v
        }
    }
}

#[test]
fn every_field_in_the_schema_tables_is_mapped() {
    let t = templates();
    let fields = schema_fields();
    // The tables are really read: spot checks from each kind of table.
    for (lt, name) in [
        (None, "@timestamp"),
        (None, "error.raw_bytes"),
        (Some("alb"), "trace_id"),
        (Some("alb"), "target_status_code_list"),
        (Some("cloudfront"), "sc_range_end"),
        (Some("cloudwatch"), "xray_sampled"),
        (Some("application"), "json"),
    ] {
        assert!(
            fields.iter().any(|(l, n)| l.as_deref() == lt && n == name),
            "schema.md parsing lost `{name}` ({lt:?})"
        );
    }
    assert!(
        fields.len() > 90,
        "only {} fields read from docs/schema.md",
        fields.len()
    );
    let mut unmapped = Vec::new();
    for (lt, name) in &fields {
        for index_type in indices_for_section(&t, lt.as_deref()) {
            let mapping = t
                .mapping_for(&format!("logs-{index_type}-2026-11-22"))
                .unwrap_or_else(|e| panic!("{e}"));
            if !is_mapped(&mapping, name) {
                unmapped.push(format!(
                    "`{name}` (schema section {lt:?}) is not mapped in logs-{index_type}-*"
                ));
            }
        }
    }
    assert!(unmapped.is_empty(), "{}", unmapped.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The documents logpipe writes
// ---------------------------------------------------------------------------------------------

/// One document as written, with where it came from.
struct Sourced {
    /// Input and, for `_bulk` output, the index named by its action line.
    source: String,
    index: Option<String>,
    text: String,
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `logpipe parse <extra args> <file>`, each stdout line a document.
fn parse(label: &str, file: &Path, extra: &[&str]) -> Vec<Sourced> {
    let stdout = run(logpipe().arg("parse").args(extra).arg(file));
    String::from_utf8(stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| Sourced {
            source: label.to_owned(),
            index: None,
            text: l.to_owned(),
        })
        .collect()
}

/// `logpipe invoke <function> --event <event>` into a local sink; the documents of its `_bulk` files.
fn invoke(function: &str, event: &Path, sink: &Path) -> Vec<Sourced> {
    run(logpipe()
        .args(["invoke", function, "--event"])
        .arg(event)
        .arg("--sink")
        .arg(sink));
    let mut docs = Vec::new();
    let bulk_dir = sink.join("opensearch-bulk");
    let mut files: Vec<_> = std::fs::read_dir(&bulk_dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        while let (Some(action), Some(doc)) = (lines.next(), lines.next()) {
            let action: Value = serde_json::from_str(action).unwrap();
            let index = action["create"]["_index"].as_str().map(str::to_owned);
            assert!(index.is_some(), "{}: not a create action: {action}", file.display());
            docs.push(Sourced {
                source: format!("invoke {function} {}", event.display()),
                index,
                text: doc.to_owned(),
            });
        }
    }
    docs
}

/// The documented ALB example line with fields replaced (`(position, value)`, 0-based).
fn alb_line(changes: &[(usize, &str)]) -> String {
    const DOCUMENTED: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;
    let mut fields: Vec<String> = Vec::new();
    let mut rest = DOCUMENTED;
    while !rest.is_empty() {
        let end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        fields.push(rest[..end].to_owned());
        rest = rest[end..].trim_start();
    }
    for (i, v) in changes {
        fields[*i] = (*v).to_owned();
    }
    fields.join(" ")
}

fn write(dir: &Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const CF_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
    cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header \
    cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type \
    cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type \
    sc-content-type sc-content-len sc-range-start sc-range-end";

/// Inputs with everything the sample data lacks: damaged lines of each kind, values of every shape
/// the parsers accept, and values longer than a Lucene term. Returns `(label, documents)`.
fn hostile_documents(dir: &Path) -> Vec<Sourced> {
    let mut docs = Vec::new();
    let long_url = format!("GET http://www.example.com/{} HTTP/1.1", "a".repeat(40_000));
    let long_agent = format!("Mozilla/5.0 {}", "é".repeat(20_000));
    let alb = [
        alb_line(&[]),
        // Every documented field, IPv6 client, no target, `- - -` request, two fields AWS may add.
        [
            r#"https 2026-11-22T05:00:00.123456Z app/lb/50dc6c495c0c9188 2001:db8::1:4443 - -1 -1 -1 460 - 120 0"#,
            r#""- - -" "-" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 - "Root=1-67400001-2fea875e75365e1458294a90""#,
            r#""www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012""#,
            r#"0 2026-11-22T05:00:00.100000Z "waf,forward" "https://example.com:443/login?next=%2F""#,
            r#""AuthInvalidCookie" "[2001:db8::2]:8443 10.0.0.2:80" "503 200" "Ambiguous" "AmbiguousUri""#,
            r#"TID_1234abcd5678ef90 "transformed.example.com" "/rewritten/path?x=1" "TRANSFORMED" "future-field" -"#,
        ]
        .join(" "),
        alb_line(&[(12, &format!("\"{long_url}\"")), (13, &format!("\"{long_agent}\""))]),
        alb_line(&[(8, "2OO")]),
        alb_line(&[(4, "10.0.0.1:eighty")]),
        alb_line(&[(21, "2018-02-30T22:22:48.364000Z")]),
        r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 "GET http://unterminated"#.to_owned(),
        "x".repeat(40_000),
        "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd".to_owned(),
    ]
    .join("\n");
    let alb_path = write(dir, "alb.log", alb.as_bytes());
    docs.extend(parse("hostile alb.log", &alb_path, &[]));
    docs.extend(parse(
        "hostile alb.log --max-line-bytes 30000",
        &alb_path,
        &["--max-line-bytes", "30000"],
    ));
    // A gzip stream cut in the middle: the lines before the cut, then one corrupt_gzip document.
    let many: String = (0..3000).map(|_| alb_line(&[]) + "\n").collect();
    let gz = gzip(many.as_bytes());
    let cut = write(dir, "alb-cut.log.gz", &gz[..gz.len() / 2]);
    docs.extend(parse("hostile alb-cut.log.gz", &cut, &[]));
    let garbage = write(dir, "garbage.log", b"this is not a log line\n\x00\x01 nor this\n");
    docs.extend(parse("hostile garbage.log", &garbage, &[]));

    let cf_full = [
        "2026-11-22",
        "05:00:01",
        "LAX1",
        "392",
        "2001:db8::7",
        "POST",
        "d111111abcdef8.cloudfront.net",
        "/api/login",
        "000",
        "https://www.example.com/%2520page",
        "Mozilla/5.0%20(X11;%20Linux%20x86_64)",
        "a=1&b=%20",
        "session=abc",
        "Error",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "www.example.com",
        "https",
        "23",
        "0.001",
        "198.51.100.1,%20203.0.113.9",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Error",
        "HTTP/2.0",
        "Processed",
        "2",
        "443",
        "0.001",
        "Error",
        "text/html",
        "78",
        "0",
        "77",
        "past-the-header",
        "-",
    ]
    .join("\t");
    let cf = [
        "#Version: 1.0".to_owned(),
        format!("#Fields: {CF_FIELDS}"),
        cf_full.clone(),
        cf_full.replace("\t392\t", "\t39x\t"),
        cf_full.replace("05:00:01", "25:00:01"),
        "#Fields: date time x-edge-location c-ip sc-status cs-uri-stem".to_owned(),
        "2026-11-22\t05:00:02\tFRA56-P5\t192.0.2.1\t304\t/old".to_owned(),
        "2026-11-22\t05:00:03\tFRA56-P5".to_owned(),
    ]
    .join("\n");
    docs.extend(parse(
        "hostile cloudfront.log",
        &write(dir, "cf.log", cf.as_bytes()),
        &[],
    ));

    let app_json = json!({
        "level": "ERROR", "nested": {"a": [1, 2.5, {"b": null}], "ok": true}, "dotted.key": "v",
        "long": "z".repeat(20_000), "unicode": "héllo ✓", "empty": {}, "list": []
    });
    let request = "8f5e3c21-0b7a-4c2e-9d9e-3b1f2a4c5d6e";
    let events = json!([
        {"id": "1", "timestamp": 1_795_324_200_000_i64, "message": format!("START RequestId: {request} Version: 7\n")},
        {"id": "2", "timestamp": 1_795_324_200_001_i64, "message": format!("END RequestId: {request}\n")},
        {"id": "3", "timestamp": 1_795_324_200_002_i64, "message": format!(
            "REPORT RequestId: {request}\tDuration: 1500.00 ms\tBilled Duration: 1500 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 128 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 322 ms\t\
             Status: timeout\tError Type: Runtime.ExitError\t\nXRAY TraceId: 1-6740a1b2-3c4d5e6f7a8b9c0d1e2f3a4b\t\
             SegmentId: 5e6f7a8b9c0d1e2f\tSampled: false\t\n")},
        {"id": 4, "timestamp": 1_795_324_200_003_i64, "message": app_json.to_string()},
        {"id": "5", "timestamp": "soon", "message": "an event without a usable timestamp"},
        {"id": "6", "timestamp": 1_795_324_200_004_i64, "message": 12},
        {"timestamp": 1_795_324_200_005_i64, "message": "an event without an id"},
    ]);
    let payload = json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/orders",
        "logStream": "2026/11/22/[$LATEST]4f3b2a1c0d9e8f7a6b5c4d3e2f1a0b9c", "subscriptionFilters": ["logpipe"],
        "logEvents": events
    });
    let control = json!({
        "messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
        "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1_795_324_200_000_i64,
        "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]
    });
    let cw = format!("{payload}\n{control}\n{{\"messageType\":\"SURPRISE\"}}\nnot-base64!!\n");
    docs.extend(parse(
        "hostile cloudwatch.json",
        &write(dir, "cw.json", cw.as_bytes()),
        &[],
    ));
    docs
}

/// Runs `bench/gen.py` (vendored: CI clones only this repository) and parses what it writes.
fn generated_documents(dir: &Path) -> Vec<Sourced> {
    let status = Command::new("python3")
        .arg(root().join("bench/gen.py"))
        .args(["--seed", "7", "--alb-mb", "2", "--cf-mb", "2", "--cw-mb", "2", "--out"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs bench/gen.py");
    assert!(status.success(), "bench/gen.py failed");
    let mut docs = Vec::new();
    for name in ["alb.log", "cf.log.gz", "cw.all.gz"] {
        docs.extend(parse(&format!("bench/gen.py {name}"), &dir.join(name), &[]));
    }
    // The inflated-size ceiling: the lines before it, then one inflated_size_limit document.
    docs.extend(parse(
        "bench/gen.py alb.log.gz --max-inflated-bytes 20000",
        &dir.join("alb.log.gz"),
        &["--max-inflated-bytes", "20000"],
    ));
    docs
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A document over Firehose's record limit, replaced the way the Firehose path replaces it.
fn too_large_document(like: &Sourced) -> Sourced {
    let mut doc: Value = serde_json::from_str(&like.text).unwrap();
    doc["message"] = Value::String("m".repeat(1100 * 1024));
    let json = doc.to_string();
    let timestamp = Timestamp::parse_rfc3339_utc(doc["@timestamp"].as_str().unwrap()).unwrap();
    let record = record_from_doc(
        &Doc {
            json: json.as_bytes(),
            log_type: "cloudwatch",
            timestamp,
            event_id: doc["event_id"].as_str().unwrap(),
            is_error: false,
        },
        0,
        &Arc::from("test"),
    );
    Sourced {
        source: "record_from_doc (document over 1,000 KiB)".into(),
        index: None,
        text: String::from_utf8(record.data.to_vec()).unwrap().trim_end().to_owned(),
    }
}

/// A problem's identity: log_type, index pattern, field path, value kind, what is wrong.
type ProblemKey = (String, String, String, Kind, String);

/// An index's template pattern and composed mapping, or why it has none.
type Resolved = Result<(String, Map<String, Value>), String>;

/// Every problem, grouped: (log_type, index pattern, path, kind, problem) → count and first example
/// (value and source).
#[derive(Default)]
struct Report {
    problems: BTreeMap<ProblemKey, (usize, String)>,
    /// log_type → field path → kinds seen.
    fields: BTreeMap<String, BTreeMap<String, BTreeSet<Kind>>>,
    documents: BTreeMap<String, usize>,
}

impl Report {
    fn problem(&mut self, log_type: &str, pattern: &str, path: &str, kind: Kind, problem: String, example: String) {
        let entry = self
            .problems
            .entry((log_type.into(), pattern.into(), path.into(), kind, problem))
            .or_insert((0, example));
        entry.0 += 1;
    }

    fn render_problems(&self) -> String {
        self.problems
            .iter()
            .map(|((lt, pattern, path, kind, problem), (count, example))| {
                format!(
                    "- log_type {lt} in {pattern}: `{path}` ({kind}): {problem}; {count} document(s), e.g. {example}"
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn render_fields(&self) -> String {
        let mut out = String::new();
        for (lt, fields) in &self.fields {
            out.push_str(&format!("{lt} ({} documents):\n", self.documents.get(lt).unwrap_or(&0)));
            for (path, kinds) in fields {
                let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                out.push_str(&format!("  {path}: {}\n", kinds.join(", ")));
            }
        }
        out
    }
}

/// Checks each document against every index it may land in.
fn check_all(t: &Templates, docs: &[Sourced]) -> Report {
    let mut report = Report::default();
    let mut mappings: HashMap<String, Resolved> = HashMap::new();
    let all_types: Vec<String> = t.index_templates.iter().map(|it| it.log_type.clone()).collect();
    for d in docs {
        let origin = |doc: Option<&Value>| {
            let id = doc.and_then(|v| v["event_id"].as_str()).unwrap_or("?");
            format!("{} (event_id {id})", d.source)
        };
        let doc = match parse_document(&d.text) {
            Ok(doc) => doc,
            Err(e) => {
                let example = format!("{}…", d.text.chars().take(100).collect::<String>());
                report.problem(
                    "?",
                    "-",
                    "",
                    Kind::Object,
                    format!("not a document OpenSearch accepts: {e}"),
                    format!("{example} in {}", origin(None)),
                );
                continue;
            }
        };
        let Some(log_type) = doc["log_type"].as_str() else {
            report.problem(
                "?",
                "-",
                "log_type",
                Kind::of(&doc["log_type"]),
                "no string log_type".into(),
                origin(Some(&doc)),
            );
            continue;
        };
        *report.documents.entry(log_type.to_owned()).or_default() += 1;
        let day = doc["@timestamp"]
            .as_str()
            .and_then(|s| s.get(..10))
            .unwrap_or("2026-11-22");
        let mut targets: BTreeSet<String> = BTreeSet::new();
        let own = format!("logs-{log_type}-{day}");
        targets.insert(own.clone());
        targets.extend(d.index.clone());
        for (from, to) in ALSO_DELIVERED_TO {
            if from == log_type {
                targets.insert(format!("logs-{to}-{day}"));
            }
        }
        if doc.get("error").is_some() {
            targets.extend(all_types.iter().map(|lt| format!("logs-{lt}-{day}")));
        }
        for index in &targets {
            let resolved = mappings.entry(index.clone()).or_insert_with(|| {
                t.template_for(index)
                    .map(|it| it.patterns().join(","))
                    .and_then(|pattern| t.mapping_for(index).map(|m| (pattern, m)))
            });
            let (pattern, mapping) = match resolved {
                Ok((pattern, mapping)) => (pattern.clone(), &*mapping),
                Err(e) => {
                    let e = e.clone();
                    report.problem(log_type, index, "", Kind::Object, e, origin(Some(&doc)));
                    continue;
                }
            };
            let checked = check_document(mapping, &doc);
            for f in checked.findings {
                let example = format!("{} in {}", f.example, origin(Some(&doc)));
                report.problem(log_type, &pattern, &f.path, f.kind, f.problem, example);
            }
            if *index == own {
                let fields = report.fields.entry(log_type.to_owned()).or_default();
                for (path, kinds) in checked.fields {
                    fields.entry(path).or_default().extend(kinds);
                }
            }
        }
    }
    report
}

#[test]
fn every_field_logpipe_writes_is_mapped_with_a_type_that_accepts_it() {
    let t = templates();
    let tmp = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();

    let mut objects = Vec::new();
    files_under(&root().join("events/objects"), &mut objects);
    objects.sort();
    for path in &objects {
        let label = path.strip_prefix(root()).unwrap_or(path).display().to_string();
        docs.extend(parse(&label, path, &[]));
    }
    // One sample file per format beyond the S3 objects (NLB, VPC flow, CloudFront v2, …), detected,
    // and lines crafted to carry every documented field the samples lack (tests/data/coverage/).
    let mut samples = Vec::new();
    files_under(&root().join("events/samples"), &mut samples);
    files_under(&root().join("tests/data/coverage"), &mut samples);
    samples.sort();
    for path in &samples {
        let label = path.strip_prefix(root()).unwrap_or(path).display().to_string();
        docs.extend(parse(&label, path, &[]));
    }
    let mut events = Vec::new();
    files_under(&root().join("events"), &mut events);
    events.retain(|p| {
        p.extension() == Some(OsStr::new("json"))
            && !p.starts_with(root().join("events/objects"))
            && !p.starts_with(root().join("events/samples"))
    });
    events.sort();
    for (i, event) in events.iter().enumerate() {
        let function = event
            .parent()
            .and_then(Path::file_name)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let relative = event.strip_prefix(root()).unwrap_or(event);
        docs.extend(invoke(&function, relative, &tmp.path().join(format!("sink-{i}"))));
    }
    let generated = tmp.path().join("gen");
    docs.extend(generated_documents(&generated));
    let hostile = tmp.path().join("hostile");
    std::fs::create_dir_all(&hostile).unwrap();
    docs.extend(hostile_documents(&hostile));
    let cloudwatch_doc = docs
        .iter()
        .find(|d| d.text.contains(r#""log_type":"cloudwatch""#) && !d.text.contains(r#""error":"#))
        .expect("a CloudWatch document");
    docs.push(too_large_document(cloudwatch_doc));

    let report = check_all(&t, &docs);
    assert!(
        report.problems.is_empty(),
        "{} problem(s) in {} documents:\n{}\n\nfields seen:\n{}",
        report.problems.len(),
        docs.len(),
        report.render_problems(),
        report.render_fields()
    );

    // The corpus is what it should be: every template's log type has documents, and every field
    // of the schema tables, error fields included, was written at least once.
    let mut missing = Vec::new();
    for it in &t.index_templates {
        if !report.documents.contains_key(&it.log_type) {
            missing.push(format!("no `{}` document in the corpus", it.log_type));
        }
    }
    let seen_anywhere: BTreeSet<&str> = report
        .fields
        .values()
        .flat_map(|f| f.keys().map(String::as_str))
        .collect();
    let mut expected: Vec<(Option<String>, String)> = schema_fields();
    expected.extend(
        [
            "truncated",
            "error.original_bytes",
            "error.raw_truncated",
            "error.line",
            "extra_fields",
        ]
        .map(|f| (None, f.to_owned())),
    );
    for (lt, name) in expected {
        let seen = match &lt {
            Some(lt) => report.fields.get(lt).is_some_and(|f| f.contains_key(&name)),
            None => seen_anywhere.contains(name.as_str()),
        };
        if !seen {
            missing.push(format!("`{name}` ({lt:?}) never written by the corpus"));
        }
    }
    assert!(
        missing.is_empty(),
        "{}\n\nfields seen:\n{}",
        missing.join("\n"),
        report.render_fields()
    );
}

// ---------------------------------------------------------------------------------------------
// The checker itself: it must be able to fail
// ---------------------------------------------------------------------------------------------

fn alb_mapping() -> Map<String, Value> {
    templates().mapping_for("logs-alb-2026-11-22").unwrap()
}

fn finding_paths(mapping: &Map<String, Value>, doc: Value) -> Vec<String> {
    check_document(mapping, &doc)
        .findings
        .into_iter()
        .map(|f| f.path)
        .collect()
}

#[test]
fn checker_reports_a_string_in_a_long_field() {
    let doc = json!({"@timestamp": "2026-11-22T05:00:00Z", "log_type": "alb", "event_id": "e", "sent_bytes": "12"});
    let findings = check_document(&alb_mapping(), &doc).findings;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        (findings[0].path.as_str(), findings[0].kind),
        ("sent_bytes", Kind::String)
    );
}

#[test]
fn checker_reports_an_unmapped_field() {
    let m = alb_mapping();
    assert_eq!(
        finding_paths(&m, json!({"log_type": "alb", "no_such_field": 1})),
        ["no_such_field"]
    );
    assert_eq!(
        finding_paths(&m, json!({"error": {"kind": "x", "extra": "y"}})),
        ["error.extra"]
    );
    // CloudFront's fields are not ALB's.
    assert_eq!(finding_paths(&m, json!({"c_ip": "192.0.2.1"})), ["c_ip"]);
}

#[test]
fn checker_reports_an_invalid_ip() {
    let m = alb_mapping();
    for bad in ["999.1.1.1", "notanip", "10.0.0.1:80", "", "[2001:db8::1]"] {
        assert_eq!(finding_paths(&m, json!({ "client_ip": bad })), ["client_ip"], "{bad}");
    }
    for good in ["10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1"] {
        assert!(finding_paths(&m, json!({ "client_ip": good })).is_empty(), "{good}");
    }
}

#[test]
fn checker_type_rules() {
    let ok = |node: Value, value: Value| {
        let ty = node_type(&node).unwrap().to_owned();
        accepts_leaf(&node, &ty, &value)
    };
    let date = json!({"type": "date", "format": DATE_FORMAT});
    let cases = [
        (json!({"type": "keyword"}), json!("x"), true),
        (json!({"type": "keyword"}), json!(1), false),
        (json!({"type": "keyword"}), json!("k".repeat(40_000)), false),
        (
            json!({"type": "keyword", "ignore_above": 8191}),
            json!("k".repeat(40_000)),
            true,
        ),
        (
            json!({"type": "keyword", "ignore_above": 8191}),
            json!("k".repeat(8191)),
            true,
        ),
        (json!({"type": "text"}), json!("k".repeat(40_000)), true),
        (json!({"type": "text"}), json!(true), false),
        (json!({"type": "long"}), json!(-1), true),
        (json!({"type": "long"}), json!(u64::MAX), false),
        (json!({"type": "long"}), json!(0.5), false),
        (json!({"type": "integer"}), json!(65535), true),
        (json!({"type": "integer"}), json!(99_999_999_999_i64), false),
        (json!({"type": "short"}), json!(40_000), false),
        (json!({"type": "byte"}), json!(-128), true),
        (json!({"type": "unsigned_long"}), json!(u64::MAX), true),
        (json!({"type": "unsigned_long"}), json!(-1), false),
        (json!({"type": "double"}), json!(0.086), true),
        (json!({"type": "double"}), json!(-1), true),
        (json!({"type": "double"}), json!("0.086"), false),
        (json!({"type": "float"}), json!(1e300), false),
        (json!({"type": "boolean"}), json!(false), true),
        (json!({"type": "boolean"}), json!("true"), false),
        (date.clone(), json!("2026-11-22T05:00:13.793292Z"), true),
        (date.clone(), json!(1_795_324_200_000_i64), true),
        (date.clone(), json!("2026-11-22 05:00:13"), false),
        (date.clone(), json!(1.5), false),
        (
            json!({"type": "date", "format": "strict_date_optional_time"}),
            json!(1),
            false,
        ),
        (json!({"type": "ip"}), json!("203.0.113.12"), true),
        (json!({"type": "ip"}), json!(3), false),
        (json!({"type": "geo_point"}), json!("x"), false),
    ];
    for (node, value, expected) in cases {
        let result = ok(node.clone(), value.clone());
        assert_eq!(
            result.is_ok(),
            expected,
            "{node} with {}: {result:?}",
            logpipe_e2e::mappings::shorten(&value)
        );
    }
}

#[test]
fn checker_objects_arrays_and_flat_objects() {
    let mapping: Map<String, Value> = serde_json::from_value(json!({
        "json": {"type": "flat_object"},
        "codes": {"type": "integer"},
        "error": {"properties": {"line": {"type": "long"}}},
        "raw": {"type": "object", "enabled": false},
        "name": {"type": "keyword", "fields": {"text": {"type": "text"}}}
    }))
    .unwrap();
    let paths = |doc: Value| finding_paths(&mapping, doc);
    assert!(
        paths(json!({"json": {"a": [{"b": null}, 1], "c.d": "e"}, "codes": [200, 502], "raw": [1, {"x": "y"}]}))
            .is_empty()
    );
    assert_eq!(paths(json!({"codes": [200, "OK"]})), ["codes"]);
    assert_eq!(paths(json!({"json": "scalar"})), ["json"]);
    assert_eq!(paths(json!({"json": [{"a": 1}]})), ["json"]);
    assert_eq!(
        paths(json!({"json": {"a": {"long": "v".repeat(33_000)}}})),
        ["json.a.long"]
    );
    assert_eq!(paths(json!({"error": "flat"})), ["error"]);
    assert_eq!(paths(json!({"error": {"line": 1.5}})), ["error.line"]);
    assert_eq!(paths(json!({"error.line": "x"})), ["error.line"]);
    assert_eq!(paths(json!({"name": {"nested": 1}})), ["name"]);
    assert!(paths(json!({"name": "x", "error": null, "codes": []})).is_empty());
    let seen = check_document(&mapping, &json!({"codes": [1], "json": {"a": 1}})).fields;
    assert_eq!(seen["codes"], BTreeSet::from([Kind::Array, Kind::Integer]));
    assert!(
        !seen.contains_key("json.a"),
        "a flat_object's inside is not a field: {seen:?}"
    );
}

#[test]
fn checker_rejects_what_the_json_parser_of_opensearch_rejects() {
    assert!(parse_document(r#"{"a":1,"b":{"c":2}}"#).is_ok());
    let dup = parse_document(r#"{"a":1,"json":{"b":1,"b":2}}"#).unwrap_err();
    assert!(dup.contains("duplicate key `b`"), "{dup}");
    assert!(parse_document(r#"{"a":1e400}"#).is_err());
    assert!(parse_document(r#"{"a":1} {"b":2}"#).is_err());
}

#[test]
fn strict_date_optional_time_profile() {
    for good in [
        "2026-11-22T05:00:13.793292Z",
        "2026-11-22T05:00:21Z",
        "2026-11-22",
        "2026-11",
        "2026",
        "2024-02-29T00:00:00.000Z",
        "2026-11-22T05:00:13+01:00",
        "2026-11-22T05:00:13.123456789-0530",
        "0000-01-01T00:00:00.000Z",
    ] {
        assert!(is_strict_date_optional_time(good), "{good}");
    }
    for bad in [
        "2026-11-22 05:00:13",
        "2026-02-29",
        "2026-13-01",
        "2026-11-22T24:00:00Z",
        "2026-11-22T05:60:00Z",
        "2026-11-22T05:00:13.1234567890Z",
        "2026-11-22T05:00:13Zjunk",
        "2026-11-22T05:00:13+25:00",
        "22/Nov/2026:05:00:13 +0000",
        "1795324200000",
        "2026-11-22T05:00:13+0é",
        "",
    ] {
        assert!(!is_strict_date_optional_time(bad), "{bad}");
    }
}

#[test]
fn templates_resolve_by_pattern_priority_and_composition() {
    let t = templates();
    for it in &t.index_templates {
        let index = format!("logs-{}-2026-11-22", it.log_type);
        assert_eq!(t.template_for(&index).unwrap().log_type, it.log_type);
        let mapping = t.mapping_for(&index).unwrap();
        assert!(
            mapping.contains_key("@timestamp") && mapping.contains_key("error"),
            "{index}: common fields"
        );
    }
    assert!(t.template_for("logs-nosuchtype-2026-11-22").is_err());
    assert!(t.template_for("other-alb-2026-11-22").is_err());
    assert!(wildcard_match("logs-alb-*", "logs-alb-2026-11-22"));
    assert!(!wildcard_match("logs-alb-*", "logs-albx-2026-11-22"));
    assert!(wildcard_match("a*b*c", "aXbYc") && !wildcard_match("a*b*c", "aXcYb"));

    // Synthetic: priority decides, equal priorities are ambiguous, the template overrides components.
    let synthetic = Templates {
        components: [(
            "c".to_owned(),
            json!({"template": {"mappings": {"properties": {
            "f": {"type": "keyword"}, "o": {"properties": {"a": {"type": "long"}}}}}}}),
        )]
        .into(),
        index_templates: vec![
            logpipe_e2e::mappings::IndexTemplate {
                log_type: "low".into(),
                body: json!({"index_patterns": ["x-*"], "priority": 1, "composed_of": ["c"]}),
            },
            logpipe_e2e::mappings::IndexTemplate {
                log_type: "high".into(),
                body: json!({"index_patterns": ["x-y-*"], "priority": 2, "composed_of": ["c"], "template": {
                    "mappings": {"properties": {"f": {"type": "long"}, "o": {"properties": {"b": {"type": "ip"}}}}}}}),
            },
            logpipe_e2e::mappings::IndexTemplate {
                log_type: "twin".into(),
                body: json!({"index_patterns": ["x-z*"], "priority": 1}),
            },
        ],
    };
    assert_eq!(synthetic.template_for("x-y-1").unwrap().log_type, "high");
    assert_eq!(synthetic.template_for("x-q").unwrap().log_type, "low");
    assert!(synthetic.template_for("x-z1").is_err(), "two templates at priority 1");
    let m = synthetic.mapping_for("x-y-1").unwrap();
    assert_eq!(m["f"]["type"], "long");
    assert_eq!(m["o"]["properties"]["a"]["type"], "long");
    assert_eq!(m["o"]["properties"]["b"]["type"], "ip");
}

// ---------------------------------------------------------------------------------------------
// Known gaps, for the integrator
// ---------------------------------------------------------------------------------------------

/// Values no mapping accepts: an address that is not one, integers past their field's range
/// (`integer`, `long`), numbers infinite as doubles. The ALB and CloudFront parsers make each such
/// line an error document naming the field, and a CloudFront header named like a common field
/// (`truncated`, `json`, …) has its values put in `extra_fields`. Each input changes one value of
/// a valid line, so every check is proven on its own.
#[test]
fn values_the_mappings_refuse_become_error_documents() {
    let t = templates();
    let tmp = tempfile::tempdir().unwrap();
    let alb: Vec<(String, &str)> = vec![
        (alb_line(&[(3, "notanip:2817")]), "client_ip"),
        (alb_line(&[(3, ":2817")]), "client_ip"),
        (alb_line(&[(4, "10.0.0.300:80")]), "target_ip"),
        (alb_line(&[(4, "[2001:db8::1:80")]), "target_ip"),
        (alb_line(&[(3, "192.168.131.39:99999999999")]), "client_port"),
        (alb_line(&[(4, "10.0.0.1:65536")]), "target_port"),
        (alb_line(&[(9, "99999999999")]), "target_status_code"),
        (alb_line(&[(8, "1000")]), "elb_status_code"),
        (alb_line(&[(10, "9223372036854775808")]), "received_bytes"),
        (alb_line(&[(11, "18446744073709551615")]), "sent_bytes"),
        (alb_line(&[(20, "2147483648")]), "matched_rule_priority"),
        (alb_line(&[(26, "\"200 70000\"")]), "target_status_code_list"),
        (alb_line(&[(6, "1e400")]), "target_processing_time"),
        (alb_line(&[(5, "1e-3")]), "request_processing_time"),
    ];
    let cf_header = "#Version: 1.0\n#Fields: date time c-ip sc-status sc-bytes time-taken c-port";
    let cf_line = |values: [&str; 5]| format!("2026-11-22\t05:00:00\t{}", values.join("\t"));
    let cf: Vec<(String, &str)> = vec![
        (cf_line(["bogus", "200", "1", "0.001", "443"]), "c_ip"),
        (cf_line(["192.0.2.1:443", "200", "1", "0.001", "443"]), "c_ip"),
        (cf_line(["192.0.2.1", "99999999999", "1", "0.001", "443"]), "sc_status"),
        (
            cf_line(["192.0.2.1", "200", "18446744073709551615", "0.001", "443"]),
            "sc_bytes",
        ),
        (cf_line(["192.0.2.1", "200", "1", "1e400", "443"]), "time_taken"),
        (cf_line(["192.0.2.1", "200", "1", "0.001", "70000"]), "c_port"),
    ];
    // Real-time records in the default field order: timestamp, c-ip, time-to-first-byte, sc-status.
    let realtime: Vec<(String, &str)> = vec![
        ("1795341600.123\tbogus\t0.002\t200".to_owned(), "c_ip"),
        ("1795341600.123\t192.0.2.1\t1e400\t200".to_owned(), "time_to_first_byte"),
        ("1795341600.123\t192.0.2.1\t0.002\t4294967296".to_owned(), "sc_status"),
    ];
    let v2: Vec<(String, &str)> = vec![
        (
            r#"{"timestamp(ms)":"1795341600123","c-ip":"bogus","sc-status":"200"}"#.to_owned(),
            "c_ip",
        ),
        (
            r#"{"timestamp(ms)":"1795341600123","c-ip":"192.0.2.1","sc-bytes":1e400}"#.to_owned(),
            "sc_bytes",
        ),
        (
            r#"{"timestamp(ms)":"1795341600123","c-ip":"192.0.2.1","origin-fbl":1e400}"#.to_owned(),
            "origin_fbl",
        ),
    ];

    let join = |cases: &[(String, &str)]| cases.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join("\n");
    /// `(label, the documents, the cases: line and the field that must be refused)`.
    type Input<'c> = (&'c str, Vec<Sourced>, &'c [(String, &'c str)]);
    let mut inputs: Vec<Input> = Vec::new();
    let alb_docs = parse(
        "alb",
        &write(tmp.path(), "alb.log", join(&alb).as_bytes()),
        &["--format", "alb"],
    );
    inputs.push(("alb", alb_docs, &alb));
    let cf_text = format!("{cf_header}\n{}", join(&cf));
    let cf_docs = parse(
        "cloudfront",
        &write(tmp.path(), "cf.log", cf_text.as_bytes()),
        &["--format", "cloudfront"],
    );
    inputs.push(("cloudfront", cf_docs, &cf));
    let rt_path = write(tmp.path(), "rt.log", join(&realtime).as_bytes());
    let rt_docs = parse("realtime", &rt_path, &["--format", "cloudfront_realtime"]);
    inputs.push(("cloudfront_realtime", rt_docs, &realtime));
    let v2_path = write(tmp.path(), "v2.log", join(&v2).as_bytes());
    inputs.push(("cloudfront", parse("v2", &v2_path, &["--format", "cloudfront_v2"]), &v2));

    let mut all = Vec::new();
    for (log_type, docs, cases) in inputs {
        assert_eq!(docs.len(), cases.len(), "{log_type}: one document per line");
        for (doc, (line, field)) in docs.iter().zip(cases) {
            let v: Value = serde_json::from_str(&doc.text).unwrap();
            assert_eq!(v["log_type"], log_type, "{line}");
            assert_eq!(v["error"]["kind"], "invalid_field", "{line}: {v}");
            let message = v["error"]["message"].as_str().unwrap_or("");
            assert!(
                message.starts_with(&format!("field `{field}` ")),
                "{line}: `{field}` should be named in {message:?}"
            );
        }
        all.extend(docs);
    }

    // A header field named like a common field: its values go to `extra_fields`.
    let reserved = "#Fields: date time c-ip truncated json message error event-id\n\
                    2026-11-22\t05:00:00\t192.0.2.1\tyes\t{}\tm\te\tid\n";
    let docs = parse(
        "cloudfront",
        &write(tmp.path(), "cf-reserved.log", reserved.as_bytes()),
        &["--format", "cloudfront"],
    );
    assert_eq!(docs.len(), 1);
    let v: Value = serde_json::from_str(&docs[0].text).unwrap();
    assert!(
        v.get("error").is_none() && v.get("truncated").is_none() && v.get("json").is_none(),
        "{v}"
    );
    assert_ne!(v["event_id"], "id", "{v}");
    assert_eq!(v["extra_fields"], json!(["yes", "{}", "m", "e", "id"]), "{v}");
    all.extend(docs);

    let report = check_all(&t, &all);
    assert!(report.problems.is_empty(), "{}", report.render_problems());
}

/// Values the parsers let through today although no sane mapping accepts them. Each one gets the
/// whole document rejected by OpenSearch (or, for `x_new_field`, left unindexed). Run with
/// `--ignored` once the parsers validate these values.
#[test]
#[ignore = "parser gaps: fractional integers in CloudWatch REPORT lines, duplicate keys and long leaves in \
            `json`; CloudFront header names the template does not map"]
fn values_the_parsers_should_refuse() {
    let t = templates();
    let tmp = tempfile::tempdir().unwrap();
    // An unknown header name is kept as a string field, which no template maps.
    let cf = "#Version: 1.0\n#Fields: date time c-ip x-new-field\n2026-11-22\t05:00:00\t192.0.2.1\tv\n";
    let payload = |message: &str| {
        json!({"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "g", "logStream": "s",
               "subscriptionFilters": ["f"], "logEvents": [{"id": "1", "timestamp": 1, "message": message}]})
        .to_string()
    };
    let cw = [
        payload("REPORT RequestId: r\tDuration: 1.5 ms\tBilled Duration: 2.5 ms\tMemory Size: 128.5 MB\t"),
        payload(r#"{"a": 1, "a": 2}"#),
        payload(&format!(r#"{{"stack": "{}"}}"#, "s".repeat(40_000))),
    ]
    .join("\n");
    let mut docs = parse("cloudfront", &write(tmp.path(), "cf.log", cf.as_bytes()), &[]);
    docs.extend(parse("cloudwatch", &write(tmp.path(), "cw.json", cw.as_bytes()), &[]));
    let report = check_all(&t, &docs);
    assert!(report.problems.is_empty(), "{}", report.render_problems());
}
