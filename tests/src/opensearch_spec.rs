//! Validation of HTTP requests against condensed OpenSearch API schemas.
//!
//! `logpipe opensearch apply` talks to an OpenSearch domain (and its Dashboards under
//! `/_dashboards`). Its tests record every request it sends (see [`crate::fake_opensearch`]) and
//! check each one here: the method and path must name a documented operation, the query
//! parameters must be ones that operation takes, with values of their type, the headers it needs
//! must be there, and the JSON body must match the operation's request schema.
//!
//! The schemas live in `tests/opensearch-api/*.json` (embedded at build time). They are condensed
//! by hand from `opensearch-project/opensearch-api-specification` (and, for the Dashboards saved
//! objects API, which that specification does not cover, from the OpenSearch Dashboards docs and
//! route definitions); `tests/opensearch-api/README.md` lists the file and commit behind each one
//! and every place where a schema is stricter or looser than the specification and why.
//!
//! | operation id | method | path |
//! |---|---|---|
//! | `info` | GET | `/` |
//! | `cluster.get_component_template` | GET | `/_component_template/{name}` |
//! | `cluster.put_component_template` | PUT | `/_component_template/{name}` |
//! | `indices.get_index_template` | GET | `/_index_template/{name}` |
//! | `indices.put_index_template` | PUT | `/_index_template/{name}` |
//! | `ism.get_policy` | GET | `/_plugins/_ism/policies/{policy_id}` |
//! | `ism.put_policy` | PUT | `/_plugins/_ism/policies/{policy_id}` |
//! | `security.get_role` / `security.create_role` | GET / PUT | `/_plugins/_security/api/roles/{role}` |
//! | `security.get_role_mapping` / `security.create_role_mapping` | GET / PUT | `/_plugins/_security/api/rolesmapping/{role}` |
//! | `security.get_user` / `security.create_user` | GET / PUT | `/_plugins/_security/api/internalusers/{username}` |
//! | `dashboards.saved_objects.bulk_get` | POST | `/_dashboards/api/saved_objects/_bulk_get` |
//! | `dashboards.saved_objects.bulk_create` | POST | `/_dashboards/api/saved_objects/_bulk_create` |
//!
//! Rules beyond JSON Schema, applied by name from the operation files (`checks`):
//! - `flat_index_settings:<pointer>`: the index settings at that JSON pointer may be nested
//!   (`{"index":{"sort":{"field":..}}}`) or flat (`{"index.sort.field":..}`), with or without the
//!   `index.` prefix, as OpenSearch takes them; they are flattened to dotted `index.*` keys, a key
//!   given twice is an error, and the result must match `FlatIndexSettings`.
//! - `ism_policy_graph`: state names are unique, `default_state` and every transition's
//!   `state_name` name a state, nothing follows a `delete` action and a state that deletes has no
//!   transitions (the ISM plugin's own checks when it parses a policy).
//!
//! A request with a body must say `Content-Type: application/json` (OpenSearch answers 406
//! otherwise; Dashboards 415). Header names are compared without regard to case.

use serde_json::{Map, Value};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The schema files, embedded.
const FILES: &[(&str, &str)] = &[
    ("common.json", include_str!("../opensearch-api/common.json")),
    ("core.json", include_str!("../opensearch-api/core.json")),
    (
        "cluster.component_template.json",
        include_str!("../opensearch-api/cluster.component_template.json"),
    ),
    (
        "indices.index_template.json",
        include_str!("../opensearch-api/indices.index_template.json"),
    ),
    ("ism.json", include_str!("../opensearch-api/ism.json")),
    ("security.json", include_str!("../opensearch-api/security.json")),
    (
        "dashboards.saved_objects.json",
        include_str!("../opensearch-api/dashboards.saved_objects.json"),
    ),
];

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Validates one request. Returns the operation id (as in the table above) or every problem found,
/// each prefixed with the operation id once the operation is known.
///
/// `path_and_query` is the request target as sent (`/_index_template/logpipe-alb?create=false`);
/// `headers` are (name, value) pairs in any case; `body` is the parsed JSON body, `None` when the
/// request had none.
pub fn validate_request<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path_and_query: &str,
    headers: &[(K, V)],
    body: Option<&Value>,
) -> Result<&'static str, Vec<String>> {
    let registry = match registry() {
        Ok(registry) => registry,
        Err(e) => return Err(vec![format!("the schema files do not load: {e}")]),
    };
    registry.validate(method, path_and_query, headers, body)
}

