//! A model of how OpenSearch maps a document with logpipe's templates (`shared/opensearch/`), for
//! the tests: which index template an index gets, the mapping it composes from its component
//! templates, and whether each value of a document would be accepted by the field it lands in.
//!
//! Rules modelled (OpenSearch 2.x, every mapping `dynamic: false`):
//! - An index gets the index template whose `index_patterns` match its name with the highest
//!   `priority` (two matches at the same priority: an error, as OpenSearch refuses to create such
//!   templates). Its mapping is the `composed_of` component templates' properties in order, then the
//!   template's own, later definitions replacing earlier ones (objects merge field by field).
//! - A field is found by walking `properties`; a key with dots (`a.b`) is a path, as OpenSearch
//!   expands it. A field missing from the mapping is *unmapped*: with `dynamic: false` OpenSearch keeps
//!   it in `_source` only, which is reported too (nothing a parser writes should be unsearchable).
//! - A `flat_object` takes a JSON object (never a scalar or an array) and indexes each leaf as a
//!   keyword term `<field>.<path>=<value>` without `ignore_above`, so a leaf over Lucene's term limit
//!   rejects the document. An `object` with `enabled: false` takes anything.
//! - An array is checked element by element against the field's mapping; `null` is always accepted.
//! - Leaf types: strings → `keyword` / `text` / `match_only_text` / `wildcard`; a `keyword` string
//!   longer than [`MAX_TERM_BYTES`] UTF-8 bytes is rejected unless `ignore_above` (in UTF-16 code units,
//!   as Java counts) skips it. `ip` takes a string that parses as an IPv4 or IPv6 address. `date`
//!   takes what its `format` allows: `strict_date_optional_time` strings (see
//!   [`is_strict_date_optional_time`]) and integers for `epoch_millis`. Integer JSON numbers →
//!   `long` / `integer` / `short` / `byte` (range-checked) / `unsigned_long` / floating types; numbers
//!   with a fraction or exponent → floating types only (`float` range-checked); booleans → `boolean`;
//!   objects → `object` / `flat_object`. Multi-fields (`fields`) must accept the value too.
//! - A document with a key twice anywhere is rejected (OpenSearch parses sources with strict
//!   duplicate detection): [`parse_document`] reports it.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

/// Where the templates live, relative to the workspace root.
pub const TEMPLATES_DIR: &str = "shared/opensearch";

/// Lucene's longest indexed term, in UTF-8 bytes.
pub const MAX_TERM_BYTES: usize = 32766;

/// Field types the checker knows how to judge.
pub const SUPPORTED_TYPES: [&str; 17] = [
    "object",
    "nested",
    "flat_object",
    "keyword",
    "text",
    "match_only_text",
    "wildcard",
    "ip",
    "date",
    "long",
    "integer",
    "short",
    "byte",
    "unsigned_long",
    "double",
    "float",
    "boolean",
];

/// Mapping parameters the templates may use; anything else is most likely a typo.
const KNOWN_PARAMETERS: [&str; 9] = [
    "type",
    "properties",
    "format",
    "ignore_above",
    "fields",
    "enabled",
    "dynamic",
    "index",
    "doc_values",
];

/// One index template file, `index-templates/logs-<log_type>.json`.
#[derive(Debug, Clone)]
pub struct IndexTemplate {
    /// The `<log_type>` of the file name.
    pub log_type: String,
    /// The body of `PUT _index_template/logpipe-<log_type>`.
    pub body: Value,
}

impl IndexTemplate {
    /// `index_patterns` as strings (non-strings are skipped; the template tests reject them).
    pub fn patterns(&self) -> Vec<&str> {
        self.body["index_patterns"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// `priority`, 0 when absent (OpenSearch's default).
    pub fn priority(&self) -> i64 {
        self.body["priority"].as_i64().unwrap_or(0)
    }
}

/// The component and index templates.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// Component template bodies by name (the file stem).
    pub components: BTreeMap<String, Value>,
    /// Index templates, in file-name order.
    pub index_templates: Vec<IndexTemplate>,
}

impl Templates {
    /// Reads `<dir>/component-templates/*.json` and `<dir>/index-templates/logs-*.json`.
    pub fn load(dir: &Path) -> Result<Templates, String> {
        let mut templates = Templates::default();
        for (stem, body) in read_json_dir(&dir.join("component-templates"))? {
            templates.components.insert(stem, body);
        }
        for (stem, body) in read_json_dir(&dir.join("index-templates"))? {
            let log_type = stem
                .strip_prefix("logs-")
                .ok_or_else(|| format!("index template file {stem}.json is not named logs-<log_type>.json"))?;
            templates.index_templates.push(IndexTemplate {
                log_type: log_type.to_owned(),
                body,
            });
        }
        Ok(templates)
    }

