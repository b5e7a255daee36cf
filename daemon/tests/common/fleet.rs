//! Building GPU fleets in moto, and writing the Terraform state that `terraform apply`
//! would have left for them.
//!
//! The state is written from the API objects moto returns (described here, not read by
//! driftd), in the shapes the Terraform AWS provider writes: the key sets and nesting of
//! the real state and plan files in `testdata/real-state/` (driftctl's `aws_instance` and
//! `aws_security_group`, weka's `aws_launch_template` and `aws_eks_node_group`,
//! terracost's `aws_autoscaling_group`), with `tags_all` beside `tags`.

use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};
use serde_json::{json, Value};

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

pub async fn ami(ec2: &aws_sdk_ec2::Client) -> String {
    let images = ec2.describe_images().send().await.unwrap();
    images.images()[0].image_id().unwrap().to_string()
}

/// One instance on IMDSv2 with a `Name` tag and `tags`; `sg` empty for the VPC's default group.
pub async fn launch(
    ec2: &aws_sdk_ec2::Client,
    ami: &str,
    name: &str,
    itype: &str,
    sg: &str,
    tags: &[(&str, &str)],
) -> String {
    let mut tag_list = vec![Tag::builder().key("Name").value(name).build()];
    tag_list.extend(tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()));
    let mut req = ec2
        .run_instances()
        .image_id(ami)
        .instance_type(InstanceType::from(itype))
        .min_count(1)
        .max_count(1)
        .metadata_options(
            aws_sdk_ec2::types::InstanceMetadataOptionsRequest::builder()
                .http_tokens(aws_sdk_ec2::types::HttpTokensState::Required)
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder().resource_type(ResourceType::Instance).set_tags(Some(tag_list)).build(),
        );
    if !sg.is_empty() {
        req = req.security_group_ids(sg);
    }
    let out = req.send().await.unwrap();
    out.instances()[0].instance_id().unwrap().to_string()
}

pub async fn group(ec2: &aws_sdk_ec2::Client, name: &str) -> String {
    ec2.create_security_group().group_name(name).description(name).send().await.unwrap().group_id().unwrap().to_string()
}

/// A launch template `template` of `itype` and an auto scaling group `group` launched
/// from its `$Latest` version in us-east-1a: `desired` instances, at most `max`.
#[allow(clippy::too_many_arguments)]
pub async fn autoscaled_gpu_group(
    conf: &aws_config::SdkConfig,
    ec2: &aws_sdk_ec2::Client,
    ami: &str,
    template: &str,
    itype: &str,
    group: &str,
    desired: i32,
    max: i32,
) {
    ec2.create_launch_template()
        .launch_template_name(template)
        .launch_template_data(gpu_template(ami, itype))
        .send()
        .await
        .unwrap();
    aws_sdk_autoscaling::Client::new(conf)
        .create_auto_scaling_group()
        .auto_scaling_group_name(group)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(template)
                .version("$Latest")
                .build(),
        )
        .min_size(0)
        .max_size(max)
        .desired_capacity(desired)
        .availability_zones("us-east-1a")
        .send()
        .await
        .unwrap();
}

/// Launch template data: a GPU type on IMDSv2.
pub fn gpu_template(ami: &str, itype: &str) -> aws_sdk_ec2::types::RequestLaunchTemplateData {
    aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id(ami)
        .instance_type(InstanceType::from(itype))
        .metadata_options(
            aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required)
                .build(),
        )
        .build()
}

/// An EKS cluster "ml" with a GPU node group "gpu" of `desired` nodes.
pub async fn eks_gpu_group(conf: &aws_config::SdkConfig, desired: i32) {
    let eks = aws_sdk_eks::Client::new(conf);
    eks.create_cluster()
        .name("ml")
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids("subnet-1").build())
        .send()
        .await
        .unwrap();
    eks.create_nodegroup()
        .cluster_name("ml")
        .nodegroup_name("gpu")
        .node_role("arn:aws:iam::123456789012:role/node")
        .subnets("subnet-1")
        .instance_types("p5.48xlarge")
        .capacity_type(aws_sdk_eks::types::CapacityTypes::OnDemand)
        .ami_type(aws_sdk_eks::types::AmiTypes::Al2X8664Gpu)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder().min_size(0).max_size(4).desired_size(desired).build(),
        )
        .send()
        .await
        .unwrap();
}

fn s(v: Option<&str>) -> Value {
    Value::from(v.unwrap_or(""))
}