/// Every operation the schemas describe, as (operation id, method, path template).
pub fn operations() -> Vec<(&'static str, &'static str, &'static str)> {
    match registry() {
        Ok(registry) => registry
            .ops
            .iter()
            .map(|op| (op.id.as_str(), op.method.as_str(), op.path.as_str()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Loads and compiles the schema files (done once); the error says which file or schema is broken.
pub fn check_schemas() -> Result<usize, String> {
    registry().map(|r| r.ops.len()).map_err(Clone::clone)
}

/// A hyper/http header map as the (name, value) pairs [`validate_request`] takes. Values that are
/// not visible ASCII are replaced by their lossy UTF-8 rendering.
pub fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Flattens index settings the way OpenSearch reads them: nested objects become dotted keys and
/// every key gets the `index.` prefix if it lacks it. Scalars and arrays are kept as they are.
/// A key that appears twice (once nested, once flat) is reported.
pub fn flatten_index_settings(settings: &Map<String, Value>) -> Result<BTreeMap<String, Value>, Vec<String>> {
    let mut flat = BTreeMap::new();
    let mut errors = Vec::new();
    flatten_into(settings, "", &mut flat, &mut errors);
    let mut prefixed = BTreeMap::new();
    for (key, value) in flat {
        let key = if key.starts_with("index.") {
            key
        } else {
            format!("index.{key}")
        };
        match prefixed.entry(key) {
            Entry::Occupied(taken) => errors.push(format!("setting [{}] is given twice", taken.key())),
            Entry::Vacant(free) => {
                free.insert(value);
            }
        }
    }
    if errors.is_empty() {
        Ok(prefixed)
    } else {
        Err(errors)
    }
}

fn flatten_into(map: &Map<String, Value>, prefix: &str, out: &mut BTreeMap<String, Value>, errors: &mut Vec<String>) {
    for (key, value) in map {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten_into(inner, &full, out, errors),
            _ => {
                if out.insert(full.clone(), value.clone()).is_some() {
                    errors.push(format!("setting [{full}] is given twice"));
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------

enum Segment {
    Literal(String),
    Param(String),
}

enum Check {
    FlatIndexSettings(String),
    IsmPolicyGraph,
}

struct BodySpec {
    required: bool,
    validator: jsonschema::Validator,
}

struct Op {
    id: String,
    method: String,
    path: String,
    segments: Vec<Segment>,
    path_params: BTreeMap<String, jsonschema::Validator>,
    query: BTreeMap<String, jsonschema::Validator>,
    global_query: bool,
    query_together: Vec<Vec<String>>,
    required_headers: Vec<Vec<String>>,
    body: Option<BodySpec>,
    checks: Vec<Check>,
}

struct Registry {
    ops: Vec<Op>,
    global_query: BTreeMap<String, jsonschema::Validator>,
    flat_settings: jsonschema::Validator,
}

fn registry() -> Result<&'static Registry, &'static String> {
    static REGISTRY: OnceLock<Result<Registry, String>> = OnceLock::new();
    REGISTRY.get_or_init(Registry::load).as_ref()
}

impl Registry {
    fn load() -> Result<Registry, String> {
        let mut docs = Vec::new();
        let mut defs = Map::new();
        for (name, text) in FILES {
            let doc: Value = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            if let Some(file_defs) = doc.get("$defs").and_then(Value::as_object) {
                for (key, schema) in file_defs {
                    if defs.insert(key.clone(), schema.clone()).is_some() {
                        return Err(format!("{name}: $defs/{key} is defined twice"));
                    }
                }
            }
            docs.push((*name, doc));
        }
        let compile = |fragment: &Value, what: &str| -> Result<jsonschema::Validator, String> {
            let root = serde_json::json!({ "$schema": DRAFT, "$defs": defs, "allOf": [fragment] });
            jsonschema::options()
                .build(&root)
                .map_err(|e| format!("{what}: the schema does not compile: {e}"))
        };
        let mut global_query = BTreeMap::new();
        let mut ops = Vec::new();
        for (name, doc) in &docs {
            if let Some(globals) = doc.get("global_query").and_then(Value::as_object) {
                for (param, schema) in globals {
                    global_query.insert(param.clone(), compile(schema, &format!("{name}: global {param}"))?);
                }
            }
            let Some(list) = doc.get("operations").and_then(Value::as_array) else {
                continue;
            };
            for op in list {
                ops.push(Op::load(name, op, &compile)?);
            }
        }
        let flat_settings = compile(
            &serde_json::json!({"$ref": "#/$defs/FlatIndexSettings"}),
            "FlatIndexSettings",
        )?;
        Ok(Registry {
            ops,
            global_query,
            flat_settings,
        })
    }

    fn validate<K: AsRef<str>, V: AsRef<str>>(
        &'static self,
        method: &str,
        path_and_query: &str,
        headers: &[(K, V)],
        body: Option<&Value>,
    ) -> Result<&'static str, Vec<String>> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let segments = match split_path(path) {
            Ok(segments) => segments,
            Err(e) => return Err(vec![format!("{method} {path_and_query}: {e}")]),
        };
        let on_path: Vec<&Op> = self.ops.iter().filter(|op| op.matches(&segments)).collect();
        if on_path.is_empty() {
            return Err(vec![format!("{method} {path}: no documented operation has this path")]);
        }
        let Some(op) = on_path.iter().find(|op| op.method == method) else {
            let allowed: BTreeSet<&str> = on_path.iter().map(|op| op.method.as_str()).collect();
            let allowed: Vec<&str> = allowed.into_iter().collect();
            return Err(vec![format!(
                "{method} {path}: method not allowed for {} (allowed: {})",
                on_path[0].path,
                allowed.join(", ")
            )]);
        };
        let mut errors = Vec::new();
        op.check_path_params(&segments, &mut errors);
        if let Some(query) = query {
            self.check_query(op, query, &mut errors);
        }
        op.check_headers(headers, body.is_some(), &mut errors);
        match (&op.body, body) {
            (None, Some(_)) => errors.push("the operation takes no request body".to_owned()),
            (Some(spec), None) if spec.required => errors.push("a request body is required".to_owned()),
            (Some(spec), Some(body)) => {
                for e in spec.validator.iter_errors(body) {
                    errors.push(format!("body{}: {e}", pointer_or_root(&e.instance_path().to_string())));
                }
                for check in &op.checks {
                    match check {
                        Check::FlatIndexSettings(pointer) => self.check_settings(body, pointer, &mut errors),
                        Check::IsmPolicyGraph => check_ism_policy(body, &mut errors),
                    }
                }
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(op.id.as_str())
        } else {
            Err(errors.into_iter().map(|e| format!("{}: {e}", op.id)).collect())
        }
    }

    fn check_query(&self, op: &Op, query: &str, errors: &mut Vec<String>) {
        let mut seen = BTreeSet::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = match (percent_decode(raw_key), percent_decode(raw_value)) {
                (Ok(k), Ok(v)) => (k, v),
                _ => {
                    errors.push(format!("query `{pair}` is not valid percent-encoding"));
                    continue;
                }
            };
            if !seen.insert(key.clone()) {
                errors.push(format!("query parameter `{key}` is given twice"));
                continue;
            }
            let validator = op.query.get(&key).or_else(|| {
                if op.global_query {
                    self.global_query.get(&key)
                } else {
                    None
                }
            });
            match validator {
                None => errors.push(format!("unknown query parameter `{key}`")),
                Some(v) => {
                    let instance = Value::String(value.clone());
                    if !v.is_valid(&instance) {
                        errors.push(format!("query parameter `{key}`: `{value}` is not a valid value"));
                    }
                }
            }
        }
        for group in &op.query_together {
            let present: Vec<&String> = group.iter().filter(|k| seen.contains(k.as_str())).collect();
            if !present.is_empty() && present.len() != group.len() {
                errors.push(format!(
                    "query parameters {} must be given together",
                    group.join(" and ")
                ));
            }
        }
    }

    fn check_settings(&self, body: &Value, pointer: &str, errors: &mut Vec<String>) {
        let Some(Value::Object(settings)) = body.pointer(pointer) else {
            return;
        };
        match flatten_index_settings(settings) {
            Err(found) => errors.extend(found.into_iter().map(|e| format!("body{pointer}: {e}"))),
            Ok(flat) => {
                let instance = Value::Object(flat.into_iter().collect());
                for e in self.flat_settings.iter_errors(&instance) {
                    errors.push(format!(
                        "body{pointer} (flattened){}: {e}",
                        pointer_or_root(&e.instance_path().to_string())
                    ));
                }
            }
        }
    }
}

impl Op {
    fn load(
        file: &str,
        op: &Value,
        compile: &dyn Fn(&Value, &str) -> Result<jsonschema::Validator, String>,
    ) -> Result<Op, String> {
        let text = |key: &str| -> Result<String, String> {
            op.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{file}: an operation lacks `{key}`"))
        };
        let id = text("id")?;
        let method = text("method")?;
        let path = text("path")?;
        let what = format!("{file}: {id}");
        let segments = split_path(&path)
            .map_err(|e| format!("{what}: {e}"))?
            .into_iter()
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s),
            })
            .collect::<Vec<_>>();
        let mut path_params = BTreeMap::new();
        for segment in &segments {
            if let Segment::Param(name) = segment {
                let schema = op
                    .pointer(&format!("/path_params/{name}"))
                    .ok_or_else(|| format!("{what}: path parameter {{{name}}} has no schema"))?;
                path_params.insert(name.clone(), compile(schema, &format!("{what}: path {name}"))?);
            }
        }
        let mut query = BTreeMap::new();
        if let Some(params) = op.get("query").and_then(Value::as_object) {
            for (name, schema) in params {
                query.insert(name.clone(), compile(schema, &format!("{what}: query {name}"))?);
            }
        }
        let string_lists = |key: &str| -> Vec<Vec<String>> {
            op.get(key)
                .and_then(Value::as_array)
                .map(|groups| {
                    groups
                        .iter()
                        .filter_map(Value::as_array)
                        .map(|g| {
                            g.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_ascii_lowercase)
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let body = match op.get("body") {
            Some(Value::Object(spec)) => {
                let schema = spec
                    .get("schema")
                    .ok_or_else(|| format!("{what}: body without schema"))?;
                Some(BodySpec {
                    required: spec.get("required").and_then(Value::as_bool).unwrap_or(false),
                    validator: compile(schema, &format!("{what}: body"))?,
                })
            }
            _ => None,
        };
        let mut checks = Vec::new();
        for check in op.get("checks").and_then(Value::as_array).into_iter().flatten() {
            let check = check.as_str().unwrap_or_default();
            if let Some(pointer) = check.strip_prefix("flat_index_settings:") {
                checks.push(Check::FlatIndexSettings(pointer.to_owned()));
            } else if check == "ism_policy_graph" {
                checks.push(Check::IsmPolicyGraph);
            } else {
                return Err(format!("{what}: unknown check `{check}`"));
            }
        }
        Ok(Op {
            id,
            method,
            path,
            segments,
            path_params,
            query,
            global_query: op.get("global_query").and_then(Value::as_bool).unwrap_or(true),
            query_together: string_lists("query_together"),
            required_headers: string_lists("required_headers"),
            body,
            checks,
        })
    }

    fn matches(&self, segments: &[String]) -> bool {
        self.segments.len() == segments.len()
            && self.segments.iter().zip(segments).all(|(t, s)| match t {
                Segment::Literal(l) => l == s,
                Segment::Param(_) => true,
            })
    }

    fn check_path_params(&self, segments: &[String], errors: &mut Vec<String>) {
        for (template, segment) in self.segments.iter().zip(segments) {
            if let Segment::Param(name) = template {
                if let Some(validator) = self.path_params.get(name) {
                    let value = Value::String(segment.clone());
                    for e in validator.iter_errors(&value) {
                        errors.push(format!("path parameter {{{name}}} = `{segment}`: {e}"));
                    }
                }
            }
        }
    }

    fn check_headers<K: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(K, V)],
        has_body: bool,
        errors: &mut Vec<String>,
    ) {
        let find = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_ref())
        };
        for alternatives in &self.required_headers {
            if !alternatives.iter().any(|name| find(name).is_some()) {
                errors.push(format!("header `{}` is required", alternatives.join("` or `")));
            }
        }
        if has_body {
            match find("content-type") {
                None => errors.push("a request with a body needs `Content-Type: application/json`".to_owned()),
                Some(value) => {
                    let mime = value.split(';').next().unwrap_or_default().trim();
                    if !mime.eq_ignore_ascii_case("application/json") {
                        errors.push(format!("Content-Type `{value}` is not application/json"));
                    }
                }
            }
        }
    }
}

/// The ISM plugin's semantic checks on a policy (Policy, State constructors).
fn check_ism_policy(body: &Value, errors: &mut Vec<String>) {
    let Some(policy) = body.get("policy") else {
        return;
    };
    let states: Vec<&Value> = policy
        .get("states")
        .and_then(Value::as_array)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let mut names = BTreeSet::new();
    for state in &states {
        if let Some(name) = state.get("name").and_then(Value::as_str) {
            if !names.insert(name) {
                errors.push(format!("body/policy/states: duplicate state name `{name}`"));
            }
        }
    }
    if let Some(default) = policy.get("default_state").and_then(Value::as_str) {
        if !names.contains(default) {
            errors.push(format!(
                "body/policy/default_state: `{default}` is not one of the states"
            ));
        }
    }
    for (i, state) in states.iter().enumerate() {
        let name = state.get("name").and_then(Value::as_str).unwrap_or("?");
        let actions = state.get("actions").and_then(Value::as_array);
        let transitions = state.get("transitions").and_then(Value::as_array);
        let mut deleted = false;
        for action in actions.into_iter().flatten() {
            if deleted {
                errors.push(format!(
                    "body/policy/states/{i}: state `{name}` has an action after its delete action"
                ));
                break;
            }
            deleted = action.get("delete").is_some();
        }
        if deleted && transitions.is_some_and(|t| !t.is_empty()) {
            errors.push(format!(
                "body/policy/states/{i}: state `{name}` deletes the index, so it cannot have transitions"
            ));
        }
        for (j, transition) in transitions.into_iter().flatten().enumerate() {
            if let Some(target) = transition.get("state_name").and_then(Value::as_str) {
                if !names.contains(target) {
                    errors.push(format!(
                        "body/policy/states/{i}/transitions/{j}: state_name `{target}` is not one of the states"
                    ));
                }
            }
        }
    }
}

fn pointer_or_root(pointer: &str) -> String {
    if pointer.is_empty() {
        " (root)".to_owned()
    } else {
        pointer.to_owned()
    }
}

/// `/a/b` → `["a", "b"]`, `/` → `[]`; segments percent-decoded.
fn split_path(path: &str) -> Result<Vec<String>, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("the path does not start with `/`".to_owned());
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/')
        .map(|segment| {
            if segment.is_empty() {
                Err(format!("empty path segment in `{path}`"))
            } else {
                percent_decode(segment).map_err(|e| format!("path `{path}`: {e}"))
            }
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as a space, as OpenSearch does in query strings; a literal `+`
/// in a path segment is rare enough for the names used here).
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => out.push(byte),
                    None => return Err(format!("bad percent-escape in `{text}`")),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` does not decode to UTF-8"))
}
