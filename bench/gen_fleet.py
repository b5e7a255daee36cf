#!/usr/bin/env python3
"""Generates a large fleet for benchmarks: N aws_instance resources in raw state v4
(modules of 1000 with count, each module with its own security group) and a live
snapshot of the same fleet with drift in 15% of its instances (5% each: missing,
resized, re-tagged), one unmanaged instance per 20 declared, SSH opened to the internet
on every fourth module's group, plus the usual noise.
    python3 bench/gen_fleet.py 100000 bench/out
"""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "demo"))
import generate as demo  # noqa: E402

TYPES = ["p4d.24xlarge", "p5.48xlarge", "g5.xlarge", "g6e.12xlarge", "g4dn.xlarge"]


def rule(protocol, port, cidr):
    return {"protocol": protocol, "from_port": port, "to_port": port, "cidr_blocks": [cidr], "ipv6_cidr_blocks": [],
            "prefix_list_ids": [], "security_groups": [], "self": False, "description": ""}


def security_group(m, region):
    sid = "sg-0" + demo.hid("bench-sg", str(m), n=16)
    return {"id": sid, "arn": f"arn:aws:ec2:{region}:{demo.ACCOUNT}:security-group/{sid}", "name": f"pool-{m}",
            "description": "GPU pool", "vpc_id": "vpc-0bench", "owner_id": demo.ACCOUNT,
            "ingress": [rule("tcp", 22, "10.0.0.0/8"), rule("tcp", 8888, "10.1.0.0/16")],
            "egress": [rule("-1", 0, "0.0.0.0/0")], "tags": {"team": "ml"}, "tags_all": {"team": "ml"}}


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    per_module = 1000
    modules = []
    live = []
    pools = (n + per_module - 1) // per_module  # each: a module of instances and its security group
    for m in range(pools):
        region = "us-east-1" if m % 2 == 0 else "us-west-2"
        sg = security_group(m, region)
        modules.append({"module": f"module.pool_{m}", "mode": "managed", "type": "aws_security_group", "name": "nodes",
                        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                        "instances": [{"schema_version": 1, "attributes": sg, "sensitive_attributes": []}]})
        live_sg = dict(sg, tags=dict(sg["tags"]))
        del live_sg["tags_all"]
        if m % 4 == 0:
            live_sg["ingress"] = [rule("tcp", 22, "0.0.0.0/0")] + sg["ingress"][1:]
        live.append(demo.resource("aws_security_group", live_sg, region, demo.ACCOUNT, name=f"pool-{m}"))
        instances = []
        for i in range(min(per_module, n - m * per_module)):
            k = m * per_module + i
            region = "us-east-1" if k % 2 == 0 else "us-west-2"
            attrs = demo.aws_instance(f"module.pool_{m}.aws_instance.gpu[{i}]", f"gpu-{k}", TYPES[k % len(TYPES)],
                                      region, region + "a", demo.SG_TRAIN + [sg["id"]], "team-%d" % (k % 40), "owner-%d" % (k % 300))
            instances.append({"index_key": i, "schema_version": 1, "attributes": attrs, "sensitive_attributes": []})
            if k % 20 == 1:
                continue  # missing
            la = demo.live_of(attrs, "aws_instance", region)
            if k % 20 == 2:
                la["instance_type"] = "p5.48xlarge"
            if k % 20 == 3:
                la["tags"]["owner"] = "someone-else"
            live.append(demo.resource("aws_instance", la, region, demo.ACCOUNT, name=f"gpu-{k}"))
            if k % 20 == 4:
                rogue = demo.live_of(demo.aws_instance(f"rogue-{k}", f"rogue-{k}", "p5.48xlarge", region, region + "a",
                                                       [demo.SG_ROGUE], "x", "x"), "aws_instance", region)
                live.append(demo.resource("aws_instance", rogue, region, demo.ACCOUNT, name=f"rogue-{k}"))
        modules.append({"module": f"module.pool_{m}", "mode": "managed", "type": "aws_instance", "name": "gpu",
                        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": instances})
    state = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "bench", "outputs": {}, "resources": modules}
    scans = [{"provider": "aws", "account": demo.ACCOUNT, "region": r, "types": ["aws_instance", "aws_security_group"],
              "resources": sum(1 for x in live if x["region"] == r), "api_calls": 0, "started_at": None,
              "duration_ms": None, "error": None} for r in ("us-east-1", "us-west-2")]
    snap = {"schema": "driftd.snapshot/v1", "taken_at": demo.TAKEN_AT, "scans": scans, "resources": live}
    with open(os.path.join(out, "state.tfstate"), "w") as f:
        json.dump(state, f, separators=(",", ":"))
    with open(os.path.join(out, "live.json"), "w") as f:
        json.dump(snap, f, separators=(",", ":"))
    print(f"{n + pools} declared, {len(live)} live")


if __name__ == "__main__":
    main()
