//! One constructor per kind of finding: changed, missing, unmanaged, another tool's, and
//! an owner's unit of capacity.

use super::owners::unit_size;
use super::*;

/// `decl`: the declaration it is managed by, which names its address and root module.
pub(super) fn finding_resource(spec: &TypeSpec, r: &Resource, decl: Option<&DeclaredResource>) -> FindingResource {
    FindingResource {
        tf_type: r.tf_type.clone(),
        id: r.id.clone(),
        address: decl.map(|d| d.address.clone()),
        root_module: decl.and_then(|d| d.root_module.clone()),
        provider: r.provider,
        account: r.account.clone(),
        region: r.region.clone(),
        name: r.name.clone().or_else(|| spec.name.name_of(&r.attributes)),
        team: None,
        cost_allocation: Default::default(),
        tags: crate::model::tags_of(&r.attributes),
    }
}

/// A cost from the declared and live prices (each with its basis); the live price's
/// basis is the one shown, else the declared one's.
pub(super) fn cost(declared: Option<Priced>, live: Option<Priced>) -> Cost {
    let (declared, declared_basis) = declared.map_or((None, None), |(c, b)| (Some(c), b));
    let (live, live_basis) = live.map_or((None, None), |(c, b)| (Some(c), b));
    let delta = match (declared, live) {
        (Some(d), Some(l)) => Some(round_cents(l - d)),
        _ => None,
    };
    Cost {
        declared_per_hour_usd: declared,
        live_per_hour_usd: live,
        delta_per_hour_usd: delta,
        price: live_basis.or(declared_basis),
    }
}

/// A cost and the price behind it.
pub(super) type Priced = (f64, Option<crate::cost::PriceBasis>);

/// Nothing runs: zero, with no price behind it.
pub(super) const NOTHING: Option<Priced> = Some((0.0, None));

fn priced(prices: &PriceTable, spec: &TypeSpec, r: &Resource) -> Option<Priced> {
    prices.priced(spec, r.provider, r.region.as_deref(), &r.attributes)
}

