package driftd.gpu.idle_reservation_test

import data.driftd.gpu.idle_reservation

reservation(total, idle, cost) := {"type": "aws_ec2_capacity_reservation", "id": "cr-1", "name": "llm", "provider": "aws", "cost_per_hour_usd": cost, "attributes": {"state": "active", "instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "instance_count": total, "available_instance_count": idle}}

test_partly_idle_is_priced_at_its_idle_share if {
	idle_reservation.deny == {{"msg": "llm holds 4 p5.48xlarge in us-east-1a, 3 of them idle", "severity": "medium", "cost_per_hour_usd": 165.12}} with input as reservation(4, 3, 220.16)
}

test_wholly_idle_is_high if {
	some e in idle_reservation.deny with input as reservation(2, 2, 110.08)
	e.severity == "high"
	e.cost_per_hour_usd == 110.08
}

test_in_use_passes if count(idle_reservation.deny) == 0 with input as reservation(4, 0, 220.16)

test_unpriced_is_still_found if {
	some e in idle_reservation.deny with input as reservation(4, 1, null)
	not e.cost_per_hour_usd
}

test_declared_side_without_utilisation_passes if {
	count(idle_reservation.deny) == 0 with input as {"type": "aws_ec2_capacity_reservation", "id": "cr-1", "provider": "aws", "attributes": {"state": "active", "instance_count": 4}}
}

test_block_not_started_passes if {
	count(idle_reservation.deny) == 0 with input as object.union(reservation(8, 8, 440.32), {"type": "aws_ec2_capacity_block_reservation", "attributes": {"state": "scheduled", "instance_count": 8, "available_instance_count": 8}})
}
