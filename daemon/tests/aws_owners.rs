//! Real fleets against moto: capacity that orchestrators create (an EKS managed node
//! group's auto scaling group and launch template, Karpenter nodes, an EC2 Fleet, a
//! CloudFormation stack), and a scan of which one type cannot be read.
//!
//! moto's EKS creates neither the auto scaling group nor the launch template of a node
//! group, and moto's EC2 Fleet does not tag its instances: the test creates them with the
//! names and tags EKS and EC2 use (`providers/src/aws/owners.rs` says where those were
//! confirmed). moto's CloudFormation tags the instance of a stack itself.

mod common;
use aws_sdk_ec2::types::{
    DefaultTargetCapacityType, FleetLaunchTemplateConfigRequest, FleetLaunchTemplateSpecificationRequest, FleetType,
    ResourceType, Tag, TagSpecification, TargetCapacitySpecificationRequest,
};
use common::fleet::*;
use common::moto::Moto;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;

const ACCOUNT: &str = "123456789012";
const EKS_UUID: &str = "6ec6c9a1-0d3b-4e29-8a1c-5f2d7b9e0c11";

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// The orchestrated fleet; returns the EC2 Fleet's id and the CloudFormation instance's id.
fn build_fleet(moto: &Moto) -> (String, String) {
    let rt = rt();
    let fleet_id = rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let image = ami(&ec2).await;

        // EKS managed node group "gpu" of cluster "ml", with the template and the group EKS makes.
        eks_gpu_group(&conf, 2).await;
        let eks_tags = [tag("eks:cluster-name", "ml"), tag("eks:nodegroup-name", "gpu")];
        ec2.create_launch_template()
            .launch_template_name(format!("eks-{EKS_UUID}"))
            .launch_template_data(gpu_template(&image, "p5.48xlarge"))
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::LaunchTemplate)
                    .set_tags(Some(eks_tags.to_vec()))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let asg_tag = |k: &str, v: &str, propagate: bool| {
            aws_sdk_autoscaling::types::Tag::builder()
                .resource_id(format!("eks-gpu-{EKS_UUID}"))
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(propagate)
                .build()
        };
        aws_sdk_autoscaling::Client::new(&conf)
            .create_auto_scaling_group()
            .auto_scaling_group_name(format!("eks-gpu-{EKS_UUID}"))
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                    .launch_template_name(format!("eks-{EKS_UUID}"))
                    .version("1")
                    .build(),
            )
            .min_size(0)
            .max_size(4)
            .desired_capacity(2)
            .availability_zones("us-east-1a")
            .tags(asg_tag("eks:cluster-name", "ml", true))
            .tags(asg_tag("eks:nodegroup-name", "gpu", true))
            .tags(asg_tag("k8s.io/cluster-autoscaler/enabled", "true", false))
            .send()
            .await
            .unwrap();

        // Karpenter: two nodes of NodePool "gpu" (launched through CreateFleet, so they carry
        // a fleet id too) and the launch template it made.
        for (name, itype) in [("karpenter-a", "p5.48xlarge"), ("karpenter-b", "g6e.12xlarge")] {
            let tags = [
                ("karpenter.sh/nodepool", "gpu"),
                ("karpenter.k8s.aws/ec2nodeclass", "default"),
                ("karpenter.sh/nodeclaim", name),
                ("eks:eks-cluster-name", "ml"),
                ("kubernetes.io/cluster/ml", "owned"),
                ("aws:ec2:fleet-id", "fleet-0karpenter0000000000"),
            ];
            launch(&ec2, &image, name, itype, "", &tags).await;
        }
        ec2.create_launch_template()
            .launch_template_name("karpenter.k8s.aws/15949964056112399691")
            .launch_template_data(gpu_template(&image, "p5.48xlarge"))
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::LaunchTemplate)
                    .tags(tag("karpenter.k8s.aws/cluster", "ml"))
                    .build(),
            )
            .send()
            .await
            .unwrap();

        // An EC2 Fleet of two g5.xlarge that no state declares (its template is declared).
        ec2.create_launch_template()
            .launch_template_name("batch-fleet-lt")
            .launch_template_data(gpu_template(&image, "g5.xlarge"))
            .send()
            .await
            .unwrap();
        let fleet = ec2
            .create_fleet()
            .launch_template_configs(
                FleetLaunchTemplateConfigRequest::builder()
                    .launch_template_specification(
                        FleetLaunchTemplateSpecificationRequest::builder()
                            .launch_template_name("batch-fleet-lt")
                            .version("1")
                            .build(),
                    )
                    .build(),
            )
            .target_capacity_specification(
                TargetCapacitySpecificationRequest::builder()
                    .total_target_capacity(2)
                    .default_target_capacity_type(DefaultTargetCapacityType::OnDemand)
                    .build(),
            )
            .r#type(FleetType::Instant)
            .send()
            .await
            .unwrap();
        let fleet_id = fleet.fleet_id().unwrap().to_string();
        let ids: Vec<String> = fleet.instances().iter().flat_map(|i| i.instance_ids()).map(|s| s.to_string()).collect();
        assert_eq!(ids.len(), 2, "moto's instant fleet launched {ids:?}");
        ec2.create_tags().set_resources(Some(ids)).tags(tag("aws:ec2:fleet-id", &fleet_id)).send().await.unwrap();
        fleet_id
    });
    // A CloudFormation stack with one GPU instance.
    let stack_instance = moto.python(
        r#"
import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
ec2 = boto3.client("ec2", **kw)
image = ec2.describe_images()["Images"][0]["ImageId"]
template = {"Resources": {"Node": {"Type": "AWS::EC2::Instance",
            "Properties": {"ImageId": image, "InstanceType": "g5.xlarge"}}}}
boto3.client("cloudformation", **kw).create_stack(StackName="legacy", TemplateBody=json.dumps(template))
for r in ec2.describe_instances(Filters=[{"Name": "tag:aws:cloudformation:stack-name", "Values": ["legacy"]}])["Reservations"]:
    for i in r["Instances"]:
        print(i["InstanceId"])
"#,
    );
    (fleet_id, stack_instance.trim().to_string())
}

