//! Self-tests of the OpenSearch request validator (`logpipe_e2e::opensearch_spec`) and of the fake
//! OpenSearch domain (`logpipe_e2e::fake_opensearch`) that `opensearch apply` tests run against.
//!
//! Valid bodies are the OpenSearch documentation's examples (ISM, security and Dashboards API
//! pages, index and component template pages) and a template in logpipe's own conventions; each
//! invalid case asserts the message it must produce, so none can pass by accident.

use logpipe_e2e::fake_opensearch::{Auth, Config, FakeOpenSearch, BUILT_IN_ROLES};
use logpipe_e2e::opensearch_spec::{check_schemas, flatten_index_settings, operations, validate_request};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];
const DASHBOARDS: &[(&str, &str)] = &[("Content-Type", "application/json"), ("osd-xsrf", "true")];
const NO_HEADERS: &[(&str, &str)] = &[];

fn valid(method: &str, target: &str, headers: &[(&str, &str)], body: Option<&Value>) -> &'static str {
    match validate_request(method, target, headers, body) {
        Ok(op) => op,
        Err(errors) => panic!("{method} {target} should be valid, got:\n{}", errors.join("\n")),
    }
}

/// Asserts the request is refused with an error containing every one of `needles`.
fn invalid(method: &str, target: &str, headers: &[(&str, &str)], body: Option<&Value>, needles: &[&str]) {
    match validate_request(method, target, headers, body) {
        Ok(op) => panic!("{method} {target} should be invalid, but passed as {op}"),
        Err(errors) => {
            let all = errors.join("\n");
            for needle in needles {
                assert!(all.contains(needle), "expected `{needle}` in:\n{all}");
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Sample bodies.

/// The ISM docs' "Create policy" example (ingest → search → delete).
fn ism_docs_policy() -> Value {
    json!({"policy": {
        "description": "ingesting logs",
        "default_state": "ingest",
        "states": [
            {"name": "ingest", "actions": [{"rollover": {"min_doc_count": 5}}],
             "transitions": [{"state_name": "search"}]},
            {"name": "search", "actions": [],
             "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "5m"}}]},
            {"name": "delete", "actions": [{"delete": {}}], "transitions": []}
        ]
    }})
}

/// A retention policy of the kind logpipe installs, with an ISM template and retry/timeout.
fn logpipe_policy() -> Value {
    json!({"policy": {
        "description": "logpipe: delete daily log indices after 30 days",
        "default_state": "hot",
        "states": [
            {"name": "hot", "actions": [],
             "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "30d"}}]},
            {"name": "delete",
             "actions": [{"timeout": "1h", "retry": {"count": 3, "backoff": "exponential", "delay": "10m"}, "delete": {}}],
             "transitions": []}
        ],
        "ism_template": [{"index_patterns": ["logs-*"], "priority": 100}]
    }})
}

/// The index template docs' example (aliases, settings, a date with formats, a double).
fn docs_index_template() -> Value {
    json!({
        "index_patterns": ["logs-2020-01-*"],
        "template": {
            "aliases": {"my_logs": {}},
            "settings": {"number_of_shards": 2, "number_of_replicas": 1},
            "mappings": {"properties": {
                "timestamp": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss||yyyy-MM-dd||epoch_millis"},
                "value": {"type": "double"}
            }}
        }
    })
}

/// An index template in logpipe's conventions (docs/opensearch layout): keyword + text sub-field,
/// ip, integer, long, double, date, boolean, flat_object, an object, and the engine's settings.
fn logpipe_index_template() -> Value {
    json!({
        "index_patterns": ["logs-alb-*"],
        "composed_of": ["logpipe-common"],
        "priority": 100,
        "template": {
            "settings": {
                "index": {"number_of_shards": 1, "number_of_replicas": 1, "refresh_interval": "30s",
                          "sort": {"field": "@timestamp", "order": "desc"}},
                "index.mapping.total_fields.limit": 2000
            },
            "mappings": {"dynamic": false, "properties": {
                "client_ip": {"type": "ip"},
                "client_port": {"type": "integer"},
                "received_bytes": {"type": "long"},
                "request_processing_time": {"type": "double"},
                "time": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
                "truncated": {"type": "boolean"},
                "request_url": {"type": "keyword", "fields": {"text": {"type": "text"}}},
                "message": {"type": "keyword", "ignore_above": 8191, "fields": {"text": {"type": "text"}}},
                "json": {"type": "flat_object"},
                "error": {"properties": {"message": {"type": "keyword"}, "kind": {"type": "keyword"}}}
            }}
        },
        "_meta": {"managed_by": "logpipe"}
    })
}

/// The component template of the OpenSearch REST tests' "Basic CRUD" case.
fn docs_component_template() -> Value {
    json!({
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {"field": {"type": "keyword"}}},
            "aliases": {"aliasname": {}}
        },
        "version": 2,
        "_meta": {"foo": "bar", "baz": {"eggplant": true}}
    })
}

/// The security API docs' "Create role" example.
fn docs_role() -> Value {
    json!({
        "cluster_permissions": ["cluster_composite_ops", "indices_monitor"],
        "index_permissions": [{"index_patterns": ["movies*"], "dls": "", "fls": [], "masked_fields": [],
                               "allowed_actions": ["read"]}],
        "tenant_permissions": [{"tenant_patterns": ["human_resources"], "allowed_actions": ["kibana_all_read"]}]
    })
}

/// The security API docs' "Create role mapping" example.
fn docs_role_mapping() -> Value {
    json!({
        "backend_roles": ["starfleet", "captains", "defectors", "cn=ldaprole,ou=groups,dc=example,dc=com"],
        "hosts": ["*.starfleetintranet.com"],
        "users": ["worf"]
    })
}

/// The security API docs' "Create user" example.
fn docs_user() -> Value {
    json!({
        "password": "kirkpass",
        "opendistro_security_roles": ["maintenance_staff", "weapons"],
        "backend_roles": ["captains", "starfleet"],
        "attributes": {"attribute1": "value1", "attribute2": "value2"}
    })
}

/// The Dashboards saved objects docs' `_bulk_create` example, with a reference.
fn docs_saved_objects() -> Value {
    json!([{
        "type": "visualization",
        "id": "sales-by-day",
        "attributes": {"title": "Sales by day", "visState": "{}", "kibanaSavedObjectMeta": {"searchSourceJSON": "{}"}},
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern",
                        "id": "ecommerce-test-pattern"}]
    }])
}

// ------------------------------------------------------------------------------------------------
// Validator: valid requests.

#[test]
fn schemas_load_and_cover_every_endpoint_of_opensearch_apply() {
    assert_eq!(check_schemas(), Ok(15));
    let ops: Vec<(&str, &str, &str)> = operations();
    for (id, method, path) in [
        ("info", "GET", "/"),
        ("cluster.put_component_template", "PUT", "/_component_template/{name}"),
        ("indices.put_index_template", "PUT", "/_index_template/{name}"),
        ("ism.put_policy", "PUT", "/_plugins/_ism/policies/{policy_id}"),
        (
            "security.create_user",
            "PUT",
            "/_plugins/_security/api/internalusers/{username}",
        ),
        (
            "dashboards.saved_objects.bulk_create",
            "POST",
            "/_dashboards/api/saved_objects/_bulk_create",
        ),
    ] {
        assert!(ops.contains(&(id, method, path)), "{id} missing from {ops:?}");
    }
}

#[test]
fn documented_examples_are_valid() {
    assert_eq!(valid("GET", "/", NO_HEADERS, None), "info");
    assert_eq!(valid("GET", "/?pretty", NO_HEADERS, None), "info");
    let ct = docs_component_template();
    assert_eq!(
        valid("PUT", "/_component_template/test", JSON, Some(&ct)),
        "cluster.put_component_template"
    );
    assert_eq!(
        valid("GET", "/_component_template/test?flat_settings=true", NO_HEADERS, None),
        "cluster.get_component_template"
    );
    let it = docs_index_template();
    assert_eq!(
        valid("PUT", "/_index_template/daily_logs", JSON, Some(&it)),
        "indices.put_index_template"
    );
    assert_eq!(
        valid("GET", "/_index_template/daily_logs", NO_HEADERS, None),
        "indices.get_index_template"
    );
    assert_eq!(
        valid(
            "PUT",
            "/_plugins/_ism/policies/policy_1",
            JSON,
            Some(&ism_docs_policy())
        ),
        "ism.put_policy"
    );
    assert_eq!(
        valid(
            "PUT",
            "/_plugins/_ism/policies/policy_1?if_seq_no=7&if_primary_term=1",
            JSON,
            Some(&ism_docs_policy())
        ),
        "ism.put_policy"
    );
    assert_eq!(
        valid("GET", "/_plugins/_ism/policies/policy_1", NO_HEADERS, None),
        "ism.get_policy"
    );
    assert_eq!(
        valid("PUT", "/_plugins/_security/api/roles/movies", JSON, Some(&docs_role())),
        "security.create_role"
    );
    assert_eq!(
        valid("GET", "/_plugins/_security/api/roles/movies", NO_HEADERS, None),
        "security.get_role"
    );
    assert_eq!(
        valid(
            "PUT",
            "/_plugins/_security/api/rolesmapping/movies",
            JSON,
            Some(&docs_role_mapping())
        ),
        "security.create_role_mapping"
    );
    assert_eq!(
        valid("GET", "/_plugins/_security/api/rolesmapping/movies", NO_HEADERS, None),
        "security.get_role_mapping"
    );
    assert_eq!(
        valid(
            "PUT",
            "/_plugins/_security/api/internalusers/kirk",
            JSON,
            Some(&docs_user())
        ),
        "security.create_user"
    );
    assert_eq!(
        valid("GET", "/_plugins/_security/api/internalusers/kirk", NO_HEADERS, None),
        "security.get_user"
    );
    let get = json!([{"type": "visualization", "id": "test-viz", "fields": ["title"]}]);
    assert_eq!(
        valid(
            "POST",
            "/_dashboards/api/saved_objects/_bulk_get",
            DASHBOARDS,
            Some(&get)
        ),
        "dashboards.saved_objects.bulk_get"
    );
    assert_eq!(
        valid(
            "POST",
            "/_dashboards/api/saved_objects/_bulk_create?overwrite=true",
            DASHBOARDS,
            Some(&docs_saved_objects())
        ),
        "dashboards.saved_objects.bulk_create"
    );
}

#[test]
fn logpipe_shaped_bodies_are_valid() {
    let body = logpipe_index_template();
    assert_eq!(
        valid("PUT", "/_index_template/logpipe-alb", JSON, Some(&body)),
        "indices.put_index_template"
    );
    let common = json!({"template": {"mappings": {"dynamic": "false", "properties": {
        "@timestamp": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
        "extra_fields": {"type": "keyword"}}}}, "_meta": {"managed_by": "logpipe"}});
    assert_eq!(
        valid("PUT", "/_component_template/logpipe-common", JSON, Some(&common)),
        "cluster.put_component_template"
    );
    assert_eq!(
        valid(
            "PUT",
            "/_plugins/_ism/policies/logpipe-retention",
            JSON,
            Some(&logpipe_policy())
        ),
        "ism.put_policy"
    );
    // Header names in any case, a charset parameter on the content type.
    let headers = [("content-type", "application/json; charset=utf-8")];
    assert_eq!(
        valid(
            "PUT",
            "/_plugins/_ism/policies/logpipe-retention",
            &headers,
            Some(&logpipe_policy())
        ),
        "ism.put_policy"
    );
}

#[test]
fn settings_flatten_like_opensearch_reads_them() {
    let settings = json!({"index": {"sort": {"field": "@timestamp"}}, "number_of_shards": 1,
                          "index.mapping.total_fields.limit": "2000"});
    let flat = flatten_index_settings(settings.as_object().unwrap()).unwrap();
    let keys: Vec<&str> = flat.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "index.mapping.total_fields.limit",
            "index.number_of_shards",
            "index.sort.field"
        ]
    );
    let twice = json!({"index": {"number_of_shards": 1}, "number_of_shards": 2});
    let errors = flatten_index_settings(twice.as_object().unwrap()).unwrap_err();
    assert_eq!(errors, ["setting [index.number_of_shards] is given twice"]);
}

