//! `aws_autoscaling_group`
//!
//! ## What drifts
//! Desired, minimum or maximum capacity changed by hand, another launch template
//! version pinned, other instance types in a mixed instances policy.
//!
//! ## Why it matters
//! `desired_capacity` times a p5's price is the hourly bill: one click from 2 to 16
//! GPU nodes is $770/h more. The group's instances belong to it and are never unmanaged.
//!
//! ## Owners
//! EKS makes one group per managed node group (`eks-<group>-<uuid>`, tagged
//! `eks:cluster-name` + `eks:nodegroup-name`): it belongs to the node group.
//! Where each tag name was confirmed: `owners.rs`.

use crate::aws::events::AUTOSCALING;
use crate::aws::owners::{BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME, BY_EKS_NODE_GROUP, BY_PARALLELCLUSTER};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, EventRule, NameRule, Norm, TypeSpec};

/// Where Auto Scaling's records name the group (its name is its id).
const GROUP: &str = "requestParameters.autoScalingGroupName";

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_autoscaling_group",
    cloud: Cloud::Aws,
    doc: "Auto scaling groups resized, repointed to another launch template version or other instance types outside Terraform.",
    compared: &[
        Attr::new("desired_capacity", High),
        Attr::new("min_size", Medium),
        Attr::new("max_size", Medium),
        Attr::new("launch_template.0.id", High),
        Attr::new("launch_template.0.version", Medium),
        Attr::new("mixed_instances_policy.0.launch_template.0.override", High).norms(&[Norm::Set]),
        Attr::new("vpc_zone_identifier", Medium).norms(&[Norm::Set]),
        Attr::new("tag", Low).norms(&[Norm::DropAwsPrefixed, Norm::Set]),
    ],
    computed_only: &["arn", "id", "instances", "predicted_capacity", "warm_pool_size"],
    // Priced by the first override's instance type; a group on a plain launch template has
    // its instances priced one by one instead (they are listed as aws_instance).
    cost: Some(CostRule {
        size_attr: "mixed_instances_policy.0.launch_template.0.override.0.instance_type",
        count_attr: Some("desired_capacity"),
        idle_when: None,
        spot_when: None,
    }),
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("desired_capacity", "GPU capacity (desired_capacity) changed outside Terraform"),
        ("mixed_instances_policy.0.launch_template.0.override", "instance types changed outside Terraform"),
        ("launch_template.0.id", "launch template changed outside Terraform"),
    ],
    owners: &[BY_EKS_NODE_GROUP, BY_PARALLELCLUSTER, BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[],
    gpu_facts_from: None,
    events: &[
        EventRule { source: AUTOSCALING, name: "CreateAutoScalingGroup", ids: &[GROUP], prefix: "" },
        EventRule { source: AUTOSCALING, name: "UpdateAutoScalingGroup", ids: &[GROUP], prefix: "" },
        EventRule { source: AUTOSCALING, name: "SetDesiredCapacity", ids: &[GROUP], prefix: "" },
        EventRule { source: AUTOSCALING, name: "DeleteAutoScalingGroup", ids: &[GROUP], prefix: "" },
    ],
};

#[cfg(feature = "aws")]
pub use lister::{list, to_resource};

/// DescribeAutoScalingGroups, 100 per page.
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{resource, s};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_autoscaling::types::AutoScalingGroup;
    use driftd_core::model::Resource;
    use serde_json::json;

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let mut out = Vec::new();
        let mut request = cx.autoscaling.describe_auto_scaling_groups().max_records(100);
        // A re-read after an event: those groups by name (a name deleted since is simply
        // not returned).
        if let Some(names) = cx.only(super::SPEC.tf_type) {
            request = request.set_auto_scaling_group_names(Some(names.to_vec()));
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                ListError::from_sdk("autoscaling:DescribeAutoScalingGroups", &cx.region, &cx.autoscaling_endpoint, e)
            })?;
            out.extend(page.auto_scaling_groups().iter().map(|g| to_resource(&cx.account, &cx.region, g)));
        }
        Ok(out)
    }

    /// A group in Terraform's `aws_autoscaling_group` shape. Every tag is kept (`aws:` ones
    /// too, for owner rules); the comparison drops `aws:` tags.
    pub fn to_resource(account: &str, region: &str, g: &AutoScalingGroup) -> Resource {
        let name = g.auto_scaling_group_name().unwrap_or_default().to_string();
        let lt = g.launch_template().map(|t| {
            vec![json!({"id": s(t.launch_template_id()), "name": s(t.launch_template_name()), "version": s(t.version())})]
        });
        let mixed = g.mixed_instances_policy().map(|m| {
            let spec = m.launch_template().and_then(|l| l.launch_template_specification());
            let overrides: Vec<_> = m
                .launch_template()
                .map(|l| l.overrides())
                .unwrap_or_default()
                .iter()
                .map(|o| json!({"instance_type": s(o.instance_type()), "weighted_capacity": s(o.weighted_capacity())}))
                .collect();
            vec![json!({"launch_template": [{
                "launch_template_specification": [{"launch_template_id": s(spec.and_then(|x| x.launch_template_id())), "version": s(spec.and_then(|x| x.version()))}],
                "override": overrides,
            }]})]
        });
        let subnets: Vec<&str> =
            g.vpc_zone_identifier().unwrap_or("").split(',').map(str::trim).filter(|x| !x.is_empty()).collect();
        let tag: Vec<_> = g
            .tags()
            .iter()
            .map(|t| json!({"key": s(t.key()), "value": s(t.value()), "propagate_at_launch": t.propagate_at_launch().unwrap_or(false)}))
            .collect();
        resource(
            account,
            region,
            "aws_autoscaling_group",
            name.clone(),
            Some(name.clone()),
            json!({
                "id": name,
                "name": name,
                "arn": s(g.auto_scaling_group_arn()),
                "desired_capacity": g.desired_capacity(),
                "min_size": g.min_size(),
                "max_size": g.max_size(),
                "launch_template": lt.unwrap_or_default(),
                "mixed_instances_policy": mixed.unwrap_or_default(),
                "vpc_zone_identifier": subnets,
                "availability_zones": g.availability_zones().to_vec(),
                "placement_group": s(g.placement_group()),
                "tag": tag,
                "instances": g.instances().iter().filter_map(|i| i.instance_id()).collect::<Vec<_>>(),
            }),
        )
    }
}
