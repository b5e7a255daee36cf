//! State and code together: state decides what exists (and is compared with live); the
//! code adds `code_differs` warnings where it says something else: a change made in code
//! and not applied yet, a resource added or removed in code. Only attributes the code
//! sets and knows are compared, normalised per type as live values are.

use super::Evaluated;
use crate::compare;
use crate::model::{DeclaredResource, Warning, WarningKind};
use crate::spec::Registry;
use std::collections::HashMap;

/// At most this many attribute differences are spelled out per resource.
const SHOWN: usize = 4;

/// One `code_differs` warning per resource whose code and state disagree, in state order,
/// then the code's resources the state does not have yet.
pub fn unapplied(state: &[DeclaredResource], evaluated: &[Evaluated], registry: &Registry) -> Vec<Warning> {
    // Only the root modules (or `--tf` directories) whose code was evaluated, and only
    // what that code could expand (not a remote module's resources).
    let trees: HashMap<Option<&str>, &Evaluated> =
        evaluated.iter().map(|e| (e.input.root_module.as_deref(), e)).collect();
    let code: Vec<&DeclaredResource> = evaluated.iter().flat_map(|e| &e.input.resources).collect();
    let by_address: HashMap<(Option<&str>, &str), &DeclaredResource> =
        code.iter().map(|c| ((c.root_module.as_deref(), c.address.as_str()), *c)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for s in state {
        let Some(tree) = trees.get(&s.root_module.as_deref()) else { continue };
        if !tree.covers(&s.address) {
            continue;
        }
        let at = s.declared_at.as_ref().map(|l| format!("{}:{}", l.file, l.line));
        let key = (s.root_module.as_deref(), s.address.as_str());
        let Some(c) = by_address.get(&key) else {
            if registry.get(&s.tf_type).is_some() {
                out.push(Warning::new(
                    WarningKind::CodeDiffers,
                    format!("{}: in the state but no longer in the code (the next apply destroys it)", s.address),
                    at,
                ));
            }
            continue;
        };
        seen.insert(key);
        let Some(spec) = registry.get(&s.tf_type) else { continue };
        // The state's sensitive paths hold for the code's values too.
        let mut code = (*c).clone();
        code.sensitive.clone_from(&s.sensitive);
        let diffs = compare::diff(spec, &code, &code.attributes.parse(), &s.attributes.parse());
        if diffs.is_empty() {
            continue;
        }
        let mut shown: Vec<String> = diffs
            .iter()
            .take(SHOWN)
            .map(|(ch, _)| format!("{}: code {}, state {}", ch.path, ch.declared, ch.live))
            .collect();
        if diffs.len() > SHOWN {
            shown.push(format!("and {} more", diffs.len() - SHOWN));
        }
        out.push(Warning::new(
            WarningKind::CodeDiffers,
            format!("{}: the code differs from the state (a change not applied yet): {}", s.address, shown.join("; ")),
            at,
        ));
    }
    for c in code.into_iter().filter(|c| registry.get(&c.tf_type).is_some()) {
        if !seen.contains(&(c.root_module.as_deref(), c.address.as_str())) {
            out.push(Warning::new(
                WarningKind::CodeDiffers,
                format!("{}: in the code but not in the state (not applied yet)", c.address),
                c.declared_at.as_ref().map(|l| format!("{}:{}", l.file, l.line)),
            ));
        }
    }
    out
}
