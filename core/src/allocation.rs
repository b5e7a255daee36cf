//! Cost allocation: which team (and cost centre, customer…) a resource's cost belongs
//! to, by its tags. The tags are configured (`[cost_allocation] tags`, default `team`),
//! each with the other spellings the fleet uses (`Team`, `squad`); the first tag is the
//! team, which reports roll costs up by. A resource with none of a tag's spellings is
//! `untagged` for that tag.

use crate::compare::OwnedCapacity;
use crate::cost::round_cents;
use crate::model::{Finding, FindingKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The name of the share of resources that carry no spelling of a tag.
pub const UNTAGGED: &str = "untagged";

/// The cost-allocation tags and their spellings.
#[derive(Debug, Clone, PartialEq)]
pub struct CostAllocation {
    /// Each tag (as configured) and the keys that spell it, lowercase, itself first.
    tags: Vec<(String, Vec<String>)>,
}

impl Default for CostAllocation {
    fn default() -> Self {
        CostAllocation::new(&["team".to_string()], &BTreeMap::new())
    }
}

impl CostAllocation {
    /// `tags` in order (the first is the team); `aliases`: other keys per tag.
    pub fn new(tags: &[String], aliases: &BTreeMap<String, Vec<String>>) -> CostAllocation {
        let tags = tags
            .iter()
            .map(|t| {
                let mut keys = vec![t.to_ascii_lowercase()];
                keys.extend(aliases.get(t).into_iter().flatten().map(|a| a.to_ascii_lowercase()));
                (t.clone(), keys)
            })
            .collect();
        CostAllocation { tags }
    }

    /// The tag that names a resource's team.
    pub fn team_tag(&self) -> &str {
        self.tags.first().map_or("team", |(t, _)| t.as_str())
    }

    /// Each configured tag a resource carries (under any spelling, keys compared without
    /// case), with its value as written; the first spelling found wins.
    pub fn of(&self, resource_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        self.of_shown(resource_tags, &|_| false)
    }

    /// As [`CostAllocation::of`], without the tags `hidden` says are sensitive (by key as
    /// written): a sensitive value is never a team name in a report.
    pub fn of_shown(
        &self,
        resource_tags: &BTreeMap<String, String>,
        hidden: &dyn Fn(&str) -> bool,
    ) -> BTreeMap<String, String> {
        let lower: BTreeMap<String, &String> =
            resource_tags.iter().filter(|(k, _)| !hidden(k)).map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let mut out = BTreeMap::new();
        for (tag, keys) in &self.tags {
            let value = keys.iter().find_map(|k| lower.get(k)).map(|v| v.trim()).filter(|v| !v.is_empty());
            if let Some(v) = value {
                out.insert(tag.clone(), v.to_string());
            }
        }
        out
    }

    /// Every finding's and owner's team and tags, from their resources' tags; `hidden`
    /// says which tag keys of a finding's resource its declaration marks sensitive.
    pub fn assign(
        &self,
        findings: &mut [Finding],
        orchestrated: &mut [OwnedCapacity],
        hidden: &dyn Fn(&Finding, &str) -> bool,
    ) {
        for f in findings {
            let tags = self.of_shown(&f.resource.tags, &|k| hidden(f, k));
            f.resource.team = tags.get(self.team_tag()).cloned();
            f.resource.cost_allocation = tags;
        }
        for o in orchestrated {
            let tags = self.of(&o.tags);
            o.team = tags.get(self.team_tag()).cloned();
            o.cost_allocation = tags;
        }
    }

    /// Costs per value of every tag (the team's first), from findings and owners whose
    /// tags were assigned.
    pub fn roll_up(
        &self,
        findings: &[Finding],
        orchestrated: &[OwnedCapacity],
        other_tool: &HashSet<String>,
    ) -> BTreeMap<String, Vec<TeamCost>> {
        self.tags.iter().map(|(tag, _)| (tag.clone(), roll_up(tag, findings, orchestrated, other_tool))).collect()
    }
}

/// What one team (one value of a cost-allocation tag) is answerable for, per hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamCost {
    /// The tag's value, or `untagged`.
    pub name: String,
    pub findings: usize,
    /// Sum of its findings' known hourly deltas (as `cost_delta_per_hour_usd`).
    pub drift_cost_per_hour_usd: f64,
    /// Its unmanaged (shadow) capacity: what no state declares and no other tool manages.
    pub unmanaged_cost_per_hour_usd: f64,
    /// What the owners tagged with it run (auto scaling groups, node groups, Karpenter).
    pub orchestrated_cost_per_hour_usd: f64,
    /// Its share of capacity paid for and idle (priced policy findings: reservations).
    pub idle_capacity_cost_per_hour_usd: f64,
}

