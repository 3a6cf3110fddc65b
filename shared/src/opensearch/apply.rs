//! Making the domain match a [`Plan`]: read each object, write it only where it differs.

use super::client::{HttpRequest, HttpResponse, OpenSearchHttp, Target};
use super::compare::{contains, normalize_template};
use super::plan::{Plan, RoleMapping, SavedObject};
use super::SetupError;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt;

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It did not exist and was created.
    Created,
    /// It existed with other contents and was rewritten.
    Updated,
    /// It already matched; nothing was sent.
    Unchanged,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
        })
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportItem {
    /// `component_template`, `index_template`, `ism_policy`, `role`, `role_mapping`,
    /// `internal_user`, or the saved object type.
    pub kind: String,
    /// Its name or id.
    pub name: String,
    /// What was done.
    pub change: Change,
}

/// What one apply did, object by object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// In the order applied.
    pub items: Vec<ReportItem>,
}

impl ApplyReport {
    fn push(&mut self, kind: &str, name: &str, change: Change) {
        tracing::info!(kind, name, %change, "opensearch setup");
        self.items.push(ReportItem {
            kind: kind.to_owned(),
            name: name.to_owned(),
            change,
        });
    }

    /// How many objects had this outcome.
    pub fn count(&self, change: Change) -> usize {
        self.items.iter().filter(|i| i.change == change).count()
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{:<10} {:<20} {}", item.change.to_string(), item.kind, item.name)?;
        }
        write!(
            f,
            "{} created, {} updated, {} unchanged",
            self.count(Change::Created),
            self.count(Change::Updated),
            self.count(Change::Unchanged)
        )
    }
}

/// Applies the plan. Stops at the first request OpenSearch refuses, with its answer; what was
/// applied before stays (a rerun continues where it stopped, every step being idempotent).
pub async fn apply<C: OpenSearchHttp>(client: &C, plan: &Plan) -> Result<ApplyReport, SetupError> {
    let os = Api { client };
    let mut report = ApplyReport::default();
    os.expect_ok(os.call(Target::Api, "GET", "/".into(), None).await?, "GET", "/")?;
    for (name, body) in &plan.component_templates {
        let change = os
            .template(
                "_component_template",
                "component_templates",
                "component_template",
                name,
                body,
            )
            .await?;
        report.push("component_template", name, change);
    }
    for (name, body) in &plan.index_templates {
        let change = os
            .template("_index_template", "index_templates", "index_template", name, body)
            .await?;
        report.push("index_template", name, change);
    }
    for (id, body) in &plan.ism_policies {
        report.push("ism_policy", id, os.ism_policy(id, body).await?);
    }
    for (name, body) in &plan.roles {
        report.push("role", name, os.role(name, body).await?);
    }
    for mapping in &plan.role_mappings {
        report.push("role_mapping", &mapping.role, os.role_mapping(mapping).await?);
    }
    for (user, backend_roles) in &plan.users {
        let change = os.user(user, backend_roles, plan.reset_passwords).await?;
        report.push("internal_user", &user.name, change);
    }
    if !plan.saved_objects.is_empty() {
        for (object, change) in os.saved_objects(&plan.saved_objects).await? {
            report.push(&object.kind, &object.id, change);
        }
    }
    Ok(report)
}

struct Api<'c, C> {
    client: &'c C,
}