/// The state of a Terraform that declares the node group and the fleet's launch template.
fn declared_state(moto: &Moto, with_node_group: bool) -> Value {
    rt().block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let mut out = Vec::new();
        let lts = ec2.describe_launch_templates().launch_template_names("batch-fleet-lt").send().await.unwrap();
        let lt = &lts.launch_templates()[0];
        let id = lt.launch_template_id().unwrap();
        let versions =
            ec2.describe_launch_template_versions().launch_template_id(id).versions("$Latest").send().await.unwrap();
        let data = versions.launch_template_versions()[0].launch_template_data().unwrap();
        let arn = format!("arn:aws:ec2:us-east-1:{ACCOUNT}:launch-template/{id}");
        out.push(("aws_launch_template", "batch", None, launch_template_state(lt, data, arn)));
        if with_node_group {
            let ng = aws_sdk_eks::Client::new(&conf)
                .describe_nodegroup()
                .cluster_name("ml")
                .nodegroup_name("gpu")
                .send()
                .await
                .unwrap();
            out.push(("aws_eks_node_group", "gpu", None, node_group_state(ng.nodegroup().unwrap())));
        }
        raw_state(out)
    })
}

fn check(dir: &std::path::Path, moto: &Moto, state: &Value, config: &str) -> (i32, Value, String) {
    fs::write(dir.join("state.json"), state.to_string()).unwrap();
    fs::write(dir.join("driftd.toml"), config).unwrap();
    let r = driftd_env(
        dir,
        &[
            "check",
            "--config",
            "driftd.toml",
            "--state",
            "state.json",
            "--provider",
            "aws",
            "--format",
            "json",
            "--no-builtin-policies",
        ],
        &moto.env(),
    );
    let report = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r.code, report, r.stderr)
}

fn kinds(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&f["kind"]), s(&f["resource"]["type"]), s(&f["resource"]["id"]), s(&f["severity"]))
        })
        .collect()
}

#[test]
fn orchestrated_capacity_is_owned_and_an_undeclared_owner_is_one_finding() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (fleet_id, stack_instance) = build_fleet(&moto);
    let (code, report, stderr) = check(dir.path(), &moto, &declared_state(&moto, true), common::moto::CONFIG);
    assert_eq!(code, 1, "{stderr}\n{report:#}");
    let s = |v: &str| v.to_string();
    let want: BTreeSet<_> = [
        (s("unmanaged"), s("aws_ec2_fleet"), fleet_id.clone(), s("high")),
        (s("unmanaged"), s("aws_instance"), stack_instance.clone(), s("low")),
    ]
    .into();
    assert_eq!(kinds(&report), want, "{report:#}");
    let fleet = finding_of(&report, "aws_ec2_fleet");
    // Each instance at its hourly price as reports show it ($1.01), summed.
    assert_eq!(fleet["cost"]["live_per_hour_usd"], 2.02, "two g5.xlarge: {fleet:#}");
    assert!(fleet["message"].as_str().unwrap().contains("2 aws_instance"), "{fleet:#}");
    let stack = finding_of(&report, "aws_instance");
    let message = stack["message"].as_str().unwrap();
    assert!(message.contains("CloudFormation stack") && message.contains("stack/legacy/"), "{message}");
    assert_eq!(report["summary"]["unmanaged_cost_per_hour_usd"], 2.02, "another tool's node is not shadow capacity");

    let owners: BTreeSet<(String, String, u64, String)> = report["summary"]["orchestrated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["type"].as_str().unwrap().to_string(),
                o["id"].as_str().unwrap().to_string(),
                o["resources"].as_u64().unwrap(),
                o["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for owner in [
        (s("aws_eks_node_group"), s("ml:gpu"), 2, s("declared")),
        (s("karpenter"), s("nodepool/gpu"), 2, s("orchestrator")),
        (s("aws_ec2_fleet"), fleet_id.clone(), 2, s("unmanaged")),
    ] {
        assert!(owners.contains(&owner), "{owner:?} not in {owners:#?}");
    }
    let karpenter =
        report["summary"]["orchestrated"].as_array().unwrap().iter().find(|o| o["type"] == "karpenter").unwrap();
    assert_eq!(karpenter["cost_per_hour_usd"], 65.53, "p5.48xlarge + g6e.12xlarge: {karpenter:#}");

    // Without the node group in state: one finding for it, carrying its two p5s; never
    // its auto scaling group, launch template or instances.
    let (code, report, stderr) = check(dir.path(), &moto, &declared_state(&moto, false), common::moto::CONFIG);
    assert_eq!(code, 1, "{stderr}");
    let got = kinds(&report);
    assert!(got.contains(&(s("unmanaged"), s("aws_eks_node_group"), s("ml:gpu"), s("high"))), "{got:#?}");
    assert_eq!(got.len(), 3, "node group, fleet, stack instance: {got:#?}");
    let group = finding_of(&report, "aws_eks_node_group");
    assert_eq!(group["cost"]["live_per_hour_usd"], 110.08, "{group:#}");
    assert!(group["message"].as_str().unwrap().contains("2 aws_instance"), "{group:#}");
}