// ------------------------------------------------------------------------------------------------
// Validator: invalid requests.

#[test]
fn unknown_paths_and_wrong_methods_are_refused() {
    invalid(
        "GET",
        "/_cat/indices",
        NO_HEADERS,
        None,
        &["no documented operation has this path"],
    );
    invalid(
        "GET",
        "/_index_template",
        NO_HEADERS,
        None,
        &["no documented operation"],
    );
    invalid(
        "GET",
        "/_index_template/a/b",
        NO_HEADERS,
        None,
        &["no documented operation"],
    );
    invalid("GET", "/_index_template//", NO_HEADERS, None, &["empty path segment"]);
    invalid(
        "POST",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&logpipe_index_template()),
        &["method not allowed", "allowed: GET, PUT"],
    );
    invalid(
        "DELETE",
        "/_plugins/_ism/policies/p",
        NO_HEADERS,
        None,
        &["method not allowed"],
    );
    invalid(
        "GET",
        "/_dashboards/api/saved_objects/_bulk_get",
        NO_HEADERS,
        None,
        &["allowed: POST"],
    );
}

#[test]
fn index_template_body_errors_are_found() {
    let mut unknown_key = logpipe_index_template();
    unknown_key["order"] = json!(1);
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&unknown_key),
        &["indices.put_index_template: body", "order"],
    );
    let mut priority = logpipe_index_template();
    priority["priority"] = json!("100");
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&priority),
        &["body/priority", "is not of type \"integer\""],
    );
    let mut no_patterns = logpipe_index_template();
    no_patterns.as_object_mut().unwrap().remove("index_patterns");
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&no_patterns),
        &["\"index_patterns\" is a required property"],
    );
    // A mapping parameter the type does not take, and a type OpenSearch does not have.
    let mut bad_param = logpipe_index_template();
    bad_param["template"]["mappings"]["properties"]["request_url"]["fields"]["text"]["ignore_above"] = json!(10);
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&bad_param),
        &["/template/mappings/properties/request_url/fields/text", "ignore_above"],
    );
    let mut bad_type = logpipe_index_template();
    bad_type["template"]["mappings"]["properties"]["client_ip"]["type"] = json!("string");
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&bad_type),
        &["/template/mappings/properties/client_ip/type"],
    );
    let mut bad_dynamic = logpipe_index_template();
    bad_dynamic["template"]["mappings"]["dynamic"] = json!("runtime");
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&bad_dynamic),
        &["/template/mappings/dynamic"],
    );
    // Settings: a wrong type, a wrong enum value, the same setting nested and flat.
    let mut shards = logpipe_index_template();
    shards["template"]["settings"]["index"]["number_of_shards"] = json!("two");
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&shards),
        &["body/template/settings (flattened)/index.number_of_shards"],
    );
    let mut order = logpipe_index_template();
    order["template"]["settings"]["index"]["sort"]["order"] = json!("descending");
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&order),
        &["(flattened)/index.sort.order"],
    );
    let mut twice = logpipe_index_template();
    twice["template"]["settings"]["index.number_of_shards"] = json!(2);
    invalid(
        "PUT",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&twice),
        &["setting [index.number_of_shards] is given twice"],
    );
    invalid(
        "PUT",
        "/_index_template/Logpipe-ALB",
        JSON,
        Some(&logpipe_index_template()),
        &["path parameter {name} = `Logpipe-ALB`"],
    );
    let mut unknown_in_template = docs_component_template();
    unknown_in_template["template"]["lifecycle"] = json!({});
    invalid(
        "PUT",
        "/_component_template/test",
        JSON,
        Some(&unknown_in_template),
        &["cluster.put_component_template", "lifecycle"],
    );
}

