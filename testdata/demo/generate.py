#!/usr/bin/env python3
"""Writes the bundled demo fleet: Terraform sources, the state they produce, a live
snapshot with drift of every kind, and a live snapshot in sync (with the same noise:
stopped instances, new public IPs, aws:* tags, default tags, reordered security groups,
enum and ARM-id casing) that must yield no finding.

Deterministic: run it again and the files come out byte for byte the same.
    python3 testdata/demo/generate.py
"""
import copy, hashlib, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "123456789012"
SUB = "8f3c2a1e-5b7d-4c9e-a0f1-2d3e4f5a6b7c"
RG = "rg-ml-prod"
TAKEN_AT = "2026-11-22T18:00:00Z"


def hid(*parts, n=17):
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def aws_instance(address, name, itype, region, az, sgs, team, owner, extra_tags=None, profile="gpu-node", pg=""):
    iid = "i-0" + hid(address, n=16)
    tags = {"Name": name, "team": team, "owner": owner}
    tags.update(extra_tags or {})
    return {
        "ami": "ami-0dlami" + hid("ami", region, n=8),
        "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{iid}",
        "associate_public_ip_address": False,
        "availability_zone": az,
        "disable_api_termination": False,
        "ebs_optimized": True,
        "iam_instance_profile": profile,
        "id": iid,
        "instance_state": "running",
        "instance_type": itype,
        "key_name": "ml-ops",
        "metadata_options": [{"http_endpoint": "enabled", "http_put_response_hop_limit": 2,
                              "http_tokens": "required", "instance_metadata_tags": "disabled"}],
        "monitoring": True,
        "placement_group": pg,
        "private_dns": f"ip-10-0-{int(hid(iid, n=2), 16)}-7.ec2.internal",
        "private_ip": f"10.0.{int(hid(iid, n=2), 16)}.7",
        "public_dns": "",
        "public_ip": "",
        "root_block_device": [{"delete_on_termination": True, "device_name": "/dev/sda1", "encrypted": True,
                               "iops": 3000, "kms_key_id": "", "throughput": 125,
                               "volume_id": "vol-0" + hid(iid, "root", n=16), "volume_size": 500, "volume_type": "gp3"}],
        "source_dest_check": True,
        "subnet_id": "subnet-0" + hid(region, az, n=16),
        "tags": tags,
        "tags_all": dict(tags, **{"managed-by": "terraform", "cost-center": "ml-platform"}),
        "tenancy": "default",
        "vpc_security_group_ids": sgs,
    }


