//! The OpenSearch Dashboards saved objects in `shared/opensearch/dashboards/` hold together: every
//! line is a saved object, ids are unique, every reference and `*RefName` resolves, the JSON-in-a-string
//! attributes parse, panels fit the 48-column grid without overlapping, and every field a
//! visualization aggregates on (or a saved search shows or sorts by) is mapped, with an aggregatable
//! type, by the index templates in `shared/opensearch/` that its index pattern covers.
//!
//! The checks collect problems instead of stopping at the first one; the `fabricated_*` tests feed
//! them broken objects to show that each check can fail.

use logpipe_e2e::root;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Field types OpenSearch aggregates and sorts on (doc values). `text` and `flat_object` are not.
const AGGREGATABLE: &[&str] = &["keyword", "ip", "long", "integer", "double", "date", "boolean"];
/// The numeric types the templates use.
const NUMERIC: &[&str] = &["long", "integer", "double"];

/// The `migrationVersion` OpenSearch Dashboards 2.x writes for each saved-object type. An object
/// carrying it is stored as is; an older or missing one would be run through the migrations.
const MIGRATION_VERSIONS: &[(&str, &str)] = &[
    ("index-pattern", "7.6.0"),
    ("visualization", "7.10.0"),
    ("dashboard", "7.9.3"),
    ("search", "7.9.3"),
];

/// Attributes that hold JSON text.
const JSON_STRING_ATTRIBUTES: &[&str] = &[
    "visState",
    "uiStateJSON",
    "optionsJSON",
    "panelsJSON",
    "fields",
    "fieldFormatMap",
];

/// Dashboards' grid is 48 columns wide.
const GRID_COLUMNS: i64 = 48;

// ---------------------------------------------------------------------------------------------
// Index templates

/// One index template with the component templates it is composed of, flattened to
/// `dotted.path -> type` (multi-fields included as `field.sub`).
struct Template {
    name: String,
    index_patterns: Vec<String>,
    fields: BTreeMap<String, String>,
}

fn flatten_properties(properties: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    let Some(properties) = properties.as_object() else {
        return;
    };
    for (name, def) in properties {
        let path = format!("{prefix}{name}");
        if let Some(ty) = def.get("type").and_then(Value::as_str) {
            out.insert(path.clone(), ty.to_owned());
        }
        if let Some(sub) = def.get("properties") {
            flatten_properties(sub, &format!("{path}."), out);
        }
        if let Some(multi) = def.get("fields").and_then(Value::as_object) {
            for (sub, sub_def) in multi {
                if let Some(ty) = sub_def.get("type").and_then(Value::as_str) {
                    out.insert(format!("{path}.{sub}"), ty.to_owned());
                }
            }
        }
    }
}

fn mapping_properties(body: &Value) -> &Value {
    &body["template"]["mappings"]["properties"]
}

/// Builds an index template from its body (`PUT _index_template/...`) and the component template
/// bodies by name.
fn build_template(name: &str, body: &Value, components: &BTreeMap<String, Value>) -> Result<Template, String> {
    let index_patterns: Vec<String> = body["index_patterns"]
        .as_array()
        .ok_or(format!("{name}: no index_patterns"))?
        .iter()
        .map(|p| {
            p.as_str()
                .map(str::to_owned)
                .ok_or(format!("{name}: index pattern is not a string"))
        })
        .collect::<Result<_, _>>()?;
    let mut fields = BTreeMap::new();
    for component in body["composed_of"].as_array().into_iter().flatten() {
        let component = component.as_str().unwrap_or_default();
        let component_body = components.get(component).ok_or(format!(
            "{name}: composed_of names `{component}`, which is not a component template"
        ))?;
        flatten_properties(mapping_properties(component_body), "", &mut fields);
    }
    // The index template's own mappings win over its components', as in OpenSearch.
    flatten_properties(mapping_properties(body), "", &mut fields);
    Ok(Template {
        name: name.to_owned(),
        index_patterns,
        fields,
    })
}

fn read_json_dir(dir: &Path) -> BTreeMap<String, Value> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the index templates come from the templates branch; merge it first)",
            dir.display()
        )
    });
    let mut out = BTreeMap::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.insert(stem, body);
        }
    }
    out
}

fn repository_templates() -> Vec<Template> {
    let base = root().join("shared/opensearch");
    let components = read_json_dir(&base.join("component-templates"));
    let templates: Vec<Template> = read_json_dir(&base.join("index-templates"))
        .iter()
        .map(|(name, body)| build_template(name, body, &components).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert!(
        !templates.is_empty(),
        "no index templates in shared/opensearch/index-templates"
    );
    templates
}

/// `*` matches any run of characters (index names have no other wildcard).
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob_matches(rest, &tail[i..]))
        }
    }
}

/// The templates whose indices an index pattern reads: those with an index pattern whose daily
/// index (`logs-alb-2026-11-22`, as Firehose names them) the index pattern matches.
fn covering<'t>(pattern: &str, templates: &'t [Template]) -> Vec<&'t Template> {
    templates
        .iter()
        .filter(|t| {
            t.index_patterns
                .iter()
                .any(|p| glob_matches(pattern, &p.replace('*', "2026-11-22")))
        })
        .collect()
}

/// The type a field has in every index an index pattern reads, or why there is none.
fn field_type(pattern: &str, field: &str, templates: &[Template]) -> Result<String, String> {
    let covered = covering(pattern, templates);
    if covered.is_empty() {
        return Err(format!("index pattern `{pattern}` covers no index template"));
    }
    let types: BTreeMap<&str, Vec<&str>> = covered.iter().fold(BTreeMap::new(), |mut acc, t| {
        if let Some(ty) = t.fields.get(field) {
            acc.entry(ty.as_str()).or_insert_with(Vec::new).push(t.name.as_str());
        }
        acc
    });
    match types.len() {
        0 => Err(format!(
            "field `{field}` is not mapped in any template `{pattern}` covers"
        )),
        1 => Ok(types.into_keys().next().unwrap_or_default().to_owned()),
        _ => Err(format!(
            "field `{field}` has conflicting types under `{pattern}`: {types:?}"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Saved objects

/// One saved object and where it came from (`alb.ndjson:3`).
struct Loaded {
    origin: String,
    value: Value,
}

fn parse_ndjson(file: &str, text: &str, problems: &mut Vec<String>) -> Vec<Loaded> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let origin = format!("{file}:{}", n + 1);
        match serde_json::from_str::<Value>(line) {
            Ok(value) if value.is_object() => out.push(Loaded { origin, value }),
            Ok(_) => problems.push(format!("{origin}: not a JSON object")),
            Err(e) => problems.push(format!("{origin}: not JSON: {e}")),
        }
    }
    out
}

fn repository_objects(problems: &mut Vec<String>) -> Vec<Loaded> {
    let dir = root().join("shared/opensearch/dashboards");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        out.extend(parse_ndjson(&name, &text, problems));
    }
    out
}

/// A JSON-in-a-string attribute, parsed.
fn json_string(value: &Value) -> Result<Value, String> {
    let text = value.as_str().ok_or("is not a string")?;
    serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))
}

/// Every `"...RefName": "name"` in a JSON value.
fn ref_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(name) if key.ends_with("RefName") => out.push(name.clone()),
                    _ => ref_names(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| ref_names(v, out)),
        _ => {}
    }
}

