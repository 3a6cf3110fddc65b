//! An in-memory OpenSearch domain (with the security plugin) and OpenSearch Dashboards on
//! 127.0.0.1, for testing an idempotent setup client over real HTTP.
//!
//! It serves exactly the endpoints `logpipe opensearch apply` uses, with OpenSearch's response
//! shapes and status codes:
//!
//! | endpoint | behaviour |
//! |---|---|
//! | `GET /` | the banner; `version.number` from [`Config::version`] |
//! | `GET/PUT /_component_template/{name}` | 404 `resource_not_found_exception` when missing; GET gives `{"component_templates":[{"name","component_template"}]}`; PUT `?create=true` on an existing one is 400 |
//! | `GET/PUT /_index_template/{name}` | as above with `index_templates`/`index_template`; PUT is 400 when `composed_of` names a missing component template or when its patterns overlap another template's at the same priority |
//! | `GET/PUT /_plugins/_ism/policies/{id}` | 404 `Policy not found`; PUT creates (201) unless the policy exists (409); PUT `?if_seq_no=&if_primary_term=` updates (200) only when both match (409 otherwise) |
//! | `GET/PUT /_plugins/_security/api/{roles,rolesmapping,internalusers}/{name}` | 404 `NOT_FOUND`; PUT 201 `CREATED` / 200 `OK`; PUT on a built-in role is 403; a mapping for a role that does not exist is 404; a new user needs `password` or `hash` |
//! | `POST /_dashboards/api/saved_objects/_bulk_get` and `_bulk_create[?overwrite=true]` | 400 without `osd-xsrf`; per-object 404 / 409 errors |
//!
//! GET answers are built the way OpenSearch builds them: template settings come back nested under
//! `index` with every scalar as a string (flat with `?flat_settings=true`); ISM policies gain
//! `policy_id`, `last_updated_time`, `schema_version`, `error_notification` and an
//! `ism_template` list whose entries carry `last_updated_time`; security entities gain
//! `reserved`, `hidden` and `static` (false) and default empty lists, and users' `hash` is `""`;
//! saved objects gain `version`, `updated_at` and `migrationVersion`.
//!
//! Other paths answer 400 `no handler found for uri [..] and method [..]` (404 JSON under
//! `/_dashboards`), and a known path with another method 405. A body must be JSON with
//! `Content-Type: application/json` (406 otherwise, like OpenSearch).
//!
//! Authentication ([`Auth`]): none, HTTP basic (`user:pass`; 401 with `WWW-Authenticate`), or
//! any well-formed SigV4 header (`AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request,
//! SignedHeaders=..host..x-amz-date.., Signature=<64 hex>` plus a matching `X-Amz-Date`; 403
//! otherwise). Signatures are not computed.
//!
//! Every request is recorded ([`FakeOpenSearch::requests`]): method, target, headers, parsed body,
//! and the status it got. The server checks no request against the API schemas: tests do that with
//! [`crate::opensearch_spec::validate_request`] (or [`RecordedRequest::validate`]).
//!
//! The server runs on its own thread and runtime and stops when the [`FakeOpenSearch`] is dropped.

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The roles every domain with fine-grained access control has; GET works, PUT is refused (403).
pub const BUILT_IN_ROLES: &[&str] = &[
    "all_access",
    "readall",
    "opensearch_dashboards_user",
    "opensearch_dashboards_read_only",
];

/// How requests must authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Anything goes.
    None,
    /// `Authorization: Basic base64(user:password)` with exactly these.
    Basic { user: String, password: String },
    /// A well-formed `Authorization: AWS4-HMAC-SHA256 ...` header and `X-Amz-Date` (not verified).
    SigV4,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Authentication required of every request.
    pub auth: Auth,
    /// `version.number` in the banner.
    pub version: String,
    /// `cluster_name` in the banner (Amazon OpenSearch Service: `<account>:<domain>`).
    pub cluster_name: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            auth: Auth::None,
            version: "2.17.0".to_owned(),
            cluster_name: "123456789012:logpipe".to_owned(),
        }
    }
}

/// One request the server received, and the status it answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The request target as sent: path and query.
    pub path_and_query: String,
    /// Header (name in lower case, value) pairs, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `None` when empty or not JSON (see `raw_body`).
    pub body: Option<Value>,
    /// The body as received.
    pub raw_body: Bytes,
    /// The status the server answered.
    pub status: u16,
    /// The body the server answered.
    pub response: Bytes,
}

impl RecordedRequest {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }

    /// The query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.path_and_query.split_once('?').map(|(_, q)| q)
    }

    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The response body parsed as JSON.
    pub fn response_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.response).ok()
    }

    /// [`crate::opensearch_spec::validate_request`] on this request. A non-empty body that is not
    /// JSON is reported as such.
    pub fn validate(&self) -> Result<&'static str, Vec<String>> {
        if self.body.is_none() && !self.raw_body.is_empty() {
            return Err(vec![format!(
                "{} {}: the body is not JSON",
                self.method, self.path_and_query
            )]);
        }
        crate::opensearch_spec::validate_request(&self.method, &self.path_and_query, &self.headers, self.body.as_ref())
    }
}

#[derive(Clone)]
struct Policy {
    /// The `policy` object as GET returns it.
    policy: Value,
    seq_no: u64,
    primary_term: u64,
    version: u64,
}

#[derive(Clone)]
struct SecurityEntity {
    body: Value,
    reserved: bool,
}

