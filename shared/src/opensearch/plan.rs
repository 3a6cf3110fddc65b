//! The desired state: every template, policy, role, mapping, user and saved object, as the JSON
//! bodies OpenSearch's REST API takes.

use super::assets::{self, Asset};
use super::{InternalUser, SetupConfig, SetupError};
use serde_json::{json, Value};

/// The ISM policy that deletes old log indices.
pub const ISM_POLICY_ID: &str = "logpipe-retention";
/// The role Firehose writes with.
pub const WRITER_ROLE: &str = "logpipe_writer";
/// The role developers read with.
pub const READER_ROLE: &str = "logpipe_reader";
/// Every index logpipe writes.
const LOG_INDICES: &str = "logs-*";
/// Built-in roles developers also need: Dashboards access, and its read-only mode (no saving of
/// visualisations into shared tenants).
const DASHBOARDS_ROLES: [&str; 2] = ["opensearch_dashboards_user", "opensearch_dashboards_read_only"];

/// Who a role is mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    /// The role.
    pub role: String,
    /// Backend roles (IAM role ARNs, groups) mapped to it.
    pub backend_roles: Vec<String>,
    /// Users mapped to it.
    pub users: Vec<String>,
    /// True for roles logpipe owns: the mapping is exactly this. False for built-in roles: these
    /// principals are added to whatever mapping exists.
    pub exclusive: bool,
}

/// One Dashboards saved object (a line of the NDJSON assets).
#[derive(Debug, Clone, PartialEq)]
pub struct SavedObject {
    /// `index-pattern`, `visualization`, `dashboard`, `search`.
    pub kind: String,
    /// Its stable id.
    pub id: String,
    /// The whole object as it is sent.
    pub body: Value,
}

/// Everything `apply` makes true, in the order it is applied.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `(name, body)` for `PUT _component_template/{name}`.
    pub component_templates: Vec<(String, Value)>,
    /// `(name, body)` for `PUT _index_template/{name}`.
    pub index_templates: Vec<(String, Value)>,
    /// `(id, body)` for `PUT _plugins/_ism/policies/{id}`.
    pub ism_policies: Vec<(String, Value)>,
    /// `(name, body)` for `PUT _plugins/_security/api/roles/{name}`.
    pub roles: Vec<(String, Value)>,
    /// Role mappings.
    pub role_mappings: Vec<RoleMapping>,
    /// Internal users, each with the reader backend roles.
    pub users: Vec<(InternalUser, Vec<String>)>,
    /// Set passwords of existing users too.
    pub reset_passwords: bool,
    /// Dashboards saved objects.
    pub saved_objects: Vec<SavedObject>,
}

impl Plan {
    /// The desired state for a configuration (validated first).
    pub fn new(config: &SetupConfig) -> Result<Plan, SetupError> {
        config.validate()?;
        let component_templates = assets::component_templates()
            .iter()
            .map(|a| Ok((a.name.to_owned(), parse(a)?)))
            .collect::<Result<_, SetupError>>()?;
        let index_templates = assets::index_templates()
            .iter()
            .map(|a| {
                let mut body = parse(a)?;
                body["template"]["settings"] = index_settings(config);
                Ok((a.name.to_owned(), body))
            })
            .collect::<Result<_, SetupError>>()?;
        let saved_objects = if config.dashboards {
            saved_objects()?
        } else {
            Vec::new()
        };
        let security = config.security;
        Ok(Plan {
            component_templates,
            index_templates,
            ism_policies: vec![(ISM_POLICY_ID.to_owned(), ism_policy(config.retention_days))],
            roles: if security {
                vec![
                    (WRITER_ROLE.to_owned(), writer_role()),
                    (READER_ROLE.to_owned(), reader_role()),
                ]
            } else {
                Vec::new()
            },
            role_mappings: if security { role_mappings(config) } else { Vec::new() },
            users: if security {
                config
                    .internal_users
                    .iter()
                    .map(|u| (u.clone(), config.reader_backend_roles.clone()))
                    .collect()
            } else {
                Vec::new()
            },
            reset_passwords: config.reset_passwords,
            saved_objects,
        })
    }
}

fn parse(asset: &Asset) -> Result<Value, SetupError> {
    serde_json::from_str(asset.text).map_err(|e| SetupError::Config(format!("asset {}: {e}", asset.name)))
}

