package driftd.gpu.allowed_gpu_types_test

import data.driftd.gpu.allowed_gpu_types

cfg := {"allowed_gpu_types": {"dev": ["g5.*", "g6.*"], "*": ["p5.*"]}}

node(size, env) := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"count": 1}, "attributes": {"instance_type": size, "tags": {"env": env}}}

test_allowed_in_dev if count(allowed_gpu_types.deny) == 0 with input as node("g5.xlarge", "dev") with data.driftd.config as cfg

test_p5_in_dev_denied if {
	allowed_gpu_types.deny == {`n runs p5.48xlarge, not allowed in env "dev" (allowed: g5.*, g6.*)`} with input as node("p5.48xlarge", "dev") with data.driftd.config as cfg
}

test_wildcard_env if count(allowed_gpu_types.deny) == 1 with input as node("g5.xlarge", "prod") with data.driftd.config as cfg

test_azure_sizes_case_insensitive if {
	count(allowed_gpu_types.deny) == 0 with input as {"type": "azurerm_linux_virtual_machine", "id": "/s/vm", "name": "vm", "provider": "azure", "gpu": {"count": 8}, "attributes": {"size": "Standard_ND96asr_v4", "tags": {"env": "prod"}}}
		with data.driftd.config as {"allowed_gpu_types": {"prod": ["standard_nd96*"]}}
}

test_no_config_no_check if count(allowed_gpu_types.deny) == 0 with input as node("p5.48xlarge", "dev") with data.driftd.config as {}
