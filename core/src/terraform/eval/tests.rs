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

/// Issue 19, item 1: what this run cannot know is unknown, with one warning per cause
/// naming `file:line`; what only apply knows (resources, data sources, impure functions)
/// is unknown without a warning.
#[test]
fn what_cannot_be_known_is_unknown_with_its_cause_and_line() {
    let dir = module(&[
        (
            "main.tf",
            r#"variable "vpc_id" {}
variable "cfg" {
  type    = object({ enabled = optional(bool), name = optional(string, "gpu") })
  default = null
}
data "aws_ami" "dl" { most_recent = true }
module "pool" {
  source = "./modules/pool"
}
resource "aws_instance" "a" {
  instance_type = "p5.48xlarge"
  ami           = data.aws_ami.dl.id
  subnet_id     = var.vpc_id
  tags = {
    undeclared = var.nope
    missing    = local.sizes["huge"]
    when       = timestamp()
    team       = "ml"
    enabled    = try(var.cfg.enabled, false) == true
  }
}
locals { sizes = { small = "g6.xlarge" } }
"#,
        ),
        (
            "modules/pool/main.tf",
            "variable \"size\" {}\nresource \"aws_instance\" \"node\" {\n  instance_type = var.size\n  ebs_optimized = true\n}\n",
        ),
    ]);
    let (input, warnings) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    let a = input.resources.iter().find(|d| d.address == "aws_instance.a").unwrap();
    for path in ["ami", "subnet_id", "tags.undeclared", "tags.missing", "tags.when"] {
        assert!(a.is_unknown(path), "{path}: {:?}", a.unknown);
    }
    let attrs = a.attributes.parse();
    assert_eq!(attrs["tags"]["team"], "ml");
    // `try(var.cfg.enabled, false) == true` with a null cfg: false, as in Terraform.
    assert_eq!(attrs["tags"]["enabled"], false);
    let node = input.resources.iter().find(|d| d.address == "module.pool.aws_instance.node").unwrap();
    assert!(node.is_unknown("instance_type") && node.attributes.parse()["ebs_optimized"] == true);
    let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    let main = dir.path().join("main.tf").display().to_string();
    let expect = [
        format!("{main}:1: variable \"vpc_id\" has no value"),
        format!("{main}:14: var.nope is not declared"),
        format!("{main}:14: no key \"huge\""),
        "modules/pool/main.tf:1: variable \"size\" has no value: the call of module.pool does not set it".to_string(),
    ];
    for e in &expect {
        assert!(messages.iter().any(|m| m.contains(e.as_str())), "no warning {e:?} in {messages:#?}");
    }
    assert_eq!(
        warnings.len(),
        expect.len(),
        "one warning per cause, none for data, resources or timestamp(): {messages:#?}"
    );
}

/// Issue 19, item 3: `optional()` attributes are filled in, `nullable = false` takes the
/// default for a null input, and a module input of an object type is converted.
#[test]
fn variable_types_fill_optional_defaults() {
    let dir = module(&[
        (
            "main.tf",
            r#"module "aks" {
  source = "./modules/aks"
  pool   = { name = "gpu", vm_size = "Standard_ND96isr_H100_v5" }
  zones  = null
}
"#,
        ),
        (
            "modules/aks/main.tf",
            r#"variable "pool" {
  type = object({
    name     = string
    vm_size  = string
    location = optional(string, "eastus")
    count    = optional(number, 2)
    labels   = optional(map(string), {})
  })
}
variable "zones" {
  type     = list(string)
  default  = ["1"]
  nullable = false
}
resource "azurerm_kubernetes_cluster_node_pool" "gpu" {
  name       = var.pool.name
  vm_size    = var.pool.vm_size
  node_count = var.pool.count
  zones      = var.zones
  tags       = merge(var.pool.labels, { location = var.pool.location })
}
"#,
        ),
    ]);
    let (input, warnings) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let got = by_address(&input);
    let pool = &got["module.aks.azurerm_kubernetes_cluster_node_pool.gpu"];
    assert_eq!(pool["node_count"], 2);
    assert_eq!(pool["zones"], json!(["1"]));
    assert_eq!(pool["tags"], json!({"location": "eastus"}));
}

/// Issue 19, item 4: a registry module is read from where `terraform init` put it.
#[test]
fn registry_modules_are_read_from_terraform_init_s_manifest() {
    let main = r#"module "gpu" {
  source  = "example/gpu-pool/aws"
  version = "1.2.0"
  size    = "p5.48xlarge"
}
"#;
    let child = "variable \"size\" {}\nmodule \"inner\" {\n  source = \"./inner\"\n  size = var.size\n}\n";
    let inner = "variable \"size\" {}\nresource \"aws_instance\" \"node\" { instance_type = var.size }\n";
    let dir = module(&[
        ("main.tf", main),
        (".terraform/modules/gpu/main.tf", child),
        (".terraform/modules/gpu/inner/main.tf", inner),
        (
            ".terraform/modules/modules.json",
            r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"gpu","Source":"registry.terraform.io/example/gpu-pool/aws","Version":"1.2.0","Dir":".terraform/modules/gpu"},{"Key":"gpu.inner","Source":"./inner","Dir":".terraform/modules/gpu/inner"}]}"#,
        ),
    ]);
    let code = evaluate(dir.path(), &CommandLineVars::default()).unwrap();
    assert_eq!(code.modules_not_evaluated, 0, "{:?}", code.warnings);
    let got = by_address(&code.input);
    assert_eq!(got["module.gpu.module.inner.aws_instance.node"]["instance_type"], "p5.48xlarge");
    // Without the manifest the call is counted, not silently empty.
    std::fs::remove_file(dir.path().join(".terraform/modules/modules.json")).unwrap();
    let code = evaluate(dir.path(), &CommandLineVars::default()).unwrap();
    assert_eq!((code.modules_not_evaluated, code.input.resources.len()), (1, 0));
}

