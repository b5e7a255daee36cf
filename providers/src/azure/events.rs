//! Azure's records of a call: an Event Grid event of a subscription
//! (`Microsoft.Resources.ResourceWriteSuccess`, `ResourceDeleteSuccess`,
//! `ResourceActionSuccess` and their failures and cancellations, Event Grid schema) and an
//! Activity Log entry. Neither carries property values: the resource (its `resourceUri`)
//! is read again. Which operations touch which type: each type's `events` rules (source
//! [`ARM`], the operation name, the id at `data.resourceUri`).

use crate::events::ApiCall;
use driftd_core::model::{Cause, ChangedBy};
use driftd_core::spec::{EventRule, TypeSpec};
use serde_json::Value;

/// The `source` of Azure's rules: Azure Resource Manager's operations.
pub const ARM: &str = "management.azure.com";
/// Where an Event Grid event names its resource.
const RESOURCE_URI: &str = "data.resourceUri";

/// A rule for one ARM operation on a type's resources (`Microsoft.Compute/virtualMachines/write`).
pub const fn operation(name: &'static str) -> EventRule {
    EventRule { source: ARM, name, ids: &[RESOURCE_URI], prefix: "/subscriptions/" }
}

/// The operations that change a VM (Linux and Windows alike: the re-read tells which).
pub const VM_OPERATIONS: &[EventRule] = &[
    operation("Microsoft.Compute/virtualMachines/write"),
    operation("Microsoft.Compute/virtualMachines/delete"),
    operation("Microsoft.Compute/virtualMachines/deallocate/action"),
    operation("Microsoft.Compute/virtualMachines/start/action"),
    operation("Microsoft.Compute/virtualMachines/powerOff/action"),
];
/// The operations that change a scale set (uniform and flexible alike).
pub const SCALE_SET_OPERATIONS: &[EventRule] = &[
    operation("Microsoft.Compute/virtualMachineScaleSets/write"),
    operation("Microsoft.Compute/virtualMachineScaleSets/delete"),
    operation("Microsoft.Compute/virtualMachineScaleSets/deallocate/action"),
    operation("Microsoft.Compute/virtualMachineScaleSets/start/action"),
    operation("Microsoft.Compute/virtualMachineScaleSets/powerOff/action"),
];
pub const CLUSTER_OPERATIONS: &[EventRule] = &[
    operation("Microsoft.ContainerService/managedClusters/write"),
    operation("Microsoft.ContainerService/managedClusters/delete"),
    operation("Microsoft.ContainerService/managedClusters/stop/action"),
    operation("Microsoft.ContainerService/managedClusters/start/action"),
];
pub const CAPACITY_RESERVATION_OPERATIONS: &[EventRule] = &[
    operation("Microsoft.Compute/capacityReservationGroups/capacityReservations/write"),
    operation("Microsoft.Compute/capacityReservationGroups/capacityReservations/delete"),
];
pub const NODE_POOL_OPERATIONS: &[EventRule] = &[
    operation("Microsoft.ContainerService/managedClusters/agentPools/write"),
    operation("Microsoft.ContainerService/managedClusters/agentPools/delete"),
];

const UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const OBJECT_ID: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Who, from a token's claims: a person (a `upn` or `name`) or a service principal (an
/// app id alone). Azure records carry no user agent: Terraform cannot be told from
/// another service principal here, so an app is `automation`.
fn changed_by(
    claims: &Value,
    caller: Option<String>,
    ip: Option<String>,
    time: String,
    id: String,
    name: String,
) -> ChangedBy {
    let upn = text(claims, UPN).or_else(|| text(claims, "upn"));
    let person = text(claims, "name");
    let app = text(claims, "appid");
    let user = upn.is_some() || person.is_some() || caller.as_deref().is_some_and(|c| c.contains('@'));
    ChangedBy {
        principal: upn
            .clone()
            .or(caller)
            .or_else(|| text(claims, OBJECT_ID))
            .or(app.clone())
            .unwrap_or_else(|| "unknown".into()),
        principal_type: if user { "User" } else { "ServicePrincipal" }.into(),
        display_name: person.or(upn),
        source_ip: ip.or_else(|| text(claims, "ipaddr")),
        user_agent: None,
        event_time: time,
        event_id: id,
        event_name: name,
        invoked_by: None,
        cause: if user { Cause::Manual } else { Cause::Automation },
    }
}

/// Reads an Event Grid event of a subscription (or a one-event array, as the examples and
/// batched deliveries have it). `None`: not a resource event.
pub fn parse(event: &Value, types: &[&TypeSpec]) -> Option<ApiCall> {
    let event = match event {
        Value::Array(events) => events.first()?,
        other => other,
    };
    let kind = text(event, "eventType")?;
    let outcome = kind.strip_prefix("Microsoft.Resources.Resource")?;
    let data = event.get("data")?;
    let name = text(data, "operationName")?;
    let succeeded = outcome.ends_with("Success") && text(data, "status").is_none_or(|s| s == "Succeeded");
    let claims = data.get("claims").filter(|c| c.is_object()).cloned().unwrap_or(Value::Null);
    let ip = data.pointer("/httpRequest/clientIpAddress").and_then(Value::as_str).map(str::to_string);
    let by = changed_by(
        &claims,
        None,
        ip,
        text(event, "eventTime").unwrap_or_default(),
        text(event, "id").unwrap_or_default(),
        name.clone(),
    );
    let resources = crate::events::resources_named(types, ARM, &name, event);
    Some(ApiCall {
        source: ARM.to_string(),
        name,
        region: None,
        account: text(data, "subscriptionId").map(|s| s.to_ascii_lowercase()),
        changed_nothing: !succeeded,
        changed_by: Some(by),
        resources,
    })
}

