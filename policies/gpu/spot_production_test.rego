package driftd.gpu.spot_production_test

import data.driftd.gpu.spot_production

res(type, attrs) := {"type": type, "id": "x", "name": "n", "provider": "aws", "gpu": {"count": 8}, "attributes": object.union({"tags": {"env": "prod"}}, attrs)}

test_spot_instance_in_prod_denied if {
	spot_production.deny == {`n runs GPU capacity as spot in env "prod"`} with input as res("aws_instance", {"instance_lifecycle": "spot"})
}

test_spot_market_options_in_code_denied if {
	count(spot_production.deny) == 1 with input as res("aws_launch_template", {"instance_market_options": [{"market_type": "spot"}]})
}

test_spot_node_group_denied if count(spot_production.deny) == 1 with input as res("aws_eks_node_group", {"capacity_type": "SPOT"})

test_azure_spot_vm_denied if count(spot_production.deny) == 1 with input as res("azurerm_linux_virtual_machine", {"priority": "Spot"})

test_on_demand_in_prod_passes if count(spot_production.deny) == 0 with input as res("aws_instance", {"instance_lifecycle": ""})

test_spot_outside_prod_passes if {
	count(spot_production.deny) == 0 with input as res("aws_instance", {"instance_lifecycle": "spot", "tags": {"env": "dev"}})
}

test_not_gpu_passes if {
	count(spot_production.deny) == 0 with input as object.union(res("aws_instance", {"instance_lifecycle": "spot"}), {"gpu": null})
}
