# METADATA
# title: Production GPU capacity is not spot
# description: >-
#   Spot GPU capacity is reclaimed with two minutes' notice (30 seconds on Azure), and
#   GPU spot pools are the first to run dry: production inference or training on it
#   stops when the market moves. In production (tag `env` in config production_envs),
#   GPU nodes, their launch templates, EKS node groups and scale sets run on demand.
# custom:
#   id: GPU014
#   severity: high
#   remediation: drop instance_market_options (AWS), capacity_type = "ON_DEMAND" (EKS) or priority = "Regular" (Azure) for production
package driftd.gpu.spot_production

import data.driftd.gpu.lib

capacity_types := {
	"aws_instance", "aws_launch_template", "aws_eks_node_group",
	"azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine",
	"azurerm_linux_virtual_machine_scale_set", "azurerm_orchestrated_virtual_machine_scale_set",
	"azurerm_kubernetes_cluster_node_pool",
}

is_spot(r) if lower(object.get(r.attributes, "instance_lifecycle", "")) == "spot"

is_spot(r) if {
	some m in object.get(r.attributes, "instance_market_options", [])
	lower(object.get(m, "market_type", "")) == "spot"
}

is_spot(r) if lower(object.get(r.attributes, "capacity_type", "")) == "spot"

is_spot(r) if lower(object.get(r.attributes, "priority", "")) in {"spot", "low"}

deny contains msg if {
	input.type in capacity_types
	input.gpu != null
	lib.is_production(input)
	is_spot(input)
	msg := sprintf("%s runs GPU capacity as spot in env %q", [lib.label(input), lib.env(input)])
}
