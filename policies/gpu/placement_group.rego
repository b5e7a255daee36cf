# METADATA
# title: Multi-node p4d/p5 training runs in a cluster placement group
# description: >-
#   Multi-node training on p4d, p4de, p5, p5e, p5en or p6 instances loses much of
#   its EFA bandwidth outside a cluster placement group. Instances of these families
#   that share a `cluster` tag (else a `team` tag), two or more, must each be in a
#   placement group.
# custom:
#   id: GPU007
#   severity: medium
#   remediation: placement_group = aws_placement_group.<name>.id with strategy = "cluster"
#   scope: fleet
package driftd.gpu.placement_group

import data.driftd.gpu.lib

training_families := {"p4d", "p4de", "p5", "p5e", "p5en", "p6-b200"}

group_key(r) := lib.tags(r).cluster if lib.tags(r).cluster
else := lib.tags(r).team if lib.tags(r).team
else := ""

trainers := [r |
	some r in input.resources
	r.type == "aws_instance"
	r.gpu.family in training_families
]

deny contains entry if {
	some r in trainers
	key := group_key(r)
	key != ""
	count([o | some o in trainers; group_key(o) == key]) >= 2
	object.get(r.attributes, "placement_group", "") == ""
	entry := {
		"msg": sprintf("%s (%s) trains with %q but is in no placement group", [lib.label(r), r.attributes.instance_type, key]),
		"resource": {"type": r.type, "id": r.id},
	}
}
