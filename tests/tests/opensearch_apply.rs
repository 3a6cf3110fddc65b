//! `logpipe opensearch apply` and the `opensearch-setup` custom resource against an in-memory
//! OpenSearch on 127.0.0.1 (`logpipe_e2e::fake_opensearch`): every request they send must be valid
//! against the OpenSearch API schemas in `tests/opensearch-api/`, the domain must end up holding the
//! setup, and a second run must send no write.

use logpipe::lambda::{opensearch_setup, Invocation};
use logpipe::opensearch::{self, Auth};
use logpipe_e2e::fake_opensearch::{FakeOpenSearch, RecordedRequest};
use logpipe_e2e::logpipe;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Output;
use std::sync::mpsc;
use std::time::Duration;

const FIREHOSE_ROLE: &str = "arn:aws:iam::123456789012:role/logpipe-FirehoseRole-1ABC";
const MASTER: (&str, &str) = ("logpipe-admin", "Master-Passw0rd-For-Tests");
const HASH: &str = "$2y$12$0123456789012345678901u9cYH7yIhtCpQ9Yc8xvQ1XMbcTqVtJp";

fn users_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("users.json");
    let users = json!([
        {"name": "alice", "password": "alice-correct-horse"},
        {"name": "bob", "hash": HASH}
    ]);
    std::fs::write(&path, users.to_string()).unwrap();
    path
}

fn apply_cli(os: &FakeOpenSearch, extra: &[&str]) -> Output {
    let out = logpipe()
        .args([
            "opensearch",
            "apply",
            "--endpoint",
            &os.endpoint(),
            "--auth",
            "basic",
            "--user",
            MASTER.0,
        ])
        .args(["--writer-backend-role", FIREHOSE_ROLE])
        .args(extra)
        .env("LOGPIPE_OPENSEARCH_PASSWORD", MASTER.1)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn writes(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method == "PUT" || r.path().ends_with("_bulk_create"))
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

fn assert_all_valid(os: &FakeOpenSearch) {
    if let Err(errors) = os.validate_requests() {
        panic!("requests not valid against the OpenSearch API:\n{}", errors.join("\n"));
    }
    for r in os.requests() {
        // A GET of something not yet there is how apply finds out it must create it.
        let expected = r.status < 300 || (r.method == "GET" && r.status == 404);
        assert!(
            expected,
            "{} {} answered {}: {:?}",
            r.method,
            r.path_and_query,
            r.status,
            r.response_json()
        );
    }
}

#[test]
fn apply_creates_everything_with_valid_requests_then_changes_nothing() {
    let os = FakeOpenSearch::with_basic_auth(MASTER.0, MASTER.1);
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(&dir);
    let users = users.to_str().unwrap();

    let first = apply_cli(&os, &["--users", users, "--retention-days", "14"]);
    let report = String::from_utf8_lossy(&first.stdout);
    assert_all_valid(&os);
    let plan = opensearch::Plan::new(&opensearch::SetupConfig {
        writer_backend_roles: vec![FIREHOSE_ROLE.into()],
        reader_backend_roles: vec!["logpipe-developers".into()],
        internal_users: opensearch::InternalUser::parse_file(&std::fs::read_to_string(users).unwrap()).unwrap(),
        ..Default::default()
    })
    .unwrap();
    let objects = plan.component_templates.len()
        + plan.index_templates.len()
        + plan.ism_policies.len()
        + plan.roles.len()
        + plan.role_mappings.len()
        + plan.users.len()
        + plan.saved_objects.len();
    assert!(
        report.contains(&format!("{objects} created, 0 updated, 0 unchanged")),
        "{report}"
    );

    // What the domain now holds.
    for (name, _) in &plan.index_templates {
        let t = os
            .index_template(name)
            .unwrap_or_else(|| panic!("no index template {name}"));
        assert_eq!(t["composed_of"], json!(["logpipe-common"]), "{name}");
    }
    let policy = os.ism_policy("logpipe-retention").expect("ISM policy");
    assert_eq!(
        policy["states"][0]["transitions"][0]["conditions"]["min_index_age"], "14d",
        "{policy}"
    );
    let writer = os.role_mapping("logpipe_writer").expect("writer mapping");
    assert_eq!(writer["backend_roles"], json!([FIREHOSE_ROLE]), "{writer}");
    let reader = os.role_mapping("logpipe_reader").expect("reader mapping");
    assert_eq!(reader["backend_roles"], json!(["logpipe-developers"]), "{reader}");
    for role in ["opensearch_dashboards_user", "opensearch_dashboards_read_only"] {
        let m = os.role_mapping(role).unwrap_or_else(|| panic!("no mapping for {role}"));
        assert_eq!(m["backend_roles"], json!(["logpipe-developers"]), "{role}: {m}");
    }
    let alice = os.internal_user("alice").expect("alice");
    assert_eq!(alice["backend_roles"], json!(["logpipe-developers"]));
    assert!(os.internal_user("bob").is_some());
    assert!(os.saved_object("dashboard", "logpipe-alb-overview").is_some());
    // The clear-text password was sent once, to OpenSearch, and is never printed.
    assert!(
        !report.contains("alice-correct-horse") && !String::from_utf8_lossy(&first.stderr).contains("correct-horse")
    );

    // Second run: reads only.
    os.clear_requests();
    let second = apply_cli(&os, &["--users", users, "--retention-days", "14"]);
    let report = String::from_utf8_lossy(&second.stdout);
    assert!(
        report.contains(&format!("0 created, 0 updated, {objects} unchanged")),
        "{report}"
    );
    assert_all_valid(&os);
    assert_eq!(
        writes(&os.requests()),
        Vec::<String>::new(),
        "a second run must send no write"
    );

    // A changed parameter rewrites exactly that object, with ISM's optimistic-concurrency check.
    os.clear_requests();
    let third = apply_cli(&os, &["--users", users, "--retention-days", "30"]);
    assert!(String::from_utf8_lossy(&third.stdout).contains("1 updated"));
    assert_all_valid(&os);
    let w = writes(&os.requests());
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("PUT /_plugins/_ism/policies/logpipe-retention?if_seq_no="),
        "{w:?}"
    );
}

