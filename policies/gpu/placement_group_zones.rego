# METADATA
# title: A node group or scale set in a placement group stays in one zone
# description: >-
#   A cluster placement group lives in one availability zone: an auto scaling group or a
#   scale set given a placement group (proximity placement group on Azure) but spread
#   over several zones launches GPU nodes outside it, or not at all, and multi-node
#   training loses the bandwidth the group was declared for.
# custom:
#   id: GPU012
#   severity: medium
#   remediation: give the group one availability zone (one subnet in that zone), or drop the placement group
package driftd.gpu.placement_group_zones

import data.driftd.gpu.lib

zones(r) := z if {
	r.type == "aws_autoscaling_group"
	z := {x | some x in object.get(r.attributes, "availability_zones", []); x != ""}
}

zones(r) := z if {
	r.type in {"azurerm_linux_virtual_machine_scale_set", "azurerm_orchestrated_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set"}
	z := {x | some x in object.get(r.attributes, "zones", []); x != ""}
}

placement(r) := object.get(r.attributes, "placement_group", "") if r.type == "aws_autoscaling_group"

placement(r) := object.get(r.attributes, "proximity_placement_group_id", "") if r.type != "aws_autoscaling_group"

deny contains msg if {
	z := zones(input)
	count(z) > 1
	pg := placement(input)
	is_string(pg)
	pg != ""
	msg := sprintf("%s is in placement group %s but spread over %d zones (%s)", [lib.label(input), pg, count(z), concat(", ", sort(z))])
}