/// Terraform writes `tags = null` for no tags, and `tags_all` as a map (default tags
/// merged in; none here).
fn tags_pair(pairs: Vec<(String, String)>) -> (Value, Value) {
    let map: serde_json::Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
    let all = Value::Object(map.clone());
    (if map.is_empty() { Value::Null } else { Value::Object(map) }, all)
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .filter(|t| !t.key().unwrap_or("").starts_with("aws:"))
        .map(|t| (t.key().unwrap_or("").to_string(), t.value().unwrap_or("").to_string()))
        .collect()
}

/// `aws_instance` after apply (provider 5 key set; driftctl's state shows the older subset).
pub fn instance_state(i: &aws_sdk_ec2::types::Instance, root: &aws_sdk_ec2::types::Volume, arn: String) -> Value {
    let (tags, tags_all) = tags_pair(ec2_tags(i.tags()));
    let meta = i.metadata_options();
    let placement = i.placement();
    let head = json!({
        "ami": s(i.image_id()),
        "arn": arn,
        "associate_public_ip_address": i.public_ip_address().is_some(),
        "availability_zone": s(placement.and_then(|p| p.availability_zone())),
        "capacity_reservation_specification": [],
        "cpu_core_count": 1,
        "cpu_threads_per_core": 2,
        "credit_specification": [],
        "disable_api_stop": false,
        "disable_api_termination": false,
        "ebs_block_device": [],
        "ebs_optimized": i.ebs_optimized().unwrap_or(false),
        "enclave_options": [{"enabled": false}],
        "ephemeral_block_device": [],
        "get_password_data": false,
        "hibernation": false,
        "host_id": "",
        "host_resource_group_arn": null,
        "iam_instance_profile": "",
        "id": s(i.instance_id()),
        "instance_initiated_shutdown_behavior": "stop",
        "instance_lifecycle": "",
        "instance_market_options": [],
        "instance_state": "running",
        "instance_type": i.instance_type().map(|t| t.as_str()).unwrap_or(""),
        "ipv6_address_count": 0,
        "ipv6_addresses": [],
        "key_name": s(i.key_name()),
        "launch_template": [],
        "maintenance_options": [{"auto_recovery": "default"}],
        "metadata_options": [{
            "http_endpoint": meta.and_then(|m| m.http_endpoint()).map(|v| v.as_str()).unwrap_or("enabled"),
            "http_protocol_ipv6": "disabled",
            "http_put_response_hop_limit": meta.and_then(|m| m.http_put_response_hop_limit()).unwrap_or(1),
            "http_tokens": meta.and_then(|m| m.http_tokens()).map(|v| v.as_str()).unwrap_or("optional"),
            "instance_metadata_tags": "disabled",
        }],
    });
    let rest = json!({
        "monitoring": false,
        "network_interface": [],
        "outpost_arn": "",
        "password_data": "",
        "placement_group": s(placement.and_then(|p| p.group_name())),
        "placement_partition_number": 0,
        "primary_network_interface_id": s(i.network_interfaces().first().and_then(|n| n.network_interface_id())),
        "private_dns": s(i.private_dns_name()),
        "private_dns_name_options": [],
        "private_ip": s(i.private_ip_address()),
        "public_dns": s(i.public_dns_name()),
        "public_ip": s(i.public_ip_address()),
        "root_block_device": [{
            "delete_on_termination": true,
            "device_name": s(i.root_device_name()),
            "encrypted": root.encrypted().unwrap_or(false),
            "iops": root.iops().unwrap_or(0),
            "kms_key_id": s(root.kms_key_id()),
            "tags": null,
            "tags_all": {},
            "throughput": root.throughput().unwrap_or(0),
            "volume_id": s(root.volume_id()),
            "volume_size": root.size().unwrap_or(0),
            "volume_type": root.volume_type().map(|v| v.as_str()).unwrap_or(""),
        }],
        "secondary_private_ips": [],
        "security_groups": i.security_groups().iter().filter_map(|g| g.group_name()).collect::<Vec<_>>(),
        "source_dest_check": i.source_dest_check().unwrap_or(true),
        "spot_instance_request_id": "",
        "subnet_id": s(i.subnet_id()),
        "tags": tags,
        "tags_all": tags_all,
        "tenancy": "default",
        "timeouts": null,
        "user_data": null,
        "user_data_base64": null,
        "user_data_replace_on_change": false,
        "volume_tags": null,
        "vpc_security_group_ids": i.security_groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
    });
    merge(head, rest)
}

