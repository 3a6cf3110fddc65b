//! The four data function binaries under the real Lambda Runtime API of `cargo lambda watch`, with the
//! settings of a moto pipeline in their environment. Every sample event in `events/<function>/` is
//! sent to the Invoke endpoint; each response is checked, and so is what reached the archive bucket
//! through Firehose and the failed-record bucket.
//!
//! cargo-lambda 1.9.2 sends `Lambda-Runtime-Deadline-Ms: 600000` (a constant) where AWS sends the
//! deadline as epoch milliseconds, so under a plain `cargo lambda watch` every invocation starts
//! with its deadline 56 years past, and the handlers stop before reading anything
//! (`Retryable: stopped reading … before the Lambda deadline`). Hence two tests:
//! - `sample_events_through_the_runtime_api`: `cargo lambda watch --only-lambda-apis`, the built
//!   binaries started by the test, talking to the Runtime API through [`DeadlineProxy`], which only
//!   turns that constant into `now + 600000`. All sample events.
//! - `cargo_lambda_watch_runs_the_binaries`: plain `cargo lambda watch`, which starts each function
//!   with `cargo run --bin <function>` (already built by scripts/test.sh, so nothing is compiled);
//!   an invocation that needs no deadline, one through `cargo lambda invoke`, and one that shows
//!   the deadline problem (or, once the handlers cope with it, succeeds).
//!
//! `firehose-transform` re-ingests what does not fit its response into a second moto stream of its
//! own (its `LOGPIPE_DELIVERY_STREAM`), whose bucket must then hold exactly those original records.
//!
//! Needs `--features emulator`, `AWS_ENDPOINT_URL` (moto), `cargo lambda` on PATH (scripts/test.sh
//! installs it into `.venv`) and the built function binaries. Every process a test starts is
//! stopped when it ends, whether it passes or not.

use base64::Engine;
use logpipe_e2e::emulator::{
    check_object, check_payload, decode_awslogs, events_of, ms_since, record_payload, start_function, Archive, Aws,
    DeadlineProxy, Figures, Kind, LambdaWatch, Pipeline, WatchMode, ALB_KEY, CLOUDFRONT_KEY, CONN_LOG_KEY, CORRUPT_KEY,
    SPACES_KEY,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The first invocation of a function starts `cargo run`; the binaries are built, so this is ample.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(300);

/// What one sample event must produce.
struct Expect {
    /// Objects whose every line must arrive.
    objects: &'static [(&'static str, Kind)],
    /// Documents in the archive after the invocation (new ones).
    documents: usize,
    /// Records in the failed-record store (new ones) and their reason.
    failed: Option<&'static str>,
}

fn expect(function: &str, file: &str) -> Expect {
    const ALB: &[(&str, Kind)] = &[(ALB_KEY, Kind::Alb)];
    const CF: &[(&str, Kind)] = &[(CLOUDFRONT_KEY, Kind::CloudFront)];
    let e = |objects, documents| Expect {
        objects,
        documents,
        failed: None,
    };
    match (function, file) {
        ("s3-access-logs", "eventbridge-object-created-alb.json") => e(ALB, 29),
        ("s3-access-logs", "s3-put-alb.json") => e(ALB, 29),
        ("s3-access-logs", "s3-put-cloudfront.json") => e(CF, 21),
        ("s3-access-logs", "s3-put-conn-log.json") => e(&[(CONN_LOG_KEY, Kind::AlbConnection)], 17),
        ("s3-access-logs", "s3-put-corrupt-gzip.json") => e(&[(CORRUPT_KEY, Kind::Alb)], 12),
        ("s3-access-logs", "s3-put-key-with-spaces.json") => e(&[(SPACES_KEY, Kind::Alb)], 29),
        ("s3-access-logs", "s3-put-missing-object.json") => e(&[], 1),
        ("s3-access-logs", "s3-test-event.json") => e(&[], 0),
        ("s3-access-logs", "sns-s3-put-cloudfront.json") => e(CF, 21),
        ("s3-access-logs", "sqs-mixed-bad-message.json") => {
            e(&[(ALB_KEY, Kind::Alb), (CLOUDFRONT_KEY, Kind::CloudFront)], 50)
        }
        ("s3-access-logs", "sqs-s3-put-alb.json") => e(ALB, 29),
        ("s3-access-logs", "sqs-sns-s3-put-cloudfront.json") => e(CF, 21),
        ("cloudwatch-forwarder", "cwlogs-bomb.json") => e(&[], 1),
        ("cloudwatch-forwarder", "cwlogs-control-message.json") => e(&[], 0),
        ("cloudwatch-forwarder", "cwlogs-data-message.json") => e(&[], 7),
        ("kinesis-relay", "kinesis-cwlogs.json") => e(&[], 6),
        ("kinesis-relay", "kinesis-cloudfront-realtime.json") => e(&[], 3),
        ("kinesis-relay", "kinesis-foreign-owner.json") => Expect {
            failed: Some("foreign_owner"),
            ..e(&[], 0)
        },
        ("kinesis-relay", "kinesis-mixed-bad-record.json") => Expect {
            failed: Some("unprocessable"),
            ..e(&[], 4)
        },
        // firehose-transform answers its documents to Firehose: nothing reaches the archive.
        (
            "firehose-transform",
            "firehose-application.json"
            | "firehose-cwlogs.json"
            | "firehose-mixed-bad-records.json"
            | "firehose-over-6mb.json",
        ) => e(&[], 0),
        _ => panic!("events/{function}/{file} is new: add what it must produce to emulator_lambda.rs"),
    }
}

