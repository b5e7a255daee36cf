//! `aws_launch_template`
//!
//! ## What drifts
//! A new template version made in the console (another instance type or AMI), IMDSv1
//! turned back on, the default version switched: every instance an ASG or node group
//! launches next gets it.
//!
//! ## Why it matters
//! A template is where a fleet's GPU type and security settings are set once for many
//! nodes; drift here multiplies on the next scale-out.
//!
//! ## Owners
//! EKS node groups (`eks:cluster-name` + `eks:nodegroup-name`), Karpenter
//! (`karpenter.k8s.aws/cluster`), ParallelCluster and CloudFormation create templates too.
//! Where each tag name was confirmed: `owners.rs`.

use crate::aws::events::{EC2, TAGGED};
use crate::aws::owners::{
    BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME, BY_EKS_NODE_GROUP, BY_KARPENTER_CLUSTER, BY_PARALLELCLUSTER,
};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, EventRule, Lit, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_launch_template",
    cloud: Cloud::Aws,
    doc: "Launch templates given a new version (GPU type, AMI, IMDS setting) or a new default outside Terraform.",
    compared: &[
        Attr::new("instance_type", High),
        Attr::new("image_id", Medium),
        Attr::new("metadata_options.0.http_tokens", High)
            .norms(&[Norm::Lowercase, Norm::Default(Lit::Str("optional"))]),
        Attr::new("vpc_security_group_ids", High).norms(&[Norm::Set]),
        Attr::new("iam_instance_profile.0.name", High),
        Attr::new("key_name", Medium),
        Attr::new("default_version", Medium),
        Attr::new("latest_version", Medium),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &["arn", "id", "tags_all"],
    cost: None,
    name: NameRule::Attr("name"),
    missing: Medium,
    unmanaged: Medium,
    change_messages: &[
        ("instance_type", "launch template instance type changed outside Terraform"),
        ("latest_version", "a launch template version was created outside Terraform"),
        ("metadata_options.0.http_tokens", "launch template IMDSv2 requirement changed outside Terraform"),
    ],
    owners: &[BY_EKS_NODE_GROUP, BY_KARPENTER_CLUSTER, BY_PARALLELCLUSTER, BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME],
    absorbs: &[],
    gpu_facts_from: Some("instance_type"),
    // EC2's newer calls wrap their request in `<Call>Request` and their response in
    // `<Call>Response` (the fields of CloudTrail's own index mappings); the response names
    // the template when the request named it by name.
    events: &[
        EventRule {
            source: EC2,
            name: "CreateLaunchTemplate",
            ids: &["responseElements.CreateLaunchTemplateResponse.launchTemplate.launchTemplateId"],
            prefix: "lt-",
        },
        EventRule {
            source: EC2,
            name: "CreateLaunchTemplateVersion",
            ids: &[
                "requestParameters.CreateLaunchTemplateVersionRequest.LaunchTemplateId",
                "responseElements.CreateLaunchTemplateVersionResponse.launchTemplateVersion.launchTemplateId",
            ],
            prefix: "lt-",
        },
        EventRule {
            source: EC2,
            name: "ModifyLaunchTemplate",
            ids: &[
                "requestParameters.ModifyLaunchTemplateRequest.LaunchTemplateId",
                "responseElements.ModifyLaunchTemplateResponse.launchTemplate.launchTemplateId",
            ],
            prefix: "lt-",
        },
        EventRule {
            source: EC2,
            name: "DeleteLaunchTemplate",
            ids: &[
                "requestParameters.DeleteLaunchTemplateRequest.LaunchTemplateId",
                "responseElements.DeleteLaunchTemplateResponse.launchTemplate.launchTemplateId",
            ],
            prefix: "lt-",
        },
        EventRule { source: EC2, name: "CreateTags", ids: &[TAGGED], prefix: "lt-" },
        EventRule { source: EC2, name: "DeleteTags", ids: &[TAGGED], prefix: "lt-" },
    ],
};

#[cfg(feature = "aws")]
pub use lister::{list, to_resource};