/// One object of two: a json! of every key of a type is past the macro's recursion limit.
fn merge(a: Value, b: Value) -> Value {
    let (Value::Object(mut all), Value::Object(rest)) = (a, b) else { unreachable!("two objects") };
    all.extend(rest);
    Value::Object(all)
}

/// `aws_launch_template` (weka's state: blocks as lists, unset strings "").
pub fn launch_template_state(
    t: &aws_sdk_ec2::types::LaunchTemplate,
    data: &aws_sdk_ec2::types::ResponseLaunchTemplateData,
    arn: String,
) -> Value {
    let (tags, tags_all) = tags_pair(ec2_tags(t.tags()));
    let meta = data.metadata_options();
    let head = json!({
        "arn": arn,
        "block_device_mappings": [],
        "capacity_reservation_specification": [],
        "cpu_options": [],
        "credit_specification": [],
        "default_version": t.default_version_number(),
        "description": "",
        "disable_api_stop": false,
        "disable_api_termination": false,
        "ebs_optimized": "",
        "elastic_gpu_specifications": [],
        "elastic_inference_accelerator": [],
        "enclave_options": [],
        "hibernation_options": [],
        "iam_instance_profile": [],
        "id": s(t.launch_template_id()),
        "image_id": s(data.image_id()),
        "instance_initiated_shutdown_behavior": "",
        "instance_market_options": [],
        "instance_requirements": [],
        "instance_type": data.instance_type().map(|v| v.as_str()).unwrap_or(""),
    });
    let rest = json!({
        "kernel_id": "",
        "key_name": s(data.key_name()),
        "latest_version": t.latest_version_number(),
        "license_specification": [],
        "maintenance_options": [],
        "metadata_options": meta.map(|m| vec![json!({
            "http_endpoint": m.http_endpoint().map(|v| v.as_str()).unwrap_or(""),
            "http_protocol_ipv6": "",
            "http_put_response_hop_limit": m.http_put_response_hop_limit().unwrap_or(0),
            "http_tokens": m.http_tokens().map(|v| v.as_str()).unwrap_or(""),
            "instance_metadata_tags": "",
        })]).unwrap_or_default(),
        "monitoring": [],
        "name": s(t.launch_template_name()),
        "name_prefix": "",
        "network_interfaces": [],
        "placement": [],
        "private_dns_name_options": [],
        "ram_disk_id": "",
        "security_group_names": null,
        "tag_specifications": [],
        "tags": tags,
        "tags_all": tags_all,
        "update_default_version": null,
        "user_data": "",
        "vpc_security_group_ids": if data.security_group_ids().is_empty() { Value::Null } else { json!(data.security_group_ids()) },
    });
    merge(head, rest)
}

/// `aws_autoscaling_group` (terracost's plan key set; `launch_template` by id and version).
pub fn autoscaling_group_state(g: &aws_sdk_autoscaling::types::AutoScalingGroup) -> Value {
    let name = s(g.auto_scaling_group_name());
    let tag: Vec<Value> = g
        .tags()
        .iter()
        .filter(|t| !t.key().unwrap_or("").starts_with("aws:"))
        .map(|t| json!({"key": s(t.key()), "propagate_at_launch": t.propagate_at_launch().unwrap_or(false), "value": s(t.value())}))
        .collect();
    let head = json!({
        "arn": s(g.auto_scaling_group_arn()),
        "availability_zones": g.availability_zones(),
        "capacity_rebalance": false,
        "context": "",
        "default_cooldown": g.default_cooldown().unwrap_or(300),
        "default_instance_warmup": 0,
        "desired_capacity": g.desired_capacity(),
        "desired_capacity_type": "",
        "enabled_metrics": [],
        "force_delete": false,
        "force_delete_warm_pool": false,
        "health_check_grace_period": 300,
        "health_check_type": "EC2",
        "id": name,
        "ignore_failed_scaling_activities": false,
        "initial_lifecycle_hook": [],
        "instance_maintenance_policy": [],
        "instance_refresh": [],
        "launch_configuration": "",
    });
    let rest = json!({
        "launch_template": g.launch_template().map(|t| vec![json!({
            "id": s(t.launch_template_id()), "name": s(t.launch_template_name()), "version": s(t.version()),
        })]).unwrap_or_default(),
        "load_balancers": [],
        "max_instance_lifetime": 0,
        "max_size": g.max_size(),
        "metrics_granularity": "1Minute",
        "min_elb_capacity": null,
        "min_size": g.min_size(),
        "mixed_instances_policy": [],
        "name": name,
        "name_prefix": "",
        "placement_group": "",
        "predicted_capacity": 0,
        "protect_from_scale_in": false,
        "service_linked_role_arn": "",
        "suspended_processes": [],
        "tag": tag,
        "target_group_arns": [],
        "termination_policies": [],
        "timeouts": null,
        "traffic_source": [],
        "vpc_zone_identifier": [],
        "wait_for_capacity_timeout": "10m",
        "wait_for_elb_capacity": null,
        "warm_pool": [],
        "warm_pool_size": 0,
    });
    merge(head, rest)
}