struct Inner {
    config: Config,
    requests: Vec<RecordedRequest>,
    component_templates: BTreeMap<String, Value>,
    index_templates: BTreeMap<String, Value>,
    policies: BTreeMap<String, Policy>,
    roles: BTreeMap<String, SecurityEntity>,
    role_mappings: BTreeMap<String, SecurityEntity>,
    users: BTreeMap<String, SecurityEntity>,
    /// Keyed by (type, id).
    saved_objects: BTreeMap<(String, String), Value>,
    /// The ISM config index's sequence numbers, and the saved objects index's.
    next_seq_no: u64,
    next_saved_seq_no: u64,
}

struct State {
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock must not hide its own failure behind ours.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The server. Dropping it stops it.
pub struct FakeOpenSearch {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeOpenSearch {
    /// A server with [`Config::default`] (no authentication).
    pub fn start() -> FakeOpenSearch {
        FakeOpenSearch::start_with(Config::default())
    }

    /// A server requiring HTTP basic authentication with this user and password.
    pub fn with_basic_auth(user: &str, password: &str) -> FakeOpenSearch {
        FakeOpenSearch::start_with(Config {
            auth: Auth::Basic {
                user: user.to_owned(),
                password: password.to_owned(),
            },
            ..Config::default()
        })
    }

    /// A server requiring a well-formed SigV4 `Authorization` header.
    pub fn with_sigv4() -> FakeOpenSearch {
        FakeOpenSearch::start_with(Config {
            auth: Auth::SigV4,
            ..Config::default()
        })
    }

    /// A server with these settings.
    pub fn start_with(config: Config) -> FakeOpenSearch {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let roles = BUILT_IN_ROLES
            .iter()
            .map(|name| {
                (
                    (*name).to_owned(),
                    SecurityEntity {
                        body: built_in_role(name),
                        reserved: true,
                    },
                )
            })
            .collect();
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                config,
                requests: Vec::new(),
                component_templates: BTreeMap::new(),
                index_templates: BTreeMap::new(),
                policies: BTreeMap::new(),
                roles,
                role_mappings: BTreeMap::new(),
                users: BTreeMap::new(),
                saved_objects: BTreeMap::new(),
                next_seq_no: 0,
                next_saved_seq_no: 0,
            }),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("fake-opensearch-{}", addr.port()))
            .spawn(move || run(listener, served, stop))
            .expect("spawn the server thread");
        FakeOpenSearch {
            addr,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The address it listens on (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }

    /// Forgets the recorded requests (not the stored state).
    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }

    /// Validates every recorded request against the API schemas; each error names the request's
    /// position (0-based), method and target.
    pub fn validate_requests(&self) -> Result<usize, Vec<String>> {
        let requests = self.requests();
        let mut errors = Vec::new();
        for (i, request) in requests.iter().enumerate() {
            if let Err(found) = request.validate() {
                errors.extend(
                    found
                        .into_iter()
                        .map(|e| format!("request {i} ({} {}): {e}", request.method, request.path_and_query)),
                );
            }
        }
        if errors.is_empty() {
            Ok(requests.len())
        } else {
            Err(errors)
        }
    }

    /// A component template's body as stored (the PUT body).
    pub fn component_template(&self, name: &str) -> Option<Value> {
        self.state.lock().component_templates.get(name).cloned()
    }

    /// An index template's body as stored (the PUT body).
    pub fn index_template(&self, name: &str) -> Option<Value> {
        self.state.lock().index_templates.get(name).cloned()
    }

    /// An ISM policy as GET returns its `policy` object.
    pub fn ism_policy(&self, policy_id: &str) -> Option<Value> {
        self.state.lock().policies.get(policy_id).map(|p| p.policy.clone())
    }

    /// A role's body as stored (the PUT body, or the built-in definition).
    pub fn role(&self, name: &str) -> Option<Value> {
        self.state.lock().roles.get(name).map(|e| e.body.clone())
    }

    /// A role mapping's body as stored.
    pub fn role_mapping(&self, name: &str) -> Option<Value> {
        self.state.lock().role_mappings.get(name).map(|e| e.body.clone())
    }

    /// An internal user's body as stored (with its `password`, as sent).
    pub fn internal_user(&self, name: &str) -> Option<Value> {
        self.state.lock().users.get(name).map(|e| e.body.clone())
    }

    /// A saved object as `_bulk_get` returns it.
    pub fn saved_object(&self, object_type: &str, id: &str) -> Option<Value> {
        self.state
            .lock()
            .saved_objects
            .get(&(object_type.to_owned(), id.to_owned()))
            .cloned()
    }

    /// Every saved object's (type, id).
    pub fn saved_object_ids(&self) -> Vec<(String, String)> {
        self.state.lock().saved_objects.keys().cloned().collect()
    }

    /// Stores a component template as if PUT (no checks, nothing recorded).
    pub fn insert_component_template(&self, name: &str, body: Value) {
        self.state.lock().component_templates.insert(name.to_owned(), body);
    }

    /// Stores an index template as if PUT (no checks, nothing recorded).
    pub fn insert_index_template(&self, name: &str, body: Value) {
        self.state.lock().index_templates.insert(name.to_owned(), body);
    }