/// Field names in a KQL or Lucene query: a name directly followed by `:` or a comparison operator.
fn query_fields(query: &str) -> Vec<String> {
    let chars: Vec<char> = query.chars().collect();
    let is_name_start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == '@';
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.');
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            // skip a quoted value, escapes included
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if is_name_start(c) && (i == 0 || !is_name(chars[i - 1])) {
            let start = i;
            while i < chars.len() && is_name(chars[i]) {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            if j < chars.len() && matches!(chars[j], ':' | '<' | '>') {
                fields.push(name);
            }
        } else {
            i += 1;
        }
    }
    fields
}

/// What a checked object reads: its parsed search source and the index pattern it resolves to.
struct Source {
    search_source: Option<Value>,
    pattern: Option<String>,
}

/// All checks over a set of saved objects; returns one line per problem.
fn check(objects: &[Loaded], templates: &[Template]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut by_id: HashMap<&str, &Loaded> = HashMap::new();
    for o in objects {
        let Some(id) = o.value["id"].as_str() else {
            problems.push(format!("{}: no string `id`", o.origin));
            continue;
        };
        if let Some(first) = by_id.insert(id, o) {
            problems.push(format!("{}: duplicate id `{id}` (also {})", o.origin, first.origin));
        }
    }
    for o in objects {
        check_object(o, &by_id, templates, &mut problems);
    }
    problems
}

fn check_object(o: &Loaded, by_id: &HashMap<&str, &Loaded>, templates: &[Template], problems: &mut Vec<String>) {
    let v = &o.value;
    let id = v["id"].as_str().unwrap_or_default();
    let at = format!("{} `{id}`", o.origin);
    let mut problem = |p: String| problems.push(format!("{at}: {p}"));
    if !id.starts_with("logpipe-") {
        problem("id does not start with `logpipe-`".into());
    }
    let ty = v["type"].as_str().unwrap_or_default();
    match MIGRATION_VERSIONS.iter().find(|(t, _)| *t == ty) {
        None => problem(format!("unknown type `{ty}`")),
        Some((_, version)) if v["migrationVersion"] != json!({ ty: version }) => problem(format!(
            "migrationVersion is {}, Dashboards 2.x writes {{\"{ty}\":\"{version}\"}}",
            v["migrationVersion"]
        )),
        Some(_) => {}
    }
    let Some(attributes) = v["attributes"].as_object() else {
        problem("no `attributes` object".into());
        return;
    };
    if attributes
        .get("title")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        problem("no title".into());
    }

    // references: well-formed, unique names, resolving to an object of the named type
    let references = v["references"].as_array().cloned().unwrap_or_else(|| {
        problem("no `references` array".into());
        Vec::new()
    });
    let mut reference_names = BTreeMap::new();
    for r in &references {
        let (Some(name), Some(ref_type), Some(ref_id)) = (r["name"].as_str(), r["type"].as_str(), r["id"].as_str())
        else {
            problem(format!("reference {r} lacks a string name, type or id"));
            continue;
        };
        if reference_names
            .insert(name.to_owned(), (ref_type.to_owned(), ref_id.to_owned()))
            .is_some()
        {
            problem(format!("reference name `{name}` is used twice"));
        }
        match by_id.get(ref_id) {
            None => problem(format!("reference `{name}` to {ref_type} `{ref_id}` does not resolve")),
            Some(target) if target.value["type"] != ref_type => problem(format!(
                "reference `{name}` says {ref_type} `{ref_id}`, which is of type `{}`",
                target.value["type"].as_str().unwrap_or("?")
            )),
            Some(_) => {}
        }
    }

    // JSON strings, and every *RefName in them or in the attributes
    let mut parsed = BTreeMap::new();
    for key in JSON_STRING_ATTRIBUTES {
        if let Some(raw) = attributes.get(*key) {
            match json_string(raw) {
                Ok(value) => {
                    parsed.insert(*key, value);
                }
                Err(e) => problem(format!("`{key}` {e}")),
            }
        }
    }
    let search_source = match attributes.get("kibanaSavedObjectMeta").map(|m| &m["searchSourceJSON"]) {
        Some(raw) => match json_string(raw) {
            Ok(value) => Some(value),
            Err(e) => {
                problem(format!("`kibanaSavedObjectMeta.searchSourceJSON` {e}"));
                None
            }
        },
        None => None,
    };
    let mut used = Vec::new();
    ref_names(&Value::Object(attributes.clone()), &mut used);
    parsed
        .values()
        .chain(&search_source)
        .for_each(|p| ref_names(p, &mut used));
    for name in &used {
        if !reference_names.contains_key(name) {
            problem(format!("`{name}` is used as a *RefName but no reference has that name"));
        }
    }
    for name in reference_names.keys() {
        if !used.contains(name) {
            problem(format!("reference `{name}` is not used by any *RefName"));
        }
    }
    if search_source.as_ref().is_some_and(|s| s.get("index").is_some()) {
        problem("searchSourceJSON names its index inline; use indexRefName and a reference".into());
    }

    let pattern = resolve_pattern(search_source.as_ref(), attributes, &reference_names, by_id);
    let source = Source { search_source, pattern };
    let mut out = Vec::new();
    match ty {
        "index-pattern" => check_index_pattern(attributes, &parsed, templates, &mut out),
        "visualization" => check_visualization(attributes, &parsed, &source, templates, &mut out),
        "search" => check_search(attributes, &source, templates, &mut out),
        "dashboard" => check_dashboard(&parsed, &reference_names, &mut out),
        _ => {}
    }
    out.into_iter().for_each(&mut problem);
}