/// Checks the response of a successful invocation.
fn check_response(function: &str, file: &str, ev: &Value, r: &Value, expected: &Expect) {
    match function {
        "s3-access-logs" if file.starts_with("sqs-") => {
            let failures: Vec<Value> = if file == "sqs-mixed-bad-message.json" {
                vec![json!({"itemIdentifier": ev["Records"][2]["messageId"]})]
            } else {
                vec![]
            };
            assert_eq!(r, &json!({ "batchItemFailures": failures }), "{file}");
        }
        "s3-access-logs" | "cloudwatch-forwarder" => {
            assert_eq!(r["documents"], expected.documents, "{file}: {r}");
            assert_eq!(r["delivered"], expected.documents, "{file}: {r}");
            assert_eq!(r["failed_stored"], 0, "{file}: {r}");
            if file == "cwlogs-control-message.json" {
                assert_eq!(r["control_messages"], 1, "{file}: {r}");
            }
            if file == "s3-test-event.json" {
                assert_eq!(r["skipped"], 1, "{file}: {r}");
            }
            if file == "s3-put-conn-log.json" {
                assert_eq!(r["skipped"], 0, "the connection log is parsed: {r}");
            }
        }
        "kinesis-relay" => assert_eq!(r, &json!({"batchItemFailures": []}), "{file}"),
        "firehose-transform" => {
            let asked: Vec<&Value> = ev["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| &r["recordId"])
                .collect();
            let answers = r["records"].as_array().unwrap();
            let answered: Vec<&Value> = answers.iter().map(|a| &a["recordId"]).collect();
            assert_eq!(asked, answered, "{file}: every recordId once, in order");
            let results: Vec<&str> = answers.iter().map(|a| a["result"].as_str().unwrap()).collect();
            let documents: usize = answers
                .iter()
                .filter(|a| a["result"] == "Ok")
                .map(|a| {
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(a["data"].as_str().unwrap())
                        .unwrap();
                    data.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count()
                })
                .sum();
            assert!(r.to_string().len() <= 6_000_000, "{file}: response over 6 MB");
            match file {
                "firehose-application.json" => assert_eq!((results, documents), (vec!["Ok"; 4], 4)),
                "firehose-cwlogs.json" => assert_eq!((results, documents), (vec!["Ok", "Ok", "Dropped"], 5)),
                "firehose-mixed-bad-records.json" => assert_eq!(
                    (results, documents),
                    (
                        vec![
                            "Ok",
                            "Ok",
                            "Ok",
                            "ProcessingFailed",
                            "ProcessingFailed",
                            "ProcessingFailed"
                        ],
                        3
                    )
                ),
                "firehose-over-6mb.json" => {
                    let ok = results.iter().take_while(|r| **r == "Ok").count();
                    assert!((3..8).contains(&ok), "{results:?}");
                    assert!(results[ok..].iter().all(|r| *r == "Dropped"), "{results:?}");
                    assert_eq!(documents, ok * 640);
                }
                _ => unreachable!(),
            }
        }
        _ => unreachable!(),
    }
}

/// Checks the new documents of one invocation against the event.
fn check_documents(function: &str, file: &str, ev: &Value, archive: &Archive, expected: &Expect) -> usize {
    assert_eq!(archive.docs.len(), expected.documents, "{file}: {:?}", archive.docs);
    let mut records_in = 0;
    let mut accounted = 0;
    for (key, kind) in expected.objects {
        let check = check_object(archive, key, *kind);
        records_in += check.lines;
        accounted += check.docs;
    }
    let docs: Vec<&Value> = archive.docs.iter().collect();
    match (function, file) {
        ("s3-access-logs", "s3-put-missing-object.json") => {
            assert_eq!(docs[0]["error"]["kind"], "object_not_found", "{}", docs[0]);
            records_in += 1;
        }
        ("s3-access-logs", _) => assert_eq!(accounted, archive.docs.len(), "{file}"),
        ("cloudwatch-forwarder", "cwlogs-bomb.json") => {
            assert_eq!(docs[0]["error"]["kind"], "invalid_payload", "{}", docs[0]);
            records_in += 1;
        }
        ("cloudwatch-forwarder", _) => {
            let payload = decode_awslogs(ev["awslogs"]["data"].as_str().unwrap());
            if payload["messageType"] == "DATA_MESSAGE" {
                records_in += check_payload(&docs, &payload);
            }
        }
        ("firehose-transform", _) => records_in += ev["records"].as_array().unwrap().len(),
        ("kinesis-relay", _) => {
            for record in ev["Records"].as_array().unwrap() {
                records_in += 1;
                match record_payload(record) {
                    Some(p) if p["messageType"] == "DATA_MESSAGE" && p["owner"] == "111122223333" => {
                        check_payload(&docs, &p);
                    }
                    _ => {}
                }
            }
        }
        _ => unreachable!(),
    }
    records_in
}

/// A moto pipeline, the sample objects uploaded, and the functions' environment: what
/// `template.yaml` would set, plus an allow-list and a payload limit the sample events exercise.
/// The emulator's endpoint and credentials come from this process's environment.
fn setup(rt: &tokio::runtime::Runtime, label: &str) -> (Aws, Pipeline, Vec<(String, String)>) {
    let aws = rt.block_on(Aws::from_env());
    rt.block_on(aws.upload_sample_objects());
    let pipeline = rt.block_on(Pipeline::create(&aws, label));
    let mut env = pipeline.env();
    env.push(("LOGPIPE_ALLOWED_ACCOUNTS".into(), "111122223333".into()));
    env.push(("LOGPIPE_MAX_PAYLOAD_BYTES".into(), "1048576".into()));
    (aws, pipeline, env)
}

/// The functions whose sample events run through the Runtime API.
const FUNCTIONS: [&str; 4] = [
    "s3-access-logs",
    "cloudwatch-forwarder",
    "kinesis-relay",
    "firehose-transform",
];

/// The stream firehose-transform re-ingests into, delivering to a bucket of its own.
struct ReingestStream {
    stream: String,
    bucket: String,
}

impl ReingestStream {
    async fn create(aws: &Aws, pipeline: &Pipeline) -> ReingestStream {
        let r = ReingestStream {
            stream: format!("{}-reingest", pipeline.stream),
            bucket: format!("{}-reingest", pipeline.stream),
        };
        aws.create_bucket(&r.bucket).await;
        let destination = aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
            .role_arn("arn:aws:iam::123456789012:role/logpipe-firehose")
            .bucket_arn(format!("arn:aws:s3:::{}", r.bucket))
            .build()
            .expect("role and bucket are set");
        aws.firehose
            .create_delivery_stream()
            .delivery_stream_name(&r.stream)
            .delivery_stream_type(aws_sdk_firehose::types::DeliveryStreamType::DirectPut)
            .extended_s3_destination_configuration(destination)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "create_delivery_stream {}: {}",
                    r.stream,
                    aws_sdk_firehose::error::DisplayErrorContext(&e)
                )
            });
        r
    }

    /// What the stream received so far (moto writes each call's records, concatenated, as one
    /// object), in key order; the objects are removed, so each call sees only what is new.
    async fn bodies(&self, aws: &Aws) -> Vec<u8> {
        let mut keys = aws.keys(&self.bucket).await;
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            out.extend(aws.get(&self.bucket, &key).await);
            aws.s3
                .delete_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "delete s3://{}/{key}: {}",
                        self.bucket,
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )
                });
        }
        out
    }
}

