//! Real Terraform state against what the AWS APIs say of the same objects.
//!
//! Each declared resource comes from a state or plan file written by a real Terraform
//! run (`testdata/real-state/`, sources and licenses in its README). Its live twin is
//! built from the API objects AWS returns for it (DescribeInstances and DescribeVolumes,
//! DescribeLaunchTemplates and DescribeLaunchTemplateVersions, DescribeAutoScalingGroups,
//! DescribeNodegroup, DescribeSecurityGroups), written out by hand from the state's values
//! as the API spells them (enum case, tag lists, omitted fields), then mapped by the
//! lister's own `to_resource`. The comparison must be clean; one changed value must then
//! be found, which proves the two were compared at all.
//!
//! What this found and the type files now handle: `aws_eks_node_group.disk_size` is 0 in
//! state when a launch template sets the disk and absent from the API (unset = 0); a
//! group whose rules are `aws_security_group_rule` resources has `ingress = []` in its own
//! state (rules absorbed from their resources); rule blocks group sources differently
//! from the API (compared one rule per source).
#![cfg(feature = "aws")]

use aws_sdk_autoscaling::types as asg;
use aws_sdk_ec2::types as ec2;
use aws_sdk_eks::types as eks;
use driftd_core::compare::{self, Input};
use driftd_core::cost::PriceTable;
use driftd_core::model::{Cloud, FindingKind, Resource};
use driftd_core::snapshot::{Scan, Snapshot};
use driftd_core::tfstate;
use driftd_providers::aws;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

const ACCOUNT: &str = "381492135989";

/// Compare `live` with the declaration at `address` in `fixture`: no finding. A plan's
/// create is taken as applied (the live object's id). Then `live` with `path` set to
/// `changed` must give one changed finding at exactly that path.
fn assert_real_shape_matches(fixture: &str, address: &str, live: Resource, path: &str, changed: Value) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/real-state").join(fixture);
    let mut state = tfstate::read_file(&file).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let decl = state
        .resources
        .iter_mut()
        .find(|d| d.address == address)
        .unwrap_or_else(|| panic!("{fixture} declares no {address}"));
    assert_eq!(decl.tf_type, live.tf_type);
    if decl.pending_create {
        decl.pending_create = false;
        decl.id = live.id.clone();
    }
    assert_eq!(decl.id, live.id, "{address}: the live twin must be the same object");
    let findings = |live: &Resource| {
        let declared = state.resources.clone();
        let registry = driftd_providers::registry();
        let prices = PriceTable::builtin();
        let ignore = Default::default();
        let input = Input { declared: &declared, terraform_drift: &[], registry, prices: &prices, ignore: &ignore };
        let mut snap = Snapshot::new("2026-11-23T00:00:00Z".into());
        snap.scans.push(Scan {
            only_ids: None,
            provider: Cloud::Aws,
            account: live.account.clone(),
            region: live.region.clone(),
            types: vec![live.tf_type.clone()],
            resources: 1,
            api_calls: 1,
            started_at: None,
            duration_ms: None,
            error: None,
            failures: vec![],
        });
        snap.resources.push(live.clone());
        compare::compare(&input, &snap)
            .findings
            .into_iter()
            .filter(|f| f.resource.address.as_deref() == Some(address))
            .collect::<Vec<_>>()
    };
    let clean = findings(&live);
    assert!(clean.is_empty(), "{fixture} {address} against its API twin:\n{:#?}\nlive: {:#}", clean, live.attributes);
    let mut drifted = live.clone();
    driftd_core::path::set(&mut drifted.attributes, path, changed);
    let found = findings(&drifted);
    assert_eq!(found.len(), 1, "{address}: changing {path} must be found: {found:#?}");
    assert_eq!(found[0].kind, FindingKind::Changed);
    let paths: Vec<&str> = found[0].changes.iter().flatten().map(|c| c.path.as_str()).collect();
    assert!(paths.iter().all(|p| p.starts_with(path)), "{address}: {paths:?}");
}

fn ec2_tag(k: &str, v: &str) -> ec2::Tag {
    ec2::Tag::builder().key(k).value(v).build()
}