/// `aws_eks_node_group` (weka's state; id `cluster:name`).
pub fn node_group_state(ng: &aws_sdk_eks::types::Nodegroup) -> Value {
    let cluster = ng.cluster_name().unwrap_or("");
    let name = ng.nodegroup_name().unwrap_or("");
    let scaling = ng.scaling_config();
    let (tags, tags_all) =
        tags_pair(ng.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default());
    json!({
        "ami_type": ng.ami_type().map(|v| v.as_str()).unwrap_or(""),
        "arn": s(ng.nodegroup_arn()),
        "capacity_type": ng.capacity_type().map(|v| v.as_str()).unwrap_or(""),
        "cluster_name": cluster,
        "disk_size": ng.disk_size().unwrap_or(0),
        "force_update_version": null,
        "id": format!("{cluster}:{name}"),
        "instance_types": ng.instance_types(),
        "labels": ng.labels().cloned().unwrap_or_default(),
        "launch_template": [],
        "node_group_name": name,
        "node_group_name_prefix": "",
        "node_role_arn": s(ng.node_role()),
        "release_version": s(ng.release_version()),
        "remote_access": [],
        "resources": [{"autoscaling_groups": [], "remote_access_security_group_id": ""}],
        "scaling_config": [{
            "desired_size": scaling.and_then(|c| c.desired_size()),
            "max_size": scaling.and_then(|c| c.max_size()),
            "min_size": scaling.and_then(|c| c.min_size()),
        }],
        "status": "ACTIVE",
        "subnet_ids": ng.subnets(),
        "tags": tags,
        "tags_all": tags_all,
        "taint": [],
        "timeouts": null,
        "update_config": [{"max_unavailable": 1, "max_unavailable_percentage": 0}],
        "version": s(ng.version()),
    })
}

/// `aws_security_group` with inline rules (driftctl's state): one block per rule as
/// declared, every source list present.
pub fn security_group_state(g: &aws_sdk_ec2::types::SecurityGroup, arn: String) -> Value {
    let id = g.group_id().unwrap_or("");
    let rules = |perms: &[aws_sdk_ec2::types::IpPermission]| -> Vec<Value> {
        perms
            .iter()
            .map(|p| {
                let all = p.ip_protocol() == Some("-1");
                let peers: Vec<&str> = p.user_id_group_pairs().iter().filter_map(|r| r.group_id()).collect();
                json!({
                    "cidr_blocks": p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect::<Vec<_>>(),
                    "description": "",
                    "from_port": if all { 0 } else { p.from_port().unwrap_or(0) },
                    "ipv6_cidr_blocks": p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()).collect::<Vec<_>>(),
                    "prefix_list_ids": [],
                    "protocol": p.ip_protocol().unwrap_or("-1"),
                    "security_groups": peers.iter().filter(|g| **g != id).collect::<Vec<_>>(),
                    "self": peers.contains(&id),
                    "to_port": if all { 0 } else { p.to_port().unwrap_or(0) },
                })
            })
            .collect()
    };
    let (tags, tags_all) = tags_pair(ec2_tags(g.tags()));
    json!({
        "arn": arn,
        "description": s(g.description()),
        "egress": rules(g.ip_permissions_egress()),
        "id": id,
        "ingress": rules(g.ip_permissions()),
        "name": s(g.group_name()),
        "name_prefix": "",
        "owner_id": s(g.owner_id()),
        "revoke_rules_on_delete": false,
        "tags": tags,
        "tags_all": tags_all,
        "timeouts": null,
        "vpc_id": s(g.vpc_id()),
    })
}

