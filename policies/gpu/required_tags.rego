# METADATA
# title: GPU nodes carry cost-allocation tags
# description: >-
#   Every GPU instance or VM carries the tags cost allocation needs (config
#   `required_tags`, default owner and team). Without them GPU spend cannot be
#   charged back, and nobody can be asked about an idle p5.
# custom:
#   id: GPU001
#   severity: medium
#   remediation: add the missing tags in Terraform, e.g. tags = { owner = "...", team = "..." }
package driftd.gpu.required_tags

import data.driftd.gpu.lib

required := object.get(data.driftd.config, "required_tags", ["owner", "team"])

deny contains msg if {
	lib.is_gpu_node(input)
	some tag in required
	object.get(lib.tags(input), tag, "") == ""
	msg := sprintf("%s %s has no %q tag", [input.type, lib.label(input), tag])
}