    /// The index template OpenSearch applies to a new index named `index`.
    pub fn template_for(&self, index: &str) -> Result<&IndexTemplate, String> {
        let matching: Vec<&IndexTemplate> = self
            .index_templates
            .iter()
            .filter(|t| t.patterns().iter().any(|p| wildcard_match(p, index)))
            .collect();
        let Some(best) = matching.iter().map(|t| t.priority()).max() else {
            return Err(format!("no index template matches index `{index}`"));
        };
        let top: Vec<&IndexTemplate> = matching.into_iter().filter(|t| t.priority() == best).collect();
        match top.as_slice() {
            [one] => Ok(one),
            many => Err(format!(
                "index `{index}` matches several templates at priority {best}: {}",
                many.iter().map(|t| t.log_type.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// The `properties` an index named `index` is created with: its template's component templates,
    /// in `composed_of` order, then the template's own properties.
    pub fn mapping_for(&self, index: &str) -> Result<Map<String, Value>, String> {
        let template = self.template_for(index)?;
        let mut properties = Map::new();
        for name in template.body["composed_of"].as_array().into_iter().flatten() {
            let name = name.as_str().ok_or("composed_of holds a non-string")?;
            let component = self
                .components
                .get(name)
                .ok_or_else(|| format!("template {} is composed of missing `{name}`", template.log_type))?;
            merge_properties(&mut properties, mapping_properties(component));
        }
        merge_properties(&mut properties, mapping_properties(&template.body));
        Ok(properties)
    }
}

/// `template.mappings.properties` of a template body (empty when absent).
pub fn mapping_properties(body: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    body["template"]["mappings"]["properties"]
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn read_json_dir(dir: &Path) -> Result<Vec<(String, Value)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let body = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            Ok((stem, body))
        })
        .collect()
}

/// Merges `from` into `into`: object fields merge field by field, anything else is replaced.
pub fn merge_properties(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (name, def) in from {
        match (into.get_mut(name), def.get("properties").and_then(Value::as_object)) {
            (Some(existing), Some(sub)) if existing.get("properties").is_some_and(Value::is_object) => {
                if let Some(existing_sub) = existing.get_mut("properties").and_then(Value::as_object_mut) {
                    merge_properties(existing_sub, sub);
                }
            }
            _ => {
                into.insert(name.clone(), def.clone());
            }
        }
    }
}

/// Index pattern matching: `*` matches any run of characters, everything else itself.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The kind of a JSON value, as the checker reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Null,
    Boolean,
    /// A number without fraction or exponent.
    Integer,
    /// A number with a fraction or an exponent.
    Number,
    String,
    Object,
    Array,
}

impl Kind {
    pub fn of(value: &Value) -> Kind {
        match value {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Object => "object",
            Kind::Array => "array",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value OpenSearch would reject, or a field it would not index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The field's dotted path in the document.
    pub path: String,
    /// The offending value's kind.
    pub kind: Kind,
    /// What is wrong.
    pub problem: String,
    /// The value, shortened.
    pub example: String,
}

/// What [`check_document`] found: problems, and every field path seen with its value kinds
/// (array elements under the array's path; a `flat_object` or disabled object's inside is not listed).
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub fields: BTreeMap<String, BTreeSet<Kind>>,
}

impl Checked {
    fn find(&mut self, path: &str, value: &Value, problem: String) {
        self.findings.push(Finding {
            path: path.to_owned(),
            kind: Kind::of(value),
            problem,
            example: shorten(value),
        });
    }

    fn saw(&mut self, path: &str, kind: Kind) {
        self.fields.entry(path.to_owned()).or_default().insert(kind);
    }
}

/// A value's JSON text, cut to about 80 characters.
pub fn shorten(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text,
    }
}

/// Checks every field of `doc` against `properties` (a composed mapping, see
/// [`Templates::mapping_for`]).
pub fn check_document(properties: &Map<String, Value>, doc: &Value) -> Checked {
    let mut checked = Checked::default();
    match doc.as_object() {
        Some(object) => check_object(properties, object, "", &mut checked),
        None => checked.find("", doc, "a document must be a JSON object".into()),
    }
    checked
}

fn check_object(properties: &Map<String, Value>, object: &Map<String, Value>, prefix: &str, out: &mut Checked) {
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match resolve(properties, key) {
            Some(node) => check_value(node, value, &path, out),
            None => {
                out.saw(&path, Kind::of(value));
                out.find(
                    &path,
                    value,
                    "not mapped: with `dynamic: false` it is kept in _source but not indexed".into(),
                );
            }
        }
    }
}

/// The mapping of a (possibly dotted) key under `properties`.
fn resolve<'a>(properties: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut node = properties.get(parts.next()?)?;
    for part in parts {
        node = node.get("properties")?.get(part)?;
    }
    Some(node)
}

/// The type of a mapping node: its `type`, or `object` for a node with `properties` only.
pub fn node_type(node: &Value) -> Option<&str> {
    match node.get("type") {
        Some(t) => t.as_str(),
        None if node.get("properties").is_some() => Some("object"),
        None => None,
    }
}

fn check_value(node: &Value, value: &Value, path: &str, out: &mut Checked) {
    if let Value::Array(items) = value {
        out.saw(path, Kind::Array);
        if node_type(node) == Some("flat_object") {
            out.find(path, value, "a `flat_object` takes a JSON object, not an array".into());
            return;
        }
        for item in items {
            check_value(node, item, path, out);
        }
        return;
    }
    let kind = Kind::of(value);
    out.saw(path, kind);
    if kind == Kind::Null {
        return;
    }
    let Some(ty) = node_type(node) else {
        out.find(path, value, "the mapping has no `type`".into());
        return;
    };
    match (ty, value) {
        ("object" | "nested", _) if node.get("enabled") == Some(&Value::Bool(false)) => {}
        ("object" | "nested", Value::Object(object)) => {
            let empty = Map::new();
            let properties = node.get("properties").and_then(Value::as_object).unwrap_or(&empty);
            check_object(properties, object, path, out);
        }
        ("object" | "nested", _) => out.find(path, value, format!("an `{ty}` field takes objects, not a {kind}")),
        ("flat_object", Value::Object(object)) => check_flat_object(path, object, "", out),
        ("flat_object", _) => out.find(
            path,
            value,
            format!("a `flat_object` takes a JSON object, not a {kind}"),
        ),
        (_, Value::Object(_)) => out.find(path, value, format!("a `{ty}` field cannot take an object")),
        _ => {
            if let Err(problem) = accepts_leaf(node, ty, value) {
                out.find(path, value, problem);
            }
            for sub in node.get("fields").and_then(Value::as_object).into_iter().flatten() {
                let (name, sub) = sub;
                let sub_ty = node_type(sub).unwrap_or("(none)");
                if let Err(problem) = accepts_leaf(sub, sub_ty, value) {
                    out.find(path, value, format!("sub-field `{name}`: {problem}"));
                }
            }
        }
    }
}

/// Each leaf of a `flat_object` becomes the keyword term `<field>.<field>.<path>=<value>` (doc values
/// of `<field>._valueAndPath`), which must fit in a Lucene term.
fn check_flat_object(field: &str, object: &Map<String, Value>, prefix: &str, out: &mut Checked) {
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        check_flat_leaf(field, &path, value, out);
    }
}