def azure_vm(address, name, size, team, owner, priority="Regular"):
    vid = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{name}"
    return {
        "admin_password": None,
        "admin_username": "azureuser",
        "computer_name": name,
        "disable_password_authentication": True,
        "encryption_at_host_enabled": True,
        "eviction_policy": "Deallocate" if priority == "Spot" else None,
        "id": vid,
        "identity": [],
        "location": "eastus",
        "max_bid_price": -1,
        "name": name,
        "network_interface_ids": [f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/networkInterfaces/{name}-nic"],
        "os_disk": [{"caching": "ReadWrite", "disk_size_gb": 256, "name": f"{name}-osdisk", "storage_account_type": "Premium_LRS"}],
        "priority": priority,
        "private_ip_address": f"10.1.0.{int(hid(name, n=2), 16)}",
        "public_ip_address": "",
        "resource_group_name": RG,
        "secure_boot_enabled": False,
        "size": size,
        "source_image_reference": [{"offer": "ubuntu-hpc", "publisher": "microsoft-dsvm", "sku": "2204", "version": "latest"}],
        "tags": {"team": team, "owner": owner},
        "virtual_machine_id": hid(name, "vmid", n=8) + "-0000-4000-8000-" + hid(name, n=12),
        "vtpm_enabled": False,
        "zone": "1",
    }


SG_TRAIN = ["sg-0" + hid("sg", "train", n=16), "sg-0" + hid("sg", "efa", n=16)]
SG_INFER = ["sg-0" + hid("sg", "infer", n=16)]
SG_NOTEBOOK = ["sg-0" + hid("sg", "notebook", n=16)]
SG_ROGUE = "sg-0" + hid("sg", "wide-open", n=16)

# (module, type, name, index, attributes)
managed = []
for i in range(6):
    managed.append(("module.training", "aws_instance", "trainer", i,
                    aws_instance(f"module.training.aws_instance.trainer[{i}]", f"trainer-{i}", "p4d.24xlarge",
                                 "us-east-1", "us-east-1a", SG_TRAIN, "foundation-models", "ana", pg="pg-train")))
for key, itype in [("embed", "g6.xlarge"), ("llama-70b", "g6e.12xlarge"), ("mistral", "g6e.xlarge"), ("whisper", "g5.2xlarge")]:
    managed.append(("module.inference", "aws_instance", "server", key,
                    aws_instance(f'module.inference.aws_instance.server["{key}"]', f"infer-{key}", itype,
                                 "us-east-1", "us-east-1b", SG_INFER, "serving", "raj")))
for i in range(2):
    managed.append(("module.research", "aws_instance", "h100", i,
                    aws_instance(f"module.research.aws_instance.h100[{i}]", f"research-h100-{i}", "p5.48xlarge",
                                 "us-west-2", "us-west-2a", SG_TRAIN, "research", "mei", pg="pg-research")))
for i in range(3):
    managed.append((None, "aws_instance", "notebook", i,
                    aws_instance(f"aws_instance.notebook[{i}]", f"notebook-{i}", "g5.xlarge",
                                 "us-west-2", "us-west-2b", SG_NOTEBOOK, "research", "mei")))
managed.append((None, "aws_instance", "gateway", None,
                aws_instance("aws_instance.gateway", "inference-gateway", "g5.xlarge", "us-east-1", "us-east-1b",
                             SG_INFER, "serving", "raj")))
managed.append((None, "aws_instance", "bastion", None,
                aws_instance("aws_instance.bastion", "bastion", "t3.micro", "us-east-1", "us-east-1a",
                             SG_INFER, "platform", "sam", profile="")))
for key in ["train-a", "train-b"]:
    managed.append(("module.azure_gpu", "azurerm_linux_virtual_machine", "nd", key,
                    azure_vm(f'module.azure_gpu.azurerm_linux_virtual_machine.nd["{key}"]', f"nd-{key}",
                             "Standard_ND96asr_v4", "foundation-models", "ana")))
for i in range(3):
    managed.append(("module.azure_gpu", "azurerm_linux_virtual_machine", "nc", i,
                    azure_vm(f"module.azure_gpu.azurerm_linux_virtual_machine.nc[{i}]", f"nc-a100-{i}",
                             "Standard_NC24ads_A100_v4", "serving", "raj", priority="Spot")))

# Declared types driftd does not read (yet): counted as not covered, never missing.
not_covered = [
    (None, "aws_security_group", "train", None, {"id": SG_TRAIN[0], "name": "gpu-train", "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{SG_TRAIN[0]}"}),
    (None, "aws_security_group", "efa", None, {"id": SG_TRAIN[1], "name": "gpu-efa", "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{SG_TRAIN[1]}"}),
    (None, "aws_security_group", "infer", None, {"id": SG_INFER[0], "name": "gpu-infer", "arn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{SG_INFER[0]}"}),
    (None, "aws_s3_bucket", "checkpoints", None, {"id": "acme-ml-checkpoints", "arn": "arn:aws:s3:::acme-ml-checkpoints"}),
    (None, "aws_iam_instance_profile", "gpu_node", None, {"id": "gpu-node", "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/gpu-node"}),
    # Declared, so its instances (tagged aws:autoscaling:groupName) are managed through it.
    ("module.inference", "aws_autoscaling_group", "batch", None,
     {"id": "batch-inference", "name": "batch-inference", "desired_capacity": 2, "min_size": 0, "max_size": 4,
      "arn": f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:7c1d1d2e-0b1a-4c3e-9f10-2d9f1c1b2a3e:"
             "autoScalingGroupName/batch-inference"}),
    ("module.azure_gpu", "azurerm_resource_group", "ml", None, {"id": f"/subscriptions/{SUB}/resourceGroups/{RG}", "location": "eastus", "name": RG}),
]


def raw_state():
    resources = {}
    for module, t, name, index, attrs in managed + not_covered:
        key = (module, t, name)
        r = resources.setdefault(key, {
            **({"module": module} if module else {}),
            "mode": "managed", "type": t, "name": name,
            "provider": "provider[\"registry.terraform.io/hashicorp/%s\"]" % ("azurerm" if t.startswith("azurerm") else "aws"),
            "instances": []})
        inst = {"schema_version": 1, "attributes": attrs, "sensitive_attributes": [], "private": "bnVsbA=="}
        if index is not None:
            inst = {"index_key": index, **inst}
        if t == "azurerm_linux_virtual_machine":
            inst["sensitive_attributes"] = [[{"type": "get_attr", "value": "admin_password"}],
                                            [{"type": "get_attr", "value": "custom_data"}]]
        r["instances"].append(inst)
    data = {"mode": "data", "type": "aws_ami", "name": "dlami",
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{"schema_version": 0, "attributes": {"id": "ami-0dlami", "name": "Deep Learning AMI GPU PyTorch"}}]}
    return {"version": 4, "terraform_version": "1.9.8", "serial": 214, "lineage": "5d1f7b0e-3c2a-4e8b-9f6d-1a2b3c4d5e6f",
            "outputs": {}, "resources": [data] + list(resources.values()), "check_results": None}