#[test]
fn built_in_role_mappings_keep_what_others_configured() {
    let os = FakeOpenSearch::with_basic_auth(MASTER.0, MASTER.1);
    os.insert_role_mapping(
        "opensearch_dashboards_user",
        json!({"backend_roles": ["sso-analysts"], "users": ["carol"], "hosts": []}),
    );
    apply_cli(&os, &["--no-dashboards"]);
    assert_all_valid(&os);
    let m = os.role_mapping("opensearch_dashboards_user").unwrap();
    assert_eq!(m["backend_roles"], json!(["logpipe-developers", "sso-analysts"]), "{m}");
    assert_eq!(m["users"], json!(["carol"]), "{m}");
    // The no-dashboards run touched no saved object.
    assert!(os.requests().iter().all(|r| !r.path().contains("saved_objects")));
}

#[test]
fn a_refused_request_fails_the_run_and_names_it() {
    let os = FakeOpenSearch::with_basic_auth(MASTER.0, "another password");
    let out = logpipe()
        .args([
            "opensearch",
            "apply",
            "--endpoint",
            &os.endpoint(),
            "--auth",
            "basic",
            "--user",
            MASTER.0,
        ])
        .args(["--writer-backend-role", FIREHOSE_ROLE])
        .env("LOGPIPE_OPENSEARCH_PASSWORD", MASTER.1)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GET /") && stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains(MASTER.1), "the password is never printed: {stderr}");
}

#[test]
fn sigv4_requests_are_signed_for_the_es_service() {
    let os = FakeOpenSearch::with_sigv4();
    let out = logpipe()
        .args([
            "opensearch",
            "apply",
            "--endpoint",
            &os.endpoint(),
            "--region",
            "eu-west-1",
        ])
        .args(["--writer-backend-role", FIREHOSE_ROLE, "--no-dashboards"])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_all_valid(&os);
    for r in os.requests() {
        let auth = r.header("authorization").expect("signed");
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "{auth}");
        assert!(auth.contains("/eu-west-1/es/aws4_request"), "{auth}");
        assert!(
            !auth.contains("wJalrXUtnFEMI"),
            "the secret key never leaves the process"
        );
    }
}

/// A one-shot HTTP server standing in for CloudFormation's presigned response URL.
fn response_url() -> (String, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/cfn-response?X-Amz-Signature=abc",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            line.clear();
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (&stream)
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
        tx.send(serde_json::from_slice(&body).unwrap()).unwrap();
    });
    (url, rx)
}

