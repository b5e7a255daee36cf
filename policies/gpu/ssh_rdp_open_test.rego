package driftd.gpu.ssh_rdp_open_test

import data.driftd.gpu.ssh_rdp_open

node := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"count": 8}, "attributes": {"vpc_security_group_ids": ["sg-gpu"]}}

cpu := {"type": "aws_instance", "id": "i-2", "name": "c", "provider": "aws", "gpu": null, "attributes": {"vpc_security_group_ids": ["sg-cpu"]}}

sg(id, rule) := {"type": "aws_security_group", "id": id, "name": id, "provider": "aws", "attributes": {"ingress": [rule]}}

ssh_world := {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}

test_ssh_to_world_on_gpu_group_denied if {
	deny := ssh_rdp_open.deny with input as {"side": "live", "resources": [node, sg("sg-gpu", ssh_world)]}
	count(deny) == 1
	some e in deny
	e.resource == {"type": "aws_security_group", "id": "sg-gpu"}
}

test_group_of_cpu_nodes_ignored if {
	count(ssh_rdp_open.deny) == 0 with input as {"side": "live", "resources": [node, cpu, sg("sg-cpu", ssh_world)]}
}

test_private_cidr_passes if {
	rule := {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}
	count(ssh_rdp_open.deny) == 0 with input as {"side": "live", "resources": [node, sg("sg-gpu", rule)]}
}

test_all_traffic_covers_rdp_and_ssh if {
	rule := {"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/0"]}
	count(ssh_rdp_open.deny) == 2 with input as {"side": "live", "resources": [node, sg("sg-gpu", rule)]}
}

test_port_range_covers_ssh if {
	rule := {"protocol": "tcp", "from_port": 0, "to_port": 1024, "cidr_blocks": ["203.0.113.0/24"]}
	count(ssh_rdp_open.deny) == 1 with input as {"side": "live", "resources": [node, sg("sg-gpu", rule)]}
}