/// Who made a succeeded write, delete or action in an Activity Log entry
/// (`eventtypes/management/values`); `None` for reads, failures and other entries.
pub fn from_activity_log(entry: &Value) -> Option<ChangedBy> {
    if entry.pointer("/status/value").and_then(Value::as_str) != Some("Succeeded") {
        return None;
    }
    let name = entry.pointer("/operationName/value").and_then(Value::as_str)?.to_string();
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with("/write") || lower.ends_with("/delete") || lower.ends_with("/action")) {
        return None;
    }
    let claims = entry.get("claims").cloned().unwrap_or(Value::Null);
    let ip = entry.pointer("/httpRequest/clientIpAddress").and_then(Value::as_str).map(str::to_string);
    Some(changed_by(
        &claims,
        text(entry, "caller"),
        ip,
        text(entry, "eventTimestamp").unwrap_or_default(),
        text(entry, "eventDataId").unwrap_or_default(),
        name,
    ))
}

/// Every Azure type's spec, for [`parse`].
pub fn specs() -> Vec<&'static TypeSpec> {
    super::TYPES.iter().map(|t| t.spec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(file: &str, uri: &str, operation: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/azure-events").join(file);
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("{subscription-id}", "2c8f9e7a-1b3d-4e5f-8a6b-7c9d0e1f2a3b")
            .replace("{resource-group}", "ml")
            .replace("Microsoft.Storage/storageAccounts/{storage-name}", uri)
            .replace("Microsoft.Storage/storageAccounts/write", operation)
            .replace("Microsoft.Storage/storageAccounts/delete", operation)
            .replace("{full-name}", "John Smith")
            .replace("{user-name}", "john@contoso.com")
            .replace("{IP-address}", "203.0.113.9");
        serde_json::from_str(&text).unwrap()
    }

    /// Microsoft's documented write and delete events name their resource by
    /// `resourceUri` and their caller by the token's claims: a person, manual.
    #[test]
    fn documented_events_name_the_resource_and_the_person() {
        let vm = "Microsoft.Compute/virtualMachines/gpu-1";
        let write =
            parse(&example("resource-write-success.json", vm, "Microsoft.Compute/virtualMachines/write"), &specs())
                .unwrap();
        let id = "/subscriptions/2c8f9e7a-1b3d-4e5f-8a6b-7c9d0e1f2a3b/resourcegroups/ml/providers/Microsoft.Compute/virtualMachines/gpu-1";
        assert!(write.resources.contains(&("azurerm_linux_virtual_machine", id.to_string())), "{:?}", write.resources);
        assert!(write.resources.contains(&("azurerm_windows_virtual_machine", id.to_string())));
        assert!(!write.changed_nothing);
        assert_eq!(write.account.as_deref(), Some("2c8f9e7a-1b3d-4e5f-8a6b-7c9d0e1f2a3b"));
        let by = write.changed_by.unwrap();
        assert_eq!((by.display_name.as_deref(), by.principal.as_str()), (Some("John Smith"), "john@contoso.com"));
        assert_eq!((by.cause, by.source_ip.as_deref()), (Cause::Manual, Some("203.0.113.9")));
        assert_eq!(by.event_id, "4db48cba-50a2-455a-93b4-de41a3b5b7f6");
        let pool = "Microsoft.ContainerService/managedClusters/gpu/agentPools/a100";
        let delete = parse(
            &example(
                "resource-delete-success.json",
                pool,
                "Microsoft.ContainerService/managedClusters/agentPools/delete",
            ),
            &specs(),
        )
        .unwrap();
        assert_eq!(delete.resources.len(), 1);
        assert_eq!(delete.resources[0].0, "azurerm_kubernetes_cluster_node_pool");
        // A storage account is no covered type; a failed write changed nothing.
        let other = parse(
            &example(
                "resource-write-success.json",
                "Microsoft.Storage/storageAccounts/x",
                "Microsoft.Storage/storageAccounts/write",
            ),
            &specs(),
        )
        .unwrap();
        assert!(other.resources.is_empty());
        let mut failed = example("resource-write-success.json", vm, "Microsoft.Compute/virtualMachines/write");
        failed[0]["eventType"] = "Microsoft.Resources.ResourceWriteFailure".into();
        assert!(parse(&failed, &specs()).unwrap().changed_nothing);
    }

    /// The Activity Log example (testdata/azure-arm/monitor-2015-04-01) names its caller.
    #[test]
    fn the_activity_log_example_names_its_caller() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/azure-arm/monitor-2015-04-01/GetActivityLogsFiltered.json");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let entry = &v["responses"]["200"]["body"]["value"][0];
        let by = from_activity_log(entry).unwrap();
        assert_eq!((by.principal.as_str(), by.display_name.as_deref()), ("admin@contoso.com", Some("John Smith")));
        assert_eq!((by.cause, by.source_ip.as_deref()), (Cause::Manual, Some("192.168.35.115")));
        assert_eq!(by.event_name, "microsoft.support/supporttickets/write");
        let mut read = entry.clone();
        read["operationName"]["value"] = "Microsoft.Compute/virtualMachines/read".into();
        assert_eq!(from_activity_log(&read), None);
    }
}
