# METADATA
# title: No SSH or RDP from the internet to GPU nodes
# description: >-
#   A security group attached to a GPU node must not open port 22 or 3389 to the
#   internet: GPU nodes are prime targets for cryptomining. Looks at the whole fleet,
#   to know which groups are attached to GPU nodes.
# custom:
#   id: GPU006
#   severity: critical
#   remediation: restrict the ingress rule to the VPN or bastion CIDR, or use SSM Session Manager
#   scope: fleet
package driftd.gpu.ssh_rdp_open

import data.driftd.gpu.lib

admin_ports := {22: "SSH", 3389: "RDP"}

gpu_groups contains sg if {
	some r in input.resources
	r.gpu != null
	r.type in lib.node_types
	some sg in object.get(r.attributes, "vpc_security_group_ids", [])
}

covers(rule, port) if {
	rule.protocol in {"-1", "all"}
} else if {
	rule.from_port <= port
	port <= rule.to_port
}

deny contains entry if {
	some sg in input.resources
	sg.type == "aws_security_group"
	sg.id in gpu_groups
	some rule in sg.attributes.ingress
	some port, name in admin_ports
	covers(rule, port)
	some cidr in array.concat(object.get(rule, "cidr_blocks", []), object.get(rule, "ipv6_cidr_blocks", []))
	lib.open_to_internet(cidr)
	entry := {
		"msg": sprintf("security group %s opens %s (port %d) to %s and is attached to GPU nodes", [lib.label(sg), name, port, cidr]),
		"resource": {"type": sg.type, "id": sg.id},
	}
}