/// An instance as DescribeInstances returns it, with its root volume from DescribeVolumes.
struct InstanceApi {
    id: &'static str,
    itype: &'static str,
    ami: &'static str,
    az: &'static str,
    groups: &'static [&'static str],
    subnet: &'static str,
    http_tokens: ec2::HttpTokensState,
    tags: &'static [(&'static str, &'static str)],
    root: ec2::Volume,
}

fn instance(region: &str, i: InstanceApi) -> Resource {
    let volume_id = i.root.volume_id().unwrap().to_string();
    let mut b = ec2::Instance::builder()
        .instance_id(i.id)
        .image_id(i.ami)
        .instance_type(ec2::InstanceType::from(i.itype))
        .state(ec2::InstanceState::builder().name(ec2::InstanceStateName::Running).code(16).build())
        .placement(
            ec2::Placement::builder().availability_zone(i.az).group_name("").tenancy(ec2::Tenancy::Default).build(),
        )
        .subnet_id(i.subnet)
        .metadata_options(
            ec2::InstanceMetadataOptionsResponse::builder()
                .state(ec2::InstanceMetadataOptionsState::Applied)
                .http_tokens(i.http_tokens)
                .http_put_response_hop_limit(1)
                .http_endpoint(ec2::InstanceMetadataEndpointState::Enabled)
                .instance_metadata_tags(ec2::InstanceMetadataTagsState::Disabled)
                .build(),
        )
        .monitoring(ec2::Monitoring::builder().state(ec2::MonitoringState::Disabled).build())
        .ebs_optimized(false)
        .source_dest_check(true)
        .root_device_name("/dev/xvda")
        .root_device_type(ec2::DeviceType::Ebs)
        .block_device_mappings(
            ec2::InstanceBlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(ec2::EbsInstanceBlockDevice::builder().volume_id(&volume_id).delete_on_termination(true).build())
                .build(),
        )
        .private_ip_address("172.31.22.12")
        .private_dns_name("ip-172-31-22-12.internal");
    for g in i.groups {
        b = b.security_groups(ec2::GroupIdentifier::builder().group_id(*g).group_name("default").build());
    }
    for (k, v) in i.tags {
        b = b.tags(ec2_tag(k, v));
    }
    let volumes: HashMap<String, Value> = [(volume_id, aws::instance::volume(&i.root))].into();
    aws::instance::to_resource(ACCOUNT, region, &b.build(), &volumes)
}

fn gp2(id: &str, size: i32, iops: i32) -> ec2::Volume {
    ec2::Volume::builder()
        .volume_id(id)
        .size(size)
        .volume_type(ec2::VolumeType::Gp2)
        .iops(iops)
        .encrypted(false)
        .state(ec2::VolumeState::InUse)
        .build()
}

#[test]
fn aws_instance_raw_state_terraform_0_12() {
    let live = instance(
        "eu-west-3",
        InstanceApi {
            id: "i-0d3650a23f4e45dc0",
            itype: "t3.nano",
            ami: "ami-0697b068b80d79421",
            az: "eu-west-3b",
            groups: &["sg-9e0204ff"],
            subnet: "subnet-fdfdda86",
            http_tokens: ec2::HttpTokensState::Optional,
            tags: &[],
            root: gp2("vol-081c7272a57a09db1", 8, 100),
        },
    );
    assert_real_shape_matches(
        "snyk__driftctl/pkg__iac__terraform__state__test__aws_ec2_instance__terraform.tfstate",
        "aws_instance.test",
        live,
        "metadata_options.0.http_tokens",
        json!("required"),
    );
}

#[test]
fn aws_instance_plans() {
    for (fixture, ami, tags) in [
        (
            "scottford-io__hashitalks-secure-2023/aws-example__tfplan.json",
            "ami-0aa2b7722dc1b5612",
            &[("cnspec", "true")][..],
        ),
        (
            "bridgecrewio__checkov/tests__terraform__parser__resources__plan_provisioners__tfplan.json",
            "ami-09a5b0b7edf08843d",
            &[("Name", "HelloWorld")][..],
        ),
    ] {
        let live = instance(
            "us-east-1",
            InstanceApi {
                id: "i-0planned000000001",
                itype: "t3.micro",
                ami,
                az: "us-east-1a",
                groups: &["sg-0default"],
                subnet: "subnet-0default",
                http_tokens: ec2::HttpTokensState::Optional,
                tags: Box::leak(tags.to_vec().into_boxed_slice()),
                root: gp2("vol-0planned", 8, 100),
            },
        );
        assert_real_shape_matches(fixture, "aws_instance.web", live, "instance_type", json!("p5.48xlarge"));
    }
}

