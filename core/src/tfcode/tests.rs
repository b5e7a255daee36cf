use super::*;
use serde_json::json;

fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn variables_locals_count_for_each_and_unknowns() {
    let dir = module(&[
        (
            "main.tf",
            r#"
variable "gpu_type" { default = "p4d.24xlarge" }
variable "pools" {
  default = { a = { size = "g5.xlarge", n = 1 }, b = { size = "g6.xlarge", n = 2 } }
}
locals {
  tags = { team = "ml", env = var.env }
  name = "gpu-${var.env}"
}
variable "env" {}
resource "aws_instance" "trainer" {
  count         = 2
  instance_type = var.gpu_type
  ami           = data.aws_ami.dlami.id
  tags          = merge(local.tags, { Name = "${local.name}-${count.index}", sg = aws_security_group.x.id })
  metadata_options { http_tokens = "required" }
}
resource "aws_instance" "pool" {
  for_each      = var.pools
  instance_type = each.value.size
  tags          = { pool = each.key, n = format("%02d", each.value.n), up = upper(each.key) }
  dynamic "ebs_block_device" {
    for_each = range(each.value.n)
    content { device_name = "/dev/sd${ebs_block_device.value}" }
  }
}
"#,
        ),
        ("terraform.tfvars", "env = \"prod\"\ngpu_type = \"p5.48xlarge\"\n"),
    ]);
    let (input, warnings) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let got = by_address(&input);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        ["aws_instance.pool[\"a\"]", "aws_instance.pool[\"b\"]", "aws_instance.trainer[0]", "aws_instance.trainer[1]"]
    );
    let t1 = &got["aws_instance.trainer[1]"];
    assert_eq!(t1["instance_type"], "p5.48xlarge", "terraform.tfvars wins over the default");
    assert_eq!(t1["tags"], json!({"team": "ml", "env": "prod", "Name": "gpu-prod-1", "sg": null}), "known tags kept");
    assert_eq!(t1["metadata_options"], json!([{"http_tokens": "required"}]));
    let d = input.resources.iter().find(|d| d.address == "aws_instance.trainer[1]").unwrap();
    assert!(d.is_unknown("ami") && d.is_unknown("tags.sg") && !d.is_unknown("tags.team"), "{:?}", d.unknown);
    let b = &got["aws_instance.pool[\"b\"]"];
    assert_eq!(b["tags"], json!({"pool": "b", "n": "02", "up": "B"}));
    assert_eq!(b["ebs_block_device"], json!([{"device_name": "/dev/sd0"}, {"device_name": "/dev/sd1"}]));
}

#[test]
fn local_modules_with_inputs_outputs_and_for_each() {
    let dir = module(&[
        (
            "main.tf",
            r#"
locals { sizes = { train = "p5.48xlarge", infer = "g6e.xlarge" } }
module "gpu" {
  source   = "./modules/gpu"
  for_each = local.sizes
  size     = each.value
  name     = each.key
}
module "net" { source = "./modules/net" }
resource "aws_instance" "bastion" {
  instance_type          = "t3.micro"
  vpc_security_group_ids = [module.net.sg_id]
  tags                   = { first = module.gpu["train"].name }
}
module "remote" {
  source = "terraform-aws-modules/vpc/aws"
}
"#,
        ),
        ("modules/gpu/main.tf", "variable \"size\" {}\nvariable \"name\" {}\nresource \"aws_instance\" \"node\" {\n  instance_type = var.size\n  tags = { Name = var.name }\n}\noutput \"name\" { value = var.name }\n"),
        ("modules/net/main.tf", "resource \"aws_security_group\" \"sg\" { name = \"gpu\" }\noutput \"sg_id\" { value = aws_security_group.sg.id }\n"),
    ]);
    let (input, warnings) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    let got = by_address(&input);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        [
            "aws_instance.bastion",
            "module.gpu[\"infer\"].aws_instance.node",
            "module.gpu[\"train\"].aws_instance.node",
            "module.net.aws_security_group.sg"
        ]
    );
    assert_eq!(got["module.gpu[\"train\"].aws_instance.node"]["instance_type"], "p5.48xlarge");
    assert_eq!(got["aws_instance.bastion"]["tags"]["first"], "train", "a module output");
    let bastion = input.resources.iter().find(|d| d.address == "aws_instance.bastion").unwrap();
    assert!(
        bastion.is_unknown("vpc_security_group_ids.0"),
        "another resource's id through an output: {:?}",
        bastion.unknown
    );
    // The registry module is named where it is called, and the run says how many calls
    // were not evaluated.
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].message.contains("terraform-aws-modules/vpc/aws") && warnings[0].message.contains("main.tf:16")
    );
    assert!(warnings[1].message.starts_with("1 module call was not evaluated"), "{}", warnings[1].message);
}

