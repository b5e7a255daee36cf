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

group_key(r) := k if {
	t := lib.tags(r)
	k := object.get(t, "cluster", object.get(t, "team", ""))
}

# Each trainer with its group key, computed once (function calls are the costly part).
keyed := [[r, group_key(r)] |
	some r in input.resources
	r.type == "aws_instance"
	r.gpu.family in training_families
]

# Keys shared by two or more trainers: after sorting, equal neighbours (one pass).
sorted_keys := sort([pair[1] | some pair in keyed])

multi_keys := {k |
	some i, k in sorted_keys
	i > 0
	sorted_keys[i - 1] == k
	k != ""
}

deny contains entry if {
	some pair in keyed
	r := pair[0]
	pair[1] in multi_keys
	object.get(r.attributes, "placement_group", "") == ""
	entry := {
		"msg": sprintf("%s (%s) trains with %q but is in no placement group", [lib.label(r), r.attributes.instance_type, pair[1]]),
		"resource": {"type": r.type, "id": r.id},
	}
}