#[test]
fn ism_policy_errors_are_found() {
    let mut no_name = ism_docs_policy();
    no_name["policy"]["states"][1].as_object_mut().unwrap().remove("name");
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&no_name),
        &["body/policy/states/1", "\"name\" is a required property"],
    );
    let mut no_description = ism_docs_policy();
    no_description["policy"].as_object_mut().unwrap().remove("description");
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&no_description),
        &["\"description\" is a required property"],
    );
    let mut two_actions = ism_docs_policy();
    two_actions["policy"]["states"][0]["actions"][0]["delete"] = json!({});
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&two_actions),
        &["body/policy/states/0/actions/0"],
    );
    let mut unknown_action = ism_docs_policy();
    unknown_action["policy"]["states"][2]["actions"][0] = json!({"purge": {}});
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&unknown_action),
        &["body/policy/states/2/actions/0", "purge"],
    );
    let mut two_conditions = ism_docs_policy();
    two_conditions["policy"]["states"][1]["transitions"][0]["conditions"]["min_doc_count"] = json!(10);
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&two_conditions),
        &["body/policy/states/1/transitions/0/conditions"],
    );
    let mut dangling = ism_docs_policy();
    dangling["policy"]["states"][0]["transitions"][0]["state_name"] = json!("warm");
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&dangling),
        &["state_name `warm` is not one of the states"],
    );
    let mut default_state = ism_docs_policy();
    default_state["policy"]["default_state"] = json!("hot");
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&default_state),
        &["default_state: `hot` is not one of the states"],
    );
    let mut after_delete = ism_docs_policy();
    after_delete["policy"]["states"][2]["actions"] = json!([{"delete": {}}, {"read_only": {}}]);
    after_delete["policy"]["states"][2]["transitions"] = json!([{"state_name": "ingest"}]);
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&after_delete),
        &["has an action after its delete action", "cannot have transitions"],
    );
    let mut template = logpipe_policy();
    template["policy"]["ism_template"][0]["priority"] = json!(-1);
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p",
        JSON,
        Some(&template),
        &["body/policy/ism_template"],
    );
    // Optimistic concurrency parameters: both or neither, and numbers.
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p?if_seq_no=3",
        JSON,
        Some(&ism_docs_policy()),
        &["if_seq_no and if_primary_term must be given together"],
    );
    invalid(
        "PUT",
        "/_plugins/_ism/policies/p?if_seq_no=three&if_primary_term=1",
        JSON,
        Some(&ism_docs_policy()),
        &["query parameter `if_seq_no`: `three` is not a valid value"],
    );
    invalid(
        "GET",
        "/_plugins/_ism/policies/p?if_seq_no=1&if_primary_term=1",
        NO_HEADERS,
        None,
        &["unknown query parameter `if_seq_no`"],
    );
}