/// A template as DescribeLaunchTemplates lists it, with its latest version's data.
fn launch_template(id: &str, name: &str, data: ec2::ResponseLaunchTemplateData) -> Resource {
    let t = ec2::LaunchTemplate::builder()
        .launch_template_id(id)
        .launch_template_name(name)
        .default_version_number(1)
        .latest_version_number(1)
        .created_by("arn:aws:sts::381492135989:assumed-role/terraform")
        .build();
    aws::launch_template::to_resource(ACCOUNT, "us-east-2", &t, Some(&data))
}

fn imds(tokens: ec2::LaunchTemplateHttpTokensState) -> ec2::LaunchTemplateInstanceMetadataOptions {
    ec2::LaunchTemplateInstanceMetadataOptions::builder()
        .state(ec2::LaunchTemplateInstanceMetadataOptionsState::Applied)
        .http_tokens(tokens)
        .http_put_response_hop_limit(1)
        .http_endpoint(ec2::LaunchTemplateInstanceMetadataEndpointState::Enabled)
        .instance_metadata_tags(ec2::LaunchTemplateInstanceMetadataTagsState::Enabled)
        .build()
}

#[test]
fn aws_launch_template_eks_state_with_security_groups_on_the_interface() {
    let fixture = "weka__weka-operator/terraform__eks__terraform.tfstate.backup";
    let data = ec2::ResponseLaunchTemplateData::builder()
        .image_id("ami-0c18ee34aee051305")
        .instance_type(ec2::InstanceType::from("i3en.2xlarge"))
        .key_name("weka-mpfefferle-eks-ssh-key")
        .metadata_options(imds(ec2::LaunchTemplateHttpTokensState::Required))
        .network_interfaces(
            ec2::LaunchTemplateInstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .associate_public_ip_address(true)
                .delete_on_termination(true)
                .groups("sg-0be5a69c4027fa80e")
                .groups("sg-0ce63905fd700f842")
                .build(),
        )
        .build();
    let live = launch_template("lt-0f76350c2ffd36125", "weka-mpfefferle-backend20240312132425832600000009", data);
    assert_real_shape_matches(fixture, "aws_launch_template.backend", live, "instance_type", json!("p5.48xlarge"));

    // No metadata options set: the API has none, the state an empty block list.
    let data = ec2::ResponseLaunchTemplateData::builder()
        .image_id("ami-0c18ee34aee051305")
        .instance_type(ec2::InstanceType::from("m6i.xlarge"))
        .key_name("weka-mpfefferle-eks-ssh-key")
        .build();
    let live = launch_template("lt-03fbd226362e50775", "weka-mpfefferle-eks-20240312132424974100000007", data);
    assert_real_shape_matches(
        fixture,
        "aws_launch_template.worker_nodes",
        live,
        "metadata_options.0.http_tokens",
        json!("required"),
    );
}

#[test]
fn aws_launch_template_other_states_and_plans() {
    let data = ec2::ResponseLaunchTemplateData::builder()
        .image_id("ami-000b3a073fc20e415")
        .metadata_options(imds(ec2::LaunchTemplateHttpTokensState::Required))
        .build();
    assert_real_shape_matches(
        "snyk__driftctl/pkg__iac__terraform__state__test__aws_launch_template__terraform.tfstate",
        "aws_launch_template.foo",
        launch_template("lt-0ed993d09ce6afc67", "test-template", data),
        "image_id",
        json!("ami-0other"),
    );
    let data = ec2::ResponseLaunchTemplateData::builder()
        .image_id("ami-1a2b3c")
        .instance_type(ec2::InstanceType::from("t3.large"))
        .build();
    assert_real_shape_matches(
        "cycloidio__terracost/testdata__aws__asg-plan.json",
        "module.magento.aws_launch_template.foobar",
        launch_template("lt-0planned1", "foobar", data),
        "instance_type",
        json!("g5.xlarge"),
    );
    let data = ec2::ResponseLaunchTemplateData::builder().instance_type(ec2::InstanceType::from("t2.micro")).build();
    assert_real_shape_matches(
        "cycloidio__terracost/testdata__aws__eks-plan.json",
        "module.eks.aws_launch_template.foo",
        launch_template("lt-0planned2", "foo", data),
        "instance_type",
        json!("g5.xlarge"),
    );
}

