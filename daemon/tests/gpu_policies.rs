//! The GPU pack's fleet-shape policies end to end, each from code alone (`--tf`), from a
//! state alone and from a live scan (moto): GPU011 (EFA on EFA-capable types), GPU012
//! (a placement group across zones), GPU013 (an allowlist that leaves out a family's
//! variants), GPU014 (spot GPU capacity in production). Code and state carry no GPU
//! facts: the built-in table (`core/src/gpu.rs`) supplies them.

mod common;

use common::moto::{Moto, CONFIG};
use common::{driftd_env, fleet};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

const NEW: [&str; 4] = ["GPU011", "GPU012", "GPU013", "GPU014"];

const POLICY_CONFIG: &str = "[policy.config]\nallowed_gpu_types = { prod = [\"p5.*\", \"g6.*\"] }\n";

/// A launch template of p5 without an EFA interface, an auto scaling group in a placement
/// group over two zones, and a p5en (a variant the allowlist's `p5.*` leaves out) bought
/// as spot in production.
const CODE: &str = r#"
resource "aws_launch_template" "trainers" {
  name          = "trainers"
  instance_type = "p5.48xlarge"
  metadata_options {
    http_tokens = "required"
  }
  network_interfaces {
    device_index = 0
  }
}

resource "aws_autoscaling_group" "trainers" {
  name               = "trainers"
  min_size           = 0
  max_size           = 4
  placement_group    = "train-pg"
  availability_zones = ["us-east-1a", "us-east-1b"]
  launch_template {
    id = aws_launch_template.trainers.id
  }
}

resource "aws_instance" "serving" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "p5en.48xlarge"
  instance_market_options {
    market_type = "spot"
  }
  metadata_options {
    http_tokens = "required"
  }
  tags = {
    Name = "serving"
    env  = "prod"
    team = "serving"
  }
}
"#;

/// The same three in the AWS provider's state shapes.
fn state() -> Value {
    fleet::raw_state(vec![
        (
            "aws_launch_template",
            "trainers",
            None,
            json!({"id": "lt-0a1b2c3d4e5f60718", "name": "trainers", "instance_type": "p5.48xlarge",
                   "metadata_options": [{"http_tokens": "required"}],
                   "network_interfaces": [{"device_index": 0, "interface_type": "", "network_card_index": 0}],
                   "arn": "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0a1b2c3d4e5f60718", "tags": {}}),
        ),
        (
            "aws_autoscaling_group",
            "trainers",
            None,
            json!({"id": "trainers", "name": "trainers", "min_size": 0, "max_size": 4, "desired_capacity": 0,
                   "placement_group": "train-pg", "availability_zones": ["us-east-1a", "us-east-1b"],
                   "launch_template": [{"id": "lt-0a1b2c3d4e5f60718", "version": "$Latest"}],
                   "arn": "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/trainers"}),
        ),
        (
            "aws_instance",
            "serving",
            None,
            json!({"id": "i-0f1e2d3c4b5a69788", "ami": "ami-0123456789abcdef0", "instance_type": "p5en.48xlarge",
                   "instance_market_options": [{"market_type": "spot", "spot_options": []}],
                   "metadata_options": [{"http_tokens": "required"}], "availability_zone": "us-east-1a",
                   "arn": "arn:aws:ec2:us-east-1:123456789012:instance/i-0f1e2d3c4b5a69788",
                   "tags": {"Name": "serving", "env": "prod", "team": "serving"}}),
        ),
    ])
}

fn new_findings(dir: &Path, args: &[&str], env: &[(&'static str, String)]) -> BTreeSet<(String, String, String)> {
    let mut all = vec!["check", "--format", "json", "--fail-on", "never"];
    all.extend_from_slice(args);
    let run = driftd_env(dir, &all, env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let id = f["policy"]["id"].as_str().filter(|id| NEW.contains(id))?;
            Some((id.to_string(), f["resource"]["type"].as_str()?.to_string(), f["message"].as_str()?.to_string()))
        })
        .collect()
}

fn expected(template: &str, group: &str, instance: &str) -> BTreeSet<(String, String, String)> {
    [
        ("GPU011", "aws_launch_template", format!("launch template {template} launches p5.48xlarge without an EFA interface")),
        ("GPU012", "aws_autoscaling_group", format!("{group} is in placement group train-pg but spread over 2 zones (us-east-1a, us-east-1b)")),
        ("GPU013", "aws_instance", format!("{instance} runs p5en.48xlarge, a variant of p5 that allowed_gpu_types pattern \"p5.*\" for env \"prod\" leaves out")),
        ("GPU014", "aws_instance", format!("{instance} runs GPU capacity as spot in env \"prod\"")),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c))
    .collect()
}