fn event(kind: &str, url: &str, endpoint: &str) -> Value {
    let mut e = json!({
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:logpipe-OpenSearchSetupFunction",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/logpipe/1",
        "RequestId": format!("req-{kind}"),
        "LogicalResourceId": "OpenSearchSetup",
        "ResourceType": "Custom::OpenSearchSetup",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:logpipe-OpenSearchSetupFunction",
            "Endpoint": endpoint,
            "WriterBackendRoles": [FIREHOSE_ROLE],
            "ReaderBackendRoles": ["logpipe-developers"],
            "InternalUsers": format!("bob:{HASH}"),
            "RetentionDays": "30",
            "Shards": "1",
            "Replicas": "1",
            "Dashboards": "true"
        }
    });
    if kind != "Create" {
        e["PhysicalResourceId"] = json!("logpipe-opensearch-setup-x");
    }
    if kind == "Update" {
        e["OldResourceProperties"] = e["ResourceProperties"].clone();
    }
    e
}

async fn invoke(event: Value, auth: Result<Auth, String>) -> Result<(), String> {
    let invocation = Invocation {
        request_id: "test".into(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(60),
        function: "opensearch-setup".into(),
    };
    opensearch_setup::handle(event, auth, &invocation)
        .await
        .map_err(|e| e.to_string())
}

fn master() -> Result<Auth, String> {
    Ok(Auth::Basic {
        user: MASTER.0.into(),
        password: MASTER.1.into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resource_applies_on_create_changes_nothing_on_update_and_leaves_data_on_delete() {
    let os = FakeOpenSearch::with_basic_auth(MASTER.0, MASTER.1);

    let (url, answer) = response_url();
    invoke(event("Create", &url, &os.endpoint()), master()).await.unwrap();
    let a = answer.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(a["Status"], "SUCCESS", "{a}");
    assert_eq!(a["RequestId"], "req-Create");
    assert_eq!(a["LogicalResourceId"], "OpenSearchSetup");
    assert!(
        a["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("logpipe-opensearch-setup-"),
        "{a}"
    );
    let created: usize = a["Data"]["Created"].as_str().unwrap().parse().unwrap();
    assert!(created > 10, "{a}");
    assert_eq!(a["Data"]["Unchanged"], "0");
    assert_all_valid(&os);
    assert!(os.internal_user("bob").is_some());

    os.clear_requests();
    let (url, answer) = response_url();
    invoke(event("Update", &url, &os.endpoint()), master()).await.unwrap();
    let a = answer.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(a["Status"], "SUCCESS", "{a}");
    assert_eq!(a["PhysicalResourceId"], "logpipe-opensearch-setup-x");
    assert_eq!(a["Data"]["Unchanged"], created.to_string(), "{a}");
    assert_eq!(writes(&os.requests()), Vec::<String>::new());

    os.clear_requests();
    let (url, answer) = response_url();
    invoke(event("Delete", &url, &os.endpoint()), master()).await.unwrap();
    let a = answer.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(a["Status"], "SUCCESS", "{a}");
    assert!(os.requests().is_empty(), "Delete contacts nothing");
    assert!(os.index_template("logpipe-alb").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resource_answers_failed_with_the_cause() {
    let os = FakeOpenSearch::with_basic_auth(MASTER.0, MASTER.1);
    // Wrong password: OpenSearch refuses, the stack is told why.
    let (url, answer) = response_url();
    let wrong = Ok(Auth::Basic {
        user: MASTER.0.into(),
        password: "nope-nope-nope".into(),
    });
    invoke(event("Create", &url, &os.endpoint()), wrong).await.unwrap();
    let a = answer.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(a["Status"], "FAILED", "{a}");
    assert!(a["Reason"].as_str().unwrap().contains("401"), "{a}");
    assert!(!a.to_string().contains("nope-nope"), "{a}");

    // No credentials (the secret could not be read).
    let (url, answer) = response_url();
    invoke(
        event("Create", &url, &os.endpoint()),
        Err("reading secret x: AccessDenied".into()),
    )
    .await
    .unwrap();
    let a = answer.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert!(a["Reason"].as_str().unwrap().contains("AccessDenied"), "{a}");

    // A property that makes no sense.
    let (url, answer) = response_url();
    let mut e = event("Create", &url, &os.endpoint());
    e["ResourceProperties"]["WriterBackendRoles"] = json!(["*"]);
    invoke(e, master()).await.unwrap();
    let a = answer.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert!(a["Reason"].as_str().unwrap().contains("concrete principal"), "{a}");
}
