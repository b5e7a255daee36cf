//! `aws_security_group`
//!
//! ## What drifts
//! Rules added in the console ("just open 22 for a minute"), rules removed, tags.
//!
//! ## Why it matters
//! A group attached to GPU nodes that opens SSH or Jupyter to the internet is how
//! GPU fleets end up mining someone else's coin.
//!
//! ## Shape
//! Rules are compared as Terraform's `ingress`/`egress` blocks, one rule per source
//! (a CIDR, an IPv6 CIDR, a prefix list, a peer group or `self`) however the blocks group
//! them. Rules declared as resources of their own (`aws_security_group_rule`,
//! `aws_vpc_security_group_ingress_rule`, `aws_vpc_security_group_egress_rule`) count as
//! declared by the group they name: with them, the group's own state holds
//! `ingress = []` and `egress = []` (as the weka EKS state in testdata/real-state shows),
//! and a live rule is drift only when neither the group nor any rule resource declares it.
//!
//! ## Owners
//! A VPC's `default` group belongs to the VPC; the cluster group EKS makes
//! (`aws:eks:cluster-name`) to the cluster.
//! Where each tag name was confirmed: `owners.rs`.

use crate::aws::events::{EC2, TAGGED};
use crate::aws::owners::{
    BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME, BY_EKS_CLUSTER, BY_PARALLELCLUSTER, BY_VPC_DEFAULT,
};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Absorb, Attr, EventRule, NameRule, Norm, TypeSpec};
use serde_json::{json, Value};

/// The group a rule change names.
const GROUP: &str = "requestParameters.groupId";

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_security_group",
    cloud: Cloud::Aws,
    doc: "Security group rules added or removed outside Terraform.",
    compared: &[
        Attr::new("ingress", High).norms(&[Norm::RuleSources]),
        Attr::new("egress", Medium).norms(&[Norm::RuleSources]),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &["arn", "id", "owner_id", "tags_all"],
    cost: None,
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: Medium,
    change_messages: &[
        ("ingress", "ingress rules changed outside Terraform"),
        ("egress", "egress rules changed outside Terraform"),
    ],
    owners: &[BY_VPC_DEFAULT, BY_EKS_CLUSTER, BY_PARALLELCLUSTER, BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[RULE_RESOURCE, INGRESS_RULE_RESOURCE, EGRESS_RULE_RESOURCE],
    gpu_facts_from: None,
    events: &[
        EventRule { source: EC2, name: "CreateSecurityGroup", ids: &["responseElements.groupId"], prefix: "sg-" },
        EventRule { source: EC2, name: "AuthorizeSecurityGroupIngress", ids: &[GROUP], prefix: "sg-" },
        EventRule { source: EC2, name: "AuthorizeSecurityGroupEgress", ids: &[GROUP], prefix: "sg-" },
        EventRule { source: EC2, name: "RevokeSecurityGroupIngress", ids: &[GROUP], prefix: "sg-" },
        EventRule { source: EC2, name: "RevokeSecurityGroupEgress", ids: &[GROUP], prefix: "sg-" },
        EventRule { source: EC2, name: "CreateTags", ids: &[TAGGED], prefix: "sg-" },
        EventRule { source: EC2, name: "DeleteTags", ids: &[TAGGED], prefix: "sg-" },
    ],
};

/// `aws_security_group_rule`: `type` says ingress or egress; one block of the group's shape.
const RULE_RESOURCE: Absorb =
    Absorb { tf_type: "aws_security_group_rule", parent_id: "security_group_id", entry: rule_entry };
/// `aws_vpc_security_group_ingress_rule` / `_egress_rule` (AWS provider 5): one source each.
const INGRESS_RULE_RESOURCE: Absorb =
    Absorb { tf_type: "aws_vpc_security_group_ingress_rule", parent_id: "security_group_id", entry: vpc_ingress_entry };
const EGRESS_RULE_RESOURCE: Absorb =
    Absorb { tf_type: "aws_vpc_security_group_egress_rule", parent_id: "security_group_id", entry: vpc_egress_entry };

fn strings(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// One inline rule block from a rule resource's fields: `protocol` is the name of its
/// protocol attribute, `peer` its peer group (the group itself reads as `self`).
fn rule_block(a: &Value, protocol: &str, sources: [Vec<Value>; 3], peer: Option<&str>, own: bool) -> Value {
    let [cidrs, v6, prefixes] = sources;
    json!({
        "protocol": a.get(protocol).cloned().unwrap_or(Value::Null),
        "from_port": a.get("from_port").cloned().unwrap_or(Value::Null),
        "to_port": a.get("to_port").cloned().unwrap_or(Value::Null),
        "cidr_blocks": cidrs,
        "ipv6_cidr_blocks": v6,
        "prefix_list_ids": prefixes,
        "security_groups": peer.filter(|_| !own).map(|g| vec![g]).unwrap_or_default(),
        "self": own,
        "description": a.get("description").and_then(Value::as_str).unwrap_or(""),
    })
}

fn rule_entry(a: &Value, group_id: &str) -> Option<(&'static str, Value)> {
    let path = match a.get("type").and_then(Value::as_str)? {
        "ingress" => "ingress",
        "egress" => "egress",
        _ => return None,
    };
    let peer = a.get("source_security_group_id").and_then(Value::as_str).filter(|s| !s.is_empty());
    let own = peer == Some(group_id) || a.get("self").and_then(Value::as_bool) == Some(true);
    let sources = ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"].map(|k| strings(a.get(k)));
    Some((path, rule_block(a, "protocol", sources, peer, own)))
}

fn vpc_rule_entry(path: &'static str, a: &Value, group_id: &str) -> Option<(&'static str, Value)> {
    let one = |k: &str| a.get(k).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())).cloned().into_iter().collect();
    let peer = a.get("referenced_security_group_id").and_then(Value::as_str).filter(|s| !s.is_empty());
    let sources = ["cidr_ipv4", "cidr_ipv6", "prefix_list_id"].map(one);
    Some((path, rule_block(a, "ip_protocol", sources, peer, peer == Some(group_id))))
}

