//! The built-in pack flags exactly the instances Cloud Custodian flags with equivalent
//! filters, on the same moto fleet: GPU nodes without an owner tag (GPU001) and GPU
//! nodes that accept IMDSv1 (GPU002).

mod common;
use aws_sdk_ec2::types::{
    HttpTokensState, InstanceMetadataOptionsRequest, InstanceType, ResourceType, Tag, TagSpecification,
};
use common::moto::Moto;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

const CUSTODIAN_POLICY: &str = r#"
policies:
  - name: gpu-missing-owner
    resource: aws.ec2
    filters:
      - type: value
        key: InstanceType
        op: regex
        value: "^[pg][0-9][a-z0-9-]*\\..*"
      - "tag:owner": empty
  - name: gpu-imdsv1
    resource: aws.ec2
    filters:
      - type: value
        key: InstanceType
        op: regex
        value: "^[pg][0-9][a-z0-9-]*\\..*"
      - or:
          - MetadataOptions.HttpTokens: optional
          - MetadataOptions.HttpTokens: absent
"#;

fn ensure_custodian() {
    common::moto::ensure_tool("custodian", &["c7n"]);
}

fn custodian_ids(dir: &std::path::Path, moto: &Moto, policy: &str) -> BTreeSet<String> {
    let path = dir.join("out").join(policy).join("resources.json");
    let v: Value =
        serde_json::from_slice(&fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap();
    let _ = moto;
    v.as_array().unwrap().iter().map(|i| i["InstanceId"].as_str().unwrap().to_string()).collect()
}

#[test]
fn builtin_pack_flags_exactly_what_custodian_flags() {
    ensure_custodian();
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let ami = ec2.describe_images().send().await.unwrap().images()[0].image_id().unwrap().to_string();
        // (name, type, owner tag, IMDS tokens)
        let fleet = [
            ("gpu-ok", "p5.48xlarge", Some("ana"), "required"),
            ("gpu-no-owner", "g5.xlarge", None, "required"),
            ("gpu-empty-owner", "g6e.12xlarge", Some(""), "required"),
            ("gpu-imdsv1", "p4d.24xlarge", Some("raj"), "optional"),
            ("gpu-both", "g6.xlarge", None, "optional"),
            ("cpu-both", "t3.micro", None, "optional"),
            ("cpu-ok", "m5.large", Some("sam"), "required"),
        ];
        for (name, itype, owner, tokens) in fleet {
            let mut tags =
                vec![Tag::builder().key("Name").value(name).build(), Tag::builder().key("team").value("ml").build()];
            if let Some(o) = owner {
                tags.push(Tag::builder().key("owner").value(o).build());
            }
            ec2.run_instances()
                .image_id(&ami)
                .instance_type(InstanceType::from(itype))
                .min_count(1)
                .max_count(1)
                .metadata_options(
                    InstanceMetadataOptionsRequest::builder().http_tokens(HttpTokensState::from(tokens)).build(),
                )
                .tag_specifications(
                    TagSpecification::builder().resource_type(ResourceType::Instance).set_tags(Some(tags)).build(),
                )
                .send()
                .await
                .unwrap();
        }
    });

    // Cloud Custodian against the same moto.
    fs::write(dir.path().join("policy.yml"), CUSTODIAN_POLICY).unwrap();
    let out = Command::new(common::moto::venv_bin("custodian"))
        .current_dir(dir.path())
        // Custodian caches resource lists per account and region on disk for 15 minutes;
        // every moto server is the same account, so a cached run would read another fleet.
        .args(["run", "--cache-period", "0", "-s", "out", "policy.yml", "--region", "us-east-1"])
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "custodian: {}", String::from_utf8_lossy(&out.stderr));
    let c7n_owner = custodian_ids(dir.path(), &moto, "gpu-missing-owner");
    let c7n_imds = custodian_ids(dir.path(), &moto, "gpu-imdsv1");

    // driftd: a snapshot of the fleet, then the built-in pack on it (owner as the one
    // required tag, as Custodian's filter).
    let snap = dir.path().join("fleet.json");
    fs::write(dir.path().join("moto.toml"), common::moto::CONFIG).unwrap();
    let r = driftd_env(
        dir.path(),
        &["snapshot", "--config", "moto.toml", "--provider", "aws", "--output", snap.to_str().unwrap()],
        &moto.env(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    fs::write(dir.path().join("driftd.toml"), "[policy.config]\nrequired_tags = [\"owner\"]\n").unwrap();
    let r = driftd_env(
        dir.path(),
        &[
            "check",
            "--config",
            "driftd.toml",
            "--provider",
            &format!("snapshot:{}", snap.display()),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let flagged = |policy: &str| -> BTreeSet<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["policy"]["id"] == policy)
            .map(|f| f["resource"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(c7n_owner.len(), 3, "gpu-no-owner, gpu-empty-owner, gpu-both: {c7n_owner:?}");
    assert_eq!(c7n_imds.len(), 2, "gpu-imdsv1, gpu-both: {c7n_imds:?}");
    assert_eq!(flagged("GPU001"), c7n_owner, "missing owner tag");
    assert_eq!(flagged("GPU002"), c7n_imds, "IMDSv1");
}