    /// Stores an ISM policy from a PUT body `{"policy":{...}}` (no checks, nothing recorded);
    /// returns its (seq_no, primary_term).
    pub fn insert_ism_policy(&self, policy_id: &str, body: &Value) -> (u64, u64) {
        let mut inner = self.state.lock();
        let seq_no = inner.take_seq_no();
        let policy = stored_policy(policy_id, body.get("policy").unwrap_or(&Value::Null), now_millis());
        inner.policies.insert(
            policy_id.to_owned(),
            Policy {
                policy,
                seq_no,
                primary_term: 1,
                version: 1,
            },
        );
        (seq_no, 1)
    }

    /// Stores a role mapping (for instance the `all_access` mapping a domain starts with).
    pub fn insert_role_mapping(&self, role: &str, body: Value) {
        self.state
            .lock()
            .role_mappings
            .insert(role.to_owned(), SecurityEntity { body, reserved: false });
    }

    /// Stores a saved object from a `_bulk_create` entry (`type`, `id`, `attributes`, `references`).
    pub fn insert_saved_object(&self, object: &Value) {
        let mut inner = self.state.lock();
        let stored = inner.store_saved_object(object);
        if let Some(key) = saved_object_key(&stored) {
            inner.saved_objects.insert(key, stored);
        }
    }
}

