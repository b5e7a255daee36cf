package driftd.gpu.placement_group_zones_test

import data.driftd.gpu.placement_group_zones

group(attrs) := {"type": "aws_autoscaling_group", "id": "trainers", "name": "trainers", "provider": "aws", "attributes": attrs}

test_two_zones_with_placement_group_denied if {
	placement_group_zones.deny == {"trainers is in placement group train-pg but spread over 2 zones (us-east-1a, us-east-1b)"} with input as group({"placement_group": "train-pg", "availability_zones": ["us-east-1b", "us-east-1a"]})
}

test_one_zone_passes if count(placement_group_zones.deny) == 0 with input as group({"placement_group": "train-pg", "availability_zones": ["us-east-1a"]})

test_no_placement_group_passes if count(placement_group_zones.deny) == 0 with input as group({"placement_group": "", "availability_zones": ["us-east-1a", "us-east-1b"]})

test_scale_set_zones_with_proximity_group_denied if {
	count(placement_group_zones.deny) == 1 with input as {"type": "azurerm_linux_virtual_machine_scale_set", "id": "/s/vmss", "name": "nd", "provider": "azure", "attributes": {"zones": ["1", "2", "3"], "proximity_placement_group_id": "/s/ppg"}}
}

# A code-only unknown (null) placement group is no finding.
test_unknown_placement_group_passes if count(placement_group_zones.deny) == 0 with input as group({"placement_group": null, "availability_zones": ["a", "b"]})
