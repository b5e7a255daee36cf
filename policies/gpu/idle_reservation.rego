# METADATA
# title: Reserved GPU capacity is in use
# description: >-
#   A capacity reservation or Capacity Block is paid for whether instances run in it or
#   not: 8 reserved p5.48xlarge idle cost as much as 8 running. A reservation (active)
#   with idle instances is a finding priced at its idle share. Only a live scan knows
#   how much of a reservation is in use (available_instance_count).
# custom:
#   id: GPU015
#   severity: medium
#   remediation: launch the workload into the reservation (capacity_reservation_specification), shrink it to what runs, or cancel it
package driftd.gpu.idle_reservation

import data.driftd.gpu.lib

reservation_types := {"aws_ec2_capacity_reservation", "aws_ec2_capacity_block_reservation"}

deny contains entry if {
	input.type in reservation_types
	lower(object.get(input.attributes, "state", "")) == "active"
	total := input.attributes.instance_count
	idle := input.attributes.available_instance_count
	is_number(total)
	is_number(idle)
	total > 0
	idle > 0
	entry := object.union(
		{
			"msg": sprintf("%s holds %d %s in %s, %d of them idle", [lib.label(input), total, input.attributes.instance_type, input.attributes.availability_zone, idle]),
			"severity": severity(idle, total),
		},
		priced(input, idle, total),
	)
}

# Wholly idle: everything paid for nothing.
severity(idle, total) := "high" if idle == total

severity(idle, total) := "medium" if idle < total

# The idle share of what the reservation costs, when its price is known.
priced(r, idle, total) := {"cost_per_hour_usd": (r.cost_per_hour_usd * idle) / total} if is_number(r.cost_per_hour_usd)

priced(r, _, _) := {} if not is_number(r.cost_per_hour_usd)