#[test]
fn what_terraform_would_reject_stops_the_run_naming_where() {
    let dir = module(&[("main.tf", "resource \"aws_instance\" \"a\" {\n  instance_type = frobnicate(\"x\")\n}\n")]);
    let e = declarations(dir.path(), &CommandLineVars::default()).unwrap_err();
    assert!(
        e.to_string().contains("main.tf:1: resource aws_instance.a")
            && e.to_string().contains("no function named `frobnicate`"),
        "{e}"
    );
    let dir = module(&[("main.tf", "resource \"aws_instance\" \"a\" {\n  instance_type = upper(\"a\", \"b\")\n}\n")]);
    let e = declarations(dir.path(), &CommandLineVars::default()).unwrap_err();
    assert!(e.to_string().contains("upper: 2 arguments given, 1 expected"), "{e}");
    let dir = module(&[("main.tf", "resource \"aws_instance\" \"a\" {\n  cpu_core_count = \"four\" * 2\n}\n")]);
    let e = declarations(dir.path(), &CommandLineVars::default()).unwrap_err();
    assert!(e.to_string().contains("cpu_core_count") && e.to_string().contains("\"four\" is not a number"), "{e}");
    // A provider-defined function is unknown, not an error.
    let dir = module(&[("main.tf", "resource \"aws_instance\" \"a\" {\n  ami = provider::aws::arn_parse(\"x\").id\n  instance_type = \"g5.xlarge\"\n}\n")]);
    let (input, _) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert!(input.resources[0].is_unknown("ami"));
}

/// The GPU fleet fixture: a root module, two local modules, `count` on a module call,
/// `for_each` over a map of pools from tfvars, a `for` expression, `dynamic` blocks.
#[test]
fn the_gpu_fleet_fixture_expands_as_terraform_would() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/tf/gpu-fleet");
    let (input, warnings) = declarations(&dir, &CommandLineVars::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let got = by_address(&input);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        [
            "aws_instance.pool[\"inference\"]",
            "aws_instance.pool[\"notebooks\"]",
            "module.network.aws_security_group.gpu",
            "module.network.aws_subnet.gpu[0]",
            "module.network.aws_subnet.gpu[1]",
            "module.network.aws_vpc.gpu",
            "module.trainers[0].aws_instance.this",
            "module.trainers[1].aws_instance.this",
            "module.trainers[2].aws_instance.this",
        ],
        "terraform.tfvars sets 3 trainers and 2 pools"
    );
    let t = &got["module.trainers[2].aws_instance.this"];
    assert_eq!(t["instance_type"], "p5.48xlarge");
    assert_eq!(
        t["tags"],
        json!({"team": "ml-platform", "owner": "gpu-oncall", "env": "prod", "role": "training", "Name": "trainer-02"})
    );
    assert_eq!(t["root_block_device"], json!([{"encrypted": true, "volume_size": 500, "volume_type": "gp3"}]));
    let d = input.resources.iter().find(|d| d.address == "module.trainers[2].aws_instance.this").unwrap();
    for unknown in ["ami", "subnet_id", "vpc_security_group_ids.0"] {
        assert!(d.is_unknown(unknown), "{unknown}: {:?}", d.unknown);
    }
    let inference = &got["aws_instance.pool[\"inference\"]"];
    assert_eq!(
        inference["ebs_block_device"],
        json!([{"device_name": "/dev/sdf", "volume_size": 500, "encrypted": true}])
    );
    assert_eq!(inference["tags"]["Name"], "prod-inference");
    assert_eq!(
        got["aws_instance.pool[\"notebooks\"]"]["ebs_block_device"],
        json!([]),
        "no scratch disk: an empty dynamic block"
    );
    assert_eq!(got["module.network.aws_subnet.gpu[1]"]["cidr_block"], "10.40.16.0/20");
    assert_eq!(got["module.network.aws_subnet.gpu[1]"]["availability_zone"], "us-east-1b");
    let sg = &got["module.network.aws_security_group.gpu"];
    assert_eq!(sg["ingress"].as_array().unwrap().len(), 2);
    assert_eq!(sg["ingress"][0]["to_port"], 65535);
    assert_eq!(input.kind, crate::model::DeclaredKind::Tf);
}