impl Drop for FakeOpenSearch {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread: accepts connections until told to stop, then drops them all.
fn run(listener: std::net::TcpListener, state: Arc<State>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fake-opensearch-worker")
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let mut connections = tokio::task::JoinSet::new();
        // Runs for the server's lifetime: ends when the FakeOpenSearch is dropped.
        loop {
            tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        connections.spawn(serve(stream, Arc::clone(&state)));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
}

async fn serve(stream: tokio::net::TcpStream, state: Arc<State>) {
    let service = hyper::service::service_fn(move |request| handle(request, Arc::clone(&state)));
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// An answer before it is turned into a hyper response.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Bytes,
    extra_headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json; charset=UTF-8",
            body: Bytes::from(body.to_string()),
            extra_headers: Vec::new(),
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Answer {
        self.extra_headers.push((name, value));
        self
    }
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let method = request.method().as_str().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let headers: Vec<(String, String)> = crate::opensearch_spec::header_pairs(request.headers());
    let raw_body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body: Option<Value> = if raw_body.is_empty() {
        None
    } else {
        serde_json::from_slice(&raw_body).ok()
    };
    let mut recorded = RecordedRequest {
        method,
        path_and_query,
        headers,
        body,
        raw_body,
        status: 0,
        response: Bytes::new(),
    };
    let answer = {
        let mut inner = state.lock();
        let answer = inner.answer(&recorded);
        recorded.status = answer.status;
        recorded.response = answer.body.clone();
        inner.requests.push(recorded);
        answer
    };
    let mut response = Response::builder()
        .status(answer.status)
        .header("content-type", answer.content_type);
    for (name, value) in &answer.extra_headers {
        response = response.header(*name, value.as_str());
    }
    Ok(response
        .body(Full::new(answer.body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

// ------------------------------------------------------------------------------------------------
// Routing and the endpoints.

impl Inner {
    fn take_seq_no(&mut self) -> u64 {
        let seq = self.next_seq_no;
        self.next_seq_no += 1;
        seq
    }

    fn answer(&mut self, request: &RecordedRequest) -> Answer {
        let path = request.path();
        let dashboards = path == "/_dashboards" || path.starts_with("/_dashboards/");
        if let Err(answer) = self.authenticate(request, dashboards) {
            return answer;
        }
        let query = parse_query(request.query().unwrap_or_default());
        if dashboards {
            return self.dashboards(request, path, &query);
        }
        if !request.raw_body.is_empty() {
            let content_type = request.header("content-type").unwrap_or_default();
            let mime = content_type.split(';').next().unwrap_or_default().trim();
            if !mime.eq_ignore_ascii_case("application/json") {
                return Answer::json(
                    406,
                    &json!({"error": format!("Content-Type header [{content_type}] is not supported"), "status": 406}),
                );
            }
            if request.body.is_none() {
                return opensearch_error(400, "parse_exception", "request body is not valid JSON");
            }
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let method = request.method.as_str();
        let body = request.body.as_ref();
        match segments.as_slice() {
            [""] => match method {
                "GET" => Answer::json(200, &self.banner()),
                _ => wrong_method(method, path, &["GET"]),
            },
            ["_component_template", name] => match method {
                "GET" => self.get_templates(name, &query, true),
                "PUT" => self.put_component_template(name, &query, body),
                _ => wrong_method(method, path, &["GET", "PUT"]),
            },
            ["_index_template", name] => match method {
                "GET" => self.get_templates(name, &query, false),
                "PUT" => self.put_index_template(name, &query, body),
                _ => wrong_method(method, path, &["GET", "PUT"]),
            },
            ["_plugins", "_ism", "policies", id] => match method {
                "GET" => self.get_policy(id),
                "PUT" => self.put_policy(id, &query, body),
                _ => wrong_method(method, path, &["GET", "PUT"]),
            },
            ["_plugins", "_security", "api", kind @ ("roles" | "rolesmapping" | "internalusers"), name] => match method
            {
                "GET" => self.get_security(kind, name),
                "PUT" => self.put_security(kind, name, body),
                _ => wrong_method(method, path, &["GET", "PUT"]),
            },
            _ => Answer::json(
                400,
                &json!({"error": format!("no handler found for uri [{}] and method [{method}]", request.path_and_query)}),
            ),
        }
    }

    fn authenticate(&self, request: &RecordedRequest, dashboards: bool) -> Result<(), Answer> {
        let authorization = request.header("authorization");
        match &self.config.auth {
            Auth::None => Ok(()),
            Auth::Basic { user, password } => {
                let expected = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                );
                if authorization == Some(expected.as_str()) {
                    return Ok(());
                }
                let answer = if dashboards {
                    Answer::json(
                        401,
                        &json!({"statusCode": 401, "error": "Unauthorized", "message": "Authentication required"}),
                    )
                } else {
                    Answer {
                        status: 401,
                        content_type: "text/plain; charset=UTF-8",
                        body: Bytes::from_static(b"Unauthorized"),
                        extra_headers: Vec::new(),
                    }
                };
                Err(answer.with_header("www-authenticate", "Basic realm=\"OpenSearch Security\"".to_owned()))
            }
            Auth::SigV4 => match authorization {
                None => Err(Answer::json(
                    403,
                    &json!({"Message": format!(
                        "User: anonymous is not authorized to perform: es:ESHttp{}",
                        capitalized(&request.method)
                    )}),
                )),
                Some(header) => check_sigv4(header, request.header("x-amz-date"))
                    .map_err(|message| Answer::json(403, &json!({ "message": message }))),
            },
        }
    }

    fn banner(&self) -> Value {
        json!({
            "name": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "cluster_name": self.config.cluster_name,
            "cluster_uuid": "Q2x1c3RlclVVSUQtZmFrZQ",
            "version": {
                "distribution": "opensearch",
                "number": self.config.version,
                "build_type": "tar",
                "build_hash": "unknown",
                "build_date": "2026-01-01T00:00:00.000000000Z",
                "build_snapshot": false,
                "lucene_version": "9.11.1",
                "minimum_wire_compatibility_version": "7.10.0",
                "minimum_index_compatibility_version": "7.0.0"
            },
            "tagline": "The OpenSearch Project: https://opensearch.org/"
        })
    }

    // -------------------------------------------------------------------- templates

    fn get_templates(&self, name: &str, query: &Query, component: bool) -> Answer {
        let (store, list_key, item_key, what) = if component {
            (
                &self.component_templates,
                "component_templates",
                "component_template",
                "component template",
            )
        } else {
            (
                &self.index_templates,
                "index_templates",
                "index_template",
                "index template",
            )
        };
        let flat = query.flag("flat_settings");
        let patterns: Vec<&str> = name.split(',').collect();
        let found: Vec<Value> = store
            .iter()
            .filter(|(stored, _)| patterns.iter().any(|p| glob_match(p.as_bytes(), stored.as_bytes())))
            .map(|(stored, body)| json!({"name": stored, item_key: template_as_returned(body, flat)}))
            .collect();
        let wildcard = name.contains('*') || name.contains(',');
        if found.is_empty() && !wildcard {
            return opensearch_error(
                404,
                "resource_not_found_exception",
                &format!("{what} matching [{name}] not found"),
            );
        }
        Answer::json(200, &json!({ list_key: found }))
    }

    fn put_component_template(&mut self, name: &str, query: &Query, body: Option<&Value>) -> Answer {
        let Some(body) = body.filter(|b| b.is_object()) else {
            return opensearch_error(400, "parse_exception", "request body is required");
        };
        if query.flag("create") && self.component_templates.contains_key(name) {
            return opensearch_error(
                400,
                "illegal_argument_exception",
                &format!("component template [{name}] already exists"),
            );
        }
        self.component_templates.insert(name.to_owned(), body.clone());
        Answer::json(200, &json!({"acknowledged": true}))
    }

    fn put_index_template(&mut self, name: &str, query: &Query, body: Option<&Value>) -> Answer {
        let Some(body) = body.filter(|b| b.is_object()) else {
            return opensearch_error(400, "parse_exception", "request body is required");
        };
        if query.flag("create") && self.index_templates.contains_key(name) {
            return opensearch_error(
                400,
                "illegal_argument_exception",
                &format!("index template [{name}] already exists"),
            );
        }
        let missing: Vec<&str> = body
            .get("composed_of")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|c| !self.component_templates.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return opensearch_error(
                400,
                "invalid_index_template_exception",
                &format!(
                    "index_template [{name}] invalid, cause [index template [{name}] specifies component templates {} that do not exist]",
                    bracket_list(&missing)
                ),
            );
        }
        let priority = body.get("priority").and_then(Value::as_i64).unwrap_or(0);
        let patterns = index_patterns(body);
        let conflicts: Vec<(&String, Vec<String>)> = self
            .index_templates
            .iter()
            .filter(|(other, _)| other.as_str() != name)
            .filter(|(_, other)| other.get("priority").and_then(Value::as_i64).unwrap_or(0) == priority)
            .map(|(other, other_body)| (other, index_patterns(other_body)))
            .filter(|(_, other_patterns)| {
                patterns.iter().any(|p| {
                    other_patterns
                        .iter()
                        .any(|o| globs_intersect(p.as_bytes(), o.as_bytes()))
                })
            })
            .collect();
        if !conflicts.is_empty() {
            let names: Vec<&str> = conflicts.iter().map(|(n, _)| n.as_str()).collect();
            let described: Vec<String> = conflicts
                .iter()
                .map(|(n, p)| format!("{n} => {}", bracket_list(p)))
                .collect();
            return opensearch_error(
                400,
                "illegal_argument_exception",
                &format!(
                    "index template [{name}] has index patterns {} matching patterns from existing templates {} with patterns ({}) that have the same priority [{priority}], multiple index templates may not match during index creation, please use a different priority",
                    bracket_list(&patterns),
                    bracket_list(&names),
                    described.join(",")
                ),
            );
        }
        self.index_templates.insert(name.to_owned(), body.clone());
        Answer::json(200, &json!({"acknowledged": true}))
    }

    // -------------------------------------------------------------------- ISM

    fn get_policy(&self, id: &str) -> Answer {
        match self.policies.get(id) {
            None => opensearch_error(404, "status_exception", "Policy not found"),
            Some(p) => Answer::json(
                200,
                &json!({
                    "_id": id,
                    "_version": p.version,
                    "_seq_no": p.seq_no,
                    "_primary_term": p.primary_term,
                    "policy": p.policy,
                }),
            ),
        }
    }

    fn put_policy(&mut self, id: &str, query: &Query, body: Option<&Value>) -> Answer {
        let Some(policy_in) = body.and_then(|b| b.get("policy")).filter(|p| p.is_object()) else {
            return opensearch_error(400, "illegal_argument_exception", "Required [policy] object is missing");
        };
        let if_seq_no = query.get("if_seq_no").and_then(|v| v.parse::<u64>().ok());
        let if_primary_term = query.get("if_primary_term").and_then(|v| v.parse::<u64>().ok());
        let existing = self.policies.get(id).cloned();
        let (status, version) = match (if_seq_no, if_primary_term) {
            (Some(seq_no), Some(primary_term)) => match &existing {
                None => {
                    return version_conflict(&format!(
                        "[{id}]: version conflict, required seqNo [{seq_no}], primary term [{primary_term}]. but no document was found"
                    ))
                }
                Some(current) if current.seq_no != seq_no || current.primary_term != primary_term => {
                    return version_conflict(&format!(
                        "[{id}]: version conflict, required seqNo [{seq_no}], primary term [{primary_term}]. current document has seqNo [{}] and primary term [{}]",
                        current.seq_no, current.primary_term
                    ))
                }
                Some(current) => (200, current.version + 1),
            },
            // The ISM plugin creates (op_type create) unless both are given.
            _ => match &existing {
                Some(current) => {
                    return version_conflict(&format!(
                        "[{id}]: version conflict, document already exists (current version [{}])",
                        current.version
                    ))
                }
                None => (201, 1),
            },
        };
        let seq_no = self.take_seq_no();
        let policy = stored_policy(id, policy_in, now_millis());
        self.policies.insert(
            id.to_owned(),
            Policy {
                policy: policy.clone(),
                seq_no,
                primary_term: 1,
                version,
            },
        );
        Answer::json(
            status,
            &json!({
                "_id": id,
                "_version": version,
                "_primary_term": 1,
                "_seq_no": seq_no,
                "policy": {"policy": policy},
            }),
        )
    }

    // -------------------------------------------------------------------- security

    fn security_store(&mut self, kind: &str) -> &mut BTreeMap<String, SecurityEntity> {
        match kind {
            "roles" => &mut self.roles,
            "rolesmapping" => &mut self.role_mappings,
            _ => &mut self.users,
        }
    }

    fn get_security(&mut self, kind: &str, name: &str) -> Answer {
        let Some(entity) = self.security_store(kind).get(name) else {
            return security_status(404, "NOT_FOUND", &format!("Resource '{name}' not found."));
        };
        Answer::json(200, &json!({ name: security_as_returned(kind, entity) }))
    }

    fn put_security(&mut self, kind: &str, name: &str, body: Option<&Value>) -> Answer {
        let Some(body) = body.filter(|b| b.is_object()) else {
            return security_status(400, "BAD_REQUEST", "Request body required for this action.");
        };
        let existing = self.security_store(kind).get(name).cloned();
        if existing.as_ref().is_some_and(|e| e.reserved) {
            return security_status(403, "FORBIDDEN", &format!("Resource '{name}' is reserved."));
        }
        match kind {
            "rolesmapping" if !self.roles.contains_key(name) => {
                return security_status(
                    404,
                    "NOT_FOUND",
                    &format!("role '{name}' is not available for role-mapping."),
                );
            }
            "internalusers" => {
                let has_secret = ["password", "hash"]
                    .iter()
                    .any(|k| body.get(*k).and_then(Value::as_str).is_some_and(|s| !s.is_empty()));
                if existing.is_none() && !has_secret {
                    return security_status(
                        400,
                        "BAD_REQUEST",
                        "Please specify either 'hash' or 'password' when creating a new internal user.",
                    );
                }
                let roles = body.get("opendistro_security_roles").and_then(Value::as_array);
                for role in roles.into_iter().flatten().filter_map(Value::as_str) {
                    if !self.roles.contains_key(role) {
                        return security_status(404, "NOT_FOUND", &format!("role '{role}' is not found."));
                    }
                }
            }
            _ => {}
        }
        self.security_store(kind).insert(
            name.to_owned(),
            SecurityEntity {
                body: body.clone(),
                reserved: false,
            },
        );
        match existing {
            None => security_status(201, "CREATED", &format!("'{name}' created.")),
            Some(_) => security_status(200, "OK", &format!("'{name}' updated.")),
        }
    }

    // -------------------------------------------------------------------- Dashboards

    fn dashboards(&mut self, request: &RecordedRequest, path: &str, query: &Query) -> Answer {
        let endpoint = match path {
            "/_dashboards/api/saved_objects/_bulk_get" => "bulk_get",
            "/_dashboards/api/saved_objects/_bulk_create" => "bulk_create",
            _ => {
                return Answer::json(
                    404,
                    &json!({"statusCode": 404, "error": "Not Found", "message": "Not Found"}),
                )
            }
        };
        if request.method != "POST" {
            return Answer::json(
                404,
                &json!({"statusCode": 404, "error": "Not Found", "message": "Not Found"}),
            );
        }
        if request.header("osd-xsrf").is_none() && request.header("osd-version").is_none() {
            return dashboards_error(400, "Bad Request", "Request must contain a osd-xsrf header.");
        }
        let content_type = request.header("content-type").unwrap_or_default();
        if !content_type.to_ascii_lowercase().starts_with("application/json") {
            return dashboards_error(415, "Unsupported Media Type", "Unsupported Media Type");
        }
        let Some(Value::Array(items)) = request.body.as_ref() else {
            return dashboards_error(
                400,
                "Bad Request",
                "[request body]: expected value of type [array] but got [Object]",
            );
        };
        if endpoint == "bulk_get" {
            let found: Vec<Value> = items
                .iter()
                .map(|item| {
                    let object_type = item.get("type").and_then(Value::as_str).unwrap_or_default();
                    let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                    self.saved_objects
                        .get(&(object_type.to_owned(), id.to_owned()))
                        .cloned()
                        .unwrap_or_else(|| {
                            json!({
                                "id": id,
                                "type": object_type,
                                "error": {
                                    "statusCode": 404,
                                    "error": "Not Found",
                                    "message": format!("Saved object [{object_type}/{id}] not found"),
                                }
                            })
                        })
                })
                .collect();
            return Answer::json(200, &json!({ "saved_objects": found }));
        }
        let overwrite = query.flag("overwrite");
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let stored = self.store_saved_object(item);
            let Some(key) = saved_object_key(&stored) else {
                continue;
            };
            if !overwrite && self.saved_objects.contains_key(&key) {
                results.push(json!({
                    "id": key.1,
                    "type": key.0,
                    "error": {
                        "statusCode": 409,
                        "error": "Conflict",
                        "message": format!("Saved object [{}/{}] conflict", key.0, key.1),
                    }
                }));
                continue;
            }
            self.saved_objects.insert(key, stored.clone());
            results.push(stored);
        }
        Answer::json(200, &json!({ "saved_objects": results }))
    }

    /// A `_bulk_create` entry as stored and returned: an id if it had none, `references` (empty if
    /// absent), `migrationVersion`, `updated_at`, `version`.
    fn store_saved_object(&mut self, item: &Value) -> Value {
        let seq = self.next_saved_seq_no;
        self.next_saved_seq_no += 1;
        let object_type = item.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{:08x}-0000-4000-8000-{seq:012x}", seq.wrapping_mul(2_654_435_761)));
        let migration = item
            .get("migrationVersion")
            .cloned()
            .unwrap_or_else(|| default_migration_version(&object_type));
        json!({
            "id": id,
            "type": object_type,
            "attributes": item.get("attributes").cloned().unwrap_or_else(|| json!({})),
            "references": item.get("references").cloned().unwrap_or_else(|| json!([])),
            "migrationVersion": migration,
            "updated_at": iso_millis(now_millis()),
            "version": base64::engine::general_purpose::STANDARD.encode(format!("[{seq},1]")),
        })
    }
}

// ------------------------------------------------------------------------------------------------
// Response shapes.

fn opensearch_error(status: u16, kind: &str, reason: &str) -> Answer {
    Answer::json(
        status,
        &json!({
            "error": {
                "root_cause": [{"type": kind, "reason": reason}],
                "type": kind,
                "reason": reason,
            },
            "status": status,
        }),
    )
}

fn version_conflict(reason: &str) -> Answer {
    Answer::json(
        409,
        &json!({
            "error": {
                "root_cause": [{
                    "type": "version_conflict_engine_exception",
                    "reason": reason,
                    "index": ".opendistro-ism-config",
                    "shard": "0",
                    "index_uuid": "SW5kZXhVVUlELWZha2UtaXNt",
                }],
                "type": "version_conflict_engine_exception",
                "reason": reason,
                "index": ".opendistro-ism-config",
                "shard": "0",
                "index_uuid": "SW5kZXhVVUlELWZha2UtaXNt",
            },
            "status": 409,
        }),
    )
}

fn security_status(status: u16, word: &str, message: &str) -> Answer {
    Answer::json(status, &json!({"status": word, "message": message}))
}

fn dashboards_error(status: u16, error: &str, message: &str) -> Answer {
    Answer::json(
        status,
        &json!({"statusCode": status, "error": error, "message": message}),
    )
}

fn wrong_method(method: &str, path: &str, allowed: &[&str]) -> Answer {
    Answer::json(
        405,
        &json!({
            "error": format!("Incorrect HTTP method for uri [{path}] and method [{method}], allowed: [{}]", allowed.join(", ")),
            "status": 405,
        }),
    )
    .with_header("allow", allowed.join(","))
}

fn built_in_role(name: &str) -> Value {
    match name {
        "all_access" => json!({
            "description": "Allow full access to all indices and all cluster APIs",
            "cluster_permissions": ["*"],
            "index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["*"]}],
            "tenant_permissions": [{"tenant_patterns": ["*"], "allowed_actions": ["kibana_all_write"]}],
        }),
        "readall" => json!({
            "description": "Provide the minimum permissions for to readall indices",
            "cluster_permissions": ["cluster_composite_ops_ro"],
            "index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["read"]}],
        }),
        "opensearch_dashboards_read_only" => json!({
            "description": "Provide the minimum permissions for a read only dashboards user",
        }),
        _ => json!({
            "description": "Provide the minimum permissions for a dashboards user",
            "cluster_permissions": ["cluster_composite_ops"],
            "index_permissions": [{
                "index_patterns": [".kibana", ".kibana-6", ".kibana_*", ".opensearch_dashboards", ".opensearch_dashboards-6", ".opensearch_dashboards_*"],
                "allowed_actions": ["read", "delete", "manage", "index"],
            }],
        }),
    }
}

/// A security entity as GET shows it: defaults filled in, flags added, users' hash blanked and
/// password dropped.
fn security_as_returned(kind: &str, entity: &SecurityEntity) -> Value {
    let mut out = entity.body.as_object().cloned().unwrap_or_default();
    let defaults: &[(&str, Value)] = match kind {
        "roles" => &[
            ("cluster_permissions", json!([])),
            ("index_permissions", json!([])),
            ("tenant_permissions", json!([])),
        ],
        "rolesmapping" => &[
            ("hosts", json!([])),
            ("users", json!([])),
            ("backend_roles", json!([])),
            ("and_backend_roles", json!([])),
        ],
        _ => &[
            ("backend_roles", json!([])),
            ("attributes", json!({})),
            ("opendistro_security_roles", json!([])),
        ],
    };
    for (key, value) in defaults {
        out.entry(*key).or_insert_with(|| value.clone());
    }
    if kind == "roles" {
        if let Some(Value::Array(permissions)) = out.get_mut("index_permissions") {
            for permission in permissions.iter_mut().filter_map(Value::as_object_mut) {
                for key in ["fls", "masked_fields", "allowed_actions"] {
                    permission.entry(key).or_insert_with(|| json!([]));
                }
            }
        }
    }
    if kind == "internalusers" {
        out.remove("password");
        out.insert("hash".to_owned(), json!(""));
    }
    out.insert("reserved".to_owned(), json!(entity.reserved));
    out.insert("hidden".to_owned(), json!(false));
    out.insert("static".to_owned(), json!(entity.reserved));
    Value::Object(out)
}

/// The `policy` object ISM stores and returns for a PUT body's `policy`.
fn stored_policy(id: &str, policy_in: &Value, now: u64) -> Value {
    let mut policy = policy_in.as_object().cloned().unwrap_or_default();
    policy.insert("policy_id".to_owned(), json!(id));
    policy.insert("last_updated_time".to_owned(), json!(now));
    policy.entry("schema_version").or_insert_with(|| json!(1));
    policy.entry("error_notification").or_insert(Value::Null);
    let templates = match policy.remove("ism_template") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Array(list)) => Value::Array(list.into_iter().map(|t| ism_template_stored(t, now)).collect()),
        Some(single) => Value::Array(vec![ism_template_stored(single, now)]),
    };
    policy.insert("ism_template".to_owned(), templates);
    Value::Object(policy)
}

fn ism_template_stored(template: Value, now: u64) -> Value {
    let mut template = template.as_object().cloned().unwrap_or_default();
    template.entry("priority").or_insert_with(|| json!(0));
    template.entry("last_updated_time").or_insert_with(|| json!(now));
    Value::Object(template)
}

/// A stored template body as GET shows it: `template.settings` normalised.
fn template_as_returned(body: &Value, flat: bool) -> Value {
    let mut out = body.clone();
    if let Some(settings) = out.pointer_mut("/template/settings") {
        let normalised = settings
            .as_object()
            .map(|s| normalise_settings(s, flat))
            .unwrap_or_else(|| settings.clone());
        *settings = normalised;
    }
    out
}

/// OpenSearch's settings rendering: keys prefixed with `index.`, scalars as strings (arrays of
/// scalars as arrays of strings), nested under `index` unless flat.
fn normalise_settings(settings: &Map<String, Value>, flat: bool) -> Value {
    let flat_map = match crate::opensearch_spec::flatten_index_settings(settings) {
        Ok(map) => map,
        // Given twice: OpenSearch refuses the PUT; keep what the first pass found.
        Err(_) => {
            let mut map = BTreeMap::new();
            for (key, value) in settings {
                map.insert(key.clone(), value.clone());
            }
            map
        }
    };
    let stringified: BTreeMap<String, Value> = flat_map.into_iter().map(|(k, v)| (k, stringify(&v))).collect();
    if flat {
        return Value::Object(stringified.into_iter().collect());
    }
    let mut root = Map::new();
    for (key, value) in stringified {
        insert_dotted(&mut root, &key, value);
    }
    Value::Object(root)
}

fn stringify(value: &Value) -> Value {
    match value {
        Value::String(_) => value.clone(),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(stringify).collect()),
        Value::Null => Value::Null,
        Value::Object(_) => value.clone(),
    }
}

fn insert_dotted(root: &mut Map<String, Value>, key: &str, value: Value) {
    let mut node = root;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), value);
            return;
        }
        let child = node.entry(part.to_owned()).or_insert_with(|| json!({}));
        if !child.is_object() {
            *child = json!({});
        }
        match child.as_object_mut() {
            Some(map) => node = map,
            None => return,
        }
    }
}

