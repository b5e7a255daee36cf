package driftd.gpu.spot_non_prod_test

import data.driftd.gpu.spot_non_prod

node(env, attrs) := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"count": 1}, "attributes": object.union({"tags": {"env": env}}, attrs)}

test_dev_on_demand_denied if spot_non_prod.deny == {`n is an on-demand GPU node in env "dev"`} with input as node("dev", {})

test_dev_spot_passes if count(spot_non_prod.deny) == 0 with input as node("dev", {"instance_lifecycle": "spot"})

test_market_options_spot_passes if count(spot_non_prod.deny) == 0 with input as node("dev", {"instance_market_options": [{"market_type": "spot"}]})

test_prod_passes if count(spot_non_prod.deny) == 0 with input as node("Prod", {})

test_untagged_left_to_required_tags if count(spot_non_prod.deny) == 0 with input as node("", {})

test_azure_spot_passes if {
	count(spot_non_prod.deny) == 0 with input as {"type": "azurerm_linux_virtual_machine", "id": "/s/vm", "name": "vm", "provider": "azure", "gpu": {"count": 1}, "attributes": {"priority": "Spot", "tags": {"env": "dev"}}}
}
