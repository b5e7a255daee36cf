//! `driftd check --discover` on the monorepo of `testdata/tf/monorepo`: six root modules
//! (S3 and local backends, one Terragrunt unit) whose states are written as Terraform
//! would after apply, for instances launched in moto, then checked against one live scan.

mod common;
use common::fleet::*;
use common::moto::Moto;
use common::*;
use serde_json::{json, Value};
use std::fs;

const BUCKET: &str = "driftd-mono-tfstate";

/// A raw state (version 4) of `(module, type, name, index_key, attributes)` instances,
/// one resource block per module and name, with `each: "list"` for counted ones, as
/// Terraform 1.9 writes it (`internal/states/statefile/version4.go`).
fn state(instances: &[(&str, &str, &str, Option<i64>, Value)]) -> Value {
    let mut blocks: Vec<Value> = Vec::new();
    for (module, t, name, index, attrs) in instances {
        let mut inst = json!({"schema_version": 1, "attributes": attrs, "sensitive_attributes": [],
                              "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="});
        if let Some(i) = index {
            inst["index_key"] = json!(i);
        }
        let same = |b: &Value| b["type"] == *t && b["name"] == *name && b["module"].as_str().unwrap_or("") == *module;
        match blocks.iter_mut().find(|b| same(b)) {
            Some(b) => b["instances"].as_array_mut().unwrap().push(inst),
            None => {
                let mut block = json!({"mode": "managed", "type": t, "name": name,
                                       "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                                       "instances": [inst]});
                if !module.is_empty() {
                    block["module"] = json!(module);
                }
                if index.is_some() {
                    block["each"] = json!("list");
                }
                blocks.push(block);
            }
        }
    }
    json!({"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "0b6f1c52-mono", "outputs": {},
           "resources": blocks, "check_results": null})
}

fn calls(report: &Value) -> u64 {
    report["sources"]["live"].as_array().unwrap().iter().map(|l| l["api_calls"].as_u64().unwrap()).sum()
}

#[test]
fn six_root_modules_against_one_scan() {
    let moto = Moto::start();
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("infra");
    copy_testdata("testdata/tf/monorepo", &repo);

    rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        let ami = ami(&ec2).await;
        // (name, type launched, team): trainer-1 runs p5 where its code and state say p4d.
        let fleet = [
            ("prod-trainer-0", "p4d.24xlarge", "research"),
            ("prod-trainer-1", "p5.48xlarge", "research"),
            ("prod-inference", "g5.xlarge", "serving"),
            ("staging-trainer", "g5.12xlarge", "research"),
            ("dev-sandbox", "g4dn.xlarge", "platform"),
            ("dev-notebook", "g5.xlarge", "research"),
            ("batch-0", "g5.2xlarge", "batch"),
            ("rogue", "p5.48xlarge", "nobody"),
        ];
        let mut attrs = std::collections::HashMap::new();
        for (name, itype, team) in fleet {
            let id = launch(&ec2, &ami, name, itype, "", &[("team", team)]).await;
            let described = ec2.describe_instances().instance_ids(&id).send().await.unwrap();
            let i = described.reservations()[0].instances()[0].clone();
            let root_id = i.block_device_mappings()[0].ebs().and_then(|e| e.volume_id()).map(str::to_string);
            let vols = ec2.describe_volumes().set_volume_ids(root_id.map(|v| vec![v])).send().await.unwrap();
            let arn = format!("arn:aws:ec2:us-east-1:123456789012:instance/{id}");
            let mut a = instance_state(&i, &vols.volumes()[0], arn);
            if name == "prod-trainer-1" {
                // What was applied: the type the code declares.
                a["instance_type"] = json!("p4d.24xlarge");
            }
            attrs.insert(name, a);
        }
        let a = |n: &str| attrs[n].clone();
        let put = |key: &str, v: Value| {
            let s3 = s3.clone();
            let key = key.to_string();
            async move {
                s3.put_object().bucket(BUCKET).key(key).body(v.to_string().into_bytes().into()).send().await.unwrap();
            }
        };
        put(
            "prod/training.tfstate",
            state(&[
                ("module.trainer[0]", "aws_instance", "this", None, a("prod-trainer-0")),
                ("module.trainer[1]", "aws_instance", "this", None, a("prod-trainer-1")),
            ]),
        )
        .await;
        put("prod/inference.tfstate", state(&[("", "aws_instance", "server", None, a("prod-inference"))])).await;
        put(
            "staging/training.tfstate",
            state(&[("module.trainer", "aws_instance", "this", None, a("staging-trainer"))]),
        )
        .await;
        put("terragrunt/batch/terraform.tfstate", state(&[("", "aws_instance", "this", None, a("batch-0"))])).await;
        let local = |rel: &str, v: Value| {
            let p = repo.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        };
        local("live/dev/sandbox/terraform.tfstate", state(&[("", "aws_instance", "box", None, a("dev-sandbox"))]));
        // The notebooks root also (wrongly) holds the prod inference server: managed twice.
        local(
            "states/notebooks.tfstate",
            state(&[
                ("module.notebook", "aws_instance", "this", None, a("dev-notebook")),
                ("", "aws_instance", "adopted", None, a("prod-inference")),
            ]),
        );
    });

    let env = moto.env();
    // Skips the two types moto does not serve.
    fs::write(tmp.path().join("driftd.toml"), common::moto::CONFIG).unwrap();
    let args = ["check", "--config", "driftd.toml", "--provider", "aws", "--region", "us-east-1", "--format", "json"];
    let run = |extra: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(extra);
        let r = driftd_env(tmp.path(), &all, &env);
        assert_eq!(r.code, 1, "exit 1: one change, one unmanaged\n{}", r.stderr);
        serde_json::from_str::<Value>(&r.stdout).unwrap()
    };
    let v = run(&["--discover", "infra"]);

    // Each state read from its backend, attributed to its root module.
    let declared: Vec<(String, String, u64)> = v["sources"]["declared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["root_module"].as_str().unwrap().to_string(),
                d["location"].as_str().unwrap().to_string(),
                d["resources"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        declared,
        vec![
            ("live/dev/notebooks".into(), "infra/states/notebooks.tfstate".into(), 2),
            ("live/dev/sandbox".into(), "infra/live/dev/sandbox/terraform.tfstate".into(), 1),
            ("live/prod/inference".into(), format!("s3://{BUCKET}/prod/inference.tfstate"), 1),
            ("live/prod/training".into(), format!("s3://{BUCKET}/prod/training.tfstate"), 2),
            ("live/staging/training".into(), format!("s3://{BUCKET}/staging/training.tfstate"), 1),
            ("terragrunt/batch".into(), format!("s3://{BUCKET}/terragrunt/batch/terraform.tfstate"), 1),
        ],
        "{:#}",
        v["sources"]["declared"]
    );
    assert_eq!(v["summary"]["managed"], 8, "{:#}", v["summary"]);
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["summary"]["unmanaged"], 1);
    assert_eq!(v["summary"]["missing"], 0);

    let findings = v["findings"].as_array().unwrap();
    let changed = findings.iter().find(|f| f["kind"] == "changed").unwrap();
    assert_eq!(changed["resource"]["root_module"], "live/prod/training");
    assert_eq!(changed["resource"]["address"], "module.trainer[1].aws_instance.this");
    assert_eq!(changed["changes"][0]["path"], "instance_type");
    // The block is found in the root module's own code, through its module call.
    assert!(
        changed["declared_at"]["file"].as_str().unwrap().ends_with("infra/modules/gpu-node/main.tf"),
        "{changed:#}"
    );
    let commands: Vec<&str> =
        changed["remediation"]["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(
        commands.contains(&"terraform -chdir='live/prod/training' apply -target='module.trainer[1].aws_instance.this'"),
        "{commands:?}"
    );
    let unmanaged = findings.iter().find(|f| f["kind"] == "unmanaged").unwrap();
    assert_eq!(unmanaged["resource"]["name"], "rogue");
    assert_eq!(unmanaged["resource"]["root_module"], Value::Null);

    // The server held by two root modules is said to be managed twice, naming both.
    let twice: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "duplicate_id")
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert_eq!(twice.len(), 1, "{:#}", v["warnings"]);
    assert!(
        twice[0].contains("root module live/prod/inference") && twice[0].contains("root module live/dev/notebooks"),
        "{}",
        twice[0]
    );

    // One scan for six root modules: as many API calls as a check of one state.
    let one = driftd_env(
        tmp.path(),
        &[
            "check",
            "--config",
            "driftd.toml",
            "--provider",
            "aws",
            "--region",
            "us-east-1",
            "--format",
            "json",
            "--state",
            "infra/live/dev/sandbox/terraform.tfstate",
        ],
        &env,
    );
    let one: Value = serde_json::from_str(&one.stdout).unwrap();
    assert!(calls(&one) > 0);
    assert_eq!(calls(&v), calls(&one), "six root modules cost one scan");

    // `--tf` on the monorepo's top discovers the same root modules.
    let via_tf = run(&["--tf", "infra"]);
    assert_eq!(via_tf["sources"]["declared"], v["sources"]["declared"]);
    assert_eq!(via_tf["summary"], v["summary"]);

    // A root module whose state driftd cannot read: exit 3, naming it, report still written.
    let legacy = repo.join("live/legacy");
    fs::create_dir_all(&legacy).unwrap();
    fs::write(legacy.join("main.tf"), "terraform {\n  backend \"gcs\" {\n    bucket = \"legacy-tfstate\"\n  }\n}\n")
        .unwrap();
    fs::remove_file(repo.join("live/dev/sandbox/terraform.tfstate")).unwrap();
    let mut all = args.to_vec();
    all.extend(["--discover", "infra", "--output", "report.json"]);
    let r = driftd_env(tmp.path(), &all, &env);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("root module live/legacy") && r.stderr.contains("\"gcs\" backend is not supported"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("root module live/dev/sandbox: no state at"), "{}", r.stderr);
    let report: Value = serde_json::from_str(&fs::read_to_string(tmp.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["sources"]["declared"].as_array().unwrap().len(), 5);
    assert_eq!(report["summary"]["changed"], 1, "the readable root modules are still compared");
}