/// `absorbed`: entries that rule resources add to the declaration (`ingress` blocks).
pub(super) fn changed_finding(
    spec: &TypeSpec,
    decl: &DeclaredResource,
    live: &Resource,
    input: &Input,
    absorbed: Option<&Vec<(&'static str, Value)>>,
) -> Option<Finding> {
    let prices = input.prices;
    let ignore = input.ignore;
    let mut declared = decl.attributes.parse();
    for (path, entry) in absorbed.into_iter().flatten() {
        path::push(&mut declared, path, entry.clone());
    }
    // Per attribute: a resource-level line covers each attribute, and a later
    // `!TYPE.ID.attr` line can take one back.
    let mut diffs = diff(spec, decl, &declared, &live.attributes);
    diffs.retain(|(c, _)| !ignore.ignores(live.provider, &live.tf_type, &live.id, Some(&c.path)));
    let (first, severity) = diffs.iter().max_by_key(|(_, s)| *s).map(|(c, s)| (c.path.clone(), *s))?;
    // The first change of the highest severity names the finding.
    let first = diffs.iter().find(|(_, s)| *s == severity).map(|(c, _)| c.path.clone()).unwrap_or(first);
    let changes: Vec<Change> = diffs.into_iter().map(|(c, _)| c).collect();
    let mut resource = finding_resource(spec, live, Some(decl));
    resource.account = live.account.clone().or_else(|| decl.account.clone());
    resource.region = live.region.clone().or_else(|| decl.region.clone());
    let region = live.region.as_deref().or(decl.region.as_deref());
    let cost =
        spec.cost.map(|_| cost(prices.priced(spec, decl.provider, region, &declared), priced(prices, spec, live)));
    Some(Finding {
        changed_by: None,
        id: Finding::fingerprint(FindingKind::Changed, live.provider, &live.tf_type, &live.id, None),
        kind: FindingKind::Changed,
        severity,
        remediation: remediation::changed(&decl.address, &live.tf_type, &live.id, &changes)
            .with_lifecycle(decl.prevent_destroy, decl.create_before_destroy)
            .in_root_module(decl.root_module.as_deref()),
        message: spec.change_message(&first),
        resource,
        changes: Some(changes),
        policy: None,
        declared_at: decl.declared_at.clone(),
        cost,
    })
}

pub(super) fn missing_finding(spec: &TypeSpec, decl: &DeclaredResource, prices: &PriceTable) -> Finding {
    let r = &decl.to_resource();
    let cost = spec.cost.map(|_| cost(priced(prices, spec, r), NOTHING));
    Finding { changed_by: None,
        id: Finding::fingerprint(FindingKind::Missing, r.provider, &r.tf_type, &r.id, None),
        kind: FindingKind::Missing,
        severity: spec.missing,
        resource: finding_resource(spec, r, Some(decl)),
        changes: None,
        policy: None,
        declared_at: decl.declared_at.clone(),
        cost,
        message: match decl.from_code {
            // Without a state nothing says it was ever applied.
            true => format!(
                "declared in code, but no live {} has its name in the scanned scope (not applied yet, renamed, or deleted)",
                spec.tf_type
            ),
            false => format!("declared {} no longer exists (deleted outside Terraform)", spec.tf_type),
        },
        remediation: remediation::missing(&decl.address, &r.tf_type, &r.id).in_root_module(decl.root_module.as_deref()),
    }
}

pub(super) fn unmanaged_finding(spec: &TypeSpec, r: &Resource, prices: &PriceTable) -> Finding {
    let cost = spec.cost.map(|_| cost(NOTHING, priced(prices, spec, r)));
    let resource = finding_resource(spec, r, None);
    Finding {
        changed_by: None,
        id: Finding::fingerprint(FindingKind::Unmanaged, r.provider, &r.tf_type, &r.id, None),
        kind: FindingKind::Unmanaged,
        severity: spec.unmanaged,
        changes: None,
        policy: None,
        declared_at: None,
        cost,
        message: format!("{} is in no Terraform state (created outside Terraform)", spec.tf_type),
        remediation: remediation::unmanaged(&r.tf_type, &r.id, resource.name.as_deref()),
        resource,
    }
}

/// A resource another tool (CloudFormation) manages: low severity, never shadow capacity.
pub(super) fn other_tool_finding(
    spec: &TypeSpec,
    r: &Resource,
    owner: &Owner,
    owner_id: &str,
    prices: &PriceTable,
) -> Finding {
    let cost = spec.cost.map(|_| cost(NOTHING, priced(prices, spec, r)));
    let resource = finding_resource(spec, r, None);
    Finding {
        changed_by: None,
        id: Finding::fingerprint(FindingKind::Unmanaged, r.provider, &r.tf_type, &r.id, None),
        kind: FindingKind::Unmanaged,
        severity: Severity::Low,
        changes: None,
        policy: None,
        declared_at: None,
        cost,
        message: format!("{} is managed by {} {owner_id}, not by Terraform", spec.tf_type, owner.label),
        remediation: remediation::other_tool(&r.tf_type, &r.id, owner.label, owner_id),
        resource,
    }
}

/// An owner no state declares, whose type driftd does not list or that was not seen
/// (a fleet, an auto scaling group of a skipped type): one finding for all it owns.
pub(super) fn unit_finding(tf_type: &str, unit: &Unit) -> Finding {
    let resource = FindingResource {
        tf_type: tf_type.to_string(),
        id: unit.id.clone(),
        address: None,
        root_module: None,
        provider: unit.provider,
        account: unit.account.clone(),
        region: unit.region.clone(),
        name: None,
        team: None,
        cost_allocation: Default::default(),
        tags: unit.tags.clone(),
    };
    Finding {
        changed_by: None,
        id: Finding::fingerprint(FindingKind::Unmanaged, unit.provider, tf_type, &unit.id, None),
        kind: FindingKind::Unmanaged,
        severity: unit.severity,
        changes: None,
        policy: None,
        declared_at: None,
        cost: Some(cost(NOTHING, unit.cost.map(|c| (round_cents(c), unit.price.clone())))),
        message: format!("{} {} is in no Terraform state ({})", unit.owner.label, unit.id, unit_size(unit)),
        remediation: remediation::unmanaged(tf_type, &unit.id, None),
        resource,
    }
}