fn vpc_ingress_entry(a: &Value, group_id: &str) -> Option<(&'static str, Value)> {
    vpc_rule_entry("ingress", a, group_id)
}

fn vpc_egress_entry(a: &Value, group_id: &str) -> Option<(&'static str, Value)> {
    vpc_rule_entry("egress", a, group_id)
}

#[cfg(feature = "aws")]
pub use lister::{list, rules, to_resource};

/// DescribeSecurityGroups, 1000 per page.
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{s, tags};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_ec2::types::{IpPermission, SecurityGroup};
    use driftd_core::model::{Cloud, Resource};
    use serde_json::{json, Value};

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let mut out = Vec::new();
        let mut request = cx.ec2.describe_security_groups().max_results(1000);
        // A re-read after an event: a filter, which (unlike `GroupIds`) does not fail for a
        // group deleted since.
        if let Some(ids) = cx.only(super::SPEC.tf_type) {
            request = request
                .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").set_values(Some(ids.to_vec())).build());
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| ListError::from_sdk("ec2:DescribeSecurityGroups", &cx.region, &cx.endpoint, e))?;
            out.extend(page.security_groups().iter().map(|g| to_resource(&cx.account, &cx.region, g)));
        }
        Ok(out)
    }

    /// A group in Terraform's `aws_security_group` shape.
    pub fn to_resource(account: &str, region: &str, g: &SecurityGroup) -> Resource {
        let id = g.group_id().unwrap_or_default().to_string();
        Resource {
            tf_type: "aws_security_group".into(),
            id: id.clone(),
            provider: Cloud::Aws,
            account: Some(account.to_string()),
            region: Some(region.to_string()),
            name: g.group_name().map(str::to_string),
            owner: None,
            gpu: None,
            attributes: json!({
                "id": id,
                "arn": format!("arn:aws:ec2:{region}:{account}:security-group/{id}"),
                "name": s(g.group_name()),
                "description": s(g.description()),
                "vpc_id": s(g.vpc_id()),
                "owner_id": s(g.owner_id()),
                "ingress": rules(&id, g.ip_permissions()),
                "egress": rules(&id, g.ip_permissions_egress()),
                "tags": tags(g.tags().iter().map(|t| (t.key(), t.value()))),
            }),
        }
    }

    /// IpPermissions in Terraform's rule shape, one rule per source with that source's
    /// own description (the API keeps one per CIDR or peer). All-traffic rules have
    /// protocol "-1" and ports 0.
    pub fn rules(group_id: &str, perms: &[IpPermission]) -> Vec<Value> {
        let mut out = Vec::new();
        for p in perms {
            let all = p.ip_protocol() == Some("-1");
            let rule = |kind: &str, source: Value, description: Option<&str>| {
                let mut r = json!({
                    "protocol": p.ip_protocol().unwrap_or("-1"),
                    "from_port": if all { 0 } else { p.from_port().unwrap_or(0) },
                    "to_port": if all { 0 } else { p.to_port().unwrap_or(0) },
                    "cidr_blocks": [],
                    "ipv6_cidr_blocks": [],
                    "prefix_list_ids": [],
                    "security_groups": [],
                    "self": false,
                    "description": description.unwrap_or(""),
                });
                r[kind] = source;
                r
            };
            for r in p.ip_ranges() {
                out.push(rule("cidr_blocks", json!([r.cidr_ip()]), r.description()));
            }
            for r in p.ipv6_ranges() {
                out.push(rule("ipv6_cidr_blocks", json!([r.cidr_ipv6()]), r.description()));
            }
            for r in p.prefix_list_ids() {
                out.push(rule("prefix_list_ids", json!([r.prefix_list_id()]), r.description()));
            }
            for r in p.user_id_group_pairs() {
                match r.group_id() {
                    Some(g) if g == group_id => out.push(rule("self", json!(true), r.description())),
                    g => out.push(rule("security_groups", json!([g]), r.description())),
                }
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::{IpRange, UserIdGroupPair};

        #[test]
        fn permissions_become_terraform_rules() {
            let ssh = IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").description("ssh").build())
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-self").build())
                .build();
            let all = IpPermission::builder().ip_protocol("-1").from_port(-1).to_port(-1).build();
            let got = rules("sg-self", &[ssh, all]);
            let rule = |kind: &str, source: Value, description: &str| {
                let mut r = json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": [],
                                   "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false,
                                   "description": description});
                r[kind] = source;
                r
            };
            assert_eq!(
                got,
                [
                    rule("cidr_blocks", json!(["0.0.0.0/0"]), "ssh"),
                    rule("cidr_blocks", json!(["10.0.0.0/8"]), ""),
                    rule("self", json!(true), ""),
                ],
                "one rule per source; a rule with no source (moto's all-traffic) adds none"
            );
        }
    }
}

#[cfg(test)]
mod rule_resource_tests {
    use super::*;

    #[test]
    fn vpc_rule_resources_become_one_source_blocks() {
        // As the AWS provider 5 writes `aws_vpc_security_group_ingress_rule` in state.
        let ssh = json!({"id": "sgr-0a1", "security_group_id": "sg-1", "ip_protocol": "tcp", "from_port": 22,
                         "to_port": 22, "cidr_ipv4": "10.0.0.0/8", "cidr_ipv6": null, "prefix_list_id": null,
                         "referenced_security_group_id": null, "description": "ssh", "tags": null});
        let (path, block) = vpc_ingress_entry(&ssh, "sg-1").unwrap();
        assert_eq!(path, "ingress");
        assert_eq!(
            block,
            json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"],
                   "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false,
                   "description": "ssh"})
        );
        let own = json!({"security_group_id": "sg-1", "ip_protocol": "-1", "from_port": null, "to_port": null,
                         "referenced_security_group_id": "sg-1"});
        let (path, block) = vpc_egress_entry(&own, "sg-1").unwrap();
        assert_eq!((path, &block["self"], &block["security_groups"]), ("egress", &json!(true), &json!([])));
    }
}