#[test]
fn security_body_errors_are_found() {
    let mut no_patterns = docs_role();
    no_patterns["index_permissions"][0]
        .as_object_mut()
        .unwrap()
        .remove("index_patterns");
    invalid(
        "PUT",
        "/_plugins/_security/api/roles/r",
        JSON,
        Some(&no_patterns),
        &["body/index_permissions/0", "\"index_patterns\" is a required property"],
    );
    let mut reserved = docs_role();
    reserved["reserved"] = json!(true);
    invalid(
        "PUT",
        "/_plugins/_security/api/roles/r",
        JSON,
        Some(&reserved),
        &["security.create_role", "reserved"],
    );
    invalid(
        "PUT",
        "/_plugins/_security/api/rolesmapping/r",
        JSON,
        Some(&json!({"description": "maps nobody"})),
        &["security.create_role_mapping: body"],
    );
    let mut user = docs_user();
    user["roles"] = json!(["all_access"]);
    invalid(
        "PUT",
        "/_plugins/_security/api/internalusers/kirk",
        JSON,
        Some(&user),
        &["security.create_user", "roles"],
    );
    invalid(
        "PUT",
        "/_plugins/_security/api/internalusers/kirk",
        JSON,
        Some(&json!({"password": 1234})),
        &["body/password"],
    );
}

#[test]
fn dashboards_errors_are_found() {
    invalid(
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create?overwrite=true",
        JSON,
        Some(&docs_saved_objects()),
        &["header `osd-xsrf` or `osd-version` is required"],
    );
    let mut no_ref_id = docs_saved_objects();
    no_ref_id[0]["references"][0].as_object_mut().unwrap().remove("id");
    invalid(
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create",
        DASHBOARDS,
        Some(&no_ref_id),
        &["body/0/references/0", "\"id\" is a required property"],
    );
    let mut extra = docs_saved_objects();
    extra[0]["namespaces"] = json!(["default"]);
    invalid(
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create",
        DASHBOARDS,
        Some(&extra),
        &["body/0", "namespaces"],
    );
    invalid(
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create?overwrite=yes",
        DASHBOARDS,
        Some(&docs_saved_objects()),
        &["query parameter `overwrite`"],
    );
    invalid(
        "POST",
        "/_dashboards/api/saved_objects/_bulk_get?pretty",
        DASHBOARDS,
        Some(&json!([])),
        &["unknown query parameter `pretty`"],
    );
}