impl TeamCost {
    /// A team with nothing yet.
    pub fn named(name: impl Into<String>) -> TeamCost {
        TeamCost {
            name: name.into(),
            findings: 0,
            drift_cost_per_hour_usd: 0.0,
            unmanaged_cost_per_hour_usd: 0.0,
            orchestrated_cost_per_hour_usd: 0.0,
            idle_capacity_cost_per_hour_usd: 0.0,
        }
    }

    /// Its capacity: unmanaged, orchestrated and idle, per hour.
    pub fn capacity_per_hour_usd(&self) -> f64 {
        self.unmanaged_cost_per_hour_usd + self.orchestrated_cost_per_hour_usd + self.idle_capacity_cost_per_hour_usd
    }

    /// Adds another's figures (the same team in another target).
    pub fn add(&mut self, other: &TeamCost) {
        self.findings += other.findings;
        self.drift_cost_per_hour_usd += other.drift_cost_per_hour_usd;
        self.unmanaged_cost_per_hour_usd += other.unmanaged_cost_per_hour_usd;
        self.orchestrated_cost_per_hour_usd += other.orchestrated_cost_per_hour_usd;
        self.idle_capacity_cost_per_hour_usd += other.idle_capacity_cost_per_hour_usd;
    }
}

/// Teams by name, `untagged` last: where to look first is a team's own row.
pub fn sort_teams(teams: &mut [TeamCost]) {
    teams.sort_by(|a, b| (a.name == UNTAGGED, &a.name).cmp(&(b.name == UNTAGGED, &b.name)));
}

fn roll_up(
    tag: &str,
    findings: &[Finding],
    orchestrated: &[OwnedCapacity],
    other_tool: &HashSet<String>,
) -> Vec<TeamCost> {
    let mut teams: BTreeMap<String, TeamCost> = BTreeMap::new();
    fn team<'t>(teams: &'t mut BTreeMap<String, TeamCost>, name: Option<&String>) -> &'t mut TeamCost {
        let name = name.map_or(UNTAGGED, String::as_str).to_string();
        teams.entry(name.clone()).or_insert_with(|| TeamCost::named(name))
    }
    for f in findings {
        let t = team(&mut teams, f.resource.cost_allocation.get(tag));
        t.findings += 1;
        if let Some(cost) = &f.cost {
            t.drift_cost_per_hour_usd += cost.delta_per_hour_usd.unwrap_or(0.0);
            if f.kind == FindingKind::Unmanaged && !other_tool.contains(&f.id) {
                t.unmanaged_cost_per_hour_usd += cost.live_per_hour_usd.unwrap_or(0.0);
            }
            if f.kind == FindingKind::Violation {
                t.idle_capacity_cost_per_hour_usd += cost.live_per_hour_usd.unwrap_or(0.0);
            }
        }
    }
    for o in orchestrated {
        let t = team(&mut teams, o.cost_allocation.get(tag));
        t.orchestrated_cost_per_hour_usd += o.cost_per_hour_usd.unwrap_or(0.0);
    }
    let mut out: Vec<TeamCost> = teams
        .into_values()
        .map(|mut t| {
            t.drift_cost_per_hour_usd = round_cents(t.drift_cost_per_hour_usd);
            t.unmanaged_cost_per_hour_usd = round_cents(t.unmanaged_cost_per_hour_usd);
            t.orchestrated_cost_per_hour_usd = round_cents(t.orchestrated_cost_per_hour_usd);
            t.idle_capacity_cost_per_hour_usd = round_cents(t.idle_capacity_cost_per_hour_usd);
            t
        })
        .collect();
    sort_teams(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn tags_are_found_under_any_spelling_the_first_configured_winning() {
        let aliases = BTreeMap::from([("team".to_string(), vec!["squad".to_string(), "owner-team".to_string()])]);
        let a = CostAllocation::new(&["team".into(), "cost-center".into()], &aliases);
        assert_eq!(a.team_tag(), "team");
        assert_eq!(a.of(&tags(&[("Team", "ml"), ("squad", "other")]))["team"], "ml");
        assert_eq!(a.of(&tags(&[("SQUAD", "infer")]))["team"], "infer");
        assert_eq!(a.of(&tags(&[("Cost-Center", "cc-7")]))["cost-center"], "cc-7");
        assert!(a.of(&tags(&[("team", " ")])).is_empty(), "a blank value is no team");
        assert!(a.of(&tags(&[("owner", "raj")])).is_empty());
    }
}