fn index_patterns(body: &Value) -> Vec<String> {
    match body.get("index_patterns") {
        Some(Value::String(p)) => vec![p.clone()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn bracket_list<S: AsRef<str>>(items: &[S]) -> String {
    let joined: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", joined.join(", "))
}

fn saved_object_key(object: &Value) -> Option<(String, String)> {
    Some((
        object.get("type")?.as_str()?.to_owned(),
        object.get("id")?.as_str()?.to_owned(),
    ))
}

fn default_migration_version(object_type: &str) -> Value {
    match object_type {
        "index-pattern" => json!({"index-pattern": "7.6.0"}),
        "visualization" => json!({"visualization": "7.10.0"}),
        "dashboard" => json!({"dashboard": "7.9.3"}),
        "search" => json!({"search": "7.9.3"}),
        _ => json!({}),
    }
}

// ------------------------------------------------------------------------------------------------
// Helpers.

/// Decoded query parameters (the last value wins, as in OpenSearch).
struct Query(HashMap<String, String>);

impl Query {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A boolean flag: present with no value, or `true`.
    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("" | "true"))
    }
}

fn parse_query(query: &str) -> Query {
    Query(
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
    )
}

/// Checks the shape of a SigV4 `Authorization` header and the `X-Amz-Date` it goes with.
fn check_sigv4(header: &str, amz_date: Option<&str>) -> Result<(), String> {
    let rest = header
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| format!("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}"))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        } else {
            return Err(format!("Authorization header has an unknown part '{part}'"));
        }
    }
    let credential = credential.ok_or("Authorization header requires 'Credential' parameter.")?;
    let signed_headers = signed_headers.ok_or("Authorization header requires 'SignedHeaders' parameter.")?;
    let signature = signature.ok_or("Authorization header requires 'Signature' parameter.")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = scope.as_slice() else {
        return Err(format!(
            "Credential should be scoped to a valid region, not '{credential}'."
        ));
    };
    if key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(format!("Credential '{credential}' is incomplete."));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Credential date '{date}' is not yyyyMMdd."));
    }
    if *terminator != "aws4_request" {
        return Err(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        ));
    }
    let signed: Vec<&str> = signed_headers.split(';').collect();
    for needed in ["host", "x-amz-date"] {
        if !signed.contains(&needed) {
            return Err(format!(
                "'{needed}' must be a signed header (SignedHeaders={signed_headers})."
            ));
        }
    }
    if signature.len() != 64 || !signature.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("The request signature is not 64 lower-case hex digits.".to_owned());
    }
    let amz_date = amz_date.ok_or("X-Amz-Date header is missing.")?;
    let well_formed = amz_date.len() == 16
        && amz_date.as_bytes().get(8) == Some(&b'T')
        && amz_date.ends_with('Z')
        && amz_date
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 8 || i == 15 || b.is_ascii_digit());
    if !well_formed {
        return Err(format!("X-Amz-Date '{amz_date}' is not yyyyMMddTHHmmssZ."));
    }
    if !amz_date.starts_with(date) {
        return Err(format!("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}'", &amz_date[..8]));
    }
    Ok(())
}