#[test]
fn a_folder_with_no_root_module_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("modules/x")).unwrap();
    fs::write(tmp.path().join("modules/x/main.tf"), "variable \"a\" {}\n").unwrap();
    let r = driftd_in(tmp.path(), &["check", "--discover", ".", "--provider", "none"]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("no root module here"), "{}", r.stderr);
}

/// `--tf` without a state, against moto: the gpu-fleet code's instances matched with live
/// ones by name. A pool launched with another type is `changed`, a pool never launched is
/// `missing`, an instance no code names is `unmanaged`; attributes the code leaves to the
/// provider (or that come from data sources and other resources) are never compared.
#[test]
fn terraform_code_compared_with_live_without_a_state() {
    use aws_sdk_ec2::types::{
        BlockDeviceMapping, EbsBlockDevice, HttpTokensState, InstanceMetadataOptionsRequest, InstanceType,
        ResourceType, Tag, TagSpecification, VolumeType,
    };
    let moto = Moto::start();
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let tf = root().join("testdata/tf/gpu-fleet").display().to_string();
    rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let image = ami(&ec2).await;
        let tags = |pairs: &[(&str, &str)]| {
            let mut all = vec![("team", "ml-platform"), ("owner", "gpu-oncall"), ("env", "prod")];
            all.extend_from_slice(pairs);
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(all.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()).collect()))
                .build()
        };
        // As the gpu-node module declares them: a 500 GB encrypted gp3 root, IMDSv2, hop limit 2.
        let node = |name: &'static str, itype: &'static str, pool: Option<&'static str>| {
            let ec2 = ec2.clone();
            let image = image.clone();
            let tag_spec = match pool {
                Some(p) => tags(&[("Name", name), ("pool", p)]),
                None => tags(&[("Name", name), ("role", "training")]),
            };
            async move {
                let mut req = ec2
                    .run_instances()
                    .image_id(image)
                    .instance_type(InstanceType::from(itype))
                    .min_count(1)
                    .max_count(1)
                    .metadata_options(
                        InstanceMetadataOptionsRequest::builder()
                            .http_tokens(HttpTokensState::Required)
                            .http_put_response_hop_limit(if pool.is_some() { 1 } else { 2 })
                            .build(),
                    )
                    .tag_specifications(tag_spec);
                if pool.is_none() {
                    req = req.block_device_mappings(
                        BlockDeviceMapping::builder()
                            .device_name("/dev/sda1")
                            .ebs(
                                EbsBlockDevice::builder()
                                    .volume_size(500)
                                    .volume_type(VolumeType::Gp3)
                                    .encrypted(true)
                                    .build(),
                            )
                            .build(),
                    );
                }
                req.send().await.unwrap();
            }
        };
        for name in ["trainer-00", "trainer-01", "trainer-02"] {
            node(name, "p5.48xlarge", None).await;
        }
        // The code says g6e.12xlarge; someone made it bigger.
        node("prod-inference", "g6e.48xlarge", Some("inference")).await;
        // prod-notebooks was never launched; "rogue" is in no code.
        node("rogue", "p5.48xlarge", Some("adhoc")).await;
    });
    let config = format!("{}[check]\nfail_on = \"low\"\n", common::moto::CONFIG);
    fs::write(tmp.path().join("driftd.toml"), config).unwrap();
    let r = driftd_env(
        tmp.path(),
        &[
            "check",
            "--config",
            "driftd.toml",
            "--tf",
            &tf,
            "--provider",
            "aws",
            "--region",
            "us-east-1",
            "--no-builtin-policies",
            "--format",
            "json",
        ],
        &moto.env(),
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stderr, r.stdout);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let got: Vec<(String, String, Vec<String>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let who = f["resource"]["address"].as_str().or(f["resource"]["name"].as_str()).unwrap().to_string();
            let paths = f["changes"]
                .as_array()
                .map(|c| c.iter().map(|c| c["path"].as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (f["kind"].as_str().unwrap().to_string(), who, paths)
        })
        .collect();
    let want: Vec<(String, String, Vec<String>)> = vec![
        ("changed".into(), r#"aws_instance.pool["inference"]"#.into(), vec!["instance_type".into()]),
        ("missing".into(), r#"aws_instance.pool["notebooks"]"#.into(), vec![]),
        // Its name is known from the code; nobody created it.
        ("missing".into(), "module.network.aws_security_group.gpu".into(), vec![]),
        ("unmanaged".into(), "rogue".into(), vec![]),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want, "{:#}", v["findings"]);
    let changed = v["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "changed").unwrap();
    assert!(changed["resource"]["id"].as_str().unwrap().starts_with("i-"), "matched by name: {changed:#}");
    assert_eq!(changed["changes"][0]["declared"], "g6e.12xlarge");
    assert_eq!(changed["changes"][0]["live"], "g6e.48xlarge");
    assert!(changed["declared_at"]["file"].as_str().unwrap().ends_with("gpu-fleet/main.tf"));
    let missing = v["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "missing").unwrap();
    assert!(missing["message"].as_str().unwrap().contains("declared in code"), "{missing:#}");
    // Three trainers in sync although ami, subnet and security groups are unknown in code.
    assert_eq!(v["summary"]["managed"], 6, "{:#}", v["summary"]);
    assert_eq!(v["summary"]["in_sync"], 3);
}
