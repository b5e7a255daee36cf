# METADATA
# title: No public IP on GPU nodes
# description: >-
#   GPU nodes sit behind load balancers or bastions. A public address exposes
#   Jupyter, Ray or Triton ports straight to the internet.
# custom:
#   id: GPU003
#   severity: high
#   remediation: associate_public_ip_address = false, and reach the node through a bastion, SSM or a load balancer
package driftd.gpu.no_public_ip

import data.driftd.gpu.lib

public(r) := r.attributes.public_ip if {
	r.provider == "aws"
	r.attributes.public_ip != ""
	is_string(r.attributes.public_ip)
}

public(r) := "(on launch)" if {
	r.provider == "aws"
	object.get(r.attributes, "public_ip", "") == ""
	r.attributes.associate_public_ip_address == true
}

public(r) := r.attributes.public_ip_address if {
	r.provider == "azure"
	is_string(r.attributes.public_ip_address)
	r.attributes.public_ip_address != ""
}

deny contains msg if {
	lib.is_gpu_node(input)
	ip := public(input)
	msg := sprintf("GPU node %s has a public IP %s", [lib.label(input), ip])
}
