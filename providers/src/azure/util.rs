//! Shared pieces of the Azure listers: ARM id parts, SDK enums as their wire strings,
//! and the [`Resource`] every type file builds.

use driftd_core::model::{azure_location, Cloud, Resource};
use serde::Serialize;
use serde_json::Value;

/// The resource group of an ARM id (`/subscriptions/s/resourceGroups/<rg>/...`), as written.
pub fn resource_group(id: &str) -> String {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("resourcegroups") {
            return parts.next().unwrap_or_default().to_string();
        }
    }
    String::new()
}

/// An SDK enum (or any value) as the string ARM sent: sizes newer than the crate's enum
/// arrive as `UnknownValue(String)` and serialise back to that same string.
pub fn wire<T: Serialize>(v: Option<&T>) -> Value {
    v.and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null)
}

/// ARM tags (an object of strings, or absent) as Terraform's `tags` map.
pub fn tags(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => Value::Object(Default::default()),
    }
}

/// `identity` in azurerm's block shape, from an ARM identity's type, user-assigned
/// identities (their ids are the keys), principal and tenant.
pub fn identity<U: Serialize>(
    type_: Value,
    user_assigned: Option<&U>,
    principal: &Option<String>,
    tenant: &Option<String>,
) -> Value {
    if type_.as_str().is_none_or(|t| t.eq_ignore_ascii_case("none")) {
        return Value::Array(vec![]);
    }
    let ids: Vec<String> = user_assigned
        .and_then(|u| serde_json::to_value(u).ok())
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    serde_json::json!([{"type": type_, "identity_ids": ids, "principal_id": principal, "tenant_id": tenant}])
}

/// A live resource: subscription as the account, the location as the region, the
/// name from `name`, GPU facts from driftd's table by the size at `size_attr`.
pub fn resource(tf_type: &str, subscription: &str, id: String, attributes: Value, size_attr: &str) -> Resource {
    let size = driftd_core::path::get(&attributes, size_attr).and_then(Value::as_str).unwrap_or_default();
    let gpu = driftd_core::gpu::facts(Cloud::Azure, size).and_then(|f| serde_json::to_value(f).ok());
    Resource {
        tf_type: tf_type.to_string(),
        id,
        provider: Cloud::Azure,
        account: Some(subscription.to_ascii_lowercase()),
        region: attributes.get("location").and_then(Value::as_str).map(azure_location),
        name: attributes.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_string),
        owner: None,
        gpu,
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_group_of_any_casing() {
        assert_eq!(resource_group("/subscriptions/s/resourcegroups/ML-rg/providers/x/y/z"), "ML-rg");
        assert_eq!(resource_group("/subscriptions/s/resourceGroups/rg"), "rg");
        assert_eq!(resource_group("/subscriptions/s"), "");
    }
}
