//! A cloud's audit record of one call (a CloudTrail record, an Azure Event Grid or
//! Activity Log event), as far as drift goes: which covered resources it names (each
//! type's `events` rules, next to its spec), whether it changed anything, and who made
//! it. An event is a reason to read the resources again, never their new state.

use driftd_core::model::ChangedBy;
use driftd_core::spec::TypeSpec;
use serde_json::Value;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCall {
    pub source: String,
    pub name: String,
    /// The AWS region; `None` on Azure, whose ids say where.
    pub region: Option<String>,
    /// The AWS account or Azure subscription.
    pub account: Option<String>,
    /// A failed call, a dry run or a cancelled operation changed nothing.
    pub changed_nothing: bool,
    /// Who made the call; `None` for a notification that names nobody (a state change).
    pub changed_by: Option<ChangedBy>,
    /// (Terraform type, id) of each covered resource the call names.
    pub resources: Vec<(&'static str, String)>,
}

/// One message of an event queue (SQS, an Azure Storage queue): its body (an event) and
/// the handle that deletes it.
#[derive(Debug, Clone)]
pub struct QueueMessage {
    pub id: String,
    /// SQS's receipt handle, Azure's pop receipt.
    pub receipt: String,
    pub body: String,
    /// How often the queue has handed this message out (1 on its first delivery).
    pub receive_count: u32,
}

/// The covered resources a record names: every rule of every type whose source and call
/// name match (names compared without case: ARM spells its operations either way).
pub fn resources_named(types: &[&TypeSpec], source: &str, name: &str, record: &Value) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for spec in types {
        for rule in spec.events.iter().filter(|r| r.source == source && r.name.eq_ignore_ascii_case(name)) {
            for id in rule.ids_in(record) {
                if !out.iter().any(|(t, i)| *t == spec.tf_type && *i == id) {
                    out.push((spec.tf_type, id));
                }
            }
        }
    }
    out
}