fn group_api(name: &str, min: i32, max: i32, desired: i32) -> asg::builders::AutoScalingGroupBuilder {
    asg::AutoScalingGroup::builder()
        .auto_scaling_group_name(name)
        .auto_scaling_group_arn(format!(
            "arn:aws:autoscaling:eu-west-1:{ACCOUNT}:autoScalingGroup:uuid:autoScalingGroupName/{name}"
        ))
        .min_size(min)
        .max_size(max)
        .desired_capacity(desired)
        .default_cooldown(300)
        .availability_zones("eu-west-1a")
        .health_check_type("EC2")
}

#[test]
fn aws_autoscaling_group_plans_launch_template_mixed_and_tags() {
    let fixture = "cycloidio__terracost/testdata__aws__asg-plan.json";
    let lt = group_api("magento-lt", 1, 10, 2)
        .launch_template(
            asg::LaunchTemplateSpecification::builder()
                .launch_template_id("lt-0planned1")
                .launch_template_name("foobar")
                .version("$Latest")
                .build(),
        )
        .build();
    let live = aws::autoscaling_group::to_resource(ACCOUNT, "eu-west-1", &lt);
    assert_real_shape_matches(fixture, "module.magento.aws_autoscaling_group.lt", live, "desired_capacity", json!(8));

    let mixed = group_api("magento-mixed", 2, 15, 3)
        .mixed_instances_policy(
            asg::MixedInstancesPolicy::builder()
                .launch_template(
                    asg::LaunchTemplate::builder()
                        .launch_template_specification(
                            asg::LaunchTemplateSpecification::builder()
                                .launch_template_id("lt-0planned1")
                                .launch_template_name("foobar")
                                .version("$Default")
                                .build(),
                        )
                        .overrides(
                            asg::LaunchTemplateOverrides::builder()
                                .instance_type("c4.large")
                                .weighted_capacity("3")
                                .build(),
                        )
                        .build(),
                )
                .instances_distribution(asg::InstancesDistribution::builder().on_demand_base_capacity(2).build())
                .build(),
        )
        .build();
    let live = aws::autoscaling_group::to_resource(ACCOUNT, "eu-west-1", &mixed);
    assert_real_shape_matches(
        fixture,
        "module.magento.aws_autoscaling_group.mixed",
        live,
        "mixed_instances_policy.0.launch_template.0.override.0.instance_type",
        json!("p5.48xlarge"),
    );

    // Launch configuration (not compared), tags with propagate_at_launch.
    let example = group_api("terraform-asg-example", 2, 10, 2)
        .launch_configuration_name("terraform-lc-example")
        .tags(
            asg::TagDescription::builder()
                .resource_id("terraform-asg-example")
                .resource_type("auto-scaling-group")
                .key("Name")
                .value("terraform-asg-example")
                .propagate_at_launch(true)
                .build(),
        )
        .build();
    let live = aws::autoscaling_group::to_resource(ACCOUNT, "us-west-1", &example);
    assert_real_shape_matches(
        "kaytu-io__pennywise/testdata__cost__aws_test__tfplan.json",
        "aws_autoscaling_group.example",
        live,
        "max_size",
        json!(20),
    );
}

fn nodegroup(cluster: &str, name: &str) -> eks::builders::NodegroupBuilder {
    eks::Nodegroup::builder()
        .nodegroup_name(name)
        .cluster_name(cluster)
        .nodegroup_arn(format!("arn:aws:eks:us-east-2:{ACCOUNT}:nodegroup/{cluster}/{name}/76c7196a"))
        .version("1.29")
        .status(eks::NodegroupStatus::Active)
        .node_role(format!("arn:aws:iam::{ACCOUNT}:role/node"))
}

