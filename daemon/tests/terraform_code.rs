//! `driftd check --tf` on Terraform code as real modules are written (issue 19): a public
//! module and its example evaluated with inputs unknown, registry calls counted rather
//! than silently empty, policy findings pointing at their block (SARIF too), and
//! `lifecycle { ignore_changes }` honoured against moto and a snapshot.

mod common;
use common::fleet::*;
use common::moto::Moto;
use common::*;
use serde_json::Value;
use std::fs;

const EC2_MODULE: &str = "testdata/tf/real/terraform-aws-ec2-instance";

fn json_report(dir: &std::path::Path, args: &[&str]) -> (Run, Value) {
    let out = dir.join("report.json");
    let mut all = args.to_vec();
    let out_s = out.display().to_string();
    all.extend(["--format", "json", "--output", &out_s]);
    let r = driftd_in(&root(), &all);
    let report = serde_json::from_str(&fs::read_to_string(&out).unwrap_or_else(|_| panic!("{}", r.stderr))).unwrap();
    (r, report)
}

fn addresses(report: &Value, policy: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"]["id"] == policy)
        .map(|f| f["resource"]["address"].as_str().unwrap().to_string())
        .collect()
}

/// The module's own example: evaluated (no exit 2), its two registry calls counted and
/// named in the headline and warnings, its local calls of `../../` expanded.
#[test]
fn a_public_module_example_evaluates_and_counts_its_registry_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let example = format!("{EC2_MODULE}/examples/complete");
    let (r, report) = json_report(tmp.path(), &["check", "--tf", &example, "--fail-on", "critical"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(report["sources"]["declared"][0]["modules_not_evaluated"], 2);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("terraform-aws-modules/vpc/aws")
            && warnings.contains("terraform-aws-modules/security-group/aws")
    );
    let text = driftd(&["check", "--tf", &example, "--fail-on", "critical"]);
    assert!(text.stdout.contains("2 module calls were not evaluated"), "{}", text.stdout);
    // Every instance of the module the example creates (`create = false` makes none), as
    // `driftd code` lists them.
    let listed = driftd(&["code", &example]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let got: Vec<String> =
        listed["resources"].as_array().unwrap().iter().map(|r| r["address"].as_str().unwrap().to_string()).collect();
    let empty = listed["empty_blocks"].as_array().unwrap();
    assert!(empty.contains(&Value::from("module.ec2_disabled.aws_instance.this")), "{empty:?}");
    assert_eq!(listed["unevaluated"], serde_json::json!(["module.vpc.", "module.security_group."]));
    assert!(got.contains(&"module.ec2_complete.aws_instance.this[0]".to_string()), "{got:?}");
    assert!(got.contains(&"module.ec2_multiple[\"two\"].aws_instance.this[0]".to_string()), "{got:?}");
    assert!(!got.iter().any(|a| a.starts_with("module.ec2_disabled.")), "{got:?}");
    // `ebs_volumes != null` is known although a volume's KMS key is not: its volume and
    // attachment are declared.
    assert!(got.contains(&"module.ec2_complete.aws_ebs_volume.this[\"/dev/sdf\"]".to_string()), "{got:?}");
    assert_eq!(got.len(), 66, "{got:?}");
}

/// The module standalone (what a pull request touching it runs): a GPU type with IMDSv1
/// through its variables is GPU002 at the `aws_instance` block, and every SARIF result of
/// the run has a physical location.
#[test]
fn a_gpu_instance_with_imdsv1_in_a_public_module_is_gpu002_at_its_block() {
    let tmp = tempfile::tempdir().unwrap();
    let vars = ["--var", "instance_type=p5.48xlarge", "--var", "metadata_options={http_tokens=\"optional\"}"];
    let mut args = vec!["check", "--tf", EC2_MODULE];
    args.extend(vars);
    let (r, report) = json_report(tmp.path(), &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let gpu002: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["policy"]["id"] == "GPU002").collect();
    assert_eq!(gpu002.len(), 1, "{:#?}", report["findings"]);
    let at = &gpu002[0]["declared_at"];
    assert_eq!(at["file"], format!("{EC2_MODULE}/main.tf"));
    assert_eq!((at["line"].as_u64(), at["column"].as_u64()), (Some(41), Some(1)), "{at}");
    assert!(at["end_line"].as_u64().unwrap() > 41);
    // The same with IMDSv2, as the module's default: no GPU002.
    let (_, report) = json_report(tmp.path(), &["check", "--tf", EC2_MODULE, "--var", "instance_type=p5.48xlarge"]);
    assert!(addresses(&report, "GPU002").is_empty());
    // SARIF: every result points at a file and line.
    let sarif = tmp.path().join("r.sarif");
    let sarif_s = sarif.display().to_string();
    let mut args = vec!["check", "--tf", EC2_MODULE, "--format", "sarif", "--output", &sarif_s];
    args.extend(vars);
    driftd(&args);
    let sarif: Value = serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let loc = &result["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string() && loc["region"]["startLine"].is_u64(), "{result:#}");
    }
}

/// A root module made only of registry calls does not pass as "No drift" before
/// `terraform init`; with `.terraform/modules/modules.json` as init writes it, the
/// called module's resources are evaluated.
#[test]
fn a_root_module_of_registry_calls_says_what_was_not_evaluated() {
    let tmp = tempfile::tempdir().unwrap();
    let root_dir = tmp.path().join("live");
    fs::create_dir_all(&root_dir).unwrap();
    fs::write(
        root_dir.join("main.tf"),
        "module \"gpu\" {\n  source  = \"terraform-aws-modules/ec2-instance/aws\"\n  version = \"6.0.0\"\n  instance_type = \"p5.48xlarge\"\n  metadata_options = { http_tokens = \"optional\" }\n}\n",
    )
    .unwrap();
    let dir = root_dir.display().to_string();
    let r = driftd(&["check", "--tf", &dir]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("Nothing declared could be evaluated: 1 module call was not evaluated"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("No drift"), "{}", r.stdout);
    // `terraform init` fetched it.
    copy_testdata(EC2_MODULE, &root_dir.join(".terraform/modules/gpu"));
    fs::write(
        root_dir.join(".terraform/modules/modules.json"),
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"gpu","Source":"registry.terraform.io/terraform-aws-modules/ec2-instance/aws","Version":"6.0.0","Dir":".terraform/modules/gpu"}]}"#,
    )
    .unwrap();
    let (r, report) = json_report(tmp.path(), &["check", "--tf", &dir]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(addresses(&report, "GPU002"), ["module.gpu.aws_instance.this[0]"]);
    assert!(report["sources"]["declared"][0].get("modules_not_evaluated").is_none());
}

/// `--tf` on a folder of examples with no backend: each evaluated on its own, named by
/// its folder, not refused.
#[test]
fn a_folder_of_modules_is_evaluated_folder_by_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, report) = json_report(tmp.path(), &["check", "--tf", "testdata/tf/real"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let roots: Vec<&str> =
        report["sources"]["declared"].as_array().unwrap().iter().map(|d| d["root_module"].as_str().unwrap()).collect();
    assert_eq!(roots, ["terraform-aws-ec2-instance"], "the top-most folder with code; its examples are inside it");
}

/// Code for an autoscaled group (`desired_capacity` ignored) and an instance whose
/// `team` tag another system sets (`tags["team"]` ignored); live differs in both. With
/// `ignore_changes`: no finding, against moto and against a snapshot of it. Without:
/// the two findings.
#[test]
fn ignore_changes_keeps_autoscaled_capacity_and_foreign_tags_quiet() {
    use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};
    let moto = Moto::start();
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let image = ami(&ec2).await;
        ec2.run_instances()
            .image_id(&image)
            .instance_type(InstanceType::from("g6.xlarge"))
            .min_count(1)
            .max_count(1)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(Tag::builder().key("Name").value("infer-1").build())
                    .tags(Tag::builder().key("team").value("set-by-finops").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ec2.create_launch_template()
            .launch_template_name("gpu")
            .launch_template_data(
                aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                    .image_id(&image)
                    .instance_type(InstanceType::from("g6.xlarge"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        aws_sdk_autoscaling::Client::new(&conf)
            .create_auto_scaling_group()
            .auto_scaling_group_name("gpu-pool")
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                    .launch_template_name("gpu")
                    .version("1")
                    .build(),
            )
            .min_size(0)
            .max_size(8)
            // The autoscaler moved it from the declared 2.
            .desired_capacity(5)
            .availability_zones("us-east-1a")
            .send()
            .await
            .unwrap();
    });
    let code = |lifecycle: bool| {
        let dir = tmp.path().join(if lifecycle { "with" } else { "without" });
        fs::create_dir_all(&dir).unwrap();
        let (asg, inst) = match lifecycle {
            true => (
                "  lifecycle {\n    ignore_changes = [desired_capacity]\n  }\n",
                "  lifecycle {\n    ignore_changes = [tags[\"team\"]]\n  }\n",
            ),
            false => ("", ""),
        };
        fs::write(
            dir.join("main.tf"),
            format!(
                "resource \"aws_autoscaling_group\" \"gpu\" {{\n  name = \"gpu-pool\"\n  min_size = 0\n  max_size = 8\n  desired_capacity = 2\n{asg}}}\n\
                 resource \"aws_instance\" \"infer\" {{\n  instance_type = \"g6.xlarge\"\n  tags = {{ Name = \"infer-1\", team = \"ml\" }}\n{inst}}}\n"
            ),
        )
        .unwrap();
        dir.display().to_string()
    };
    let (with, without) = (code(true), code(false));
    let env = moto.env();
    // Skips the two types moto does not serve.
    let config = tmp.path().join("driftd.toml");
    fs::write(&config, common::moto::CONFIG).unwrap();
    let config = config.display().to_string();
    let changed = |report: &Value| -> Vec<String> {
        let mut c: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "changed")
            .flat_map(|f| f["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap().to_string()))
            .collect();
        c.sort();
        c
    };
    let run = |tf: &str, live: &[&str]| -> Value {
        let out = tmp.path().join("r.json").display().to_string();
        let mut args = vec![
            "check",
            "--config",
            &config,
            "--tf",
            tf,
            "--region",
            "us-east-1",
            "--no-builtin-policies",
            "--format",
            "json",
            "--output",
            &out,
        ];
        args.extend(live);
        let r = driftd_env(&root(), &args, &env);
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap()
    };
    assert_eq!(changed(&run(&without, &["--provider", "aws"])), ["desired_capacity", "tags.team"]);
    assert_eq!(changed(&run(&with, &["--provider", "aws"])), Vec::<String>::new());
    // The same from a snapshot of that fleet.
    let snap = tmp.path().join("live.json").display().to_string();
    let r = driftd_env(
        &root(),
        &["snapshot", "--config", &config, "--provider", "aws", "--region", "us-east-1", "--output", &snap],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let from_snapshot = format!("snapshot:{snap}");
    assert_eq!(changed(&run(&without, &["--provider", &from_snapshot])), ["desired_capacity", "tags.team"]);
    assert_eq!(changed(&run(&with, &["--provider", &from_snapshot])), Vec::<String>::new());
}