def live_of(attrs, t, region):
    """What a provider would read for a declared resource: no tags_all, plus noise."""
    a = copy.deepcopy(attrs)
    if t == "aws_instance":
        tags_all = a.pop("tags_all")
        a["tags"] = dict(tags_all)  # default tags are real tags live
        a["tags"]["aws:ec2launchtemplate:id"] = "lt-0" + hid(a["id"], "template", n=16)  # AWS-managed tag
        if a["instance_type"].startswith("t3"):
            # A bastion's public IP changes on stop/start: computed, not drift.
            a["public_ip"] = "54.%d.%d.%d" % tuple(int(hid(a["id"], str(i), n=2), 16) for i in range(3))
        a["metadata_options"][0]["http_tokens"] = "Required"  # enum case
        a["vpc_security_group_ids"] = list(reversed(a["vpc_security_group_ids"]))  # set order
        a["root_block_device"][0]["volume_id"] = "vol-0" + hid(a["id"], "replaced", n=16)
    else:
        a["id"] = a["id"].replace("resourceGroups", "resourcegroups")  # ARM id casing
        a["location"] = "East US"
        a["os_disk"][0]["storage_account_type"] = "premium_lrs"
        a.pop("admin_password", None)
    return a


def resource(t, attrs, region, account, name=None, owner=None):
    return {"type": t, "id": attrs["id"], "provider": "azure" if t.startswith("azurerm") else "aws",
            "account": account, "region": region, "name": name, "owner": owner, "attributes": attrs}


def region_of(attrs):
    return attrs["arn"].split(":")[3] if "arn" in attrs else "eastus"