#[test]
fn transport_errors_are_found() {
    invalid(
        "PUT",
        "/_plugins/_security/api/roles/r",
        NO_HEADERS,
        Some(&docs_role()),
        &["needs `Content-Type: application/json`"],
    );
    invalid(
        "PUT",
        "/_plugins/_security/api/roles/r",
        &[("Content-Type", "text/plain")],
        Some(&docs_role()),
        &["Content-Type `text/plain` is not application/json"],
    );
    invalid(
        "PUT",
        "/_plugins/_security/api/roles/r",
        JSON,
        None,
        &["a request body is required"],
    );
    invalid(
        "GET",
        "/_index_template/logpipe-alb",
        JSON,
        Some(&json!({})),
        &["the operation takes no request body"],
    );
    invalid(
        "GET",
        "/_index_template/logpipe-alb?flat_settings=true&flat_settings=false",
        NO_HEADERS,
        None,
        &["`flat_settings` is given twice"],
    );
    invalid(
        "GET",
        "/_index_template/logpipe-alb?master_timeout=soon",
        NO_HEADERS,
        None,
        &["`master_timeout`: `soon`"],
    );
}

// ------------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client over a plain TCP stream.

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn send(server: &FakeOpenSearch, method: &str, target: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Reply {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(server: &FakeOpenSearch, target: &str) -> Reply {
    send(server, "GET", target, NO_HEADERS, None)
}

fn put(server: &FakeOpenSearch, target: &str, body: &Value) -> Reply {
    send(server, "PUT", target, JSON, Some(body))
}

/// Every request the server recorded passes the validator.
fn assert_requests_valid(server: &FakeOpenSearch) {
    if let Err(errors) = server.validate_requests() {
        panic!("recorded requests are invalid:\n{}", errors.join("\n"));
    }
}

// ------------------------------------------------------------------------------------------------
// The fake server.

#[test]
fn banner_and_routing() {
    let server = FakeOpenSearch::start_with(Config {
        version: "2.13.0".to_owned(),
        ..Config::default()
    });
    let banner = get(&server, "/");
    assert_eq!(banner.status, 200);
    assert_eq!(banner.json()["version"]["number"], "2.13.0");
    assert_eq!(banner.json()["version"]["distribution"], "opensearch");

    let unknown = get(&server, "/_cat/indices?v");
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.json()["error"],
        "no handler found for uri [/_cat/indices?v] and method [GET]"
    );
    let wrong = send(&server, "DELETE", "/_index_template/x", NO_HEADERS, None);
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET,PUT"));
    let no_type = send(
        &server,
        "PUT",
        "/_component_template/x",
        NO_HEADERS,
        Some(&docs_component_template()),
    );
    assert_eq!(no_type.status, 406);
    let dashboards = get(&server, "/_dashboards/app/home");
    assert_eq!(dashboards.status, 404);
    assert_eq!(dashboards.json()["statusCode"], 404);

    let recorded = server.requests();
    assert_eq!(recorded.len(), 5);
    assert_eq!(recorded[0].path_and_query, "/");
    assert_eq!(recorded[1].status, 400);
    assert_eq!(recorded[3].status, 406);
    assert_eq!(recorded[3].body.as_ref(), Some(&docs_component_template()));
    assert!(recorded[3].validate().unwrap_err()[0].contains("Content-Type"));
    assert_eq!(recorded[0].validate(), Ok("info"));
}

#[test]
fn component_and_index_templates_round_trip() {
    let server = FakeOpenSearch::start();
    let missing = get(&server, "/_component_template/logpipe-common");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["type"], "resource_not_found_exception");
    assert_eq!(
        missing.json()["error"]["reason"],
        "component template matching [logpipe-common] not found"
    );
    assert_eq!(missing.json()["status"], 404);

    // The index template needs its component template first.
    let early = put(&server, "/_index_template/logpipe-alb", &logpipe_index_template());
    assert_eq!(early.status, 400);
    assert_eq!(early.json()["error"]["type"], "invalid_index_template_exception");
    assert!(early.json()["error"]["reason"]
        .as_str()
        .unwrap()
        .contains("[logpipe-common]"));

    let common = json!({"template": {"settings": {"index.refresh_interval": "30s"},
        "mappings": {"dynamic": false, "properties": {"@timestamp": {"type": "date"}}}}, "_meta": {"managed_by": "logpipe"}});
    let created = put(&server, "/_component_template/logpipe-common", &common);
    assert_eq!(created.status, 200);
    assert_eq!(created.json(), json!({"acknowledged": true}));
    let got = get(&server, "/_component_template/logpipe-common").json();
    assert_eq!(
        got,
        json!({"component_templates": [{"name": "logpipe-common", "component_template": {
            "template": {"settings": {"index": {"refresh_interval": "30s"}},
                         "mappings": {"dynamic": false, "properties": {"@timestamp": {"type": "date"}}}},
            "_meta": {"managed_by": "logpipe"}}}]})
    );
    assert_eq!(server.component_template("logpipe-common"), Some(common.clone()));
    let again = send(
        &server,
        "PUT",
        "/_component_template/logpipe-common?create=true",
        JSON,
        Some(&common),
    );
    assert_eq!(again.status, 400);

    let body = logpipe_index_template();
    assert_eq!(put(&server, "/_index_template/logpipe-alb", &body).status, 200);
    let got = get(&server, "/_index_template/logpipe-alb").json();
    let template = &got["index_templates"][0];
    assert_eq!(template["name"], "logpipe-alb");
    assert_eq!(template["index_template"]["priority"], 100);
    assert_eq!(template["index_template"]["composed_of"], json!(["logpipe-common"]));
    assert_eq!(
        template["index_template"]["template"]["settings"],
        json!({"index": {"number_of_shards": "1", "number_of_replicas": "1", "refresh_interval": "30s",
                         "sort": {"field": "@timestamp", "order": "desc"},
                         "mapping": {"total_fields": {"limit": "2000"}}}})
    );
    assert_eq!(
        template["index_template"]["template"]["mappings"],
        body["template"]["mappings"]
    );
    let flat = get(&server, "/_index_template/logpipe-alb?flat_settings=true").json();
    assert_eq!(
        flat["index_templates"][0]["index_template"]["template"]["settings"]["index.sort.order"],
        "desc"
    );
    let listed = get(&server, "/_index_template/logpipe-*").json();
    assert_eq!(listed["index_templates"].as_array().map(Vec::len), Some(1));
    let none = get(&server, "/_index_template/nothing-*");
    assert_eq!((none.status, none.json()), (200, json!({"index_templates": []})));

    // Overlapping patterns at the same priority are refused; at another priority they are fine.
    let overlapping = json!({"index_patterns": ["logs-*"], "priority": 100});
    let refused = put(&server, "/_index_template/logpipe-all", &overlapping);
    assert_eq!(refused.status, 400);
    assert!(refused.json()["error"]["reason"]
        .as_str()
        .unwrap()
        .contains("that have the same priority [100]"));
    let fine = json!({"index_patterns": ["logs-*"], "priority": 10});
    assert_eq!(put(&server, "/_index_template/logpipe-all", &fine).status, 200);
    // Re-putting the same template is not a conflict with itself.
    assert_eq!(put(&server, "/_index_template/logpipe-alb", &body).status, 200);
    assert_requests_valid(&server);
}

