package driftd.gpu.placement_group_test

import data.driftd.gpu.placement_group

node(id, family, team, pg) := {"type": "aws_instance", "id": id, "name": id, "provider": "aws", "gpu": {"family": family, "count": 8}, "attributes": {"instance_type": concat(".", [family, "48xlarge"]), "tags": {"team": team}, "placement_group": pg}}

test_two_p5_without_group_denied if {
	count(placement_group.deny) == 2 with input as {"side": "live", "resources": [node("a", "p5", "llm", ""), node("b", "p5", "llm", "")]}
}

test_in_group_passes if {
	count(placement_group.deny) == 0 with input as {"side": "live", "resources": [node("a", "p5", "llm", "pg-1"), node("b", "p5", "llm", "pg-1")]}
}

test_single_node_passes if {
	count(placement_group.deny) == 0 with input as {"side": "live", "resources": [node("a", "p5", "llm", "")]}
}

test_other_families_ignored if {
	count(placement_group.deny) == 0 with input as {"side": "live", "resources": [node("a", "g5", "llm", ""), node("b", "g5", "llm", "")]}
}
