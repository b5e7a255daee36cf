//! Small conversions every AWS lister needs.

use driftd_core::model::{Cloud, Resource};
use serde_json::{Map, Value};

/// EC2-style tags (`[{Key, Value}]`) as Terraform's `tags` map.
pub fn tags<'a>(pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Map<String, Value> {
    pairs.into_iter().filter_map(|(k, v)| Some((k?.to_string(), Value::from(v.unwrap_or(""))))).collect()
}

/// `Some("x")` -> "x", `None` -> "" (Terraform writes "" for unset strings).
pub fn s(v: Option<&str>) -> Value {
    Value::from(v.unwrap_or(""))
}

/// A live AWS resource of one account and region, not owned, facts to come.
pub fn resource(
    account: &str,
    region: &str,
    tf_type: &str,
    id: String,
    name: Option<String>,
    attributes: Value,
) -> Resource {
    Resource {
        tf_type: tf_type.to_string(),
        id,
        provider: Cloud::Aws,
        account: Some(account.to_string()),
        region: Some(region.to_string()),
        name,
        owner: None,
        gpu: None,
        attributes,
    }
}
