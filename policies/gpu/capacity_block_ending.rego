# METADATA
# title: A Capacity Block ending soon is announced
# description: >-
#   A Capacity Block's GPUs are taken back at its end date, whatever runs on them
#   (instances are terminated 30 minutes before). A block that is active or scheduled
#   and ends within config capacity_block_notice_hours (default 72) is a finding, so
#   that training is checkpointed and capacity found before the GPUs disappear.
# custom:
#   id: GPU017
#   severity: high
#   remediation: checkpoint and move the work, or buy the next block (aws ec2 describe-capacity-block-offerings) before this one ends
package driftd.gpu.capacity_block_ending

import data.driftd.gpu.lib

notice_hours := object.get(data.driftd.config, "capacity_block_notice_hours", 72)

hour_ns := 3600000000000

deny contains msg if {
	input.type == "aws_ec2_capacity_block_reservation"
	lower(object.get(input.attributes, "state", "")) in {"active", "scheduled"}
	end := input.attributes.end_date
	is_string(end)
	end != ""
	left := time.parse_rfc3339_ns(end) - time.now_ns()
	left > 0
	left <= notice_hours * hour_ns
	hours := floor(left / hour_ns)
	msg := sprintf("capacity block %s (%d %s in %s) ends %s, in %d hours: its GPUs are taken back then", [lib.label(input), input.attributes.instance_count, input.attributes.instance_type, input.attributes.availability_zone, end, hours])
}