#[test]
fn command_line_variables_win_in_order() {
    let dir = module(&[
        ("main.tf", "variable \"size\" {}\nvariable \"pools\" { default = [] }\nresource \"aws_instance\" \"a\" {\n  count = length(var.pools)\n  instance_type = var.size\n}\n"),
        ("terraform.tfvars", "size = \"g5.xlarge\"\n"),
        ("prod.tfvars", "size = \"p5.48xlarge\"\npools = [\"a\"]\n"),
    ]);
    let cli = CommandLineVars { files: vec![dir.path().join("prod.tfvars")], values: vec![] };
    let got = by_address(&declarations(dir.path(), &cli).unwrap().0);
    assert_eq!(got["aws_instance.a[0]"]["instance_type"], "p5.48xlarge", "--var-file over terraform.tfvars");
    let cli =
        CommandLineVars { files: cli.files, values: vec!["size=g6e.xlarge".into(), "pools=[\"a\", \"b\"]".into()] };
    let got = by_address(&declarations(dir.path(), &cli).unwrap().0);
    assert_eq!(got.len(), 2, "a list from --var");
    assert_eq!(got["aws_instance.a[1]"]["instance_type"], "g6e.xlarge", "--var over --var-file");
    let bad = CommandLineVars { files: vec![], values: vec!["novalue".into()] };
    assert!(declarations(dir.path(), &bad).unwrap_err().to_string().contains("NAME=VALUE"));
}