#[test]
fn each_policy_is_found_from_code_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    std::fs::write(dir.path().join("infra/main.tf"), CODE).unwrap();
    std::fs::write(dir.path().join("driftd.toml"), POLICY_CONFIG).unwrap();
    let got = new_findings(dir.path(), &["--tf", "infra"], &[]);
    assert_eq!(got, expected("trainers", "trainers", "serving"));
}

#[test]
fn each_policy_is_found_from_a_state_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("terraform.tfstate"), state().to_string()).unwrap();
    std::fs::write(dir.path().join("driftd.toml"), POLICY_CONFIG).unwrap();
    let got = new_findings(dir.path(), &["--state", "terraform.tfstate", "--provider", "none"], &[]);
    assert_eq!(got, expected("trainers", "trainers", "serving"));
}

/// Live: the same fleet made in moto. The running p5en's interfaces are read from the
/// API (plain ENIs), so it is also told it has no EFA.
#[test]
fn each_policy_is_found_on_a_live_fleet() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let instance = fleet::rt().block_on(async {
        use aws_sdk_ec2::types::*;
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let ami = fleet::ami(&ec2).await;
        ec2.create_launch_template()
            .launch_template_name("trainers")
            .launch_template_data(
                RequestLaunchTemplateData::builder()
                    .image_id(&ami)
                    .instance_type(InstanceType::P548xlarge)
                    .metadata_options(
                        LaunchTemplateInstanceMetadataOptionsRequest::builder()
                            .http_tokens(LaunchTemplateHttpTokensState::Required)
                            .build(),
                    )
                    .network_interfaces(
                        LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                            .device_index(0)
                            .interface_type("interface")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        aws_sdk_autoscaling::Client::new(&conf)
            .create_auto_scaling_group()
            .auto_scaling_group_name("trainers")
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                    .launch_template_name("trainers")
                    .version("$Latest")
                    .build(),
            )
            .min_size(0)
            .max_size(4)
            .desired_capacity(0)
            .placement_group("train-pg")
            .availability_zones("us-east-1a")
            .availability_zones("us-east-1b")
            .send()
            .await
            .unwrap();
        let out = ec2
            .run_instances()
            .image_id(&ami)
            .instance_type(InstanceType::P5en48xlarge)
            .min_count(1)
            .max_count(1)
            .instance_market_options(InstanceMarketOptionsRequest::builder().market_type(MarketType::Spot).build())
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(Tag::builder().key("Name").value("serving").build())
                    .tags(Tag::builder().key("env").value("prod").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.instances()[0].instance_id().unwrap().to_string()
    });
    std::fs::write(dir.path().join("driftd.toml"), format!("{CONFIG}{POLICY_CONFIG}")).unwrap();
    let got = new_findings(dir.path(), &["--provider", "aws"], &moto.env());
    let mut want = expected("trainers", "trainers", "serving");
    want.insert((
        "GPU011".into(),
        "aws_instance".into(),
        "serving (p5en.48xlarge) runs without an EFA interface".into(),
    ));
    assert_eq!(got, want, "instance {instance}");
}

/// GPU facts come from the built-in table when nothing was scanned: a GPU launch template
/// on IMDSv1 is flagged from code alone (GPU002), a CPU one is not.
#[test]
fn a_gpu_launch_template_on_imdsv1_is_flagged_from_code_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    let code = r#"
resource "aws_launch_template" "gpu" {
  name          = "gpu"
  instance_type = "g6e.12xlarge"
}
resource "aws_launch_template" "cpu" {
  name          = "cpu"
  instance_type = "m7i.large"
}
"#;
    std::fs::write(dir.path().join("infra/main.tf"), code).unwrap();
    let run = driftd_env(dir.path(), &["check", "--tf", "infra", "--format", "json", "--fail-on", "never"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let imds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"]["id"] == "GPU002")
        .map(|f| f["resource"]["address"].as_str().unwrap())
        .collect();
    assert_eq!(imds, ["aws_launch_template.gpu"]);
}