fn scaling(min: i32, max: i32, desired: i32) -> eks::NodegroupScalingConfig {
    eks::NodegroupScalingConfig::builder().min_size(min).max_size(max).desired_size(desired).build()
}

#[test]
fn aws_eks_node_group_eks_state_with_a_launch_template() {
    // With a launch template the API returns no instance types and no disk size.
    let ng = nodegroup("mpfefferle", "weka-mpfefferle-weka-backend-node-group")
        .ami_type(eks::AmiTypes::Custom)
        .capacity_type(eks::CapacityTypes::OnDemand)
        .scaling_config(scaling(5, 5, 5))
        .subnets("subnet-0af7c26d139377cb4")
        .subnets("subnet-0bc8f93793bb72a0c")
        .labels("weka.io/role", "backend")
        .release_version("ami-0c18ee34aee051305")
        .launch_template(
            eks::LaunchTemplateSpecification::builder()
                .id("lt-0f76350c2ffd36125")
                .name("weka-mpfefferle-backend20240312132425832600000009")
                .version("1")
                .build(),
        )
        .resources(
            eks::NodegroupResources::builder()
                .auto_scaling_groups(
                    eks::AutoScalingGroup::builder()
                        .name("eks-weka-mpfefferle-weka-backend-node-group-76c7196a-fc70-b52a-a7cd-d463a761ce70")
                        .build(),
                )
                .build(),
        )
        .build();
    let live = aws::eks_node_group::to_resource(ACCOUNT, "us-east-2", "mpfefferle", &ng);
    assert_real_shape_matches(
        "weka__weka-operator/terraform__eks__terraform.tfstate.backup",
        "aws_eks_node_group.weka_backend",
        live,
        "scaling_config.0.desired_size",
        json!(9),
    );
}

#[test]
fn aws_eks_node_group_plans_spot_and_launch_template() {
    let ng = nodegroup("spot-cluster", "eks-nodes")
        .instance_types("t3.medium")
        .capacity_type(eks::CapacityTypes::Spot)
        .ami_type(eks::AmiTypes::Al2X8664)
        .disk_size(20)
        .scaling_config(scaling(1, 10, 2))
        .subnets("10.0.101.0/24")
        .subnets("10.0.102.0/24")
        .subnets("10.0.103.0/24")
        .build();
    let live = aws::eks_node_group::to_resource(ACCOUNT, "eu-central-1", "spot-cluster", &ng);
    assert_real_shape_matches(
        "AlexanderWiechert__open-costcalculator/plan__terraform-spot.plan.json",
        "module.eks.aws_eks_node_group.eks_nodes",
        live,
        "capacity_type",
        json!("ON_DEMAND"),
    );
    let ng = nodegroup("example", "example")
        .instance_types("t3.large")
        .capacity_type(eks::CapacityTypes::OnDemand)
        .ami_type(eks::AmiTypes::Al2X8664)
        .scaling_config(scaling(1, 2, 1))
        .subnets("1")
        .subnets("2")
        .launch_template(
            eks::LaunchTemplateSpecification::builder().id("lt-0planned2").name("foo").version("1").build(),
        )
        .build();
    let live = aws::eks_node_group::to_resource(ACCOUNT, "us-east-1", "example", &ng);
    assert_real_shape_matches(
        "cycloidio__terracost/testdata__aws__eks-plan.json",
        "module.eks.aws_eks_node_group.example",
        live,
        "launch_template.0.version",
        json!("2"),
    );
}

fn permission(protocol: &str, from: Option<i32>, to: Option<i32>) -> ec2::builders::IpPermissionBuilder {
    let mut b = ec2::IpPermission::builder().ip_protocol(protocol);
    if let (Some(f), Some(t)) = (from, to) {
        b = b.from_port(f).to_port(t);
    }
    b
}

fn cidr(c: &str, description: Option<&str>) -> ec2::IpRange {
    let b = ec2::IpRange::builder().cidr_ip(c);
    match description {
        Some(d) => b.description(d).build(),
        None => b.build(),
    }
}