/// Settings of every log index. Sorting by time descending makes "latest first" searches, the
/// common case, stop early; the field limit stops a mapping explosion; `ignore_malformed` keeps a
/// document whose value does not fit its field (the value is left unindexed and listed in `_ignored`)
/// instead of rejecting the whole document.
fn index_settings(config: &SetupConfig) -> Value {
    json!({
        "index": {
            "number_of_shards": config.shards,
            "number_of_replicas": config.replicas,
            "refresh_interval": config.refresh_interval,
            "sort.field": "@timestamp",
            "sort.order": "desc",
            "mapping.total_fields.limit": config.total_fields_limit,
            "mapping.ignore_malformed": true,
        }
    })
}

/// Hot until the retention period has passed, then deleted. The `ism_template` attaches it to every
/// `logs-*` index when the index is created.
fn ism_policy(retention_days: u32) -> Value {
    json!({
        "policy": {
            "description": format!("logpipe: keep log indices {retention_days} days, then delete them"),
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        { "state_name": "delete", "conditions": { "min_index_age": format!("{retention_days}d") } }
                    ]
                },
                {
                    "name": "delete",
                    "actions": [ { "delete": {} } ],
                    "transitions": []
                }
            ],
            "ism_template": [ { "index_patterns": [LOG_INDICES], "priority": 100 } ]
        }
    })
}

/// Firehose's role: bulk-index into `logs-*` and create the daily index, nothing else. No read,
/// no delete, no admin. `cluster_monitor` lets Firehose check the domain's health.
fn writer_role() -> Value {
    json!({
        "description": "logpipe: Firehose writes log documents into logs-* (no read, no delete, no admin)",
        "cluster_permissions": ["cluster_monitor", "indices:data/write/bulk"],
        "index_permissions": [{
            "index_patterns": [LOG_INDICES],
            "allowed_actions": [
                "indices:admin/create",
                "indices:admin/mapping/put",
                "indices:data/write/bulk*",
                "indices:data/write/index"
            ]
        }],
        "tenant_permissions": []
    })
}

/// Developers: search and read `logs-*`, read the shared Dashboards objects, nothing more.
fn reader_role() -> Value {
    json!({
        "description": "logpipe: developers search and read logs-* and the shared dashboards (no write, no admin)",
        "cluster_permissions": ["cluster_composite_ops_ro"],
        "index_permissions": [{
            "index_patterns": [LOG_INDICES],
            "allowed_actions": ["read", "indices:admin/mappings/get", "indices:monitor/settings/get"]
        }],
        "tenant_permissions": [{
            "tenant_patterns": ["global_tenant"],
            "allowed_actions": ["kibana_all_read"]
        }]
    })
}

fn role_mappings(config: &SetupConfig) -> Vec<RoleMapping> {
    let reader = |role: &str, exclusive: bool| RoleMapping {
        role: role.to_owned(),
        backend_roles: config.reader_backend_roles.clone(),
        users: config.reader_users.clone(),
        exclusive,
    };
    let mut mappings = vec![
        RoleMapping {
            role: WRITER_ROLE.to_owned(),
            backend_roles: config.writer_backend_roles.clone(),
            users: Vec::new(),
            exclusive: true,
        },
        reader(READER_ROLE, true),
    ];
    mappings.extend(DASHBOARDS_ROLES.iter().map(|role| reader(role, false)));
    mappings
}

