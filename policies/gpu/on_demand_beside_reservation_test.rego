package driftd.gpu.on_demand_beside_reservation_test

import data.driftd.gpu.on_demand_beside_reservation

reservation(criteria, idle) := {"type": "aws_ec2_capacity_reservation", "id": "cr-1", "provider": "aws", "attributes": {"state": "active", "instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "instance_match_criteria": criteria, "instance_count": 4, "available_instance_count": idle}}

instance(attrs) := {"type": "aws_instance", "id": "i-1", "name": "t0", "provider": "aws", "gpu": {"count": 8}, "attributes": object.union({"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a", "instance_state": "running", "instance_lifecycle": "", "capacity_reservation_id": ""}, attrs)}

test_on_demand_beside_idle_open_reservation_denied if {
	on_demand_beside_reservation.deny == {{"msg": "t0 runs p5.48xlarge on demand in us-east-1a while reservation cr-1 has idle p5.48xlarge there", "resource": {"type": "aws_instance", "id": "i-1"}}} with input as {"resources": [reservation("open", 2), instance({})]}
}

test_instance_in_the_reservation_passes if {
	count(on_demand_beside_reservation.deny) == 0 with input as {"resources": [reservation("open", 2), instance({"capacity_reservation_id": "cr-1"})]}
}

test_targeted_reservation_passes if count(on_demand_beside_reservation.deny) == 0 with input as {"resources": [reservation("targeted", 2), instance({})]}

test_full_reservation_passes if count(on_demand_beside_reservation.deny) == 0 with input as {"resources": [reservation("open", 0), instance({})]}

test_other_zone_passes if count(on_demand_beside_reservation.deny) == 0 with input as {"resources": [reservation("open", 2), instance({"availability_zone": "us-east-1b"})]}

test_spot_passes if count(on_demand_beside_reservation.deny) == 0 with input as {"resources": [reservation("open", 2), instance({"instance_lifecycle": "spot"})]}
