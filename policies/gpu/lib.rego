# Helpers shared by the GPU pack. Not a policy: it has no deny rule.
package driftd.gpu.lib

# A display label: the name when there is one, else the id.
label(r) := r.name if {
	is_string(r.name)
	r.name != ""
} else := r.id

# Tags of a resource, whatever the cloud ({} when none).
tags(r) := t if {
	t := r.attributes.tags
	is_object(t)
} else := {}

# Instance type (AWS) or VM size (Azure).
size(r) := r.attributes.instance_type if r.provider == "aws"

size(r) := r.attributes.size if r.provider == "azure"

# The environment tag (config `env_tag`, default "env"), "" when untagged.
env(r) := object.get(tags(r), object.get(data.driftd.config, "env_tag", "env"), "")

production_envs := object.get(data.driftd.config, "production_envs", ["prod", "production"])

is_production(r) if lower(env(r)) in {lower(e) | some e in production_envs}

# Instances and VMs: the nodes that run GPU work.
node_types := {"aws_instance", "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine"}

# Cheapest test first: most resources of a fleet scan are not GPU nodes.
is_gpu_node(r) if {
	r.gpu != null
	r.type in node_types
}

private_ranges := [
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10",
]

# A CIDR is open to the internet when some of it lies outside every private range.
open_to_internet(cidr) if {
	net.cidr_is_valid(cidr)
	not within_private(cidr)
}

within_private(cidr) if {
	some p in private_ranges
	net.cidr_intersects(p, cidr)
	net.cidr_contains(p, cidr)
}