/// A raw state (version 4) of `(type, name, index_key, attributes)` instances, one
/// resource block per (type, name), as Terraform 1.9 writes it.
pub fn raw_state(instances: Vec<(&str, &str, Option<String>, Value)>) -> Value {
    let mut blocks: Vec<Value> = Vec::new();
    for (t, name, key, attrs) in instances {
        let inst = match key {
            Some(k) => json!({"index_key": k, "schema_version": 1, "attributes": attrs, "sensitive_attributes": [],
                              "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="}),
            None => json!({"schema_version": 1, "attributes": attrs, "sensitive_attributes": [],
                           "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="}),
        };
        match blocks.iter_mut().find(|b| b["type"] == t && b["name"] == name) {
            Some(b) => b["instances"].as_array_mut().unwrap().push(inst),
            None => blocks.push(json!({"mode": "managed", "type": t, "name": name,
                                       "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                                       "instances": [inst]})),
        }
    }
    json!({"version": 4, "terraform_version": "1.9.8", "serial": 7, "lineage": "5d1f7b0e-moto", "outputs": {},
           "resources": blocks, "check_results": null})
}

/// The state `terraform apply` would have left for everything in these regions that
/// nobody else created: instances not launched by an auto scaling group or EKS, every
/// launch template, group, node group and non-default security group. Addressed
/// `<type>.all["<name>"]` (security groups `["<name>-<region>"]`, their names repeat).
pub async fn terraform_state(regions: &[(&str, aws_config::SdkConfig)], account: &str) -> Value {
    let mut out: Vec<(&str, &str, Option<String>, Value)> = Vec::new();
    for (region, conf) in regions {
        let ec2 = aws_sdk_ec2::Client::new(conf);
        let volumes = ec2.describe_volumes().send().await.unwrap();
        let reservations = ec2.describe_instances().send().await.unwrap();
        for i in reservations.reservations().iter().flat_map(|r| r.instances()) {
            let tag =
                |k: &str| i.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value()).map(str::to_string);
            let live = i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated");
            if !live || tag("aws:autoscaling:groupName").is_some() || tag("eks:nodegroup-name").is_some() {
                continue;
            }
            let root_id = i
                .block_device_mappings()
                .iter()
                .find(|m| m.device_name() == i.root_device_name())
                .and_then(|m| m.ebs())
                .and_then(|e| e.volume_id());
            let root = volumes.volumes().iter().find(|v| v.volume_id() == root_id).cloned().unwrap_or_else(|| {
                aws_sdk_ec2::types::Volume::builder().set_volume_id(root_id.map(str::to_string)).build()
            });
            let id = i.instance_id().unwrap();
            let arn = format!("arn:aws:ec2:{region}:{account}:instance/{id}");
            out.push((
                "aws_instance",
                "all",
                Some(tag("Name").unwrap_or_else(|| id.to_string())),
                instance_state(i, &root, arn),
            ));
        }
        let templates = ec2.describe_launch_templates().send().await.unwrap();
        for t in templates.launch_templates() {
            let id = t.launch_template_id().unwrap();
            let versions = ec2
                .describe_launch_template_versions()
                .launch_template_id(id)
                .versions("$Latest")
                .send()
                .await
                .unwrap();
            let data = versions.launch_template_versions()[0].launch_template_data().unwrap().clone();
            let arn = format!("arn:aws:ec2:{region}:{account}:launch-template/{id}");
            let name = t.launch_template_name().unwrap().to_string();
            out.push(("aws_launch_template", "all", Some(name), launch_template_state(t, &data, arn)));
        }
        let asg = aws_sdk_autoscaling::Client::new(conf);
        for g in asg.describe_auto_scaling_groups().send().await.unwrap().auto_scaling_groups() {
            let name = g.auto_scaling_group_name().unwrap().to_string();
            out.push(("aws_autoscaling_group", "all", Some(name), autoscaling_group_state(g)));
        }
        let eks = aws_sdk_eks::Client::new(conf);
        for cluster in eks.list_clusters().send().await.unwrap().clusters() {
            for name in eks.list_nodegroups().cluster_name(cluster).send().await.unwrap().nodegroups() {
                let ng = eks.describe_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.unwrap();
                out.push(("aws_eks_node_group", "all", Some(name.clone()), node_group_state(ng.nodegroup().unwrap())));
            }
        }
        for g in ec2.describe_security_groups().send().await.unwrap().security_groups() {
            if g.group_name() == Some("default") {
                continue;
            }
            let id = g.group_id().unwrap();
            let arn = format!("arn:aws:ec2:{region}:{account}:security-group/{id}");
            let key = format!("{}-{region}", g.group_name().unwrap());
            out.push(("aws_security_group", "all", Some(key), security_group_state(g, arn)));
        }
    }
    raw_state(out)
}
