package driftd.gpu.capacity_block_ending_test

import data.driftd.gpu.capacity_block_ending

# Dates relative to the test's own clock.
in_hours(h) := time.format([time.now_ns() + (h * 3600000000000), "UTC", "2006-01-02T15:04:05Z07:00"])

block(state, end) := {"type": "aws_ec2_capacity_block_reservation", "id": "cr-0b10c", "name": "llm-week", "provider": "aws", "attributes": {"state": state, "end_date": end, "instance_count": 8, "instance_type": "p5.48xlarge", "availability_zone": "us-east-1a"}}

test_ending_tomorrow_is_announced if {
	some msg in capacity_block_ending.deny with input as block("active", in_hours(20))
	startswith(msg, "capacity block llm-week (8 p5.48xlarge in us-east-1a) ends ")
	endswith(msg, "in 19 hours: its GPUs are taken back then")
}

test_ending_in_ten_days_passes if count(capacity_block_ending.deny) == 0 with input as block("active", in_hours(240))

test_window_comes_from_config if {
	count(capacity_block_ending.deny) == 1 with input as block("active", in_hours(240)) with data.driftd.config as {"capacity_block_notice_hours": 300}
}

test_expired_passes if count(capacity_block_ending.deny) == 0 with input as block("expired", in_hours(-2))

test_scheduled_block_ending_soon_is_announced if count(capacity_block_ending.deny) == 1 with input as block("scheduled", in_hours(30))
