//! The owners that create AWS resources besides Terraform, and the tag rules that
//! recognise their work. Each type's spec lists the rules that apply to it, in order
//! (first match wins); the comparer decides what an owned resource means for the report.
//!
//! Where the tag names were confirmed:
//! - EKS managed node groups tag the auto scaling group they create (`eks-<group>-<uuid>`),
//!   its launch template and its instances with `eks:cluster-name` and
//!   `eks:nodegroup-name` (instance tags seen together with `aws:autoscaling:groupName`
//!   and `aws:ec2launchtemplate:id` on a real node; EKS API `Nodegroup.resources.autoScalingGroups`
//!   names the group). Terraform's `aws_eks_node_group` id is `<cluster>:<group>`.
//! - Auto scaling groups tag their instances `aws:autoscaling:groupName` (EC2 Auto Scaling
//!   user guide, "Tag Auto Scaling groups and instances").
//! - Karpenter tags its instances `karpenter.sh/nodepool` (v0.32 and later) or
//!   `karpenter.sh/provisioner-name` (earlier), and its launch templates
//!   `karpenter.k8s.aws/cluster` (Karpenter upgrade guide: "the new scheme uses a tag on
//!   the launch template `karpenter.k8s.aws/cluster: ${CLUSTER_NAME}`"; its IAM policy
//!   conditions on `ec2:ResourceTag/karpenter.sh/nodepool`).
//! - EC2 Fleet tags instances `aws:ec2:fleet-id`; Spot Fleet `aws:ec2spot:fleet-request-id`
//!   (EC2 user guide, fleet instance tags; the reserved `aws:` keys). Karpenter launches
//!   through CreateFleet, so its rules come first.
//! - AWS ParallelCluster tags what it creates `parallelcluster:cluster-name` (ParallelCluster
//!   user guide, "Tagging": "an example of an AWS ParallelCluster tag applied to a
//!   resource"); its head node also carries its stack's CloudFormation tags, so it comes first.
//! - CloudFormation tags what a stack creates `aws:cloudformation:stack-name`,
//!   `aws:cloudformation:stack-id` and `aws:cloudformation:logical-id` (also what moto's
//!   CloudFormation writes); Terraform's `aws_cloudformation_stack` id is the stack id.
//! - EKS tags the cluster security group it creates `aws:eks:cluster-name`; every VPC
//!   has a security group named `default`.

use driftd_core::owner::{Match, Owner, OwnerKind, OwnerRule};

pub static EKS_NODE_GROUP: Owner =
    Owner { tf_type: "aws_eks_node_group", label: "EKS node group", kind: OwnerKind::Terraform };
pub static AUTOSCALING_GROUP: Owner =
    Owner { tf_type: "aws_autoscaling_group", label: "auto scaling group", kind: OwnerKind::Terraform };
pub static EC2_FLEET: Owner = Owner { tf_type: "aws_ec2_fleet", label: "EC2 Fleet", kind: OwnerKind::Terraform };
pub static SPOT_FLEET: Owner =
    Owner { tf_type: "aws_spot_fleet_request", label: "Spot Fleet request", kind: OwnerKind::Terraform };
pub static EKS_CLUSTER: Owner = Owner { tf_type: "aws_eks_cluster", label: "EKS cluster", kind: OwnerKind::Terraform };
pub static KARPENTER: Owner = Owner { tf_type: "karpenter", label: "Karpenter", kind: OwnerKind::Orchestrator };
pub static PARALLELCLUSTER: Owner =
    Owner { tf_type: "parallelcluster", label: "ParallelCluster cluster", kind: OwnerKind::Orchestrator };
pub static CLOUDFORMATION: Owner =
    Owner { tf_type: "aws_cloudformation_stack", label: "CloudFormation stack", kind: OwnerKind::OtherTool };
pub static VPC: Owner = Owner { tf_type: "aws_vpc", label: "VPC", kind: OwnerKind::Parent };

pub const BY_EKS_NODE_GROUP: OwnerRule = OwnerRule {
    owner: &EKS_NODE_GROUP,
    when: Match::Tags(&["eks:cluster-name", "eks:nodegroup-name"]),
    id: "{eks:cluster-name}:{eks:nodegroup-name}",
};
pub const BY_AUTOSCALING_GROUP: OwnerRule = OwnerRule {
    owner: &AUTOSCALING_GROUP,
    when: Match::Tags(&["aws:autoscaling:groupName"]),
    id: "{aws:autoscaling:groupName}",
};
pub const BY_KARPENTER_NODEPOOL: OwnerRule = OwnerRule {
    owner: &KARPENTER,
    when: Match::Tags(&["karpenter.sh/nodepool"]),
    id: "nodepool/{karpenter.sh/nodepool}",
};
pub const BY_KARPENTER_PROVISIONER: OwnerRule = OwnerRule {
    owner: &KARPENTER,
    when: Match::Tags(&["karpenter.sh/provisioner-name"]),
    id: "provisioner/{karpenter.sh/provisioner-name}",
};
pub const BY_KARPENTER_CLUSTER: OwnerRule = OwnerRule {
    owner: &KARPENTER,
    when: Match::Tags(&["karpenter.k8s.aws/cluster"]),
    id: "cluster/{karpenter.k8s.aws/cluster}",
};
pub const BY_EC2_FLEET: OwnerRule =
    OwnerRule { owner: &EC2_FLEET, when: Match::Tags(&["aws:ec2:fleet-id"]), id: "{aws:ec2:fleet-id}" };
pub const BY_SPOT_FLEET: OwnerRule = OwnerRule {
    owner: &SPOT_FLEET,
    when: Match::Tags(&["aws:ec2spot:fleet-request-id"]),
    id: "{aws:ec2spot:fleet-request-id}",
};
pub const BY_PARALLELCLUSTER: OwnerRule = OwnerRule {
    owner: &PARALLELCLUSTER,
    when: Match::Tags(&["parallelcluster:cluster-name"]),
    id: "{parallelcluster:cluster-name}",
};
pub const BY_CLOUDFORMATION: OwnerRule = OwnerRule {
    owner: &CLOUDFORMATION,
    when: Match::Tags(&["aws:cloudformation:stack-id"]),
    id: "{aws:cloudformation:stack-id}",
};
/// Older stacks or copies of tags may carry only the stack name.
pub const BY_CLOUDFORMATION_NAME: OwnerRule = OwnerRule {
    owner: &CLOUDFORMATION,
    when: Match::Tags(&["aws:cloudformation:stack-name"]),
    id: "{aws:cloudformation:stack-name}",
};
pub const BY_EKS_CLUSTER: OwnerRule =
    OwnerRule { owner: &EKS_CLUSTER, when: Match::Tags(&["aws:eks:cluster-name"]), id: "{aws:eks:cluster-name}" };
pub const BY_VPC_DEFAULT: OwnerRule =
    OwnerRule { owner: &VPC, when: Match::AttrEquals("name", "default"), id: "{@vpc_id}" };
