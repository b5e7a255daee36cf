#!/usr/bin/env python3
"""Write testdata/tf/gpu-fleet.tfstate: the raw state (version 4) `terraform apply` of
testdata/tf/gpu-fleet (with its terraform.tfvars) would leave, as the hashicorp/aws
provider 5.x writes it.

Each resource's attributes start from a real state of the same type in
testdata/real-state/ (driftctl's aws_instance and aws_security_group, weka's aws_vpc and
aws_subnet: every key those providers wrote), then take this fleet's values. Keys added by
provider 5.x (tags_all, metadata_options.instance_metadata_tags, root_block_device
throughput) are added as 5.x writes them. Ids are made up but shaped like AWS's.
"""
import copy
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
REAL = HERE.parent / "real-state"
ACCOUNT, REGION = "123456789012", "us-east-1"
PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'
PRIVATE = "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="


def template(path, tf_type):
    state = json.loads((REAL / path).read_text())
    block = next(r for r in state["resources"] if r["type"] == tf_type and r["mode"] == "managed")
    return block["instances"][0]["attributes"]


INSTANCE = template("snyk__driftctl/pkg__iac__terraform__state__test__aws_ec2_instance__terraform.tfstate", "aws_instance")
SG = template("snyk__driftctl/pkg__iac__terraform__state__test__aws_vpc_security_group__terraform.tfstate", "aws_security_group")
VPC = template("weka__weka-operator/terraform__eks__terraform.tfstate.backup", "aws_vpc")
SUBNET = template("weka__weka-operator/terraform__eks__terraform.tfstate.backup", "aws_subnet")

COMMON = {"team": "ml-platform", "owner": "gpu-oncall", "env": "prod"}
VPC_ID, SG_ID = "vpc-0a40c0ffee0000001", "sg-0a40c0ffee0000001"
SUBNETS = ["subnet-0a40c0ffee0000000", "subnet-0a40c0ffee0000001"]
AMI = "ami-0c7217cdde317cfec"


def arn(kind, id_):
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{id_}"


def instance(n, itype, tags, subnet, hop, root, ebs):
    a = copy.deepcopy(INSTANCE)
    id_ = f"i-0a40c0ffee{n:07d}"
    a.update({
        "ami": AMI, "arn": arn("instance", id_), "id": id_, "availability_zone": "us-east-1a",
        "instance_type": itype, "subnet_id": subnet, "vpc_security_group_ids": [SG_ID], "security_groups": [],
        "associate_public_ip_address": False, "public_dns": "", "public_ip": "",
        "private_ip": f"10.40.0.{10 + n}", "private_dns": f"ip-10-40-0-{10 + n}.ec2.internal",
        "primary_network_interface_id": f"eni-0a40c0ffee{n:07d}",
        "tags": tags, "tags_all": tags, "credit_specification": [],
    })
    a["metadata_options"] = [{"http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
                              "http_put_response_hop_limit": hop, "http_tokens": "required",
                              "instance_metadata_tags": "disabled"}]
    rb = dict(a["root_block_device"][0])
    rb.update({"device_name": "/dev/sda1", "volume_id": f"vol-0a40c0ffee{n:07d}", "tags": {}, "throughput": 125 if root[2] == "gp3" else 0,
               "encrypted": root[0], "volume_size": root[1], "volume_type": root[2], "iops": 3000})
    a["root_block_device"] = [rb]
    a["ebs_block_device"] = [dict({"delete_on_termination": True, "iops": 3000, "kms_key_id": "", "snapshot_id": "",
                                   "tags": {}, "throughput": 125, "volume_id": f"vol-0b40c0ffee{n:07d}",
                                   "volume_type": "gp3"}, **e) for e in ebs]
    return a


def block(module, tf_type, name, instances, each=None, mode="managed"):
    b = {"mode": mode, "type": tf_type, "name": name, "provider": PROVIDER, "instances": []}
    if module:
        b = {"module": module, **b}
    if each:
        b["each"] = each
    for key, attrs in instances:
        inst = {"schema_version": 1, "attributes": attrs, "sensitive_attributes": [], "private": PRIVATE}
        if key is not None:
            inst = {"index_key": key, **inst}
        b["instances"].append(inst)
    return b


def main():
    vpc = copy.deepcopy(VPC)
    vpc.update({"arn": arn("vpc", VPC_ID), "id": VPC_ID, "cidr_block": "10.40.0.0/16", "owner_id": ACCOUNT,
                "tags": {"Name": "gpu-prod"}, "tags_all": {"Name": "gpu-prod"}})
    subnets = []
    for i, (cidr, az) in enumerate([("10.40.0.0/20", "us-east-1a"), ("10.40.16.0/20", "us-east-1b")]):
        s = copy.deepcopy(SUBNET)
        s.update({"arn": arn("subnet", SUBNETS[i]), "id": SUBNETS[i], "cidr_block": cidr, "availability_zone": az,
                  "availability_zone_id": f"use1-az{i + 1}", "vpc_id": VPC_ID, "owner_id": ACCOUNT,
                  "map_public_ip_on_launch": False, "tags": {"Name": f"gpu-prod-{i}"}, "tags_all": {"Name": f"gpu-prod-{i}"}})
        subnets.append((i, s))
    sg = copy.deepcopy(SG)
    rule = dict(SG["ingress"][0])
    ingress = [dict(rule, description="nccl", from_port=0, to_port=65535, protocol="tcp", cidr_blocks=["10.40.0.0/16"]),
               dict(rule, description="ssh", from_port=22, to_port=22, protocol="tcp", cidr_blocks=["10.40.0.0/16"])]
    sg.update({"arn": arn("security-group", SG_ID), "id": SG_ID, "name": "gpu-prod-nodes", "owner_id": ACCOUNT,
               "vpc_id": VPC_ID, "ingress": ingress, "egress": [], "tags": {}, "tags_all": {}})
    trainers = [
        block(f"module.trainers[{i}]", "aws_instance", "this", [(None, instance(
            i, "p5.48xlarge", dict(COMMON, role="training", Name=f"trainer-{i:02d}"), SUBNETS[i % 2], 2,
            (True, 500, "gp3"), []))])
        for i in range(3)
    ]
    pools = block(None, "aws_instance", "pool", [
        ("inference", instance(10, "g6e.12xlarge", dict(COMMON, Name="prod-inference", pool="inference"), SUBNETS[0], 1,
                               (False, 8, "gp2"),
                               [{"device_name": "/dev/sdf", "volume_size": 500, "encrypted": True}])),
        ("notebooks", instance(11, "g5.2xlarge", dict(COMMON, Name="prod-notebooks", pool="notebooks"), SUBNETS[0], 1,
                               (False, 8, "gp2"), [])),
    ], each="map")
    ami = block(None, "aws_ami", "dlami", [(None, {"id": AMI, "image_id": AMI, "most_recent": True, "owners": ["amazon"]})],
                mode="data")
    state = {
        "version": 4, "terraform_version": "1.9.8", "serial": 12, "lineage": "7f0c2a4e-5b1d-4c7e-9a3f-gpu-fleet",
        "outputs": {},
        "resources": [
            ami,
            pools,
            block("module.network", "aws_security_group", "gpu", [(None, sg)]),
            block("module.network", "aws_subnet", "gpu", subnets, each="list"),
            block("module.network", "aws_vpc", "gpu", [(None, vpc)]),
            *trainers,
        ],
        "check_results": None,
    }
    (HERE / "gpu-fleet.tfstate").write_text(json.dumps(state, indent=2) + "\n")


if __name__ == "__main__":
    main()