#[test]
fn sample_events_through_the_runtime_api() {
    let start = Instant::now();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let (aws, pipeline, env) = setup(&rt, "lambda");
    // Dropped in reverse order: functions, then the proxy, then watch.
    let mut watch = LambdaWatch::start(&env, WatchMode::OnlyApis);
    let proxy = DeadlineProxy::start(watch.addr);
    // firehose-transform re-ingests into a stream of its own, so that the pipeline's archive holds
    // documents only.
    let reingest = rt.block_on(ReingestStream::create(&aws, &pipeline));
    let transform_env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "LOGPIPE_DELIVERY_STREAM" => (k.clone(), reingest.stream.clone()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let functions: Vec<_> = FUNCTIONS
        .iter()
        .map(|name| {
            let env = if *name == "firehose-transform" {
                &transform_env
            } else {
                &env
            };
            start_function(name, &proxy.runtime_api(name), env)
        })
        .collect();
    let ready_ms = ms_since(start);
    let logs = || {
        functions
            .iter()
            .map(|(_, log)| {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                format!(
                    "{}:\n{}",
                    log.display(),
                    lines[lines.len().saturating_sub(20)..].join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };

    let mut seen_archive = BTreeSet::new();
    let mut seen_failed = BTreeSet::new();
    let mut figures = Figures {
        test: "lambda_runtime_api_sample_events",
        ..Figures::default()
    };
    let mut invocations = Vec::new();
    for function in FUNCTIONS {
        for (file, ev) in events_of(function) {
            let expected = expect(function, &file);
            let t = Instant::now();
            let body = serde_json::to_vec(&ev).unwrap();
            let (status, response) = watch.invoke(function, &body, INVOKE_TIMEOUT);
            let invoke_ms = ms_since(t);
            assert!(
                status == 200 && response.get("errorType").is_none(),
                "{function} {file}: {status} {response}\n{}",
                logs()
            );
            check_response(function, &file, &ev, &response, &expected);
            let archive = rt.block_on(pipeline.archive_new(&aws, &mut seen_archive));
            figures.records_in += check_documents(function, &file, &ev, &archive, &expected);
            let failed = rt.block_on(pipeline.failed_records_new(&aws, &mut seen_failed));
            match expected.failed {
                None => assert!(failed.is_empty(), "{file}: {failed:?}"),
                Some(reason) => {
                    assert_eq!(failed.len(), 1, "{file}: {failed:?}");
                    assert_eq!(failed[0].1["reason"], reason, "{file}: {:?}", failed[0]);
                    assert!(failed[0].0.contains(&format!("/{function}-")), "{}", failed[0].0);
                }
            }
            assert_eq!(archive.duplicates(), 0, "{file}");
            if function == "firehose-transform" {
                let reingested = rt.block_on(reingest.bodies(&aws));
                let dropped: Vec<u8> = response["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(ev["records"].as_array().unwrap())
                    .filter(|(a, _)| a["result"] == "Dropped" && file == "firehose-over-6mb.json")
                    .flat_map(|(_, r)| {
                        base64::engine::general_purpose::STANDARD
                            .decode(r["data"].as_str().unwrap())
                            .unwrap()
                    })
                    .collect();
                assert_eq!(
                    reingested, dropped,
                    "{file}: the stream got exactly the records answered Dropped"
                );
            }
            figures.delivered += archive.docs.len();
            figures.error_documents += archive.error_docs().len();
            figures.failed_stored += failed.len();
            invocations
                .push(json!({"function": function, "event": file, "ms": invoke_ms, "documents": archive.docs.len()}));
        }
    }

    // Events a function cannot take: the runtime reports the error type (cargo-lambda answers HTTP
    // 500 with the error body; AWS's Invoke API answers 200 with `X-Amz-Function-Error`).
    let mut errors = Vec::new();
    for (function, payload, want) in [
        ("s3-access-logs", json!({"hello": "world"}), Some("InvalidEvent")),
        ("cloudwatch-forwarder", json!({"Records": []}), Some("InvalidEvent")),
        // Rejected by the runtime's deserialization of `KinesisEvent`, before the handler runs.
        ("kinesis-relay", json!({"awslogs": {"data": "x"}}), None),
        // The same for `FirehoseTransformEvent`.
        ("firehose-transform", json!({"Records": []}), None),
    ] {
        let (status, response) = watch.invoke(function, payload.to_string().as_bytes(), INVOKE_TIMEOUT);
        let error_type = response["errorType"].as_str().unwrap_or_default().to_owned();
        assert!(
            !error_type.is_empty(),
            "{function} accepted {payload}: {status} {response}"
        );
        if let Some(want) = want {
            assert_eq!(error_type, want, "{function}: {response}");
        }
        errors.push(json!({"function": function, "status": status, "errorType": error_type}));
    }
    // Every invocation came with cargo-lambda's constant deadline.
    let rewritten = proxy.rewritten();
    assert_eq!(rewritten as usize, invocations.len() + errors.len());

    drop(functions);
    drop(proxy);
    drop(watch);
    figures.wall_ms = ms_since(start);
    figures.extra = json!({
        "invocations": invocations.len(),
        "ready_ms": ready_ms,
        "deadlines_rewritten": rewritten,
        "error_invocations": errors,
        "per_invocation": invocations,
    });
    figures.publish();
}

#[test]
fn cargo_lambda_watch_runs_the_binaries() {
    let start = Instant::now();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let (aws, pipeline, env) = setup(&rt, "watch");
    let mut watch = LambdaWatch::start(&env, WatchMode::RunFunctions);

    // No deadline involved: an s3:TestEvent through `cargo lambda invoke`, as a developer runs it.
    // The first invocation makes watch start the function with `cargo run`.
    let t = Instant::now();
    let response = watch.cli_invoke("s3-access-logs", "events/s3-access-logs/s3-test-event.json");
    let first_ms = ms_since(t);
    assert_eq!(response["skipped"], 1, "{response}");
    assert_eq!(response["objects"], 0, "{response}");

    // An object to read: the handler checks the deadline before and while it reads.
    let body = std::fs::read(logpipe_e2e::root().join("events/s3-access-logs/s3-put-alb.json")).unwrap();
    let t = Instant::now();
    let (status, response) = watch.invoke("s3-access-logs", &body, INVOKE_TIMEOUT);
    let second_ms = ms_since(t);
    let archive = rt.block_on(pipeline.archive(&aws));
    let deadline_quirk = response.get("errorType").is_some();
    if deadline_quirk {
        // cargo-lambda's `Lambda-Runtime-Deadline-Ms: 600000` taken as an epoch deadline.
        assert_eq!(status, 500, "{response}");
        assert_eq!(response["errorType"], "Retryable", "{response}");
        let message = response["errorMessage"].as_str().unwrap_or_default();
        assert!(message.contains("before the Lambda deadline"), "{response}");
        assert!(archive.docs.is_empty(), "{:?}", archive.docs);
    } else {
        assert_eq!(status, 200, "{response}");
        assert_eq!(response["documents"], 29, "{response}");
        check_object(&archive, ALB_KEY, Kind::Alb);
    }

    // watch ran the binaries scripts/test.sh built: `cargo run` found them fresh.
    let log = watch.log_text();
    assert!(
        log.contains("Running `") && log.contains("debug/s3-access-logs`"),
        "{}",
        watch.log_tail()
    );
    let compiled: Vec<String> = log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .map(|l| l.trim().to_owned())
        .collect();
    drop(watch);
    Figures {
        test: "cargo_lambda_watch_cargo_run",
        records_in: 29,
        delivered: archive.docs.len(),
        error_documents: archive.error_docs().len(),
        duplicates: archive.duplicates(),
        wall_ms: ms_since(start),
        extra: json!({
            "first_invoke_ms": first_ms,
            "second_invoke_ms": second_ms,
            "compiled_during_test": compiled,
            "deadline_quirk": deadline_quirk,
            "s3_put_alb_response": response,
        }),
        ..Figures::default()
    }
    .publish();
}