fn security_group(
    id: &str,
    name: &str,
    ingress: Vec<ec2::IpPermission>,
    egress: Vec<ec2::IpPermission>,
) -> ec2::builders::SecurityGroupBuilder {
    ec2::SecurityGroup::builder()
        .group_id(id)
        .group_name(name)
        .description("Managed by Terraform")
        .vpc_id("vpc-03a33c60fae917856")
        .owner_id(ACCOUNT)
        .set_ip_permissions(Some(ingress))
        .set_ip_permissions_egress(Some(egress))
}

#[test]
fn aws_security_group_inline_rules_state_and_plan() {
    let g = security_group(
        "sg-0254c038e32f25530",
        "foo",
        vec![permission("-1", None, None).ip_ranges(cidr("0.0.0.0/0", Some("Foo"))).build()],
        vec![permission("-1", None, None).ip_ranges(cidr("0.0.0.0/0", Some("Bar"))).build()],
    )
    .tags(ec2_tag("Name", "Foo SG"))
    .build();
    assert_real_shape_matches(
        "snyk__driftctl/pkg__iac__terraform__state__test__aws_vpc_security_group__terraform.tfstate",
        "aws_security_group.test-sg",
        aws::security_group::to_resource("047081014315", "eu-west-3", &g),
        "ingress.0.description",
        json!("changed"),
    );
    let g = security_group(
        "sg-0planned1",
        "terraform-example-elb",
        vec![permission("tcp", Some(80), Some(80)).ip_ranges(cidr("0.0.0.0/0", None)).build()],
        vec![permission("-1", None, None).ip_ranges(cidr("0.0.0.0/0", None)).build()],
    )
    .build();
    assert_real_shape_matches(
        "kaytu-io__pennywise/testdata__cost__aws_test__tfplan.json",
        "aws_security_group.elb",
        aws::security_group::to_resource(ACCOUNT, "us-west-1", &g),
        "ingress.0.from_port",
        json!(22),
    );
}

/// The EKS worker group of the weka state declares its rules as `aws_security_group_rule`
/// resources, so its own state has `ingress = []` and `egress = []`.
fn weka_workers(extra: Option<ec2::IpPermission>) -> Resource {
    let own = "sg-0be5a69c4027fa80e";
    let mut ingress = vec![
        permission("-1", None, None)
            .user_id_group_pairs(ec2::UserIdGroupPair::builder().group_id(own).user_id(ACCOUNT).build())
            .build(),
        permission("tcp", Some(1025), Some(65535))
            .user_id_group_pairs(
                ec2::UserIdGroupPair::builder().group_id("sg-0ce63905fd700f842").user_id(ACCOUNT).build(),
            )
            .build(),
    ];
    ingress.extend(extra);
    let egress = vec![permission("-1", None, None).ip_ranges(cidr("0.0.0.0/0", None)).build()];
    let g = security_group(own, "weka-mpfefferle-eks-worker-nodes", ingress, egress)
        .description("EKS worker nodes security group")
        .build();
    aws::security_group::to_resource(ACCOUNT, "us-east-2", &g)
}

#[test]
fn aws_security_group_rules_declared_as_their_own_resources_count_as_declared() {
    let fixture = "weka__weka-operator/terraform__eks__terraform.tfstate.backup";
    assert_real_shape_matches(
        fixture,
        "aws_security_group.eks_worker_nodes",
        weka_workers(None),
        "egress.0.cidr_blocks",
        json!(["10.0.0.0/8"]),
    );
    // A rule neither the group nor any rule resource declares is drift, and only it.
    let ssh = permission("tcp", Some(22), Some(22)).ip_ranges(cidr("0.0.0.0/0", None)).build();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/real-state").join(fixture);
    let state = tfstate::read_file(&file).unwrap();
    let registry = driftd_providers::registry();
    let prices = PriceTable::builtin();
    let ignore = Default::default();
    let input = Input { declared: &state.resources, terraform_drift: &[], registry, prices: &prices, ignore: &ignore };
    let mut snap = Snapshot::new("t".into());
    snap.resources.push(weka_workers(Some(ssh)));
    let c = compare::compare(&input, &snap);
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    let changes = c.findings[0].changes.as_ref().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(changes[0].path.starts_with("ingress"), "{changes:#?}");
    assert_eq!(changes[0].live.to_string().matches("0.0.0.0/0").count(), 1, "the SSH rule alone: {changes:#?}");
}