fn check_flat_leaf(field: &str, path: &str, value: &Value, out: &mut Checked) {
    let text = match value {
        Value::Object(object) => return check_flat_object(field, object, path, out),
        Value::Array(items) => {
            for item in items {
                check_flat_leaf(field, path, item, out);
            }
            return;
        }
        Value::Null => return,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let term = field.len() * 2 + 2 + path.len() + 1 + text.len();
    if term > MAX_TERM_BYTES {
        out.find(
            &format!("{field}.{path}"),
            value,
            format!(
                "a `flat_object` leaf is indexed as one term of {term} bytes, over Lucene's {MAX_TERM_BYTES}-byte \
                 limit (flat_object has no ignore_above): the document is rejected"
            ),
        );
    }
}

/// Whether a field of type `ty` (mapping `node`) accepts the scalar `value`.
pub fn accepts_leaf(node: &Value, ty: &str, value: &Value) -> Result<(), String> {
    let kind = Kind::of(value);
    let wrong = || Err(format!("a `{ty}` field does not take a {kind}"));
    match ty {
        "keyword" => {
            let Value::String(s) = value else { return wrong() };
            let ignored = node
                .get("ignore_above")
                .and_then(Value::as_u64)
                .is_some_and(|limit| s.encode_utf16().count() as u64 > limit);
            if !ignored && s.len() > MAX_TERM_BYTES {
                return Err(format!(
                    "a keyword of {} bytes is over Lucene's {MAX_TERM_BYTES}-byte term limit and no \
                     `ignore_above` skips it: the document is rejected",
                    s.len()
                ));
            }
            Ok(())
        }
        "text" | "match_only_text" | "wildcard" => match value {
            Value::String(_) => Ok(()),
            _ => wrong(),
        },
        "ip" => match value {
            Value::String(s) if s.parse::<IpAddr>().is_ok() => Ok(()),
            Value::String(_) => Err("not an IPv4 or IPv6 address".into()),
            _ => wrong(),
        },
        "date" => {
            let format = node
                .get("format")
                .and_then(Value::as_str)
                .unwrap_or("strict_date_optional_time||epoch_millis");
            let formats: Vec<&str> = format.split("||").collect();
            let ok = match value {
                Value::String(s) => {
                    formats
                        .iter()
                        .any(|f| matches!(*f, "strict_date_optional_time" | "date_optional_time"))
                        && is_strict_date_optional_time(s)
                }
                Value::Number(n) => formats.contains(&"epoch_millis") && n.as_i64().is_some(),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(format!("not a date in format `{format}`"))
            }
        }
        "long" | "integer" | "short" | "byte" | "unsigned_long" => {
            let Value::Number(n) = value else { return wrong() };
            if kind != Kind::Integer {
                return Err(format!("a `{ty}` field takes integers, not the fractional number {n}"));
            }
            if integer_fits(ty, n) {
                Ok(())
            } else {
                Err(format!("{n} is out of range for `{ty}`"))
            }
        }
        "double" | "float" | "half_float" | "scaled_float" => {
            let Some(x) = value.as_f64() else { return wrong() };
            let max = match ty {
                "float" => f64::from(f32::MAX),
                "half_float" => 65504.0,
                _ => f64::MAX,
            };
            if x.is_finite() && x.abs() <= max {
                Ok(())
            } else {
                Err(format!("{x} is not a finite `{ty}`"))
            }
        }
        "boolean" => match value {
            Value::Bool(_) => Ok(()),
            _ => wrong(),
        },
        other => Err(format!("the checker does not know the field type `{other}`")),
    }
}

fn integer_fits(ty: &str, n: &Number) -> bool {
    let Some(v) = n.as_i64() else {
        return ty == "unsigned_long" && n.as_u64().is_some();
    };
    match ty {
        "long" => true,
        "integer" => i32::try_from(v).is_ok(),
        "short" => i16::try_from(v).is_ok(),
        "byte" => i8::try_from(v).is_ok(),
        "unsigned_long" => v >= 0,
        _ => false,
    }
}

/// OpenSearch's `strict_date_optional_time` as logs write it: `yyyy[-MM[-dd]]`, optionally
/// followed by `T` and `HH[:mm[:ss[.f{1,9}]]]` and a zone (`Z`, `±HH`, `±HHmm`, `±HH:mm`); every
/// part range-checked (month lengths and leap years included).
pub fn is_strict_date_optional_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |at: usize, n: usize| -> Option<u32> {
        let part = b.get(at..at + n)?;
        part.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let Some(year) = digits(0, 4) else { return false };
    let mut at = 4;
    let (mut month, mut day) = (1, 1);
    if b.get(at) == Some(&b'-') {
        let Some(m) = digits(at + 1, 2) else { return false };
        month = m;
        at += 3;
        if b.get(at) == Some(&b'-') {
            let Some(d) = digits(at + 1, 2) else { return false };
            day = d;
            at += 3;
        }
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > month_days {
        return false;
    }
    if at == b.len() {
        return true;
    }
    if b[at] != b'T' {
        return false;
    }
    at += 1;
    let Some(hour) = digits(at, 2) else { return false };
    at += 2;
    let mut limits_ok = hour <= 23;
    let mut time_parts = 1;
    while time_parts < 3 {
        if b.get(at) != Some(&b':') {
            break;
        }
        let Some(v) = digits(at + 1, 2) else { return false };
        limits_ok &= v <= 59;
        time_parts += 1;
        at += 3;
    }
    if time_parts == 3 && matches!(b.get(at), Some(b'.' | b',')) {
        let start = at + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start || end - start > 9 {
            return false;
        }
        at = end;
    }
    if !limits_ok {
        return false;
    }
    match b.get(at) {
        None => true,
        Some(b'Z') => at + 1 == b.len(),
        Some(b'+' | b'-') => {
            let zone = &s[at + 1..];
            if !zone.bytes().all(|c| c.is_ascii_digit() || c == b':') {
                return false;
            }
            let (hh, mm) = match zone.len() {
                2 => (zone, "00"),
                4 => (&zone[..2], &zone[2..]),
                5 if zone.as_bytes()[2] == b':' => (&zone[..2], &zone[3..]),
                _ => return false,
            };
            let ok = |p: &str, max: u32| p.parse::<u32>().is_ok_and(|v| v <= max);
            ok(hh, 18) && ok(mm, 59)
        }
        Some(_) => false,
    }
}

/// Parses one document as OpenSearch would: JSON, with no key twice in any object and every number
/// finite.
pub fn parse_document(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Strict(value) = Strict::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("number {v} is not finite")))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}` (OpenSearch rejects the document)"
                )));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Structural problems of a `properties` tree: unknown types or parameters, sub-fields without a
/// known type. `path` prefixes the reported names.
pub fn validate_properties(properties: &Map<String, Value>, path: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, node) in properties {
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let Some(def) = node.as_object() else {
            problems.push(format!("`{here}`: a field definition must be an object"));
            continue;
        };
        for key in def.keys() {
            if !KNOWN_PARAMETERS.contains(&key.as_str()) {
                problems.push(format!("`{here}`: unknown mapping parameter `{key}`"));
            }
        }
        match node_type(node) {
            Some(ty) if SUPPORTED_TYPES.contains(&ty) => {}
            Some(ty) => problems.push(format!("`{here}`: unsupported type `{ty}`")),
            None => problems.push(format!("`{here}`: no `type` and no `properties`")),
        }
        if let Some(sub) = def.get("properties") {
            match sub.as_object() {
                Some(sub) => problems.extend(validate_properties(sub, &here)),
                None => problems.push(format!("`{here}`: `properties` must be an object")),
            }
        }
        for (sub_name, sub) in def.get("fields").and_then(Value::as_object).into_iter().flatten() {
            match node_type(sub) {
                Some(ty) if SUPPORTED_TYPES.contains(&ty) => {}
                other => problems.push(format!(
                    "`{here}.{sub_name}`: sub-field type {other:?} is not supported"
                )),
            }
        }
    }
    problems
}

/// Every leaf field of a `properties` tree with its definition (objects are descended into).
pub fn leaf_fields(properties: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    collect_leaves(properties, "", &mut out);
    out
}

fn collect_leaves(properties: &Map<String, Value>, prefix: &str, out: &mut BTreeMap<String, Value>) {
    for (name, node) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match node.get("properties").and_then(Value::as_object) {
            Some(sub) => collect_leaves(sub, &path, out),
            None => {
                out.insert(path, node.clone());
            }
        }
    }
}

/// Whether `path` (dotted) names a field of `properties`, or lies inside a `flat_object` or a disabled
/// object.
pub fn is_mapped(properties: &Map<String, Value>, path: &str) -> bool {
    let mut current = properties;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(node) = current.get(part) else { return false };
        if parts.peek().is_none() {
            return true;
        }
        if node_type(node) == Some("flat_object") || node.get("enabled") == Some(&Value::Bool(false)) {
            return true;
        }
        match node.get("properties").and_then(Value::as_object) {
            Some(sub) => current = sub,
            None => return false,
        }
    }
    false
}