def snapshot(drift):
    res = []
    for module, t, name, index, attrs in managed:
        addr = f"{module + '.' if module else ''}{t}.{name}" + ("" if index is None else f"[{json.dumps(index)}]")
        if drift and addr in ("module.research.aws_instance.h100[1]",
                              'module.azure_gpu.azurerm_linux_virtual_machine.nd["train-b"]'):
            continue  # missing: terminated / deleted by hand
        region = region_of(attrs)
        live = live_of(attrs, t, region)
        if drift:
            if addr == "module.training.aws_instance.trainer[1]":
                live["instance_type"] = "p5.48xlarge"
            if addr == 'module.inference.aws_instance.server["mistral"]':
                live["metadata_options"][0]["http_tokens"] = "optional"
            if addr == "aws_instance.notebook[0]":
                del live["tags"]["owner"]
                live["tags"]["scratch"] = "true"
            if addr == "module.training.aws_instance.trainer[3]":
                live["vpc_security_group_ids"] = [SG_ROGUE]
            if addr == "aws_instance.gateway":
                live["instance_type"] = "g5.4xlarge"
                live["tags"]["team"] = "platform"
            if addr == "module.azure_gpu.azurerm_linux_virtual_machine.nc[1]":
                live["size"] = "Standard_NC96ads_A100_v4"
        if addr == "aws_instance.notebook[2]":
            live["instance_state"] = "stopped"  # stop/start is not drift
        account = ACCOUNT if t == "aws_instance" else SUB
        res.append(resource(t, live, region if t == "aws_instance" else "eastus", account,
                            name=live["tags"].get("Name") if t == "aws_instance" else live["name"]))
    # Instances of an auto scaling group: owned, never unmanaged.
    for i in range(2):
        a = live_of(aws_instance(f"asg-inst-{i}", "", "g6.2xlarge", "us-east-1", "us-east-1a", SG_INFER, "serving", "raj"),
                    "aws_instance", "us-east-1")
        a["tags"]["aws:autoscaling:groupName"] = "batch-inference"
        del a["tags"]["Name"]
        res.append(resource("aws_instance", a, "us-east-1", ACCOUNT,
                            owner={"type": "aws_autoscaling_group", "id": "batch-inference"}))
    if drift:
        rogue = live_of(aws_instance("rogue", "alice-experiment", "p5.48xlarge", "us-west-2", "us-west-2a",
                                     [SG_ROGUE], "research", "alice"), "aws_instance", "us-west-2")
        rogue["public_ip"] = "35.90.12.7"  # launched by hand, straight onto the internet
        rogue["associate_public_ip_address"] = True
        res.append(resource("aws_instance", rogue, "us-west-2", ACCOUNT, name="alice-experiment"))
        vm = live_of(azure_vm("tmp", "tmp-h100-box", "Standard_ND96isr_H100_v5", "research", "alice"),
                     "azurerm_linux_virtual_machine", "eastus")
        res.append(resource("azurerm_linux_virtual_machine", vm, "eastus", SUB, name="tmp-h100-box"))
    scans = []
    for provider, account, region, types in [("aws", ACCOUNT, "us-east-1", ["aws_instance"]),
                                             ("aws", ACCOUNT, "us-west-2", ["aws_instance"]),
                                             ("azure", SUB, "eastus", ["azurerm_linux_virtual_machine"])]:
        n = sum(1 for r in res if r["provider"] == provider and r["region"] == region)
        scans.append({"provider": provider, "account": account, "region": region, "types": types, "resources": n,
                      "api_calls": 3 if provider == "aws" else 2, "started_at": TAKEN_AT, "duration_ms": 840,
                      "error": None})
    return {"schema": "driftd.snapshot/v1", "taken_at": TAKEN_AT, "scans": scans, "resources": res}


TF_MAIN = '''terraform {
  required_providers {
    aws     = { source = "hashicorp/aws", version = "~> 5.80" }
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.10" }
  }
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = {
      managed-by  = "terraform"
      cost-center = "ml-platform"
    }
  }
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}

module "training" {
  source        = "./modules/training"
  trainer_count = 6
}

module "inference" {
  source = "./modules/inference"
  models = {
    embed       = "g6.xlarge"
    "llama-70b" = "g6e.12xlarge"
    mistral     = "g6e.xlarge"
    whisper     = "g5.2xlarge"
  }
}

module "research" {
  source    = "./modules/research"
  providers = { aws = aws.west }
}

module "azure_gpu" {
  source = "./modules/azure_gpu"
}

resource "aws_instance" "gateway" {
  ami                    = data.aws_ami.dlami.id
  instance_type          = "g5.xlarge"
  subnet_id              = "%(subnet_b)s"
  vpc_security_group_ids = ["%(sg_infer)s"]
  iam_instance_profile   = "gpu-node"
  key_name               = "ml-ops"
  monitoring             = true
  ebs_optimized          = true

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_size = 500
    volume_type = "gp3"
    encrypted   = true
  }

  tags = {
    Name  = "inference-gateway"
    team  = "serving"
    owner = "raj"
  }
}

resource "aws_instance" "notebook" {
  provider               = aws.west
  count                  = 3
  ami                    = data.aws_ami.dlami.id
  instance_type          = "g5.xlarge"
  vpc_security_group_ids = ["%(sg_notebook)s"]
  iam_instance_profile   = "gpu-node"

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "notebook-${count.index}"
    team  = "research"
    owner = "mei"
  }
}

resource "aws_instance" "bastion" {
  ami           = data.aws_ami.dlami.id
  instance_type = "t3.micro"
  tags = {
    Name  = "bastion"
    team  = "platform"
    owner = "sam"
  }
}

resource "aws_security_group" "train" {
  name = "gpu-train"
}

resource "aws_security_group" "efa" {
  name = "gpu-efa"
}

resource "aws_security_group" "infer" {
  name = "gpu-infer"
}

resource "aws_s3_bucket" "checkpoints" {
  bucket = "acme-ml-checkpoints"
}

resource "aws_iam_instance_profile" "gpu_node" {
  name = "gpu-node"
}
'''

