//! Who created a live resource, when Terraform did not: an auto scaling group, an EKS
//! node group, Karpenter, a fleet, CloudFormation. Each type's spec lists the rules
//! (tags or names) that mark its resources as made by an owner
//! ([`crate::spec::TypeSpec::owners`]); [`owner_of`] applies them, and the comparer is
//! the one place that decides what an owned resource means for the report.

use crate::model::{OwnerRef, Resource};
use crate::spec::TypeSpec;
use serde_json::Value;

/// What an owner is, which decides how its resources are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// A Terraform resource type (`aws_autoscaling_group`, `aws_ec2_fleet`): its
    /// resources are managed when some state declares the owner; an undeclared owner is
    /// one `unmanaged` finding carrying the cost of everything it owns.
    Terraform,
    /// An orchestrator whose units are not cloud resources (a Karpenter NodePool is a
    /// Kubernetes object): never unmanaged; its capacity shows in the summary.
    Orchestrator,
    /// Another infrastructure-as-code tool (CloudFormation): each resource it owns is
    /// reported once, low severity, as managed elsewhere, never as shadow capacity,
    /// unless Terraform declares the owner itself (an `aws_cloudformation_stack`).
    OtherTool,
    /// Made by the cloud together with its parent (a VPC's default security group):
    /// follows the parent, never reported.
    Parent,
}

/// An owner type: what owns, and how it is reported.
#[derive(Debug)]
pub struct Owner {
    /// A Terraform type where there is one (`aws_eks_node_group`), else driftd's own
    /// name for the unit (`karpenter_nodepool`).
    pub tf_type: &'static str,
    /// How people call it, for messages: "EKS node group".
    pub label: &'static str,
    pub kind: OwnerKind,
}

/// When a resource counts as made by an owner.
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// Every one of these tags is set and not empty.
    Tags(&'static [&'static str]),
    /// A plain attribute has this value (`name` = `default`).
    AttrEquals(&'static str, &'static str),
    /// A plain attribute is set and not empty: an id the API gives (an Azure VM's
    /// `virtual_machine_scale_set_id`).
    AttrSet(&'static str),
    /// The scan itself names the owner on the resource (`Resource::owner`), from what it
    /// joins across listings; the text says how. Listed for the docs: it never matches
    /// attributes.
    FromScan(&'static str),
}

/// One ownership rule of a type: a match, the owner, and how the owner's id is built.
#[derive(Debug, Clone, Copy)]
pub struct OwnerRule {
    pub owner: &'static Owner,
    pub when: Match,
    /// The owner's id, as its Terraform id where it has one: `{tag}` is a tag's value,
    /// `{@attr}` an attribute's (`{eks:cluster-name}:{eks:nodegroup-name}`).
    pub id: &'static str,
}

impl OwnerRule {
    /// The owner this rule gives `attributes`, if it matches.
    pub fn apply(&self, attributes: &Value) -> Option<OwnerRef> {
        let matched = match self.when {
            Match::Tags(keys) => keys.iter().all(|k| tag(attributes, k).is_some()),
            Match::AttrEquals(attr, value) => attributes.get(attr).and_then(Value::as_str) == Some(value),
            Match::AttrSet(attr) => attributes.get(attr).and_then(Value::as_str).is_some_and(|s| !s.is_empty()),
            Match::FromScan(_) => false,
        };
        if !matched {
            return None;
        }
        let id = expand(self.id, attributes)?;
        Some(OwnerRef { tf_type: self.owner.tf_type.to_string(), id })
    }

    /// The rule in words, for `docs/types.md`.
    pub fn describe(&self) -> String {
        let when = match self.when {
            Match::Tags(keys) => {
                format!("tags {}", keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" + "))
            }
            Match::AttrEquals(attr, value) => format!("`{attr}` = `{value}`"),
            Match::AttrSet(attr) => format!("`{attr}` set"),
            Match::FromScan(how) => how.to_string(),
        };
        format!("{when} → {} `{}`", self.owner.label, self.id)
    }
}

/// The first owner rule of `spec` that matches `r`. The snapshot's own `owner` (a
/// provider may know it from the API rather than from tags) takes the place of the
/// `FromScan` rule naming its owner type, so the rules' order still decides; an owner no
/// rule names wins outright.
pub fn owner_of(spec: &TypeSpec, r: &Resource) -> Option<OwnerRef> {
    let from_scan = |rule: &OwnerRule| {
        matches!(rule.when, Match::FromScan(_)).then(|| r.owner.clone().filter(|o| o.tf_type == rule.owner.tf_type))
    };
    if let Some(own) = &r.owner {
        if !spec.owners.iter().any(|rule| from_scan(rule).flatten().is_some()) {
            return Some(own.clone());
        }
    }
    spec.owners.iter().find_map(|rule| from_scan(rule).unwrap_or_else(|| rule.apply(&r.attributes)))
}

/// A tag's value, from Terraform's `tags` map or from an auto scaling group's `tag`
/// list of `{key, value}` blocks; empty counts as unset.
pub fn tag<'a>(attributes: &'a Value, key: &str) -> Option<&'a str> {
    let v = match attributes.get("tags") {
        Some(Value::Object(map)) => map.get(key),
        _ => None,
    };
    let v = v.or_else(|| {
        attributes
            .get("tag")?
            .as_array()?
            .iter()
            .find(|t| t.get("key").and_then(Value::as_str) == Some(key))?
            .get("value")
    });
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `{tag}` and `{@attr}` placeholders filled in; `None` when one is unset.
fn expand(template: &str, attributes: &Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}')?;
        let name = &rest[start + 1..end];
        let value = match name.strip_prefix('@') {
            Some(attr) => attributes.get(attr).and_then(Value::as_str).filter(|s| !s.is_empty()),
            None => tag(attributes, name),
        }?;
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static GROUP: Owner = Owner { tf_type: "aws_eks_node_group", label: "EKS node group", kind: OwnerKind::Terraform };
    static VPC: Owner = Owner { tf_type: "aws_vpc", label: "VPC", kind: OwnerKind::Parent };

    #[test]
    fn tags_from_a_map_or_an_asg_tag_list() {
        let map = json!({"tags": {"a": "1", "empty": ""}});
        assert_eq!(tag(&map, "a"), Some("1"));
        assert_eq!(tag(&map, "empty"), None);
        let list = json!({"tag": [{"key": "a", "value": "2", "propagate_at_launch": true}]});
        assert_eq!(tag(&list, "a"), Some("2"));
        assert_eq!(tag(&list, "b"), None);
    }

    #[test]
    fn rule_needs_every_tag_and_builds_the_terraform_id() {
        let rule = OwnerRule {
            owner: &GROUP,
            when: Match::Tags(&["eks:cluster-name", "eks:nodegroup-name"]),
            id: "{eks:cluster-name}:{eks:nodegroup-name}",
        };
        let both = json!({"tags": {"eks:cluster-name": "ml", "eks:nodegroup-name": "gpu"}});
        assert_eq!(rule.apply(&both), Some(OwnerRef { tf_type: "aws_eks_node_group".into(), id: "ml:gpu".into() }));
        assert_eq!(rule.apply(&json!({"tags": {"eks:cluster-name": "ml"}})), None);
        let by_name = OwnerRule { owner: &VPC, when: Match::AttrEquals("name", "default"), id: "{@vpc_id}" };
        assert_eq!(by_name.apply(&json!({"name": "default", "vpc_id": "vpc-1"})).unwrap().id, "vpc-1");
        assert_eq!(by_name.apply(&json!({"name": "gpu", "vpc_id": "vpc-1"})), None);
    }
}
