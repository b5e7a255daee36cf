package driftd.gpu.no_public_ip_test

import data.driftd.gpu.no_public_ip

aws(attrs) := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"count": 1}, "attributes": attrs}

test_private_passes if count(no_public_ip.deny) == 0 with input as aws({"public_ip": "", "associate_public_ip_address": false})

test_public_ip_denied if no_public_ip.deny == {"GPU node n has a public IP 54.1.2.3"} with input as aws({"public_ip": "54.1.2.3"})

test_associate_flag_denied if count(no_public_ip.deny) == 1 with input as aws({"public_ip": "", "associate_public_ip_address": true})

test_azure_public_denied if {
	count(no_public_ip.deny) == 1 with input as {"type": "azurerm_linux_virtual_machine", "id": "/s/vm", "name": "vm", "provider": "azure", "gpu": {"count": 8}, "attributes": {"public_ip_address": "20.1.1.1"}}
}