#[test]
fn ism_policies_use_optimistic_concurrency() {
    let server = FakeOpenSearch::start();
    let missing = get(&server, "/_plugins/_ism/policies/logpipe-retention");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["reason"], "Policy not found");

    let created = put(&server, "/_plugins/_ism/policies/logpipe-retention", &logpipe_policy());
    assert_eq!(created.status, 201);
    let created = created.json();
    assert_eq!(created["_id"], "logpipe-retention");
    assert_eq!(created["_version"], 1);
    assert_eq!(created["policy"]["policy"]["policy_id"], "logpipe-retention");

    let got = get(&server, "/_plugins/_ism/policies/logpipe-retention").json();
    assert_eq!(got["_seq_no"], created["_seq_no"]);
    assert_eq!(got["_primary_term"], 1);
    let policy = &got["policy"];
    assert_eq!(policy["policy_id"], "logpipe-retention");
    assert_eq!(policy["default_state"], "hot");
    assert_eq!(policy["schema_version"], 1);
    assert_eq!(policy["error_notification"], Value::Null);
    assert!(policy["last_updated_time"]
        .as_u64()
        .is_some_and(|t| t > 1_700_000_000_000));
    assert_eq!(policy["ism_template"][0]["index_patterns"], json!(["logs-*"]));
    assert!(policy["ism_template"][0]["last_updated_time"].is_u64());
    assert_eq!(policy["states"], logpipe_policy()["policy"]["states"]);

    // Creating again conflicts; a stale seq_no conflicts; the current one updates.
    let again = put(&server, "/_plugins/_ism/policies/logpipe-retention", &logpipe_policy());
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["error"]["type"], "version_conflict_engine_exception");
    let seq = got["_seq_no"].as_u64().unwrap();
    let stale = put(
        &server,
        &format!(
            "/_plugins/_ism/policies/logpipe-retention?if_seq_no={}&if_primary_term=1",
            seq + 5
        ),
        &logpipe_policy(),
    );
    assert_eq!(stale.status, 409);
    assert!(stale.json()["error"]["reason"]
        .as_str()
        .unwrap()
        .contains("current document has seqNo"));
    let mut changed = logpipe_policy();
    changed["policy"]["description"] = json!("logpipe: 14 days");
    let updated = put(
        &server,
        &format!("/_plugins/_ism/policies/logpipe-retention?if_seq_no={seq}&if_primary_term=1"),
        &changed,
    );
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["_version"], 2);
    assert!(updated.json()["_seq_no"].as_u64().unwrap() > seq);
    assert_eq!(
        server.ism_policy("logpipe-retention").unwrap()["description"],
        "logpipe: 14 days"
    );
    // The old seq_no is stale now.
    let replay = put(
        &server,
        &format!("/_plugins/_ism/policies/logpipe-retention?if_seq_no={seq}&if_primary_term=1"),
        &changed,
    );
    assert_eq!(replay.status, 409);
    // Updating a policy that does not exist.
    let ghost = put(
        &server,
        "/_plugins/_ism/policies/ghost?if_seq_no=0&if_primary_term=1",
        &logpipe_policy(),
    );
    assert_eq!(ghost.status, 409);
    assert_requests_valid(&server);
}