/// The title of the index pattern an object reads: through its search source's `indexRefName`, or
/// through the saved search its `savedSearchRefName` names.
fn resolve_pattern(
    search_source: Option<&Value>,
    attributes: &serde_json::Map<String, Value>,
    reference_names: &BTreeMap<String, (String, String)>,
    by_id: &HashMap<&str, &Loaded>,
) -> Option<String> {
    let target = |ref_name: &str| reference_names.get(ref_name).and_then(|(_, id)| by_id.get(id.as_str()));
    if let Some(ref_name) = search_source.and_then(|s| s["indexRefName"].as_str()) {
        let pattern = target(ref_name)?;
        return pattern.value["attributes"]["title"].as_str().map(str::to_owned);
    }
    let search = target(attributes.get("savedSearchRefName")?.as_str()?)?;
    let search_source = json_string(&search.value["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]).ok()?;
    let ref_name = search_source["indexRefName"].as_str()?;
    let id = search.value["references"]
        .as_array()?
        .iter()
        .find(|r| r["name"] == ref_name)?["id"]
        .as_str()?;
    by_id.get(id)?.value["attributes"]["title"].as_str().map(str::to_owned)
}

/// How an object uses a field, which decides the types it may have.
#[derive(Clone, Copy)]
enum Use {
    /// Searched or shown: any mapped type.
    Read,
    /// Aggregated or sorted on: an aggregatable type.
    Aggregate,
    /// An aggregation that computes on numbers (sum, percentiles, histogram, range, ...).
    Numeric(&'static str),
    /// An aggregation on dates (date_histogram, date_range).
    Date(&'static str),
}

fn agg_use(agg_type: &str) -> Use {
    match agg_type {
        "sum" => Use::Numeric("sum"),
        "avg" => Use::Numeric("avg"),
        "median" => Use::Numeric("median"),
        "percentiles" => Use::Numeric("percentiles"),
        "percentile_ranks" => Use::Numeric("percentile_ranks"),
        "std_dev" => Use::Numeric("std_dev"),
        "histogram" => Use::Numeric("histogram"),
        "range" => Use::Numeric("range"),
        "date_histogram" => Use::Date("date_histogram"),
        "date_range" => Use::Date("date_range"),
        _ => Use::Aggregate,
    }
}

fn require_field(pattern: &str, field: &str, how: Use, templates: &[Template], out: &mut Vec<String>) {
    let ty = match field_type(pattern, field, templates) {
        Ok(ty) => ty,
        Err(e) => return out.push(e),
    };
    let at = format!("field `{field}` is `{ty}` under `{pattern}`");
    match how {
        Use::Read => {}
        Use::Aggregate if !AGGREGATABLE.contains(&ty.as_str()) => {
            out.push(format!("{at}, which cannot be aggregated or sorted on"))
        }
        Use::Numeric(agg) if !NUMERIC.contains(&ty.as_str()) => out.push(format!("{at}; `{agg}` needs a number")),
        Use::Date(agg) if ty != "date" => out.push(format!("{at}; `{agg}` needs a date")),
        _ => {}
    }
}

fn check_query(search_source: Option<&Value>, pattern: &str, templates: &[Template], out: &mut Vec<String>) {
    if let Some(query) = search_source.and_then(|s| s["query"]["query"].as_str()) {
        for field in query_fields(query) {
            require_field(pattern, &field, Use::Read, templates, out);
        }
    }
}

fn check_index_pattern(
    attributes: &serde_json::Map<String, Value>,
    parsed: &BTreeMap<&str, Value>,
    templates: &[Template],
    out: &mut Vec<String>,
) {
    let title = attributes.get("title").and_then(Value::as_str).unwrap_or_default();
    match attributes.get("timeFieldName").and_then(Value::as_str) {
        None => out.push("no timeFieldName".into()),
        Some(time) => match field_type(title, time, templates) {
            Ok(ty) if ty == "date" => {}
            Ok(ty) => out.push(format!("time field `{time}` is `{ty}`, not `date`")),
            Err(e) => out.push(e),
        },
    }
    for field in parsed
        .get("fieldFormatMap")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
    {
        require_field(title, field, Use::Read, templates, out);
    }
}

fn check_visualization(
    attributes: &serde_json::Map<String, Value>,
    parsed: &BTreeMap<&str, Value>,
    source: &Source,
    templates: &[Template],
    out: &mut Vec<String>,
) {
    let Some(vis_state) = parsed.get("visState") else {
        out.push("no visState".into());
        return;
    };
    if vis_state["title"] != attributes["title"] {
        out.push(format!("visState title {} differs from the title", vis_state["title"]));
    }
    let Some(pattern) = &source.pattern else {
        out.push("reads no index pattern (no indexRefName or savedSearchRefName that resolves)".into());
        return;
    };
    check_query(source.search_source.as_ref(), pattern, templates, out);
    let aggs = vis_state["aggs"].as_array().cloned().unwrap_or_default();
    if aggs.is_empty() {
        out.push("visState has no aggs".into());
    }
    for agg in aggs.iter().filter(|a| a["enabled"] != false) {
        let params = &agg["params"];
        if let Some(field) = params["field"].as_str() {
            require_field(
                pattern,
                field,
                agg_use(agg["type"].as_str().unwrap_or_default()),
                templates,
                out,
            );
        }
        for filter in params["filters"].as_array().into_iter().flatten() {
            for field in query_fields(filter["input"]["query"].as_str().unwrap_or_default()) {
                require_field(pattern, &field, Use::Read, templates, out);
            }
        }
    }
    check_metric_ids(&aggs, &vis_state["params"], out);
}

/// What refers to a metric by its agg id does so to an enabled metric of the same visualization:
/// a `terms` agg's `orderBy` (else `_key` or `custom`), and in charts each `seriesParams` entry, which
/// must also name a value axis the chart has. Each metric of a chart has its `seriesParams` entry.
fn check_metric_ids(aggs: &[Value], params: &Value, out: &mut Vec<String>) {
    let metrics: BTreeSet<&str> = aggs
        .iter()
        .filter(|a| a["enabled"] != false && a["schema"] == "metric")
        .filter_map(|a| a["id"].as_str())
        .collect();
    for agg in aggs.iter().filter(|a| a["enabled"] != false && a["type"] == "terms") {
        match agg["params"]["orderBy"].as_str() {
            Some("_key" | "custom") => {}
            Some(id) if metrics.contains(id) => {}
            other => out.push(format!(
                "terms agg `{}` orders by {other:?}, which is not a metric agg of this visualization",
                agg["id"].as_str().unwrap_or("?")
            )),
        }
    }
    let Some(series) = params["seriesParams"].as_array() else {
        return;
    };
    let axes: BTreeSet<&str> = params["valueAxes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str())
        .collect();
    let mut charted = BTreeSet::new();
    for s in series {
        let id = s["data"]["id"].as_str().unwrap_or_default();
        if !metrics.contains(id) {
            out.push(format!("seriesParams entry for agg `{id}`, which is not a metric agg"));
        }
        charted.insert(id);
        let axis = s["valueAxis"].as_str().unwrap_or_default();
        if !axes.contains(axis) {
            out.push(format!(
                "seriesParams of agg `{id}` uses value axis `{axis}`, which is not in valueAxes"
            ));
        }
    }
    for id in metrics.difference(&charted) {
        out.push(format!("metric agg `{id}` has no seriesParams entry"));
    }
}

fn check_search(
    attributes: &serde_json::Map<String, Value>,
    source: &Source,
    templates: &[Template],
    out: &mut Vec<String>,
) {
    let Some(pattern) = &source.pattern else {
        out.push("reads no index pattern (no indexRefName that resolves)".into());
        return;
    };
    check_query(source.search_source.as_ref(), pattern, templates, out);
    for column in attributes
        .get("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match column.as_str() {
            Some("_source") => {}
            Some(field) => require_field(pattern, field, Use::Read, templates, out),
            None => out.push(format!("column {column} is not a string")),
        }
    }
    for sort in attributes.get("sort").and_then(Value::as_array).into_iter().flatten() {
        match sort[0].as_str() {
            Some(field) => require_field(pattern, field, Use::Aggregate, templates, out),
            None => out.push(format!("sort {sort} is not [field, direction]")),
        }
    }
}

/// Saved-object types a dashboard panel can show.
const PANEL_TYPES: &[&str] = &["visualization", "search"];

fn check_dashboard(
    parsed: &BTreeMap<&str, Value>,
    reference_names: &BTreeMap<String, (String, String)>,
    out: &mut Vec<String>,
) {
    let Some(panels) = parsed.get("panelsJSON").and_then(Value::as_array) else {
        out.push("panelsJSON is not an array".into());
        return;
    };
    let mut boxes: Vec<(String, [i64; 4])> = Vec::new();
    for panel in panels {
        let index = panel["panelIndex"].as_str().unwrap_or_default().to_owned();
        let grid = &panel["gridData"];
        let (Some(x), Some(y), Some(w), Some(h)) = (
            grid["x"].as_i64(),
            grid["y"].as_i64(),
            grid["w"].as_i64(),
            grid["h"].as_i64(),
        ) else {
            out.push(format!("panel `{index}`: gridData lacks integer x, y, w, h"));
            continue;
        };
        if grid["i"] != panel["panelIndex"] {
            out.push(format!("panel `{index}`: gridData.i differs from panelIndex"));
        }
        match panel["panelRefName"]
            .as_str()
            .and_then(|name| reference_names.get(name))
        {
            None => out.push(format!("panel `{index}`: no panelRefName that names a reference")),
            Some((ty, id)) if !PANEL_TYPES.contains(&ty.as_str()) => out.push(format!(
                "panel `{index}` shows {ty} `{id}`, which is not a visualization or search"
            )),
            Some(_) => {}
        }
        if x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > GRID_COLUMNS {
            out.push(format!(
                "panel `{index}`: x {x} w {w} y {y} h {h} is not within the 48-column grid"
            ));
        }
        for &(ref other, [ox, oy, ow, oh]) in &boxes {
            if other == &index {
                out.push(format!("panelIndex `{index}` is used twice"));
            }
            if x < ox + ow && ox < x + w && y < oy + oh && oy < y + h {
                out.push(format!("panels `{other}` and `{index}` overlap"));
            }
        }
        boxes.push((index, [x, y, w, h]));
    }
}

// ---------------------------------------------------------------------------------------------
// The repository's objects

fn repository_check() -> (Vec<Loaded>, Vec<String>) {
    let mut problems = Vec::new();
    let objects = repository_objects(&mut problems);
    problems.extend(check(&objects, &repository_templates()));
    (objects, problems)
}

fn find<'o>(objects: &'o [Loaded], id: &str) -> &'o Value {
    &objects
        .iter()
        .find(|o| o.value["id"] == id)
        .unwrap_or_else(|| panic!("no saved object `{id}`"))
        .value
}

/// `(agg type, field or filter query)` of every enabled agg of a visualization (none for a saved
/// search): `("terms", "client_ip")`, `("filters", "status_code >= 500")`, `("count", "")`.
fn aggs_of(object: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if object["type"] != "visualization" {
        return out;
    }
    let state = json_string(&object["attributes"]["visState"]).unwrap();
    for agg in state["aggs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["enabled"] != false)
    {
        let ty = agg["type"].as_str().unwrap().to_owned();
        match agg["params"]["field"].as_str() {
            Some(field) => {
                out.insert((ty, field.to_owned()));
            }
            None if ty == "filters" => {
                for f in agg["params"]["filters"].as_array().unwrap() {
                    out.insert((ty.clone(), f["input"]["query"].as_str().unwrap().to_owned()));
                }
            }
            None => {
                out.insert((ty, String::new()));
            }
        }
    }
    out
}

/// One panel of a dashboard: the saved object it shows, that object's query, its aggs (`aggs_of`)
/// and the title of the index pattern it reads.
struct Panel<'o> {
    object: &'o Value,
    query: String,
    aggs: BTreeSet<(String, String)>,
    pattern: String,
}

impl Panel<'_> {
    fn has(&self, ty: &str, field: &str) -> bool {
        self.aggs.contains(&(ty.to_owned(), field.to_owned()))
    }
}

fn panels<'o>(objects: &'o [Loaded], dashboard: &str) -> Vec<Panel<'o>> {
    let dashboard = find(objects, dashboard);
    let panels_json = json_string(&dashboard["attributes"]["panelsJSON"]).unwrap();
    let references = dashboard["references"].as_array().unwrap();
    panels_json
        .as_array()
        .unwrap()
        .iter()
        .map(|panel| {
            let reference = references
                .iter()
                .find(|r| r["name"] == panel["panelRefName"])
                .unwrap_or_else(|| panic!("panel {panel} names no reference"));
            let object = find(objects, reference["id"].as_str().unwrap());
            let source = json_string(&object["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]).unwrap();
            let index = object["references"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == INDEX_REF)
                .unwrap_or_else(|| panic!("{} reads no index pattern", object["id"]));
            let pattern = find(objects, index["id"].as_str().unwrap())["attributes"]["title"]
                .as_str()
                .unwrap()
                .to_owned();
            Panel {
                object,
                query: source["query"]["query"].as_str().unwrap_or_default().to_owned(),
                aggs: aggs_of(object),
                pattern,
            }
        })
        .collect()
}

/// `aggs_of` over all of a dashboard's panels.
fn dashboard_aggs(objects: &[Loaded], dashboard: &str) -> BTreeSet<(String, String)> {
    panels(objects, dashboard).into_iter().flat_map(|p| p.aggs).collect()
}

/// A dashboard added for a new log type: its title, 4 to 7 panels, all reading `pattern`, opening on
/// the last 24 hours, and the parse-error panel every overview has. Returns its panels.
fn overview<'o>(objects: &'o [Loaded], id: &str, title: &str, pattern: &str) -> Vec<Panel<'o>> {
    let dashboard = find(objects, id);
    assert_eq!(dashboard["type"], "dashboard", "{id}");
    let attributes = &dashboard["attributes"];
    assert_eq!(attributes["title"], title, "{id}");
    assert_eq!(
        (
            &attributes["timeRestore"],
            &attributes["timeFrom"],
            &attributes["timeTo"]
        ),
        (&json!(true), &json!("now-24h"), &json!("now")),
        "{id}"
    );
    let panels = panels(objects, id);
    assert!((4..=7).contains(&panels.len()), "{id}: {} panels", panels.len());
    for p in &panels {
        assert_eq!(
            p.pattern, pattern,
            "{id}: panel {} reads another index pattern",
            p.object["id"]
        );
    }
    assert!(
        panels
            .iter()
            .any(|p| p.query == "error.kind:*" && p.has("terms", "error.kind")),
        "{id}: no parse-error panel"
    );
    panels
}

