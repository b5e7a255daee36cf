# METADATA
# title: EFA-capable GPU nodes have an EFA interface
# description: >-
#   p4d, p4de, p5, p5e, p5en, trn1, trn1n and trn2 instances are bought for multi-node
#   training over EFA; without an Elastic Fabric Adapter they fall back to TCP and
#   collective operations run several times slower on the most expensive capacity. A
#   launch template of such a type, and a running instance (whose interfaces only the
#   cloud knows), must have a network interface with interface_type = "efa".
# custom:
#   id: GPU011
#   severity: medium
#   remediation: network_interfaces { interface_type = "efa" device_index = 0 } in the launch template (one per network card on p5)
package driftd.gpu.efa_interface

import data.driftd.gpu.lib

efa_families := {"p4d", "p4de", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2"}

has_efa(r) if {
	some n in object.get(r.attributes, "network_interfaces", [])
	lower(object.get(n, "interface_type", "")) == "efa"
}

has_efa(r) if {
	some n in object.get(r.attributes, "network_interface", [])
	lower(object.get(n, "interface_type", "")) == "efa"
}

# A running instance's interfaces carry their type; the provider's own instance blocks do
# not: only an answer from the cloud can say an instance has no EFA.
types_known(r) if {
	some n in object.get(r.attributes, "network_interface", [])
	is_string(n.interface_type)
}

deny contains msg if {
	input.type == "aws_launch_template"
	input.gpu.family in efa_families
	not has_efa(input)
	msg := sprintf("launch template %s launches %s without an EFA interface", [lib.label(input), input.attributes.instance_type])
}

deny contains msg if {
	input.type == "aws_instance"
	input.gpu.family in efa_families
	types_known(input)
	not has_efa(input)
	msg := sprintf("%s (%s) runs without an EFA interface", [lib.label(input), input.attributes.instance_type])
}