/// Issue 19, item 6: `lifecycle` is kept on each instance.
#[test]
fn lifecycle_is_read_into_each_declaration() {
    let dir = module(&[(
        "main.tf",
        r#"resource "aws_eks_node_group" "gpu" {
  node_group_name = "gpu"
  scaling_config {
    desired_size = 2
    min_size     = 1
    max_size     = 8
  }
  lifecycle {
    ignore_changes        = [scaling_config[0].desired_size, tags["team"]]
    prevent_destroy       = true
    create_before_destroy = true
  }
}
resource "aws_instance" "a" {
  instance_type = "g6.xlarge"
  lifecycle { ignore_changes = all }
}
"#,
    )]);
    let (input, _) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    let ng = &input.resources[0];
    assert_eq!(ng.ignore_changes, ["scaling_config.0.desired_size", "tags.team"]);
    assert!(ng.prevent_destroy && ng.create_before_destroy);
    assert!(ng.ignores_changes("scaling_config.0.desired_size") && !ng.ignores_changes("scaling_config.0.max_size"));
    assert!(input.resources[1].ignores_changes("instance_type"));
}

/// Issue 19, item 7: a declaration points at its block: line, column and last line.
#[test]
fn declarations_point_at_their_block() {
    let dir = module(&[(
        "main.tf",
        "locals {}\n\n  resource \"aws_instance\" \"a\" {\n    instance_type = \"g6.xlarge\"\n  }\n",
    )]);
    let (input, _) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    let at = input.resources[0].declared_at.clone().unwrap();
    assert_eq!((at.line, at.column, at.end_line), (3, Some(3), Some(5)));
}

/// Terraform keeps the later of an object key written twice; hcl-edit refuses it.
#[test]
fn an_object_key_written_twice_keeps_the_later_value() {
    let dir = module(&[(
        "main.tf",
        "resource \"aws_instance\" \"a\" {\n  tags = {\n    port = 80\n    name = \"x\"\n    port = 81\n  }\n}\n",
    )]);
    let (input, _) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert_eq!(by_address(&input)["aws_instance.a"]["tags"], json!({"name": "x", "port": 81}));
    // A two-character key too, and no placeholder is left in the object.
    let dir = module(&[(
        "main.tf",
        "resource \"aws_instance\" \"a\" {\n  tags = {\n    az = \"a\"\n    az = \"b\"\n  }\n}\n",
    )]);
    let (input, _) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert_eq!(by_address(&input)["aws_instance.a"]["tags"], json!({"az": "b"}));
}

/// A heredoc with `<<-` loses its common indentation; `%{ for }` with strip markers.
#[test]
fn heredocs_and_template_directives() {
    let dir = module(&[(
        "main.tf",
        "locals { pools = [\"p5\", \"g6\"] }\nresource \"aws_instance\" \"a\" {\n  user_data = <<-EOT\n    #!/bin/bash\n    %{ for p in local.pools ~}\n    echo ${p}\n    %{ endfor ~}\n  EOT\n}\n",
    )]);
    let (input, _) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert_eq!(by_address(&input)["aws_instance.a"]["user_data"], "#!/bin/bash\necho p5\necho g6\n");
}

/// Expansion is bounded: a huge `count` is an input error naming the block, not memory
/// without bound (issue 21, item 3).
#[test]
fn a_huge_count_is_refused_naming_the_block() {
    let dir = module(&[("main.tf", "resource \"aws_instance\" \"a\" {\n  count = 4294967296\n}\n")]);
    let e = declarations(dir.path(), &CommandLineVars::default()).unwrap_err().to_string();
    assert!(e.contains("main.tf:1: resource aws_instance.a") && e.contains("more than 10000 instances"), "{e}");
    let dir = module(&[(
        "main.tf",
        "resource \"aws_instance\" \"a\" {\n  for_each = toset([for i in range(1000) : tostring(i)])\n}\n",
    )]);
    assert_eq!(declarations(dir.path(), &CommandLineVars::default()).unwrap().0.resources.len(), 1000);
}

/// `terraform.tfvars.json` and `*.auto.tfvars.json` are read in Terraform's order, after
/// `terraform.tfvars` and among the `*.auto.tfvars` by name.
#[test]
fn json_tfvars_files_are_read_in_terraform_s_order() {
    let dir = module(&[
        ("main.tf", "variable \"a\" {}\nvariable \"b\" {}\nvariable \"c\" {}\nresource \"aws_instance\" \"x\" {\n  tags = { a = var.a, b = var.b, c = var.c }\n}\n"),
        ("terraform.tfvars", "a = \"hcl\"\nb = \"hcl\"\nc = \"hcl\"\n"),
        ("terraform.tfvars.json", r#"{"b": "json", "c": "json"}"#),
        ("z.auto.tfvars.json", r#"{"c": 3}"#),
    ]);
    let (input, warnings) = declarations(dir.path(), &CommandLineVars::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(by_address(&input)["aws_instance.x"]["tags"], json!({"a": "hcl", "b": "json", "c": 3}));
}