/// The first panel that `pick` accepts, or a failure naming what was looked for.
fn panel_where<'p, 'o>(panels: &'p [Panel<'o>], what: &str, pick: impl Fn(&Panel) -> bool) -> &'p Panel<'o> {
    panels.iter().find(|p| pick(p)).unwrap_or_else(|| {
        let seen: Vec<_> = panels.iter().map(|p| (&p.object["id"], &p.query, &p.aggs)).collect();
        panic!("no panel {what}: {seen:#?}")
    })
}

/// The `(id, title)` of the index pattern for each log type, `logpipe-logs-<type>` for `logs-<type>-*`.
const INDEX_PATTERNS: &[(&str, &str)] = &[
    ("logpipe-logs-all", "logs-*"),
    ("logpipe-logs-alb", "logs-alb-*"),
    ("logpipe-logs-alb_connection", "logs-alb_connection-*"),
    ("logpipe-logs-apigateway", "logs-apigateway-*"),
    ("logpipe-logs-clb", "logs-clb-*"),
    ("logpipe-logs-cloudfront", "logs-cloudfront-*"),
    ("logpipe-logs-cloudfront_realtime", "logs-cloudfront_realtime-*"),
    ("logpipe-logs-cloudtrail", "logs-cloudtrail-*"),
    ("logpipe-logs-cloudwatch", "logs-cloudwatch-*"),
    ("logpipe-logs-nlb", "logs-nlb-*"),
    ("logpipe-logs-s3_access", "logs-s3_access-*"),
    ("logpipe-logs-vpcflow", "logs-vpcflow-*"),
    ("logpipe-logs-waf", "logs-waf-*"),
];

/// Index templates without an index pattern of their own: on AWS, `application` documents are
/// delivered into logs-cloudwatch-*, and logs-unknown-* holds only error documents, which the
/// saved search `logpipe-parse-errors` shows through logs-*.
const NO_INDEX_PATTERN: &[&str] = &["logs-application-*", "logs-unknown-*"];

#[test]
fn saved_objects_hold_together_and_match_the_index_templates() {
    let (objects, problems) = repository_check();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    let count = |ty: &str| objects.iter().filter(|o| o.value["type"] == ty).count();
    assert_eq!(count("index-pattern"), INDEX_PATTERNS.len());
    assert_eq!(
        count("dashboard"),
        9,
        "ALB, CloudFront, VPC flow, WAF, CloudTrail, API Gateway, NLB, CLB, S3"
    );
    assert_eq!(count("search"), 2, "parse errors, console logins");
}

