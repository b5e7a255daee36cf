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

    def scen(name, mutate=None, expected=(), extra_live=(), drop=False, extra_state=()):
        live = [] if drop else [demo.live_of(base, t, "us-east-1")]
        if mutate and live:
            mutate(live[0])
        res = [(a, None) for a in live] + list(extra_live)
        st_all = state([("gpu", t, base)] + list(extra_state)) if extra_state else st
        write(t, name, st_all, snapshot(t, res, "us-east-1", demo.ACCOUNT, "aws"), list(expected))

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
    # Owners, recognised by their tags (the snapshot says nothing of them).
    asg = copy.deepcopy(rogue)
    asg["id"] = "i-0asg000000000001"
    asg["tags"]["aws:autoscaling:groupName"] = "pool"
    pool = ("pool", "aws_autoscaling_group", {"id": "pool", "name": "pool", "desired_capacity": 1, "min_size": 0,
                                              "max_size": 4, "arn": "arn:aws:autoscaling:us-east-1:%s:autoScalingGroup:"
                                              "uuid:autoScalingGroupName/pool" % demo.ACCOUNT})
    scen("owned-by-autoscaling-group", extra_live=[(asg, None)], extra_state=[pool])
    scen("owner-not-declared", extra_live=[(asg, None)],
         expected=[{"kind": "unmanaged", "resource": "pool", "severity": "high", "paths": [],
                    "delta_per_hour_usd": 55.04}])
    karpenter = copy.deepcopy(rogue)
    karpenter["id"] = "i-0karpenter000001"
    karpenter["tags"].update({"karpenter.sh/nodepool": "gpu", "karpenter.k8s.aws/ec2nodeclass": "default",
                              "eks:eks-cluster-name": "ml"})
    scen("karpenter-node", extra_live=[(karpenter, None)])
    stack = copy.deepcopy(rogue)
    stack["id"] = "i-0cloudformation01"
    stack["tags"].update({"aws:cloudformation:stack-name": "legacy",
                          "aws:cloudformation:stack-id": "arn:aws:cloudformation:us-east-1:%s:stack/legacy/0ced2b54"
                          % demo.ACCOUNT, "aws:cloudformation:logical-id": "Node"})
    scen("cloudformation-node", extra_live=[(stack, None)],
         expected=[{"kind": "unmanaged", "resource": stack["id"], "severity": "low", "paths": [],
                    "delta_per_hour_usd": 55.04}])
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


def simple(t, base, scenarios, address="x"):
    """Scenarios for one type: (name, mutate(live) or None, drop, extra_live, expected)."""
    st = state([(address, t, base)])
    for name, mutate, drop, extra, expected in scenarios:
        live = [] if drop else [copy.deepcopy(base)]
        live_tags = live[0].setdefault("tags", {}) if live and "tags" in base else None
        if live:
            live[0].pop("tags_all", None)
            if live_tags is not None:
                live_tags["aws:ec2launchtemplate:version"] = "1"  # AWS-managed: noise
            if mutate:
                mutate(live[0])
        res = [(a, None) for a in live] + [(e, None) for e in extra]
        write(t, name, st, snapshot(t, res, "us-east-1", demo.ACCOUNT, "aws"), expected)