#[test]
fn security_entities_round_trip_and_reserved_roles_are_protected() {
    let server = FakeOpenSearch::start();
    let missing = get(&server, "/_plugins/_security/api/roles/logpipe_writer");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"status": "NOT_FOUND", "message": "Resource 'logpipe_writer' not found."})
    );
    // A mapping needs its role.
    let early = put(
        &server,
        "/_plugins/_security/api/rolesmapping/logpipe_writer",
        &json!({"backend_roles": ["arn:aws:iam::123456789012:role/logpipe-firehose"]}),
    );
    assert_eq!(early.status, 404);

    let role = json!({"cluster_permissions": ["cluster_monitor", "indices:data/write/bulk"],
                      "index_permissions": [{"index_patterns": ["logs-*"], "allowed_actions": ["crud", "create_index"]}]});
    let created = put(&server, "/_plugins/_security/api/roles/logpipe_writer", &role);
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["status"], "CREATED");
    let updated = put(&server, "/_plugins/_security/api/roles/logpipe_writer", &role);
    assert_eq!((updated.status, updated.json()["status"].clone()), (200, json!("OK")));
    let got = get(&server, "/_plugins/_security/api/roles/logpipe_writer").json();
    assert_eq!(
        got,
        json!({"logpipe_writer": {
            "cluster_permissions": ["cluster_monitor", "indices:data/write/bulk"],
            "index_permissions": [{"index_patterns": ["logs-*"], "allowed_actions": ["crud", "create_index"],
                                   "fls": [], "masked_fields": []}],
            "tenant_permissions": [],
            "reserved": false, "hidden": false, "static": false}})
    );

    let mapping = json!({"backend_roles": ["arn:aws:iam::123456789012:role/logpipe-firehose"]});
    assert_eq!(
        put(&server, "/_plugins/_security/api/rolesmapping/logpipe_writer", &mapping).status,
        201
    );
    let got = get(&server, "/_plugins/_security/api/rolesmapping/logpipe_writer").json();
    assert_eq!(
        got["logpipe_writer"],
        json!({"backend_roles": ["arn:aws:iam::123456789012:role/logpipe-firehose"], "and_backend_roles": [],
               "hosts": [], "users": [], "reserved": false, "hidden": false, "static": false})
    );

    // Built-in roles: readable, not writable, mappable.
    for name in BUILT_IN_ROLES {
        let got = get(&server, &format!("/_plugins/_security/api/roles/{name}"));
        assert_eq!(got.status, 200, "{name}");
        assert_eq!(got.json()[*name]["reserved"], true);
    }
    let refused = put(&server, "/_plugins/_security/api/roles/all_access", &role);
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json(),
        json!({"status": "FORBIDDEN", "message": "Resource 'all_access' is reserved."})
    );
    assert_eq!(server.role("all_access").unwrap()["cluster_permissions"], json!(["*"]));
    let dashboards_mapping = json!({"backend_roles": ["logpipe-readers"]});
    assert_eq!(
        put(
            &server,
            "/_plugins/_security/api/rolesmapping/opensearch_dashboards_user",
            &dashboards_mapping
        )
        .status,
        201
    );

    // Internal users: a new one needs a password, the hash is never shown.
    let no_password = put(
        &server,
        "/_plugins/_security/api/internalusers/reader",
        &json!({"backend_roles": ["logpipe-readers"]}),
    );
    assert_eq!(no_password.status, 400);
    let user = json!({"password": "correct-horse-battery", "backend_roles": ["logpipe-readers"],
                      "opendistro_security_roles": ["readall"]});
    assert_eq!(
        put(&server, "/_plugins/_security/api/internalusers/reader", &user).status,
        201
    );
    let got = get(&server, "/_plugins/_security/api/internalusers/reader").json();
    assert_eq!(
        got,
        json!({"reader": {"hash": "", "backend_roles": ["logpipe-readers"], "attributes": {},
                          "opendistro_security_roles": ["readall"],
                          "reserved": false, "hidden": false, "static": false}})
    );
    assert_eq!(
        server.internal_user("reader").unwrap()["password"],
        "correct-horse-battery"
    );
    let unknown_role = put(
        &server,
        "/_plugins/_security/api/internalusers/other",
        &json!({"password": "x-x-x-x-x-x", "opendistro_security_roles": ["nope"]}),
    );
    assert_eq!(unknown_role.status, 404);
    assert_requests_valid(&server);
}

