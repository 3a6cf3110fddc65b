//! Helpers the format modules' table tests share.

use serde_json::Value;

/// `base` with `changes` applied: each key set to its new value, or removed when it is `null`.
pub fn with(base: Value, changes: Value) -> Value {
    let mut doc = base;
    for (k, v) in changes.as_object().expect("changes are an object") {
        if v.is_null() {
            doc.as_object_mut().expect("a document").remove(k);
        } else {
            doc[k] = v.clone();
        }
    }
    doc
}
