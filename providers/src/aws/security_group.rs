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
//! Rules are compared as Terraform's `ingress`/`egress` sets: one rule per protocol and
//! port range, with its CIDRs, IPv6 CIDRs, prefix lists, peer groups and `self`.

use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_security_group",
    cloud: Cloud::Aws,
    doc: "Security group rules added or removed outside Terraform.",
    compared: &[
        Attr::new("ingress", High).norms(&[Norm::Set]),
        Attr::new("egress", Medium).norms(&[Norm::Set]),
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
};

#[cfg(feature = "aws")]
pub use lister::{list, rules};

/// DescribeSecurityGroups, 1000 per page.
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{s, tags};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_ec2::types::IpPermission;
    use driftd_core::model::{Cloud, OwnerRef, Resource};
    use serde_json::{json, Value};

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let mut out = Vec::new();
        let mut pages = cx.ec2.describe_security_groups().max_results(1000).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| ListError::from_sdk("ec2:DescribeSecurityGroups", &cx.region, &cx.endpoint, e))?;
            for g in page.security_groups() {
                let id = g.group_id().unwrap_or_default().to_string();
                out.push(Resource {
                    tf_type: "aws_security_group".into(),
                    id: id.clone(),
                    provider: Cloud::Aws,
                    account: Some(cx.account.clone()),
                    region: Some(cx.region.clone()),
                    name: g.group_name().map(str::to_string),
                    // AWS makes a "default" group with every VPC: it belongs to the VPC.
                    owner: (g.group_name() == Some("default")).then(|| OwnerRef {
                        tf_type: "aws_vpc".into(),
                        id: g.vpc_id().unwrap_or_default().to_string(),
                    }),
                    gpu: None,
                    attributes: json!({
                        "id": id,
                        "arn": format!("arn:aws:ec2:{}:{}:security-group/{}", cx.region, cx.account, id),
                        "name": s(g.group_name()),
                        "description": s(g.description()),
                        "vpc_id": s(g.vpc_id()),
                        "owner_id": s(g.owner_id()),
                        "ingress": rules(&id, g.ip_permissions()),
                        "egress": rules(&id, g.ip_permissions_egress()),
                        "tags": tags(g.tags().iter().map(|t| (t.key(), t.value()))),
                    }),
                });
            }
        }
        Ok(out)
    }

    /// IpPermissions in Terraform's rule shape. All-traffic rules have protocol "-1" and
    /// ports 0; lists are sorted so that order never reads as drift.
    pub fn rules(group_id: &str, perms: &[IpPermission]) -> Vec<Value> {
        perms
            .iter()
            .map(|p| {
                let all = p.ip_protocol() == Some("-1");
                let mut cidrs: Vec<&str> = p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect();
                let mut v6: Vec<&str> = p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()).collect();
                let mut prefixes: Vec<&str> = p.prefix_list_ids().iter().filter_map(|r| r.prefix_list_id()).collect();
                let peers: Vec<&str> = p.user_id_group_pairs().iter().filter_map(|r| r.group_id()).collect();
                let mut groups: Vec<&str> = peers.iter().copied().filter(|g| *g != group_id).collect();
                let description = p
                    .ip_ranges()
                    .iter()
                    .filter_map(|r| r.description())
                    .chain(p.ipv6_ranges().iter().filter_map(|r| r.description()))
                    .chain(p.user_id_group_pairs().iter().filter_map(|r| r.description()))
                    .next()
                    .unwrap_or("");
                cidrs.sort();
                v6.sort();
                prefixes.sort();
                groups.sort();
                json!({
                    "protocol": p.ip_protocol().unwrap_or("-1"),
                    "from_port": if all { 0 } else { p.from_port().unwrap_or(0) },
                    "to_port": if all { 0 } else { p.to_port().unwrap_or(0) },
                    "cidr_blocks": cidrs,
                    "ipv6_cidr_blocks": v6,
                    "prefix_list_ids": prefixes,
                    "security_groups": groups,
                    "self": peers.contains(&group_id),
                    "description": description,
                })
            })
            .collect()
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
            assert_eq!(
                got[0],
                json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0", "10.0.0.0/8"],
                       "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": true, "description": "ssh"})
            );
            assert_eq!((got[1]["protocol"].clone(), got[1]["from_port"].clone()), (json!("-1"), json!(0)));
        }
    }
}