fn finding_of<'a>(report: &'a Value, t: &str) -> &'a Value {
    report["findings"].as_array().unwrap().iter().find(|f| f["resource"]["type"] == t).unwrap()
}

#[test]
fn a_type_that_cannot_be_read_leaves_the_others_compared_and_exits_3() {
    // moto serves neither DescribePlacementGroups nor DescribeCapacityReservations: scan
    // every type (no skip_types), as a user missing those two permissions would (the
    // latter reads capacity reservations and Capacity Blocks).
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let id = rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let image = ami(&ec2).await;
        let sg = group(&ec2, "gpu").await;
        launch(&ec2, &image, "trainer-0", "p4d.24xlarge", &sg, &[("team", "ml")]).await
    });
    let mut state =
        rt.block_on(async { terraform_state(&[("us-east-1", moto.sdk("us-east-1").await)], ACCOUNT).await });
    // A declared placement group: not readable here, so not covered, never missing.
    state["resources"].as_array_mut().unwrap().push(serde_json::json!({
        "mode": "managed", "type": "aws_placement_group", "name": "train",
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 0, "sensitive_attributes": [], "attributes": {
            "arn": format!("arn:aws:ec2:us-east-1:{ACCOUNT}:placement-group/train"), "id": "train", "name": "train",
            "partition_count": 0, "placement_group_id": "pg-0123456789abcdef0", "spread_level": "",
            "strategy": "cluster", "tags": null, "tags_all": {}}}]}));
    rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        ec2.stop_instances().instance_ids(&id).send().await.unwrap();
        ec2.modify_instance_attribute()
            .instance_id(&id)
            .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("p5.48xlarge").build())
            .send()
            .await
            .unwrap();
        ec2.start_instances().instance_ids(&id).send().await.unwrap();
    });
    let (code, report, stderr) = check(dir.path(), &moto, &state, "");
    assert_eq!(code, 3, "a type that could not be read never passes: {stderr}");
    let s = |v: &str| v.to_string();
    assert_eq!(kinds(&report), [(s("changed"), s("aws_instance"), id.clone(), s("high"))].into(), "{report:#}");
    assert_eq!(report["summary"]["not_covered"], 1, "the placement group: {report:#}");
    assert_eq!(report["summary"]["missing"], 0);
    for (t, action) in [
        ("aws_placement_group", "ec2:DescribePlacementGroups"),
        ("aws_ec2_capacity_reservation", "ec2:DescribeCapacityReservations"),
        ("aws_ec2_capacity_block_reservation", "ec2:DescribeCapacityReservations"),
    ] {
        let line = stderr.lines().find(|l| l.contains(t)).unwrap_or_else(|| panic!("{t} not named: {stderr}"));
        assert!(line.starts_with("driftd: aws 123456789012 us-east-1: ") && line.contains(action), "{line}");
        // An error driftd has no name for: service, action, HTTP status (and the code or
        // message when the body has one), never the SDK's debug structure.
        assert!(line.contains(&format!("{action} failed at http://127.0.0.1:")) && line.contains("HTTP 500"), "{line}");
        assert!(line.len() < 200 && !line.contains("ResponseError") && !line.contains("raw:"), "{line}");
        assert!(
            report["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["kind"] == "scan_error" && w["message"].as_str().unwrap().contains(t)),
            "{report:#}"
        );
    }
}
