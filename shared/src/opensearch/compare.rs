//! Deciding whether what OpenSearch holds already equals what logpipe would write.
//!
//! OpenSearch hands back stored objects with additions of its own (ISM adds `retry` to actions and
//! `last_updated_time`; the security API adds `reserved`, `hidden`, `static`) and index settings
//! normalised (nested under `index`, every value a string). So the comparison is: every value logpipe
//! writes is present and equal, after settings are normalised on both sides; additions are ignored.

use serde_json::{Map, Value};

/// True when everything in `desired` is in `actual` with the same value. Arrays must have the same
/// length and match element by element; objects may hold more keys in `actual`.
pub fn contains(actual: &Value, desired: &Value) -> bool {
    match (actual, desired) {
        (Value::Object(a), Value::Object(d)) => d
            .iter()
            .all(|(k, dv)| a.get(k).is_some_and(|av| contains(av, dv)) || (dv.is_null() && !a.contains_key(k))),
        (Value::Array(a), Value::Array(d)) => a.len() == d.len() && a.iter().zip(d).all(|(av, dv)| contains(av, dv)),
        (Value::Number(a), Value::Number(d)) => a.as_f64() == d.as_f64(),
        _ => actual == desired,
    }
}

/// Flattens index settings to `index.`-prefixed dotted keys with string values, the form OpenSearch
/// compares settings in: `{"index":{"number_of_shards":1}}` and `{"index.number_of_shards":"1"}`
/// both become `{"index.number_of_shards":"1"}`.
pub fn normalize_settings(settings: &Value) -> Value {
    let mut flat = Map::new();
    flatten("", settings, &mut flat);
    let flat = flat
        .into_iter()
        .map(|(k, v)| {
            let key = if k.starts_with("index.") {
                k
            } else {
                format!("index.{k}")
            };
            (key, v)
        })
        .collect();
    Value::Object(flat)
}

fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            out.insert(prefix.to_owned(), Value::Array(items.iter().map(stringify).collect()));
        }
        other => {
            out.insert(prefix.to_owned(), stringify(other));
        }
    }
}

fn stringify(v: &Value) -> Value {
    match v {
        Value::String(_) | Value::Array(_) | Value::Object(_) | Value::Null => v.clone(),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
    }
}

/// A template body with its `template.settings` normalised (if any).
pub fn normalize_template(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(settings) = body.get("template").and_then(|t| t.get("settings")) {
        let normalized = normalize_settings(settings);
        body["template"]["settings"] = normalized;
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_compare_equal_in_every_spelling() {
        let ours =
            json!({"index": {"number_of_shards": 1, "sort.field": "@timestamp", "mapping.ignore_malformed": true}});
        let theirs = json!({"index": {"number_of_shards": "1", "sort": {"field": "@timestamp"}, "mapping": {"ignore_malformed": "true"}}});
        assert_eq!(normalize_settings(&ours), normalize_settings(&theirs));
        let flat = json!({"index.number_of_shards": "2"});
        assert_ne!(normalize_settings(&ours), normalize_settings(&flat));
    }

    #[test]
    fn additions_are_ignored_and_differences_found() {
        let desired = json!({"states": [{"name": "hot", "actions": [{"delete": {}}]}], "d": "x"});
        let actual = json!({"states": [{"name": "hot", "actions": [{"delete": {}, "retry": {"count": 3}}]}], "d": "x", "extra": 1});
        assert!(contains(&actual, &desired));
        assert!(!contains(&json!({"states": [], "d": "x"}), &desired));
        assert!(!contains(
            &json!({"states": [{"name": "warm", "actions": [{"delete": {}}]}], "d": "x"}),
            &desired
        ));
        assert!(contains(&json!({"n": 1.0}), &json!({"n": 1})));
        assert!(!contains(&json!({"a": [1, 2, 3]}), &json!({"a": [1, 2]})));
    }
}
