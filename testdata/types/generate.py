#!/usr/bin/env python3
"""Writes one folder per scenario under testdata/types/<tf_type>/<scenario>/:
state.json (raw state v4), live.json (driftd.snapshot/v1) and expected.json (the
findings the comparer must produce, no more, no fewer). `noise-only` scenarios must
produce none. Built on the demo generator's resource shapes.
    python3 testdata/types/generate.py
"""
import copy, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "demo"))
import generate as demo  # noqa: E402


def state(resources):
    out = []
    for addr_name, t, attrs in resources:
        out.append({"mode": "managed", "type": t, "name": addr_name, "provider": "p",
                    "instances": [{"schema_version": 1, "attributes": attrs, "sensitive_attributes": []}]})
    return {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l", "outputs": {}, "resources": out}


def snapshot(t, resources, region, account, provider):
    return {"schema": "driftd.snapshot/v1", "taken_at": demo.TAKEN_AT,
            "scans": [{"provider": provider, "account": account, "region": region, "types": [t],
                       "resources": len(resources), "api_calls": 1, "started_at": None, "duration_ms": None, "error": None}],
            "resources": [demo.resource(t, a, region, account, owner=o) for a, o in resources]}


def write(t, name, st, live, expected):
    d = os.path.join(HERE, t, name)
    os.makedirs(d, exist_ok=True)
    for fname, obj in [("state.json", st), ("live.json", live), ("expected.json", expected)]:
        with open(os.path.join(d, fname), "w") as f:
            f.write(json.dumps(obj, indent=2) + "\n")


def aws():
    t = "aws_instance"
    base = demo.aws_instance("aws_instance.gpu", "gpu-0", "p4d.24xlarge", "us-east-1", "us-east-1a",
                             demo.SG_TRAIN, "ml", "ana")
    iid = base["id"]
    st = state([("gpu", t, base)])

    def scen(name, mutate=None, expected=(), extra_live=(), drop=False):
        live = [] if drop else [demo.live_of(base, t, "us-east-1")]
        if mutate and live:
            mutate(live[0])
        res = [(a, None) for a in live] + list(extra_live)
        write(t, name, st, snapshot(t, res, "us-east-1", demo.ACCOUNT, "aws"), list(expected))

    def stopped_new_ip(a):
        a["instance_state"] = "stopped"
        a["public_ip"] = ""
        a["private_dns"] = "ip-10-9-9-9.ec2.internal"
        a["root_block_device"][0]["volume_id"] = "vol-0ffffffffffffffff"

    scen("noise-only", stopped_new_ip)
    scen("instance-type-changed", lambda a: a.update(instance_type="p5.48xlarge"),
         [{"kind": "changed", "resource": "aws_instance.gpu", "severity": "high", "paths": ["instance_type"],
           "delta_per_hour_usd": 33.08}])
    scen("imdsv1", lambda a: a["metadata_options"][0].update(http_tokens="optional"),
         [{"kind": "changed", "resource": "aws_instance.gpu", "severity": "high",
           "paths": ["metadata_options.0.http_tokens"], "delta_per_hour_usd": 0.0}])

    def retag(a):
        del a["tags"]["owner"]
        a["tags"]["oncall"] = "bob"
    scen("tags-removed-and-added", retag,
         [{"kind": "changed", "resource": "aws_instance.gpu", "severity": "low", "paths": ["tags.oncall", "tags.owner"],
           "delta_per_hour_usd": 0.0}])
    scen("security-group-swapped", lambda a: a.update(vpc_security_group_ids=[demo.SG_ROGUE]),
         [{"kind": "changed", "resource": "aws_instance.gpu", "severity": "high", "paths": ["vpc_security_group_ids"],
           "delta_per_hour_usd": 0.0}])
    scen("terminated", drop=True,
         expected=[{"kind": "missing", "resource": "aws_instance.gpu", "severity": "high", "paths": [],
                    "delta_per_hour_usd": -21.96}])
    rogue = demo.live_of(demo.aws_instance("rogue", "by-hand", "p5.48xlarge", "us-east-1", "us-east-1a",
                                           demo.SG_TRAIN, "ml", "x"), t, "us-east-1")
    scen("launched-by-hand", extra_live=[(rogue, None)],
         expected=[{"kind": "unmanaged", "resource": rogue["id"], "severity": "high", "paths": [],
                    "delta_per_hour_usd": 55.04}])
    asg = copy.deepcopy(rogue)
    asg["id"] = "i-0asg000000000001"
    asg["tags"]["aws:autoscaling:groupName"] = "pool"
    scen("owned-by-autoscaling-group", extra_live=[(asg, {"type": "aws_autoscaling_group", "id": "pool"})])
    del iid


def azure():
    t = "azurerm_linux_virtual_machine"
    base = demo.azure_vm("vm", "nd-0", "Standard_ND96asr_v4", "ml", "ana")
    st = state([("nd", t, base)])

    def scen(name, mutate=None, expected=(), extra_live=(), drop=False):
        live = [] if drop else [demo.live_of(base, t, "eastus")]
        if mutate and live:
            mutate(live[0])
        res = [(a, None) for a in live] + list(extra_live)
        write(t, name, st, snapshot(t, res, "eastus", demo.SUB, "azure"), list(expected))

    def noise(a):
        a["size"] = "standard_nd96asr_v4"  # size casing from the API
        a["network_interface_ids"] = [n.upper() for n in a["network_interface_ids"]]
        a["private_ip_address"] = "10.1.0.99"
    scen("noise-only", noise)
    scen("resized", lambda a: a.update(size="Standard_ND96isr_H100_v5"),
         [{"kind": "changed", "resource": "azurerm_linux_virtual_machine.nd", "severity": "high", "paths": ["size"],
           "delta_per_hour_usd": 71.12}])
    scen("switched-to-spot", lambda a: a.update(priority="Spot", eviction_policy="Delete"),
         [{"kind": "changed", "resource": "azurerm_linux_virtual_machine.nd", "severity": "medium",
           "paths": ["priority", "eviction_policy"], "delta_per_hour_usd": 0.0}])
    scen("password-login-enabled", lambda a: a.update(disable_password_authentication=False),
         [{"kind": "changed", "resource": "azurerm_linux_virtual_machine.nd", "severity": "high",
           "paths": ["disable_password_authentication"], "delta_per_hour_usd": 0.0}])
    scen("deleted", drop=True,
         expected=[{"kind": "missing", "resource": "azurerm_linux_virtual_machine.nd", "severity": "high", "paths": [],
                    "delta_per_hour_usd": -27.2}])
    newsize = demo.live_of(demo.azure_vm("x", "gpu-by-hand", "Standard_NC80adis_H100_v5", "ml", "x"), t, "eastus")
    scen("created-by-hand-unpriced-size", extra_live=[(newsize, None)],
         expected=[{"kind": "unmanaged", "resource": newsize["id"], "severity": "high", "paths": [],
                    "delta_per_hour_usd": None}])


if __name__ == "__main__":
    aws()
    azure()
