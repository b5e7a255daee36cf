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

use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, Lit, NameRule, Norm, TypeSpec};

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
        Attr::new("disable_api_termination", Low),
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
    ],
    cost: Some(CostRule {
        size_attr: "instance_type",
        count_attr: None,
        idle_when: Some(("instance_state", &["stopped", "stopping", "terminated", "shutting-down"])),
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
};
