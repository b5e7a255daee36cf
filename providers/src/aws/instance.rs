//! `aws_instance`
//!
//! ## What drifts
//! GPU instances resized, re-tagged, moved to other security groups or put back on
//! IMDSv1 outside Terraform; instances terminated by hand; instances launched by hand.
//!
//! ## Why it matters
//! `instance_type` moves cost by tens of dollars an hour; `http_tokens`, security
//! groups and the instance profile are security controls. Tags carry cost allocation.
//!
//! ## Noise that is not drift
//! Stop/start (`instance_state`), public IP and DNS, volume ids, `aws:`-prefixed tags,
//! default tags (`tags_all`), the order of security group ids, case of enum values.
//!
//! ## Owners
//! Who launches instances besides Terraform, first match wins: EKS node groups
//! (`eks:cluster-name` + `eks:nodegroup-name`), Karpenter (`karpenter.sh/nodepool`,
//! `karpenter.sh/provisioner-name`), ParallelCluster (`parallelcluster:cluster-name`),
//! auto scaling groups (`aws:autoscaling:groupName`), EC2 Fleet (`aws:ec2:fleet-id`), Spot
//! Fleet (`aws:ec2spot:fleet-request-id`), CloudFormation (`aws:cloudformation:stack-id`).
//! Where each tag name was confirmed: `owners.rs`.

use crate::aws::events::{EC2, TAGGED};
use crate::aws::owners::{
    BY_AUTOSCALING_GROUP, BY_CLOUDFORMATION, BY_CLOUDFORMATION_NAME, BY_EC2_FLEET, BY_EKS_NODE_GROUP,
    BY_KARPENTER_NODEPOOL, BY_KARPENTER_PROVISIONER, BY_PARALLELCLUSTER, BY_SPOT_FLEET,
};
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, EventRule, Lit, NameRule, Norm, TypeSpec};

