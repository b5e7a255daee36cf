# METADATA
# title: Reserved GPU capacity is in use
# description: >-
#   A capacity reservation or Capacity Block is paid for whether instances run in it or
#   not: 8 reserved p5.48xlarge idle cost as much as 8 running. A reservation (active)
#   with idle instances is a finding priced at its idle share: on AWS what
#   available_instance_count says, on Azure the billed capacity less the VMs allocated
#   in it. Only a live scan knows how much of a reservation is in use.
# custom:
#   id: GPU015
#   severity: medium
#   remediation: launch the workload into the reservation (capacity_reservation_specification), shrink it to what runs, or cancel it
package driftd.gpu.idle_reservation

import data.driftd.gpu.lib

aws_types := {"aws_ec2_capacity_reservation", "aws_ec2_capacity_block_reservation"}

# [total, idle, size, where] of a reservation whose use is known.
usage(r) := [r.attributes.instance_count, r.attributes.available_instance_count, r.attributes.instance_type, r.attributes.availability_zone] if {
	r.type in aws_types
	lower(object.get(r.attributes, "state", "")) == "active"
	is_number(r.attributes.available_instance_count)
}

usage(r) := [total, total - count(r.attributes.virtual_machines_allocated), r.attributes.sku[0].name, where] if {
	r.type == "azurerm_capacity_reservation"
	is_array(r.attributes.virtual_machines_allocated)
	total := object.get(r.attributes, "current_capacity", r.attributes.sku[0].capacity)
	where := sprintf("%s zone %v", [object.get(r.attributes, "location", ""), object.get(r.attributes, "zone", "")])
}

deny contains entry if {
	[total, idle, size, where] := usage(input)
	is_number(total)
	total > 0
	idle > 0
	entry := object.union(
		{
			"msg": sprintf("%s holds %d %s in %s, %d of them idle", [lib.label(input), total, size, where, idle]),
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
