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

azure(capacity, allocated) := {"type": "azurerm_capacity_reservation", "id": "/s/crg/r", "name": "h100", "provider": "azure", "cost_per_hour_usd": 98.32 * capacity, "attributes": {"location": "eastus", "zone": "1", "sku": [{"name": "Standard_ND96isr_H100_v5", "capacity": capacity}], "current_capacity": capacity, "virtual_machines_allocated": allocated}}

test_azure_reservation_idle_share_is_priced if {
	idle_reservation.deny == {{"msg": "h100 holds 4 Standard_ND96isr_H100_v5 in eastus zone 1, 3 of them idle", "severity": "medium", "cost_per_hour_usd": 294.96}} with input as azure(4, ["/s/vm1"])
}

test_azure_reservation_in_use_passes if count(idle_reservation.deny) == 0 with input as azure(1, ["/s/vm1"])

# The declared side (azurerm state) has no instance view: no guess.
test_azure_declared_passes if {
	count(idle_reservation.deny) == 0 with input as {"type": "azurerm_capacity_reservation", "id": "/s/crg/r", "provider": "azure", "attributes": {"sku": [{"name": "Standard_ND96isr_H100_v5", "capacity": 4}]}}
}