/// Where CloudTrail records the instances a call names (request) or made (response).
const REQUEST_INSTANCES: &str = "requestParameters.instancesSet.items[].instanceId";
const RESPONSE_INSTANCES: &str = "responseElements.instancesSet.items[].instanceId";

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "aws_instance",
    cloud: Cloud::Aws,
    doc: "GPU instances resized, re-tagged, moved between security groups or put back on IMDSv1 outside Terraform.",
    compared: &[
        Attr::new("instance_type", High),
        Attr::new("ami", Medium),
        Attr::new("metadata_options.0.http_tokens", High)
            .norms(&[Norm::Lowercase, Norm::Default(Lit::Str("optional"))]),
        Attr::new("metadata_options.0.http_endpoint", Medium)
            .norms(&[Norm::Lowercase, Norm::Default(Lit::Str("enabled"))]),
        Attr::new("metadata_options.0.http_put_response_hop_limit", Low).norms(&[Norm::Default(Lit::Int(1))]),
        Attr::new("vpc_security_group_ids", High).norms(&[Norm::Set]),
        Attr::new("iam_instance_profile", High),
        Attr::new("subnet_id", Medium),
        Attr::new("key_name", Medium),
        Attr::new("placement_group", Medium),
        Attr::new("tenancy", Low).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("default"))]),
        Attr::new("ebs_optimized", Low),
        Attr::new("monitoring", Low),
        Attr::new("source_dest_check", Low).norms(&[Norm::Default(Lit::Bool(true))]),
        Attr::new("root_block_device.0.encrypted", High),
        Attr::new("root_block_device.0.volume_size", Low),
        Attr::new("root_block_device.0.volume_type", Low).norms(&[Norm::Lowercase]),
        Attr::new("tags", Low).norms(&[Norm::MergeTagsAll, Norm::DropAwsPrefixed]),
    ],
    computed_only: &[
        "arn",
        "id",
        "instance_state",
        "public_ip",
        "public_dns",
        "private_dns",
        "private_ip",
        "primary_network_interface_id",
        "root_block_device.0.volume_id",
        "root_block_device.0.device_name",
        "ebs_block_device",
        "network_interface",
        "outpost_arn",
        "password_data",
        "host_id",
        "cpu_core_count",
        "cpu_threads_per_core",
        "ipv6_addresses",
        "tags_all",
        // Needs one DescribeInstanceAttribute call per instance: not read, not compared.
        "disable_api_termination",
    ],
    cost: Some(CostRule {
        size_attr: "instance_type",
        count_attr: None,
        idle_when: Some(("instance_state", &["stopped", "stopping", "terminated", "shutting-down"])),
        spot_when: Some(("instance_lifecycle", &["spot"])),
    }),
    name: NameRule::Tag("Name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("instance_type", "instance type changed outside Terraform"),
        ("metadata_options.0.http_tokens", "IMDSv2 requirement changed outside Terraform"),
        ("vpc_security_group_ids", "security groups changed outside Terraform"),
        ("iam_instance_profile", "instance profile (IAM role) changed outside Terraform"),
        ("root_block_device.0.encrypted", "root volume encryption changed outside Terraform"),
        ("ami", "AMI changed outside Terraform"),
        ("tags", "tags changed outside Terraform"),
    ],
    owners: &[
        BY_EKS_NODE_GROUP,
        BY_KARPENTER_NODEPOOL,
        BY_KARPENTER_PROVISIONER,
        BY_PARALLELCLUSTER,
        BY_AUTOSCALING_GROUP,
        BY_EC2_FLEET,
        BY_SPOT_FLEET,
        BY_CLOUDFORMATION,
        BY_CLOUDFORMATION_NAME,
    ],
    absorbs: &[],
    gpu_facts_from: Some("instance_type"),
    events: &[
        EventRule { source: EC2, name: "RunInstances", ids: &[RESPONSE_INSTANCES], prefix: "i-" },
        EventRule { source: EC2, name: "TerminateInstances", ids: &[REQUEST_INSTANCES], prefix: "i-" },
        EventRule { source: EC2, name: "StartInstances", ids: &[REQUEST_INSTANCES], prefix: "i-" },
        EventRule { source: EC2, name: "StopInstances", ids: &[REQUEST_INSTANCES], prefix: "i-" },
        EventRule {
            source: EC2,
            name: "ModifyInstanceAttribute",
            ids: &["requestParameters.instanceId"],
            prefix: "i-",
        },
        EventRule {
            source: EC2,
            name: "ModifyInstanceMetadataOptions",
            ids: &["requestParameters.ModifyInstanceMetadataOptionsRequest.InstanceId", "requestParameters.instanceId"],
            prefix: "i-",
        },
        EventRule { source: EC2, name: "CreateTags", ids: &[TAGGED], prefix: "i-" },
        EventRule { source: EC2, name: "DeleteTags", ids: &[TAGGED], prefix: "i-" },
    ],
};

#[cfg(feature = "aws")]
pub use lister::{list, to_resource, volume};

/// DescribeInstances (largest pages, terminated instances filtered out by the API) and
/// DescribeVolumes for root volume details; GPU facts are added per account, once per
/// instance type (`client.rs`). Who launched an instance (an auto scaling group, an EKS
/// node group, Karpenter...) is read from its tags by the rules in [`SPEC`].
#[cfg(feature = "aws")]
mod lister {
    use crate::aws::{ListError, RegionCx};
    use aws_sdk_ec2::types::{Filter, Instance};
    use driftd_core::model::{Cloud, Resource};
    use serde_json::{json, Map, Value};
    use std::collections::HashMap;

    const LIVE_STATES: &[&str] = &["pending", "running", "stopping", "stopped", "shutting-down"];

