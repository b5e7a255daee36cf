//! Small conversions every AWS lister needs.

use serde_json::{Map, Value};

/// EC2-style tags (`[{Key, Value}]`) as Terraform's `tags` map.
pub fn tags<'a>(pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Map<String, Value> {
    pairs.into_iter().filter_map(|(k, v)| Some((k?.to_string(), Value::from(v.unwrap_or(""))))).collect()
}

/// `Some("x")` -> "x", `None` -> "" (Terraform writes "" for unset strings).
pub fn s(v: Option<&str>) -> Value {
    Value::from(v.unwrap_or(""))
}