impl<C: OpenSearchHttp> Api<'_, C> {
    async fn call(
        &self,
        target: Target,
        method: &'static str,
        path: String,
        body: Option<&Value>,
    ) -> Result<HttpResponse, SetupError> {
        let body = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        self.client
            .send(HttpRequest {
                target,
                method,
                path,
                body,
            })
            .await
    }

    fn expect_ok(&self, response: HttpResponse, method: &'static str, path: &str) -> Result<Value, SetupError> {
        if !(200..300).contains(&response.status) {
            return Err(SetupError::Status {
                method,
                path: path.to_owned(),
                status: response.status,
                body: String::from_utf8_lossy(&response.body).chars().take(500).collect(),
            });
        }
        if response.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&response.body).map_err(|e| SetupError::Answer {
            path: path.to_owned(),
            message: format!("not JSON: {e}"),
        })
    }

    /// GET an object; `None` when it does not exist.
    async fn get(&self, target: Target, path: &str) -> Result<Option<Value>, SetupError> {
        let response = self.call(target, "GET", path.to_owned(), None).await?;
        if response.status == 404 {
            return Ok(None);
        }
        self.expect_ok(response, "GET", path).map(Some)
    }

    async fn put(&self, path: String, body: &Value) -> Result<Value, SetupError> {
        let response = self.call(Target::Api, "PUT", path.clone(), Some(body)).await?;
        self.expect_ok(response, "PUT", &path)
    }

    async fn template(
        &self,
        api: &str,
        list_key: &str,
        item_key: &str,
        name: &str,
        body: &Value,
    ) -> Result<Change, SetupError> {
        let path = format!("/{api}/{name}");
        let current = self.get(Target::Api, &path).await?;
        let stored = current.as_ref().and_then(|v| {
            v[list_key]
                .as_array()?
                .iter()
                .find(|t| t["name"] == name)
                .map(|t| t[item_key].clone())
        });
        let change = match stored {
            None => Change::Created,
            Some(stored) if normalize_template(&stored) == normalize_template(body) => return Ok(Change::Unchanged),
            Some(_) => Change::Updated,
        };
        self.put(path, body).await?;
        Ok(change)
    }

    async fn ism_policy(&self, id: &str, body: &Value) -> Result<Change, SetupError> {
        let path = format!("/_plugins/_ism/policies/{id}");
        let Some(current) = self.get(Target::Api, &path).await? else {
            self.put(path, body).await?;
            return Ok(Change::Created);
        };
        if contains(&current["policy"], &body["policy"]) {
            return Ok(Change::Unchanged);
        }
        let (Some(seq_no), Some(primary_term)) = (current["_seq_no"].as_i64(), current["_primary_term"].as_i64())
        else {
            return Err(SetupError::Answer {
                path,
                message: "no _seq_no/_primary_term to update the policy with".into(),
            });
        };
        self.put(
            format!("{path}?if_seq_no={seq_no}&if_primary_term={primary_term}"),
            body,
        )
        .await?;
        Ok(Change::Updated)
    }

    /// The security API answers `{"<name>": {...}}`.
    async fn security_get(&self, kind: &str, name: &str) -> Result<(String, Option<Value>), SetupError> {
        let path = format!("/_plugins/_security/api/{kind}/{name}");
        let current = self.get(Target::Api, &path).await?;
        Ok((path, current.map(|mut v| v[name].take())))
    }

    async fn role(&self, name: &str, body: &Value) -> Result<Change, SetupError> {
        let (path, current) = self.security_get("roles", name).await?;
        let change = match current {
            None => Change::Created,
            Some(c) if contains(&c, body) => return Ok(Change::Unchanged),
            Some(_) => Change::Updated,
        };
        self.put(path, body).await?;
        Ok(change)
    }

    async fn role_mapping(&self, mapping: &RoleMapping) -> Result<Change, SetupError> {
        let (path, current) = self.security_get("rolesmapping", &mapping.role).await?;
        let list = |v: &Option<Value>, key: &str| -> BTreeSet<String> {
            v.as_ref()
                .and_then(|v| v[key].as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let (have_roles, have_users) = (list(&current, "backend_roles"), list(&current, "users"));
        let ours_roles: BTreeSet<String> = mapping.backend_roles.iter().cloned().collect();
        let ours_users: BTreeSet<String> = mapping.users.iter().cloned().collect();
        let (want_roles, want_users) = if mapping.exclusive {
            (ours_roles, ours_users)
        } else {
            (&have_roles | &ours_roles, &have_users | &ours_users)
        };
        let change = match &current {
            None => Change::Created,
            Some(_) if want_roles == have_roles && want_users == have_users => return Ok(Change::Unchanged),
            Some(_) => Change::Updated,
        };
        let mut body = json!({ "backend_roles": want_roles, "users": want_users });
        if !mapping.exclusive {
            // Keep what others configured on a built-in role.
            for key in ["hosts", "and_backend_roles"] {
                if let Some(v) = current
                    .as_ref()
                    .and_then(|c| c.get(key))
                    .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
                {
                    body[key] = v.clone();
                }
            }
        }
        self.put(path, &body).await?;
        Ok(change)
    }

    async fn user(
        &self,
        user: &super::InternalUser,
        backend_roles: &[String],
        reset_password: bool,
    ) -> Result<Change, SetupError> {
        let (path, current) = self.security_get("internalusers", &user.name).await?;
        let mut body = json!({
            "backend_roles": backend_roles,
            "attributes": { "managed_by": "logpipe" }
        });
        let change = match &current {
            None => Change::Created,
            // OpenSearch never returns a password or hash, so an existing user's password is only
            // set again when asked to.
            Some(c) if !reset_password && contains(c, &body) => return Ok(Change::Unchanged),
            Some(_) => Change::Updated,
        };
        match (&user.password, &user.hash) {
            (Some(p), _) => body["password"] = json!(p),
            (None, Some(h)) => body["hash"] = json!(h),
            (None, None) => {}
        }
        self.put(path, &body).await?;
        Ok(change)
    }

    async fn saved_objects<'p>(
        &self,
        objects: &'p [SavedObject],
    ) -> Result<Vec<(&'p SavedObject, Change)>, SetupError> {
        let path = "/api/saved_objects/_bulk_get";
        let wanted: Vec<Value> = objects.iter().map(|o| json!({"type": o.kind, "id": o.id})).collect();
        let response = self
            .call(Target::Dashboards, "POST", path.to_owned(), Some(&Value::Array(wanted)))
            .await?;
        let found = self.expect_ok(response, "POST", path)?;
        let found = found["saved_objects"].as_array().cloned().unwrap_or_default();
        let mut outcome = Vec::with_capacity(objects.len());
        let mut to_write = Vec::new();
        for object in objects {
            let current = found
                .iter()
                .find(|f| f["id"] == object.id.as_str() && f["type"] == object.kind.as_str());
            let mut desired = object.body["attributes"].clone();
            if object.kind == "index-pattern" {
                // Dashboards stores the field list it fetches into the pattern; ours is empty on
                // purpose, so the field list is not compared.
                if let Some(map) = desired.as_object_mut() {
                    map.remove("fields");
                }
            }
            let change = match current {
                None => Change::Created,
                Some(c) if c.get("error").is_some() => Change::Created,
                Some(c)
                    if contains(&c["attributes"], &desired)
                        && contains(&c["references"], &object.body["references"]) =>
                {
                    Change::Unchanged
                }
                Some(_) => Change::Updated,
            };
            if change != Change::Unchanged {
                let mut body = object.body.clone();
                if let Some(map) = body.as_object_mut() {
                    // `_bulk_create` takes type, id, attributes, references (and no migration data).
                    map.retain(|k, _| matches!(k.as_str(), "type" | "id" | "attributes" | "references"));
                }
                to_write.push(body);
            }
            outcome.push((object, change));
        }
        if !to_write.is_empty() {
            let path = "/api/saved_objects/_bulk_create?overwrite=true";
            let response = self
                .call(
                    Target::Dashboards,
                    "POST",
                    path.to_owned(),
                    Some(&Value::Array(to_write)),
                )
                .await?;
            let created = self.expect_ok(response, "POST", path)?;
            if let Some(failed) = created["saved_objects"]
                .as_array()
                .and_then(|a| a.iter().find(|o| o.get("error").is_some()))
            {
                return Err(SetupError::Answer {
                    path: path.to_owned(),
                    message: format!("saved object {} not written: {}", failed["id"], failed["error"]),
                });
            }
        }
        Ok(outcome)
    }
}