    pub async fn list(cx: &RegionCx) -> Result<Vec<Resource>, ListError> {
        let mut request = cx.ec2.describe_instances().max_results(1000).filters(
            Filter::builder()
                .name("instance-state-name")
                .set_values(Some(LIVE_STATES.iter().map(|s| s.to_string()).collect()))
                .build(),
        );
        // A re-read after an event: those instances only. A filter, not `InstanceIds`,
        // which fails the whole call for one id that no longer exists.
        let only = cx.only(super::SPEC.tf_type).map(<[String]>::to_vec);
        if let Some(ids) = &only {
            request = request.filters(Filter::builder().name("instance-id").set_values(Some(ids.clone())).build());
        }
        let mut pages = request.into_paginator().send();
        let mut instances: Vec<Instance> = Vec::new();
        // Root volumes are read while the rest of the instances page in: started as soon as
        // a page shows there are any, so a region without instances costs no call.
        let mut volumes: Option<AbortOnDrop> = None;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ListError::from_sdk("ec2:DescribeInstances", &cx.region, &cx.endpoint, e))?;
            for r in page.reservations() {
                instances.extend(r.instances().iter().cloned());
            }
            if volumes.is_none() && !instances.is_empty() {
                let (ec2, region, endpoint) = (cx.ec2.clone(), cx.region.clone(), cx.endpoint.clone());
                let only = only.clone();
                volumes = Some(AbortOnDrop(tokio::spawn(async move {
                    attached_volumes(&ec2, &region, &endpoint, only.as_deref()).await
                })));
            }
        }
        let volumes = match volumes.as_mut() {
            Some(task) => (&mut task.0).await.map_err(|e| ListError::task(&cx.region, e))??,
            None => HashMap::new(),
        };
        Ok(instances.iter().map(|i| to_resource(&cx.account, &cx.region, i, &volumes)).collect())
    }

    type Volumes = Result<HashMap<String, Value>, ListError>;

    /// The volume read, stopped when the listing fails before it is awaited.
    struct AbortOnDrop(tokio::task::JoinHandle<Volumes>);

    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }

    /// Root volume details (encryption, size, type) that DescribeInstances does not carry:
    /// every attached volume of the region, in one response (DescribeVolumes without
    /// MaxResults returns all items; one filter value, since EC2 takes at most 200 values
    /// per filter and listing volume ids would cost more calls, not fewer).
    /// The region's attached volumes, or those of `instances` only.
    async fn attached_volumes(
        ec2: &aws_sdk_ec2::Client,
        region: &str,
        endpoint: &str,
        instances: Option<&[String]>,
    ) -> Volumes {
        let mut out = HashMap::new();
        let mut request =
            ec2.describe_volumes().filters(Filter::builder().name("attachment.status").values("attached").build());
        if let Some(ids) = instances {
            request = request
                .filters(Filter::builder().name("attachment.instance-id").set_values(Some(ids.to_vec())).build());
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ListError::from_sdk("ec2:DescribeVolumes", region, endpoint, e))?;
            for v in page.volumes() {
                if let Some(id) = v.volume_id() {
                    out.insert(id.to_string(), volume(v));
                }
            }
        }
        Ok(out)
    }

    /// The root volume attributes DescribeInstances lacks, in `root_block_device` shape.
    pub fn volume(v: &aws_sdk_ec2::types::Volume) -> Value {
        json!({"encrypted": v.encrypted(), "volume_size": v.size(), "volume_type": v.volume_type().map(|t| t.as_str()),
               "iops": v.iops(), "throughput": v.throughput(), "kms_key_id": v.kms_key_id().unwrap_or("")})
    }

    fn s(v: Option<&str>) -> Value {
        Value::from(v.unwrap_or(""))
    }

    /// One instance in Terraform's `aws_instance` shape; `volumes` are the region's attached
    /// volumes by id ([`volume`] of each DescribeVolumes item).
    pub fn to_resource(account: &str, region: &str, i: &Instance, volumes: &HashMap<String, Value>) -> Resource {
        let id = i.instance_id().unwrap_or_default().to_string();
        let tags: Map<String, Value> = i
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), Value::from(t.value().unwrap_or("")))))
            .collect();
        let placement = i.placement();
        let meta = i.metadata_options();
        let root_name = i.root_device_name();
        let root = i.block_device_mappings().iter().find(|m| m.device_name().is_some() && m.device_name() == root_name);
        let root_volume_id = root.and_then(|m| m.ebs()).and_then(|e| e.volume_id()).unwrap_or("");
        let mut root_device = json!({"device_name": root_name.unwrap_or(""), "volume_id": root_volume_id,
                                     "delete_on_termination": root.and_then(|m| m.ebs()).and_then(|e| e.delete_on_termination())});
        if let Some(Value::Object(v)) = volumes.get(root_volume_id) {
            for (k, val) in v {
                root_device[k] = val.clone();
            }
        }
        let ebs: Vec<Value> = i
            .block_device_mappings()
            .iter()
            .filter(|m| m.device_name() != root_name)
            .map(|m| json!({"device_name": s(m.device_name()), "volume_id": s(m.ebs().and_then(|e| e.volume_id()))}))
            .collect();
        let profile =
            i.iam_instance_profile().and_then(|p| p.arn()).and_then(|arn| arn.rsplit('/').next()).unwrap_or("");
        let itype = i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default();
        let attributes = json!({
            "id": id,
            "arn": format!("arn:aws:ec2:{region}:{account}:instance/{id}"),
            "ami": s(i.image_id()),
            "instance_type": itype,
            "instance_state": i.state().and_then(|st| st.name()).map(|n| n.as_str()).unwrap_or(""),
            "availability_zone": s(placement.and_then(|p| p.availability_zone())),
            "placement_group": s(placement.and_then(|p| p.group_name())),
            "tenancy": placement.and_then(|p| p.tenancy()).map(|t| t.as_str()).unwrap_or("default"),
            "subnet_id": s(i.subnet_id()),
            "vpc_security_group_ids": i.security_groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
            "key_name": s(i.key_name()),
            "iam_instance_profile": profile,
            "ebs_optimized": i.ebs_optimized(),
            "monitoring": i.monitoring().and_then(|m| m.state()).map(|st| st.as_str() == "enabled"),
            "source_dest_check": i.source_dest_check(),
            "metadata_options": [{
                "http_tokens": meta.and_then(|m| m.http_tokens()).map(|t| t.as_str()),
                "http_endpoint": meta.and_then(|m| m.http_endpoint()).map(|t| t.as_str()),
                "http_put_response_hop_limit": meta.and_then(|m| m.http_put_response_hop_limit()),
                "instance_metadata_tags": meta.and_then(|m| m.instance_metadata_tags()).map(|t| t.as_str()),
            }],
            "root_block_device": [root_device],
            "ebs_block_device": ebs,
            "private_ip": s(i.private_ip_address()),
            "private_dns": s(i.private_dns_name()),
            "public_ip": s(i.public_ip_address()),
            "public_dns": s(i.public_dns_name()),
            "associate_public_ip_address": i.public_ip_address().is_some_and(|ip| !ip.is_empty()),
            "instance_lifecycle": i.instance_lifecycle().map(|l| l.as_str()).unwrap_or(""),
            // The reservation it runs in, if any (only the API says): the GPU pack finds
            // on-demand capacity beside an idle reservation with it. Never compared.
            "capacity_reservation_id": s(i.capacity_reservation_id()),
            // The provider's blocks, plus what only the API says: each interface's type
            // (`efa`), which the GPU pack's EFA policy reads. Never compared.
            "network_interface": i.network_interfaces().iter().map(|n| json!({
                "network_interface_id": s(n.network_interface_id()),
                "device_index": n.attachment().and_then(|a| a.device_index()),
                "network_card_index": n.attachment().and_then(|a| a.network_card_index()),
                "interface_type": s(n.interface_type()),
            })).collect::<Vec<_>>(),
            "tags": tags,
        });
        Resource {
            tf_type: "aws_instance".into(),
            id,
            provider: Cloud::Aws,
            account: Some(account.to_string()),
            region: Some(region.to_string()),
            name: tags.get("Name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_string),
            owner: None,
            // Filled in per account, once per instance type (DescribeInstanceTypes).
            gpu: None,
            attributes,
        }
    }
}