TF_TRAINING = '''variable "trainer_count" {
  type = number
}

resource "aws_placement_group" "train" {
  name     = "pg-train"
  strategy = "cluster"
}

resource "aws_instance" "trainer" {
  count                  = var.trainer_count
  ami                    = data.aws_ami.dlami.id
  instance_type          = "p4d.24xlarge"
  placement_group        = aws_placement_group.train.id
  vpc_security_group_ids = ["%(sg0)s", "%(sg1)s"]
  iam_instance_profile   = "gpu-node"

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "trainer-${count.index}"
    team  = "foundation-models"
    owner = "ana"
  }
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}
'''

TF_INFERENCE = '''variable "models" {
  type = map(string)
}

resource "aws_instance" "server" {
  for_each               = var.models
  ami                    = data.aws_ami.dlami.id
  instance_type          = each.value
  vpc_security_group_ids = ["%(sg_infer)s"]

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "infer-${each.key}"
    team  = "serving"
    owner = "raj"
  }
}

resource "aws_autoscaling_group" "batch" {
  name             = "batch-inference"
  desired_capacity = 2
  min_size         = 0
  max_size         = 4
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}
'''

TF_RESEARCH = '''resource "aws_placement_group" "research" {
  name     = "pg-research"
  strategy = "cluster"
}

resource "aws_instance" "h100" {
  count                  = 2
  ami                    = data.aws_ami.dlami.id
  instance_type          = "p5.48xlarge"
  placement_group        = aws_placement_group.research.id
  vpc_security_group_ids = ["%(sg0)s", "%(sg1)s"]

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name  = "research-h100-${count.index}"
    team  = "research"
    owner = "mei"
  }
}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]
}
'''

TF_AZURE = '''resource "azurerm_resource_group" "ml" {
  name     = "%(rg)s"
  location = "eastus"
}

resource "azurerm_linux_virtual_machine" "nd" {
  for_each            = toset(["train-a", "train-b"])
  name                = "nd-${each.key}"
  resource_group_name = azurerm_resource_group.ml.name
  location            = "eastus"
  size                = "Standard_ND96asr_v4"
  admin_username      = "azureuser"
  tags = {
    team  = "foundation-models"
    owner = "ana"
  }
}

resource "azurerm_linux_virtual_machine" "nc" {
  count               = 3
  name                = "nc-a100-${count.index}"
  resource_group_name = azurerm_resource_group.ml.name
  location            = "eastus"
  size                = "Standard_NC24ads_A100_v4"
  priority            = "Spot"
  eviction_policy     = "Deallocate"
  admin_username      = "azureuser"
  tags = {
    team  = "serving"
    owner = "raj"
  }
}
'''

DRIFTIGNORE = '''# Accepted drift, reviewed by the platform team.
# Scratch tags on notebooks are fine.
aws_instance.*.tags.scratch
# The wide-open group on trainer-3 was allowed for a debugging session that is over.
aws_instance.i-0%(trainer3)s.vpc_security_group_ids  # until 2026-01-31
'''


def write(rel, text):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    subst = {"sg0": SG_TRAIN[0], "sg1": SG_TRAIN[1], "sg_infer": SG_INFER[0], "sg_notebook": SG_NOTEBOOK[0],
             "subnet_b": "subnet-0" + hid("us-east-1", "us-east-1b", n=16), "rg": RG,
             "trainer3": hid("module.training.aws_instance.trainer[3]", n=16)}
    write("terraform.tfstate", json.dumps(raw_state(), indent=2) + "\n")
    write("live.json", json.dumps(snapshot(True), indent=2) + "\n")
    write("live-in-sync.json", json.dumps(snapshot(False), indent=2) + "\n")
    write("infra/main.tf", TF_MAIN % subst)
    write("infra/modules/training/main.tf", TF_TRAINING % subst)
    write("infra/modules/inference/main.tf", TF_INFERENCE % subst)
    write("infra/modules/research/main.tf", TF_RESEARCH % subst)
    write("infra/modules/azure_gpu/main.tf", TF_AZURE % subst)
    write(".driftignore", DRIFTIGNORE % subst)


if __name__ == "__main__":
    main()