#[test]
fn dashboards_saved_objects_bulk_get_and_create() {
    let server = FakeOpenSearch::start();
    let ids = json!([{"type": "index-pattern", "id": "logpipe-logs"}, {"type": "dashboard", "id": "logpipe-alb"}]);
    let missing = send(
        &server,
        "POST",
        "/_dashboards/api/saved_objects/_bulk_get",
        DASHBOARDS,
        Some(&ids),
    );
    assert_eq!(missing.status, 200);
    assert_eq!(
        missing.json()["saved_objects"][0],
        json!({"id": "logpipe-logs", "type": "index-pattern",
               "error": {"statusCode": 404, "error": "Not Found",
                         "message": "Saved object [index-pattern/logpipe-logs] not found"}})
    );

    let objects = json!([
        {"type": "index-pattern", "id": "logpipe-logs", "attributes": {"title": "logs-*", "timeFieldName": "@timestamp"}, "references": []},
        {"type": "dashboard", "id": "logpipe-alb", "attributes": {"title": "ALB"},
         "references": [{"name": "panel_0", "type": "visualization", "id": "logpipe-alb-status"}]}
    ]);
    let no_xsrf = send(
        &server,
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create?overwrite=true",
        JSON,
        Some(&objects),
    );
    assert_eq!(no_xsrf.status, 400);
    assert_eq!(no_xsrf.json()["message"], "Request must contain a osd-xsrf header.");
    assert!(server.saved_object_ids().is_empty());

    let created = send(
        &server,
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create?overwrite=true",
        DASHBOARDS,
        Some(&objects),
    );
    assert_eq!(created.status, 200);
    let created = created.json();
    assert_eq!(created["saved_objects"][1]["references"], objects[1]["references"]);

    let found = send(
        &server,
        "POST",
        "/_dashboards/api/saved_objects/_bulk_get",
        DASHBOARDS,
        Some(&ids),
    )
    .json();
    let pattern = &found["saved_objects"][0];
    assert_eq!(pattern["attributes"], objects[0]["attributes"]);
    assert_eq!(pattern["migrationVersion"], json!({"index-pattern": "7.6.0"}));
    assert!(pattern["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert!(pattern["updated_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z') && t.len() == 24));
    assert!(pattern.get("error").is_none());
    assert_eq!(found["saved_objects"][1]["id"], "logpipe-alb");

    // Without overwrite, existing objects are per-object conflicts.
    let conflict = send(
        &server,
        "POST",
        "/_dashboards/api/saved_objects/_bulk_create",
        DASHBOARDS,
        Some(&objects),
    )
    .json();
    assert_eq!(conflict["saved_objects"][0]["error"]["statusCode"], 409);
    assert_eq!(server.saved_object_ids().len(), 2);
    assert_eq!(
        server.saved_object("dashboard", "logpipe-alb").unwrap()["attributes"]["title"],
        "ALB"
    );

    // The one invalid request is the one without osd-xsrf.
    let errors = server.validate_requests().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("request 1 (POST /_dashboards/api/saved_objects/_bulk_create?overwrite=true)"));
}

#[test]
fn basic_auth_is_required_when_configured() {
    let server = FakeOpenSearch::with_basic_auth("master", "S3cret!pass");
    let anonymous = get(&server, "/");
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some("Basic realm=\"OpenSearch Security\"")
    );
    // base64("master:wrong") and base64("master:S3cret!pass")
    let wrong = send(
        &server,
        "GET",
        "/",
        &[("Authorization", "Basic bWFzdGVyOndyb25n")],
        None,
    );
    assert_eq!(wrong.status, 401);
    let right = send(
        &server,
        "GET",
        "/",
        &[("Authorization", "Basic bWFzdGVyOlMzY3JldCFwYXNz")],
        None,
    );
    assert_eq!(right.status, 200);
    let dashboards = send(
        &server,
        "POST",
        "/_dashboards/api/saved_objects/_bulk_get",
        DASHBOARDS,
        Some(&json!([])),
    );
    assert_eq!(dashboards.status, 401);
    assert_eq!(dashboards.json()["message"], "Authentication required");
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 401, 200, 401]);
    assert_eq!(
        server.requests()[2].header("AUTHORIZATION"),
        Some("Basic bWFzdGVyOlMzY3JldCFwYXNz")
    );
}

#[test]
fn sigv4_headers_must_be_well_formed() {
    let server = FakeOpenSearch::start_with(Config {
        auth: Auth::SigV4,
        ..Config::default()
    });
    let date = ("X-Amz-Date", "20261122T050000Z");
    let good = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/eu-west-1/es/aws4_request, \
                SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
                Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    let anonymous = get(&server, "/");
    assert_eq!(anonymous.status, 403);
    assert_eq!(
        anonymous.json()["Message"],
        "User: anonymous is not authorized to perform: es:ESHttpGet"
    );
    assert_eq!(
        send(&server, "GET", "/", &[("Authorization", good), date], None).status,
        200
    );

    let cases: &[(&str, &str, &str)] = &[
        (
            &good.replace("Signature=5d67", "Signature=5d6"),
            "20261122T050000Z",
            "64 lower-case hex",
        ),
        (&good.replace("aws4_request", "aws4"), "20261122T050000Z", "terminator"),
        (
            &good.replace("host;", ""),
            "20261122T050000Z",
            "'host' must be a signed header",
        ),
        (
            &good.replace(";x-amz-date", ""),
            "20261122T050000Z",
            "'x-amz-date' must be a signed header",
        ),
        (&good.replace("/eu-west-1", ""), "20261122T050000Z", "valid region"),
        (good, "2026-11-22T05:00:00Z", "is not yyyyMMddTHHmmssZ"),
        (good, "20261123T050000Z", "does not match"),
        (
            &good.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
            "20261122T050000Z",
            "Authorization",
        ),
    ];
    for (header, amz_date, needle) in cases {
        let reply = send(
            &server,
            "GET",
            "/",
            &[("Authorization", header), ("X-Amz-Date", amz_date)],
            None,
        );
        assert_eq!(reply.status, 403, "{header}");
        let message = reply.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(needle), "`{needle}` not in `{message}`");
    }
    let no_date = send(&server, "GET", "/", &[("Authorization", good)], None);
    assert_eq!(no_date.status, 403);
    assert_eq!(server.requests().len(), cases.len() + 3);
}
