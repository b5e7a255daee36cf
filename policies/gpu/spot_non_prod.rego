# METADATA
# title: Non-production GPU nodes run on spot
# description: >-
#   Outside production (tag `env` not in config `production_envs`, default prod and
#   production), GPU nodes should be spot (AWS) or Spot priority (Azure): 60-90%
#   cheaper for work that tolerates interruption. Untagged nodes are left to GPU001.
# custom:
#   id: GPU008
#   severity: low
#   remediation: instance_market_options { market_type = "spot" } (AWS) or priority = "Spot" with eviction_policy = "Deallocate" (Azure)
package driftd.gpu.spot_non_prod

import data.driftd.gpu.lib

is_spot(r) if lower(object.get(r.attributes, "instance_lifecycle", "")) == "spot"

is_spot(r) if {
	some m in object.get(r.attributes, "instance_market_options", [])
	lower(m.market_type) == "spot"
}

is_spot(r) if lower(object.get(r.attributes, "priority", "")) == "spot"

deny contains msg if {
	lib.is_gpu_node(input)
	env := lib.env(input)
	env != ""
	not lib.is_production(input)
	not is_spot(input)
	msg := sprintf("%s is an on-demand GPU node in env %q", [lib.label(input), env])
}