fn capitalized(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `*` wildcards only, as OpenSearch's simple match.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_match(rest, text.get(i..).unwrap_or_default())),
        Some((c, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| t == c && glob_match(rest, tail)),
    }
}

/// Whether some name matches both `*`-patterns (OpenSearch compares template patterns as automata).
fn globs_intersect(a: &[u8], b: &[u8]) -> bool {
    fn go(a: &[u8], b: &[u8], i: usize, j: usize, memo: &mut HashMap<(usize, usize), bool>) -> bool {
        if let Some(&known) = memo.get(&(i, j)) {
            return known;
        }
        let result = match (a.get(i), b.get(j)) {
            (None, None) => true,
            (Some(b'*'), _) => go(a, b, i + 1, j, memo) || (j < b.len() && go(a, b, i, j + 1, memo)),
            (_, Some(b'*')) => go(a, b, i, j + 1, memo) || (i < a.len() && go(a, b, i + 1, j, memo)),
            (Some(x), Some(y)) => x == y && go(a, b, i + 1, j + 1, memo),
            _ => false,
        };
        memo.insert((i, j), result);
        result
    }
    go(a, b, 0, 0, &mut HashMap::new())
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `2026-11-22T05:00:00.000Z` for milliseconds since the epoch.
fn iso_millis(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_795_323_600_123), "2026-11-22T05:00:00.123Z");
        assert_eq!(iso_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn glob_intersections() {
        assert!(globs_intersect(b"logs-*", b"logs-alb-*"));
        assert!(globs_intersect(b"*-alb-*", b"logs-*"));
        assert!(!globs_intersect(b"logs-alb-*", b"logs-cloudfront-*"));
        assert!(!globs_intersect(b"logs-alb", b"logs-alb-x"));
        assert!(globs_intersect(b"logs-alb", b"logs-a*"));
    }

    #[test]
    fn settings_are_rendered_like_opensearch() {
        let settings = json!({"number_of_shards": 1, "index": {"sort": {"field": "@timestamp", "order": "desc"}},
                              "index.mapping.total_fields.limit": 2000, "refresh_interval": "30s"});
        let nested = normalise_settings(settings.as_object().unwrap(), false);
        assert_eq!(
            nested,
            json!({"index": {"number_of_shards": "1", "refresh_interval": "30s",
                             "sort": {"field": "@timestamp", "order": "desc"},
                             "mapping": {"total_fields": {"limit": "2000"}}}})
        );
        let flat = normalise_settings(settings.as_object().unwrap(), true);
        assert_eq!(flat["index.mapping.total_fields.limit"], json!("2000"));
    }
}
