//! The AWS provider against a real moto_server: a GPU fleet in two regions, written to
//! state as Terraform would after apply, then drift of every kind injected through the
//! EC2 API. Every finding must be found, none extra; noise must stay silent.

mod common;
use aws_sdk_ec2::types::Tag;
use common::fleet::*;
use common::moto::Moto;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;

struct Fleet {
    east: aws_sdk_ec2::Client,
    west: aws_sdk_ec2::Client,
    ami_east: String,
    ami_west: String,
}

fn findings(report: &Value) -> BTreeSet<(String, String, Vec<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let who =
                f["resource"]["address"].as_str().or(f["resource"]["name"].as_str()).unwrap_or_default().to_string();
            let paths = f["changes"]
                .as_array()
                .map(|c| c.iter().map(|c| c["path"].as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (f["kind"].as_str().unwrap().to_string(), who, paths)
        })
        .collect()
}

#[test]
fn fleet_in_two_regions_drift_of_every_kind_found_exactly() {
    let moto = Moto::start();
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let (east, west) = rt.block_on(async {
        (aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await), aws_sdk_ec2::Client::new(&moto.sdk("us-west-2").await))
    });
    let fleet = rt.block_on(async { Fleet { ami_east: ami(&east).await, ami_west: ami(&west).await, east, west } });
    let ids = rt.block_on(async {
        let (sg_east, sg_rogue, sg_west) =
            (group(&fleet.east, "gpu").await, group(&fleet.east, "wide-open").await, group(&fleet.west, "gpu").await);
        let tags = [("team", "ml"), ("owner", "ana")];
        let mut ids = std::collections::HashMap::new();
        for (name, itype) in [
            ("trainer-0", "p4d.24xlarge"),
            ("trainer-1", "p4d.24xlarge"),
            ("infer-0", "g5.xlarge"),
            ("quiet-0", "g6.xlarge"),
        ] {
            ids.insert(name, launch(&fleet.east, &fleet.ami_east, name, itype, &sg_east, &tags).await);
        }
        for name in ["research-0", "research-1"] {
            ids.insert(name, launch(&fleet.west, &fleet.ami_west, name, "p5.48xlarge", &sg_west, &tags).await);
        }
        ids.insert("sg-west", sg_west);
        ids.insert("sg-east", sg_east);
        (ids, sg_rogue)
    });
    let (ids, sg_rogue) = ids;
    // A launch template, an auto scaling group launched from it, an EKS GPU node group.
    rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        autoscaled_gpu_group(&conf, &fleet.east, &fleet.ami_east, "gpu-lt", "p5.48xlarge", "batch-gpu", 2, 8).await;
        eks_gpu_group(&conf, 2).await;
    });
    let env = moto.env();
    fs::write(dir.path().join("driftd.toml"), common::moto::CONFIG).unwrap();
    let t0 = dir.path().join("t0.json");
    let r = driftd_env(
        dir.path(),
        &[
            "snapshot",
            "--config",
            "driftd.toml",
            "--provider",
            "aws",
            "--region",
            "us-east-1,us-west-2",
            "--output",
            t0.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snapshot: Value = serde_json::from_slice(&fs::read(&t0).unwrap()).unwrap();
    // Each scan says when it began, as docs/snapshot.md shows.
    for scan in snapshot["scans"].as_array().unwrap() {
        let at = scan["started_at"].as_str().unwrap_or_else(|| panic!("no started_at: {scan}"));
        assert!(at.parse::<jiff::Timestamp>().is_ok() && at.ends_with('Z'), "{at}");
    }
    let count = |t: &str, owned: bool| {
        snapshot["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == t && r["owner"].is_null() != owned)
            .count()
    };
    assert_eq!(count("aws_instance", false), 6, "{snapshot:#}");
    assert_eq!(count("aws_instance", true), 2, "the ASG's two instances are owned by it");
    assert_eq!(count("aws_launch_template", false), 1);
    assert_eq!(count("aws_autoscaling_group", false), 1);
    assert_eq!(count("aws_eks_node_group", false), 1);
    assert_eq!(
        count("aws_security_group", false),
        3,
        "gpu, wide-open (east), gpu (west); default groups are the VPC's"
    );
    let p5 = snapshot["resources"].as_array().unwrap().iter().find(|r| r["name"] == "research-0").unwrap();
    assert_eq!(p5["gpu"]["count"], 8, "GPU facts from DescribeInstanceTypes: {p5:#}");
    let state = dir.path().join("state.json");
    // What `terraform apply` would have written, from the API objects (never from driftd's snapshot).
    let written = rt.block_on(async {
        terraform_state(
            &[("us-east-1", moto.sdk("us-east-1").await), ("us-west-2", moto.sdk("us-west-2").await)],
            "123456789012",
        )
        .await
    });
    fs::write(&state, written.to_string()).unwrap();

    // In sync right after "apply".
    let check = |dir: &std::path::Path| {
        driftd_env(
            dir,
            &[
                "check",
                "--config",
                "driftd.toml",
                "--state",
                state.to_str().unwrap(),
                "--provider",
                "aws",
                "--region",
                "us-east-1,us-west-2",
                "--format",
                "json",
                "--no-builtin-policies",
            ],
            &env,
        )
    };
    let r = check(dir.path());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // Drift of every kind, and noise.
    rt.block_on(async {
        let (e, w) = (&fleet.east, &fleet.west);
        let t1 = &ids["trainer-1"];
        e.stop_instances().instance_ids(t1).send().await.unwrap();
        e.modify_instance_attribute()
            .instance_id(t1)
            .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("p5.48xlarge").build())
            .send()
            .await
            .unwrap();
        e.start_instances().instance_ids(t1).send().await.unwrap();
        e.delete_tags().resources(&ids["infer-0"]).tags(Tag::builder().key("owner").build()).send().await.unwrap();
        e.create_tags()
            .resources(&ids["infer-0"])
            .tags(Tag::builder().key("scratch").value("yes").build())
            .send()
            .await
            .unwrap();
        w.modify_instance_metadata_options()
            .instance_id(&ids["research-0"])
            .http_tokens(aws_sdk_ec2::types::HttpTokensState::Optional)
            .send()
            .await
            .unwrap();
        e.modify_instance_attribute().instance_id(&ids["trainer-0"]).groups(&sg_rogue).send().await.unwrap();
        w.terminate_instances().instance_ids(&ids["research-1"]).send().await.unwrap();
        launch(w, &fleet.ami_west, "by-hand", "p5.48xlarge", &ids["sg-west"], &[("team", "research")]).await;
        // SSH opened to the world on the east GPU group.
        e.authorize_security_group_ingress()
            .group_id(&ids["sg-east"])
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .unwrap();
        // A new launch template version with another GPU type.
        e.create_launch_template_version()
            .launch_template_name("gpu-lt")
            // As in the console, "new version from version 1" with another GPU type (moto
            // ignores SourceVersion, so the rest of version 1 is given in full).
            .source_version("1")
            .launch_template_data(gpu_template(&fleet.ami_east, "g6e.12xlarge"))
            .send()
            .await
            .unwrap();
        let conf = moto.sdk("us-east-1").await;
        aws_sdk_autoscaling::Client::new(&conf)
            .update_auto_scaling_group()
            .auto_scaling_group_name("batch-gpu")
            .desired_capacity(4)
            .send()
            .await
            .unwrap();
        aws_sdk_eks::Client::new(&conf)
            .update_nodegroup_config()
            .cluster_name("ml")
            .nodegroup_name("gpu")
            .scaling_config(
                aws_sdk_eks::types::NodegroupScalingConfig::builder().min_size(0).max_size(4).desired_size(3).build(),
            )
            .send()
            .await
            .unwrap();
        // Noise: stop and start (new public IP, new state), nothing declared changes.
        e.stop_instances().instance_ids(&ids["quiet-0"]).send().await.unwrap();
        e.start_instances().instance_ids(&ids["quiet-0"]).send().await.unwrap();
    });
    let r = check(dir.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let want: BTreeSet<(String, String, Vec<String>)> = [
        ("changed", r#"aws_instance.all["trainer-1"]"#, s(&["instance_type"])),
        ("changed", r#"aws_instance.all["trainer-0"]"#, s(&["vpc_security_group_ids"])),
        ("changed", r#"aws_instance.all["infer-0"]"#, s(&["tags.owner", "tags.scratch"])),
        ("changed", r#"aws_instance.all["research-0"]"#, s(&["metadata_options.0.http_tokens"])),
        ("missing", r#"aws_instance.all["research-1"]"#, vec![]),
        ("unmanaged", "by-hand", vec![]),
        ("changed", r#"aws_autoscaling_group.all["batch-gpu"]"#, s(&["desired_capacity"])),
        ("changed", r#"aws_eks_node_group.all["gpu"]"#, s(&["scaling_config.0.desired_size"])),
        ("changed", r#"aws_launch_template.all["gpu-lt"]"#, s(&["instance_type", "latest_version"])),
        ("changed", r#"aws_security_group.all["gpu-us-east-1"]"#, s(&["ingress"])),
    ]
    .into_iter()
    .map(|(k, w, p)| (k.to_string(), w.to_string(), p))
    .collect();
    assert_eq!(findings(&report), want, "{}", r.stdout);
    let trainer1 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["address"] == r#"aws_instance.all["trainer-1"]"#)
        .unwrap();
    assert_eq!(trainer1["cost"]["delta_per_hour_usd"], 33.08);
    let live = report["sources"]["live"].as_array().unwrap();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|l| l["api_calls"].as_u64().unwrap() >= 2 && l["account"] == "123456789012"), "{live:?}");
}

#[test]
fn state_from_s3_end_to_end() {
    let moto = Moto::start();
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let demo = fs::read(root().join(DEMO_STATE)).unwrap();
    rt.block_on(async {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&moto.sdk("us-east-1").await).force_path_style(true).build(),
        );
        s3.create_bucket().bucket("tfstate").send().await.unwrap();
        s3.put_object().bucket("tfstate").key("gpu/prod.tfstate").body(demo.into()).send().await.unwrap();
    });
    let live = abs_demo_live("live.json");
    let r = driftd_env(
        dir.path(),
        &["check", "--state", "s3://tfstate/gpu/prod.tfstate", "--provider", &live, "--format", "json"],
        &moto.env(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sources"]["declared"][0]["location"], "s3://tfstate/gpu/prod.tfstate");
    assert_eq!(v["summary"]["managed"], 22);
    // A missing object is "could not be read": exit 3, naming the URL.
    let r =
        driftd_env(dir.path(), &["check", "--state", "s3://tfstate/nope.tfstate", "--provider", &live], &moto.env());
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("s3://tfstate/nope.tfstate"), "{}", r.stderr);
}

#[test]
fn unreachable_endpoint_exits_3_quickly_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let env = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string()), ("AWS_REGION", "us-east-1".to_string())];
    let r = driftd_env(dir.path(), &["check", "--state", &abs_demo_state(), "--provider", "aws"], &env);
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("cannot reach http://127.0.0.1:9"), "{}", r.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn iam_policy_lists_exactly_the_actions_the_code_calls() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let image = ami(&ec2).await;
        let sg = group(&ec2, "gpu").await;
        launch(&ec2, &image, "n", "p5.48xlarge", &sg, &[]).await;
        // One of every type, so that every lister makes all of its calls.
        ec2.create_launch_template()
            .launch_template_name("lt")
            .launch_template_data(aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id(&image).build())
            .send()
            .await
            .unwrap();
        eks_gpu_group(&conf, 2).await;
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
        s3.create_bucket().bucket("tfstate").send().await.unwrap();
        s3.put_object()
            .bucket("tfstate")
            .key("prod.tfstate")
            .body(fs::read(root().join(DEMO_STATE)).unwrap().into())
            .send()
            .await
            .unwrap();
    });
    fs::write(dir.path().join("driftd.toml"), common::moto::CONFIG).unwrap();
    let trace = dir.path().join("actions.txt");
    let mut env = moto.env();
    env.push(("DRIFTD_TRACE_API_CALLS", trace.display().to_string()));
    let r = driftd_env(
        dir.path(),
        &[
            "check",
            "--config",
            "driftd.toml",
            "--state",
            "s3://tfstate/prod.tfstate",
            "--provider",
            "aws",
            "--all-regions",
            "--fail-on",
            "never",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let called: BTreeSet<String> = fs::read_to_string(&trace).unwrap().lines().map(str::to_string).collect();
    let policy: Value = serde_json::from_slice(&fs::read(root().join("deploy/aws/iam-policy.json")).unwrap()).unwrap();
    let granted: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    // Not observable here: moto serves neither placement groups nor capacity reservations
    // (skipped in this run), GetObjectVersion is GetObject with a version id, and spot
    // prices are asked only for spot capacity, which this fleet has none of (the prices
    // test traces that call).
    let unobservable: BTreeSet<String> = [
        "ec2:DescribePlacementGroups",
        "ec2:DescribeCapacityReservations",
        "s3:GetObjectVersion",
        "ec2:DescribeSpotPriceHistory",
    ]
    .map(String::from)
    .into();
    let expected: BTreeSet<String> = granted.difference(&unobservable).cloned().collect();
    assert_eq!(called, expected, "deploy/aws/iam-policy.json must list exactly what the code calls");
}

#[test]
fn several_accounts_through_assume_role() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let other = "210987654321";
    rt.block_on(async {
        // One GPU instance in the credentials' own account, one in another account,
        // created with that account's assumed-role credentials.
        let own = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&own);
        let image = ami(&ec2).await;
        let sg = group(&ec2, "gpu").await;
        launch(&ec2, &image, "own-node", "g5.xlarge", &sg, &[]).await;
        let role = aws_config::sts::AssumeRoleProvider::builder(format!("arn:aws:iam::{other}:role/driftd-read"))
            .session_name("test")
            .configure(&own)
            .build()
            .await;
        let theirs =
            own.to_builder().credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(role)).build();
        let ec2b = aws_sdk_ec2::Client::new(&theirs);
        let image = ami(&ec2b).await;
        let sg = group(&ec2b, "gpu").await;
        launch(&ec2b, &image, "their-node", "p5.48xlarge", &sg, &[]).await;
    });
    fs::write(
        dir.path().join("driftd.toml"),
        format!(
            "{}\n[[aws.accounts]]\n\n[[aws.accounts]]\nrole_arn = \"arn:aws:iam::{other}:role/driftd-read\"\nexternal_id = \"x\"\nsession_name = \"driftd-test\"\n",
            common::moto::CONFIG
        ),
    )
    .unwrap();
    let out = dir.path().join("fleet.json");
    let r = driftd_env(
        dir.path(),
        &["snapshot", "--config", "driftd.toml", "--provider", "aws", "--output", out.to_str().unwrap()],
        &moto.env(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap: Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let accounts: BTreeSet<&str> =
        snap["scans"].as_array().unwrap().iter().map(|s| s["account"].as_str().unwrap()).collect();
    assert_eq!(accounts, BTreeSet::from(["123456789012", other]));
    let nodes: BTreeSet<(&str, &str)> = snap["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "aws_instance")
        .map(|r| (r["name"].as_str().unwrap(), r["account"].as_str().unwrap()))
        .collect();
    assert_eq!(nodes, BTreeSet::from([("own-node", "123456789012"), ("their-node", other)]));
}

#[test]
fn access_denied_exits_3_quickly_naming_the_missing_actions() {
    // moto enforces IAM after its first 3 requests: create a user allowed only
    // sts:GetCallerIdentity (with moto's own client), then scan with its keys.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let script = r#"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
iam.create_user(UserName="ro")
iam.put_user_policy(UserName="ro", PolicyName="p", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:GetCallerIdentity"], "Resource": "*"}]}))
k = iam.create_access_key(UserName="ro")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
"#;
    let keys = moto.python(script);
    let (id, secret) = keys.trim().split_once(' ').unwrap();
    let mut env = moto.env();
    env.push(("AWS_ACCESS_KEY_ID", id.to_string()));
    env.push(("AWS_SECRET_ACCESS_KEY", secret.to_string()));
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let r = driftd_env(
        dir.path(),
        &["check", "--state", &abs_demo_state(), "--provider", "aws", "--fail-on", "never"],
        &env,
    );
    assert_one_error(&r, 3);
    for action in ["ec2:DescribeInstances", "autoscaling:DescribeAutoScalingGroups", "eks:ListClusters"] {
        assert!(r.stderr.contains(&format!("missing IAM permission {action}")), "{action}: {}", r.stderr);
    }
    assert!(!r.stderr.contains(secret), "the secret key must never be printed");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn throttling_is_retried_and_beyond_retries_exits_3() {
    let moto = Moto::start();
    let rt = rt();
    rt.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let image = ami(&ec2).await;
        let sg = group(&ec2, "gpu").await;
        launch(&ec2, &image, "n", "p5.48xlarge", &sg, &[]).await;
    });
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("driftd.toml"), common::moto::CONFIG).unwrap();
    let snapshot = |endpoint: &str, out: &str| {
        let env = [("AWS_ENDPOINT_URL", endpoint.to_string()), ("AWS_REGION", "us-east-1".to_string())];
        driftd_env(dir.path(), &["snapshot", "--config", "driftd.toml", "--provider", "aws", "--output", out], &env)
    };
    // Two throttled answers, then success: retried with backoff, the scan completes.
    let flaky = common::throttle::Throttle::start(&moto.endpoint, "DescribeInstances", 2);
    let r = snapshot(&flaky.endpoint, "retried.json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(flaky.throttled.load(std::sync::atomic::Ordering::SeqCst), 2);
    let snap: Value = serde_json::from_slice(&fs::read(dir.path().join("retried.json")).unwrap()).unwrap();
    assert_eq!(snap["resources"].as_array().unwrap().iter().filter(|r| r["type"] == "aws_instance").count(), 1);
    // Throttled for good: after the retries, the region is unreadable and the run exits 3.
    let started = std::time::Instant::now();
    let stuck = common::throttle::Throttle::start(&moto.endpoint, "DescribeInstances", usize::MAX);
    let r = snapshot(&stuck.endpoint, "stuck.json");
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("ec2:DescribeInstances failed at http://127.0.0.1:"), "{}", r.stderr);
    assert!(r.stderr.contains(": HTTP 503: RequestLimitExceeded: Request limit exceeded."), "{}", r.stderr);
    assert_eq!(stuck.throttled.load(std::sync::atomic::Ordering::SeqCst), 3, "3 attempts: 1 + 2 retries");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn rejected_or_missing_credentials_are_said_as_such_not_as_permissions() {
    // moto enforcing IAM from the first request: keys it never issued are invalid.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let dir = tempfile::tempdir().unwrap();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYNOTREAL1";
    let mut env = moto.env();
    env.push(("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7NOTREAL".to_string()));
    env.push(("AWS_SECRET_ACCESS_KEY", secret.to_string()));
    let args = ["check", "--state", &abs_demo_state(), "--provider", "aws", "--fail-on", "never"];
    let r = driftd_env(dir.path(), &args, &env);
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("AWS rejected the credentials (InvalidClientTokenId"), "{}", r.stderr);
    assert!(
        r.stderr.contains("invalid or expired; credentials from environment variables (AWS_ACCESS_KEY_ID)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("missing IAM permission") && !r.stderr.contains(secret), "{}", r.stderr);

    // No credentials anywhere, against an endpoint that answers.
    let r = driftd_env_without(dir.path(), &args, &moto.env(), &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("no AWS credentials found; tried environment variables"), "{}", r.stderr);
    assert!(!r.stderr.contains("connection failed"), "{}", r.stderr);
}

/// No region configured anywhere: the regions the declared resources are in are scanned,
/// and stderr says so; with AWS_REGION set, that region alone, as before.
#[test]
fn without_a_region_the_declared_regions_are_scanned_and_said() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("driftd.toml"), common::moto::CONFIG).unwrap();
    let endpoint: Vec<(&str, String)> = moto.env().into_iter().filter(|(k, _)| *k != "AWS_REGION").collect();
    let state = root().join(DEMO_STATE);
    let args = [
        "check",
        "--config",
        "driftd.toml",
        "--state",
        state.to_str().unwrap(),
        "--provider",
        "aws",
        "--format",
        "json",
    ];
    let r = driftd_env_without(dir.path(), &args, &endpoint, &["AWS_REGION", "AWS_DEFAULT_REGION"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "no AWS region configured: scanning the regions the declared resources are in (us-east-1, us-west-2)"
        ),
        "{}",
        r.stderr
    );
    let regions = |stdout: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(stdout).unwrap();
        let mut r: Vec<String> = v["sources"]["live"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["provider"] == "aws")
            .map(|l| l["region"].as_str().unwrap().to_string())
            .collect();
        r.sort();
        r
    };
    assert_eq!(regions(&r.stdout), ["us-east-1", "us-west-2"]);
    let r = driftd_env(dir.path(), &args, &moto.env());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("no AWS region configured"), "{}", r.stderr);
    assert_eq!(regions(&r.stdout), ["us-east-1"]);
}