fn saved_objects() -> Result<Vec<SavedObject>, SetupError> {
    let mut objects = Vec::new();
    for asset in assets::dashboards() {
        for (n, line) in asset.text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let bad = |what: &str| SetupError::Config(format!("asset {} line {}: {what}", asset.name, n + 1));
            let body: Value = serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
            let kind = body["type"].as_str().ok_or_else(|| bad("no type"))?.to_owned();
            let id = body["id"].as_str().ok_or_else(|| bad("no id"))?.to_owned();
            objects.push(SavedObject { kind, id, body });
        }
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SetupConfig {
        SetupConfig {
            writer_backend_roles: vec!["arn:aws:iam::123456789012:role/logpipe-firehose".into()],
            reader_backend_roles: vec!["logpipe-developers".into()],
            reader_users: vec!["alice".into()],
            ..SetupConfig::default()
        }
    }

    fn actions(role: &Value, key: &str) -> Vec<String> {
        role[key]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["allowed_actions"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    }

    fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    }

    fn role<'p>(plan: &'p Plan, name: &str) -> &'p Value {
        &plan.roles.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// Index actions that change or administer data, and cluster actions beyond reading.
    fn is_write_or_admin(action: &str) -> bool {
        let action = action.to_ascii_lowercase();
        [
            "write",
            "admin",
            "manage",
            "crud",
            "create",
            "delete",
            "index",
            "all",
            "unlimited",
            "*",
            "security",
        ]
        .iter()
        .any(|w| action.contains(w))
            && !matches!(
                action.as_str(),
                "indices:admin/mappings/get" | "cluster_composite_ops_ro"
            )
    }

    #[test]
    fn reader_role_grants_no_write_and_no_admin() {
        let plan = Plan::new(&config()).unwrap();
        let reader = role(&plan, READER_ROLE);
        for action in strings(&reader["cluster_permissions"])
            .iter()
            .chain(&actions(reader, "index_permissions"))
        {
            assert!(!is_write_or_admin(action), "reader may `{action}`");
        }
        assert_eq!(actions(reader, "tenant_permissions"), ["kibana_all_read"]);
        for p in reader["index_permissions"].as_array().unwrap() {
            assert_eq!(strings(&p["index_patterns"]), ["logs-*"]);
        }
        // the checker itself catches write and admin grants
        for bad in [
            "crud",
            "indices:data/write/index",
            "indices_all",
            "cluster_all",
            "indices:admin/delete",
            "*",
        ] {
            assert!(is_write_or_admin(bad), "{bad}");
        }
    }

    #[test]
    fn writer_role_only_writes_into_log_indices() {
        let plan = Plan::new(&config()).unwrap();
        let writer = role(&plan, WRITER_ROLE);
        let allowed_index = [
            "indices:admin/create",
            "indices:admin/mapping/put",
            "indices:data/write/bulk*",
            "indices:data/write/index",
        ];
        for p in writer["index_permissions"].as_array().unwrap() {
            assert_eq!(strings(&p["index_patterns"]), ["logs-*"]);
            for action in strings(&p["allowed_actions"]) {
                assert!(allowed_index.contains(&action.as_str()), "writer may `{action}`");
                assert!(!action.contains("read") && !action.contains("delete"));
            }
        }
        for action in strings(&writer["cluster_permissions"]) {
            assert!(
                ["cluster_monitor", "indices:data/write/bulk"].contains(&action.as_str()),
                "writer may `{action}`"
            );
        }
        assert!(strings(&writer["tenant_permissions"]).is_empty());
    }

    #[test]
    fn every_mapping_names_a_concrete_principal() {
        let plan = Plan::new(&config()).unwrap();
        assert_eq!(plan.role_mappings.len(), 4);
        for m in &plan.role_mappings {
            assert!(
                !m.backend_roles.is_empty() || !m.users.is_empty(),
                "{} maps nobody",
                m.role
            );
            for p in m.backend_roles.iter().chain(&m.users) {
                assert!(!p.is_empty() && !p.contains('*'), "{}: `{p}`", m.role);
            }
        }
        let writer = plan.role_mappings.iter().find(|m| m.role == WRITER_ROLE).unwrap();
        assert_eq!(
            writer.backend_roles,
            ["arn:aws:iam::123456789012:role/logpipe-firehose"]
        );
        assert!(writer.users.is_empty() && writer.exclusive);
        // the master user is never mapped to anything logpipe runs with
        assert!(plan.role_mappings.iter().all(|m| m.role != "all_access"));
    }

    #[test]
    fn templates_carry_the_settings_and_the_policy_the_retention() {
        let plan = Plan::new(&SetupConfig {
            retention_days: 7,
            shards: 3,
            ..config()
        })
        .unwrap();
        assert_eq!(plan.index_templates.len(), assets::index_templates().len());
        for (name, body) in &plan.index_templates {
            let settings = &body["template"]["settings"]["index"];
            assert_eq!(settings["number_of_shards"], 3, "{name}");
            assert_eq!(settings["sort.field"], "@timestamp", "{name}");
            assert_eq!(body["composed_of"], json!(["logpipe-common"]), "{name}");
        }
        let policy = &plan.ism_policies[0].1["policy"];
        assert_eq!(
            policy["states"][0]["transitions"][0]["conditions"]["min_index_age"],
            "7d"
        );
        assert_eq!(policy["ism_template"][0]["index_patterns"], json!(["logs-*"]));
        assert!(plan.saved_objects.iter().any(|o| o.kind == "dashboard"));
        assert!(Plan::new(&SetupConfig {
            dashboards: false,
            ..config()
        })
        .unwrap()
        .saved_objects
        .is_empty());
    }
}
