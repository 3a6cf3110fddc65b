//! The examples in `docs/schema.md` are real output: each equals the document logpipe writes today
//! for the same sample line, so the documentation cannot drift from the parsers.

use logpipe_e2e::{logpipe, root, ALB_OBJECT, CLOUDFRONT_OBJECT, CLOUDWATCH_OBJECT};
use serde_json::Value;

fn json_blocks(markdown: &str) -> Vec<Value> {
    markdown
        .split("```json\n")
        .skip(1)
        .map(|rest| rest.split("\n```").next().unwrap())
        .map(|block| serde_json::from_str(block).unwrap_or_else(|e| panic!("bad example: {e}\n{block}")))
        .collect()
}

#[test]
fn schema_examples_match_the_parsers() {
    let doc = std::fs::read_to_string(root().join("docs/schema.md")).unwrap();
    let examples = json_blocks(&doc);
    assert!(examples.len() >= 4, "one example per format plus an error document");
    // One sample per format beyond the three S3 objects (events/samples/).
    let samples = [
        "events/samples/alb_conn.log",
        "events/samples/nlb.log",
        "events/samples/clb.log",
        "events/samples/s3_access.log",
        "events/samples/vpcflow.log",
        "events/samples/vpcflow_custom.log",
        "events/samples/cloudfront_v2.json.log",
        "events/samples/cloudfront_v2_w3c.log",
        "events/samples/cloudfront_realtime.log",
        "events/samples/waf.log",
        "events/samples/cloudtrail.json",
        "events/samples/apigateway.log",
    ];
    let out = logpipe()
        .args(["parse", ALB_OBJECT, CLOUDFRONT_OBJECT, CLOUDWATCH_OBJECT])
        .args(samples)
        .output()
        .unwrap();
    assert!(out.status.success());
    let actual: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for mut example in examples {
        let id = example["event_id"].clone();
        let mut found = actual
            .iter()
            .find(|d| d["event_id"] == id)
            .unwrap_or_else(|| panic!("no document with event_id {id}"))
            .clone();
        if example.get("error").is_some() {
            // error documents carry the time they were written
            example.as_object_mut().unwrap().remove("@timestamp");
            found.as_object_mut().unwrap().remove("@timestamp");
        }
        assert_eq!(
            found, example,
            "docs/schema.md example {id} differs from the parser's output"
        );
    }
}