#[test]
fn index_patterns_cover_each_log_type_and_all_logs() {
    let text = std::fs::read_to_string(root().join("shared/opensearch/dashboards/index-patterns.ndjson")).unwrap();
    let mut problems = Vec::new();
    let patterns = parse_ndjson("index-patterns.ndjson", &text, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let found: BTreeSet<(&str, &str)> = patterns
        .iter()
        .map(|o| {
            assert_eq!(o.value["type"], "index-pattern", "{}", o.origin);
            assert_eq!(o.value["attributes"]["timeFieldName"], "@timestamp", "{}", o.origin);
            (
                o.value["id"].as_str().unwrap(),
                o.value["attributes"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, INDEX_PATTERNS.iter().copied().collect());
    // and, data-driven, every index template's indices have one (a new log type needs one too)
    let titles: BTreeSet<&str> = found.iter().map(|(_, title)| *title).collect();
    for template in repository_templates() {
        for pattern in &template.index_patterns {
            assert!(
                titles.contains(pattern.as_str()) || NO_INDEX_PATTERN.contains(&pattern.as_str()),
                "index template {} (`{pattern}`) has no index pattern in index-patterns.ndjson",
                template.name
            );
        }
    }
}

#[test]
fn every_dashboards_file_is_embedded_index_patterns_first() {
    let dir = root().join("shared/opensearch/dashboards");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".ndjson"))
        .collect();
    on_disk.sort();
    let embedded = logpipe::opensearch::dashboards();
    let mut names: Vec<String> = embedded.iter().map(|a| a.name.to_owned()).collect();
    assert_eq!(names.first().map(String::as_str), Some("index-patterns.ndjson"));
    names.sort();
    assert_eq!(names, on_disk, "logpipe::opensearch::dashboards() must list every file");
    for asset in embedded {
        let text = std::fs::read_to_string(dir.join(asset.name)).unwrap();
        assert_eq!(asset.text, text, "{} is embedded from another file", asset.name);
    }
}

#[test]
fn alb_dashboard_shows_traffic_latency_and_errors() {
    let (objects, _) = repository_check();
    let dashboard = find(&objects, "logpipe-alb-overview");
    assert_eq!(dashboard["attributes"]["title"], "ALB overview");
    let aggs = dashboard_aggs(&objects, "logpipe-alb-overview");
    let has = |ty: &str, field: &str| aggs.contains(&(ty.to_owned(), field.to_owned()));
    for class in 2..=5 {
        let query = format!("elb_status_code >= {class}00 and elb_status_code < {}00", class + 1);
        assert!(has("filters", &query), "status class {class}xx: {aggs:?}");
    }
    assert!(has("filters", "elb_status_code >= 500"), "{aggs:?}");
    for (ty, field) in [
        ("date_histogram", "@timestamp"),
        ("percentiles", "target_processing_time"),
        ("terms", "request_url"),
        ("terms", "client_ip"),
        ("terms", "error_reason"),
        ("terms", "classification"),
        ("terms", "error.kind"),
    ] {
        assert!(has(ty, field), "{ty} on {field}: {aggs:?}");
    }
    let latency = json_string(&find(&objects, "logpipe-alb-latency")["attributes"]["visState"]).unwrap();
    assert_eq!(latency["aggs"][0]["params"]["percents"], json!([50, 90, 99]));
}

#[test]
fn cloudfront_dashboard_shows_requests_bytes_cache_and_edges() {
    let (objects, _) = repository_check();
    assert_eq!(
        find(&objects, "logpipe-cloudfront-overview")["attributes"]["title"],
        "CloudFront overview"
    );
    let aggs = dashboard_aggs(&objects, "logpipe-cloudfront-overview");
    for (ty, field) in [
        ("date_histogram", "@timestamp"),
        ("count", ""),
        ("sum", "sc_bytes"),
        ("terms", "x_edge_result_type"),
        ("terms", "x_edge_location"),
        ("terms", "cs_uri_stem"),
        ("terms", "sc_status"),
    ] {
        assert!(
            aggs.contains(&(ty.to_owned(), field.to_owned())),
            "{ty} on {field}: {aggs:?}"
        );
    }
}

/// Status classes as the overviews' `filters` aggs write them: `f >= 200 and f < 300`, ... 5xx.
fn has_status_classes(panel: &Panel, field: &str) -> bool {
    (2..=5).all(|class| {
        let query = format!("{field} >= {class}00 and {field} < {}00", class + 1);
        panel.has("filters", &query)
    })
}

#[test]
fn vpcflow_dashboard_shows_flows_talkers_rejections_protocols_and_status() {
    let (objects, _) = repository_check();
    let panels = overview(
        &objects,
        "logpipe-vpcflow-overview",
        "VPC flow logs overview",
        "logs-vpcflow-*",
    );
    fn over_time_by_action(p: &Panel, metric: &str, field: &str) -> bool {
        p.has("date_histogram", "@timestamp") && p.has("terms", "action") && p.has(metric, field)
    }
    panel_where(&panels, "of flows over time by action", |p| {
        over_time_by_action(p, "count", "")
    });
    panel_where(&panels, "of bytes over time by action", |p| {
        over_time_by_action(p, "sum", "bytes")
    });
    let talkers = panel_where(&panels, "of top talkers", |p| {
        p.has("terms", "srcaddr") && p.has("terms", "dstaddr")
    });
    // ranked by bytes: both terms aggs order by the sum of bytes
    let state = json_string(&talkers.object["attributes"]["visState"]).unwrap();
    let aggs = state["aggs"].as_array().unwrap();
    let sum_id = &aggs
        .iter()
        .find(|a| a["type"] == "sum" && a["params"]["field"] == "bytes")
        .unwrap()["id"];
    for a in aggs.iter().filter(|a| a["type"] == "terms") {
        assert_eq!(&a["params"]["orderBy"], sum_id, "{a}");
    }
    panel_where(&panels, "of rejected destination ports", |p| {
        p.query == "action:REJECT" && p.has("terms", "dstport")
    });
    let protocols = panel_where(&panels, "of flows by protocol", |p| p.has("filters", "protocol:6"));
    for q in [
        "protocol:17",
        "protocol:1",
        "protocol:* and not protocol:(1 or 6 or 17 or 58)",
    ] {
        assert!(protocols.has("filters", q), "{q}: {:?}", protocols.aggs);
    }
    panel_where(&panels, "of log_status counts", |p| p.has("terms", "log_status"));
}

#[test]
fn waf_dashboard_shows_actions_rules_clients_countries_and_blocked_uris() {
    let (objects, _) = repository_check();
    let panels = overview(&objects, "logpipe-waf-overview", "AWS WAF overview", "logs-waf-*");
    panel_where(&panels, "of requests over time by action", |p| {
        p.has("date_histogram", "@timestamp") && p.has("terms", "action") && p.has("count", "")
    });
    panel_where(&panels, "of top terminating rules", |p| {
        p.has("terms", "terminating_rule_id")
    });
    panel_where(&panels, "of top client IPs", |p| {
        p.has("terms", "http_request_client_ip")
    });
    panel_where(&panels, "of top countries", |p| p.has("terms", "http_request_country"));
    panel_where(&panels, "of blocked URIs", |p| {
        p.query == "action:BLOCK" && p.has("terms", "http_request_uri")
    });
}

#[test]
fn cloudtrail_dashboard_shows_sources_events_errors_identities_and_console_logins() {
    let (objects, _) = repository_check();
    let panels = overview(
        &objects,
        "logpipe-cloudtrail-overview",
        "CloudTrail overview",
        "logs-cloudtrail-*",
    );
    panel_where(&panels, "of events over time by source", |p| {
        p.has("date_histogram", "@timestamp") && p.has("terms", "event_source")
    });
    panel_where(&panels, "of top event names", |p| {
        p.has("terms", "event_name") && p.query.is_empty()
    });
    panel_where(&panels, "of errors by code", |p| {
        p.query == "error_code:*" && p.has("terms", "error_code")
    });
    panel_where(&panels, "of top identities", |p| p.has("terms", "user_identity_arn"));
    let logins = panel_where(&panels, "listing console logins", |p| {
        p.object["type"] == "search" && p.query == "event_name:ConsoleLogin"
    });
    let attributes = &logins.object["attributes"];
    assert_eq!(attributes["sort"], json!([["@timestamp", "desc"]]));
    let columns = attributes["columns"].as_array().unwrap();
    for column in ["user_identity_arn", "source_ip_address", "error_message"] {
        assert!(columns.contains(&json!(column)), "{column}: {columns:?}");
    }
}

#[test]
fn apigateway_dashboard_shows_status_latency_routes_and_server_errors() {
    let (objects, _) = repository_check();
    let panels = overview(
        &objects,
        "logpipe-apigateway-overview",
        "API Gateway overview",
        "logs-apigateway-*",
    );
    panel_where(&panels, "of requests over time by status class", |p| {
        p.has("date_histogram", "@timestamp") && has_status_classes(p, "status_code")
    });
    let latency = panel_where(&panels, "of latency percentiles", |p| {
        p.has("date_histogram", "@timestamp")
            && p.has("percentiles", "response_latency")
            && p.has("percentiles", "integration_latency")
    });
    let state = json_string(&latency.object["attributes"]["visState"]).unwrap();
    for agg in state["aggs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "percentiles")
    {
        assert_eq!(agg["params"]["percents"], json!([50, 90, 99]), "{agg}");
    }
    panel_where(&panels, "of top resource paths", |p| p.has("terms", "resource_path"));
    panel_where(&panels, "of top route keys", |p| p.has("terms", "route_key"));
    panel_where(&panels, "of 5xx by API and stage", |p| {
        p.query == "status_code >= 500" && p.has("terms", "api_id") && p.has("terms", "stage")
    });
}

#[test]
fn nlb_dashboard_shows_connections_bytes_clients_and_tls_versions() {
    let (objects, _) = repository_check();
    let panels = overview(&objects, "logpipe-nlb-overview", "NLB overview", "logs-nlb-*");
    panel_where(&panels, "of connections over time", |p| {
        p.has("date_histogram", "@timestamp") && p.has("count", "")
    });
    panel_where(&panels, "of bytes over time", |p| {
        p.has("date_histogram", "@timestamp") && p.has("sum", "received_bytes") && p.has("sum", "sent_bytes")
    });
    panel_where(&panels, "of top client IPs", |p| p.has("terms", "client_ip"));
    panel_where(&panels, "of TLS protocol versions", |p| {
        p.has("terms", "tls_protocol_version")
    });
}

#[test]
fn clb_dashboard_shows_status_classes_latency_and_5xx() {
    let (objects, _) = repository_check();
    let panels = overview(&objects, "logpipe-clb-overview", "CLB overview", "logs-clb-*");
    panel_where(&panels, "of requests over time by status class", |p| {
        p.has("date_histogram", "@timestamp") && has_status_classes(p, "elb_status_code")
    });
    panel_where(&panels, "of backend processing time", |p| {
        p.query == "backend_processing_time >= 0" && p.has("percentiles", "backend_processing_time")
    });
    panel_where(&panels, "of 5xx responses", |p| {
        p.has("filters", "elb_status_code >= 500") && p.has("filters", "backend_status_code >= 500")
    });
}

#[test]
fn s3_access_dashboard_shows_operations_statuses_requesters_and_keys() {
    let (objects, _) = repository_check();
    let panels = overview(
        &objects,
        "logpipe-s3-access-overview",
        "S3 access overview",
        "logs-s3_access-*",
    );
    panel_where(&panels, "of requests over time by operation", |p| {
        p.has("date_histogram", "@timestamp") && p.has("terms", "operation")
    });
    panel_where(&panels, "of HTTP status codes", |p| p.has("terms", "http_status"));
    panel_where(&panels, "of top requesters", |p| p.has("terms", "requester"));
    panel_where(&panels, "of top keys", |p| p.has("terms", "key"));
}

#[test]
fn parse_errors_search_lists_error_documents_newest_first() {
    let (objects, _) = repository_check();
    let search = find(&objects, "logpipe-parse-errors");
    assert_eq!(search["type"], "search");
    let attributes = &search["attributes"];
    assert_eq!(attributes["title"], "logpipe parse errors");
    assert_eq!(
        attributes["columns"],
        json!(["error.kind", "error.message", "error.source", "error.line", "message"])
    );
    assert_eq!(attributes["sort"], json!([["@timestamp", "desc"]]));
    let source = json_string(&attributes["kibanaSavedObjectMeta"]["searchSourceJSON"]).unwrap();
    assert_eq!(source["query"], json!({"query": "error.kind:*", "language": "kuery"}));
    let pattern = find(&objects, search["references"][0]["id"].as_str().unwrap());
    assert_eq!(pattern["attributes"]["title"], "logs-*");
}

// ---------------------------------------------------------------------------------------------
// The checks on fabricated objects: a consistent set passes, and each defect is reported.

fn fabricated_templates() -> Vec<Template> {
    let components = BTreeMap::from([(
        "common".to_owned(),
        json!({"template": {"mappings": {"properties": {
            "@timestamp": {"type": "date"},
            "message": {"type": "keyword", "ignore_above": 8191, "fields": {"text": {"type": "text"}}},
            "error": {"properties": {"kind": {"type": "keyword"}, "line": {"type": "long"}}},
        }}}}),
    )]);
    let alb = json!({"index_patterns": ["logs-alb-*"], "composed_of": ["common"],
    "template": {"mappings": {"properties": {
        "elb_status_code": {"type": "integer"},
        "request_url": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    }}}});
    let cf = json!({"index_patterns": ["logs-cloudfront-*"], "composed_of": ["common"],
        "template": {"mappings": {"properties": {"elb_status_code": {"type": "keyword"}}}}});
    vec![
        build_template("logs-alb", &alb, &components).unwrap(),
        build_template("logs-cloudfront", &cf, &components).unwrap(),
    ]
}

const INDEX_REF: &str = "kibanaSavedObjectMeta.searchSourceJSON.index";

fn pattern(id: &str, title: &str) -> Value {
    json!({"type": "index-pattern", "id": id, "migrationVersion": {"index-pattern": "7.6.0"},
        "attributes": {"title": title, "timeFieldName": "@timestamp", "fields": "[]"}, "references": []})
}

fn search_source(query: &str) -> String {
    json!({"query": {"query": query, "language": "kuery"}, "filter": [], "indexRefName": INDEX_REF}).to_string()
}

fn visualization(id: &str, pattern_id: &str, aggs: Value) -> Value {
    let vis_state = json!({"title": id, "type": "table", "aggs": aggs, "params": {}});
    json!({"type": "visualization", "id": id, "migrationVersion": {"visualization": "7.10.0"},
        "attributes": {"title": id, "visState": vis_state.to_string(), "uiStateJSON": "{}",
            "kibanaSavedObjectMeta": {"searchSourceJSON": search_source("")}},
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": pattern_id}]})
}

fn terms(field: &str) -> Value {
    json!([{"id": "1", "enabled": true, "type": "count", "schema": "metric", "params": {}},
        {"id": "2", "enabled": true, "type": "terms", "schema": "bucket", "params": {"field": field, "orderBy": "1", "size": 5}}])
}

fn dashboard(id: &str, panels: &[(&str, [i64; 4])]) -> Value {
    let panels_json: Vec<Value> = panels
        .iter()
        .enumerate()
        .map(|(n, (_, [x, y, w, h]))| {
            json!({"version": "2.11.0", "gridData": {"x": x, "y": y, "w": w, "h": h, "i": n.to_string()},
                "panelIndex": n.to_string(), "embeddableConfig": {}, "panelRefName": format!("panel_{n}")})
        })
        .collect();
    let references: Vec<Value> = panels
        .iter()
        .enumerate()
        .map(|(n, (vis, _))| json!({"name": format!("panel_{n}"), "type": "visualization", "id": vis}))
        .collect();
    json!({"type": "dashboard", "id": id, "migrationVersion": {"dashboard": "7.9.3"},
        "attributes": {"title": id, "panelsJSON": Value::Array(panels_json).to_string(), "optionsJSON": "{}",
            "kibanaSavedObjectMeta": {"searchSourceJSON": "{\"query\":{\"query\":\"\",\"language\":\"kuery\"},\"filter\":[]}"}},
        "references": references})
}

fn saved_search(columns: Value, sort: Value) -> Value {
    json!({"type": "search", "id": "logpipe-s", "migrationVersion": {"search": "7.9.3"},
        "attributes": {"title": "s", "columns": columns, "sort": sort,
            "kibanaSavedObjectMeta": {"searchSourceJSON": search_source("error.kind:*")}},
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": "logpipe-all"}]})
}

/// A consistent set: two patterns, two visualizations, a dashboard, a saved search.
fn fabricated() -> Vec<Value> {
    vec![
        pattern("logpipe-alb", "logs-alb-*"),
        pattern("logpipe-all", "logs-*"),
        visualization("logpipe-urls", "logpipe-alb", terms("request_url")),
        visualization("logpipe-kinds", "logpipe-all", terms("error.kind")),
        dashboard(
            "logpipe-d",
            &[("logpipe-urls", [0, 0, 24, 10]), ("logpipe-kinds", [24, 0, 24, 10])],
        ),
        saved_search(json!(["error.kind", "message"]), json!([["@timestamp", "desc"]])),
    ]
}

fn problems_of(objects: Vec<Value>) -> Vec<String> {
    let loaded: Vec<Loaded> = objects
        .into_iter()
        .enumerate()
        .map(|(n, value)| Loaded {
            origin: format!("fabricated:{}", n + 1),
            value,
        })
        .collect();
    check(&loaded, &fabricated_templates())
}

fn assert_reported(objects: Vec<Value>, expected: &str) {
    let problems = problems_of(objects);
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "expected a problem containing {expected:?}, got {problems:#?}"
    );
}

#[test]
fn fabricated_consistent_set_passes() {
    assert_eq!(problems_of(fabricated()), Vec::<String>::new());
}

#[test]
fn fabricated_aggregation_on_a_text_field_is_reported() {
    let mut objects = fabricated();
    objects[2] = visualization("logpipe-urls", "logpipe-alb", terms("request_url.text"));
    assert_reported(objects, "field `request_url.text` is `text` under `logs-alb-*`");
}

#[test]
fn fabricated_aggregation_on_an_unmapped_field_is_reported() {
    let mut objects = fabricated();
    objects[2] = visualization("logpipe-urls", "logpipe-alb", terms("request_uri"));
    assert_reported(
        objects,
        "field `request_uri` is not mapped in any template `logs-alb-*` covers",
    );
}

#[test]
fn fabricated_field_of_another_log_type_is_reported() {
    // request_url is an ALB field: logs-* finds it (in the ALB template), logs-cloudfront-* does not.
    let mut objects = fabricated();
    objects.push(pattern("logpipe-cf", "logs-cloudfront-*"));
    objects[2] = visualization("logpipe-urls", "logpipe-cf", terms("request_url"));
    assert_reported(
        objects,
        "field `request_url` is not mapped in any template `logs-cloudfront-*` covers",
    );
}

#[test]
fn fabricated_conflicting_types_across_covered_templates_are_reported() {
    let mut objects = fabricated();
    objects[3] = visualization("logpipe-kinds", "logpipe-all", terms("elb_status_code"));
    assert_reported(objects, "field `elb_status_code` has conflicting types under `logs-*`");
}

#[test]
fn fabricated_numeric_aggregation_on_a_keyword_is_reported() {
    let mut objects = fabricated();
    let aggs = json!([{"id": "1", "enabled": true, "type": "sum", "schema": "metric", "params": {"field": "request_url"}},
        {"id": "2", "enabled": true, "type": "date_histogram", "schema": "segment", "params": {"field": "error.line"}}]);
    objects[2] = visualization("logpipe-urls", "logpipe-alb", aggs);
    let problems = problems_of(objects);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`request_url` is `keyword` under `logs-alb-*`; `sum` needs a number")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`error.line` is `long` under `logs-alb-*`; `date_histogram` needs a date")),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_filters_query_on_an_unmapped_field_is_reported() {
    let mut objects = fabricated();
    let aggs = json!([{"id": "1", "enabled": true, "type": "count", "schema": "metric", "params": {}},
        {"id": "2", "enabled": true, "type": "filters", "schema": "group", "params": {"filters": [
            {"input": {"query": "elb_status_code >= 500", "language": "kuery"}, "label": "5xx"},
            {"input": {"query": "status_code >= 500", "language": "kuery"}, "label": "typo"}]}}]);
    objects[2] = visualization("logpipe-urls", "logpipe-alb", aggs);
    let problems = problems_of(objects);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("field `status_code` is not mapped"),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_saved_search_column_and_sort_are_checked() {
    let mut objects = fabricated();
    objects[5] = saved_search(json!(["error.kind", "error.sauce"]), json!([["message.text", "desc"]]));
    let problems = problems_of(objects);
    assert!(
        problems.iter().any(|p| p.contains("field `error.sauce` is not mapped")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("field `message.text` is `text`")),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_dangling_reference_is_reported() {
    let mut objects = fabricated();
    objects[4]["references"][1]["id"] = json!("logpipe-gone");
    assert_reported(
        objects,
        "reference `panel_1` to visualization `logpipe-gone` does not resolve",
    );
}

#[test]
fn fabricated_reference_of_the_wrong_type_is_reported() {
    let mut objects = fabricated();
    objects[4]["references"][1]["id"] = json!("logpipe-alb");
    assert_reported(
        objects,
        "says visualization `logpipe-alb`, which is of type `index-pattern`",
    );
}

#[test]
fn fabricated_ref_name_without_reference_is_reported() {
    let mut objects = fabricated();
    objects[4]["references"][1]["name"] = json!("panel_9");
    let problems = problems_of(objects);
    assert!(
        problems.iter().any(|p| p.contains("`panel_1` is used as a *RefName")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("reference `panel_9` is not used")),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_inline_index_id_is_reported() {
    let mut objects = fabricated();
    let inline = json!({"index": "logpipe-alb", "query": {"query": "", "language": "kuery"}}).to_string();
    objects[2]["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"] = json!(inline);
    let problems = problems_of(objects);
    assert!(
        problems.iter().any(|p| p.contains("names its index inline")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("reads no index pattern")),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_invalid_json_strings_are_reported() {
    let mut objects = fabricated();
    objects[2]["attributes"]["visState"] = json!("{\"title\": \"logpipe-urls\",");
    objects[4]["attributes"]["panelsJSON"] = json!([]);
    objects[5]["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"] = json!("{query}");
    let problems = problems_of(objects);
    assert!(
        problems.iter().any(|p| p.contains("`visState` is not valid JSON")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`panelsJSON` is not a string")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`kibanaSavedObjectMeta.searchSourceJSON` is not valid JSON")),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_overlapping_panels_are_reported() {
    let mut objects = fabricated();
    objects[4] = dashboard(
        "logpipe-d",
        &[("logpipe-urls", [0, 0, 24, 10]), ("logpipe-kinds", [20, 9, 24, 10])],
    );
    assert_reported(objects, "panels `0` and `1` overlap");
}

#[test]
fn fabricated_touching_panels_do_not_overlap() {
    let mut objects = fabricated();
    objects[4] = dashboard(
        "logpipe-d",
        &[("logpipe-urls", [0, 0, 24, 10]), ("logpipe-kinds", [0, 10, 48, 10])],
    );
    assert_eq!(problems_of(objects), Vec::<String>::new());
}

#[test]
fn fabricated_panel_wider_than_the_grid_is_reported() {
    let mut objects = fabricated();
    objects[4] = dashboard(
        "logpipe-d",
        &[("logpipe-urls", [0, 0, 24, 10]), ("logpipe-kinds", [24, 0, 25, 10])],
    );
    assert_reported(objects, "is not within the 48-column grid");
}

#[test]
fn fabricated_panel_showing_an_index_pattern_is_reported() {
    let mut objects = fabricated();
    objects[4]["references"][1] = json!({"name": "panel_1", "type": "index-pattern", "id": "logpipe-alb"});
    assert_reported(
        objects,
        "panel `1` shows index-pattern `logpipe-alb`, which is not a visualization or search",
    );
}

#[test]
fn fabricated_terms_ordered_by_a_missing_metric_is_reported() {
    let mut objects = fabricated();
    let mut aggs = terms("request_url");
    aggs[1]["params"]["orderBy"] = json!("3");
    objects[2] = visualization("logpipe-urls", "logpipe-alb", aggs);
    assert_reported(
        objects,
        "terms agg `2` orders by Some(\"3\"), which is not a metric agg",
    );
    let mut objects = fabricated();
    let mut aggs = terms("request_url");
    aggs[1]["params"]["orderBy"] = json!("_key");
    objects[2] = visualization("logpipe-urls", "logpipe-alb", aggs);
    assert_eq!(problems_of(objects), Vec::<String>::new());
}

/// A line chart of p50/p99 of `error.line` (agg 1) and the count (agg 3) over time.
fn chart(series: Value, value_axes: Value) -> Value {
    let aggs = json!([
        {"id": "1", "enabled": true, "type": "percentiles", "schema": "metric",
            "params": {"field": "error.line", "percents": [50, 99]}},
        {"id": "3", "enabled": true, "type": "count", "schema": "metric", "params": {}},
        {"id": "2", "enabled": true, "type": "date_histogram", "schema": "segment", "params": {"field": "@timestamp"}}]);
    let mut vis = visualization("logpipe-urls", "logpipe-alb", aggs);
    let state = json!({"title": "logpipe-urls", "type": "line", "aggs": vis_aggs(&vis),
        "params": {"type": "line", "seriesParams": series, "valueAxes": value_axes}});
    vis["attributes"]["visState"] = json!(state.to_string());
    vis
}

fn vis_aggs(vis: &Value) -> Value {
    json_string(&vis["attributes"]["visState"]).unwrap()["aggs"].clone()
}

fn series(id: &str, axis: &str) -> Value {
    json!({"show": true, "type": "line", "mode": "normal", "data": {"id": id, "label": id}, "valueAxis": axis})
}

#[test]
fn fabricated_chart_series_must_match_metrics_and_axes() {
    let axes = json!([{"id": "ValueAxis-1", "position": "left"}]);
    let mut objects = fabricated();
    objects[2] = chart(
        json!([series("1", "ValueAxis-1"), series("3", "ValueAxis-1")]),
        axes.clone(),
    );
    assert_eq!(problems_of(objects), Vec::<String>::new());

    let mut objects = fabricated();
    objects[2] = chart(json!([series("1", "ValueAxis-2"), series("2", "ValueAxis-1")]), axes);
    let problems = problems_of(objects);
    for expected in [
        "seriesParams of agg `1` uses value axis `ValueAxis-2`, which is not in valueAxes",
        "seriesParams entry for agg `2`, which is not a metric agg",
        "metric agg `3` has no seriesParams entry",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:#?}"
        );
    }
}

#[test]
fn fabricated_duplicate_id_is_reported() {
    let mut objects = fabricated();
    objects.push(pattern("logpipe-alb", "logs-alb-*"));
    assert_reported(objects, "duplicate id `logpipe-alb`");
}

#[test]
fn fabricated_pattern_without_template_or_date_time_field_is_reported() {
    let mut objects = fabricated();
    objects.push(pattern("logpipe-vpc", "logs-vpc-*"));
    let mut bad_time = pattern("logpipe-alb2", "logs-alb-*");
    bad_time["attributes"]["timeFieldName"] = json!("elb_status_code");
    objects.push(bad_time);
    let problems = problems_of(objects);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`logs-vpc-*` covers no index template")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("time field `elb_status_code` is `integer`")),
        "{problems:#?}"
    );
}

#[test]
fn fabricated_migration_version_and_id_prefix_are_checked() {
    let mut objects = fabricated();
    objects[2]["migrationVersion"] = json!({"visualization": "7.0.0"});
    objects[5]["id"] = json!("errors");
    objects[5]["migrationVersion"] = json!(null);
    let problems = problems_of(objects);
    assert!(
        problems.iter().any(|p| p.contains("`logpipe-urls`: migrationVersion")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`errors`: id does not start with `logpipe-`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`errors`: migrationVersion is null")),
        "{problems:#?}"
    );
}

#[test]
fn ndjson_lines_that_are_not_objects_are_reported() {
    let mut problems = Vec::new();
    let loaded = parse_ndjson("x.ndjson", "{\"id\":\"logpipe-a\"}\n[1]\n{\"id\":\n", &mut problems);
    assert_eq!(loaded.len(), 1);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("x.ndjson:2: not a JSON object"));
    assert!(problems[1].starts_with("x.ndjson:3: not JSON"));
}

#[test]
fn query_fields_finds_field_names_only() {
    assert_eq!(query_fields("error.kind:*"), ["error.kind"]);
    assert_eq!(
        query_fields("elb_status_code >= 500 and not target_status_code<500"),
        ["elb_status_code", "target_status_code"]
    );
    assert_eq!(
        query_fields("message:\"a: b\" or @timestamp > now-1h"),
        ["message", "@timestamp"]
    );
    assert_eq!(query_fields("free text words"), Vec::<String>::new());
}

#[test]
fn glob_matching_of_index_names() {
    assert!(glob_matches("logs-*", "logs-alb-2026-11-22"));
    assert!(glob_matches("logs-alb-*", "logs-alb-2026-11-22"));
    assert!(!glob_matches("logs-alb-*", "logs-cloudfront-2026-11-22"));
    assert!(!glob_matches("logs-alb-*", "xlogs-alb-1"));
    assert!(glob_matches("*", "anything"));
}