/// The acceptance fixture: the gpu-fleet code (root + two local modules, count, for_each
/// over a map of pools, tfvars over defaults, dynamic blocks) expands to exactly the
/// addresses of the state `terraform apply` leaves (`testdata/tf/gpu-fleet.tfstate`,
/// written in the provider's real shapes by `gpu-fleet-state.py`), and every attribute
/// the code sets and knows before apply has the state's value.
#[test]
fn the_gpu_fleet_code_expands_to_its_state() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/tf");
    let code = evaluate(&root.join("gpu-fleet"), &CommandLineVars::default()).unwrap();
    let state = crate::tfstate::read_file(&root.join("gpu-fleet.tfstate")).unwrap();
    let code_by: BTreeMap<String, &crate::model::DeclaredResource> =
        code.input.resources.iter().map(|d| (d.address.clone(), d)).collect();
    let state_by: BTreeMap<String, serde_json::Value> =
        state.resources.iter().map(|d| (d.address.clone(), d.attributes.parse())).collect();
    assert_eq!(code_by.keys().collect::<Vec<_>>(), state_by.keys().collect::<Vec<_>>());
    assert_eq!(code_by.len(), 9);

    /// Every known leaf of `code` equals `state`'s at the same place; lists of objects
    /// (Terraform sets of blocks) match as multisets.
    fn within(
        code: &serde_json::Value,
        state: &serde_json::Value,
        path: &str,
        unknown: &[String],
        out: &mut Vec<String>,
    ) {
        if unknown.iter().any(|u| crate::model::path_within(path, u) || crate::model::path_within(u, path)) {
            return;
        }
        use serde_json::Value::*;
        match (code, state) {
            (Object(c), Object(s)) => {
                for (k, v) in c {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    within(v, s.get(k).unwrap_or(&Null), &p, unknown, out);
                }
            }
            (Array(c), Array(s)) if c.len() == s.len() => {
                for (i, v) in c.iter().enumerate() {
                    let matched = (0..s.len()).any(|j| {
                        let mut errs = Vec::new();
                        within(v, &s[j], &format!("{path}.{i}"), unknown, &mut errs);
                        errs.is_empty()
                    });
                    if !matched {
                        out.push(format!("{path}.{i}: code {v} has no equal in state {state}"));
                    }
                }
            }
            (Number(a), Number(b)) if a.as_f64() == b.as_f64() => {}
            (c, s) if c == s => {}
            (c, s) => out.push(format!("{path}: code {c}, state {s}")),
        }
    }
    let mut differences = Vec::new();
    let mut compared = 0;
    for (address, d) in &code_by {
        let attrs = d.attributes.parse();
        compared += attrs.as_object().unwrap().len();
        let mut errs = Vec::new();
        within(&attrs, &state_by[address], "", &d.unknown, &mut errs);
        differences.extend(errs.into_iter().map(|e| format!("{address}: {e}")));
    }
    assert!(differences.is_empty(), "{differences:#?}");
    assert!(compared >= 40, "the code sets {compared} top-level attributes in all");
    // What only apply knows stays unknown: the AMI (a data source), the subnets and groups
    // (another module's resources' ids).
    let trainer = code_by["module.trainers[0].aws_instance.this"];
    for path in ["ami", "subnet_id", "vpc_security_group_ids.0"] {
        assert!(trainer.unknown.iter().any(|u| u == path), "{path} in {:?}", trainer.unknown);
    }
}

/// The same module in JSON syntax declares what its native twin does: variables,
/// locals, count, for_each, templates, nested and dynamic blocks, a local module call.
#[test]
fn tf_json_evaluates_like_native_syntax() {
    let native = module(&[
        (
            "main.tf",
            r#"
variable "env" { default = "prod" }
locals { tags = { team = "ml", env = var.env } }
resource "aws_instance" "gpu" {
  count         = 2
  instance_type = "p5.48xlarge"
  tags          = merge(local.tags, { Name = "gpu-${count.index}" })
  metadata_options { http_tokens = "required" }
  dynamic "ebs_block_device" {
    for_each = [100, 200]
    content { volume_size = ebs_block_device.value }
  }
}
module "pool" {
  source = "./pool"
  name   = "inference"
}
"#,
        ),
        ("pool/main.tf", "variable \"name\" {}\nresource \"aws_instance\" \"this\" {\n  for_each = toset([\"a\"])\n  tags = { Name = \"${var.name}-${each.key}\" }\n}\n"),
    ]);
    let json = module(&[
        (
            "main.tf.json",
            r#"{
  "variable": {"env": {"default": "prod"}},
  "locals": {"tags": {"team": "ml", "env": "${var.env}"}},
  "resource": {"aws_instance": {"gpu": {
    "count": 2,
    "instance_type": "p5.48xlarge",
    "tags": "${merge(local.tags, { Name = \"gpu-${count.index}\" })}",
    "metadata_options": {"http_tokens": "required"},
    "dynamic": {"ebs_block_device": {"for_each": [100, 200], "content": {"volume_size": "${ebs_block_device.value}"}}}
  }}},
  "module": {"pool": {"source": "./pool", "name": "inference"}}
}"#,
        ),
        (
            "pool/main.tf.json",
            r#"{"variable": {"name": {}}, "resource": {"aws_instance": {"this": {"for_each": "${toset([\"a\"])}", "tags": {"Name": "${var.name}-${each.key}"}}}}}"#,
        ),
    ]);
    let a = by_address(&evaluate(native.path(), &CommandLineVars::default()).unwrap().input);
    let b = by_address(&evaluate(json.path(), &CommandLineVars::default()).unwrap().input);
    assert_eq!(a.len(), 3);
    assert_eq!(a, b);
}