/// DescribeLaunchTemplates (names, versions, tags), then the latest version of every
/// template in one paginated DescribeLaunchTemplateVersions (`$Latest`, no ids).
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::util::{s, tags};
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_ec2::types::{LaunchTemplate, ResponseLaunchTemplateData};
    use driftd_core::model::{Cloud, Resource};
    use serde_json::json;
    use std::collections::HashMap;

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let mut templates = Vec::new();
        let mut pages = cx.ec2.describe_launch_templates().max_results(200).into_paginator().send();
        while let Some(page) = pages.next().await {
            templates.extend(
                page.map_err(|e| ListError::from_sdk("ec2:DescribeLaunchTemplates", &cx.region, &cx.endpoint, e))?
                    .launch_templates()
                    .iter()
                    .cloned(),
            );
        }
        if templates.is_empty() {
            return Ok(vec![]);
        }
        let mut latest: HashMap<String, ResponseLaunchTemplateData> = HashMap::new();
        let mut pages =
            cx.ec2.describe_launch_template_versions().versions("$Latest").max_results(200).into_paginator().send();
        while let Some(page) = pages.next().await {
            for v in page
                .map_err(|e| ListError::from_sdk("ec2:DescribeLaunchTemplateVersions", &cx.region, &cx.endpoint, e))?
                .launch_template_versions()
            {
                if let (Some(id), Some(data)) = (v.launch_template_id(), v.launch_template_data()) {
                    latest.insert(id.to_string(), data.clone());
                }
            }
        }
        Ok(templates
            .iter()
            .map(|t| to_resource(&cx.account, &cx.region, t, t.launch_template_id().and_then(|id| latest.get(id))))
            .collect())
    }

    /// A template and its latest version's data in Terraform's `aws_launch_template` shape.
    pub fn to_resource(
        account: &str,
        region: &str,
        t: &LaunchTemplate,
        data: Option<&ResponseLaunchTemplateData>,
    ) -> Resource {
        let id = t.launch_template_id().unwrap_or_default().to_string();
        let itype = data.and_then(|d| d.instance_type()).map(|i| i.as_str().to_string()).unwrap_or_default();
        let meta = data.and_then(|d| d.metadata_options());
        let attributes = json!({
            "id": id,
            "arn": format!("arn:aws:ec2:{region}:{account}:launch-template/{id}"),
            "name": s(t.launch_template_name()),
            "default_version": t.default_version_number(),
            "latest_version": t.latest_version_number(),
            "instance_type": itype,
            "image_id": s(data.and_then(|d| d.image_id())),
            "key_name": s(data.and_then(|d| d.key_name())),
            "vpc_security_group_ids": data.map(|d| d.security_group_ids().to_vec()).unwrap_or_default(),
            "iam_instance_profile": data.and_then(|d| d.iam_instance_profile()).map(|p| vec![json!({"name": s(p.name()), "arn": s(p.arn())})]).unwrap_or_default(),
            "metadata_options": meta.map(|m| vec![json!({
                "http_tokens": m.http_tokens().map(|t| t.as_str()),
                "http_endpoint": m.http_endpoint().map(|t| t.as_str()),
                "http_put_response_hop_limit": m.http_put_response_hop_limit(),
            })]).unwrap_or_default(),
            // EFA and placement, in the provider's block shapes (GPU policies read them).
            "network_interfaces": data.map(|d| d.network_interfaces().iter().map(|n| json!({
                "interface_type": s(n.interface_type()),
                "device_index": n.device_index(),
                "network_card_index": n.network_card_index(),
            })).collect::<Vec<_>>()).unwrap_or_default(),
            "instance_market_options": data.and_then(|d| d.instance_market_options()).map(|m| vec![json!({
                "market_type": m.market_type().map(|t| t.as_str()).unwrap_or(""),
            })]).unwrap_or_default(),
            "placement": data.and_then(|d| d.placement()).map(|p| vec![json!({
                "group_name": s(p.group_name()),
                "availability_zone": s(p.availability_zone()),
            })]).unwrap_or_default(),
            "tags": tags(t.tags().iter().map(|t| (t.key(), t.value()))),
        });
        Resource {
            tf_type: "aws_launch_template".into(),
            name: t.launch_template_name().map(str::to_string),
            id,
            provider: Cloud::Aws,
            account: Some(account.to_string()),
            region: Some(region.to_string()),
            owner: None,
            gpu: None,
            attributes,
        }
    }
}
