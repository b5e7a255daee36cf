# METADATA
# title: On-demand GPU instances do not run beside an idle reservation
# description: >-
#   An on-demand instance of a type and zone that an open capacity reservation covers,
#   running outside it while the reservation has idle instances, is paid twice: once
#   on demand and once in the reservation. Instances bought as spot, and Capacity
#   Blocks (which only targeted launches use), are left out.
# custom:
#   id: GPU016
#   severity: medium
#   remediation: let the instance use the reservation (capacity_reservation_specification { capacity_reservation_preference = "open" }) or shrink the reservation
#   scope: fleet
package driftd.gpu.on_demand_beside_reservation

import data.driftd.gpu.lib

# Open reservations with idle instances (a fleet has few reservations).
idle_open := [r |
	some r in input.resources
	r.type == "aws_ec2_capacity_reservation"
	lower(object.get(r.attributes, "state", "")) == "active"
	lower(object.get(r.attributes, "instance_match_criteria", "")) == "open"
	object.get(r.attributes, "available_instance_count", 0) > 0
]

deny contains entry if {
	some i in input.resources
	i.type == "aws_instance"
	i.gpu != null
	lower(object.get(i.attributes, "instance_state", "")) == "running"
	object.get(i.attributes, "instance_lifecycle", "") == ""
	object.get(i.attributes, "capacity_reservation_id", "") == ""
	count(idle_open) > 0
	ids := {r.id |
		some r in idle_open
		r.attributes.instance_type == i.attributes.instance_type
		r.attributes.availability_zone == i.attributes.availability_zone
	}
	count(ids) > 0
	entry := {
		"msg": sprintf("%s runs %s on demand in %s while reservation %s has idle %s there", [lib.label(i), i.attributes.instance_type, i.attributes.availability_zone, concat(", ", sort(ids)), i.attributes.instance_type]),
		"resource": {"type": i.type, "id": i.id},
	}
}
