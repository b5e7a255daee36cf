package driftd.gpu.encrypted_volumes_test

import data.driftd.gpu.encrypted_volumes

aws(attrs) := {"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "gpu": {"count": 1}, "attributes": attrs}

test_encrypted_passes if {
	count(encrypted_volumes.deny) == 0 with input as aws({"root_block_device": [{"encrypted": true}], "ebs_block_device": [{"device_name": "/dev/sdf", "encrypted": true}]})
}

test_root_denied if encrypted_volumes.deny == {"n has an unencrypted root volume"} with input as aws({"root_block_device": [{"encrypted": false}]})

test_data_denied if {
	encrypted_volumes.deny == {"n has an unencrypted data volume /dev/sdf"} with input as aws({"root_block_device": [{"encrypted": true}], "ebs_block_device": [{"device_name": "/dev/sdf", "encrypted": false}]})
}

test_azure_denied if {
	count(encrypted_volumes.deny) == 1 with input as {"type": "azurerm_linux_virtual_machine", "id": "/s/vm", "name": "vm", "provider": "azure", "gpu": {"count": 8}, "attributes": {"encryption_at_host_enabled": false}}
}
