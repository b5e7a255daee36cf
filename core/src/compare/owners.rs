//! Owners, after the last live resource: which unit of capacity each live resource
//! belongs to, and whether its outermost owner is declared, another tool's, an
//! orchestrator's, or unmanaged.

use super::*;

impl Comparer<'_> {
    /// Owners, resolved after the last live resource: each unit's resources go to the
    /// outermost owner (instances -> auto scaling group -> EKS node group), which is
    /// declared, is a live resource with its own unmanaged finding, is an orchestrator,
    /// or else becomes one unmanaged finding for the whole unit.
    pub(super) fn resolve_owners(&mut self) -> Vec<OwnedCapacity> {
        let mut roots: HashMap<Key, Unit> = HashMap::new();
        let mut units: Vec<(Key, Unit)> = std::mem::take(&mut self.units).into_iter().collect();
        units.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, unit) in units {
            let mut root = key.clone();
            // Owner chains are short (two links on EKS); the bound only guards a cycle.
            for _ in 0..8 {
                match self.owned_owners.get(&root) {
                    Some(up) => root = up.clone(),
                    None => break,
                }
            }
            match roots.get_mut(&root) {
                Some(total) => {
                    if total.resources == 0 {
                        total.member_type = unit.member_type;
                    }
                    total.resources += unit.resources;
                    total.cost = add(total.cost, unit.cost);
                    if total.price.is_none() {
                        total.price = unit.price;
                    }
                    if total.tags.is_empty() {
                        total.tags = unit.tags;
                    }
                    total.severity = total.severity.max(unit.severity);
                }
                None if root == key => {
                    roots.insert(root, unit);
                }
                None => {
                    // The root is an owner of the unit's owner: name it, keep the totals.
                    let owner = self.input.registry.owner(&root.0).unwrap_or(&UNKNOWN_OWNER);
                    let id = root.1.clone();
                    roots.insert(root, Unit { owner, id, ..unit });
                }
            }
        }
        // Reports list owners in a stable order.
        let mut roots: Vec<(Key, Unit)> = roots.into_iter().collect();
        roots.sort_by(|a, b| a.0.cmp(&b.0));
        let mut orchestrated = Vec::new();
        for (key, unit) in roots {
            let status = if self.declared_owners.contains(&key) {
                OwnerStatus::Declared
            } else if let Some(&(at, status)) = self.owner_findings.get(&key) {
                add_members(&mut self.findings[at], &unit);
                status
            } else {
                match unit.owner.kind {
                    OwnerKind::Orchestrator => OwnerStatus::Orchestrator,
                    OwnerKind::Parent => continue,
                    OwnerKind::OtherTool => OwnerStatus::OtherTool,
                    OwnerKind::Terraform => {
                        self.counts.live_covered += 1;
                        if !self.input.ignore.ignores(unit.provider, &key.0, &unit.id, None) {
                            self.findings.push(unit_finding(&key.0, &unit));
                        }
                        OwnerStatus::Unmanaged
                    }
                }
            };
            if unit.resources == 0 && status != OwnerStatus::Unmanaged {
                continue; // owns structure only (Karpenter's launch templates): nothing to sum
            }
            orchestrated.push(OwnedCapacity {
                tf_type: key.0.clone(),
                id: unit.id.clone(),
                label: unit.owner.label.to_string(),
                provider: unit.provider,
                account: unit.account.clone(),
                region: unit.region.clone(),
                resources: unit.resources,
                cost_per_hour_usd: unit.cost.map(round_cents),
                status,
                team: None,
                cost_allocation: Default::default(),
                tags: unit.tags.clone(),
            });
        }
        orchestrated
    }
}

pub(super) fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// An owner's own finding takes in what it owns: their cost replaces the owner's own
/// estimate (what runs is what bills), and the message says how many.
pub(super) fn add_members(f: &mut Finding, unit: &Unit) {
    if let Some(members) = unit.cost {
        let cost = f.cost.get_or_insert(Cost {
            declared_per_hour_usd: Some(0.0),
            live_per_hour_usd: None,
            delta_per_hour_usd: None,
            price: None,
        });
        cost.live_per_hour_usd = Some(round_cents(members));
        if cost.price.is_none() {
            cost.price.clone_from(&unit.price);
        }
        cost.delta_per_hour_usd = Some(round_cents(members - cost.declared_per_hour_usd.unwrap_or(0.0)));
    }
    f.message = format!("{} ({})", f.message, unit_size(unit));
}

/// "4 aws_instance, $220.16/h".
pub(super) fn unit_size(unit: &Unit) -> String {
    if unit.resources == 0 {
        return "nothing running".to_string();
    }
    match unit.cost {
        Some(c) => format!("{} {}, ${:.2}/h", unit.resources, unit.member_type, c),
        None => format!("{} {}", unit.resources, unit.member_type),
    }
}
