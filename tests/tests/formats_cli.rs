//! Every log format through the CLI: each sample file in `events/samples/` parses with
//! `logpipe parse --format <name>` and with `auto` into the same documents, all of that format's
//! `log_type`, with no error document; and each file given the wrong format yields error documents,
//! never documents of the wrong type.

use logpipe_e2e::logpipe;
use serde_json::Value;

/// `(sample, --format name, log_type)`.
const SAMPLES: [(&str, &str, &str); 13] = [
    ("alb_conn.log", "alb_connection", "alb_connection"),
    ("nlb.log", "nlb", "nlb"),
    ("clb.log", "clb", "clb"),
    ("s3_access.log", "s3_access", "s3_access"),
    ("vpcflow.log", "vpcflow", "vpcflow"),
    ("vpcflow_custom.log", "vpcflow", "vpcflow"),
    ("cloudfront_v2.json.log", "cloudfront_v2", "cloudfront"),
    ("cloudfront_v2_w3c.log", "cloudfront_v2", "cloudfront"),
    ("cloudfront_realtime.log", "cloudfront_realtime", "cloudfront_realtime"),
    ("waf.log", "waf", "waf"),
    ("cloudtrail.json", "cloudtrail", "cloudtrail"),
    ("apigateway.log", "apigateway", "apigateway"),
    ("s3_access.log", "auto", "s3_access"),
];

fn parse(format: &str, file: &str) -> Vec<Value> {
    let out = logpipe()
        .args(["parse", "--format", format])
        .arg(format!("events/samples/{file}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_sample_parses_with_its_format_and_with_auto_alike() {
    for (file, format, log_type) in SAMPLES {
        let fixed = parse(format, file);
        assert!(fixed.len() >= 5, "{file}: {} documents", fixed.len());
        for doc in &fixed {
            assert_eq!(doc["log_type"], log_type, "{file}: {doc}");
            assert!(doc.get("error").is_none(), "{file} --format {format}: {doc}");
        }
        assert_eq!(parse("auto", file), fixed, "{file}: auto and --format {format} differ");
    }
}

#[test]
fn a_wrong_format_gives_error_documents_never_wrong_documents() {
    let wrong = [
        ("nlb.log", "alb"),
        ("alb_conn.log", "clb"),
        ("clb.log", "nlb"),
        ("s3_access.log", "vpcflow"),
        ("vpcflow.log", "s3_access"),
        ("waf.log", "cloudtrail"),
        ("apigateway.log", "waf"),
        ("cloudfront_realtime.log", "alb"),
    ];
    for (file, format) in wrong {
        let docs = parse(format, file);
        let lines = std::fs::read_to_string(logpipe_e2e::root().join("events/samples").join(file))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        let errors = docs.iter().filter(|d| d.get("error").is_some()).count();
        // A header line (VPC flow) gives no document; every other line is an error document.
        assert!(
            errors + 1 >= lines && errors > 0,
            "{file} as {format}: {errors} errors for {lines} lines"
        );
        assert!(
            docs.iter().all(|d| d.get("error").is_some()),
            "{file} as {format}: a line was parsed as the wrong format"
        );
    }
}
