//! `aws_eks_node_group`
//!
//! ## What drifts
//! A GPU node group scaled, switched between ON_DEMAND and SPOT, given other instance
//! types or another AMI type (GPU vs standard AMI) in the console or with eksctl.
//!
//! ## Why it matters
//! `scaling_config.desired_size` times the instance price is the group's hourly cost;
//! a standard AMI on GPU instances leaves the GPUs without drivers. Its instances belong
//! to it and are never unmanaged.

use crate::aws::events::EKS;
use crate::aws::owners::{BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, EventRule, Lit, NameRule, Norm, TypeSpec};

/// A node group's id is `cluster:nodegroup`: the request's path parameters (the cluster
/// as `name`, or `clusterName`), or the created node group in the response.
const REQUEST_GROUP: &[&str] = &[
    "requestParameters.name+requestParameters.nodegroupName",
    "requestParameters.clusterName+requestParameters.nodegroupName",
];

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_eks_node_group",
    cloud: Cloud::Aws,
    doc:
        "EKS node groups scaled, switched to spot or on-demand, or given other instance or AMI types outside Terraform.",
    compared: &[
        Attr::new("instance_types", High),
        Attr::new("scaling_config.0.desired_size", High),
        Attr::new("scaling_config.0.min_size", Medium),
        Attr::new("scaling_config.0.max_size", Medium),
        Attr::new("capacity_type", Medium).norms(&[Norm::Lowercase]),
        Attr::new("ami_type", Medium).norms(&[Norm::Lowercase]),
        // Terraform writes 0 where the API says nothing (the disk is set by a launch template).
        Attr::new("disk_size", Low).norms(&[Norm::Default(Lit::Int(0))]),
        Attr::new("launch_template.0.id", High),
        Attr::new("launch_template.0.version", Medium),
        Attr::new("subnet_ids", Medium).norms(&[Norm::Set]),
        Attr::new("labels", Low),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &["arn", "id", "status", "resources", "release_version", "version", "tags_all"],
    cost: Some(CostRule {
        size_attr: "instance_types.0",
        count_attr: Some("scaling_config.0.desired_size"),
        idle_when: None,
        spot_when: Some(("capacity_type", &["SPOT"])),
    }),
    name: NameRule::Attr("node_group_name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("scaling_config.0.desired_size", "node group GPU capacity (desired_size) changed outside Terraform"),
        ("instance_types", "node group instance types changed outside Terraform"),
        ("capacity_type", "node group capacity type (spot/on-demand) changed outside Terraform"),
        ("ami_type", "node group AMI type changed outside Terraform"),
    ],
    owners: &[BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[],
    gpu_facts_from: None,
    events: &[
        EventRule {
            source: EKS,
            name: "CreateNodegroup",
            ids: &["responseElements.nodegroup.clusterName+responseElements.nodegroup.nodegroupName"],
            prefix: "",
        },
        EventRule { source: EKS, name: "UpdateNodegroupConfig", ids: REQUEST_GROUP, prefix: "" },
        EventRule { source: EKS, name: "UpdateNodegroupVersion", ids: REQUEST_GROUP, prefix: "" },
        EventRule { source: EKS, name: "DeleteNodegroup", ids: REQUEST_GROUP, prefix: "" },
    ],
};

#[cfg(feature = "aws")]
pub use lister::{list, to_resource};

/// ListClusters, ListNodegroups per cluster, DescribeNodegroup per group (the API has
/// no batch describe). Terraform's id is `cluster:nodegroup`.
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{resource, s};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_eks::types::Nodegroup;
    use driftd_core::model::Resource;
    use serde_json::{json, Map, Value};

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let mut clusters = Vec::new();
        let mut pages = cx.eks.list_clusters().max_results(100).into_paginator().send();
        while let Some(page) = pages.next().await {
            clusters.extend(
                page.map_err(|e| ListError::from_sdk("eks:ListClusters", &cx.region, &cx.eks_endpoint, e))?
                    .clusters()
                    .iter()
                    .cloned(),
            );
        }
        let mut out = Vec::new();
        for cluster in clusters {
            let mut names = Vec::new();
            let mut pages = cx.eks.list_nodegroups().cluster_name(&cluster).max_results(100).into_paginator().send();
            while let Some(page) = pages.next().await {
                names.extend(
                    page.map_err(|e| ListError::from_sdk("eks:ListNodegroups", &cx.region, &cx.eks_endpoint, e))?
                        .nodegroups()
                        .iter()
                        .cloned(),
                );
            }
            for name in names {
                let resp = cx
                    .eks
                    .describe_nodegroup()
                    .cluster_name(&cluster)
                    .nodegroup_name(&name)
                    .send()
                    .await
                    .map_err(|e| ListError::from_sdk("eks:DescribeNodegroup", &cx.region, &cx.eks_endpoint, e))?;
                if let Some(ng) = resp.nodegroup() {
                    out.push(to_resource(&cx.account, &cx.region, &cluster, ng));
                }
            }
        }
        Ok(out)
    }

    /// A node group in Terraform's `aws_eks_node_group` shape; its id is `cluster:name`.
    pub fn to_resource(account: &str, region: &str, cluster: &str, ng: &Nodegroup) -> Resource {
        let name = ng.nodegroup_name().unwrap_or_default().to_string();
        let id = format!("{cluster}:{name}");
        let scaling = ng.scaling_config();
        let map = |m: Option<&std::collections::HashMap<String, String>>| -> Map<String, Value> {
            m.map(|t| t.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect()).unwrap_or_default()
        };
        let launch_template = ng
            .launch_template()
            .map(|t| vec![json!({"id": s(t.id()), "name": s(t.name()), "version": s(t.version())})])
            .unwrap_or_default();
        resource(
            account,
            region,
            "aws_eks_node_group",
            id.clone(),
            Some(name.clone()),
            json!({
                "id": id,
                "arn": s(ng.nodegroup_arn()),
                "cluster_name": cluster,
                "node_group_name": name,
                "instance_types": ng.instance_types(),
                "scaling_config": [{"desired_size": scaling.and_then(|c| c.desired_size()), "min_size": scaling.and_then(|c| c.min_size()), "max_size": scaling.and_then(|c| c.max_size())}],
                "capacity_type": ng.capacity_type().map(|c| c.as_str()).unwrap_or(""),
                "ami_type": ng.ami_type().map(|c| c.as_str()).unwrap_or(""),
                "disk_size": ng.disk_size(),
                "subnet_ids": ng.subnets(),
                "launch_template": launch_template,
                "labels": map(ng.labels()),
                "tags": map(ng.tags()),
                "status": ng.status().map(|c| c.as_str()).unwrap_or(""),
                "release_version": s(ng.release_version()),
                "version": s(ng.version()),
            }),
        )
    }
}