def aws_more():
    acct, region = demo.ACCOUNT, "us-east-1"
    lt = {"id": "lt-0123456789abcdef0", "arn": f"arn:aws:ec2:{region}:{acct}:launch-template/lt-0123456789abcdef0",
          "name": "gpu-lt", "default_version": 1, "latest_version": 1, "instance_type": "p5.48xlarge",
          "image_id": "ami-0dlami", "key_name": "ml-ops", "vpc_security_group_ids": demo.SG_TRAIN,
          "iam_instance_profile": [{"name": "gpu-node", "arn": ""}],
          "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled", "http_put_response_hop_limit": 2}],
          "tags": {"team": "ml"}, "tags_all": {"team": "ml"}}
    def lt_noise(a):
        a["vpc_security_group_ids"] = list(reversed(a["vpc_security_group_ids"]))
        a["metadata_options"][0]["http_tokens"] = "Required"
    def lt_new_version(a):
        a["latest_version"] = 2
        a["instance_type"] = "p4d.24xlarge"
    simple("aws_launch_template", lt, [
        ("noise-only", lt_noise, False, [], []),
        ("new-version-other-type", lt_new_version, False, [],
         [{"kind": "changed", "resource": "aws_launch_template.x", "severity": "high", "paths": ["instance_type", "latest_version"], "delta_per_hour_usd": None}]),
    ])

    asg = {"id": "batch-gpu", "name": "batch-gpu", "arn": f"arn:aws:autoscaling:{region}:{acct}:autoScalingGroup:x:autoScalingGroupName/batch-gpu",
           "desired_capacity": 2, "min_size": 0, "max_size": 8, "launch_template": [],
           "mixed_instances_policy": [{"launch_template": [{"launch_template_specification": [{"launch_template_id": lt["id"], "version": "$Latest"}],
                                                             "override": [{"instance_type": "p5.48xlarge", "weighted_capacity": ""},
                                                                          {"instance_type": "p4d.24xlarge", "weighted_capacity": ""}]}]}],
           "vpc_zone_identifier": ["subnet-a", "subnet-b"],
           "tag": [{"key": "team", "value": "ml", "propagate_at_launch": True}, {"key": "Name", "value": "batch", "propagate_at_launch": True}],
           "instances": ["i-1", "i-2"]}
    def asg_noise(a):
        a["vpc_zone_identifier"].reverse()
        a["tag"].reverse()
        a["mixed_instances_policy"][0]["launch_template"][0]["override"].reverse()
        a["instances"] = ["i-3", "i-4"]
    simple("aws_autoscaling_group", asg, [
        ("noise-only", asg_noise, False, [], []),
        ("scaled-by-hand", lambda a: a.update(desired_capacity=8), False, [],
         [{"kind": "changed", "resource": "aws_autoscaling_group.x", "severity": "high", "paths": ["desired_capacity"], "delta_per_hour_usd": 330.24}]),
    ])

    ng = {"id": "ml:gpu", "arn": f"arn:aws:eks:{region}:{acct}:nodegroup/ml/gpu/x", "cluster_name": "ml", "node_group_name": "gpu",
          "instance_types": ["p5.48xlarge"], "scaling_config": [{"desired_size": 2, "min_size": 0, "max_size": 4}],
          "capacity_type": "ON_DEMAND", "ami_type": "AL2_x86_64_GPU", "disk_size": 200, "subnet_ids": ["subnet-a", "subnet-b"],
          "labels": {"gpu": "h100"}, "tags": {"team": "ml"}, "tags_all": {"team": "ml"}, "status": "ACTIVE", "release_version": "1.29.0-20240101", "version": "1.29"}
    def ng_noise(a):
        a["subnet_ids"].reverse()
        a["status"] = "UPDATING"
        a["release_version"] = "1.29.3-20240301"
        a["capacity_type"] = "on_demand"
    def ng_spot_and_scale(a):
        a["capacity_type"] = "SPOT"
        a["scaling_config"][0]["desired_size"] = 3
    simple("aws_eks_node_group", ng, [
        ("noise-only", ng_noise, False, [], []),
        ("spot-and-scaled", ng_spot_and_scale, False, [],
         [{"kind": "changed", "resource": "aws_eks_node_group.x", "severity": "high", "paths": ["scaling_config.0.desired_size", "capacity_type"], "delta_per_hour_usd": 55.04}]),
    ])

    sg_id = demo.SG_TRAIN[0]
    rule = lambda port, cidrs: {"protocol": "tcp", "from_port": port, "to_port": port, "cidr_blocks": cidrs, "ipv6_cidr_blocks": [],
                                "prefix_list_ids": [], "security_groups": [], "self": False, "description": ""}
    sg = {"id": sg_id, "arn": f"arn:aws:ec2:{region}:{acct}:security-group/{sg_id}", "name": "gpu-train", "description": "GPU training",
          "vpc_id": "vpc-1", "owner_id": acct, "ingress": [rule(443, ["10.0.0.0/8"]), rule(8888, ["10.1.0.0/16"])],
          "egress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                      "security_groups": [], "self": False, "description": ""}], "tags": {"team": "ml"}, "tags_all": {"team": "ml"}}
    def sg_noise(a):
        a["ingress"].reverse()
        a["owner_id"] = "999999999999"
    simple("aws_security_group", sg, [
        ("noise-only", sg_noise, False, [], []),
        ("ssh-opened-to-world", lambda a: a["ingress"].append(rule(22, ["0.0.0.0/0"])), False, [],
         [{"kind": "changed", "resource": "aws_security_group.x", "severity": "high", "paths": ["ingress"], "delta_per_hour_usd": None}]),
    ])

    pg = {"id": "pg-train", "name": "pg-train", "arn": f"arn:aws:ec2:{region}:{acct}:placement-group/pg-train", "placement_group_id": "pg-0abc",
          "strategy": "cluster", "partition_count": 0, "spread_level": "", "tags": {}, "tags_all": {}}
    simple("aws_placement_group", pg, [
        ("noise-only", lambda a: a.update(strategy="Cluster", placement_group_id="pg-0def"), False, [], []),
        ("deleted", None, True, [],
         [{"kind": "missing", "resource": "aws_placement_group.x", "severity": "medium", "paths": [], "delta_per_hour_usd": None}]),
    ])

    cr = {"id": "cr-0abc", "arn": f"arn:aws:ec2:{region}:{acct}:capacity-reservation/cr-0abc", "instance_type": "p5.48xlarge",
          "instance_platform": "Linux/UNIX", "availability_zone": "us-east-1a", "instance_count": 4, "available_instance_count": 4,
          "ebs_optimized": True, "end_date": "", "end_date_type": "unlimited", "instance_match_criteria": "targeted", "tenancy": "default",
          "state": "active", "tags": {"Name": "llm-reserve"}, "tags_all": {"Name": "llm-reserve"}}
    rogue_cr = dict(copy.deepcopy(cr), id="cr-0rogue", arn=f"arn:aws:ec2:{region}:{acct}:capacity-reservation/cr-0rogue", instance_count=8,
                    tags={"Name": "by-hand"})
    rogue_cr.pop("tags_all")
    simple("aws_ec2_capacity_reservation", cr, [
        ("noise-only", lambda a: a.update(available_instance_count=1, state="pending", end_date_type="Unlimited"), False, [], []),
        ("resized", lambda a: a.update(instance_count=8), False, [],
         [{"kind": "changed", "resource": "aws_ec2_capacity_reservation.x", "severity": "high", "paths": ["instance_count"], "delta_per_hour_usd": 220.16}]),
        ("reserved-by-hand", None, False, [rogue_cr],
         [{"kind": "unmanaged", "resource": "cr-0rogue", "severity": "high", "paths": [], "delta_per_hour_usd": 440.32}]),
    ])


def azure_simple(t, base, scenarios, address="x"):
    """Azure scenarios for one type: the live side is the declared attributes as ARM
    gives them back (id casing, location spelling), then mutated."""
    st = state([(address, t, base)])
    for name, mutate, drop, extra, expected in scenarios:
        live = [] if drop else [copy.deepcopy(base)]
        if live:
            live[0]["id"] = live[0]["id"].replace("resourceGroups", "resourcegroups")
            live[0]["location"] = "East US"
            if mutate:
                mutate(live[0])
        res = [(a, None) for a in live] + [(e, None) for e in extra]
        write(t, name, st, snapshot(t, res, "eastus", demo.SUB, "azure"), expected)


def arm(kind, name, rg=None):
    return f"/subscriptions/{demo.SUB}/resourceGroups/{rg or demo.RG}/providers/{kind}/{name}"


def azure_more():
    # Windows VM: the Linux VM's shape with Windows' own settings.
    t = "azurerm_windows_virtual_machine"
    win = demo.azure_vm("w", "viz-0", "Standard_NV36ads_A10_v5", "viz", "ana")
    del win["disable_password_authentication"]
    win["id"] = arm("Microsoft.Compute/virtualMachines", "viz-0")
    win.update(automatic_updates_enabled=True, patch_mode="AutomaticByOS", hotpatching_enabled=False, timezone="",
               license_type="Windows_Server")
    azure_simple(t, win, [
        ("noise-only", lambda a: a.update(size="standard_nv36ads_a10_v5", patch_mode="automaticbyos", admin_password=None), False, [], []),
        ("updates-disabled", lambda a: a.update(automatic_updates_enabled=False), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "high", "paths": ["automatic_updates_enabled"], "delta_per_hour_usd": 0.0}]),
        ("resized", lambda a: a.update(size="Standard_NV72ads_A10_v5"), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "high", "paths": ["size"], "delta_per_hour_usd": 3.32}]),
    ])

    # Uniform scale set: the attribute set of a real azurerm plan
    # (testdata/real-state/kaytu-io__pennywise/sample__azure__tfplan.json), GPU sized.
    t = "azurerm_linux_virtual_machine_scale_set"
    real = json.load(open(os.path.join(HERE, "..", "real-state", "kaytu-io__pennywise", "sample__azure__tfplan.json")))
    vmss = next(r for r in real["resource_changes"] if r["type"] == t)["change"]["after"]
    vmss = copy.deepcopy(vmss)
    vmss.update(id=arm("Microsoft.Compute/virtualMachineScaleSets", "render"), name="render", sku="Standard_NC24ads_A100_v4",
                instances=4, location="eastus", resource_group_name=demo.RG, zones=["1", "2"], admin_password=None,
                tags={"team": "render"}, unique_id="3c0d9f4e-1111-4111-8111-000000000004")
    azure_simple(t, vmss, [
        ("noise-only", lambda a: a.update(sku="standard_nc24ads_a100_v4", zones=["2", "1"], unique_id="other"), False, [], []),
        ("scaled-by-hand", lambda a: a.update(instances=6), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "high", "paths": ["instances"], "delta_per_hour_usd": 7.35}]),
        ("switched-to-spot", lambda a: a.update(priority="Spot", eviction_policy="Delete"), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "medium", "paths": ["priority", "eviction_policy"], "delta_per_hour_usd": 0.0}]),
        ("deleted", None, True, [],
         [{"kind": "missing", "resource": f"{t}.x", "severity": "high", "paths": [], "delta_per_hour_usd": -14.69}]),
    ])

    t = "azurerm_orchestrated_virtual_machine_scale_set"
    flex = {"id": arm("Microsoft.Compute/virtualMachineScaleSets", "batch-flex"), "name": "batch-flex", "location": "eastus",
            "resource_group_name": demo.RG, "sku_name": "Standard_NC4as_T4_v3", "instances": 3, "priority": "Regular",
            "eviction_policy": None, "max_bid_price": -1, "platform_fault_domain_count": 1, "single_placement_group": False,
            "zone_balance": False, "zones": [], "encryption_at_host_enabled": False, "identity": [], "tags": {"team": "batch"},
            "unique_id": "", "os_profile": [], "network_interface": [], "upgrade_mode": "Manual", "license_type": "",
            "extension_operations_enabled": True, "extensions_time_budget": "PT1H30M", "source_image_id": "", "timeouts": None}
    azure_simple(t, flex, [
        ("noise-only", lambda a: a.update(sku_name="STANDARD_NC4AS_T4_V3", unique_id="f00"), False, [], []),
        ("resized", lambda a: a.update(sku_name="Standard_NC64as_T4_v3"), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "high", "paths": ["sku_name"], "delta_per_hour_usd": 11.48}]),
    ])

    pool_common = {"auto_scaling_enabled": False, "host_encryption_enabled": False, "max_count": None, "min_count": None,
                   "max_pods": 30, "node_labels": {"accelerator": "nvidia-a100"}, "node_public_ip_enabled": False,
                   "orchestrator_version": "1.31.2", "os_disk_size_gb": 128, "os_sku": "Ubuntu", "tags": {},
                   "vm_size": "Standard_ND96asr_v4", "node_count": 2, "zones": ["1", "2"], "vnet_subnet_id": ""}
    cluster_id = arm("Microsoft.ContainerService/managedClusters", "ml-aks")
    t = "azurerm_kubernetes_cluster"
    default = dict(pool_common, name="system", vm_size="Standard_D4s_v5", node_count=3, auto_scaling_enabled=True,
                   min_count=3, max_count=6, node_labels={}, only_critical_addons_enabled=False, type="VirtualMachineScaleSets",
                   temporary_name_for_rotation="")
    # The default pool's size (Standard_D4s_v5) is not in the GPU price table: costs are null.
    cluster = {"id": cluster_id, "name": "ml-aks", "location": "eastus", "resource_group_name": demo.RG, "dns_prefix": "ml-aks",
               "kubernetes_version": "1.31.2", "current_kubernetes_version": "1.31.2", "sku_tier": "Standard",
               "node_resource_group": f"MC_{demo.RG}_ml-aks_eastus", "private_cluster_enabled": False,
               "api_server_access_profile": [], "local_account_disabled": True, "role_based_access_control_enabled": True,
               "oidc_issuer_enabled": True, "workload_identity_enabled": True, "azure_policy_enabled": False,
               "automatic_upgrade_channel": "patch", "identity": [{"type": "SystemAssigned", "identity_ids": [],
               "principal_id": "p", "tenant_id": "t"}], "default_node_pool": [default], "tags": {"team": "ml"},
               "kube_config_raw": "", "fqdn": "ml-aks-1.hcp.eastus.azmk8s.io"}
    azure_simple(t, cluster, [
        # The autoscaler moved the default pool from 3 to 5 nodes: its move, not drift.
        ("noise-only", lambda a: a["default_node_pool"][0].update(node_count=5), False, [], []),
        ("upgraded-by-hand", lambda a: a.update(kubernetes_version="1.32.0", current_kubernetes_version="1.32.0"), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "medium", "paths": ["kubernetes_version"], "delta_per_hour_usd": None}]),
        ("local-accounts-enabled", lambda a: a.update(local_account_disabled=False), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "high", "paths": ["local_account_disabled"], "delta_per_hour_usd": None}]),
    ])

    t = "azurerm_kubernetes_cluster_node_pool"
    pool = dict(pool_common, id=f"{cluster_id}/agentPools/gpu", name="gpu", kubernetes_cluster_id=cluster_id, mode="User",
                priority="Regular", eviction_policy=None, spot_max_price=-1, os_type="Linux", gpu_instance="",
                node_taints=["nvidia.com/gpu=present:NoSchedule", "sku=gpu:NoSchedule"])
    auto = dict(pool, auto_scaling_enabled=True, min_count=0, max_count=4, node_count=1)
    azure_simple(t, pool, [
        ("noise-only", lambda a: a.update(node_taints=list(reversed(a["node_taints"])), vm_size="standard_nd96asr_v4",
                                          orchestrator_version="1.31.3"), False, [], []),
        ("scaled-by-hand", lambda a: a.update(node_count=4), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "high", "paths": ["node_count"], "delta_per_hour_usd": 54.4}]),
        ("untainted", lambda a: a.update(node_taints=["sku=gpu:NoSchedule"]), False, [],
         [{"kind": "changed", "resource": f"{t}.x", "severity": "medium", "paths": ["node_taints"], "delta_per_hour_usd": 0.0}]),
    ])
    rogue = dict(pool, id=f"{cluster_id}/agentPools/byhand", name="byhand", node_count=1)
    rogue["id"] = rogue["id"].replace("resourceGroups", "resourcegroups")
    azure_simple(t, pool, [
        ("added-by-hand", None, False, [rogue],
         [{"kind": "unmanaged", "resource": rogue["id"], "severity": "high", "paths": [], "delta_per_hour_usd": 27.2}]),
    ])
    for name, mutate, expected in [
        ("autoscaled-count-moved", lambda a: a.update(node_count=4), []),
        ("autoscaler-bounds-moved", lambda a: a.update(max_count=8, node_count=2),
         [{"kind": "changed", "resource": f"{t}.auto", "severity": "medium", "paths": ["max_count"], "delta_per_hour_usd": 27.19}]),
    ]:
        azure_simple(t, auto, [(name, mutate, False, [], expected)], address="auto")


if __name__ == "__main__":
    aws()
    azure()
    aws_more()
    azure_more()
