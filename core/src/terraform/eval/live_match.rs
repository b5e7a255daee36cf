//! Code without a state names no ids (they exist only after apply): each declaration is
//! matched with the live resource of its type that has its name (the type's name rule:
//! the `Name` tag on AWS, `name` on Azure, within the declared resource group when the
//! code gives one). What cannot be matched for sure is said, never guessed.

use crate::model::{DeclaredResource, Resource, Warning, WarningKind};
use crate::spec::Registry;
use std::collections::HashMap;

/// Give every code declaration that names exactly one live resource that resource's id,
/// account and region. A declaration whose name is unknown before apply, or that names
/// several live resources, is not compared (`pending_create`: never missing) and
/// warned about; one whose name matches nothing keeps its address as id, and reads as
/// missing when its type is scanned.
pub fn match_live(declared: &mut [DeclaredResource], live: &[&Resource], registry: &Registry) -> Vec<Warning> {
    // Candidates by (type, name): what an owner created is never declared by itself.
    let mut by_name: HashMap<(&str, String), Vec<&Resource>> = HashMap::new();
    for r in live.iter().filter(|r| r.owner.is_none()) {
        let Some(spec) = registry.get(&r.tf_type) else { continue };
        if let Some(name) = spec.name.name_of(&r.attributes) {
            by_name.entry((spec.tf_type, name)).or_default().push(r);
        }
    }
    let mut warnings = Vec::new();
    // An `import` block already named its id.
    for d in declared.iter_mut().filter(|d| d.from_code && d.id == d.address) {
        let Some(spec) = registry.get(&d.tf_type) else { continue };
        let attributes = d.attributes.parse();
        let not_compared = |d: &mut DeclaredResource, why: String| {
            d.pending_create = true;
            Warning::new(WarningKind::NotCompared, format!("{}: {why}; not compared with live", d.address), None)
        };
        // An unknown name was evaluated to null: it has no name yet.
        let Some(name) = spec.name.name_of(&attributes) else {
            warnings.push(not_compared(d, "its name is known only after apply".into()));
            continue;
        };
        let group = attributes.get("resource_group_name").and_then(|g| g.as_str()).map(str::to_ascii_lowercase);
        let candidates: Vec<&&Resource> = by_name
            .get(&(spec.tf_type, name.clone()))
            .into_iter()
            .flatten()
            .filter(|r| {
                let live_group = r.attributes.get("resource_group_name").and_then(|g| g.as_str());
                group.as_deref().is_none_or(|g| live_group.is_none_or(|l| l.eq_ignore_ascii_case(g)))
            })
            .collect();
        match candidates.as_slice() {
            [] => {}
            [r] => {
                d.id = r.id.clone();
                d.account = r.account.clone();
                d.region = r.region.clone();
            }
            several => {
                let ids: Vec<&str> = several.iter().map(|r| r.id.as_str()).collect();
                warnings.push(not_compared(
                    d,
                    format!("{} live {} are named {name:?} ({})", ids.len(), d.tf_type, ids.join(", ")),
                ));
            }
        }
    }
    warnings
}
